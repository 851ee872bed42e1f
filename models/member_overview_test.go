package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func overviewOf(t *testing.T, sdb *gorm.DB, memberID int64, now time.Time) *models.MemberSummary {
	t.Helper()
	ov, err := models.MemberOverview(sdb, memberID, now)
	if err != nil {
		t.Fatalf("overview of member %d: %v", memberID, err)
	}
	return ov
}

// standingOf finds a reward's standing in an overview; it fails the test
// when the reward is not listed.
func standingOf(t *testing.T, ov *models.MemberSummary, rewardID int64) models.RewardStanding {
	t.Helper()
	for _, ps := range ov.Programs {
		for _, s := range ps.Rewards {
			if s.Reward.ID == rewardID {
				return s
			}
		}
	}
	t.Fatalf("reward %d is not in the overview of %s", rewardID, ov.Member.Name)
	return models.RewardStanding{}
}

func summaryOf(t *testing.T, ov *models.MemberSummary, programID int64) models.ProgramSummary {
	t.Helper()
	for _, ps := range ov.Programs {
		if ps.Program.ID == programID {
			return ps
		}
	}
	t.Fatalf("program %d is not shown to %s", programID, ov.Member.Name)
	return models.ProgramSummary{}
}

func TestMemberOverview(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := pointsInput("Points")
		in.ExpiryPolicy, in.ExpiryMonths = "after_earning", "1"
		s := newLoyal(t, db, "overview@example.com", in)
		idle := pointsInput("Idle")
		idle.ExpiryPolicy, idle.ExpiryMonths = "inactivity", "1"
		pIdle := createProgram(t, s.db, idle)
		pNew := createProgram(t, s.db, stampsInput("New"))
		paused := pointsInput("Paused")
		paused.Status = "paused"
		createProgram(t, s.db, paused)

		tiers := ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 100, 300})
		coffee := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Coffee", Type: "free_item", Cost: "100"})
		cake := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "200"})
		goldOnly := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Lounge", Type: "free_item", Cost: "50", MinTierID: itoa(tiers[2].ID)})
		old := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Old mug", Type: "free_item", Cost: "10"})
		if _, err := models.SetRewardArchived(s.db, testActor, s.p.ID, old.ID, true); err != nil {
			t.Fatal(err)
		}
		createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "referral", Points: "20", ReferredPoints: "10", Active: true})
		review := createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "5", Cap: "once", Active: true})
		createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Survey", Points: "5", Cap: "once", Active: false})

		bob := enrolNamed(t, s.db, "Bob")
		ann := enrol(t, s.db, models.MemberInput{Name: "Ann", ReferralCode: bob.CardCode}, day0)
		if _, err := models.SetMemberTags(s.db, testActor, ann.ID, "vip, morning"); err != nil {
			t.Fatal(err)
		}
		buy(t, s.db, s.p.ID, ann.ID, "250", "a1", day0) // 250 points, and 10 for the referral
		v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: coffee.ID}, day0)
		if err != nil {
			t.Fatal(err)
		}
		grant(t, s.db, pIdle.ID, ann.ID, 40, day0)

		now := day0.AddDate(0, 0, 10)
		ov := overviewOf(t, s.db, ann.ID, now)
		if ov.Member.ID != ann.ID || ov.Referrer == nil || ov.Referrer.ID != bob.ID {
			t.Errorf("member %d referred by %+v, want %d referred by Bob", ov.Member.ID, ov.Referrer, ann.ID)
		}
		if fmt.Sprint(ov.Tags) != "[morning vip]" {
			t.Errorf("tags = %v, want [morning vip]", ov.Tags)
		}
		var shown []string
		for _, ps := range ov.Programs {
			shown = append(shown, ps.Program.Name)
		}
		if fmt.Sprint(shown) != "[Idle New Points]" || len(ov.Catalog) != 4 {
			t.Errorf("shown %v of %d programs, want [Idle New Points] of 4 (not the paused one without an account)", shown, len(ov.Catalog))
		}

		pts := summaryOf(t, ov, s.p.ID)
		if pts.Account.Balance != 160 || pts.Tier == nil || pts.Tier.Name != "Silver" ||
			pts.NextTier == nil || pts.NextTier.Name != "Gold" || pts.Qualifying != 260 || len(pts.Tiers) != 3 {
			t.Errorf("points: balance %d, tier %v, next %v at %d; want 160, Silver, Gold at 260", pts.Account.Balance, pts.Tier, pts.NextTier, pts.Qualifying)
		}
		wantStandings := map[int64]string{coffee.ID: "redeemable", cake.ID: "short 40", goldOnly.ID: "barred"}
		if len(pts.Rewards) != len(wantStandings) {
			t.Errorf("%d rewards listed, want %d (not the archived one)", len(pts.Rewards), len(wantStandings))
		}
		for _, st := range pts.Rewards {
			got := "barred"
			switch {
			case st.Redeemable():
				got = "redeemable"
			case st.Saving():
				got = fmt.Sprintf("short %d", st.Short)
			}
			if got != wantStandings[st.Reward.ID] {
				t.Errorf("%s: %s, want %s", st.Reward.Name, got, wantStandings[st.Reward.ID])
			}
		}
		var expiring int64
		for _, e := range pts.Expiring {
			expiring += e.Amount
			if want := day0.AddDate(0, 1, 0); !e.On.Equal(want) {
				t.Errorf("points expire on %v, want %v", e.On, want)
			}
		}
		if expiring != 160 {
			t.Errorf("%d points expiring, want the 160 left of what was earned", expiring)
		}
		if len(pts.Actions) != 1 || pts.Actions[0].ID != review.ID {
			t.Errorf("actions %+v, want the active Review only", pts.Actions)
		}

		idleSum := summaryOf(t, ov, pIdle.ID)
		if len(idleSum.Expiring) != 1 || idleSum.Expiring[0].Amount != 40 || !idleSum.Expiring[0].On.Equal(day0.AddDate(0, 1, 0)) {
			t.Errorf("idle program expiring %+v, want all 40 a month after the last activity", idleSum.Expiring)
		}
		if later := overviewOf(t, s.db, ann.ID, day0); len(summaryOf(t, later, pIdle.ID).Expiring) != 0 {
			t.Errorf("inactivity expiry a month away shows within the 30 days: %+v", summaryOf(t, later, pIdle.ID).Expiring)
		}
		newSum := summaryOf(t, ov, pNew.ID)
		if newSum.Account.ID != 0 || newSum.Tier != nil || newSum.NextTier != nil || len(newSum.Expiring) != 0 {
			t.Errorf("a program not used yet: %+v, want a zero account and nothing else", newSum)
		}

		if len(ov.Vouchers) != 1 || ov.Vouchers[0].ID != v.ID || ov.Reward(v.RewardID) == nil || ov.Reward(v.RewardID).Name != "Coffee" {
			t.Errorf("vouchers %+v, want the Coffee voucher %d", ov.Vouchers, v.ID)
		}
		if ov.Reward(old.ID) == nil || ov.Program(pNew.ID) == nil {
			t.Error("the archived reward or a shown program cannot be looked up")
		}
		var kinds []models.EntryKind
		for _, e := range ov.Entries {
			kinds = append(kinds, e.Kind)
		}
		if fmt.Sprint(kinds) != fmt.Sprint([]models.EntryKind{models.KindManualCredit, models.KindRedemption, models.KindRuleEarn, models.KindPurchaseEarn}) || ov.OlderEntries {
			t.Errorf("entries %v (older: %v), want newest first: credit, redemption, referral, purchase", kinds, ov.OlderEntries)
		}
		if len(ov.Purchases) != 1 || ov.Purchases[0].AmountMinor != 25000 {
			t.Errorf("purchases %+v, want the one of 250.00", ov.Purchases)
		}

		bobs := overviewOf(t, s.db, bob.ID, now)
		if bobs.ReferralsTotal != 1 || len(bobs.Referrals) != 1 || bobs.Referrals[0].Member.ID != ann.ID ||
			len(bobs.Referrals[0].Payouts) != 1 || bobs.Referrals[0].Payouts[0].ReferrerPoints != 20 {
			t.Errorf("bob's referrals %+v (of %d), want Ann paying 20", bobs.Referrals, bobs.ReferralsTotal)
		}
		if _, err := models.MemberOverview(newShop(t, db, "other@example.com").db, ann.ID, now); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("another merchant's overview of Ann: err = %v, want not found", err)
		}
	})
}

// TestMemberOverviewHistoryPages reads the ledger a page at a time.
func TestMemberOverviewHistoryPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "overview-pages@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		for i := range models.OverviewEntries + 2 {
			grant(t, s.db, s.p.ID, ann.ID, int64(i+1), day0)
		}
		first := overviewOf(t, s.db, ann.ID, day0)
		if len(first.Entries) != models.OverviewEntries || !first.OlderEntries || first.Entries[0].Amount != models.OverviewEntries+2 {
			t.Fatalf("first page: %d entries, older %v", len(first.Entries), first.OlderEntries)
		}
		next, err := models.MemberOverviewBefore(s.db, ann.ID, first.Entries[len(first.Entries)-1].ID, day0)
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Entries) != 2 || next.OlderEntries || next.Entries[1].Amount != 1 {
			t.Errorf("second page: %+v, older %v; want the 2 oldest", next.Entries, next.OlderEntries)
		}
	})
}

// statements counts the SQL statements run through a session.
type statements struct {
	logger.Interface
	n int
}

func (s *statements) Trace(context.Context, time.Time, func() (string, int64), error) { s.n++ }

// TestMemberOverviewBatchesPrograms proves the overview reads each kind of
// row once for all programs: more programs, with tiers, rewards and
// rules, add no query.
func TestMemberOverviewBatchesPrograms(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "overview-batch@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		furnish := func(p *models.Program) {
			ladder(t, s.db, p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 100, 300})
			createReward(t, s.db, p.ID, models.RewardInput{Name: "Mug", Type: "free_item", Cost: "30", PerMemberLimit: "1"})
			createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "5", Cap: "once", Active: true})
		}
		furnish(s.p)
		grant(t, s.db, s.p.ID, ann.ID, 50, day0)
		count := func() int {
			st := &statements{Interface: logger.Discard}
			ov, err := models.MemberOverview(s.db.Session(&gorm.Session{Logger: st}), ann.ID, day0)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(ov.Programs); n == 0 {
				t.Fatal("no program shown")
			}
			return st.n
		}
		one := count()
		for i := range 3 {
			furnish(createProgram(t, s.db, pointsInput(fmt.Sprintf("More %d", i))))
		}
		if four := count(); four != one {
			t.Errorf("%d statements for four programs, %d for one: want the same", four, one)
		}
	})
}

// TestMemberOverviewAgreesWithRedeem is the display against the write
// path at the edges of the reward rule: for each, the overview offers a
// reward exactly when Redeem grants it.
func TestMemberOverviewAgreesWithRedeem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "overview-edges@example.com", pointsInput("Points"))
		tiers := ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 100, 200})
		reward := func(in models.RewardInput) *models.Reward {
			in.Type = "free_item"
			return createReward(t, s.db, s.p.ID, in)
		}
		hundred := reward(models.RewardInput{Name: "Hundred", Cost: "100"})
		gold := reward(models.RewardInput{Name: "Gold lounge", Cost: "10", MinTierID: itoa(tiers[2].ID)})
		lastOne := reward(models.RewardInput{Name: "Last one", Cost: "10", Stock: "1"})
		twice := reward(models.RewardInput{Name: "Twice", Cost: "10", PerMemberLimit: "2"})

		// agree checks that the overview's standing and a redemption give
		// the same answer, and that it is the expected one.
		agree := func(edge string, m *models.Member, r *models.Reward, want bool) {
			t.Helper()
			shown := standingOf(t, overviewOf(t, s.db, m.ID, day0), r.ID).Redeemable()
			_, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: m.ID, ProgramID: s.p.ID, RewardID: r.ID}, day0)
			if redeemed := err == nil; shown != redeemed || shown != want {
				t.Errorf("%s: the overview says redeemable = %v, Redeem says %v (err %v); want %v", edge, shown, redeemed, err, want)
			}
			if err != nil && models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s: refused with %v, want a conflict", edge, err)
			}
		}
		member := func(name string, points int64) *models.Member {
			m := enrolNamed(t, s.db, name)
			grant(t, s.db, s.p.ID, m.ID, points, day0)
			return m
		}

		agree("exactly enough points", member("Ann", 100), hundred, true)
		bea := member("Bea", 99)
		if st := standingOf(t, overviewOf(t, s.db, bea.ID, day0), hundred.ID); st.Short != 1 || !st.Saving() {
			t.Errorf("one point short: standing %+v, want saving, short by 1", st)
		}
		agree("one point short", bea, hundred, false)

		cy := member("Cy", 199) // Silver, one point below Gold
		agree("just below the reward's tier", cy, gold, false)
		grant(t, s.db, s.p.ID, cy.ID, 1, day0) // 200: Gold
		agree("at the reward's tier threshold", cy, gold, true)

		agree("the last unit of stock", member("Dee", 50), lastOne, true)
		agree("out of stock", member("Eve", 50), lastOne, false)

		fay := member("Fay", 50)
		agree("the first of two per member", fay, twice, true)
		agree("the last allowed redemption", fay, twice, true)
		agree("past the per-member limit", fay, twice, false)
		wantSound(t, db)
	})
}
