package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// FuzzAPIPurchase posts arbitrary bodies to POST /api/v1/purchases through
// the real app: whatever arrives, never a 5xx, and every refusal is problem
// details of its own status. The seeds run in every `go test`; more with
// `go test -run '^$' -fuzz FuzzAPIPurchase ./handlers/`.
func FuzzAPIPurchase(f *testing.F) {
	// One app per fuzz process: a database per input would make the
	// fuzzer crawl.
	app := newTestApp(f, dbtest.Open(f, models.SQLite))
	s := app.apiShop("Fuzz Cafe", "owner@fuzz.example")
	for _, seed := range []string{
		fmt.Sprintf(`{"member_id": %d, "amount": 1250, "order_reference": "1001", "channel": "online"}`, s.member.ID),
		fmt.Sprintf(`{"email": %q, "amount": 990, "currency": "eur", "occurred_at": "2026-01-02T10:00:00Z"}`, s.member.Email),
		`{"amount": 500}`,
		`{"amount": 500, "colour": "blue"}`,
		`{"amount": 99999999999999999999999}`,
		`{"amount": 9223372036854775807, "member_id": 9223372036854775807}`,
		`{"amount": -1, "program_id": -9223372036854775808}`,
		`{"amount": 1e3, "member_id": 1.5}`,
		`{"amount": "12.50", "member_id": "1", "channel": 7, "occurred_at": false}`,
		`{"amount": {"value": [1, {"a": null}]}, "card_code": [[[]]]}`,
		"{\"amount\": 100, \"order_reference\": \"\xff\xfe\"}",
		"{\"amount\": 100, \"email\": \"a\\u0000@b.example\", \"card_code\": \"\x00\"}",
		`{"amount": 100, "occurred_at": "9999-12-31T23:59:59Z", "channel": "drone"}`,
		`{"amount": 100} {"amount": 200}`,
		`[1, 2, 3]`,
		``,
		`{"amount": 1, "order_reference": "` + strings.Repeat("x", 1<<20) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		app.clock.advance(100 * time.Millisecond) // refills the key's rate limit: the fuzzer outpaces 20 a second
		req, err := http.NewRequest(http.MethodPost, app.srv.URL+"/api/v1/purchases", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.write)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		answer, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("%d for body %q: %s", res.StatusCode, body, answer)
		}
		if res.StatusCode < 400 {
			return
		}
		var p struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%d with Content-Type %q for body %q", res.StatusCode, ct, body)
		}
		if err := json.Unmarshal(answer, &p); err != nil || p.Status != res.StatusCode || !strings.HasPrefix(p.Type, "/errors/") {
			t.Fatalf("%d with problem %s (%v) for body %q", res.StatusCode, answer, err, body)
		}
	})
}

// Invalid UTF-8 is refused, not decoded into U+FFFD and stored: found by
// FuzzAPIPurchase, where "\xff" and "\xfe" made one order reference.
func TestAPIRefusesInvalidUTF8(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.apiShop("Byte Bakery", "owner@bytes.example")
		before := app.ledgerState()
		r := app.apiCall("POST", "/purchases", s.write, "{\"amount\": 100, \"order_reference\": \"\xff\"}")
		expectAPI(t, r, http.StatusBadRequest, "malformed-json")
		if !strings.Contains(r.problem.Detail, "UTF-8") || app.ledgerState() != before {
			t.Fatalf("detail %q; ledger %v, was %v", r.problem.Detail, app.ledgerState(), before)
		}
	})
}
