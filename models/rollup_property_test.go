package models_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The rollups equal what the raw rows say, however the history that made
// them went: random histories of two merchants in zones with different
// day boundaries and a daylight-saving change inside the period, caught up
// at random moments. The expected figures are computed here in Go from
// purchases, ledger entries, vouchers, tier changes and members, following
// the definitions in ROLLUP.md, not from the catch-up's SQL. A rebuild then
// gives the incremental tables exactly, and one merchant's catch-up never
// touches the other's rows.
func TestRollupsEqualRawRowsOnRandomHistories(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			for _, seed := range propertySeeds() {
				t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
					t.Parallel()
					db := dbtest.Open(t, d)
					h := newHistory(t, db, seed)
					h.run(t, 160)
					h.checkVaried(t)
					for _, s := range h.shops {
						if err := models.CatchUpRollups(s.db, h.now); err != nil {
							t.Fatal(err)
						}
						s.checkExact(t, "incremental")
						s.checkActiveMembers(t, h.now)
						before, gapsBefore, spellsBefore := rollupSnapshot(t, s.db), gapSnapshot(t, s.db), spellSnapshot(t, s.db)
						visitsBefore := visitSnapshot(t, s.db)
						if err := models.RebuildRollups(s.db, h.now); err != nil {
							t.Fatal(err)
						}
						compareLines(t, "rebuild against incremental", before, rollupSnapshot(t, s.db))
						compareLines(t, "gap counts, rebuild against incremental", gapsBefore, gapSnapshot(t, s.db))
						compareLines(t, "spells, rebuild against incremental", spellsBefore, spellSnapshot(t, s.db))
						compareLines(t, "visits, rebuild against incremental", visitsBefore, visitSnapshot(t, s.db))
					}
					h.checkIsolation(t)
				})
			}
		})
	}
}

// history drives random writes against two merchants with a fake clock.
type history struct {
	db    *gorm.DB
	rng   *rand.Rand
	now   time.Time
	shops []*propShop
	seq   int
}

// propShop is one merchant of a history and what it has so far.
type propShop struct {
	shop
	loc       *time.Location
	programs  []*models.Program // points (tiers, expiry), stamps (card reward), cashback
	rewards   []*models.Reward  // the points program's catalog
	members   []int64
	purchases []models.Purchase
	vouchers  []int64
	// Instants around the edges of the local days whose clocks change
	// (23 or 25 hours long), each given to the first purchase after it.
	clockEdges []time.Time
}

// The six and a half months cross both clock changes of Auckland (28
// September, 5 April) and of Paris (26 October, 29 March), and a new year
// (an ISO week across two years).
var historyStart = time.Date(2025, 9, 20, 7, 0, 0, 0, time.UTC)

func newHistory(t *testing.T, db *gorm.DB, seed uint64) *history {
	t.Helper()
	h := &history{db: db, rng: rand.New(rand.NewPCG(seed, 9)), now: historyStart}
	for i, zone := range []string{"Europe/Paris", "Pacific/Auckland"} {
		h.shops = append(h.shops, newPropShop(t, db, fmt.Sprintf("prop%d-%d@example.com", seed, i), zone))
	}
	return h
}

func newPropShop(t *testing.T, db *gorm.DB, email, zone string) *propShop {
	t.Helper()
	s := &propShop{shop: newShopIn(t, db, email, "EUR", zone)}
	s.loc = s.m.Location()
	for d := historyStart.In(s.loc); d.Before(historyStart.AddDate(0, 7, 0)); d = d.AddDate(0, 0, 1) {
		start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.loc)
		end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, s.loc)
		if end.Sub(start) != 24*time.Hour {
			for _, at := range []time.Time{start.Add(-2 * time.Minute), start.Add(2 * time.Minute),
				end.Add(-30 * time.Minute), end.Add(-2 * time.Minute), end.Add(2 * time.Minute)} {
				s.clockEdges = append(s.clockEdges, at)
			}
		}
	}
	in := pointsInput("Points")
	in.ExpiryPolicy, in.ExpiryMonths = "after_earning", "1"
	points := createProgram(t, s.db, in)
	ladder(t, s.db, points.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 25, 90})
	for i, cost := range []string{"20", "45"} {
		s.rewards = append(s.rewards, createReward(t, s.db, points.ID,
			models.RewardInput{Name: fmt.Sprint("Treat ", i), Type: "free_item", Cost: cost, Value: fmt.Sprint(i+2, ".50")}))
	}
	stamps := createProgram(t, s.db, stampsInput("Stamps"))
	coffee := createReward(t, s.db, stamps.ID, models.RewardInput{Name: "Coffee", Type: "free_item", Cost: "1", Value: "2.20"})
	card := stamps.FormInput("EUR")
	card.StampsPerCard, card.CardRewardID = "4", itoa(coffee.ID)
	stamps, err := models.UpdateProgram(s.db, testActor, stamps.ID, card)
	if err != nil {
		t.Fatal(err)
	}
	s.programs = []*models.Program{points, stamps, createProgram(t, s.db, cashbackInput("Cashback"))}
	return s
}

// run makes n random steps, each moving the clock on by up to two and a
// half days (160 steps are about six and a half months), and more until
// every clock change has had its purchases.
func (h *history) run(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n || len(h.shops[0].clockEdges)+len(h.shops[1].clockEdges) > 0; i++ {
		h.now = h.now.Add(time.Duration(h.rng.IntN(60*60)) * time.Minute)
		s := h.shops[h.rng.IntN(len(h.shops))]
		h.seq++
		if err := h.step(t, s); err != nil {
			if c := models.ErrorCode(err); c != models.ECONFLICT && c != models.EINVALID {
				t.Fatalf("step %d at %s: %v", h.seq, h.now, err)
			}
		}
	}
}

// checkVaried fails a history too plain to prove much: every kind of
// write the rollups count must be in it.
func (h *history) checkVaried(t *testing.T) {
	t.Helper()
	kinds := map[string]int64{}
	count := func(what string, q *gorm.DB) {
		var n int64
		if err := q.Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		kinds[what] += n
	}
	for _, s := range h.shops {
		for _, k := range []models.EntryKind{models.KindPurchaseEarn, models.KindRedemption, models.KindRedemptionCancel,
			models.KindRefundClawback, models.KindExpiry, models.KindManualCredit, models.KindManualDebit, models.KindOpeningBalance} {
			count(string(k), s.db.Model(&models.LedgerEntry{}).Where("kind = ?", k))
		}
		count("anonymous purchase", s.db.Model(&models.Purchase{}).Where("member_id IS NULL"))
		count("full refund", s.db.Model(&models.Purchase{}).Where("refunded_minor = amount_minor"))
		count("partial refund", s.db.Model(&models.Refund{}).
			Where("amount_minor < (SELECT p.amount_minor FROM purchases p WHERE p.id = refunds.purchase_id)"))
		count("cancelled voucher", s.db.Model(&models.Voucher{}).Where("status = ?", models.VoucherCancelled))
		count("tier move up", s.db.Model(&models.TierChange{}).Where("from_tier_id IS NOT NULL"))
	}
	for what, n := range kinds {
		if n == 0 {
			t.Errorf("the history has no %s", what)
		}
	}
	for _, s := range h.shops {
		if len(s.clockEdges) > 0 {
			t.Errorf("%s: no purchase at %s, at the edge of a day whose clock changes", s.loc, s.clockEdges[0])
		}
	}
}

// step makes one random write (or a catch-up); a refusal the model gives
// (a balance too low, say) is part of the history.
func (h *history) step(t *testing.T, s *propShop) error {
	r, now := h.rng, h.now
	switch k := r.IntN(100); {
	case k < 8 || len(s.members) < 3:
		m, err := models.EnrolMember(s.db, testActor, models.MemberInput{Name: fmt.Sprint("Member ", h.seq)}, now)
		if err == nil {
			s.members = append(s.members, m.ID)
		}
		return err
	case k < 40:
		return h.purchase(s, h.regular(s))
	case k < 47:
		return h.purchase(s, 0)
	case k < 57:
		if len(s.purchases) == 0 {
			return nil
		}
		i := r.IntN(len(s.purchases))
		p := &s.purchases[i]
		left := p.AmountMinor - p.RefundedMinor
		if left <= 0 {
			return nil
		}
		amount := left
		if r.IntN(2) == 0 {
			amount = 1 + r.Int64N(left)
		}
		got, err := models.RefundPurchase(s.db, testActor, p.ID, minor(amount), fmt.Sprint("refund-", h.seq), now)
		if err == nil {
			*p = *got
		}
		return err
	case k < 65:
		v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: h.regular(s),
			ProgramID: s.programs[0].ID, RewardID: s.rewards[r.IntN(len(s.rewards))].ID, IdempotencyKey: fmt.Sprint("redeem-", h.seq)}, now)
		if err == nil {
			s.vouchers = append(s.vouchers, v.ID)
		}
		return err
	case k < 70:
		if len(s.vouchers) == 0 {
			return nil
		}
		i := r.IntN(len(s.vouchers))
		_, err := models.CancelVoucher(s.db, testActor, s.vouchers[i], now)
		s.vouchers = slices.Delete(s.vouchers, i, i+1)
		return err
	case k < 80:
		in := models.AdjustInput{MemberID: h.regular(s), ProgramID: s.programs[r.IntN(2)].ID, Amount: fmt.Sprint(5 + r.IntN(40)), Reason: "Goodwill"}
		if r.IntN(2) == 0 { // a debit, of a member who has the points
			var ids []int64
			if err := s.db.Model(&models.Account{}).Where("program_id = ? AND balance >= 3", s.programs[0].ID).
				Order("id").Pluck("member_id", &ids).Error; err != nil || len(ids) == 0 {
				return err
			}
			in.MemberID, in.ProgramID, in.Amount = ids[r.IntN(len(ids))], s.programs[0].ID, fmt.Sprint(-1-r.IntN(3))
		}
		_, err := models.Adjust(s.db, testActor, models.RoleOwner, in, now)
		return err
	case k < 85:
		_, err := models.RunDaily(h.db, now)
		return err
	case k < 89:
		return h.importMembers(t, s)
	default:
		return models.CatchUpRollups(s.db, now)
	}
}

// regular picks a member, half the time one of the first few: regulars
// have gaps to take a median of, and climb tiers.
func (h *history) regular(s *propShop) int64 {
	n := len(s.members)
	if h.rng.IntN(2) == 0 {
		n = min(n, 5)
	}
	return s.members[h.rng.IntN(n)]
}

// purchase records a purchase of a member (0: anonymous) in a random
// program, now, backdated, or a few minutes either side of a local
// midnight.
func (h *history) purchase(s *propShop, memberID int64) error {
	r, now := h.rng, h.now
	in := models.PurchaseInput{ProgramID: s.programs[r.IntN(len(s.programs))].ID, MemberID: memberID,
		Amount: minor(100 + r.Int64N(6000)), IdempotencyKey: fmt.Sprint("buy-", h.seq), ConfirmedLarge: true}
	switch r.IntN(6) {
	case 0:
		in.OccurredAt = now.Add(-time.Duration(r.IntN(10*24*60)) * time.Minute)
	case 1, 2:
		l := now.In(s.loc)
		midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.loc)
		in.OccurredAt = midnight.Add(time.Duration(r.IntN(13)-6) * time.Minute)
		if in.OccurredAt.After(now) {
			in.OccurredAt = in.OccurredAt.AddDate(0, 0, -1)
		}
	case 3:
		in.OccurredAt = now.Add(time.Duration(r.IntN(5)) * time.Minute) // a till clock a little ahead
	}
	if len(s.clockEdges) > 0 && !s.clockEdges[0].After(now) {
		in.OccurredAt, s.clockEdges = s.clockEdges[0], s.clockEdges[1:]
	}
	res, err := models.RecordPurchase(s.db, testActor, in, now)
	if err == nil {
		s.purchases = append(s.purchases, res.Purchase)
		for _, v := range res.Vouchers { // a full stamp card
			s.vouchers = append(s.vouchers, v.ID)
		}
	}
	return err
}

// importMembers imports a few members, some with an opening balance.
func (h *history) importMembers(t *testing.T, s *propShop) error {
	t.Helper()
	var b strings.Builder
	b.WriteString("name,email,balance\n")
	for i := range 1 + h.rng.IntN(4) {
		fmt.Fprintf(&b, "Imported %d,imp%d-%d@example.com,%d\n", i, h.seq, i, (i+h.rng.IntN(2))*40)
	}
	job, err := models.StartImport(s.db, testActor, models.RoleOwner,
		models.ImportInput{FileName: "members.csv", Content: []byte(b.String()), ProgramID: s.programs[0].ID}, h.now)
	if err != nil {
		return err
	}
	if err := models.ProcessImport(t.Context(), s.db, job.ID, func() time.Time { return h.now }); err != nil {
		return err
	}
	var ids []int64
	if err := s.db.Model(&models.Member{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return err
	}
	s.members = ids
	return nil
}

// minor writes an amount in cents as the decimal a form sends.
func minor(n int64) string { return fmt.Sprintf("%d.%02d", n/100, n%100) }

// checkExact compares every rollup of the shop with the raw rows.
func (s *propShop) checkExact(t *testing.T, what string) {
	t.Helper()
	checkRollupsExact(t, what, s.db, s.loc)
}

// checkRollupsExact compares every rollup of the scoped merchant with the
// raw rows in the zone loc, after a catch-up that left no mark.
func checkRollupsExact(t testing.TB, what string, sdb *gorm.DB, loc *time.Location) {
	t.Helper()
	compareLines(t, what, expectedRollups(t, sdb, loc), rollupSnapshot(t, sdb))
	if n := pendingMarks(t, sdb); n != 0 {
		t.Errorf("%s: %d marks left after the catch-up", what, n)
	}
}

func pendingMarks(t testing.TB, sdb *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := sdb.Model(&models.RollupMark{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// checkActiveMembers compares ActiveMembers with a count of the purchases
// by local day: a member is active on a day over a window when they bought
// on one of the window's days up to it. The days run from before the
// history starts to after it ends, so spells begin and end among them.
func (s *propShop) checkActiveMembers(t *testing.T, end time.Time) {
	t.Helper()
	var ps []models.Purchase
	if err := s.db.Where("kind = ?", models.PurchaseSale).Find(&ps).Error; err != nil {
		t.Fatal(err)
	}
	last := models.ParseDay(end.In(s.loc).Format("2006-01-02"))
	for _, days := range models.ActiveWindows {
		var on []string
		var want []int64
		for back := -100; back <= 240; back += 7 {
			day := last.AddDate(0, 0, -back)
			first := day.AddDate(0, 0, 1-days)
			seen := map[int64]bool{}
			for _, p := range ps {
				bought := models.ParseDay(p.OccurredAt.In(s.loc).Format("2006-01-02"))
				if p.MemberID != nil && !bought.Before(first) && !bought.After(day) {
					seen[*p.MemberID] = true
				}
			}
			on, want = append(on, day.Format("2006-01-02")), append(want, int64(len(seen)))
		}
		got, err := models.ActiveMembers(s.db, days, on...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range on {
			if got[i] != want[i] {
				t.Errorf("active members in the %d days to %s = %d, the purchases say %d", days, on[i], got[i], want[i])
			}
		}
	}
}

// checkIsolation proves that one merchant's catch-up and rebuild leave the
// other's rows and marks alone.
func (h *history) checkIsolation(t *testing.T) {
	t.Helper()
	a, b := h.shops[0], h.shops[1]
	h.now = h.now.Add(time.Hour)
	for _, s := range h.shops {
		h.seq++
		if err := h.purchase(s, s.members[0]); err != nil {
			t.Fatal(err)
		}
	}
	marksA := pendingMarks(t, a.db)
	if marksA == 0 {
		t.Fatal("A's purchase left no mark")
	}
	before := rollupSnapshot(t, a.db)
	if err := models.CatchUpRollups(b.db, h.now); err != nil {
		t.Fatal(err)
	}
	if err := models.RebuildRollups(b.db, h.now); err != nil {
		t.Fatal(err)
	}
	b.checkExact(t, "B after its own catch-up")
	compareLines(t, "A's rows after B's catch-up", before, rollupSnapshot(t, a.db))
	if after := pendingMarks(t, a.db); after != marksA {
		t.Errorf("A's marks went from %d to %d in B's catch-up", marksA, after)
	}
	if err := models.CatchUpRollups(a.db, h.now); err != nil {
		t.Fatal(err)
	}
	a.checkExact(t, "A after its catch-up")
}

// rollupSnapshot is every rollup row of the scoped merchant and its
// members' visit fields, one sorted line each (the monthly spend and
// expansion rows after the rest).
func rollupSnapshot(t testing.TB, sdb *gorm.DB) []string {
	t.Helper()
	var (
		sales   []models.DailySales
		points  []models.DailyPoints
		rewards []models.DailyReward
		tiers   []models.DailyTier
		months  []models.MemberMonth
		cohorts []models.MonthlyCohort
		weeks   []models.WeeklyActivity
		members []models.Member
		spend   []models.MemberMonthSpend
		growth  []models.MonthlyExpansion
	)
	for _, rows := range []any{&sales, &points, &rewards, &tiers, &months, &cohorts, &weeks, &members, &spend, &growth} {
		if err := sdb.Find(rows).Error; err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	return append(rollupLines(sales, points, rewards, tiers, months, cohorts, weeks, members), expansionLines(spend, growth)...)
}

// expansionLines are the monthly spend and expansion rows, one sorted line
// each.
func expansionLines(spend []models.MemberMonthSpend, growth []models.MonthlyExpansion) []string {
	var lines []string
	for _, s := range spend {
		lines = append(lines, fmt.Sprintf("month_spend %d %s spent=%d up=%v", s.MemberID, s.Month, s.SpentMinor, s.MovedUp))
	}
	for _, g := range growth {
		lines = append(lines, fmt.Sprintf("expansion %s %+v", g.Month, g.Expansion))
	}
	sort.Strings(lines)
	return lines
}

// expectedExpansion applies the negative churn definition to the raw
// rows: per member and local month the net spend and whether they moved
// up (a higher position than the tier left; from none, a tier that is not
// the base one), and per month the figures against the month before.
func expectedExpansion(purchases []models.Purchase, changes []models.TierChange, accounts []models.Account,
	tiers []models.Tier, month func(time.Time) string) []string {
	memberOf := map[int64]int64{}
	for _, a := range accounts {
		memberOf[a.ID] = a.MemberID
	}
	tierOf := map[int64]models.Tier{}
	for _, x := range tiers {
		tierOf[x.ID] = x
	}
	type key struct {
		member int64
		month  string
	}
	spent, up := map[key]int64{}, map[key]bool{}
	for _, p := range purchases {
		if p.MemberID != nil {
			spent[key{*p.MemberID, month(p.OccurredAt)}] += p.AmountMinor - p.RefundedMinor
		}
	}
	for _, c := range changes {
		if c.ToTierID == nil {
			continue
		}
		to, ok := tierOf[*c.ToTierID]
		if !ok {
			continue
		}
		from, had := models.Tier{}, c.FromTierID != nil
		if had {
			if from, had = tierOf[*c.FromTierID]; !had {
				continue // a tier since deleted: neither higher nor lower
			}
		}
		if had && from.Position < to.Position || !had && !to.Base() {
			up[key{memberOf[c.AccountID], month(c.CreatedAt)}] = true
		}
	}
	var rows []models.MemberMonthSpend
	members := map[int64]bool{}
	for k, n := range spent {
		members[k.member] = true
		if n > 0 || up[k] {
			rows = append(rows, models.MemberMonthSpend{MemberID: k.member, Month: k.month, SpentMinor: n, MovedUp: up[k]})
		}
	}
	for k := range up {
		members[k.member] = true
		if _, bought := spent[k]; !bought {
			rows = append(rows, models.MemberMonthSpend{MemberID: k.member, Month: k.month, MovedUp: true})
		}
	}
	shift := func(mo string, n int) string {
		t, _ := time.Parse("2006-01", mo)
		return t.AddDate(0, n, 0).Format("2006-01")
	}
	months := map[string]bool{}
	for _, r := range rows {
		months[r.Month], months[shift(r.Month, 1)] = true, true
	}
	var growth []models.MonthlyExpansion
	for mo := range months {
		var e models.Expansion
		for id := range members {
			before, now := spent[key{id, shift(mo, -1)}], spent[key{id, mo}]
			more := before > 0 && now > before
			if before > 0 {
				e.Previous++
				e.PreviousRevenueMinor += before
				e.RetainedRevenueMinor += now
				if now > 0 {
					e.Returned++
				}
				if more {
					e.SpentMore++
				}
			}
			if up[key{id, mo}] {
				e.MovedUp++
			}
			if more || up[key{id, mo}] {
				e.Expanding++
			}
		}
		if e != (models.Expansion{}) {
			growth = append(growth, models.MonthlyExpansion{Month: mo, Expansion: e})
		}
	}
	return expansionLines(rows, growth)
}

// gapSnapshot is the churn gap counts of the scoped merchant, which a
// catch-up keeps by delta and a rebuild counts afresh.
func gapSnapshot(t testing.TB, sdb *gorm.DB) []string {
	t.Helper()
	var counts []models.GapCount
	if err := sdb.Order("last_day, next_day").Find(&counts).Error; err != nil {
		t.Fatalf("gap snapshot: %v", err)
	}
	lines := make([]string, len(counts))
	for i, c := range counts {
		lines[i] = fmt.Sprintf("gap %s→%s %d", c.LastDay, c.NextDay, c.Members)
	}
	return lines
}

// spellSnapshot is every member spell and daily active net, one sorted
// line each.
func spellSnapshot(t testing.TB, sdb *gorm.DB) []string {
	t.Helper()
	var spells []models.MemberSpell
	var nets []models.DailyActive
	if err := sdb.Find(&spells).Error; err != nil {
		t.Fatalf("spell snapshot: %v", err)
	}
	if err := sdb.Find(&nets).Error; err != nil {
		t.Fatalf("spell snapshot: %v", err)
	}
	var lines []string
	for _, s := range spells {
		lines = append(lines, fmt.Sprintf("spell %d %d %s→%s", s.MemberID, s.WindowDays, s.FromDay, s.UntilDay))
	}
	for _, n := range nets {
		lines = append(lines, fmt.Sprintf("active %d %s %+d", n.WindowDays, n.Day, n.Net))
	}
	sort.Strings(lines)
	return lines
}

// visitSnapshot is every member visit and segment visit sum, one sorted
// line each.
func visitSnapshot(t testing.TB, sdb *gorm.DB) []string {
	t.Helper()
	var visits []models.MemberVisit
	var sums []models.SegmentVisit
	if err := sdb.Find(&visits).Error; err != nil {
		t.Fatalf("visit snapshot: %v", err)
	}
	if err := sdb.Find(&sums).Error; err != nil {
		t.Fatalf("visit snapshot: %v", err)
	}
	var lines []string
	for _, v := range visits {
		lines = append(lines, fmt.Sprintf("visit %d %s after %q purchases=%d revenue=%d", v.MemberID, v.Day, v.PrevDay, v.Purchases, v.RevenueMinor))
	}
	for _, v := range sums {
		lines = append(lines, fmt.Sprintf("segment %d %d %v %s after %q visits=%d purchases=%d revenue=%d",
			v.ProgramID, v.TierID, v.Redeemed, v.Day, v.PrevDay, v.Visits, v.Purchases, v.RevenueMinor))
	}
	sort.Strings(lines)
	return lines
}

func rollupLines(sales []models.DailySales, points []models.DailyPoints, rewards []models.DailyReward, tiers []models.DailyTier,
	months []models.MemberMonth, cohorts []models.MonthlyCohort, weeks []models.WeeklyActivity, members []models.Member) []string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	for _, s := range sales {
		add("sales %s purchases=%d member=%d revenue=%d member_revenue=%d refunded=%d earning=%d visitors=%d new=%d",
			s.Day, s.Purchases, s.MemberPurchases, s.RevenueMinor, s.MemberRevenueMinor, s.RefundedMinor, s.EarningPurchases, s.Visitors, s.NewMembers)
	}
	for _, p := range points {
		add("points %d %s %s amount=%d entries=%d", p.ProgramID, p.Day, p.Kind, p.Amount, p.Entries)
	}
	for _, r := range rewards {
		add("rewards %d %d %s redemptions=%d points=%d value=%d", r.ProgramID, r.RewardID, r.Day, r.Redemptions, r.Points, r.ValueMinor)
	}
	for _, x := range tiers {
		add("tiers %d %d %s net=%d", x.ProgramID, x.TierID, x.Day, x.Net)
	}
	for _, m := range months {
		add("member_month %s cohort=%s member=%d", m.Month, m.Cohort, m.MemberID)
	}
	for _, c := range cohorts {
		add("cohort %s %s members=%d", c.Cohort, c.Month, c.Members)
	}
	for _, w := range weeks {
		add("week %s active=%d visits=%d", w.Week, w.ActiveMembers, w.Visits)
	}
	for _, m := range members {
		add("member %d last=%s visits=%d gap=%d overdue=%s", m.ID, stamp(m.LastVisitAt), m.VisitCount, m.MedianGapDays, stamp(m.OverdueAt))
	}
	sort.Strings(lines)
	return lines
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// expectedRollups computes every rollup from the raw rows, in Go.
func expectedRollups(t testing.TB, sdb *gorm.DB, loc *time.Location) []string {
	t.Helper()
	var (
		purchases []models.Purchase
		entries   []models.LedgerEntry
		vouchers  []models.Voucher
		rewards   []models.Reward
		changes   []models.TierChange
		accounts  []models.Account
		members   []models.Member
		tiers     []models.Tier
	)
	for _, rows := range []any{&purchases, &entries, &vouchers, &rewards, &changes, &accounts, &members, &tiers} {
		if err := sdb.Find(rows).Error; err != nil {
			t.Fatalf("raw rows: %v", err)
		}
	}
	day := func(t time.Time) string { return t.In(loc).Format("2006-01-02") }
	month := func(t time.Time) string { return t.In(loc).Format("2006-01") }
	week := func(t time.Time) string {
		l := t.In(loc)
		return l.AddDate(0, 0, -((int(l.Weekday()) + 6) % 7)).Format("2006-01-02")
	}
	joined := map[int64]time.Time{}
	for _, m := range members {
		joined[m.ID] = m.CreatedAt
	}

	sales := map[string]*models.DailySales{}
	salesOf := func(d string) *models.DailySales {
		if sales[d] == nil {
			sales[d] = &models.DailySales{Day: d}
		}
		return sales[d]
	}
	visitors := map[string]map[int64]bool{}
	weeks := map[string]*models.WeeklyActivity{}
	weekActive := map[string]map[int64]bool{}
	memberMonths := map[models.MemberMonth]bool{}
	bought := map[int64][]time.Time{}
	for _, p := range purchases {
		d, net := day(p.OccurredAt), p.AmountMinor-p.RefundedMinor
		s := salesOf(d)
		s.Purchases++
		s.RevenueMinor += net
		s.RefundedMinor += p.RefundedMinor
		if p.Earned > 0 {
			s.EarningPurchases++
		}
		if p.MemberID == nil {
			continue
		}
		id := *p.MemberID
		s.MemberPurchases++
		s.MemberRevenueMinor += net
		if visitors[d] == nil {
			visitors[d] = map[int64]bool{}
		}
		visitors[d][id] = true
		w := week(p.OccurredAt)
		if weeks[w] == nil {
			weeks[w], weekActive[w] = &models.WeeklyActivity{Week: w}, map[int64]bool{}
		}
		weeks[w].Visits++
		weekActive[w][id] = true
		memberMonths[models.MemberMonth{Month: month(p.OccurredAt), Cohort: month(joined[id]), MemberID: id}] = true
		bought[id] = append(bought[id], p.OccurredAt)
	}
	for d, ids := range visitors {
		sales[d].Visitors = int64(len(ids))
	}
	for w, ids := range weekActive {
		weeks[w].ActiveMembers = int64(len(ids))
	}
	for _, m := range members {
		salesOf(day(m.CreatedAt)).NewMembers++
	}

	type pointsKey struct {
		program int64
		day     string
		kind    models.EntryKind
	}
	points := map[pointsKey]*models.DailyPoints{}
	for _, e := range entries {
		k := pointsKey{e.ProgramID, day(e.CreatedAt), e.Kind}
		if points[k] == nil {
			points[k] = &models.DailyPoints{ProgramID: k.program, Day: k.day, Kind: k.kind}
		}
		points[k].Amount += e.Amount
		points[k].Entries++
	}

	value := map[int64]int64{}
	for _, r := range rewards {
		value[r.ID] = r.ValueMinor
	}
	type rewardKey struct {
		program, reward int64
		day             string
	}
	redeemed := map[rewardKey]*models.DailyReward{}
	for _, v := range vouchers {
		if v.Status == models.VoucherCancelled {
			continue
		}
		k := rewardKey{v.ProgramID, v.RewardID, day(v.CreatedAt)}
		if redeemed[k] == nil {
			redeemed[k] = &models.DailyReward{ProgramID: k.program, RewardID: k.reward, Day: k.day}
		}
		redeemed[k].Redemptions++
		redeemed[k].Points += v.Cost
		redeemed[k].ValueMinor += value[v.RewardID]
	}

	programOf := map[int64]int64{}
	for _, a := range accounts {
		programOf[a.ID] = a.ProgramID
	}
	type tierKey struct {
		program, tier int64
		day           string
	}
	net := map[tierKey]int64{}
	for _, c := range changes {
		p, d := programOf[c.AccountID], day(c.CreatedAt)
		if c.ToTierID != nil {
			net[tierKey{p, *c.ToTierID, d}]++
		}
		if c.FromTierID != nil {
			net[tierKey{p, *c.FromTierID, d}]--
		}
	}

	cohortCount := map[[2]string]int64{}
	for mm := range memberMonths {
		cohortCount[[2]string{mm.Cohort, mm.Month}]++
	}
	for i := range members {
		m := &members[i]
		m.LastVisitAt, m.VisitCount, m.MedianGapDays, m.OverdueAt = nil, 0, 0, nil
		times := bought[m.ID]
		if len(times) == 0 {
			continue
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		last := times[len(times)-1]
		m.LastVisitAt, m.VisitCount = &last, int64(len(times))
		var days []time.Time // distinct local days, as calendar dates
		for _, t := range times {
			d, _ := time.Parse("2006-01-02", day(t))
			if len(days) == 0 || !days[len(days)-1].Equal(d) {
				days = append(days, d)
			}
		}
		if len(days) < 2 {
			continue
		}
		var gaps []int64
		for i := 1; i < len(days); i++ {
			gaps = append(gaps, int64(days[i].Sub(days[i-1])/(24*time.Hour)))
		}
		slices.Sort(gaps)
		n := len(gaps)
		m.MedianGapDays = gaps[n/2]
		if n%2 == 0 {
			m.MedianGapDays = (gaps[n/2-1] + gaps[n/2]) / 2
		}
		due := last.Add(time.Duration(2*m.MedianGapDays) * 24 * time.Hour)
		m.OverdueAt = &due
	}

	var (
		salesRows  []models.DailySales
		pointRows  []models.DailyPoints
		rewardRows []models.DailyReward
		tierRows   []models.DailyTier
		monthRows  []models.MemberMonth
		cohortRows []models.MonthlyCohort
		weekRows   []models.WeeklyActivity
	)
	for _, s := range sales {
		salesRows = append(salesRows, *s)
	}
	for _, p := range points {
		pointRows = append(pointRows, *p)
	}
	for _, r := range redeemed {
		rewardRows = append(rewardRows, *r)
	}
	for k, n := range net {
		if n != 0 {
			tierRows = append(tierRows, models.DailyTier{ProgramID: k.program, TierID: k.tier, Day: k.day, Net: n})
		}
	}
	for mm := range memberMonths {
		monthRows = append(monthRows, mm)
	}
	for k, n := range cohortCount {
		cohortRows = append(cohortRows, models.MonthlyCohort{Cohort: k[0], Month: k[1], Members: n})
	}
	for _, w := range weeks {
		weekRows = append(weekRows, *w)
	}
	return append(rollupLines(salesRows, pointRows, rewardRows, tierRows, monthRows, cohortRows, weekRows, members),
		expectedExpansion(purchases, changes, accounts, tiers, month)...)
}

// compareLines fails with the lines one side has and the other lacks.
func compareLines(t testing.TB, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	in := func(lines []string) map[string]bool {
		set := map[string]bool{}
		for _, l := range lines {
			set[l] = true
		}
		return set
	}
	wantSet, gotSet := in(want), in(got)
	var diff []string
	for _, l := range want {
		if !gotSet[l] {
			diff = append(diff, "  want "+l)
		}
	}
	for _, l := range got {
		if !wantSet[l] {
			diff = append(diff, "  got  "+l)
		}
	}
	sort.SliceStable(diff, func(i, j int) bool { return diff[i][7:] < diff[j][7:] })
	if len(diff) > 40 {
		diff = append(diff[:40], fmt.Sprintf("  … and %d more", len(diff)-40))
	}
	t.Errorf("%s: %d rows want, %d got; differences:\n%s", what, len(want), len(got), strings.Join(diff, "\n"))
}

// propertySeeds are the histories tried: one under the race detector,
// which multiplies their cost (make test runs all of them again without it).
func propertySeeds() []uint64 {
	if raceDetector {
		return []uint64{1}
	}
	return []uint64{1, 2, 3}
}
