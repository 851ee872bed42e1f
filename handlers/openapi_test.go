package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The OpenAPI document is linked from Settings → API, public and
// cacheable: no key, an ETag a client revalidates with, and none of the
// no-store the API's answers carry.
func TestOpenAPIServed(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		href, _ := acct.owner.get("/settings/api").doc.Find(`a[data-testid="api-openapi"]`).Attr("href")
		if href != "/api/v1/openapi.json" {
			t.Fatalf("Settings → API links the OpenAPI document as %q", href)
		}
		res, err := http.Get(app.srv.URL + href)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.1.") || doc.Paths["/purchases"]["post"] == nil {
			t.Fatalf("openapi %q, paths %v", doc.OpenAPI, doc.Paths)
		}
		etag := res.Header.Get("ETag")
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "public") || etag == "" {
			t.Fatalf("Cache-Control %q, ETag %q", cc, etag)
		}
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/api/v1/openapi.json", nil)
		req.Header.Set("If-None-Match", etag)
		again, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		again.Body.Close()
		if again.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation answered %d, want 304", again.StatusCode)
		}
		// The rest of the API still wants a key.
		expectAPI(t, app.apiCall("GET", "/rewards", "", nil), http.StatusUnauthorized, "unauthorized")
	})
}
