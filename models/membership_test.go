package models_test

import (
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Periods are counted in the merchant's calendar: a month from the 31st
// is the last day of a shorter month, 29 February falls back to the 28th
// outside leap years, and the wall-clock hour holds across DST.
func TestAddMonths(t *testing.T) {
	t.Parallel()
	paris, ny := mustZone(t, "Europe/Paris"), mustZone(t, "America/New_York")
	for _, c := range []struct {
		name   string
		from   time.Time
		months int64
		want   time.Time
	}{
		{"31 Jan + 1 is 28 Feb", time.Date(2027, 1, 31, 10, 0, 0, 0, paris), 1, time.Date(2027, 2, 28, 10, 0, 0, 0, paris)},
		{"31 Jan + 1 in a leap year is 29 Feb", time.Date(2028, 1, 31, 10, 0, 0, 0, paris), 1, time.Date(2028, 2, 29, 10, 0, 0, 0, paris)},
		{"31 Jan + 2 is 31 Mar, not 28", time.Date(2027, 1, 31, 10, 0, 0, 0, paris), 2, time.Date(2027, 3, 31, 10, 0, 0, 0, paris)},
		{"31 Mar + 1 is 30 Apr", time.Date(2027, 3, 31, 10, 0, 0, 0, paris), 1, time.Date(2027, 4, 30, 10, 0, 0, 0, paris)},
		{"29 Feb + 12 is 28 Feb", time.Date(2028, 2, 29, 9, 0, 0, 0, paris), 12, time.Date(2029, 2, 28, 9, 0, 0, 0, paris)},
		{"29 Feb + 48 is 29 Feb", time.Date(2028, 2, 29, 9, 0, 0, 0, paris), 48, time.Date(2032, 2, 29, 9, 0, 0, 0, paris)},
		{"31 Dec + 2 crosses the year", time.Date(2026, 12, 31, 9, 0, 0, 0, paris), 2, time.Date(2027, 2, 28, 9, 0, 0, 0, paris)},
		{"spring forward keeps the hour", time.Date(2027, 3, 1, 10, 0, 0, 0, paris), 1, time.Date(2027, 4, 1, 10, 0, 0, 0, paris)},
		{"fall back keeps the hour", time.Date(2026, 10, 15, 10, 0, 0, 0, paris), 1, time.Date(2026, 11, 15, 10, 0, 0, 0, paris)},
		// 20:00 on 30 Jan in New York is already 31 Jan in UTC: counted in
		// UTC it would end on 27 Feb local.
		{"the local date, not UTC's", time.Date(2027, 1, 30, 20, 0, 0, 0, ny), 1, time.Date(2027, 2, 28, 20, 0, 0, 0, ny)},
		{"120 months", time.Date(2026, 1, 31, 8, 0, 0, 0, paris), 120, time.Date(2036, 1, 31, 8, 0, 0, 0, paris)},
	} {
		loc := c.from.Location()
		if got := models.AddMonths(c.from.UTC(), c.months, loc); !got.Equal(c.want) {
			t.Errorf("%s: AddMonths(%s, %d) = %s, want %s", c.name, c.from, c.months, got.In(loc), c.want)
		}
	}
	// Spring forward: the period is an hour shorter in absolute time.
	from := time.Date(2027, 3, 1, 10, 0, 0, 0, paris)
	if d := models.AddMonths(from, 1, paris).Sub(from); d != 31*24*time.Hour-time.Hour {
		t.Errorf("March in Paris lasts %s, want 31 days less an hour", d)
	}
}

// Grace days are local days: across the spring DST change three of them
// last 71 hours; a membership cancelled for its end has none.
func TestLapsesAt(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	end := time.Date(2027, 3, 27, 10, 0, 0, 0, paris)
	plus := &models.Tier{Paid: true, GraceDays: 3}
	ms := &models.Membership{EndsAt: end.UTC()}
	if got := ms.LapsesAt(plus, paris); !got.Equal(time.Date(2027, 3, 30, 10, 0, 0, 0, paris)) || got.Sub(end) != 71*time.Hour {
		t.Errorf("lapses at %s (%s after the end), want 30 Mar 10:00, 71h", got.In(paris), got.Sub(end))
	}
	if got := (&models.Membership{EndsAt: end.UTC()}).LapsesAt(&models.Tier{Paid: true}, paris); !got.Equal(end) {
		t.Errorf("no grace: lapses at %s, want the end", got.In(paris))
	}
	if got := (&models.Membership{EndsAt: end.UTC(), CancelAtEnd: true}).LapsesAt(plus, paris); !got.Equal(end) {
		t.Errorf("cancelled for the end: lapses at %s, want the end", got.In(paris))
	}
}

// The better multiplier and discount win; a paid tier wins a tie; an
// earned tier alone is what it is.
func TestEffectiveTier(t *testing.T) {
	t.Parallel()
	plus := &models.Tier{ID: 1, Name: "Plus", Paid: true, EarnMultiplierMilli: 2000, DiscountBasisPoints: 500}
	gold := &models.Tier{ID: 2, Name: "Gold", EarnMultiplierMilli: 3000, DiscountBasisPoints: 200, FreeShipping: true}
	silver := &models.Tier{ID: 3, Name: "Silver", EarnMultiplierMilli: 2000, DiscountBasisPoints: 1000}
	for _, c := range []struct {
		name                       string
		held, earned               *models.Tier
		multiplier, discount, also *models.Tier
		shipping                   bool
	}{
		{"no tier", nil, nil, nil, nil, nil, false},
		{"earned alone", gold, nil, gold, gold, nil, true},
		{"paid alone", plus, nil, plus, plus, nil, false},
		{"earned multiplier better", plus, gold, gold, plus, gold, true},
		{"tie goes to the paid tier, better discount earned", plus, silver, plus, silver, silver, false},
	} {
		b := models.EffectiveTier(c.held, c.earned)
		if b.Multiplier != c.multiplier || b.Discount != c.discount || b.Earned != c.also || b.Shipping != c.shipping {
			t.Errorf("%s: multiplier %v discount %v earned %v shipping %v", c.name, b.Multiplier, b.Discount, b.Earned, b.Shipping)
		}
	}
}

// club is a Paris shop with a points program (1 point a euro), an earned
// ladder Bronze 0 (1×), Silver 100 (1.5×), Gold 1000 (3×), and a paid
// tier Plus (2×, 5.00 a month, 3 days of grace).
type club struct {
	loyal
	bronze, silver, gold, plus *models.Tier
}

func newClub(t *testing.T, db *gorm.DB, email string) club {
	t.Helper()
	c := club{loyal: newLoyal(t, db, email, pointsInput("Points"))}
	in := func(name, pos, threshold, mult string) models.TierInput {
		return models.TierInput{Name: name, Position: pos, Threshold: threshold, EarnMultiplier: mult}
	}
	c.bronze = createTier(t, c.db, c.p.ID, in("Bronze", "1", "0", "1"))
	c.silver = createTier(t, c.db, c.p.ID, in("Silver", "2", "100", "1.5"))
	c.gold = createTier(t, c.db, c.p.ID, in("Gold", "3", "1000", "3"))
	c.plus = createTier(t, c.db, c.p.ID, models.TierInput{Name: "Plus", Position: "1", Paid: true, Fee: "5.00",
		PeriodMonths: "1", GraceDays: "3", EarnMultiplier: "2", Discount: "10"})
	return c
}

func (c club) sell(t *testing.T, memberID int64, key string, now time.Time) *models.MembershipResult {
	t.Helper()
	res, err := models.SellMembership(c.db, testActor, models.MembershipSale{ProgramID: c.p.ID, MemberID: memberID, TierID: c.plus.ID, IdempotencyKey: key}, now)
	if err != nil {
		t.Fatalf("sell %s: %v", key, err)
	}
	return res
}

func heldTier(t *testing.T, c club, memberID int64) string {
	t.Helper()
	a := accountOf(t, c.db, c.p.ID, memberID)
	for _, x := range []*models.Tier{c.bronze, c.silver, c.gold, c.plus} {
		if a.TierID != nil && *a.TierID == x.ID {
			return x.Name
		}
	}
	return "none"
}

func daily(t *testing.T, db *gorm.DB, now time.Time) models.DailyReport {
	t.Helper()
	rep, err := models.RunDaily(db, now)
	if err != nil {
		t.Fatalf("daily at %s: %v", now, err)
	}
	return rep
}

func TestMembership(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, sc := range []struct {
			name string
			run  func(t *testing.T, db *gorm.DB)
		}{
			{"SellEarnsThePaidMultiplier", membershipSellEarns},
			{"RenewalsAndGrace", membershipRenewalsAndGrace},
			{"LapseBackToEarnedTier", membershipLapseBackToEarnedTier},
			{"CancelAndRefund", membershipCancelAndRefund},
			{"Refusals", membershipRefusals},
			{"ReportsLeaveFeesOut", membershipReportsLeaveFeesOut},
			{"ConcurrentSellsCreditOnce", membershipConcurrentSells},
			{"LapseRacingRenewal", membershipLapseRacingRenewal},
		} {
			t.Run(sc.name, func(t *testing.T) { sc.run(t, db) })
		}
	})
}

// A sale records the fee as a membership purchase that earns nothing,
// holds Plus for a month, and the next purchase earns at 2×; a member
// whose earned Gold multiplies more keeps Gold's 3×.
func membershipSellEarns(t *testing.T, db *gorm.DB) {
	c := newClub(t, db, "ms-sell@example.com")
	ann := enrolNamed(t, c.db, "Ann")
	buy(t, c.db, c.p.ID, ann.ID, "150.00", "first", day0) // Silver
	res := c.sell(t, ann.ID, "sale-1", day0)
	if res.Replayed || res.Renewed || res.Purchase.Kind != models.PurchaseMembership || res.Purchase.AmountMinor != 500 || res.Purchase.Earned != 0 {
		t.Fatalf("sale: %+v", res)
	}
	paris := mustZone(t, "Europe/Paris")
	if want := models.AddMonths(day0, 1, paris); !res.Membership.EndsAt.Equal(want) || !res.Membership.Since.Equal(day0) {
		t.Errorf("membership %s to %s, want %s to %s", res.Membership.Since, res.Membership.EndsAt, day0, want)
	}
	if got := heldTier(t, c, ann.ID); got != "Plus" {
		t.Errorf("tier %s, want Plus", got)
	}
	wantBalance(t, c.db, c.p.ID, ann.ID, 150) // the fee earned nothing
	if n := countWhere(t, c.db, &models.TierChange{}, "reason = ? AND to_tier_id = ?", "joined", c.plus.ID); n != 1 {
		t.Errorf("%d tier changes into Plus, want 1", n)
	}
	wantAudit(t, lastAudit(t, c.db), "sell", "membership", res.Membership.ID)
	next := buy(t, c.db, c.p.ID, ann.ID, "10.00", "second", day0.Add(time.Hour))
	if next.Breakdown.TierName != "Plus" || next.Breakdown.Total != 20 {
		t.Errorf("purchase under Plus: %+v, want 20 at Plus", next.Breakdown)
	}
	// The same program, a Gold member: 3× beats Plus's 2×.
	bo := enrolNamed(t, c.db, "Bo")
	buy(t, c.db, c.p.ID, bo.ID, "1000.00", "bo-1", day0)
	c.sell(t, bo.ID, "bo-sale", day0)
	got := buy(t, c.db, c.p.ID, bo.ID, "10.00", "bo-2", day0.Add(time.Hour))
	if got.Breakdown.TierName != "Gold" || got.Breakdown.Total != 30 {
		t.Errorf("Gold member under Plus: %+v, want 30 at Gold", got.Breakdown)
	}
	// A fee that earns, by the owner's choice: at the tier it buys.
	if _, err := models.UpdateTier(c.db, testActor, c.p.ID, c.plus.ID, models.TierInput{Name: "Plus", Position: "1", Paid: true,
		Fee: "5.00", PeriodMonths: "1", GraceDays: "3", EarnMultiplier: "2", FeeEarns: true}); err != nil {
		t.Fatal(err)
	}
	cy := enrolNamed(t, c.db, "Cy")
	earned := c.sell(t, cy.ID, "cy-sale", day0)
	wantBalance(t, c.db, c.p.ID, cy.ID, 10)
	if p := reload[models.Purchase](t, c.db, earned.Purchase.ID); p.Earned != 10 {
		t.Errorf("earning fee: earned %d, want 10", p.Earned)
	}
	wantSound(t, db)
}

// Early and in-grace renewals extend from the old end; the daily job
// lapses past end plus grace, once; a lapsed membership sold again starts
// at the sale.
func membershipRenewalsAndGrace(t *testing.T, db *gorm.DB) {
	c := newClub(t, db, "ms-renew@example.com")
	paris := mustZone(t, "Europe/Paris")
	start := time.Date(2027, 1, 31, 9, 0, 0, 0, paris) // month ends
	end1 := time.Date(2027, 2, 28, 9, 0, 0, 0, paris)
	end2 := time.Date(2027, 3, 31, 9, 0, 0, 0, paris)
	for i, sc := range []struct {
		name      string
		renewals  []time.Time
		dailyAt   time.Time
		wantEnd   time.Time
		wantLapse bool
	}{
		{"not renewed, within grace", nil, end1.AddDate(0, 0, 3).Add(-time.Minute), end1, false},
		{"not renewed, grace over", nil, end1.AddDate(0, 0, 3), end1, true},
		{"renewed early loses no day", []time.Time{start.AddDate(0, 0, 10)}, end1.AddDate(0, 0, 4), end2, false},
		{"renewed in grace continues from the end", []time.Time{end1.AddDate(0, 0, 2)}, end1.AddDate(0, 0, 4), end2, false},
		{"renewed twice early", []time.Time{start.Add(time.Hour), start.Add(2 * time.Hour)}, end2.AddDate(0, 0, 1), time.Date(2027, 4, 30, 9, 0, 0, 0, paris), false},
	} {
		m := enrolNamed(t, c.db, fmt.Sprintf("Member %d", i))
		c.sell(t, m.ID, fmt.Sprintf("s%d", i), start)
		for j, at := range sc.renewals {
			if r := c.sell(t, m.ID, fmt.Sprintf("s%d-%d", i, j), at); !r.Renewed {
				t.Errorf("%s: renewal %d was not a renewal", sc.name, j)
			}
		}
		rep := daily(t, db, sc.dailyAt)
		ms := reload[models.Membership](t, c.db, c.membershipID(t, m.ID))
		if sc.wantLapse {
			if ms.Status != models.MembershipLapsed || rep.Lapsed < 1 || heldTier(t, c, m.ID) != "Bronze" {
				t.Errorf("%s: status %s, lapsed %d, tier %s, want lapsed to Bronze", sc.name, ms.Status, rep.Lapsed, heldTier(t, c, m.ID))
			}
			continue
		}
		if ms.Status != models.MembershipActive || !ms.EndsAt.Equal(sc.wantEnd) || heldTier(t, c, m.ID) != "Plus" {
			t.Errorf("%s: %s until %s in %s, want active until %s in Plus", sc.name, ms.Status, ms.EndsAt.In(paris), heldTier(t, c, m.ID), sc.wantEnd)
		}
	}
	// Lapsed: a rerun changes nothing; sold again, it starts at the sale.
	lapsed := enrolNamed(t, c.db, "Lapsed")
	c.sell(t, lapsed.ID, "l1", start)
	daily(t, db, end1.AddDate(0, 0, 5))
	changes := countWhere(t, c.db, &models.TierChange{}, "1 = 1")
	if rep := daily(t, db, end1.AddDate(0, 0, 6)); rep.Lapsed != 0 || countWhere(t, c.db, &models.TierChange{}, "1 = 1") != changes {
		t.Errorf("rerun lapsed %d and moved tiers", rep.Lapsed)
	}
	later := end1.AddDate(0, 0, 10)
	again := c.sell(t, lapsed.ID, "l2", later)
	if again.Renewed || !again.Membership.Since.Equal(later) || !again.Membership.EndsAt.Equal(models.AddMonths(later, 1, paris)) {
		t.Errorf("sold again after lapse: %+v, want a month from %s", again.Membership, later)
	}
	// Ending within 30 days of the last sale's day, soonest first.
	ending, err := models.ListMembershipsEnding(c.db, 30, later, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ending) == 0 || ending[0].Membership.EndsAt.After(ending[len(ending)-1].Membership.EndsAt) || ending[0].Tier.Name != "Plus" {
		t.Errorf("ending list: %+v", ending)
	}
	wantSound(t, db)
}

func (c club) membershipID(t *testing.T, memberID int64) int64 {
	t.Helper()
	a := accountOf(t, c.db, c.p.ID, memberID)
	ms, err := models.MembershipOf(c.db, a.ID)
	if err != nil || ms == nil {
		t.Fatalf("membership of %d: %v", memberID, err)
	}
	return ms.ID
}

// A lapse puts each member in the earned tier their value reaches, with
// a tier change that says so.
func membershipLapseBackToEarnedTier(t *testing.T, db *gorm.DB) {
	c := newClub(t, db, "ms-lapse@example.com")
	type want struct {
		id   int64
		name string
		tier string
	}
	var wants []want
	for _, sc := range []struct{ spent, tier string }{
		{"", "Bronze"}, {"99.00", "Bronze"}, {"100.00", "Silver"}, {"999.00", "Silver"}, {"1000.00", "Gold"},
	} {
		m := enrolNamed(t, c.db, "Spent "+sc.spent)
		if sc.spent != "" {
			buy(t, c.db, c.p.ID, m.ID, sc.spent, "b"+sc.spent, day0)
		}
		c.sell(t, m.ID, "m"+sc.spent, day0)
		wants = append(wants, want{m.ID, "spent " + sc.spent, sc.tier})
	}
	// Earned while in Plus counts: 30.00 at 2x takes 50 to 110, Silver.
	late := enrolNamed(t, c.db, "Late")
	buy(t, c.db, c.p.ID, late.ID, "50.00", "late-1", day0)
	c.sell(t, late.ID, "late-m", day0)
	buy(t, c.db, c.p.ID, late.ID, "30.00", "late-2", day0.Add(time.Hour))
	wants = append(wants, want{late.ID, "earned in Plus", "Silver"})

	rep := daily(t, db, day0.AddDate(0, 2, 0))
	if rep.Lapsed != len(wants) {
		t.Errorf("lapsed %d, want %d", rep.Lapsed, len(wants))
	}
	for _, w := range wants {
		if got := heldTier(t, c, w.id); got != w.tier {
			t.Errorf("%s: lapsed to %s, want %s", w.name, got, w.tier)
		}
		a := accountOf(t, c.db, c.p.ID, w.id)
		if n := countWhere(t, c.db, &models.TierChange{}, "account_id = ? AND reason = ? AND from_tier_id = ?", a.ID, "lapsed", c.plus.ID); n != 1 {
			t.Errorf("%s: %d lapse tier changes, want 1", w.name, n)
		}
	}
	wantSound(t, db)
}

// Cancelling at once moves the member back and may refund through the
// refund path; at the period's end, the daily job ends it then, without
// grace.
func membershipCancelAndRefund(t *testing.T, db *gorm.DB) {
	c := newClub(t, db, "ms-cancel@example.com")
	paris := mustZone(t, "Europe/Paris")
	start := time.Date(2027, 4, 1, 0, 0, 0, 0, paris) // April: 30 days
	half := start.Add(15 * 24 * time.Hour)
	for _, sc := range []struct {
		refund string
		want   int64
	}{{models.RefundNone, 0}, {models.RefundFull, 500}, {models.RefundProRata, 250}} {
		m := enrolNamed(t, c.db, "Cancel "+sc.refund)
		sale := c.sell(t, m.ID, "c-"+sc.refund, start)
		res, err := models.CancelMembership(c.db, testActor, sale.Membership.ID,
			models.MembershipCancel{When: models.CancelNow, Refund: sc.refund, IdempotencyKey: "k-" + sc.refund}, half)
		if err != nil {
			t.Fatalf("cancel %s: %v", sc.refund, err)
		}
		if res.RefundedMinor != sc.want || res.Membership.Status != models.MembershipCancelled || heldTier(t, c, m.ID) != "Bronze" {
			t.Errorf("cancel %s: refunded %d, %s, tier %s; want %d, cancelled, Bronze", sc.refund, res.RefundedMinor, res.Membership.Status, heldTier(t, c, m.ID), sc.want)
		}
		if p := reload[models.Purchase](t, c.db, sale.Purchase.ID); p.RefundedMinor != sc.want {
			t.Errorf("cancel %s: fee refunded %d, want %d", sc.refund, p.RefundedMinor, sc.want)
		}
		wantAudit(t, lastAudit(t, c.db), "cancel", "membership", sale.Membership.ID)
		if _, err := models.CancelMembership(c.db, testActor, sale.Membership.ID,
			models.MembershipCancel{When: models.CancelNow, Refund: sc.refund, IdempotencyKey: "k2-" + sc.refund}, half); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("second cancel: %v, want a conflict", err)
		}
	}
	if n := countWhere(t, c.db, &models.Refund{}, "1 = 1"); n != 2 {
		t.Errorf("%d refunds, want 2", n)
	}
	// Renewed early, then cancelled pro rata at half the first month: the
	// unbegun month comes back whole.
	m := enrolNamed(t, c.db, "Renewed then cancelled")
	sale := c.sell(t, m.ID, "r1", start)
	c.sell(t, m.ID, "r2", start.Add(time.Hour))
	res, err := models.CancelMembership(c.db, testActor, sale.Membership.ID,
		models.MembershipCancel{When: models.CancelNow, Refund: models.RefundProRata, IdempotencyKey: "rk"}, half)
	if err != nil || res.RefundedMinor != 750 {
		t.Errorf("pro rata over two periods: %v, refunded %d, want 750", err, res.RefundedMinor)
	}
	// At the period's end: held until then, ended then without grace.
	e := enrolNamed(t, c.db, "At end")
	sale = c.sell(t, e.ID, "e1", start)
	if _, err := models.CancelMembership(c.db, testActor, sale.Membership.ID,
		models.MembershipCancel{When: models.CancelAtPeriod, Refund: models.RefundNone, IdempotencyKey: "ek"}, half); err != nil {
		t.Fatal(err)
	}
	daily(t, db, half.Add(time.Hour))
	if heldTier(t, c, e.ID) != "Plus" {
		t.Errorf("cancelled at end: left Plus before the end")
	}
	daily(t, db, sale.Membership.EndsAt.Add(time.Minute))
	if ms := reload[models.Membership](t, c.db, sale.Membership.ID); ms.Status != models.MembershipCancelled || heldTier(t, c, e.ID) != "Bronze" {
		t.Errorf("cancelled at end, after the end: %s in %s", ms.Status, heldTier(t, c, e.ID))
	}
	wantSound(t, db)
}

// Bad input is refused with a message and writes nothing.
func membershipRefusals(t *testing.T, db *gorm.DB) {
	c := newClub(t, db, "ms-refuse@example.com")
	ann := enrolNamed(t, c.db, "Ann")
	before := countWhere(t, c.db, &models.Purchase{}, "1 = 1")
	for _, sc := range []struct {
		name string
		in   models.MembershipSale
		code string
	}{
		{"an earned tier", models.MembershipSale{ProgramID: c.p.ID, MemberID: ann.ID, TierID: c.gold.ID, IdempotencyKey: "x1"}, models.EINVALID},
		{"no key", models.MembershipSale{ProgramID: c.p.ID, MemberID: ann.ID, TierID: c.plus.ID}, models.EINVALID},
		{"no such member", models.MembershipSale{ProgramID: c.p.ID, MemberID: 999999, TierID: c.plus.ID, IdempotencyKey: "x2"}, models.ENOTFOUND},
		{"no such tier", models.MembershipSale{ProgramID: c.p.ID, MemberID: ann.ID, TierID: 999999, IdempotencyKey: "x3"}, models.ENOTFOUND},
	} {
		if _, err := models.SellMembership(c.db, testActor, sc.in, day0); models.ErrorCode(err) != sc.code {
			t.Errorf("%s: %v, want %s", sc.name, err, sc.code)
		}
	}
	// The paid tier's settings are bounded.
	for _, grace := range []string{"366", "-1", "x"} {
		_, err := models.UpdateTier(c.db, testActor, c.p.ID, c.plus.ID, models.TierInput{Name: "Plus", Position: "1", Paid: true,
			Fee: "5.00", PeriodMonths: "1", GraceDays: grace, EarnMultiplier: "2"})
		wantFieldMessage(t, err, "grace_days", "0 to 365")
	}
	// A key reused for a purchase is not a sale.
	buy(t, c.db, c.p.ID, ann.ID, "10.00", "used", day0)
	if _, err := models.SellMembership(c.db, testActor, models.MembershipSale{ProgramID: c.p.ID, MemberID: ann.ID, TierID: c.plus.ID, IdempotencyKey: "used"}, day0); models.ErrorCode(err) != models.ECONFLICT {
		t.Errorf("key of a purchase: %v, want a conflict", err)
	}
	if n := countWhere(t, c.db, &models.Purchase{}, "1 = 1"); n != before+1 {
		t.Errorf("%d purchases, want %d", n, before+1)
	}
	sale := c.sell(t, ann.ID, "ok", day0)
	if _, err := models.CancelMembership(c.db, testActor, sale.Membership.ID,
		models.MembershipCancel{When: models.CancelAtPeriod, Refund: models.RefundFull, IdempotencyKey: "k"}, day0); models.ErrorCode(err) != models.EINVALID {
		t.Errorf("refund at period end: %v, want invalid", err)
	}
	if _, err := models.CancelMembership(c.db, testActor, sale.Membership.ID,
		models.MembershipCancel{When: "later", Refund: models.RefundNone, IdempotencyKey: "k"}, day0); models.ErrorCode(err) != models.EINVALID {
		t.Errorf("bad when: %v, want invalid", err)
	}
	// Another merchant's membership is not found, and stays as it is.
	other := newShop(t, db, "ms-refuse-other@example.com")
	if _, err := models.CancelMembership(other.db, testActor, sale.Membership.ID,
		models.MembershipCancel{When: models.CancelNow, Refund: models.RefundNone, IdempotencyKey: "k"}, day0); models.ErrorCode(err) != models.ENOTFOUND {
		t.Errorf("other merchant's cancel: %v, want not found", err)
	}
	if ms := reload[models.Membership](t, c.db, sale.Membership.ID); ms.Status != models.MembershipActive {
		t.Errorf("other merchant's cancel changed it: %s", ms.Status)
	}
}

// The reports count product sales: a fee is neither revenue nor a visit.
func membershipReportsLeaveFeesOut(t *testing.T, db *gorm.DB) {
	c := newClub(t, db, "ms-reports@example.com")
	ann := enrolNamed(t, c.db, "Ann")
	buy(t, c.db, c.p.ID, ann.ID, "12.00", "b", day0)
	c.sell(t, ann.ID, "m", day0)
	if err := models.CatchUpRollups(c.db, day0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var sales []models.DailySales
	if err := c.db.Find(&sales).Error; err != nil {
		t.Fatal(err)
	}
	var revenue, purchases int64
	for _, s := range sales {
		revenue, purchases = revenue+s.RevenueMinor, purchases+s.Purchases
	}
	if revenue != 1200 || purchases != 1 {
		t.Errorf("rollups: revenue %d over %d purchases, want 1200 over 1", revenue, purchases)
	}
}

// 20 submissions of one sale form at once: one fee, one period, one month.
func membershipConcurrentSells(t *testing.T, db *gorm.DB) {
	hammerable(t, db)
	c := newClub(t, db, "ms-race-sell@example.com")
	ann := enrolNamed(t, c.db, "Ann")
	const n = 20
	results := make([]*models.MembershipResult, n)
	errs := concurrently(n, func(i int) error {
		var err error
		results[i], err = models.SellMembership(c.db, testActor, models.MembershipSale{ProgramID: c.p.ID, MemberID: ann.ID, TierID: c.plus.ID, IdempotencyKey: "one-form"}, day0)
		return err
	})
	if ok, _ := outcomes(t, errs); ok != n {
		t.Fatalf("%d of %d submissions answered", ok, n)
	}
	replayed := 0
	for _, r := range results {
		if r.Replayed {
			replayed++
		}
		if r.Membership.Months != 1 {
			t.Errorf("a submission saw %d months, want 1", r.Membership.Months)
		}
	}
	if replayed != n-1 {
		t.Errorf("%d replays, want %d", replayed, n-1)
	}
	if p, per := countWhere(t, c.db, &models.Purchase{}, "kind = ?", models.PurchaseMembership), countWhere(t, c.db, &models.MembershipPeriod{}, "1 = 1"); p != 1 || per != 1 {
		t.Errorf("%d fees and %d periods, want 1 and 1", p, per)
	}
	wantSound(t, db)
}

// The daily job and renewals at once, on memberships past their end and
// grace: whichever goes first, every member ends in Plus, renewed.
func membershipLapseRacingRenewal(t *testing.T, db *gorm.DB) {
	hammerable(t, db)
	c := newClub(t, db, "ms-race-lapse@example.com")
	const n = 8
	var members []*models.Member
	for i := range n {
		m := enrolNamed(t, c.db, fmt.Sprintf("Racer %d", i))
		c.sell(t, m.ID, fmt.Sprintf("first-%d", i), day0)
		members = append(members, m)
	}
	// Past end and grace; a renewal from the old end still reaches past now.
	now := day0.AddDate(0, 1, 5)
	errs := concurrently(n+1, func(i int) error {
		if i == n {
			_, err := models.RunDaily(db, now)
			return err
		}
		_, err := models.SellMembership(c.db, testActor, models.MembershipSale{ProgramID: c.p.ID, MemberID: members[i].ID, TierID: c.plus.ID, IdempotencyKey: fmt.Sprintf("renew-%d", i)}, now)
		return err
	})
	if ok, _ := outcomes(t, errs); ok != n+1 {
		t.Fatalf("%d of %d calls went through", ok, n+1)
	}
	for _, m := range members {
		ms := reload[models.Membership](t, c.db, c.membershipID(t, m.ID))
		if got := heldTier(t, c, m.ID); got != "Plus" || ms.Status != models.MembershipActive || !ms.EndsAt.After(now) {
			t.Errorf("%s: %s, %s until %s; want Plus, active past %s", m.Name, got, ms.Status, ms.EndsAt, now)
		}
	}
	// Whatever the race did, a run now changes nothing.
	if rep := daily(t, db, now); rep.Lapsed != 0 {
		t.Errorf("a run after the race lapsed %d", rep.Lapsed)
	}
	wantSound(t, db)
}
