package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/regularshq/regulars/models"
)

func TestWebhookEndpointsPage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		var hits atomic.Int64
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				w.WriteHeader(http.StatusBadGateway)
			}
		}))
		t.Cleanup(rcv.Close)
		acct := app.signUp("Corner Café", "olive@example.com")
		app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
		page := acct.owner.get("/settings/api")
		if !page.has(`[data-testid="no-webhooks"]`) || !page.has(`[data-testid="input-events-purchase.recorded"]`) {
			t.Fatalf("empty page: want no endpoints and the events to choose; body:\n%.600s", page.body)
		}

		long := "https://example.com/" + strings.Repeat("a", 2001)
		for name, tc := range map[string]struct {
			form  url.Values
			field string
			part  string
		}{
			"bad url":   {url.Values{"url": {"shop.example.com/hooks"}, "events": {"member.created"}}, "url", "http or https"},
			"long url":  {url.Values{"url": {long}, "events": {"member.created"}}, "url", "at most 2000"},
			"no events": {url.Values{"url": {rcv.URL}}, "events", "at least one"},
			"bad event": {url.Values{"url": {rcv.URL}, "events": {"member.deleted"}}, "events", "from the list"},
		} {
			r := acct.owner.post("/settings/api/webhooks", tc.form)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.text(`[data-testid="error-`+tc.field+`"]`), tc.part) {
				t.Errorf("%s: %d, message %q; want 422 saying %q", name, r.status, r.text(`[data-testid="error-`+tc.field+`"]`), tc.part)
			}
			if tc.field == "url" && r.doc.Find(`input[name="url"]`).AttrOr("value", "") != tc.form.Get("url") {
				t.Errorf("%s: the typed URL is not kept in the form", name)
			}
		}
		if n := app.count(&models.WebhookEndpoint{}); n != 0 {
			t.Fatalf("%d endpoints after refused forms", n)
		}

		r := acct.owner.post("/settings/api/webhooks", url.Values{"url": {rcv.URL + "/hooks"}, "events": {"member.created", "purchase.recorded"}})
		expectRedirect(t, r, "/settings/api/webhooks/")
		hookPath := r.location()
		shown := acct.owner.get(hookPath)
		secret := shown.text("#webhook-secret")
		if !strings.HasPrefix(secret, "whsec_") || !shown.has(`button[data-copy="webhook-secret"]`) {
			t.Fatalf("secret %q: want it shown with a copy button", secret)
		}
		if again := acct.owner.get(hookPath); again.has("#webhook-secret") || strings.Contains(again.body, secret) {
			t.Fatal("the secret is shown a second time")
		}
		list := acct.owner.get("/settings/api")
		if row := list.text(`[data-testid="webhook-row"]`); !strings.Contains(row, rcv.URL) || !strings.Contains(row, "purchase.recorded") || strings.Contains(list.body, secret) {
			t.Errorf("row %q: want the URL and events, never the secret", row)
		}

		// The manager cannot reach it, nor see the page.
		mia := app.login("mia@example.com")
		expectStatus(t, mia.get(hookPath), http.StatusForbidden)
		expectStatus(t, mia.post(hookPath+"/delete", nil), http.StatusForbidden)

		db := models.ForMerchant(app.db, acct.merchantID)
		if _, err := models.EnrolMember(db, models.Actor{Name: "test"}, models.MemberInput{Name: "Ada"}, app.clock.now()); err != nil {
			t.Fatal(err)
		}
		w := models.NewWebhookWorker(app.db, slog.New(slog.NewTextHandler(io.Discard, nil)), models.WebhookWorkerOptions{
			Clock: app.clock.now, Targets: models.WebhookTargets{AllowPrivate: true},
		})
		if _, err := w.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		log := acct.owner.get(hookPath)
		if st, resp := log.text(`[data-testid="delivery-status"]`), log.text(`[data-testid="delivery-response"]`); st != "pending" || !strings.Contains(resp, "502") {
			t.Fatalf("log after a 502: status %q response %q", st, resp)
		}
		resend, ok := log.doc.Find(`[data-testid="delivery-row"] form`).Attr("action")
		if !ok {
			t.Fatal("no resend button")
		}
		expectStatus(t, acct.owner.postRaw(resend, url.Values{}), http.StatusForbidden) // no CSRF token
		expectRedirect(t, acct.owner.post(resend, nil), hookPath)
		if n := app.count(&models.WebhookDelivery{}); n != 2 {
			t.Fatalf("%d deliveries after a resend, want 2", n)
		}
		if _, err := w.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		log = acct.owner.get(hookPath)
		if st := log.text(`[data-testid="delivery-row"]:first-child [data-testid="delivery-status"]`); st != "delivered" {
			t.Errorf("resent delivery is %q, want delivered", st)
		}

		expectRedirect(t, acct.owner.post(hookPath+"/rotate", nil), hookPath)
		rotated := acct.owner.get(hookPath)
		if fresh := rotated.text("#webhook-secret"); fresh == secret || !strings.HasPrefix(fresh, "whsec_") || !rotated.has(`[data-testid="webhook-rotation"]`) {
			t.Errorf("after rotation: secret %q, want a new one and the overlap noted", fresh)
		}
		expectRedirect(t, acct.owner.post(hookPath+"/disable", nil), hookPath)
		if st := acct.owner.get(hookPath).text(`[data-testid="webhook-status"]`); st != "disabled" {
			t.Errorf("status %q after disable", st)
		}
		expectRedirect(t, acct.owner.post(hookPath+"/enable", nil), hookPath)
		audit := acct.owner.get("/settings/audit")
		for _, want := range []string{"Added webhook endpoint", "Rotated the secret of webhook endpoint", "Disabled webhook endpoint", "Enabled webhook endpoint", "Resent member.created"} {
			if !strings.Contains(audit.body, want) {
				t.Errorf("the audit log lacks %q", want)
			}
		}
		expectRedirect(t, acct.owner.post(hookPath+"/delete", nil), "/settings/api")
		if n, d := app.count(&models.WebhookEndpoint{}), app.count(&models.WebhookDelivery{}); n != 0 || d != 0 {
			t.Fatalf("%d endpoints and %d deliveries after delete", n, d)
		}
		expectStatus(t, acct.owner.get(hookPath), http.StatusNotFound)
	})
}
