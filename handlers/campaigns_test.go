package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

func doubleMondays() url.Values {
	return url.Values{
		"name": {"Double points Mondays"}, "starts_on": {"2020-01-01"}, "ends_on": {"2999-12-31"},
		"multiplier": {"2"}, "weekdays": {"1"},
	}
}

// addCampaign adds a campaign through the form and returns it.
func (app *testApp) addCampaign(c *client, p *models.Program, form url.Values) models.Campaign {
	app.t.Helper()
	expectRedirect(app.t, c.post(sectionPath(p, "campaigns"), form), sectionPath(p, "campaigns"))
	var cp models.Campaign
	if err := models.CrossTenant(app.db).Where("program_id = ? AND name = ?", p.ID, form.Get("name")).Take(&cp).Error; err != nil {
		app.t.Fatalf("campaign %s not stored: %v", form.Get("name"), err)
	}
	return cp
}

func TestCampaignValidation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.addCampaign(s.manager, s.coffee, doubleMondays())
		before := app.tally(&models.Campaign{})
		base := url.Values{"name": {"Weekend boost"}, "starts_on": {"2998-06-01"}, "ends_on": {"2998-06-30"}, "multiplier": {"2"}}
		cases := []struct {
			form  url.Values
			field string
		}{
			{withFields(base, "multiplier", "1", "bonus_points", ""), "multiplier"},
			{withFields(base, "multiplier", "11"), "multiplier"},
			{withFields(base, "ends_on", "2998-05-31"), "ends_on"},
			// A campaign over before it starts is not "scheduled".
			{withFields(base, "starts_on", "2001-01-01", "ends_on", "2001-01-31"), "ends_on"},
			{withFields(base, "starts_on", localDate(-2), "ends_on", localDate(-1)), "ends_on"},
			{withFields(base, "starts_on", "June"), "starts_on"},
			{withFields(base, "name", "double POINTS mondays"), "name"},
			{withFields(base, "bonus_points", "-3"), "bonus_points"},
			{withFields(base, "min_purchase", "1.234"), "min_purchase"},
			{withFields(base, "weekdays", "9"), "weekdays"},
			// A tier of another program is refused, not linked.
			{withFields(base, "tier_ids", id64(s.teaTier.ID)), "tier_ids"},
		}
		for _, tc := range cases {
			r := s.manager.post(sectionPath(s.coffee, "campaigns"), tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if got := inputValue(r, "ends_on"); got != tc.form.Get("ends_on") {
				t.Errorf("%v: end date not kept: %q", tc.form, got)
			}
		}
		// Ticked boxes come back ticked.
		form := withFields(base, "multiplier", "1")
		form["weekdays"] = []string{"6", "0"}
		form["tier_ids"] = []string{id64(s.gold.ID)}
		r := s.manager.post(sectionPath(s.coffee, "campaigns"), form)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !r.has("#f-weekdays-6[checked]") || !r.has("#f-weekdays-0[checked]") || r.has("#f-weekdays-1[checked]") ||
			!r.has("#f-tier_ids-"+id64(s.gold.ID)+"[checked]") {
			t.Error("ticked days or tiers not kept")
		}
		if after := app.tally(&models.Campaign{}); after != before {
			t.Fatalf("refused campaigns wrote: %+v → %+v", before, after)
		}
	})
}

func TestCampaignLifecycle(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		list := sectionPath(s.coffee, "campaigns")
		audit := app.count(&models.AuditEntry{})

		cp := app.addCampaign(s.manager, s.coffee, doubleMondays())
		if cp.MultiplierMilli != 2000 || cp.Weekdays != 1<<time.Monday || cp.TierIDs != "" {
			t.Fatalf("stored %+v", cp)
		}
		expectFlash(t, s.manager, list, "Double points Mondays is running.")
		// Forms refuse a past end date, so an ended campaign is one whose
		// days went by.
		if err := models.ForMerchant(app.db, s.coffee.MerchantID).Create(&models.Campaign{ProgramID: s.coffee.ID, Name: "Gold bonus",
			StartsOn: "2001-01-01", EndsOn: "2001-01-31", MultiplierMilli: 1000, BonusPoints: 15, MinPurchaseMinor: 500, TierIDs: id64(s.gold.ID)}).Error; err != nil {
			t.Fatal(err)
		}
		app.addCampaign(s.manager, s.coffee, url.Values{"name": {"Future"}, "starts_on": {"2998-01-01"}, "ends_on": {"2998-01-02"}, "multiplier": {"1.5"}, "weekdays": {"6", "0"}})

		page := expectFlash(t, s.manager, list, "Future is scheduled.")
		if note := page.text(`[data-testid="stacking-note"]`); note != "Multipliers do not stack: the best campaign multiplier applies, times the member's tier multiplier. Bonus points add up." {
			t.Errorf("stacking note %q", note)
		}
		rows := rowTexts(page, `[data-testid="campaign-row"]`) // the latest end first
		want := []string{
			"Double points Mondays 2020-01-01 to 2999-12-31 running 2× — Mon all tiers Edit",
			"Future 2998-01-01 to 2998-01-02 upcoming 1.5× — Sat, Sun all tiers Edit",
			"Gold bonus 2001-01-01 to 2001-01-31 ended +15 points 5.00 EUR every day Gold Edit",
		}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Fatalf("campaigns table\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}

		// The edit page ticks what is stored; a change is saved.
		edit := s.manager.get(sectionPath(s.coffee, "campaigns", cp.ID))
		expectStatus(t, edit, http.StatusOK)
		if inputValue(edit, "multiplier") != "2" || !edit.has("#f-weekdays-1[checked]") || edit.has("#f-weekdays-2[checked]") {
			t.Fatalf("edit form:\n%.2000s", edit.body)
		}
		form := withFields(doubleMondays(), "multiplier", "3")
		// The same tier typed twice, once with a leading zero, is one tier.
		form["tier_ids"] = []string{id64(s.bronze.ID), id64(s.gold.ID), "0" + id64(s.gold.ID)}
		expectRedirect(t, s.manager.post(sectionPath(s.coffee, "campaigns", cp.ID), form), list)
		var saved models.Campaign
		if err := models.CrossTenant(app.db).Take(&saved, cp.ID).Error; err != nil || len(saved.TierIDList()) != 2 || strings.Contains(saved.TierIDs, ",0") {
			t.Fatalf("tier ids stored as %q (%v)", saved.TierIDs, err)
		}
		if got := rowTexts(s.manager.get(list), `[data-testid="campaign-row"]`)[0]; !strings.Contains(got, "3× — Mon Bronze, Gold") {
			t.Fatalf("after edit %q", got)
		}
		expectRedirect(t, s.manager.post(sectionPath(s.coffee, "campaigns", cp.ID)+"/delete", nil), list)
		if app.count(&models.Campaign{}) != 2 {
			t.Fatal("campaign not deleted")
		}
		if got := app.count(&models.AuditEntry{}); got != audit+4 {
			t.Fatalf("audit entries %d → %d, want 4 more (two adds, an edit, a delete)", audit, got)
		}
	})
}

func TestCampaignRoles(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		cp := app.addCampaign(s.manager, s.coffee, doubleMondays())
		page := s.staff.get(sectionPath(s.coffee, "campaigns"))
		expectStatus(t, page, http.StatusOK)
		if !strings.Contains(page.text(`[data-testid="campaigns-table"]`), "Double points Mondays") {
			t.Fatal("staff do not see the campaigns")
		}
		if page.has(`[data-testid="campaign-form"]`) || page.has(`[data-testid="edit-campaign"]`) {
			t.Fatal("staff are offered the campaign form")
		}
		before := app.tally(&models.Campaign{})
		expectStatus(t, s.staff.post(sectionPath(s.coffee, "campaigns"), withFields(doubleMondays(), "name", "Sneaky")), http.StatusForbidden)
		expectStatus(t, s.staff.post(sectionPath(s.coffee, "campaigns", cp.ID)+"/delete", nil), http.StatusForbidden)
		if after := app.tally(&models.Campaign{}); after != before {
			t.Fatalf("staff wrote campaigns: %+v → %+v", before, after)
		}
	})
}

func TestCampaignUnderTheWrongProgramIsNotFound(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		cp := app.addCampaign(s.manager, s.tea, doubleMondays())
		before := app.tally(&models.Campaign{})
		wrong := sectionPath(s.coffee, "campaigns", cp.ID)
		expectStatus(t, s.acct.owner.get(wrong), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong, doubleMondays()), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong+"/delete", nil), http.StatusNotFound)
		if after := app.tally(&models.Campaign{}); after != before {
			t.Fatalf("wrote through the wrong program: %+v → %+v", before, after)
		}
	})
}
