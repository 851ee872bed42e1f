package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/regularshq/regulars/models"
)

// The new-program form offers the type as radios, each type's earning
// field in a block CSS hides unless its type is checked; the server reads
// only the chosen type's field, so the others' leftovers change nothing.
func TestNewProgramFormShowsWhatTheTypeNeeds(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		page := acct.owner.get("/programs")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`input[type="radio"][name="type"][value="points"][checked]`) {
			t.Error("points is not the checked type")
		}
		for typ, field := range map[string]string{"points": "earn_rate", "stamps": "stamps_per_card", "cashback": "cashback"} {
			if !page.has(`.type-fields[data-type="` + typ + `"] input[name="` + field + `"]`) {
				t.Errorf("%s's %s is not in its type's block", typ, field)
			}
		}
		p := app.postProgram(acct, withFields(newProgramForm("Cash Back", "cashback"), "cashback", "3", "earn_rate", "abc", "stamps_per_card", "-4"))
		if p.CashbackBasisPoints != 300 || p.EarnRateHundredths != 0 || p.StampsPerCard != 0 {
			t.Errorf("stored %+v", p)
		}
		refused := acct.owner.post("/programs", withFields(newProgramForm("Stamps", "stamps"), "stamps_per_card", "0"))
		expectStatus(t, refused, http.StatusUnprocessableEntity)
		if !refused.has(`input[name="type"][value="stamps"][checked]`) || refused.text(`[data-testid="error-stamps_per_card"]`) == "" {
			t.Errorf("refused stamps form:\n%.800s", refused.body)
		}
	})
}

// The owner edits a program's purchase limits, checked and audited.
func TestEditProgramPurchaseLimits(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		path := fmt.Sprintf("/programs/%d", p.ID)
		page := acct.owner.get(path)
		if inputValue(page, "max_purchase") != "1000.00" || inputValue(page, "large_purchase") != "200.00" {
			t.Errorf("limits shown %q / %q", inputValue(page, "max_purchase"), inputValue(page, "large_purchase"))
		}
		before := app.tally(&models.Program{})
		r := acct.owner.post(path, withFields(settingsForm(p), "max_purchase", "300", "large_purchase", "400"))
		expectRefused(t, r, http.StatusUnprocessableEntity, "large_purchase", nil)
		if after := app.tally(&models.Program{}); after != before {
			t.Fatalf("a refused edit wrote: %+v → %+v", before, after)
		}
		expectRedirect(t, acct.owner.post(path, withFields(settingsForm(p), "max_purchase", "2500", "large_purchase", "400")), path)
		if got := app.program(p.ID); got.MaxPurchaseMinor != 250_000 || got.LargePurchaseMinor != 40_000 {
			t.Errorf("saved limits %d / %d", got.MaxPurchaseMinor, got.LargePurchaseMinor)
		}
		if after := app.tally(&models.Program{}); after.Audit != before.Audit+1 {
			t.Errorf("audit %d → %d", before.Audit, after.Audit)
		}
	})
}
