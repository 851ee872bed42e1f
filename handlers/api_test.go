package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// apiShop is a merchant the API tests share: a points program, a member,
// and keys of both scopes.
type apiShop struct {
	acct      *account
	program   *models.Program
	member    *models.Member
	write     string // a read-write key's secret
	read      string // a read key's secret
	writeKey  *models.APIKey
	purchases int64               // a purchase of the member, for the refund routes
	coffee    *models.Reward      // costs 5: the member's 20 cover it
	cake      *models.Reward      // costs 1000: out of the member's reach
	rule      *models.EarningRule // a custom action of 10, once ever
}

func (app *testApp) apiShop(name, email string) *apiShop {
	t := app.t
	t.Helper()
	acct := app.signUp(name, email)
	db := models.ForMerchant(app.db, acct.merchantID)
	actor := models.Actor{Name: "fixture"}
	p, err := models.CreateProgram(db, actor, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.EnrolMember(db, actor, models.MemberInput{Name: "Ada Lovelace", Email: "ada@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &apiShop{acct: acct, program: p, member: m}
	if s.writeKey, s.write, err = models.CreateAPIKey(db, actor, models.APIKeyInput{Name: "Web shop", Scope: "read-write"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, s.read, err = models.CreateAPIKey(db, actor, models.APIKeyInput{Name: "Reports", Scope: "read"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "20", IdempotencyKey: "fixture"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.purchases = res.Purchase.ID
	if s.coffee, err = models.SaveReward(db, actor, p.ID, 0, models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "5", Value: "3.50"}); err != nil {
		t.Fatal(err)
	}
	if s.cake, err = models.SaveReward(db, actor, p.ID, 0, models.RewardInput{Name: "Whole cake", Type: "free_item", Cost: "1000"}); err != nil {
		t.Fatal(err)
	}
	if s.rule, err = models.SaveEarningRule(db, actor, p.ID, 0, models.EarningRuleInput{Kind: "action", Name: "Newsletter sign-up", Points: "10", Cap: "once", Active: true}); err != nil {
		t.Fatal(err)
	}
	return s
}

type apiResponse struct {
	status  int
	header  http.Header
	body    []byte
	problem struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
}

// field returns the message a problem gives a field, or "".
func (r *apiResponse) field(name string) string {
	for _, e := range r.problem.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

func (r *apiResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiCall sends one API request. body is sent as it is when a string,
// else as JSON; headers come in name, value pairs ("Authorization" is the
// key, in full).
func (app *testApp) apiCall(method, path, key string, body any, headers ...string) *apiResponse {
	t := app.t
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, app.srv.URL+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out := &apiResponse{status: res.StatusCode, header: res.Header}
	if out.body, err = io.ReadAll(res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode >= 400 {
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%s %s: %d with Content-Type %q, want problem+json; body %s", method, path, res.StatusCode, ct, out.body)
		}
		out.decode(t, &out.problem)
	}
	return out
}

func expectAPI(t testing.TB, r *apiResponse, status int, problemType string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if problemType != "" && r.problem.Type != "/errors/"+problemType {
		t.Fatalf("problem type %q, want /errors/%s; body %s", r.problem.Type, problemType, r.body)
	}
}

// ledgerOf is every ledger entry and purchase row, across merchants: what
// a refused request must leave as it was.
func (app *testApp) ledgerState() [3]int64 {
	return [3]int64{app.count(&models.LedgerEntry{}), app.count(&models.Purchase{}), app.count(&models.Member{})}
}

func TestAPI(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		a := app.apiShop("Shop A", "owner-a@example.com")
		b := app.apiShop("Shop B", "owner-b@example.com")
		memberA := fmt.Sprintf("/members/%d", a.member.ID)

		t.Run("auth", func(t *testing.T) {
			for name, key := range map[string]string{"none": "", "malformed": "rk_live_nope", "unknown": "rk_live_" + strings.Repeat("A", 52)} {
				r := app.apiCall("GET", memberA, key, nil)
				expectAPI(t, r, http.StatusUnauthorized, "unauthorized")
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s key: WWW-Authenticate %q", name, r.header.Get("WWW-Authenticate"))
				}
			}
			// A browser session opens nothing here, even the owner's.
			if r := a.acct.owner.get("/api/v1" + memberA); r.status != http.StatusUnauthorized {
				t.Errorf("signed-in owner without a key: %d, want 401", r.status)
			}
			// An unknown path is not found, for a key only.
			expectAPI(t, app.apiCall("GET", "/nothing", "", nil), http.StatusUnauthorized, "unauthorized")
			expectAPI(t, app.apiCall("GET", "/nothing", a.read, nil), http.StatusNotFound, "not-found")
			// A revoked key stops at once.
			k, secret, err := models.CreateAPIKey(models.ForMerchant(app.db, a.acct.merchantID), models.Actor{Name: "t"}, models.APIKeyInput{Name: "Old", Scope: "read"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			expectAPI(t, app.apiCall("GET", memberA, secret, nil), http.StatusOK, "")
			if _, err := models.RevokeAPIKey(models.ForMerchant(app.db, a.acct.merchantID), models.Actor{Name: "t"}, k.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
			expectAPI(t, app.apiCall("GET", memberA, secret, nil), http.StatusUnauthorized, "unauthorized")
		})

		t.Run("scope", func(t *testing.T) {
			before := app.ledgerState()
			expectAPI(t, app.apiCall("POST", "/purchases", a.read, map[string]any{"member_id": a.member.ID, "amount": 500}), http.StatusForbidden, "forbidden")
			expectAPI(t, app.apiCall("PATCH", memberA, a.read, map[string]any{"name": "Changed"}), http.StatusForbidden, "forbidden")
			expectAPI(t, app.apiCall("POST", "/members", a.read, map[string]any{"name": "Nobody"}), http.StatusForbidden, "forbidden")
			if after := app.ledgerState(); after != before {
				t.Fatalf("a read key changed things: %v → %v", before, after)
			}
			expectAPI(t, app.apiCall("GET", memberA, a.read, nil), http.StatusOK, "")
		})

		t.Run("tenant isolation", func(t *testing.T) {
			before := app.ledgerState()
			foreign := fmt.Sprintf("/members/%d", b.member.ID)
			for _, call := range []struct{ method, path string }{
				{"GET", foreign}, {"GET", foreign + "/balances"}, {"GET", foreign + "/entries"}, {"PATCH", foreign},
				{"POST", fmt.Sprintf("/purchases/%d/refunds", b.purchases)},
			} {
				var body any
				if call.method != "GET" {
					body = map[string]any{}
				}
				expectAPI(t, app.apiCall(call.method, call.path, a.write, body), http.StatusNotFound, "not-found")
			}
			expectAPI(t, app.apiCall("POST", "/purchases", a.write, map[string]any{"member_id": b.member.ID, "amount": 500}), http.StatusNotFound, "not-found")
			expectAPI(t, app.apiCall("POST", "/purchases", a.write, map[string]any{"program_id": b.program.ID, "amount": 500}), http.StatusNotFound, "not-found")
			// B's member's email names no one of A's.
			r := app.apiCall("POST", "/purchases", a.write, map[string]any{"email": b.member.Email, "amount": 500})
			expectAPI(t, r, http.StatusUnprocessableEntity, "validation")
			var found struct{ Data []any }
			app.apiCall("GET", "/members?email="+b.member.Email, a.read, nil).decode(t, &found)
			if len(found.Data) != 0 {
				t.Errorf("A's key finds B's member: %v", found.Data)
			}
			if after := app.ledgerState(); after != before {
				t.Fatalf("refused foreign ids changed things: %v → %v", before, after)
			}
			if m := reloadMember(t, app, b.member.ID); m.Name != b.member.Name {
				t.Fatalf("B's member renamed to %q", m.Name)
			}
		})

		t.Run("validation", func(t *testing.T) {
			before := app.ledgerState()
			cases := []struct {
				name, body string
				status     int
				kind       string
				field      string
			}{
				{"malformed", `{"amount": `, 400, "malformed-json", ""},
				{"not an object", `[1, 2]`, 400, "malformed-json", ""},
				{"two values", `{"amount": 5} {"amount": 5}`, 400, "malformed-json", ""},
				{"empty", ``, 400, "malformed-json", ""},
				{"unknown field", `{"amount": 500, "points": 1000000}`, 422, "validation", "points"},
				{"huge number", `{"amount": 99999999999999999999999}`, 422, "validation", "amount"},
				{"fraction", `{"amount": 12.5}`, 422, "validation", "amount"},
				{"wrong type", `{"amount": "500"}`, 422, "validation", "amount"},
				{"negative", `{"amount": -500}`, 422, "validation", "amount"},
				{"no amount", `{"member_id": 1}`, 422, "validation", "amount"},
				{"two members", fmt.Sprintf(`{"member_id": %d, "email": "x@example.com", "amount": 5}`, a.member.ID), 422, "validation", "member_id"},
				{"other currency", `{"amount": 500, "currency": "USD"}`, 422, "validation", "currency"},
				{"bad time", `{"amount": 500, "occurred_at": "yesterday"}`, 422, "validation", "occurred_at"},
				{"future", `{"amount": 500, "occurred_at": "2999-01-01T00:00:00Z"}`, 422, "validation", "occurred_at"},
				{"zero time", `{"amount": 500, "occurred_at": "0001-01-01T00:00:00Z"}`, 422, "validation", "occurred_at"},
				{"last century", `{"amount": 500, "occurred_at": "1926-05-17T14:30:00Z"}`, 422, "validation", "occurred_at"},
				{"bad channel", `{"amount": 500, "channel": "carrier pigeon"}`, 422, "validation", "channel"},
				{"NUL in text", `{"amount": 500, "order_reference": "a\u0000b"}`, 422, "validation", "order_reference"},
				{"long order reference", `{"amount": 500, "order_reference": "` + strings.Repeat("r", 300) + `"}`, 422, "validation", "order_reference"},
				{"over the maximum", `{"amount": 9223372036854775807}`, 422, "validation", "amount"},
			}
			for _, tc := range cases {
				r := app.apiCall("POST", "/purchases", a.write, tc.body)
				if r.status != tc.status || r.problem.Type != "/errors/"+tc.kind {
					t.Errorf("%s: %d %s, want %d /errors/%s; body %s", tc.name, r.status, r.problem.Type, tc.status, tc.kind, r.body)
					continue
				}
				if tc.field != "" && r.field(tc.field) == "" {
					t.Errorf("%s: no message for %s; body %s", tc.name, tc.field, r.body)
				}
			}
			big := `{"order_reference": "` + strings.Repeat("x", 1<<20) + `", "amount": 5}`
			expectAPI(t, app.apiCall("POST", "/purchases", a.write, big), http.StatusRequestEntityTooLarge, "payload-too-large")
			// Past the server's own limit too, which refuses before the API sees it.
			huge := `{"order_reference": "` + strings.Repeat("x", 3<<20) + `", "amount": 5}`
			expectAPI(t, app.apiCall("POST", "/purchases", a.write, huge), http.StatusRequestEntityTooLarge, "payload-too-large")
			form := app.apiCall("POST", "/purchases", a.write, nil, "Content-Type", "application/x-www-form-urlencoded")
			expectAPI(t, form, http.StatusUnsupportedMediaType, "unsupported-media-type")
			expectAPI(t, app.apiCall("POST", "/members", a.write, map[string]any{"name": "", "email": "nope"}), http.StatusUnprocessableEntity, "validation")
			expectAPI(t, app.apiCall("GET", "/members?email=a@b.c&phone=123", a.read, nil), http.StatusUnprocessableEntity, "validation")
			expectAPI(t, app.apiCall("GET", memberA+"/entries?cursor=abc", a.read, nil), http.StatusUnprocessableEntity, "validation")
			expectAPI(t, app.apiCall("GET", "/members/99999999999999999999", a.read, nil), http.StatusNotFound, "not-found")
			if after := app.ledgerState(); after != before {
				t.Fatalf("refused requests changed things: %v → %v", before, after)
			}
		})

		t.Run("story", func(t *testing.T) {
			r := app.apiCall("POST", "/members", a.write, map[string]any{"name": "Grace Hopper", "email": "Grace@Example.com", "phone": "+33 6 12 34 56 78", "marketing_opt_in": true})
			expectAPI(t, r, http.StatusCreated, "")
			var m struct {
				ID       int64   `json:"id"`
				Email    *string `json:"email"`
				Phone    *string `json:"phone"`
				CardCode string  `json:"card_code"`
				Name     string  `json:"name"`
			}
			r.decode(t, &m)
			if m.Email == nil || *m.Email != "grace@example.com" || m.Phone == nil || *m.Phone != "+33612345678" || m.CardCode == "" {
				t.Fatalf("enrolled %s", r.body)
			}
			if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/members/%d", m.ID) {
				t.Errorf("Location %q", loc)
			}
			for _, q := range []string{"email=grace@example.com", "phone=%2B33612345678", "card=" + m.CardCode} {
				var found struct {
					Data []struct{ ID int64 } `json:"data"`
				}
				app.apiCall("GET", "/members?"+q, a.read, nil).decode(t, &found)
				if len(found.Data) != 1 || found.Data[0].ID != m.ID {
					t.Errorf("?%s found %+v, want member %d", q, found.Data, m.ID)
				}
			}
			path := fmt.Sprintf("/members/%d", m.ID)
			patched := app.apiCall("PATCH", path, a.write, map[string]any{"name": "Grace B. Hopper"})
			expectAPI(t, patched, http.StatusOK, "")
			patched.decode(t, &m)
			if m.Name != "Grace B. Hopper" || m.Email == nil || *m.Email != "grace@example.com" {
				t.Errorf("patch changed more than the name: %s", patched.body)
			}

			buy := map[string]any{"card_code": m.CardCode, "amount": 1250, "order_reference": "web-1001", "channel": "online"}
			r = app.apiCall("POST", "/purchases", a.write, buy)
			expectAPI(t, r, http.StatusCreated, "")
			var pur struct {
				ID           int64 `json:"id"`
				PointsEarned int64 `json:"points_earned"`
				Balance      int64 `json:"balance"`
				Breakdown    struct {
					Base int64 `json:"base"`
				} `json:"breakdown"`
				Replayed bool `json:"replayed"`
			}
			r.decode(t, &pur)
			if pur.PointsEarned != 12 || pur.Balance != 12 || pur.Breakdown.Base != 12 || pur.Replayed {
				t.Fatalf("purchase of 12.50 at 1 point per unit: %s", r.body)
			}
			// The same order again credits nothing and answers the first.
			again := app.apiCall("POST", "/purchases", a.write, buy)
			expectAPI(t, again, http.StatusOK, "")
			var replay struct {
				ID       int64 `json:"id"`
				Balance  int64 `json:"balance"`
				Replayed bool  `json:"replayed"`
			}
			again.decode(t, &replay)
			if replay.ID != pur.ID || replay.Balance != 12 || !replay.Replayed {
				t.Fatalf("same order twice: %s", again.body)
			}
			// Named by id, under an Idempotency-Key of its own: the purchase
			// is tried with its posting inside the key's transaction, and
			// the first is still what answers.
			byID := map[string]any{"member_id": m.ID, "amount": 1250, "order_reference": "web-1001", "channel": "online"}
			again = app.apiCall("POST", "/purchases", a.write, byID, "Idempotency-Key", "by-id-1")
			expectAPI(t, again, http.StatusOK, "")
			again.decode(t, &replay)
			if replay.ID != pur.ID || replay.Balance != 12 || !replay.Replayed {
				t.Fatalf("same order by member id: %s", again.body)
			}
			byID["amount"] = 999
			expectAPI(t, app.apiCall("POST", "/purchases", a.write, byID, "Idempotency-Key", "by-id-2"), http.StatusConflict, "conflict")
			buy["amount"] = 999
			expectAPI(t, app.apiCall("POST", "/purchases", a.write, buy), http.StatusConflict, "conflict")

			var bal struct {
				Data []struct {
					Program struct{ ID int64 } `json:"program"`
					Balance int64              `json:"balance"`
				} `json:"data"`
			}
			app.apiCall("GET", path+"/balances", a.read, nil).decode(t, &bal)
			if len(bal.Data) != 1 || bal.Data[0].Program.ID != a.program.ID || bal.Data[0].Balance != 12 {
				t.Fatalf("balances %+v", bal.Data)
			}

			r = app.apiCall("POST", fmt.Sprintf("/purchases/%d/refunds", pur.ID), a.write, map[string]any{"amount": 625})
			expectAPI(t, r, http.StatusCreated, "")
			var refund struct {
				RefundedAmount   int64 `json:"refunded_amount"`
				PointsClawedBack int64 `json:"points_clawed_back"`
			}
			r.decode(t, &refund)
			if refund.RefundedAmount != 625 || refund.PointsClawedBack != 6 {
				t.Fatalf("half refund: %s", r.body)
			}
			expectAPI(t, app.apiCall("POST", fmt.Sprintf("/purchases/%d/refunds", pur.ID), a.write, map[string]any{"amount": 1000}), http.StatusUnprocessableEntity, "validation")

			var entries struct {
				Data []struct {
					Kind   string `json:"kind"`
					Amount int64  `json:"amount"`
					Actor  string `json:"actor"`
				} `json:"data"`
				NextCursor *string `json:"next_cursor"`
			}
			app.apiCall("GET", path+"/entries", a.read, nil).decode(t, &entries)
			if len(entries.Data) != 2 || entries.Data[0].Amount != -6 || entries.Data[1].Amount != 12 || entries.NextCursor != nil {
				t.Fatalf("entries %+v", entries)
			}
			if !strings.Contains(entries.Data[1].Actor, "Web shop") {
				t.Errorf("ledger actor %q, want the key named", entries.Data[1].Actor)
			}
		})

		t.Run("entries page by cursor", func(t *testing.T) {
			db := models.ForMerchant(app.db, a.acct.merchantID)
			m, err := models.EnrolMember(db, models.Actor{Name: "t"}, models.MemberInput{Name: "Pat Pages"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 55 {
				if _, err := models.RecordPurchase(db, models.Actor{Name: "t"}, models.PurchaseInput{ProgramID: a.program.ID, MemberID: m.ID, Amount: "1", IdempotencyKey: fmt.Sprint("page-", i)}, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			seen, cursor := 0, ""
			for page := 0; page < 3; page++ {
				var list struct {
					Data       []struct{ ID int64 } `json:"data"`
					NextCursor *string              `json:"next_cursor"`
				}
				q := fmt.Sprintf("/members/%d/entries", m.ID)
				if cursor != "" {
					q += "?cursor=" + cursor
				}
				app.apiCall("GET", q, a.read, nil).decode(t, &list)
				seen += len(list.Data)
				if list.NextCursor == nil {
					break
				}
				cursor = *list.NextCursor
			}
			if seen != 55 {
				t.Fatalf("pages held %d entries, want 55", seen)
			}
		})

		t.Run("idempotency", func(t *testing.T) {
			// A key of its own: the subtests before may have spent a.write's
			// burst of requests, and keys are per API key anyway.
			_, write, err := models.CreateAPIKey(models.ForMerchant(app.db, a.acct.merchantID), models.Actor{Name: "t"}, models.APIKeyInput{Name: "Till 7", Scope: "read-write"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			body := map[string]any{"member_id": a.member.ID, "amount": 300}
			first := app.apiCall("POST", "/purchases", write, body, "Idempotency-Key", "till-7-sale-1")
			expectAPI(t, first, http.StatusCreated, "")
			before := app.ledgerState()
			again := app.apiCall("POST", "/purchases", write, body, "Idempotency-Key", "till-7-sale-1")
			expectAPI(t, again, http.StatusCreated, "")
			if again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, first.body) {
				t.Fatalf("retry: header %q, body %s; want the first answer replayed", again.header.Get("Idempotent-Replayed"), again.body)
			}
			body["amount"] = 301
			expectAPI(t, app.apiCall("POST", "/purchases", write, body, "Idempotency-Key", "till-7-sale-1"), http.StatusUnprocessableEntity, "idempotency-key-reused")
			if after := app.ledgerState(); after != before {
				t.Fatalf("replay and mismatch changed things: %v → %v", before, after)
			}
			// A refusal is not kept: fixed, the same key records.
			bad := map[string]any{"member_id": a.member.ID, "amount": -1}
			expectAPI(t, app.apiCall("POST", "/purchases", write, bad, "Idempotency-Key", "till-7-sale-2"), http.StatusUnprocessableEntity, "validation")
			bad["amount"] = 100
			expectAPI(t, app.apiCall("POST", "/purchases", write, bad, "Idempotency-Key", "till-7-sale-2"), http.StatusCreated, "")
			// Keys are per API key: B's key with the same header is B's own.
			expectAPI(t, app.apiCall("POST", "/purchases", b.write, map[string]any{"member_id": b.member.ID, "amount": 300}, "Idempotency-Key", "till-7-sale-1"), http.StatusCreated, "")
			expectAPI(t, app.apiCall("POST", "/purchases", write, body, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusUnprocessableEntity, "validation")
		})

		t.Run("rate limit", func(t *testing.T) {
			_, secret, err := models.CreateAPIKey(models.ForMerchant(app.db, a.acct.merchantID), models.Actor{Name: "t"}, models.APIKeyInput{Name: "Busy", Scope: "read"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			limited := 0
			for i := 0; i < 120 && limited == 0; i++ {
				r := app.apiCall("GET", memberA, secret, nil)
				switch r.status {
				case http.StatusOK:
				case http.StatusTooManyRequests:
					if i < 40 {
						t.Fatalf("limited after %d requests, within the burst of 40", i)
					}
					expectAPI(t, r, http.StatusTooManyRequests, "rate-limited")
					if r.header.Get("Retry-After") == "" {
						t.Error("429 without Retry-After")
					}
					limited++
				default:
					t.Fatalf("status %d: %s", r.status, r.body)
				}
			}
			if limited == 0 {
				t.Fatal("120 requests at once were never limited")
			}
			// Other keys are not held back.
			expectAPI(t, app.apiCall("GET", memberA, a.read, nil), http.StatusOK, "")
			app.clock.advance(3 * time.Second)
			expectAPI(t, app.apiCall("GET", memberA, secret, nil), http.StatusOK, "")
		})
	})
}

// 20 identical purchases at once under one Idempotency-Key credit once:
// one 201, the rest replays of it or 409s while it runs.
func TestAPIConcurrentIdempotentPurchases(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.apiShop("Shop A", "owner-a@example.com")
		body := map[string]any{"member_id": s.member.ID, "amount": 700}
		before := app.ledgerState()
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
			bodies   = map[string]bool{}
		)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := app.apiCall("POST", "/purchases", s.write, body, "Idempotency-Key", "burst-1")
				mu.Lock()
				defer mu.Unlock()
				statuses[r.status]++
				if r.status == http.StatusCreated {
					bodies[string(r.body)] = true
				}
			}()
		}
		wg.Wait()
		t.Logf("statuses %v", statuses)
		if statuses[http.StatusCreated] < 1 || statuses[http.StatusCreated]+statuses[http.StatusConflict] != 20 || len(bodies) != 1 {
			t.Fatalf("statuses %v, %d distinct 201 bodies; want 201s (one answer) and 409s only", statuses, len(bodies))
		}
		after := app.ledgerState()
		if after[0]-before[0] != 1 || after[1]-before[1] != 1 {
			t.Fatalf("ledger entries +%d, purchases +%d; want exactly one credit", after[0]-before[0], after[1]-before[1])
		}
		var acc models.Account
		if err := models.CrossTenant(app.db).Where("member_id = ?", s.member.ID).Take(&acc).Error; err != nil {
			t.Fatal(err)
		}
		if acc.Balance != 20+7 {
			t.Fatalf("balance %d, want 27", acc.Balance)
		}
	})
}

func reloadMember(t *testing.T, app *testApp, id int64) models.Member {
	t.Helper()
	var m models.Member
	if err := models.CrossTenant(app.db).Take(&m, id).Error; err != nil {
		t.Fatal(err)
	}
	return m
}
