package models_test

import (
	"fmt"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// referrals lists whom referrerID referred, failing the test on error.
func referrals(t *testing.T, sdb *gorm.DB, referrerID int64, limit int) ([]models.Referral, int64) {
	t.Helper()
	refs, total, err := models.MemberReferrals(sdb, referrerID, limit)
	if err != nil {
		t.Fatalf("referrals of %d: %v", referrerID, err)
	}
	return refs, total
}

// referralNames is the referred members' names, in the order listed.
func referralNames(refs []models.Referral) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Member.Name)
	}
	return out
}

// A referral lists as unpaid until the referred member's first qualifying
// purchase pays it, then with the referrer's points in each program that
// paid, whatever the rule's status since.
func TestMemberReferrals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "referrals@example.com", pointsInput("Points"))
		rule := createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "referral", Points: "100", ReferredPoints: "50", MinPurchase: "20", Active: true})
		// A second program pays only the new member: its payout is 0 for
		// the referrer, but the referral still counts as paid there.
		welcome := createProgram(t, s.db, pointsInput("Welcome"))
		welcomeRule := createRule(t, s.db, welcome.ID, models.EarningRuleInput{Kind: "referral", Points: "0", ReferredPoints: "25", Active: true})

		ann := enrolNamed(t, s.db, "Ann")
		bob := enrol(t, s.db, models.MemberInput{Name: "Bob", ReferralCode: models.FormatCardCode(ann.CardCode)}, day0)
		cy := enrol(t, s.db, models.MemberInput{Name: "Cy", ReferralCode: ann.CardCode}, day0)

		// Nobody referred Bob; and nothing has paid Ann yet.
		if refs, total := referrals(t, s.db, bob.ID, 50); len(refs) != 0 || total != 0 {
			t.Errorf("bob's referrals = %v (total %d), want none", referralNames(refs), total)
		}
		refs, total := referrals(t, s.db, ann.ID, 50)
		if got := referralNames(refs); !slices.Equal(got, []string{"Cy", "Bob"}) || total != 2 {
			t.Fatalf("ann's referrals = %v (total %d), want [Cy Bob] newest first, total 2", got, total)
		}
		for _, r := range refs {
			if r.Paid || len(r.Payouts) != 0 {
				t.Errorf("%s before any purchase: paid %v, payouts %+v", r.Member.Name, r.Paid, r.Payouts)
			}
		}

		buy(t, s.db, s.p.ID, bob.ID, "5", "b1", day0) // below the minimum
		if refs, _ = referrals(t, s.db, ann.ID, 50); refs[1].Paid {
			t.Errorf("bob's referral paid after a purchase below the minimum: %+v", refs[1].Payouts)
		}
		buy(t, s.db, s.p.ID, bob.ID, "20", "b2", day0) // the first qualifying purchase
		wantBalance(t, s.db, s.p.ID, ann.ID, 100)
		refs, _ = referrals(t, s.db, ann.ID, 50)
		want := []models.ReferralPayout{{ProgramID: s.p.ID, RuleID: rule.ID, ReferrerPoints: 100}}
		if !refs[1].Paid || !slices.Equal(refs[1].Payouts, want) {
			t.Errorf("bob's referral: paid %v, payouts %+v; want %+v", refs[1].Paid, refs[1].Payouts, want)
		}
		if refs[0].Paid {
			t.Errorf("cy's referral paid by bob's purchase: %+v", refs[0].Payouts)
		}

		// Bob's purchase in the welcome program pays only Bob, and the
		// first rule paused since still shows what it paid.
		buy(t, s.db, welcome.ID, bob.ID, "1", "b3", day0)
		wantBalance(t, s.db, welcome.ID, ann.ID, 0)
		in := rule.FormInput(s.m.Currency)
		in.Active = false
		if _, err := models.SaveEarningRule(s.db, testActor, s.p.ID, rule.ID, in); err != nil {
			t.Fatal(err)
		}
		refs, _ = referrals(t, s.db, ann.ID, 50)
		want = append(want, models.ReferralPayout{ProgramID: welcome.ID, RuleID: welcomeRule.ID, ReferrerPoints: 0})
		if !refs[1].Paid || !slices.Equal(refs[1].Payouts, want) {
			t.Errorf("bob's referral in two programs: paid %v, payouts %+v; want %+v", refs[1].Paid, refs[1].Payouts, want)
		}
		// Cy's welcome pays Cy only: paid, with nothing to Ann.
		buy(t, s.db, welcome.ID, cy.ID, "1", "c1", day0)
		refs, _ = referrals(t, s.db, ann.ID, 50)
		want = []models.ReferralPayout{{ProgramID: welcome.ID, RuleID: welcomeRule.ID, ReferrerPoints: 0}}
		if !refs[0].Paid || !slices.Equal(refs[0].Payouts, want) {
			t.Errorf("cy's referral: paid %v, payouts %+v; want %+v", refs[0].Paid, refs[0].Payouts, want)
		}
		wantSound(t, db)
	})
}

// Another merchant sees none of a member's referrals, even by their id,
// and a merchant's own referrals do not leak into the other's lists.
func TestMemberReferralsTenantIsolation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newLoyal(t, db, "referrals-a@example.com", pointsInput("Points"))
		b := newLoyal(t, db, "referrals-b@example.com", pointsInput("Points"))
		for _, s := range []loyal{a, b} {
			createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "referral", Points: "10", Active: true})
		}
		ann := enrolNamed(t, a.db, "Ann")
		bob := enrol(t, a.db, models.MemberInput{Name: "Bob", ReferralCode: ann.CardCode}, day0)
		dee := enrolNamed(t, b.db, "Dee")
		enrol(t, b.db, models.MemberInput{Name: "Eve", ReferralCode: dee.CardCode}, day0)
		buy(t, b.db, b.p.ID, dee.ID, "30", "d1", day0)

		// B asking for A's member by id: nothing, and nothing counted.
		if refs, total := referrals(t, b.db, ann.ID, 50); len(refs) != 0 || total != 0 {
			t.Errorf("merchant B lists A's referrals: %v (total %d)", referralNames(refs), total)
		}
		if refs, total := referrals(t, a.db, dee.ID, 50); len(refs) != 0 || total != 0 {
			t.Errorf("merchant A lists B's referrals: %v (total %d)", referralNames(refs), total)
		}
		// Filling both limits exercises the count as well.
		if refs, total := referrals(t, a.db, ann.ID, 1); !slices.Equal(referralNames(refs), []string{"Bob"}) || total != 1 || refs[0].Member.ID != bob.ID || refs[0].Paid {
			t.Errorf("merchant A's referrals of Ann = %v (total %d), want only Bob, unpaid", referralNames(refs), total)
		}
		if refs, total := referrals(t, b.db, dee.ID, 1); !slices.Equal(referralNames(refs), []string{"Eve"}) || total != 1 {
			t.Errorf("merchant B's referrals of Dee = %v (total %d), want only Eve", referralNames(refs), total)
		}
	})
}

// The list is capped at the limit, newest first, with the full count.
func TestMemberReferralsLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "referrals-limit@example.com", pointsInput("Points"))
		createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "referral", Points: "10", ReferredPoints: "5", Active: true})
		ann := enrolNamed(t, s.db, "Ann")
		var ids []int64
		for i := range 7 {
			m := enrol(t, s.db, models.MemberInput{Name: fmt.Sprintf("Friend %d", i), ReferralCode: ann.CardCode}, day0)
			ids = append(ids, m.ID)
		}
		enrolNamed(t, s.db, "Not a friend")
		buy(t, s.db, s.p.ID, ids[6], "1", "newest", day0)

		refs, total := referrals(t, s.db, ann.ID, 3)
		if total != 7 || len(refs) != 3 {
			t.Fatalf("%d referrals listed, total %d; want 3 of 7", len(refs), total)
		}
		for i, r := range refs {
			if r.Member.ID != ids[6-i] {
				t.Errorf("referral %d is %s (id %d), want id %d", i, r.Member.Name, r.Member.ID, ids[6-i])
			}
		}
		if !refs[0].Paid || refs[0].Payouts[0].ReferrerPoints != 10 || refs[1].Paid {
			t.Errorf("paid: newest %v %+v, next %v", refs[0].Paid, refs[0].Payouts, refs[1].Paid)
		}
		if refs, total := referrals(t, s.db, ann.ID, 7); len(refs) != 7 || total != 7 {
			t.Errorf("limit 7: %d listed, total %d; want 7 of 7", len(refs), total)
		}
		if refs, total := referrals(t, s.db, ann.ID, 50); len(refs) != 7 || total != 7 {
			t.Errorf("limit 50: %d listed, total %d; want 7 of 7", len(refs), total)
		}
		if _, _, err := models.MemberReferrals(s.db, ann.ID, 0); err == nil {
			t.Error("limit 0 accepted")
		}
	})
}
