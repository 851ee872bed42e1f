package models_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// After random writes (purchases, refunds, redemptions, cancels, manual
// credits and debits, expiry, promotions, a base tier added; two
// programs, a zone west of UTC), the
// catch-up's member_lots equal each account's FIFO replay by month earned,
// lot_months their sums, member_spend the purchases, tiers and vouchers,
// segment_totals its sums, member_visits the purchases by local day,
// segment_visits their sums, and the segments of ranges ending now equal
// the range's purchases by customer; and a rebuild gives the same.
func TestEconomicsRollupsFollowRandomWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShopIn(t, db, "lots@example.com", "USD", "America/New_York")
		var programs []*models.Program
		for _, name := range []string{"Beans", "Cups"} {
			in := pointsInput(name)
			in.ExpiryPolicy, in.ExpiryMonths = string(models.ExpireAfterEarning), "2"
			programs = append(programs, createProgram(t, s.db, in))
		}
		// Beans members rise through tiers as they earn; Cups gets a base
		// tier mid-way, which moves every account at once.
		ladder(t, s.db, programs[0].ID, []string{"Bronze", "Silver"}, []int{0, 60})
		var rewards []*models.Reward
		for _, p := range programs {
			r := rewardInput("Treat")
			r.Cost, r.Value = "15", "1.00"
			rewards = append(rewards, createReward(t, s.db, p.ID, r))
		}
		var members []*models.Member
		for i := range 10 {
			members = append(members, enrol(t, s.db, models.MemberInput{Name: fmt.Sprint("Member ", i)}, on(2025, 1, 1)))
		}
		rng := rand.New(rand.NewPCG(9, 12))
		at := time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC) // month ends in New York and UTC differ
		var purchases []int64
		var vouchers []int64
		for step := range 200 {
			at = at.Add(time.Duration(rng.IntN(60)) * time.Hour)
			m, pi := members[rng.IntN(len(members))], rng.IntN(len(programs))
			p := programs[pi]
			key := fmt.Sprint("lots-", step)
			if step == 100 {
				createTier(t, s.db, programs[1].ID, tierInput("Base", 1, 0))
			}
			switch rng.IntN(8) {
			case 0, 1, 2:
				res := buy(t, s.db, p.ID, m.ID, fmt.Sprintf("%d.00", 5+rng.IntN(40)), key, at)
				purchases = append(purchases, res.Purchase.ID)
			case 3:
				if len(purchases) > 0 {
					// Small refunds claw nothing back; refusals (refunded in
					// full already) change nothing.
					amount := fmt.Sprintf("%d.%02d", rng.IntN(3), 10+rng.IntN(90))
					_, _ = models.RefundPurchase(s.db, testActor, purchases[rng.IntN(len(purchases))], amount, key, at)
				}
			case 4:
				v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: m.ID, ProgramID: p.ID,
					RewardID: rewards[pi].ID, IdempotencyKey: key}, at)
				if err == nil {
					vouchers = append(vouchers, v.ID)
				}
			case 5:
				if len(vouchers) > 0 {
					_, _ = models.CancelVoucher(s.db, testActor, vouchers[rng.IntN(len(vouchers))], at)
				}
			case 6:
				_, _ = models.Adjust(s.db, testActor, models.RoleOwner, models.AdjustInput{MemberID: m.ID, ProgramID: p.ID,
					Amount: fmt.Sprint(rng.IntN(30) - 10), Reason: "Goodwill", IdempotencyKey: key}, at)
			case 7:
				if _, err := models.RunDaily(db, at); err != nil {
					t.Fatal(err)
				}
			}
			if step%10 == 9 {
				if err := models.CatchUpRollups(s.db, at); err != nil {
					t.Fatal(err)
				}
				wantEconomicsRollups(t, s, step, at)
			}
		}
		if err := models.RebuildRollups(s.db, at); err != nil {
			t.Fatal(err)
		}
		wantEconomicsRollups(t, s, -1, at)
	})
}

// wantEconomicsRollups compares the economics rollups with the raw rows.
func wantEconomicsRollups(t *testing.T, s shop, step int, now time.Time) {
	t.Helper()
	loc := s.m.Location()
	var accounts []models.Account
	if err := s.db.Find(&accounts).Error; err != nil {
		t.Fatal(err)
	}
	type key struct {
		program, member int64
		month           string
	}
	want, sums := map[key]int64{}, map[key]int64{}
	for _, a := range accounts {
		left, err := models.LeftByMonth(s.db, a.ID, loc)
		if err != nil {
			t.Fatal(err)
		}
		for month, n := range left {
			want[key{a.ProgramID, a.MemberID, month}] += n
			sums[key{a.ProgramID, 0, month}] += n
		}
	}
	var lots []models.MemberLot
	var months []models.LotMonth
	if err := s.db.Find(&lots).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Where("remaining <> 0").Find(&months).Error; err != nil {
		t.Fatal(err)
	}
	got, gotSums := map[key]int64{}, map[key]int64{}
	for _, l := range lots {
		got[key{l.ProgramID, l.MemberID, l.EarnedMonth}] = l.Remaining
	}
	for _, m := range months {
		gotSums[key{m.ProgramID, 0, m.EarnedMonth}] = m.Remaining
	}
	if len(want) == 0 || !maps.Equal(got, want) || !maps.Equal(gotSums, sums) {
		t.Fatalf("step %d: member lots %v, want %v; sums %v, want %v", step, got, want, gotSums, sums)
	}
	// Spend: a row for each customer, and one in each program where they
	// have a tier or a redemption now; the sums per segment.
	var programs []models.Program
	if err := s.db.Order("id").Find(&programs).Error; err != nil {
		t.Fatal(err)
	}
	var bought []models.MemberSpend
	if err := s.db.Model(&models.Purchase{}).Select("member_id, count(*) AS purchases, sum(amount_minor - refunded_minor) AS revenue_minor").
		Where("member_id IS NOT NULL").Group("member_id").Order("member_id").Scan(&bought).Error; err != nil {
		t.Fatal(err)
	}
	var vouchers []models.Voucher
	if err := s.db.Where("status <> ?", models.VoucherCancelled).Find(&vouchers).Error; err != nil {
		t.Fatal(err)
	}
	type seg struct {
		program, tier int64
		redeemed      bool
	}
	wantSpend, wantSums := map[key]models.MemberSpend{}, map[seg]models.SegmentTotal{}
	for _, b := range bought {
		for _, p := range append([]models.Program{{}}, programs...) { // program 0: every customer
			ms := models.MemberSpend{MerchantID: s.m.ID, ProgramID: p.ID, MemberID: b.MemberID, Purchases: b.Purchases, RevenueMinor: b.RevenueMinor}
			for _, a := range accounts {
				if a.ProgramID == p.ID && a.MemberID == b.MemberID && a.TierID != nil {
					ms.TierID = *a.TierID
				}
			}
			ms.Redeemed = slices.ContainsFunc(vouchers, func(v models.Voucher) bool { return v.ProgramID == p.ID && v.MemberID == b.MemberID })
			if p.ID != 0 && ms.TierID == 0 && !ms.Redeemed {
				continue // a program keeps only its tiered or redeeming customers
			}
			wantSpend[key{p.ID, b.MemberID, ""}] = ms
			k := seg{p.ID, ms.TierID, ms.Redeemed}
			sum := wantSums[k]
			sum.MerchantID, sum.ProgramID, sum.TierID, sum.Redeemed = s.m.ID, k.program, k.tier, k.redeemed
			sum.Customers++
			sum.Purchases += ms.Purchases
			sum.RevenueMinor += ms.RevenueMinor
			wantSums[k] = sum
		}
	}
	var spend []models.MemberSpend
	var totals []models.SegmentTotal
	if err := s.db.Find(&spend).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Where("customers <> 0 OR purchases <> 0 OR revenue_minor <> 0").Find(&totals).Error; err != nil {
		t.Fatal(err)
	}
	gotSpend, gotTotals := map[key]models.MemberSpend{}, map[seg]models.SegmentTotal{}
	for _, ms := range spend {
		gotSpend[key{ms.ProgramID, ms.MemberID, ""}] = ms
	}
	for _, st := range totals {
		gotTotals[seg{st.ProgramID, st.TierID, st.Redeemed}] = st
	}
	if !maps.Equal(gotSpend, wantSpend) || !maps.Equal(gotTotals, wantSums) {
		t.Fatalf("step %d: spend %v, want %v; segments %v, want %v", step, gotSpend, wantSpend, gotTotals, wantSums)
	}
	var purchases []models.Purchase
	if err := s.db.Where("member_id IS NOT NULL").Order("occurred_at, id").Find(&purchases).Error; err != nil {
		t.Fatal(err)
	}
	standing := func(program, member int64) models.MemberSpend { return wantSpend[key{program, member, ""}] }
	wantVisitRows(t, s, step, purchases, programs, standing)
	for _, p := range programs {
		for _, days := range []int{1, 7, 30, 90, 400} {
			wantRangeSegments(t, s, step, now, days, p, purchases, standing)
		}
	}
}

// wantVisitRows compares member_visits with the purchases by member and
// local day, and segment_visits with their sums over each segment the
// member is in now (program 0 and each program where standing has them).
func wantVisitRows(t *testing.T, s shop, step int, purchases []models.Purchase, programs []models.Program,
	standing func(program, member int64) models.MemberSpend) {
	t.Helper()
	loc := s.m.Location()
	type visitKey struct {
		member int64
		day    string
	}
	visits := map[visitKey]models.MemberVisit{}
	days := map[int64][]string{}
	for _, p := range purchases {
		id, day := *p.MemberID, p.OccurredAt.In(loc).Format("2006-01-02")
		v := visits[visitKey{id, day}]
		if v.Purchases == 0 {
			v.MerchantID, v.MemberID, v.Day = s.m.ID, id, day
			if n := len(days[id]); n > 0 {
				v.PrevDay = days[id][n-1]
			}
			days[id] = append(days[id], day)
		}
		v.Purchases++
		v.RevenueMinor += p.AmountMinor - p.RefundedMinor
		visits[visitKey{id, day}] = v
	}
	type sumKey struct {
		program, tier int64
		redeemed      bool
		day, prev     string
	}
	sums := map[sumKey]models.SegmentVisit{}
	for _, v := range visits {
		for _, p := range append([]models.Program{{}}, programs...) {
			ms := standing(p.ID, v.MemberID)
			if ms.MemberID == 0 {
				continue
			}
			k := sumKey{p.ID, ms.TierID, ms.Redeemed, v.Day, v.PrevDay}
			sum := sums[k]
			sum.MerchantID, sum.ProgramID, sum.TierID, sum.Redeemed, sum.Day, sum.PrevDay = s.m.ID, k.program, k.tier, k.redeemed, k.day, k.prev
			sum.Visits++
			sum.Purchases += v.Purchases
			sum.RevenueMinor += v.RevenueMinor
			sums[k] = sum
		}
	}
	var visitRows []models.MemberVisit
	var sumRows []models.SegmentVisit
	if err := s.db.Find(&visitRows).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Find(&sumRows).Error; err != nil {
		t.Fatal(err)
	}
	gotVisits, gotSums := map[visitKey]models.MemberVisit{}, map[sumKey]models.SegmentVisit{}
	for _, v := range visitRows {
		gotVisits[visitKey{v.MemberID, v.Day}] = v
	}
	for _, v := range sumRows {
		gotSums[sumKey{v.ProgramID, v.TierID, v.Redeemed, v.Day, v.PrevDay}] = v
	}
	if len(visits) == 0 || !maps.Equal(gotVisits, visits) || !maps.Equal(gotSums, sums) || len(sumRows) != len(sums) {
		t.Fatalf("step %d: member visits %v, want %v; segment visits %v, want %v", step, gotVisits, visits, sumRows, sums)
	}
}

// wantRangeSegments compares the economics page's members by segment, for
// the days local days to now, with the range's purchases grouped by
// customer and each customer placed where standing has them.
func wantRangeSegments(t *testing.T, s shop, step int, now time.Time, days int, p models.Program, purchases []models.Purchase,
	standing func(program, member int64) models.MemberSpend) {
	t.Helper()
	loc := s.m.Location()
	today := now.In(loc)
	q := models.RangeQuery{From: today.AddDate(0, 0, 1-days).Format("2006-01-02"), To: today.Format("2006-01-02")}
	r, err := models.ParseReportRange(s.db, q, now, loc)
	if err != nil {
		t.Fatal(err)
	}
	e, err := models.GetEconomics(s.db, p.ID, r, now)
	if err != nil {
		t.Fatal(err)
	}
	tiers, err := models.ListTiers(s.db, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	tierName := map[int64]string{}
	for _, tier := range tiers {
		tierName[tier.ID] = "Tier " + tier.Name
	}
	want := map[string]models.Segment{}
	seen := map[int64]bool{}
	for _, pu := range purchases {
		if day := pu.OccurredAt.In(loc).Format("2006-01-02"); day < q.From || day > q.To {
			continue
		}
		ms := standing(p.ID, *pu.MemberID)
		names := []string{"Members who never redeemed"}
		if ms.Redeemed {
			names[0] = "Members who redeemed"
		}
		if name, ok := tierName[ms.TierID]; ok {
			names = append(names, name)
		} else if ms.TierID == 0 && len(tiers) > 0 {
			names = append(names, "No tier")
		}
		for _, name := range names {
			seg := want[name]
			seg.Name = name
			if !seen[*pu.MemberID] {
				seg.Customers++
			}
			seg.Purchases++
			seg.RevenueMinor += pu.AmountMinor - pu.RefundedMinor
			want[name] = seg
		}
		seen[*pu.MemberID] = true
	}
	got := map[string]models.Segment{}
	for _, seg := range e.Segments[1:] { // the first is non-members
		if seg.Customers != 0 || seg.Purchases != 0 {
			got[seg.Name] = seg
		}
	}
	if !maps.Equal(got, want) {
		t.Fatalf("step %d: %s, %s to %s: segments %v, want %v", step, p.Name, q.From, q.To, got, want)
	}
}
