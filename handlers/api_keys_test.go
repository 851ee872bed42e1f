package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

func TestAPIKeysPage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		settings := acct.owner.get("/settings/business")
		if !settings.has(`a[href="/settings/api"]`) {
			t.Fatal("settings do not link to the API page")
		}
		app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
		app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		for _, email := range []string{"mia@example.com", "sam@example.com"} {
			c := app.login(email)
			expectStatus(t, c.get("/settings/api"), http.StatusForbidden)
			expectStatus(t, c.post("/settings/api/keys", url.Values{"name": {"Sneaky"}, "scope": {"read-write"}}), http.StatusForbidden)
		}
		page := acct.owner.get("/settings/api")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="no-api-keys"]`) || !strings.Contains(page.text(`[data-testid="api-curl"]`), "/api/v1/members?email=") {
			t.Fatalf("empty page: want no keys and a curl example; body:\n%.600s", page.body)
		}

		r := acct.owner.post("/settings/api/keys", url.Values{"name": {""}, "scope": {"admin"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !r.has(`[data-testid="error-name"]`) || !r.has(`[data-testid="error-scope"]`) {
			t.Errorf("refused key: want messages beside name and scope")
		}
		if n := app.count(&models.APIKey{}); n != 0 {
			t.Fatalf("%d keys after a refused form", n)
		}

		expectRedirect(t, acct.owner.post("/settings/api/keys", url.Values{"name": {"Web shop"}, "scope": {"read"}}), "/settings/api")
		shown := acct.owner.get("/settings/api")
		secret := shown.text("#api-secret")
		if !strings.HasPrefix(secret, "rk_live_") || !shown.has(`button[data-copy="api-secret"]`) {
			t.Fatalf("secret %q: want it shown with a copy button", secret)
		}
		if !strings.Contains(shown.text(`[data-testid="api-curl"]`), secret) {
			t.Error("the curl example does not use the new key")
		}
		if row := shown.text(`[data-testid="api-key-row"]`); !strings.Contains(row, "Web shop") || !strings.Contains(row, secret[:14]) || strings.Contains(row, secret) {
			t.Errorf("row %q: want the name and the prefix, never the secret", row)
		}
		if again := acct.owner.get("/settings/api"); again.has("#api-secret") || strings.Contains(again.body, secret) {
			t.Fatal("the secret is shown a second time")
		}
		var k models.APIKey
		if err := models.CrossTenant(app.db).Take(&k).Error; err != nil {
			t.Fatal(err)
		}
		if k.Scope != models.ScopeRead || k.MerchantID != acct.merchantID || strings.Contains(k.SecretHash, secret) {
			t.Fatalf("stored %+v", k)
		}

		// Another merchant cannot revoke it.
		other := app.signUp("Other Shop", "otto@example.com")
		expectStatus(t, other.owner.post(apiKeyRevoke(k.ID), nil), http.StatusNotFound)
		if stored := reloadKey(t, app, k.ID); stored.RevokedAt != nil {
			t.Fatal("another merchant revoked the key")
		}

		revoke := shown.doc.Find(`[data-testid="api-key-row"] form`)
		if q, _ := revoke.Attr("data-confirm"); !strings.Contains(q, "Web shop") {
			t.Errorf("revoke asks %q, want a confirmation naming the key", q)
		}
		expectRedirect(t, acct.owner.post(apiKeyRevoke(k.ID), nil), "/settings/api")
		if stored := reloadKey(t, app, k.ID); stored.RevokedAt == nil {
			t.Fatal("not revoked")
		}
		if after := acct.owner.get("/settings/api"); !after.has(`[data-testid="api-key-revoked"]`) || after.has(`[data-testid="revoke-api-key"]`) {
			t.Error("a revoked key should show as revoked, without its button")
		}
		audit := acct.owner.get("/settings/audit")
		if !strings.Contains(audit.body, "Created API key Web shop") || !strings.Contains(audit.body, "Revoked API key Web shop") {
			t.Error("the audit log lacks the key's creation and revocation")
		}
	})
}

func apiKeyRevoke(id int64) string { return fmt.Sprintf("/settings/api/keys/%d/revoke", id) }

func reloadKey(t *testing.T, app *testApp, id int64) models.APIKey {
	t.Helper()
	var k models.APIKey
	if err := models.CrossTenant(app.db).Take(&k, id).Error; err != nil {
		t.Fatal(err)
	}
	return k
}
