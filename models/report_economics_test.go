package models_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// econNow is when the hand-built history is read: 20 June 2026, Paris.
var econNow = on(2026, 6, 20)

// econHistory builds a dozen members' history over six months (January to
// June 2026, Paris), plus two older goodwill credits, in a points program
// worth 0.005 EUR a point with Bronze (0) and Gold (100 lifetime points)
// tiers. Expiry is off until 1 January 2026, then 3 months after earning;
// the daily job runs on 20 April and 20 May only. Every amount is whole
// euros, 1 point per euro.
//
//	2025-05-15 Ann +50 goodwill (no expiry)   2025-10-15 Bob +40 goodwill (no expiry)
//	2026-01-01 expiry becomes "3 months after earning"
//	01-10 buys: Cat 30, Dan 80, Ann 20        (lapse 10 April)
//	02-10 buys: Eve 60, Cat 25, Fay 120       (lapse 10 May; Fay is Gold)
//	02-20 Fay redeems Cake (100 pts, worth 4.00): her February lot keeps 20
//	03-10 buys: Gus 45, Dan 30                (lapse 10 June; Dan reaches 110: Gold)
//	03-15 Dan redeems Free coffee (50, worth 2.50): his January lot keeps 30
//	04-03 a non-member buys 8.00
//	04-10 buys: Hal 70, Ivy 15
//	04-20 daily: expires the January lots left: Cat 30, Dan 30, Ann 20 = 80
//	04-25 Gus's purchase refunded 15.00 of 45.00: clawback 15 (March lot keeps 30)
//	05-01 Hal redeems Free coffee (50) … 05-05 cancelled: his April lot is whole again
//	05-10 buys: Jon 90, Eve 10
//	05-20 daily: expires the February lots left: Eve 60, Cat 25, Fay 20 = 105
//	05-21 Bob debited 10 by hand (Correction): his October lot keeps 30
//	05-25 Jon redeems Free coffee (50): his May lot keeps 40
//	06-05 a non-member buys 12.50
//	06-10 buys: Kim 35, Fay 20               Lea never buys.
func econHistory(t *testing.T, db *gorm.DB) (loyal, map[string]*models.Member) {
	t.Helper()
	in := pointsInput("Coffee")
	in.PointValue = "0.005"
	l := newLoyal(t, db, "econ@example.com", in)
	ladder(t, l.db, l.p.ID, []string{"Bronze", "Gold"}, []int{0, 100})
	coffee := rewardInput("Free coffee")
	coffee.Cost, coffee.Value = "50", "2.50"
	cake := rewardInput("Cake")
	cake.Cost, cake.Value = "100", "4.00"
	rCoffee, rCake := createReward(t, l.db, l.p.ID, coffee), createReward(t, l.db, l.p.ID, cake)
	ms := map[string]*models.Member{}
	for _, name := range []string{"Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lea"} {
		ms[name] = enrol(t, l.db, models.MemberInput{Name: name}, on(2025, 5, 1))
	}
	n := 0
	buyAs := func(name, amount string, at time.Time) *models.PurchaseResult {
		n++
		var id int64
		if name != "" {
			id = ms[name].ID
		}
		return buy(t, l.db, l.p.ID, id, amount, fmt.Sprint("econ-", n), at)
	}
	redeem := func(name string, r *models.Reward, at time.Time) *models.Voucher {
		n++
		v, err := models.Redeem(l.db, testActor, models.RedeemInput{MemberID: ms[name].ID, ProgramID: l.p.ID,
			RewardID: r.ID, IdempotencyKey: fmt.Sprint("econ-", n)}, at)
		if err != nil {
			t.Fatalf("%s redeems %s: %v", name, r.Name, err)
		}
		return v
	}
	daily := func(at time.Time) {
		if _, err := models.RunDaily(db, at); err != nil {
			t.Fatal(err)
		}
	}
	grant(t, l.db, l.p.ID, ms["Ann"].ID, 50, on(2025, 5, 15))
	grant(t, l.db, l.p.ID, ms["Bob"].ID, 40, on(2025, 10, 15))
	in.ExpiryPolicy, in.ExpiryMonths = string(models.ExpireAfterEarning), "3"
	if _, err := models.UpdateProgram(l.db, testActor, l.p.ID, in); err != nil {
		t.Fatal(err)
	}
	buyAs("Cat", "30.00", on(2026, 1, 10))
	buyAs("Dan", "80.00", on(2026, 1, 10))
	buyAs("Ann", "20.00", on(2026, 1, 10))
	buyAs("Eve", "60.00", on(2026, 2, 10))
	buyAs("Cat", "25.00", on(2026, 2, 10))
	buyAs("Fay", "120.00", on(2026, 2, 10))
	redeem("Fay", rCake, on(2026, 2, 20))
	gus := buyAs("Gus", "45.00", on(2026, 3, 10))
	buyAs("Dan", "30.00", on(2026, 3, 10))
	redeem("Dan", rCoffee, on(2026, 3, 15))
	buyAs("", "8.00", on(2026, 4, 3))
	buyAs("Hal", "70.00", on(2026, 4, 10))
	buyAs("Ivy", "15.00", on(2026, 4, 10))
	daily(on(2026, 4, 20))
	if _, err := models.RefundPurchase(l.db, testActor, gus.Purchase.ID, "15.00", "econ-refund", on(2026, 4, 25)); err != nil {
		t.Fatal(err)
	}
	hal := redeem("Hal", rCoffee, on(2026, 5, 1))
	if _, err := models.CancelVoucher(l.db, testActor, hal.ID, on(2026, 5, 5)); err != nil {
		t.Fatal(err)
	}
	buyAs("Jon", "90.00", on(2026, 5, 10))
	buyAs("Eve", "10.00", on(2026, 5, 10))
	daily(on(2026, 5, 20))
	grant(t, l.db, l.p.ID, ms["Bob"].ID, -10, on(2026, 5, 21))
	redeem("Jon", rCoffee, on(2026, 5, 25))
	buyAs("", "12.50", on(2026, 6, 5))
	buyAs("Kim", "35.00", on(2026, 6, 10))
	buyAs("Fay", "20.00", on(2026, 6, 10))
	return l, ms
}

func economics(t *testing.T, l loyal, q models.RangeQuery) *models.Economics {
	t.Helper()
	r, err := models.ParseReportRange(l.db, q, econNow, l.m.Location())
	if err != nil {
		t.Fatal(err)
	}
	e, err := models.GetEconomics(l.db, l.p.ID, r, econNow)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEconomicsKnownAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l, _ := econHistory(t, db)
		spring := economics(t, l, models.RangeQuery{From: "2026-04-01", To: "2026-05-31"})
		all := economics(t, l, models.RangeQuery{Range: "all"})

		t.Run("liability aged by the month earned", func(t *testing.T) {
			// Left of each earning, oldest spent first:
			//   2025-05 Ann 50 · 2025-10 Bob 40-10 = 30 · 2026-01 nothing
			//   (Cat 30, Dan 80-50, Ann 20 all lapsed) · 2026-02 nothing (Eve 60,
			//   Cat 25 and Fay 120-100 lapsed) · 2026-03 Dan 30 + Gus 45-15 = 60 ·
			//   2026-04 Hal 70 (the cancel gave back) + Ivy 15 = 85 · 2026-05
			//   Jon 90-50 + Eve 10 = 50 · 2026-06 Kim 35 + Fay 20 = 55.
			// June is age 0: 0–3 = Apr+May+Jun = 190, 3–6 = Jan+Feb+Mar = 60,
			// 6–12 = Jul..Dec 2025 = 30, 12+ = 50. Total 330, the sum of
			// the balances (no one is in debt).
			var got []int64
			for _, b := range all.Aging {
				got = append(got, b.Points)
			}
			if !slices.Equal(got, []int64{190, 60, 30, 50}) || all.Outstanding != 330 {
				t.Fatalf("aging = %v, outstanding %d", got, all.Outstanding)
			}
			if spring.Outstanding != 330 { // as of today, whatever the range
				t.Fatalf("outstanding in a range = %d", spring.Outstanding)
			}
			if v := all.Value(330); v != "1.65" {
				t.Fatalf("value = %s", v)
			}
			if v := all.Value(85); v != "0.425" {
				t.Fatalf("value of 85 = %s", v)
			}
		})

		t.Run("breakage", func(t *testing.T) {
			// Issued over all time: goodwill 90 + purchases 130 + 205 + 75 +
			// 85 + 100 + 55 = 740, less the clawback 15 = 725. Expired 80 +
			// 105 = 185: 185 / 725 = 25.517…% → 25.52 %.
			if all.Lifetime != (models.PointsFlow{Issued: 725, Expired: 185}) || all.InRange != all.Lifetime {
				t.Fatalf("lifetime = %+v, all-time range = %+v", all.Lifetime, all.InRange)
			}
			if b, ok := all.Lifetime.Breakage(); !ok || b != 2552 {
				t.Fatalf("lifetime breakage = %d", b)
			}
			// April–May: issued 85 + 100 - 15 = 170; expired 185 (points
			// issued before the range lapsed in it): 108.82 %.
			if spring.InRange != (models.PointsFlow{Issued: 170, Expired: 185}) || spring.Lifetime != all.Lifetime {
				t.Fatalf("range = %+v, lifetime = %+v", spring.InRange, spring.Lifetime)
			}
			if b, _ := spring.InRange.Breakage(); b != 10882 {
				t.Fatalf("range breakage = %d", b)
			}
			// Forecast: 330 × (1 - 185/725) × 0.005 = 1.22897… → 1.23 EUR.
			if f := all.ForecastMinor(); f != 123 {
				t.Fatalf("forecast = %d", f)
			}
		})

		t.Run("month-end statement", func(t *testing.T) {
			// Before April: 90 + 130 + 205 + 75 issued, 100 + 50 redeemed = 350.
			// April: +85 issued, 15 reversed (clawback), 80 expired → 340.
			// May: +100, 10 reversed (debit), redeemed Hal 50 - 50 cancelled
			// + Jon 50 = 50, 105 expired → 275.
			want := []models.StatementMonth{
				{Month: "2026-04", Opening: 350, Issued: 85, Reversed: 15, Redeemed: 0, Expired: 80, Closing: 340},
				{Month: "2026-05", Opening: 340, Issued: 100, Reversed: 10, Redeemed: 50, Expired: 105, Closing: 275},
			}
			if !slices.Equal(spring.Statement, want) {
				t.Fatalf("statement = %+v", spring.Statement)
			}
			// All time: May 2025 to this month, tying out every month and
			// closing at the outstanding 330.
			s := all.Statement
			if len(s) != 14 || s[0] != (models.StatementMonth{Month: "2025-05", Issued: 50, Closing: 50}) ||
				s[13].Month != "2026-06" || s[13].Closing != 330 || s[13].Issued != 55 || s[13].Redeemed != 0 {
				t.Fatalf("all-time statement = %+v", s)
			}
			for i, m := range s {
				if m.Opening+m.Issued-m.Reversed-m.Redeemed-m.Expired != m.Closing || i > 0 && m.Opening != s[i-1].Closing {
					t.Fatalf("%s does not tie out: %+v", m.Month, m)
				}
			}
		})

		t.Run("cost of rewards", func(t *testing.T) {
			// April–May: Jon's coffee only; Hal's was cancelled.
			if len(spring.Rewards) != 1 || spring.Rewards[0].Name != "Free coffee" ||
				spring.Rewards[0].Redemptions != 1 || spring.Rewards[0].Points != 50 || spring.Rewards[0].ValueMinor != 250 {
				t.Fatalf("spring rewards = %+v", spring.Rewards)
			}
			// All time: Dan's and Jon's coffees (5.00), Fay's cake (4.00).
			if len(all.Rewards) != 2 || all.Rewards[0].Name != "Free coffee" || all.Rewards[0].Redemptions != 2 ||
				all.Rewards[0].ValueMinor != 500 || all.Rewards[1].Name != "Cake" || all.Rewards[1].ValueMinor != 400 {
				t.Fatalf("all rewards = %+v", all.Rewards)
			}
		})

		t.Run("spend by segment", func(t *testing.T) {
			// April–May: non-member 8.00; Hal 70, Ivy 15, Eve 10 never
			// redeemed (Hal's only voucher was cancelled); Jon 90 did. All
			// four are Bronze now; Dan and Fay (Gold) bought nothing then.
			want := []models.Segment{
				{Name: "Non-members", Customers: -1, Purchases: 1, RevenueMinor: 800},
				{Name: "Members who never redeemed", Customers: 3, Purchases: 3, RevenueMinor: 9500},
				{Name: "Members who redeemed", Customers: 1, Purchases: 1, RevenueMinor: 9000},
				{Name: "Tier Bronze", Customers: 4, Purchases: 4, RevenueMinor: 18500},
				{Name: "Tier Gold"},
			}
			if !slices.Equal(spring.Segments, want) {
				t.Fatalf("spring segments = %+v", spring.Segments)
			}
			if aov, _ := spring.Segments[1].AverageOrderMinor(); aov != 3167 { // 95.00 / 3
				t.Fatalf("average order = %d", aov)
			}
			// All time, revenue net of Gus's refund: never redeemed Ann 20,
			// Cat 30+25, Eve 60+10, Gus 45-15, Hal 70, Ivy 15, Kim 35 (7
			// customers, 9 purchases, 295.00); redeemed Dan 80+30, Fay
			// 120+20, Jon 90 (3, 5, 340.00); Gold = Dan and Fay (2, 4,
			// 250.00); Bronze the other 8 (10 purchases, 385.00).
			want = []models.Segment{
				{Name: "Non-members", Customers: -1, Purchases: 2, RevenueMinor: 2050},
				{Name: "Members who never redeemed", Customers: 7, Purchases: 9, RevenueMinor: 29500},
				{Name: "Members who redeemed", Customers: 3, Purchases: 5, RevenueMinor: 34000},
				{Name: "Tier Bronze", Customers: 8, Purchases: 10, RevenueMinor: 38500},
				{Name: "Tier Gold", Customers: 2, Purchases: 4, RevenueMinor: 25000},
			}
			if !slices.Equal(all.Segments, want) {
				t.Fatalf("all-time segments = %+v", all.Segments)
			}
			if ppc, _ := all.Segments[2].PurchasesPerCustomer(); ppc != 167 { // 5 / 3
				t.Fatalf("purchases per customer = %d", ppc)
			}
			if spc, _ := all.Segments[4].SpendPerCustomerMinor(); spc != 12500 {
				t.Fatalf("spend per customer = %d", spc)
			}
			// A program created since has every customer without a tier or
			// a redemption in it.
			tea := loyal{shop: l.shop, p: createProgram(t, l.db, pointsInput("Tea"))}
			fresh := economics(t, tea, models.RangeQuery{Range: "all"}).Segments
			if len(fresh) != 3 || fresh[1] != (models.Segment{Name: "Members who never redeemed", Customers: 10, Purchases: 14, RevenueMinor: 63500}) ||
				fresh[2].Customers != 0 {
				t.Fatalf("a new program's segments = %+v", fresh)
			}
			if wide := economics(t, tea, models.RangeQuery{From: "2025-01-01", To: "2026-06-20"}).Segments; !slices.Equal(wide, fresh) {
				t.Fatalf("a new program's wide range = %+v", wide)
			}
			// A range covering everything reads the purchases themselves and
			// agrees with the rollup.
			wide := economics(t, l, models.RangeQuery{From: "2025-01-01", To: "2026-06-20"})
			if !slices.Equal(wide.Segments, all.Segments) {
				t.Fatalf("wide range = %+v", wide.Segments)
			}
		})
	})
}

// Another merchant's program is not found, and the figures are scoped.
func TestEconomicsTenantIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newLoyal(t, db, "econ-a@example.com", pointsInput("A"))
		b := newLoyal(t, db, "econ-b@example.com", pointsInput("B"))
		m := enrolNamed(t, b.db, "Zed")
		buy(t, b.db, b.p.ID, m.ID, "10.00", "z1", day0)
		all, err := models.ParseReportRange(a.db, models.RangeQuery{Range: "all"}, day0, a.m.Location())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.GetEconomics(a.db, b.p.ID, all, day0); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("other merchant's program: %v", err)
		}
		e, err := models.GetEconomics(a.db, a.p.ID, all, day0)
		if err != nil {
			t.Fatal(err)
		}
		if e.Outstanding != 0 || e.Lifetime.Issued != 0 || e.Segments[1].Customers != 0 || len(e.Statement) != 0 {
			t.Fatalf("merchant A sees B: %+v", e)
		}
	})
}
