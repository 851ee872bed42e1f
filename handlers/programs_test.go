package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// newProgramForm is a valid add-a-program form.
func newProgramForm(name, typ string) url.Values {
	return url.Values{
		"name": {name}, "type": {typ}, "unit_label": {""}, "status": {"active"},
		"earn_rate": {"1"}, "stamps_per_card": {"10"}, "cashback": {"5"},
		"min_purchase": {"0"}, "sign_up_bonus": {"0"},
	}
}

// postProgram creates a program through the owner's form and loads it.
func (app *testApp) postProgram(acct *account, form url.Values) *models.Program {
	t := app.t
	t.Helper()
	r := acct.owner.post("/programs", form)
	expectRedirect(t, r, "/programs/")
	var id int64
	if _, err := fmt.Sscanf(r.location(), "/programs/%d", &id); err != nil {
		t.Fatalf("new program location %q: %v", r.location(), err)
	}
	return app.program(id)
}

func (app *testApp) program(id int64) *models.Program {
	app.t.Helper()
	var p models.Program
	if err := models.CrossTenant(app.db).Take(&p, id).Error; err != nil {
		app.t.Fatal(err)
	}
	return &p
}

// settingsForm is the overview's form as the page fills it for p.
func settingsForm(p *models.Program) url.Values {
	in := p.FormInput("EUR")
	return url.Values{
		"name": {in.Name}, "unit_label": {in.UnitLabel}, "status": {in.Status},
		"earn_rate": {in.EarnRate}, "stamps_per_card": {in.StampsPerCard}, "cashback": {in.Cashback},
		"card_reward_id": {in.CardRewardID}, "min_purchase": {in.MinPurchase},
		"max_purchase": {in.MaxPurchase}, "large_purchase": {in.LargePurchase},
		"sign_up_bonus": {in.SignUpBonus}, "point_value": {in.PointValue},
		"expiry_policy": {in.ExpiryPolicy}, "expiry_months": {in.ExpiryMonths}, "reminder_days": {in.ReminderDays},
		"tier_metric": {in.TierMetric}, "tier_window": {in.TierWindow},
		"downgrade_policy": {in.DowngradePolicy}, "downgrade_grace_days": {in.DowngradeGraceDays},
	}
}

// hxGet asks as htmx does, for a fragment.
func (c *client) hxGet(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

func TestCreateProgramValidation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		before := app.tally(&models.Program{})
		cases := []struct {
			form  url.Values
			field string
		}{
			{withFields(newProgramForm("", "points")), "name"},
			{withFields(newProgramForm("coffee club", "points")), "name"},
			{withFields(newProgramForm("Beans", "lottery")), "type"},
			{withFields(newProgramForm("Beans", "points"), "earn_rate", "lots"), "earn_rate"},
			{withFields(newProgramForm("Beans", "points"), "earn_rate", "0"), "earn_rate"},
			{withFields(newProgramForm("Beans", "stamps"), "stamps_per_card", "0"), "stamps_per_card"},
			{withFields(newProgramForm("Beans", "cashback"), "cashback", "150"), "cashback"},
			{withFields(newProgramForm("Beans", "points"), "min_purchase", "-5"), "min_purchase"},
			{withFields(newProgramForm("Beans", "points"), "sign_up_bonus", "1.5"), "sign_up_bonus"},
			{withFields(newProgramForm("Beans", "points"), "status", "gone"), "status"},
			{withFields(newProgramForm("Beans", "points"), "unit_label", strings.Repeat("b", 21)), "unit_label"},
		}
		for _, tc := range cases {
			r := acct.owner.post("/programs", tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			for _, f := range []string{"earn_rate", "stamps_per_card", "cashback", "min_purchase", "unit_label"} {
				if got := inputValue(r, f); got != tc.form.Get(f) {
					t.Errorf("%v: %s not kept: %q", tc.form, f, got)
				}
			}
			if got, _ := r.doc.Find(`input[name="type"][checked]`).Attr("value"); tc.field != "type" && got != tc.form.Get("type") {
				t.Errorf("%v: type not kept: %q", tc.form, got)
			}
		}
		if after := app.tally(&models.Program{}); after != before {
			t.Fatalf("programs and audit %+v → %+v after refused adds", before, after)
		}
	})
}

func TestCreateProgramsOfEachType(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.post("/programs", withFields(newProgramForm("Coffee Club", "points"), "earn_rate", "1", "min_purchase", "2.50"))
		expectRedirect(t, r, "/programs/")
		page := expectFlash(t, acct.owner, r.location(), "Coffee Club is created")
		if got := page.text(`[data-testid="program-name"]`); got != "Coffee Club" {
			t.Errorf("overview of %q", got)
		}
		if !page.has(`[data-testid="tab-overview"][aria-current="page"]`) {
			t.Error("overview tab not current")
		}
		app.postProgram(acct, newProgramForm("Stamp Card", "stamps"))
		app.postProgram(acct, withFields(newProgramForm("Cash Back", "cashback"), "cashback", "2.5", "status", "draft"))

		list := acct.owner.get("/programs")
		expectStatus(t, list, http.StatusOK)
		rows := rowTexts(list, `[data-testid="program-row"]`)
		want := []string{
			"Cash Back cashback draft 2.5% back",
			"Coffee Club points active 1 point per EUR, from 2.50 EUR",
			"Stamp Card stamps active card of 10 stamps",
		}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Fatalf("program rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}
		var p models.Program
		if err := models.CrossTenant(app.db).Where("name = ?", "Coffee Club").Take(&p).Error; err != nil {
			t.Fatal(err)
		}
		if p.EarnRateHundredths != 100 || p.MinPurchaseMinor != 250 || p.UnitLabel != "points" || p.MerchantID != acct.merchantID {
			t.Fatalf("stored %+v", p)
		}
	})
}

func TestEditProgramSettings(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		path := fmt.Sprintf("/programs/%d", p.ID)

		page := acct.owner.get(path)
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="program-settings-form"]`) || inputValue(page, "earn_rate") != "1" || inputValue(page, "name") != "Coffee Club" {
			t.Fatal("settings form missing or not filled with the program")
		}
		if page.has("#f-cashback") || page.has("#f-stamps_per_card") {
			t.Error("a points program's form offers other types' fields")
		}

		before := app.tally(&models.Program{})
		cases := []struct {
			form  url.Values
			field string
		}{
			{withFields(settingsForm(p), "name", ""), "name"},
			{withFields(settingsForm(p), "type", "stamps"), "type"},
			{withFields(settingsForm(p), "earn_rate", "2.555"), "earn_rate"},
			{withFields(settingsForm(p), "expiry_policy", "after_earning", "expiry_months", "0"), "expiry_months"},
			{withFields(settingsForm(p), "expiry_policy", "inactivity", "expiry_months", "1", "reminder_days", "40"), "reminder_days"},
			{withFields(settingsForm(p), "downgrade_policy", "end_of_window", "tier_window", "lifetime"), "downgrade_policy"},
			{withFields(settingsForm(p), "downgrade_policy", "grace", "tier_window", "calendar_year", "downgrade_grace_days", "0"), "downgrade_grace_days"},
			{withFields(settingsForm(p), "tier_metric", "vibes"), "tier_metric"},
			{withFields(settingsForm(p), "point_value", "0.000001"), "point_value"},
		}
		for _, tc := range cases {
			r := acct.owner.post(path, tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if got := r.text(`[data-testid="program-name"]`); got != "Coffee Club" {
				t.Errorf("refused page heads %q, want the stored name", got)
			}
			if tc.form.Get("expiry_months") != "" && inputValue(r, "expiry_months") != tc.form.Get("expiry_months") {
				t.Errorf("%v: expiry months not kept", tc.form)
			}
		}
		if after := app.tally(&models.Program{}); after != before {
			t.Fatalf("programs and audit %+v → %+v after refused edits", before, after)
		}
		if got := app.program(p.ID); got.EarnRateHundredths != 100 || got.Name != "Coffee Club" {
			t.Fatalf("refused edits changed the program: %+v", got)
		}

		r := acct.owner.post(path, withFields(settingsForm(p),
			"name", "Coffee Club+", "earn_rate", "2", "point_value", "0.01", "sign_up_bonus", "50",
			"expiry_policy", "after_earning", "expiry_months", "12", "reminder_days", "14",
			"tier_metric", "spend", "tier_window", "rolling_12_months", "downgrade_policy", "grace", "downgrade_grace_days", "30"))
		expectRedirect(t, r, path)
		expectFlash(t, acct.owner, path, "Coffee Club+'s settings are saved.")
		got := app.program(p.ID)
		if got.Name != "Coffee Club+" || got.EarnRateHundredths != 200 || got.PointValueMilli != 1000 || got.SignUpBonus != 50 ||
			got.ExpiryPolicy != models.ExpireAfterEarning || got.ExpiryMonths != 12 || got.ReminderDays != 14 ||
			got.TierMetric != models.MetricSpend || got.TierWindow != models.WindowRolling12 ||
			got.DowngradePolicy != models.DowngradeGrace || got.DowngradeGraceDays != 30 || got.Type != models.ProgramPoints {
			t.Fatalf("saved %+v", got)
		}
		if after := app.tally(&models.Program{}); after.Audit != before.Audit+1 {
			t.Fatalf("audit %d → %d, want one entry for the edit", before.Audit, after.Audit)
		}
	})
}

func TestStampsProgramCardReward(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Stamp Card", "stamps"))
		other := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		db := models.ForMerchant(app.db, acct.merchantID)
		coffee, err := models.SaveReward(db, models.Actor{Name: "fixture"}, p.ID, 0, models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "10"})
		if err != nil {
			t.Fatal(err)
		}
		foreign, err := models.SaveReward(db, models.Actor{Name: "fixture"}, other.ID, 0, models.RewardInput{Name: "Mug", Type: "free_item", Cost: "10"})
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/programs/%d", p.ID)
		page := acct.owner.get(path)
		if !page.has(fmt.Sprintf(`#f-card_reward_id option[value="%d"]`, coffee.ID)) || page.has(fmt.Sprintf(`#f-card_reward_id option[value="%d"]`, foreign.ID)) {
			t.Fatal("card reward select must list this program's rewards only")
		}
		r := acct.owner.post(path, withFields(settingsForm(p), "card_reward_id", fmt.Sprint(foreign.ID)))
		expectRefused(t, r, http.StatusUnprocessableEntity, "card_reward_id", nil)
		expectRedirect(t, acct.owner.post(path, withFields(settingsForm(p), "card_reward_id", fmt.Sprint(coffee.ID), "stamps_per_card", "8")), path)
		if got := app.program(p.ID); got.CardRewardID == nil || *got.CardRewardID != coffee.ID || got.StampsPerCard != 8 {
			t.Fatalf("saved %+v", got)
		}
	})
}

func TestStaffReadsProgramAndPreviews(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		sam := app.login("sam@example.com")

		list := sam.get("/programs")
		expectStatus(t, list, http.StatusOK)
		if list.has(`[data-testid="program-form"]`) || !list.has(`[data-testid="program-link"]`) {
			t.Fatal("staff should see the list and no add form")
		}
		page := sam.get(fmt.Sprintf("/programs/%d", p.ID))
		expectStatus(t, page, http.StatusOK)
		if page.has(`[data-testid="program-settings-form"]`) || page.has(`form[method="post"] #f-name`) {
			t.Fatal("staff sees the settings form")
		}
		if def := page.text(`[data-testid="program-definition"]`); !strings.Contains(def, "1 point per EUR") || !strings.Contains(def, "Never") {
			t.Fatalf("read-only settings %q", def)
		}
		r := sam.hxGet(fmt.Sprintf("/programs/%d/preview?amount=7.90", p.ID))
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="preview-total"]`); got != "7 points" {
			t.Fatalf("staff preview total %q", got)
		}
		expectStatus(t, sam.post(fmt.Sprintf("/programs/%d", p.ID), settingsForm(p)), http.StatusForbidden)
	})
}

// localDate is a day relative to today in the test merchant's zone.
func localDate(days int) string {
	loc, _ := time.LoadLocation("Europe/Paris")
	return time.Now().In(loc).AddDate(0, 0, days).Format(time.DateOnly)
}

func TestEarnPreview(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		db := models.ForMerchant(app.db, acct.merchantID)
		fixture := models.Actor{Name: "fixture"}
		var gold *models.Tier
		for i, in := range []models.TierInput{
			{Name: "Bronze", Threshold: "0", EarnMultiplier: "1"},
			{Name: "Silver", Threshold: "500", EarnMultiplier: "1.25"},
			{Name: "Gold", Threshold: "1500", EarnMultiplier: "1.5"},
		} {
			in.Position = fmt.Sprint(i + 1)
			tier, err := models.CreateTier(db, fixture, p.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			gold = tier
		}
		preview := func(query string) *response {
			t.Helper()
			r := acct.owner.hxGet(fmt.Sprintf("/programs/%d/preview?%s", p.ID, query))
			expectStatus(t, r, http.StatusOK)
			if r.has("nav") || r.has(`[data-testid="preview-form"]`) {
				t.Fatalf("htmx got more than the fragment:\n%.300s", r.body)
			}
			return r
		}
		expectParts := func(r *response, want map[string]string) {
			t.Helper()
			for part, text := range want {
				sel := `[data-testid="preview-` + part + `"]`
				if got := r.text(sel); got != text || (text == "" && r.has(sel)) {
					t.Errorf("%s %q, want %q", part, got, text)
				}
			}
		}

		withGold := url.Values{"amount": {"12.50"}, "tier": {fmt.Sprint(gold.ID)}}.Encode()
		expectParts(preview(withGold), map[string]string{"base": "12 points", "tier": "Gold 1.5×", "campaign": "", "bonus": "", "total": "18 points"})
		expectParts(preview("amount=12.50&tier="), map[string]string{"base": "12 points", "tier": "", "total": "12 points"})

		if _, err := models.SaveCampaign(db, fixture, p.ID, 0, models.CampaignInput{Name: "Double points", StartsOn: localDate(-1), EndsOn: localDate(1), Multiplier: "2"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		expectParts(preview(withGold), map[string]string{"tier": "Gold 1.5×", "campaign": "Double points 2×", "total": "37 points"})
		if _, err := models.SaveCampaign(db, fixture, p.ID, 0, models.CampaignInput{Name: "Welcome week", StartsOn: localDate(-1), EndsOn: localDate(1), Multiplier: "1.5", BonusPoints: "5"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		expectParts(preview(withGold), map[string]string{"campaign": "Double points 2×", "bonus": "+5 points (Welcome week)", "total": "42 points"})

		// Refused input answers inside the fragment, with 200 so htmx swaps it.
		for _, q := range []string{"amount=abc", "amount=-3", "amount=1.234", "amount=5&tier=x", fmt.Sprintf("amount=5&tier=%d", gold.ID+1000)} {
			if r := preview(q); !r.has(`[data-testid="preview-error"]`) {
				t.Errorf("%s: no message in the fragment:\n%.300s", q, r.body)
			}
		}
		if r := preview("amount=0"); !strings.Contains(r.text(`[data-testid="preview-reason"]`), "above 0") {
			t.Errorf("zero amount: %q", r.text(`[data-testid="preview-reason"]`))
		}

		// Without htmx the whole page comes back, the answer filled in.
		page := acct.owner.get(fmt.Sprintf("/programs/%d/preview?%s", p.ID, withGold))
		expectStatus(t, page, http.StatusOK)
		if page.text(`[data-testid="preview-total"]`) != "42 points" || inputValue(page, "amount") != "12.50" || !page.has(`[data-testid="program-settings-form"]`) {
			t.Fatal("plain preview should render the overview with the answer and the amount kept")
		}
		if got, _ := page.doc.Find(`#f-tier option[selected]`).Attr("value"); got != fmt.Sprint(gold.ID) {
			t.Errorf("tier not kept: %q", got)
		}
		if !strings.Contains(page.text(`[data-testid="preview-note"]`), "Multipliers do not stack") {
			t.Error("the stacking rule is not stated")
		}
		bad := acct.owner.get(fmt.Sprintf("/programs/%d/preview?amount=lots", p.ID))
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		if !bad.has(`[data-testid="preview-error"]`) || inputValue(bad, "amount") != "lots" {
			t.Fatal("plain preview of a bad amount: no message or amount lost")
		}

		// A minimum purchase.
		expectRedirect(t, acct.owner.post(fmt.Sprintf("/programs/%d", p.ID), withFields(settingsForm(app.program(p.ID)), "min_purchase", "5")), "/programs/")
		if r := preview("amount=4.99"); !strings.Contains(r.text(`[data-testid="preview-reason"]`), "Below the minimum purchase of 5.00 EUR") {
			t.Errorf("below minimum: %q", r.text(`[data-testid="preview-reason"]`))
		}
	})
}

func TestCashbackPreviewReadsAsMoneyAndWarnsWhenInactive(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, withFields(newProgramForm("Cash Back", "cashback"), "cashback", "5", "status", "draft"))
		r := acct.owner.hxGet(fmt.Sprintf("/programs/%d/preview?amount=12.50", p.ID))
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="preview-total"]`); got != "0.62 EUR credit" {
			t.Fatalf("cashback total %q", got)
		}
		if got := r.text(`[data-testid="preview-inactive"]`); !strings.Contains(got, "Cash Back is draft") {
			t.Errorf("a draft program's preview should warn it earns nothing yet: %q", got)
		}
	})
}
