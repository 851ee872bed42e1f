package models_test

import (
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// dashboardHistory is a small café's autumn, made through the real model
// functions in time order, for the dashboard of November 2026 (Paris):
//
//	members  Ada    joined 15 Sep        (before both periods)
//	         Ben    joined 10 Oct        (previous period)
//	         Eve    joined 1 Nov 00:15   (31 Oct in UTC: the range)
//	         Cleo   joined 3 Nov         (the range)
//	sales    5 Oct  Ada  30.00  +30 pts
//	        12 Oct  anonymous 10.00
//	        20 Oct  Ben  20.00  +20 pts, 5.00 refunded on 2 Nov (-5 pts)
//	        25 Oct  Ben redeems Coffee (20 pts)
//	         6 Nov  daily run: Ada's 30 points of 5 Oct expire (1 month)
//	         8 Nov  Ada  50.00  +50 pts, Silver (40 earned); 10.00 refunded 15 Nov (-10 pts)
//	         9 Nov  Ada redeems Coffee (20)
//	        10 Nov  Cleo 45.00  +45 pts, Silver
//	        11 Nov  Cleo redeems Cake (30), cancelled on 18 Nov (+30)
//	        12 Nov  anonymous 25.00
//	        16 Nov  Ada redeems Coffee (20)
//	        20 Nov  Cleo +15 by hand; 21 Nov -5 by hand
//	        30 Nov 23:30  anonymous 5.00 (the range's last minutes)
//	         1 Dec 00:30  Ben 7.00 +7 pts (30 Nov in UTC: after the range)
func dashboardHistory(t *testing.T, db *gorm.DB) (loyal, *models.Member) {
	t.Helper()
	paris := mustZone(t, "Europe/Paris")
	at := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, paris)
	}
	in := pointsInput("Coffee Club")
	in.PointValue, in.ExpiryPolicy, in.ExpiryMonths = "0.05", "after_earning", "1"
	l := newLoyal(t, db, "dashboard@example.com", in)
	for i, tier := range []models.TierInput{{Name: "Bronze", Threshold: "0"}, {Name: "Silver", Threshold: "40"}} {
		tier.Position = fmt.Sprint(i + 1)
		if _, err := models.CreateTier(l.db, testActor, l.p.ID, tier); err != nil {
			t.Fatal(err)
		}
	}
	coffee, err := models.SaveReward(l.db, testActor, l.p.ID, 0, models.RewardInput{Name: "Coffee", Type: "free_item", Cost: "20", Value: "3.00"})
	if err != nil {
		t.Fatal(err)
	}
	cake, err := models.SaveReward(l.db, testActor, l.p.ID, 0, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "30", Value: "4.50"})
	if err != nil {
		t.Fatal(err)
	}
	redeem := func(m *models.Member, r *models.Reward, key string, now time.Time) *models.Voucher {
		t.Helper()
		v, err := models.Redeem(l.db, testActor, models.RedeemInput{MemberID: m.ID, ProgramID: l.p.ID, RewardID: r.ID, IdempotencyKey: key}, now)
		if err != nil {
			t.Fatalf("redeem %s: %v", key, err)
		}
		return v
	}
	refund := func(p *models.PurchaseResult, amount, key string, now time.Time) {
		t.Helper()
		if _, err := models.RefundPurchase(l.db, testActor, p.Purchase.ID, amount, key, now); err != nil {
			t.Fatalf("refund %s: %v", key, err)
		}
	}
	ada := enrol(t, l.db, models.MemberInput{Name: "Ada"}, at(time.September, 15, 10, 0))
	buy(t, l.db, l.p.ID, ada.ID, "30.00", "p1", at(time.October, 5, 12, 0))
	ben := enrol(t, l.db, models.MemberInput{Name: "Ben"}, at(time.October, 10, 10, 0))
	buy(t, l.db, l.p.ID, 0, "10.00", "p2", at(time.October, 12, 12, 0))
	p3 := buy(t, l.db, l.p.ID, ben.ID, "20.00", "p3", at(time.October, 20, 12, 0))
	redeem(ben, coffee, "r0", at(time.October, 25, 12, 0))
	// A first look mid-way builds the rollups; what follows is caught up
	// from marks, and the refund of 2 Nov lowers October's revenue after.
	early := at(time.November, 1, 0, 5)
	october, err := models.ReportRangeOf(models.RangeQuery{From: "2026-10-02", To: "2026-10-31"}, early, paris, "")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := models.ReportDashboard(l.db, models.DashboardQuery{Range: october, ProgramID: l.p.ID, Now: early}); err != nil || d.Revenue.Current != 6000 {
		t.Fatalf("October seen on 1 November: %v, %v; want revenue 60.00", d, err)
	}
	enrol(t, l.db, models.MemberInput{Name: "Eve"}, at(time.November, 1, 0, 15))
	refund(p3, "5.00", "f1", at(time.November, 2, 12, 0))
	cleo := enrol(t, l.db, models.MemberInput{Name: "Cleo"}, at(time.November, 3, 10, 0))
	if _, err := models.RunDaily(db, at(time.November, 6, 3, 0)); err != nil {
		t.Fatal(err)
	}
	p4 := buy(t, l.db, l.p.ID, ada.ID, "50.00", "p4", at(time.November, 8, 12, 0))
	redeem(ada, coffee, "r1", at(time.November, 9, 12, 0))
	buy(t, l.db, l.p.ID, cleo.ID, "45.00", "p5", at(time.November, 10, 12, 0))
	cakeVoucher := redeem(cleo, cake, "r2", at(time.November, 11, 12, 0))
	buy(t, l.db, l.p.ID, 0, "25.00", "p6", at(time.November, 12, 12, 0))
	refund(p4, "10.00", "f2", at(time.November, 15, 12, 0))
	redeem(ada, coffee, "r3", at(time.November, 16, 12, 0))
	if _, err := models.CancelVoucher(l.db, testActor, cakeVoucher.ID, at(time.November, 18, 12, 0)); err != nil {
		t.Fatal(err)
	}
	grant(t, l.db, l.p.ID, cleo.ID, 15, at(time.November, 20, 12, 0))
	grant(t, l.db, l.p.ID, cleo.ID, -5, at(time.November, 21, 12, 0))
	buy(t, l.db, l.p.ID, 0, "5.00", "p7", at(time.November, 30, 23, 30))
	buy(t, l.db, l.p.ID, ben.ID, "7.00", "p8", at(time.December, 1, 0, 30))
	return l, ada
}

func novemberRange(t *testing.T) models.ReportRange {
	t.Helper()
	paris := mustZone(t, "Europe/Paris")
	r, err := models.ReportRangeOf(models.RangeQuery{From: "2026-11-01", To: "2026-11-30"}, time.Date(2026, 12, 1, 12, 0, 0, 0, paris), paris, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The dashboard of November against October, worked out by hand from
// dashboardHistory.
func TestReportDashboardKnownAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l, _ := dashboardHistory(t, db)
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, mustZone(t, "Europe/Paris"))
		d, err := models.ReportDashboard(l.db, models.DashboardQuery{Range: novemberRange(t), ProgramID: l.p.ID, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if d.Previous.FromDay != "2026-10-02" || d.Previous.ToDay != "2026-10-31" || len(d.Buckets) != 30 {
			t.Fatalf("previous %s..%s, %d buckets", d.Previous.FromDay, d.Previous.ToDay, len(d.Buckets))
		}
		for _, c := range []struct {
			name              string
			got               models.Compared
			current, previous int64
		}{
			// Ada and Ben by 31 October; Eve and Cleo join in November.
			{"members", d.Members, 4, 2},
			{"new members", d.NewMembers, 2, 1},
			// A purchase in [1 Nov, 1 Dec): Ada, Cleo (Ben's is on 1 Dec).
			// Before: Ada, Ben in October.
			{"active 30 days", d.Active30, 2, 2},
			// Since 2 Sep: Ada, Ben, Cleo; since 3 Aug to 31 Oct: Ada, Ben.
			{"active 90 days", d.Active90, 3, 2},
			{"purchases", d.Purchases, 4, 3},
			{"member purchases", d.MemberPurchases, 2, 2},
			{"non-member purchases", d.NonMemberPurchases, 2, 1},
			// 40.00 (50 less 10 refunded) + 45 + 25 + 5; October: 30 + 10 + 15
			// (20 less the 5 refunded in November, on its own day).
			{"revenue", d.Revenue, 11500, 5500},
			{"member revenue", d.MemberRevenue, 8500, 4500},
			{"non-member revenue", d.NonMemberRevenue, 3000, 1000},
			// 50 + 45 + 15 by hand, less the clawbacks 5 and 10; October 30 + 20.
			{"issued", d.Issued, 95, 50},
			// 20 + 30 + 20 less the cancelled 30; October 20.
			{"redeemed", d.Redeemed, 40, 20},
			{"expired", d.Expired, 30, 0},
			// Ada 0, Ben -5 (clawed back after spending), Cleo 55; on 31 Oct
			// Ada 30, Ben 0.
			{"outstanding", d.Outstanding, 50, 30},
			// 5 cents a point.
			{"liability", d.LiabilityMinor, 250, 150},
		} {
			if c.got.Current != c.current || c.got.Previous != c.previous {
				t.Errorf("%s: %d (previous %d), want %d (previous %d)", c.name, c.got.Current, c.got.Previous, c.current, c.previous)
			}
		}
		for _, r := range []struct {
			name     string
			got      models.Ratio
			num, den int64
		}{
			{"membership rate", d.MembershipRate.Current, 2, 4},
			{"membership rate before", d.MembershipRate.Previous, 2, 3},
			{"redemption rate", d.RedemptionRate.Current, 40, 95},
			{"redemption rate before", d.RedemptionRate.Previous, 20, 50},
			{"member revenue share", d.MemberRevenueShare, 8500, 11500},
		} {
			if r.got != (models.Ratio{Num: r.num, Den: r.den}) {
				t.Errorf("%s: %+v, want %d/%d", r.name, r.got, r.num, r.den)
			}
		}
		// Trends, a day per bucket: on 1 Nov 30 points stand and Eve has
		// joined; the clawback of 2 Nov takes 5; on 8 Nov 50 are earned.
		if d.Outstanding.Trend[0] != 30 || d.Outstanding.Trend[1] != 25 || d.Members.Trend[0] != 3 ||
			d.Issued.Trend[7] != 50 || d.Members.Trend[29] != 4 || d.Revenue.Trend[29] != 500 {
			t.Errorf("trends: outstanding %v, members %v, issued %v, revenue %v", d.Outstanding.Trend, d.Members.Trend, d.Issued.Trend, d.Revenue.Trend)
		}
		// A member enters the first tier when their account opens (the
		// first earning): Ada and Ben in October; Ada and Cleo reach Silver
		// in November; Eve never earned, so she is in no tier.
		if len(d.Tiers) != 2 || d.Tiers[0].Name != "Bronze" || d.Tiers[0].Current != 1 || d.Tiers[0].Previous != 2 ||
			d.Tiers[1].Name != "Silver" || d.Tiers[1].Current != 2 || d.Tiers[1].Previous != 0 {
			t.Errorf("tiers %+v, want Bronze 1 (2 before), Silver 2 (0 before)", d.Tiers)
		}
		// Over 90 days the trend has 30 buckets of 3 days: flows sum to the
		// range's figure, stocks end at it.
		paris := mustZone(t, "Europe/Paris")
		autumn, err := models.ReportRangeOf(models.RangeQuery{From: "2026-09-02", To: "2026-11-30"}, now, paris, "")
		if err != nil {
			t.Fatal(err)
		}
		long, err := models.ReportDashboard(l.db, models.DashboardQuery{Range: autumn, ProgramID: l.p.ID, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(long.Buckets); n != 30 || long.Buckets[0] != (models.Bucket{FromDay: "2026-09-02", ToDay: "2026-09-04"}) ||
			long.Buckets[29] != (models.Bucket{FromDay: "2026-11-28", ToDay: "2026-11-30"}) {
			t.Fatalf("buckets %v", long.Buckets)
		}
		sum := func(v []int64) (s int64) {
			for _, x := range v {
				s += x
			}
			return s
		}
		if long.Revenue.Current != 17000 || sum(long.Revenue.Trend) != 17000 || sum(long.Issued.Trend) != 145 ||
			long.Members.Trend[29] != 4 || long.Outstanding.Trend[29] != 50 || long.Outstanding.Trend[0] != 0 {
			t.Errorf("90 days: revenue %d (trend %v), issued trend %v, members %v, outstanding %v",
				long.Revenue.Current, long.Revenue.Trend, long.Issued.Trend, long.Members.Trend, long.Outstanding.Trend)
		}
		// The cancelled cake is no redemption.
		if len(d.TopRewards) != 1 || d.TopRewards[0] != (models.RewardCount{RewardID: d.TopRewards[0].RewardID, Name: "Coffee",
			Redemptions: 2, Previous: 1, Points: 40, ValueMinor: 600}) {
			t.Errorf("top rewards %+v, want Coffee ×2 (1 before), 40 points, 6.00", d.TopRewards)
		}
	})
}
