package models_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// engagementShop is the hand-built history of the known-answer test, in
// Paris (UTC+1 all March 2026, before the change on the 29th). Weeks run
// Monday to Sunday: A from 2 March, B from 9 March, C from 16 March.
//
//	when (UTC)       what                                     balances after
//	Mon 2  10:00     Ada joins: sign-up 5                      Ada 5
//	Mon 2  11:00     Bob joins, referred by Ada: sign-up 5     Bob 5
//	Tue 3  10:00     Ada buys 10.00: +10 (Paris day 3)         Ada 15
//	Tue 3  23:30     Ada buys 5.00: +5 (Paris day 4, 00:30)    Ada 20
//	Thu 5  10:00     Bob buys 20.00: +20, referral: Bob +25,
//	                 Ada +50                                    Ada 70, Bob 50
//	Thu 5  10:30     someone buys 8.00 without a card
//	Tue 10 10:00     Cy joins, referred by Ada: sign-up 5      Cy 5
//	Tue 10 10:30     Dee joins: sign-up 5                       Dee 5
//	Tue 10 12:00     Ada buys 30.00: +30, lifetime 100: Silver  Ada 100
//	Tue 10 13:00     Dee buys 0.50: earns nothing
//	Wed 11 10:00     Review pays Dee +10 and Ada +10            Dee 15, Ada 110
//	Wed 11 11:00     the owner credits Ada +7                   Ada 117
//	Thu 12 10:00     Test Runner (no user) debits Bob -5,
//	                 then credits him +3                        Bob 48
//	Fri 13 10:00     Ada and Bob redeem a Croissant (40)        Ada 77, Bob 8
//	Mon 16 09:00     Bob's voucher is cancelled: +40            Bob 48
//	Mon 16 10:00     Bob buys 12.00: +12                        Bob 60
//	Mon 16 10:30     2.00 of it is refunded: -2                 Bob 58
//
// Lifetime earned (what tiers count): Ada 117 (Silver), Bob 65, Cy 5,
// Dee 15 (Base). Tiers: Base 0, Silver 100, Gold 200. Rewards: Croissant
// 40 for all, Cake 100 from Silver.
type engagementShop struct {
	loyal
	ada, bob, cy, dee            *models.Member
	review, newsletter, referral *models.EarningRule
	croissant                    *models.Reward
	owner                        models.Actor
	now                          time.Time
}

func march(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }

func newEngagementShop(t *testing.T, db *gorm.DB) engagementShop {
	t.Helper()
	in := pointsInput("Coffee")
	in.SignUpBonus = "5"
	s := engagementShop{loyal: newLoyal(t, db, "engage@example.com", in), now: march(18, 12, 0)}
	s.owner = models.Actor{UserID: s.shop.owner.ID, Name: "someone renamed since"}
	tiers := ladder(t, s.db, s.p.ID, []string{"Base", "Silver", "Gold"}, []int{0, 100, 200})
	s.review = createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "10", Cap: "once", Active: true})
	s.newsletter = createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Newsletter", Points: "3", Cap: "once", Active: true})
	s.referral = createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "referral", Name: "Refer a friend", Points: "50",
		ReferredPoints: "25", MinPurchase: "0", Active: true})
	croissant := rewardInput("Croissant")
	croissant.Cost = "40"
	s.croissant = createReward(t, s.db, s.p.ID, croissant)
	cake := rewardInput("Cake")
	cake.MinTierID = itoa(tiers[1].ID)
	createReward(t, s.db, s.p.ID, cake)

	s.ada = enrol(t, s.db, models.MemberInput{Name: "Ada", Email: "ada@example.com"}, march(2, 10, 0))
	s.bob = enrol(t, s.db, models.MemberInput{Name: "Bob", Phone: "+33612345678", ReferralCode: s.ada.CardCode}, march(2, 11, 0))
	buy(t, s.db, s.p.ID, s.ada.ID, "10.00", "a1", march(3, 10, 0))
	buy(t, s.db, s.p.ID, s.ada.ID, "5.00", "a2", march(3, 23, 30))
	buy(t, s.db, s.p.ID, s.bob.ID, "20.00", "b1", march(5, 10, 0))
	buy(t, s.db, s.p.ID, 0, "8.00", "anon", march(5, 10, 30))
	s.cy = enrol(t, s.db, models.MemberInput{Name: "Cy", Email: "cy@example.com", ReferralCode: s.ada.CardCode}, march(10, 10, 0))
	s.dee = enrol(t, s.db, models.MemberInput{Name: "Dee", Email: "dee@example.com", MarketingOptIn: true}, march(10, 10, 30))
	buy(t, s.db, s.p.ID, s.ada.ID, "30.00", "a3", march(10, 12, 0))
	buy(t, s.db, s.p.ID, s.dee.ID, "0.50", "d1", march(10, 13, 0))
	for _, m := range []*models.Member{s.dee, s.ada} {
		if _, err := models.AwardAction(s.db, testActor, m.ID, s.p.ID, s.review.ID, "", march(11, 10, 0)); err != nil {
			t.Fatal(err)
		}
	}
	adjust(t, s.db, s.owner, s.p.ID, s.ada.ID, "+7", march(11, 11, 0))
	adjust(t, s.db, testActor, s.p.ID, s.bob.ID, "-5", march(12, 10, 0))
	adjust(t, s.db, testActor, s.p.ID, s.bob.ID, "3", march(12, 10, 5))
	redeem := func(m *models.Member) *models.Voucher {
		t.Helper()
		v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: m.ID, ProgramID: s.p.ID, RewardID: s.croissant.ID}, march(13, 10, 0))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	redeem(s.ada)
	bobs := redeem(s.bob)
	if _, err := models.CancelVoucher(s.db, testActor, bobs.ID, march(16, 9, 0)); err != nil {
		t.Fatal(err)
	}
	last := buy(t, s.db, s.p.ID, s.bob.ID, "12.00", "b2", march(16, 10, 0))
	if _, err := models.RefundPurchase(s.db, testActor, last.Purchase.ID, "2.00", "r1", march(16, 10, 30)); err != nil {
		t.Fatal(err)
	}
	return s
}

func adjust(t *testing.T, sdb *gorm.DB, actor models.Actor, programID, memberID int64, amount string, at time.Time) {
	t.Helper()
	if _, err := models.Adjust(sdb, actor, models.RoleOwner, models.AdjustInput{MemberID: memberID, ProgramID: programID,
		Amount: amount, Reason: "Goodwill"}, at); err != nil {
		t.Fatalf("adjust %s: %v", amount, err)
	}
}

func (s engagementShop) rangeOf(t *testing.T, from, to string) models.ReportRange {
	t.Helper()
	rng, err := models.ReportRangeOf(models.RangeQuery{From: from, To: to}, s.now, s.m.Location(), "")
	if err != nil {
		t.Fatal(err)
	}
	return rng
}

func TestEngagementKnownAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newEngagementShop(t, db)
		// The range 4 to 16 March touches weeks A, B and C, counted whole.
		e, err := models.EngagementReport(s.db, s.p, s.rangeOf(t, "2026-03-04", "2026-03-16"), s.now)
		if err != nil {
			t.Fatal(err)
		}
		want := []models.EngagementWeek{
			// A: Ada and Bob visit (3 purchases); 120 earned: sign-ups
			// 5+5, purchases 10+5+20, referral 25+50 (7 entries); 3 of
			// the 4 sales earned (not the one without a card).
			{Week: "2026-03-02", Complete: true, ActiveMembers: 2, Visits: 3, Earned: 120, Earns: 7, Purchases: 4, EarningPurchases: 3},
			// B: Ada and Dee; 60 earned: sign-ups 5+5, purchase 30,
			// reviews 10+10 (the owner's +7 is an adjustment); two
			// croissants, 80; Dee's 0.50 earned nothing.
			{Week: "2026-03-09", Complete: true, ActiveMembers: 2, Visits: 2, Earned: 60, Earns: 5, Redeemed: 80, Redemptions: 2,
				Purchases: 2, EarningPurchases: 1},
			// C, so far: Bob; 12 earned less 2 clawed back; the cancelled
			// croissant comes back this week.
			{Week: "2026-03-16", ActiveMembers: 1, Visits: 1, Earned: 10, Earns: 1, Redeemed: -40, Redemptions: -1,
				Purchases: 1, EarningPurchases: 1},
		}
		if fmt.Sprint(e.Weeks) != fmt.Sprint(want) {
			t.Errorf("weeks\n got %+v\nwant %+v", e.Weeks, want)
		}
		// The range's own days: the 5.00 at 00:30 on the 4th in Paris
		// counts, the 10.00 on the 3rd and the sign-ups on the 2nd do not.
		// Earned: 5 (4th) + 95 (5th) + 40 (10th) + 20 (11th) + 10 (16th).
		if e.Earned != 170 || e.Earns != 10 || e.Redeemed != 40 || e.Redemptions != 1 || e.Purchases != 6 || e.EarningPurchases != 4 {
			t.Errorf("range totals = earned %d/%d redeemed %d/%d sales %d/%d, want 170/10 40/1 4/6",
				e.Earned, e.Earns, e.Redeemed, e.Redemptions, e.EarningPurchases, e.Purchases)
		}
		// Complete weeks A and B: (2+2)/2 active, (3+2)/(2+2) visits each.
		if active, visits, weeks := e.ActiveAverage(); active != 2 || visits != 1.25 || weeks != 2 {
			t.Errorf("average = %v active, %v visits, over %d weeks; want 2, 1.25, 2", active, visits, weeks)
		}
		wantRules := []models.RuleCompletions{
			{RuleID: s.newsletter.ID, Name: "Newsletter", Kind: "action", Exists: true},
			{RuleID: s.review.ID, Name: "Review", Kind: "action", Exists: true, Completions: 2, Points: 20},
			// One referral paying both sides is one completion.
			{RuleID: s.referral.ID, Name: "Refer a friend", Kind: "referral", Exists: true, Completions: 1, Points: 75},
			// Cy and Dee on the 10th; Ada and Bob joined before the range.
			{RuleID: models.SignUpRuleID, Name: "Sign-up bonus", Kind: "sign-up", Completions: 2, Points: 10},
		}
		if fmt.Sprint(e.Rules) != fmt.Sprint(wantRules) {
			t.Errorf("rules\n got %+v\nwant %+v", e.Rules, wantRules)
		}
		// Cy joined in the range, referred by Ada, and never bought.
		if e.ReferralsMade != 1 || e.ReferralsConverted != 0 || len(e.Referrers) != 1 ||
			e.Referrers[0].MemberID != s.ada.ID || e.Referrers[0].Made != 1 || e.Referrers[0].Email != "ada@example.com" {
			t.Errorf("referrals = %d/%d %+v", e.ReferralsConverted, e.ReferralsMade, e.Referrers)
		}
		// Most entries first; the owner is named as the users list names
		// them now, not as the entry did.
		wantStaff := []models.StaffAdjustments{
			{Name: "Test Runner", Entries: 2, Credits: 3, Debits: 5},
			{ActorUserID: s.shop.owner.ID, Name: s.shop.owner.Name, Entries: 1, Credits: 7},
		}
		if fmt.Sprint(e.Adjustments) != fmt.Sprint(wantStaff) {
			t.Errorf("adjustments\n got %+v\nwant %+v", e.Adjustments, wantStaff)
		}

		// From the 2nd, Bob's referral counts too, and he bought.
		e, err = models.EngagementReport(s.db, s.p, s.rangeOf(t, "2026-03-02", "2026-03-16"), s.now)
		if err != nil {
			t.Fatal(err)
		}
		if e.ReferralsMade != 2 || e.ReferralsConverted != 1 || len(e.Referrers) != 1 || e.Referrers[0].Made != 2 || e.Referrers[0].Converted != 1 {
			t.Errorf("referrals from the 2nd = %d/%d %+v", e.ReferralsConverted, e.ReferralsMade, e.Referrers)
		}

		rule, weeks, err := models.RuleWeeks(s.db, s.p, s.review.ID, s.rangeOf(t, "2026-03-04", "2026-03-16"))
		if err != nil || rule.ID != s.review.ID {
			t.Fatal(rule, err)
		}
		if fmt.Sprint(weeks) != "[{2026-03-02 0 0} {2026-03-09 2 20} {2026-03-16 0 0}]" {
			t.Errorf("review weeks = %v", weeks)
		}
	})
}

func goalRows(l *models.GoalList) string {
	var b strings.Builder
	for _, m := range l.Members {
		fmt.Fprintf(&b, "%s %d→%s %d (%d); ", m.Name, m.Have, m.Goal, m.Need, m.Distance)
	}
	return fmt.Sprintf("%d of %d, page %d/%d: %s", len(l.Members), l.Total, l.Page, l.Pages, b.String())
}

func TestEngagementGoalLists(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newEngagementShop(t, db)
		near := func(q models.GoalQuery, per int) string {
			t.Helper()
			l, err := models.MembersNearTier(s.db, s.p, q, per)
			if err != nil {
				t.Fatal(err)
			}
			return goalRows(l)
		}
		// Bob is 35 from Silver; Ada, already Silver, 83 from Gold; Dee 85
		// from Silver; Cy 95. The default distance, a fifth of Silver's
		// 100, finds nobody.
		for _, c := range []struct {
			q    models.GoalQuery
			per  int
			want string
		}{
			{models.GoalQuery{}, 10, "0 of 0, page 1/1: "},
			{models.GoalQuery{Within: "50"}, 10, "1 of 1, page 1/1: Bob 65→Silver 100 (35); "},
			{models.GoalQuery{Within: "90"}, 10, "3 of 3, page 1/1: Bob 65→Silver 100 (35); Ada 117→Gold 200 (83); Dee 15→Silver 100 (85); "},
			{models.GoalQuery{Within: "90", Page: "2"}, 2, "1 of 3, page 2/2: Dee 15→Silver 100 (85); "},
			{models.GoalQuery{Within: "95", Page: "9"}, 2, "2 of 4, page 2/2: Dee 15→Silver 100 (85); Cy 5→Silver 100 (95); "},
		} {
			if got := near(c.q, c.per); got != c.want {
				t.Errorf("near tier %+v:\n got %s\nwant %s", c.q, got, c.want)
			}
		}
		reward := func(q models.GoalQuery, per int) string {
			t.Helper()
			l, err := models.MembersNearReward(s.db, s.p, q, per, s.now)
			if err != nil {
				t.Fatal(err)
			}
			return goalRows(l)
		}
		// Ada (77, Silver) can have the Cake at 100: 23 away. Bob (58) can
		// afford the Croissant, and the Cake is not open to Base. Dee (15)
		// is 25 from the Croissant, Cy (5) 35.
		if got, want := reward(models.GoalQuery{Within: "30"}, 10), "2 of 2, page 1/1: Ada 77→Cake 100 (23); Dee 15→Croissant 40 (25); "; got != want {
			t.Errorf("near reward:\n got %s\nwant %s", got, want)
		}
		if got, want := reward(models.GoalQuery{Within: "40", Page: "2"}, 2), "1 of 3, page 2/2: Cy 5→Croissant 40 (35); "; got != want {
			t.Errorf("near reward page 2:\n got %s\nwant %s", got, want)
		}
		// A blocked member can do nothing about it: not listed.
		if _, err := models.SetMemberBlocked(s.db, testActor, s.dee.ID, true); err != nil {
			t.Fatal(err)
		}
		if got, want := reward(models.GoalQuery{Within: "30"}, 10), "1 of 1, page 1/1: Ada 77→Cake 100 (23); "; got != want {
			t.Errorf("near reward, Dee blocked:\n got %s\nwant %s", got, want)
		}
		for _, q := range []models.GoalQuery{{Within: "0"}, {Within: "x"}, {Within: "100000001"}, {Within: "5", Page: "0"}, {Page: "-1"}} {
			_, err := models.MembersNearReward(s.db, s.p, q, 10, s.now)
			if models.ErrorCode(err) != models.EINVALID || !strings.Contains(models.ErrorMessage(err), "whole number") {
				t.Errorf("%+v: %v, want a clear refusal", q, err)
			}
		}
	})
}

// Tiers over a rolling window are summed from each member's history: no
// list, and the page says why.
func TestEngagementTierListNeedsLifetimeTiers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := pointsInput("Rolling")
		in.TierWindow = "rolling_12_months"
		l := newLoyal(t, db, "rolling@example.com", in)
		ladder(t, l.db, l.p.ID, []string{"Base", "Silver"}, []int{0, 100})
		got, err := models.MembersNearTier(l.db, l.p, models.GoalQuery{Within: "10"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.Unavailable, "points earned over the last 12 months") || got.Total != 0 {
			t.Errorf("rolling window list = %+v", got)
		}
	})
}
