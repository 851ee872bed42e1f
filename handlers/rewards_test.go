package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

// freeCoffee is a fresh form each time: posting stamps the CSRF token into it.
func freeCoffee() url.Values {
	return url.Values{"name": {"Free coffee"}, "type": {"free_item"}, "cost": {"50"}}
}

// addReward adds a reward through the form and returns its id.
func (app *testApp) addReward(c *client, p *models.Program, form url.Values) int64 {
	app.t.Helper()
	expectRedirect(app.t, c.post(sectionPath(p, "rewards"), form), sectionPath(p, "rewards"))
	var r models.Reward
	if err := models.CrossTenant(app.db).Where("program_id = ? AND name = ?", p.ID, form.Get("name")).Take(&r).Error; err != nil {
		app.t.Fatalf("reward %s not stored: %v", form.Get("name"), err)
	}
	return r.ID
}

func (app *testApp) reward(id int64) models.Reward {
	app.t.Helper()
	var r models.Reward
	if err := models.CrossTenant(app.db).Take(&r, id).Error; err != nil {
		app.t.Fatal(err)
	}
	return r
}

func TestRewardValidation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.addReward(s.manager, s.coffee, freeCoffee())
		before := app.tally(&models.Reward{})
		cases := []struct {
			form  url.Values
			field string
		}{
			{url.Values{"name": {"Tenth off"}, "type": {"percent_off"}, "cost": {"80"}, "percent": {"150"}}, "percent"},
			{url.Values{"name": {"Winter cocoa"}, "type": {"free_item"}, "cost": {"40"}, "active_from": {"2026-03-01"}, "active_to": {"2026-02-01"}}, "active_to"},
			{url.Values{"name": {"free COFFEE"}, "type": {"free_item"}, "cost": {"10"}}, "name"},
			{url.Values{"name": {"Cake"}, "type": {"free_item"}, "cost": {"-5"}}, "cost"},
			{url.Values{"name": {"Cake"}, "type": {"free_item"}, "cost": {"30"}, "min_tier_id": {id64(s.teaTier.ID)}}, "min_tier_id"},
			{url.Values{"name": {"Cake"}, "type": {"free_item"}, "cost": {"30"}, "min_tier_id": {"abc"}}, "min_tier_id"},
			{url.Values{"name": {"Five off"}, "type": {"amount_off"}, "cost": {"30"}, "value": {""}}, "value"},
			{url.Values{"name": {"Cake"}, "type": {"free_item"}, "cost": {"30"}, "active_from": {"next week"}}, "active_from"},
			{url.Values{"name": {"Cake"}, "type": {"lottery"}, "cost": {"30"}}, "type"},
			{url.Values{"name": {"Cake"}, "type": {"free_item"}, "cost": {"30"}, "stock": {"-1"}}, "stock"},
			{url.Values{"name": {""}, "type": {"free_item"}, "cost": {"30"}}, "name"},
		}
		for _, tc := range cases {
			r := s.manager.post(sectionPath(s.coffee, "rewards"), tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if got := inputValue(r, "cost"); got != tc.form.Get("cost") {
				t.Errorf("%v: cost not kept: %q", tc.form, got)
			}
		}
		// A cost too big for any number is told the real bound.
		huge := url.Values{"name": {"Cake"}, "type": {"free_item"}, "cost": {"9999999999999999999"}}
		r := s.manager.post(sectionPath(s.coffee, "rewards"), huge)
		expectRefused(t, r, http.StatusUnprocessableEntity, "cost", huge)
		if got := r.text(`[data-testid="error-cost"]`); got != "Enter a whole number from 1 to 100,000,000." {
			t.Errorf("huge cost message %q", got)
		}
		if after := app.tally(&models.Reward{}); after != before {
			t.Fatalf("refused rewards wrote: %+v → %+v", before, after)
		}

		// The edit form refuses the same way and keeps what was typed.
		rewardID := app.addReward(s.manager, s.coffee, url.Values{"name": {"Muffin"}, "type": {"free_item"}, "cost": {"70"}})
		before = app.tally(&models.Reward{})
		form := url.Values{"name": {"Muffin"}, "type": {"percent_off"}, "cost": {"70"}, "percent": {"101"}}
		r = s.manager.post(sectionPath(s.coffee, "rewards", rewardID), form)
		expectRefused(t, r, http.StatusUnprocessableEntity, "percent", form)
		if got := inputValue(r, "percent"); got != "101" {
			t.Errorf("percent not kept: %q", got)
		}
		if after := app.tally(&models.Reward{}); after != before || app.reward(rewardID).Type != models.RewardFreeItem {
			t.Fatalf("refused edit wrote: %+v → %+v", before, after)
		}
	})
}

func TestRewardLifecycle(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		list := sectionPath(s.coffee, "rewards")
		audit := app.count(&models.AuditEntry{})

		// A manager adds a free coffee at 50 points.
		id := app.addReward(s.manager, s.coffee, withFields(freeCoffee(), "description", "Any size", "min_tier_id", id64(s.gold.ID), "stock", "12", "per_member_limit", "1"))
		page := expectFlash(t, s.manager, list, "Free coffee")
		rows := rowTexts(page, `[data-testid="rewards-table"] [data-testid="reward-row"]`)
		if len(rows) != 1 || !strings.Contains(rows[0], "Free coffee") || !strings.Contains(rows[0], "50 points") ||
			!strings.Contains(rows[0], "Free item") || !strings.Contains(rows[0], "Gold") || !strings.Contains(rows[0], "12 left") ||
			!strings.Contains(rows[0], "1 per member") {
			t.Fatalf("rewards table %q", rows)
		}
		if r := app.reward(id); r.Cost != 50 || r.MinTierID == nil || *r.MinTierID != s.gold.ID || r.Description != "Any size" {
			t.Fatalf("stored %+v", r)
		}

		// The edit page shows it as stored; a change is saved.
		edit := s.manager.get(sectionPath(s.coffee, "rewards", id))
		expectStatus(t, edit, http.StatusOK)
		if inputValue(edit, "cost") != "50" || inputValue(edit, "stock") != "12" ||
			edit.doc.Find(`#f-min_tier_id option[selected]`).AttrOr("value", "") != id64(s.gold.ID) ||
			edit.text("#f-description") != "Any size" {
			t.Fatalf("edit form does not show the stored reward:\n%.2000s", edit.body)
		}
		expectRedirect(t, s.manager.post(sectionPath(s.coffee, "rewards", id), withFields(freeCoffee(), "cost", "60")), list)
		if r := app.reward(id); r.Cost != 60 || r.Stock != nil || r.MinTierID != nil {
			t.Fatalf("after edit %+v", r)
		}

		// Archive: out of the table and the catalog, into the archive.
		expectRedirect(t, s.manager.post(sectionPath(s.coffee, "rewards", id)+"/archive", nil), list)
		page = expectFlash(t, s.manager, list, "archived")
		if page.has(`[data-testid="rewards-table"]`) || !strings.Contains(page.text(`[data-testid="archived-rewards-table"]`), "Free coffee") {
			t.Fatal("archived reward not in the archived section")
		}
		if strings.Contains(s.staff.get("/rewards").body, "Free coffee") {
			t.Fatal("archived reward still in the catalog")
		}
		// Restore: back in the catalog.
		expectRedirect(t, s.manager.post(sectionPath(s.coffee, "rewards", id)+"/restore", nil), list)
		if !strings.Contains(s.staff.get("/rewards").body, "Free coffee") {
			t.Fatal("restored reward missing from the catalog")
		}
		if got := app.count(&models.AuditEntry{}); got != audit+4 {
			t.Fatalf("audit entries %d → %d, want 4 more (add, edit, archive, restore)", audit, got)
		}
	})
}

func TestRewardArchiveConflicts(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		list := sectionPath(s.coffee, "rewards")
		old := app.addReward(s.manager, s.coffee, freeCoffee())
		expectRedirect(t, s.manager.post(sectionPath(s.coffee, "rewards", old)+"/archive", nil), list)
		app.addReward(s.manager, s.coffee, freeCoffee()) // the name is free again

		// Restoring the old one would make two active rewards of one name.
		before := app.tally(&models.Reward{})
		r := s.manager.post(sectionPath(s.coffee, "rewards", old)+"/restore", nil)
		expectStatus(t, r, http.StatusConflict)
		if msg := r.text(`[data-testid="form-error"]`); !strings.Contains(msg, "Rename") {
			t.Errorf("conflict message %q", msg)
		}
		if !r.has(`[data-testid="reward-form"]`) || inputValue(r, "name") != "Free coffee" {
			t.Error("the conflict is not shown on the reward's edit page")
		}
		if after := app.tally(&models.Reward{}); after != before || !app.reward(old).Archived {
			t.Fatalf("refused restore wrote: %+v → %+v", before, after)
		}

		// A stamp card's reward cannot be archived while the card gives it.
		db := models.ForMerchant(app.db, s.acct.merchantID)
		card, err := models.CreateProgram(db, models.Actor{Name: "fixture"}, models.ProgramInput{Name: "Stamp card", Type: "stamps", StampsPerCard: "10", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		cake := app.addReward(s.manager, card, url.Values{"name": {"Free cake"}, "type": {"free_item"}, "cost": {"10"}})
		in := card.FormInput("EUR")
		in.CardRewardID = id64(cake)
		if _, err := models.UpdateProgram(db, models.Actor{Name: "fixture"}, card.ID, in); err != nil {
			t.Fatal(err)
		}
		r = s.manager.post(sectionPath(card, "rewards", cake)+"/archive", nil)
		expectStatus(t, r, http.StatusConflict)
		if msg := r.text(`[data-testid="form-error"]`); !strings.Contains(msg, "full card") {
			t.Errorf("conflict message %q", msg)
		}
		if app.reward(cake).Archived {
			t.Fatal("the card's reward was archived")
		}
	})
}

func TestCatalog(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.addReward(s.manager, s.coffee, freeCoffee())
		app.addReward(s.manager, s.coffee, url.Values{"name": {"Summer tea"}, "type": {"amount_off"}, "cost": {"30"}, "value": {"3.5"}, "active_from": {"2999-06-01"}})
		app.addReward(s.manager, s.coffee, url.Values{"name": {"Old promo"}, "type": {"percent_off"}, "cost": {"20"}, "percent": {"10"}, "active_to": {"2001-01-31"}})
		app.addReward(s.manager, s.tea, url.Values{"name": {"Pot of tea"}, "type": {"store_credit"}, "cost": {"40"}, "value": {"5"}, "per_member_limit": {"2"}})
		gone := app.addReward(s.manager, s.tea, url.Values{"name": {"Biscuit"}, "type": {"free_item"}, "cost": {"5"}})
		expectRedirect(t, s.manager.post(sectionPath(s.tea, "rewards", gone)+"/archive", nil), sectionPath(s.tea, "rewards"))

		page := s.staff.get("/rewards")
		expectStatus(t, page, http.StatusOK)
		cards := rowTexts(page, `[data-testid="catalog-reward"]`)
		want := []string{
			"Free coffee 50 points Gives Free item Minimum tier any member Stock unlimited Per member no limit Offered always",
			"Old promo 20 points ended Gives 10% off",
			"Summer tea 30 points not yet Gives 3.50 EUR off",
			"Pot of tea 40 points Gives 5.00 EUR store credit Minimum tier any member Stock unlimited Per member 2 per member",
		}
		if len(cards) != len(want) {
			t.Fatalf("catalog cards %q", cards)
		}
		for _, w := range want {
			if !slices.ContainsFunc(cards, func(c string) bool { return strings.HasPrefix(c, w) }) {
				t.Errorf("no card starts %q in %q", w, cards)
			}
		}
		if page.has("form[method=post]:not(.inline-form)") {
			t.Error("the catalog offers a form")
		}

		// An archived program leaves the catalog.
		db := models.ForMerchant(app.db, s.acct.merchantID)
		in := s.tea.FormInput("EUR")
		in.Status = "archived"
		if _, err := models.UpdateProgram(db, models.Actor{Name: "fixture"}, s.tea.ID, in); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s.staff.get("/rewards").body, "Pot of tea") {
			t.Fatal("an archived program's rewards are in the catalog")
		}
	})
}

func TestRewardRoles(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		id := app.addReward(s.manager, s.coffee, freeCoffee())
		page := s.staff.get(sectionPath(s.coffee, "rewards"))
		expectStatus(t, page, http.StatusOK)
		if !strings.Contains(page.text(`[data-testid="rewards-table"]`), "Free coffee") {
			t.Fatal("staff do not see the rewards")
		}
		if page.has(`[data-testid="reward-form"]`) || page.has(`[data-testid="edit-reward"]`) {
			t.Fatal("staff are offered the reward form or edit links")
		}
		if r := s.manager.get(sectionPath(s.coffee, "rewards")); !r.has(`[data-testid="reward-form"]`) || !r.has(`[data-testid="edit-reward"]`) {
			t.Fatal("a manager is not offered the reward form")
		}
		before := app.tally(&models.Reward{})
		expectStatus(t, s.staff.post(sectionPath(s.coffee, "rewards"), withFields(freeCoffee(), "name", "Tea")), http.StatusForbidden)
		expectStatus(t, s.staff.post(sectionPath(s.coffee, "rewards", id)+"/archive", nil), http.StatusForbidden)
		if after := app.tally(&models.Reward{}); after != before {
			t.Fatalf("staff wrote: %+v → %+v", before, after)
		}
	})
}

// A reward belongs to its program: under another program's path of the
// same merchant it does not exist.
func TestRewardUnderTheWrongProgramIsNotFound(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		id := app.addReward(s.manager, s.tea, url.Values{"name": {"Pot of tea"}, "type": {"free_item"}, "cost": {"40"}})
		before := app.tally(&models.Reward{})
		wrong := sectionPath(s.coffee, "rewards", id)
		expectStatus(t, s.acct.owner.get(wrong), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong, withFields(freeCoffee(), "name", "Pot of tea")), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong+"/archive", nil), http.StatusNotFound)
		expectStatus(t, s.acct.owner.post(wrong+"/restore", nil), http.StatusNotFound)
		expectStatus(t, s.acct.owner.get(sectionPath(s.coffee, "rewards")+"/abc"), http.StatusNotFound)
		if after := app.tally(&models.Reward{}); after != before || app.reward(id).ProgramID != s.tea.ID {
			t.Fatalf("wrote through the wrong program: %+v → %+v", before, after)
		}
	})
}

func id64(n int64) string { return strconvI(n) }
