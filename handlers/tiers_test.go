package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

// tierForm is a valid add-a-tier form for a ladder tier.
func tierForm(name, position, threshold, multiplier string) url.Values {
	return url.Values{
		"name": {name}, "color": {"#c0a060"}, "position": {position}, "threshold": {threshold},
		"earn_multiplier": {multiplier}, "discount": {"0"}, "perks": {""}, "fee": {""}, "period_months": {""},
	}
}

// tierByName loads a tier of a program.
func (app *testApp) tierByName(p *models.Program, name string) *models.Tier {
	app.t.Helper()
	var tier models.Tier
	if err := models.CrossTenant(app.db).Where("program_id = ? AND name = ?", p.ID, name).Take(&tier).Error; err != nil {
		app.t.Fatalf("tier %s: %v", name, err)
	}
	return &tier
}

func TestTierLadder(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		tiers := sectionPath(p, "tiers")

		page := acct.owner.get(tiers)
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="tab-tiers"][aria-current="page"]`) || !page.has(`[data-testid="no-tiers"]`) {
			t.Fatal("empty tiers page: tab or empty state missing")
		}
		if got := inputValue(page, "position"); got != "1" {
			t.Errorf("first rank offered %q", got)
		}
		if rules := page.text(`[data-testid="tier-rules"]`); !strings.Contains(rules, "points earned over their lifetime") || !strings.Contains(rules, "never move down") {
			t.Errorf("rules %q", rules)
		}
		for _, f := range []url.Values{
			tierForm("Bronze", "1", "0", "1"),
			tierForm("Silver", "2", "500", "1.25"),
			withFields(tierForm("Gold", "3", "1500", "1.5"), "discount", "5", "free_shipping", "on", "perks", "Birthday cake"),
		} {
			expectRedirect(t, acct.owner.post(tiers, f), tiers)
		}
		page = expectFlash(t, acct.owner, tiers, "Gold is added to Coffee Club.")
		rows := rowTexts(page, `[data-testid="ladder"] [data-testid="tier-row"]`)
		want := []string{
			"1 Bronze 0 points earned none",
			"2 Silver 500 points earned 1.25× points",
			"3 Gold 1500 points earned 1.5× points 5% off free shipping Birthday cake",
		}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Fatalf("ladder:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}
		if fill, _ := page.doc.Find(`[data-testid="tier-row"] svg rect`).First().Attr("fill"); fill != "#c0a060" {
			t.Errorf("swatch fill %q", fill)
		}
		if got := inputValue(page, "position"); got != "4" {
			t.Errorf("next rank offered %q", got)
		}

		before := app.tally(&models.Tier{})
		cases := []struct {
			form  url.Values
			field string
			says  string
		}{
			{tierForm("Platinum", "4", "1000", "2"), "threshold", "Gold"},
			{tierForm("Platinum", "2", "800", "2"), "position", "Silver already has rank 2"},
			{tierForm("Silver", "4", "3000", "2"), "name", ""},
			{tierForm("", "4", "3000", "2"), "name", ""},
			{withFields(tierForm("Platinum", "4", "3000", "2"), "color", "red"), "color", ""},
			{tierForm("Platinum", "4", "3000", "0.5"), "earn_multiplier", ""},
			{tierForm("Platinum", "4", "lots", "2"), "threshold", ""},
			{tierForm("Platinum", "zero", "3000", "2"), "position", ""},
			{withFields(tierForm("Platinum", "4", "3000", "2"), "discount", "150"), "discount", ""},
			{withFields(tierForm("VIP", "1", "", "2"), "paid", "on", "fee", "0", "period_months", "12"), "fee", ""},
			{withFields(tierForm("VIP", "1", "", "2"), "paid", "on", "fee", "9.90", "period_months", "0"), "period_months", ""},
		}
		for _, tc := range cases {
			r := acct.owner.post(tiers, tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if msg := r.text(`[data-testid="error-` + tc.field + `"]`); !strings.Contains(msg, tc.says) {
				t.Errorf("%v: %s says %q, want it to name %q", tc.form, tc.field, msg, tc.says)
			}
			for _, f := range []string{"threshold", "earn_multiplier", "position", "color"} {
				if got := inputValue(r, f); got != tc.form.Get(f) {
					t.Errorf("%v: %s not kept: %q", tc.form, f, got)
				}
			}
			if _, checked := r.doc.Find("#f-paid").Attr("checked"); checked != tc.form.Has("paid") {
				t.Errorf("%v: paid box not kept", tc.form)
			}
		}
		if after := app.tally(&models.Tier{}); after != before {
			t.Fatalf("tiers and audit %+v → %+v after refused adds", before, after)
		}

		// A paid tier stands in its own table.
		expectRedirect(t, acct.owner.post(tiers, withFields(tierForm("VIP", "1", "", "2"), "paid", "on", "fee", "9.90", "period_months", "12")), tiers)
		page = acct.owner.get(tiers)
		if rows := rowTexts(page, `[data-testid="paid-tiers"] [data-testid="tier-row"]`); len(rows) != 1 || rows[0] != "1 VIP 9.90 EUR every 12 months 2× points" {
			t.Fatalf("paid tiers %q", rows)
		}
	})
}

func TestEditAndDeleteTier(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		tiers := sectionPath(p, "tiers")
		expectRedirect(t, acct.owner.post(tiers, tierForm("Bronze", "1", "0", "1")), tiers)
		expectRedirect(t, acct.owner.post(tiers, tierForm("Silver", "2", "500", "1.25")), tiers)
		expectRedirect(t, acct.owner.post(tiers, tierForm("Gold", "3", "1500", "1.5")), tiers)
		bronze, silver, gold := app.tierByName(p, "Bronze"), app.tierByName(p, "Silver"), app.tierByName(p, "Gold")

		edit := sectionPath(p, "tiers", silver.ID)
		page := acct.owner.get(edit)
		expectStatus(t, page, http.StatusOK)
		if inputValue(page, "threshold") != "500" || inputValue(page, "earn_multiplier") != "1.25" || inputValue(page, "name") != "Silver" {
			t.Fatal("edit form not filled with the tier")
		}
		before := app.tally(&models.Tier{})
		r := acct.owner.post(edit, tierForm("Silver", "2", "2000", "1.25"))
		expectRefused(t, r, http.StatusUnprocessableEntity, "threshold", nil)
		if msg := r.text(`[data-testid="error-threshold"]`); !strings.Contains(msg, "Gold") {
			t.Errorf("threshold message %q does not name Gold", msg)
		}
		if inputValue(r, "threshold") != "2000" || r.text(`[data-testid="item-name"]`) != "Silver" {
			t.Error("refused edit lost the input or the heading")
		}
		expectRedirect(t, acct.owner.post(edit, tierForm("Silver Plus", "2", "600", "1.3")), tiers)
		if got := app.tierByName(p, "Silver Plus"); got.Threshold != 600 || got.EarnMultiplierMilli != 1300 {
			t.Fatalf("saved %+v", got)
		}

		// The base tier goes last.
		r = acct.owner.post(sectionPath(p, "tiers", bronze.ID)+"/delete", nil)
		expectStatus(t, r, http.StatusConflict)
		if msg := r.text(`[data-testid="form-error"]`); !strings.Contains(msg, "base tier") {
			t.Errorf("conflict message %q", msg)
		}
		if after := app.tally(&models.Tier{}); after.Rows != before.Rows || after.Audit != before.Audit+1 {
			t.Fatalf("tiers and audit %+v → %+v: want only the edit's entry", before, after)
		}
		expectRedirect(t, acct.owner.post(sectionPath(p, "tiers", gold.ID)+"/delete", nil), tiers)
		page = expectFlash(t, acct.owner, tiers, "Gold is deleted.")
		if rows := rowTexts(page, `[data-testid="ladder"] [data-testid="tier-row"]`); len(rows) != 2 {
			t.Fatalf("ladder after delete %q", rows)
		}
		expectStatus(t, acct.owner.get(sectionPath(p, "tiers", gold.ID)), http.StatusNotFound)
	})
}

func TestSpendTiersShowMoney(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		expectRedirect(t, acct.owner.post(fmt.Sprintf("/programs/%d", p.ID), withFields(settingsForm(p), "tier_metric", "spend")), "/programs/")
		tiers := sectionPath(p, "tiers")
		expectRedirect(t, acct.owner.post(tiers, tierForm("Bronze", "1", "0", "1")), tiers)
		expectRedirect(t, acct.owner.post(tiers, tierForm("Silver", "2", "250.50", "1.25")), tiers)
		page := acct.owner.get(tiers)
		if got := page.doc.Find(`[data-testid="tier-threshold"]`).Last().Text(); got != "250.50 EUR spent" {
			t.Errorf("threshold %q", got)
		}
		if got := page.doc.Find(`label[for="f-threshold"]`).Text(); !strings.Contains(got, "EUR spent") {
			t.Errorf("threshold label %q", got)
		}
		silver := app.tierByName(p, "Silver")
		if silver.Threshold != 25050 {
			t.Fatalf("stored threshold %d", silver.Threshold)
		}
		if got := inputValue(acct.owner.get(sectionPath(p, "tiers", silver.ID)), "threshold"); got != "250.50" {
			t.Errorf("edit form threshold %q", got)
		}
		r := acct.owner.post(tiers, tierForm("Gold", "3", "100", "1.5"))
		expectRefused(t, r, http.StatusUnprocessableEntity, "threshold", nil)
		if msg := r.text(`[data-testid="error-threshold"]`); !strings.Contains(msg, "250.50 EUR") {
			t.Errorf("message %q should show Silver's threshold as money", msg)
		}
	})
}

func TestStaffReadsTiers(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		tiers := sectionPath(p, "tiers")
		expectRedirect(t, acct.owner.post(tiers, tierForm("Bronze", "1", "0", "1")), tiers)
		page := app.login("sam@example.com").get(tiers)
		expectStatus(t, page, http.StatusOK)
		if page.has(`[data-testid="tier-form"]`) || page.has(`a[data-testid="tier-name"]`) {
			t.Fatal("staff is offered the add form or edit links")
		}
		if got := page.text(`[data-testid="tier-name"]`); got != "Bronze" {
			t.Fatalf("tier %q", got)
		}
	})
}
