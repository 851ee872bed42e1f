package models_test

import (
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestSaveEarningRule(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@rules.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))

		before := countConfig(t, db)
		birthday := createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "birthday", Points: "50", WindowDays: "7", Active: true})
		if birthday.Name != "Birthday treat" || birthday.Cap != models.CapYear || birthday.Points != 50 || birthday.WindowDays != 7 ||
			!birthday.Active || birthday.MerchantID != s.m.ID || birthday.ProgramID != p.ID {
			t.Errorf("birthday = %+v", birthday)
		}
		wantWrites(t, db, before, map[string]int64{"earning_rules": 1, "audit_entries": 1})
		wantAudit(t, lastAudit(t, s.db), models.AuditCreate, "earning_rule", birthday.ID)

		referral := createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "referral", ReferredPoints: "25", MinPurchase: "10", Cap: "once"})
		if referral.Name != "Refer a friend" || referral.Cap != models.CapUnlimited || referral.Points != 0 ||
			referral.ReferredPoints != 25 || referral.MinPurchaseMinor != 1000 || referral.Active {
			t.Errorf("referral = %+v", referral)
		}
		action := createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "action", Name: " Newsletter sign-up ", Points: "20", Cap: "once", WindowDays: "9", ReferredPoints: "9"})
		if action.Name != "Newsletter sign-up" || action.Cap != models.CapOnce || action.WindowDays != 0 || action.ReferredPoints != 0 {
			t.Errorf("action = %+v", action)
		}
		for _, c := range []string{"day", "week", "month", "unlimited"} {
			createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "action", Name: "Review " + c, Points: "5", Cap: c})
		}
		rules, err := models.ListEarningRules(s.db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rules) != 7 || rules[0].Kind != models.RuleAction || rules[5].Kind != models.RuleBirthday || rules[6].Kind != models.RuleReferral {
			t.Errorf("rules = %v, want actions, birthday, referral", rules)
		}

		// Its own form saves unchanged.
		if _, err := models.SaveEarningRule(s.db, testActor, p.ID, referral.ID, referral.FormInput(s.m.Currency)); err != nil {
			t.Fatal(err)
		}
		if got := changed(lastAudit(t, s.db)); len(got) != 0 {
			t.Errorf("saving its own form changed %v", got)
		}
	})
}

func TestEarningRuleValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@rule-validation.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "5", Cap: "once"})
		cases := []struct {
			name  string
			in    models.EarningRuleInput
			field string
		}{
			{"no kind", models.EarningRuleInput{Points: "5"}, "kind"},
			{"unknown kind", models.EarningRuleInput{Kind: "signup", Points: "5"}, "kind"},
			{"birthday without points", models.EarningRuleInput{Kind: "birthday"}, "points"},
			{"birthday window of 32 days", models.EarningRuleInput{Kind: "birthday", Points: "5", WindowDays: "32"}, "window_days"},
			{"negative points", models.EarningRuleInput{Kind: "birthday", Points: "-5"}, "points"},
			{"referral with no points on either side", models.EarningRuleInput{Kind: "referral", Points: "0", ReferredPoints: "0"}, "points"},
			{"referral with negative referred points", models.EarningRuleInput{Kind: "referral", Points: "5", ReferredPoints: "-1"}, "referred_points"},
			{"referral minimum in tenths of a cent", models.EarningRuleInput{Kind: "referral", Points: "5", MinPurchase: "1.005"}, "min_purchase"},
			{"action without a cap", models.EarningRuleInput{Kind: "action", Name: "Follow", Points: "5"}, "cap"},
			{"action capped per year", models.EarningRuleInput{Kind: "action", Name: "Follow", Points: "5", Cap: "year"}, "cap"},
			{"action with an unknown cap", models.EarningRuleInput{Kind: "action", Name: "Follow", Points: "5", Cap: "hourly"}, "cap"},
			{"action without points", models.EarningRuleInput{Kind: "action", Name: "Follow", Points: "0", Cap: "once"}, "points"},
			{"action without a name", models.EarningRuleInput{Kind: "action", Name: "  ", Points: "5", Cap: "once"}, "name"},
			{"name of 81 characters", models.EarningRuleInput{Kind: "action", Name: strings.Repeat("a", 81), Points: "5", Cap: "once"}, "name"},
			{"taken name", models.EarningRuleInput{Kind: "action", Name: "REVIEW", Points: "5", Cap: "day"}, "name"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := countConfig(t, db)
				r, err := models.SaveEarningRule(s.db, testActor, p.ID, 0, c.in)
				if r != nil && err != nil {
					t.Errorf("SaveEarningRule returned %+v with an error", r)
				}
				wantField(t, err, c.field)
				wantNoWrites(t, db, before)
			})
		}
		// The referrer alone, or the new member alone, is enough.
		createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "referral", Points: "10"})
		other := createProgram(t, s.db, pointsInput("Tea"))
		createRule(t, s.db, other.ID, models.EarningRuleInput{Kind: "referral", ReferredPoints: "10"})
	})
}

func TestOneBirthdayAndReferralRulePerProgram(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@one-rule.example.com")
		coffee := createProgram(t, s.db, pointsInput("Coffee"))
		tea := createProgram(t, s.db, pointsInput("Tea"))
		for _, kind := range []string{"birthday", "referral"} {
			first := models.EarningRuleInput{Kind: kind, Points: "10"}
			createRule(t, s.db, coffee.ID, first)
			second := models.EarningRuleInput{Kind: kind, Name: "Another " + kind, Points: "20"}
			before := countConfig(t, db)
			_, err := models.SaveEarningRule(s.db, testActor, coffee.ID, 0, second)
			wantFieldMessage(t, err, "kind", "Coffee already has a "+kind+" rule")
			wantNoWrites(t, db, before)
			// Another program has its own.
			createRule(t, s.db, tea.ID, second)
		}
		// Any number of actions.
		for _, name := range []string{"Review", "Follow", "Survey"} {
			createRule(t, s.db, coffee.ID, models.EarningRuleInput{Kind: "action", Name: name, Points: "5", Cap: "once"})
		}
	})
}

// Two owners adding a birthday rule at once: the program lock lets one in.
func TestBirthdayRuleConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@rule-race.example.com")
		for round := range 3 {
			p := createProgram(t, s.db, pointsInput("Race "+itoa(int64(round))))
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = models.SaveEarningRule(s.db, testActor, p.ID, 0,
						models.EarningRuleInput{Kind: "birthday", Name: "Birthday " + itoa(int64(i)), Points: "10"})
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if models.FieldErrors(err)["kind"] == "" {
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			}
			var n int64
			s.db.Model(&models.EarningRule{}).Where("program_id = ? AND kind = ?", p.ID, "birthday").Count(&n)
			if ok != 1 || n != 1 {
				t.Errorf("round %d: %d saved, %d birthday rules; want 1, 1", round, ok, n)
			}
		}
	})
}

func TestUpdateAndDeleteEarningRule(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@rule-update.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		r := createRule(t, s.db, p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "5", Cap: "once"})

		before := countConfig(t, db)
		stored := reload[models.EarningRule](t, db, r.ID)
		_, err := models.SaveEarningRule(s.db, testActor, p.ID, r.ID, models.EarningRuleInput{Kind: "birthday", Name: "Review", Points: "5"})
		wantFieldMessage(t, err, "kind", "cannot change")
		wantNoWrites(t, db, before)
		wantSameRow(t, reload[models.EarningRule](t, db, r.ID), stored)

		// An empty kind keeps the rule's kind.
		updated, err := models.SaveEarningRule(s.db, testActor, p.ID, r.ID, models.EarningRuleInput{Name: "Google review", Points: "15", Cap: "month", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Kind != models.RuleAction || updated.Name != "Google review" || updated.Points != 15 || updated.Cap != models.CapMonth || !updated.Active {
			t.Errorf("updated = %+v", updated)
		}
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditUpdate, "earning_rule", r.ID)
		if got := strings.Join(changed(e), ","); got != "Active,Cap,Name,Points" {
			t.Errorf("changes = %s, want Active,Cap,Name,Points", got)
		}

		// Not in another program.
		tea := createProgram(t, s.db, pointsInput("Tea"))
		before = countConfig(t, db)
		_, err = models.GetEarningRule(s.db, tea.ID, r.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.SaveEarningRule(s.db, testActor, tea.ID, r.ID, models.EarningRuleInput{Name: "Moved", Points: "1", Cap: "once"})
		wantCode(t, err, models.ENOTFOUND)
		wantCode(t, models.DeleteEarningRule(s.db, testActor, tea.ID, r.ID), models.ENOTFOUND)
		wantNoWrites(t, db, before)

		before = countConfig(t, db)
		if err := models.DeleteEarningRule(s.db, testActor, p.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		wantWrites(t, db, before, map[string]int64{"earning_rules": -1, "audit_entries": 1})
		e = lastAudit(t, s.db)
		wantAudit(t, e, models.AuditDelete, "earning_rule", r.ID)
		if e.AfterJSON != "" || !strings.Contains(e.BeforeJSON, `"Name":"Google review"`) || !strings.Contains(e.Summary, "Google review") {
			t.Errorf("delete audit = %q, before %q, after %q", e.Summary, e.BeforeJSON, e.AfterJSON)
		}
		wantCode(t, models.DeleteEarningRule(s.db, testActor, p.ID, r.ID), models.ENOTFOUND)
	})
}
