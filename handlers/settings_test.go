package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

// Once a purchase is recorded the currency is fixed: the page says why and
// a forged change is refused on the field.
func TestBusinessCurrencyLocksOncePurchased(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		owner := s.acct.owner
		page := owner.get("/settings/business")
		if page.has(`[data-testid="input-currency"][disabled]`) || page.has(`[data-testid="currency-locked"]`) {
			t.Error("the currency is locked before any purchase")
		}
		form := url.Values{"business_name": {"Corner Café"}, "currency": {"USD"}, "time_zone": {"Europe/Paris"}}
		expectRedirect(t, owner.post("/settings/business", form), "/settings/business")

		m := s.enrol("Mo Member", "")
		s.spend(m, "4.50")
		page = owner.get("/settings/business")
		if !page.has(`[data-testid="input-currency"][disabled]`) || !strings.Contains(page.text(`[data-testid="currency-locked"]`), "Purchases are recorded in USD") {
			t.Errorf("locked currency not shown:\n%.1500s", page.body)
		}
		// The page's own form still saves the rest.
		expectRedirect(t, owner.post("/settings/business", withFields(form, "business_name", "Corner Café II")), "/settings/business")
		r := owner.post("/settings/business", withFields(form, "currency", "JPY"))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if msg := r.text(`[data-testid="error-currency"]`); !strings.Contains(msg, "relabel") {
			t.Errorf("currency message %q", msg)
		}
		var mer models.Merchant
		if err := models.CrossTenant(app.db).Take(&mer, s.acct.merchantID).Error; err != nil || mer.Currency != "USD" || mer.Name != "Corner Café II" {
			t.Errorf("merchant %+v (%v)", mer, err)
		}
	})
}
