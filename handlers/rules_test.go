package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

// addRule adds an earning rule through the owner's form and returns it.
func (app *testApp) addRule(c *client, p *models.Program, form url.Values) models.EarningRule {
	app.t.Helper()
	expectRedirect(app.t, c.post(sectionPath(p, "rules"), form), sectionPath(p, "rules"))
	var r models.EarningRule
	if err := models.CrossTenant(app.db).Where("program_id = ?", p.ID).Order("id DESC").Take(&r).Error; err != nil {
		app.t.Fatalf("rule not stored: %v", err)
	}
	return r
}

func birthdayRule() url.Values {
	return url.Values{"kind": {"birthday"}, "points": {"25"}, "window_days": {"7"}, "active": {"on"}}
}

func TestRuleValidation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		owner := s.acct.owner
		app.addRule(owner, s.coffee, birthdayRule())
		app.addRule(owner, s.coffee, url.Values{"kind": {"action"}, "name": {"Review"}, "points": {"10"}, "cap": {"once"}, "active": {"on"}})
		before := app.tally(&models.EarningRule{})
		cases := []struct {
			form  url.Values
			field string
		}{
			{url.Values{"kind": {"birthday"}, "name": {"Second birthday"}, "points": {"5"}}, "kind"},
			{url.Values{"kind": {"referral"}, "name": {"Bring a friend"}, "points": {"0"}, "referred_points": {"0"}}, "points"},
			{url.Values{"kind": {"referral"}, "name": {"Bring a friend"}, "points": {"10"}, "min_purchase": {"ten"}}, "min_purchase"},
			{url.Values{"kind": {"action"}, "name": {"Newsletter sign-up"}, "points": {"0"}, "cap": {"once"}}, "points"},
			{url.Values{"kind": {"action"}, "name": {"Newsletter sign-up"}, "points": {"5"}, "cap": {"hourly"}}, "cap"},
			{url.Values{"kind": {"action"}, "name": {""}, "points": {"5"}, "cap": {"once"}}, "name"},
			{url.Values{"kind": {"action"}, "name": {"REVIEW"}, "points": {"5"}, "cap": {"day"}}, "name"},
			{url.Values{"kind": {"lottery"}, "name": {"Draw"}, "points": {"5"}}, "kind"},
		}
		for _, tc := range cases {
			r := owner.post(sectionPath(s.coffee, "rules"), tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if got := inputValue(r, "points"); got != tc.form.Get("points") {
				t.Errorf("%v: points not kept: %q", tc.form, got)
			}
			if r.has("#f-active[checked]") {
				t.Errorf("%v: the unticked active box came back ticked", tc.form)
			}
		}
		if after := app.tally(&models.EarningRule{}); after != before {
			t.Fatalf("refused rules wrote: %+v → %+v", before, after)
		}
	})
}

func TestRuleLifecycle(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		owner, list := s.acct.owner, sectionPath(s.coffee, "rules")
		audit := app.count(&models.AuditEntry{})

		page := owner.get(list)
		expectStatus(t, page, http.StatusOK)
		if got := page.text(`[data-testid="sign-up-bonus"]`); !strings.Contains(got, "none") {
			t.Errorf("sign-up bonus %q", got)
		}
		if page.doc.Find(`#suggested-actions option[value="Newsletter sign-up"]`).Length() != 1 {
			t.Error("no suggested custom actions")
		}
		if hints := page.text(`[data-testid="rule-kind-hints"]`); !strings.Contains(hints, "changed in the last 30 days") || !strings.Contains(hints, "cannot refer themselves") {
			t.Errorf("kind hints %q", hints)
		}

		birthday := app.addRule(owner, s.coffee, birthdayRule())
		if birthday.Kind != models.RuleBirthday || birthday.Points != 25 || birthday.WindowDays != 7 || !birthday.Active || birthday.Name != "Birthday treat" {
			t.Fatalf("birthday rule %+v", birthday)
		}
		news := app.addRule(owner, s.coffee, url.Values{"kind": {"action"}, "name": {"Newsletter sign-up"}, "points": {"20"}, "cap": {"once"}, "active": {"on"}})
		if news.Cap != models.CapOnce || news.Points != 20 {
			t.Fatalf("newsletter rule %+v", news)
		}
		page = expectFlash(t, owner, list, "Newsletter sign-up")
		rows := rowTexts(page, `[data-testid="rule-row"]`)
		if len(rows) != 2 || !strings.HasPrefix(rows[0], "Custom action Newsletter sign-up 20 points") || !strings.Contains(rows[0], "once ever") ||
			!strings.HasPrefix(rows[1], "Birthday Birthday treat 25 points") || !strings.Contains(rows[1], "up to 7 days after") {
			t.Fatalf("rules table %q", rows)
		}

		// Edit: the kind is fixed; pausing a rule is unticking active.
		edit := owner.get(sectionPath(s.coffee, "rules", news.ID))
		expectStatus(t, edit, http.StatusOK)
		if inputValue(edit, "name") != "Newsletter sign-up" || !edit.has("#f-active[checked]") || edit.has(`select[name="kind"]`) {
			t.Fatalf("edit form:\n%.1500s", edit.body)
		}
		expectRedirect(t, owner.post(sectionPath(s.coffee, "rules", news.ID), url.Values{"name": {"Newsletter sign-up"}, "points": {"30"}, "cap": {"once"}}), list)
		var saved models.EarningRule
		if err := models.CrossTenant(app.db).Take(&saved, news.ID).Error; err != nil || saved.Active || saved.Points != 30 {
			t.Fatalf("after edit %+v (%v)", saved, err)
		}
		if got := rowTexts(owner.get(list), `[data-testid="rule-row"]`)[0]; !strings.HasPrefix(got, "Custom action Newsletter sign-up paused 30 points") {
			t.Errorf("paused rule row %q", got)
		}
		// A refused edit keeps the typed input on the edit page.
		form := url.Values{"name": {"Newsletter sign-up"}, "points": {"-4"}, "cap": {"once"}}
		expectRefused(t, owner.post(sectionPath(s.coffee, "rules", news.ID), form), http.StatusUnprocessableEntity, "points", form)

		expectRedirect(t, owner.post(sectionPath(s.coffee, "rules", news.ID)+"/delete", nil), list)
		if app.count(&models.EarningRule{}) != 1 {
			t.Fatal("rule not deleted")
		}
		if got := app.count(&models.AuditEntry{}); got != audit+4 {
			t.Fatalf("audit entries %d → %d, want 4 more (two adds, an edit, a delete)", audit, got)
		}
	})
}

func TestReferralRule(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		r := app.addRule(s.acct.owner, s.coffee, url.Values{"kind": {"referral"}, "points": {"50"}, "referred_points": {"25"}, "min_purchase": {"10"}, "active": {"on"}})
		if r.Name != "Refer a friend" || r.ReferredPoints != 25 || r.MinPurchaseMinor != 1000 || r.Cap != models.CapUnlimited {
			t.Fatalf("referral %+v", r)
		}
		row := rowTexts(s.staff.get(sectionPath(s.coffee, "rules")), `[data-testid="rule-row"]`)
		if len(row) != 1 || row[0] != "Referral Refer a friend 50 points 25 points 10.00 EUR — each referral" {
			t.Fatalf("referral row %q", row)
		}
	})
}

func TestRuleRoles(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		rule := app.addRule(s.acct.owner, s.coffee, birthdayRule())
		for name, c := range map[string]*client{"staff": s.staff, "manager": s.manager} {
			page := c.get(sectionPath(s.coffee, "rules"))
			expectStatus(t, page, http.StatusOK)
			if !strings.Contains(page.text(`[data-testid="rules-table"]`), "Birthday treat") {
				t.Errorf("%s do not see the rules", name)
			}
			if page.has(`[data-testid="rule-form"]`) || page.has(`[data-testid="edit-rule"]`) {
				t.Errorf("%s are offered the rule form", name)
			}
		}
		before := app.tally(&models.EarningRule{})
		expectStatus(t, s.manager.post(sectionPath(s.coffee, "rules"), url.Values{"kind": {"action"}, "name": {"Review"}, "points": {"5"}, "cap": {"once"}}), http.StatusForbidden)
		expectStatus(t, s.manager.post(sectionPath(s.coffee, "rules", rule.ID)+"/delete", nil), http.StatusForbidden)
		if after := app.tally(&models.EarningRule{}); after != before {
			t.Fatalf("a manager wrote rules: %+v → %+v", before, after)
		}
	})
}

func TestRuleUnderTheWrongProgramIsNotFound(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		rule := app.addRule(s.acct.owner, s.tea, birthdayRule())
		before := app.tally(&models.EarningRule{})
		wrong := sectionPath(s.coffee, "rules", rule.ID)
		expectStatus(t, s.acct.owner.get(wrong), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong, birthdayRule()), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong+"/delete", nil), http.StatusNotFound)
		if after := app.tally(&models.EarningRule{}); after != before {
			t.Fatalf("wrote through the wrong program: %+v → %+v", before, after)
		}
	})
}
