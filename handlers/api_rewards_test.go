package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

type apiRewardOut struct {
	ID         int64   `json:"id"`
	ProgramID  int64   `json:"program_id"`
	Name       string  `json:"name"`
	Cost       int64   `json:"cost"`
	Gives      string  `json:"gives"`
	Value      int64   `json:"value"`
	Redeemable *bool   `json:"redeemable"`
	Short      *int64  `json:"short"`
	Barred     *string `json:"barred"`
}

type apiVoucherOut struct {
	ID          int64      `json:"id"`
	Code        string     `json:"code"`
	PrintedCode string     `json:"printed_code"`
	RewardID    int64      `json:"reward_id"`
	MemberID    int64      `json:"member_id"`
	Cost        int64      `json:"cost"`
	Status      string     `json:"status"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Balance     int64      `json:"balance"`
}

// vouchersState is what a refused voucher request must leave as it was,
// besides the ledger: every voucher's status.
func (app *testApp) vouchersState() string {
	var vs []models.Voucher
	if err := models.CrossTenant(app.db).Order("id").Find(&vs).Error; err != nil {
		app.t.Fatal(err)
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%d:%s ", v.ID, v.Status)
	}
	return b.String()
}

func (app *testApp) balanceOf(memberID int64) int64 {
	app.t.Helper()
	var acc models.Account
	if err := models.CrossTenant(app.db).Where("member_id = ?", memberID).Take(&acc).Error; err != nil {
		app.t.Fatal(err)
	}
	return acc.Balance
}

// redeemAPI redeems a reward for a member through the API.
func (app *testApp) redeemAPI(s *apiShop, memberID, rewardID int64, headers ...string) (*apiResponse, apiVoucherOut) {
	app.t.Helper()
	r := app.apiCall("POST", "/redemptions", s.write, map[string]any{"member_id": memberID, "reward_id": rewardID}, headers...)
	var v apiVoucherOut
	if r.status < 300 {
		r.decode(app.t, &v)
	}
	return r, v
}

func rewardsList(t *testing.T, app *testApp, key, query string) []apiRewardOut {
	t.Helper()
	r := app.apiCall("GET", "/rewards"+query, key, nil)
	expectAPI(t, r, http.StatusOK, "")
	var list struct {
		Data []apiRewardOut `json:"data"`
	}
	r.decode(t, &list)
	return list.Data
}

func TestAPIRewardsRedemptionsVouchersActions(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		a := app.apiShop("Shop A", "owner-a@example.com")
		b := app.apiShop("Shop B", "owner-b@example.com")
		_, bVoucher := app.redeemAPI(b, b.member.ID, b.coffee.ID)

		t.Run("rewards", func(t *testing.T) {
			list := rewardsList(t, app, a.read, "")
			if len(list) != 2 || list[0].ID != a.coffee.ID || list[1].ID != a.cake.ID {
				t.Fatalf("A's catalog %+v, want coffee and cake only", list)
			}
			if c := list[0]; c.ProgramID != a.program.ID || c.Cost != 5 || c.Value != 350 || c.Gives == "" || c.Redeemable != nil {
				t.Errorf("coffee %+v", c)
			}
			mine := rewardsList(t, app, a.read, fmt.Sprintf("?member_id=%d", a.member.ID))
			if c := mine[0]; c.Redeemable == nil || !*c.Redeemable || *c.Short != 0 {
				t.Errorf("20 points and a coffee of 5: %+v", c)
			}
			if c := mine[1]; c.Redeemable == nil || *c.Redeemable || *c.Short != 980 || c.Barred != nil {
				t.Errorf("20 points and a cake of 1000: %+v", c)
			}
			expectAPI(t, app.apiCall("GET", fmt.Sprintf("/rewards?member_id=%d", b.member.ID), a.read, nil), http.StatusNotFound, "not-found")
			expectAPI(t, app.apiCall("GET", fmt.Sprintf("/rewards?program_id=%d", b.program.ID), a.read, nil), http.StatusNotFound, "not-found")
			expectAPI(t, app.apiCall("GET", "/rewards?cursor=abc", a.read, nil), http.StatusUnprocessableEntity, "validation")
		})

		t.Run("scope", func(t *testing.T) {
			before, vouchers := app.ledgerState(), app.vouchersState()
			for _, call := range []struct {
				path string
				body any
			}{
				{"/redemptions", map[string]any{"member_id": a.member.ID, "reward_id": a.coffee.ID}},
				{"/actions", map[string]any{"member_id": a.member.ID, "rule_id": a.rule.ID}},
				{"/vouchers/" + bVoucher.Code + "/use", nil},
				{"/vouchers/" + bVoucher.Code + "/cancel", nil},
			} {
				expectAPI(t, app.apiCall("POST", call.path, b.read, call.body), http.StatusForbidden, "forbidden")
			}
			if app.ledgerState() != before || app.vouchersState() != vouchers {
				t.Fatal("a read key changed things")
			}
			expectAPI(t, app.apiCall("GET", "/vouchers/"+bVoucher.Code, b.read, nil), http.StatusOK, "")
		})

		t.Run("tenant isolation", func(t *testing.T) {
			before, vouchers := app.ledgerState(), app.vouchersState()
			for _, body := range []map[string]any{
				{"member_id": b.member.ID, "reward_id": a.coffee.ID},
				{"member_id": a.member.ID, "reward_id": b.coffee.ID},
				{"member_id": a.member.ID, "reward_id": b.coffee.ID, "program_id": b.program.ID},
			} {
				expectAPI(t, app.apiCall("POST", "/redemptions", a.write, body), http.StatusNotFound, "not-found")
			}
			for _, body := range []map[string]any{
				{"member_id": b.member.ID, "rule_id": a.rule.ID},
				{"member_id": a.member.ID, "rule_id": b.rule.ID},
			} {
				expectAPI(t, app.apiCall("POST", "/actions", a.write, body), http.StatusNotFound, "not-found")
			}
			for _, code := range []string{bVoucher.Code, bVoucher.PrintedCode} {
				expectAPI(t, app.apiCall("GET", "/vouchers/"+code, a.read, nil), http.StatusNotFound, "not-found")
				expectAPI(t, app.apiCall("POST", "/vouchers/"+code+"/use", a.write, nil), http.StatusNotFound, "not-found")
				expectAPI(t, app.apiCall("POST", "/vouchers/"+code+"/cancel", a.write, nil), http.StatusNotFound, "not-found")
			}
			if app.ledgerState() != before || app.vouchersState() != vouchers {
				t.Fatal("refused foreign ids changed things")
			}
		})

		t.Run("validation", func(t *testing.T) {
			before, vouchers := app.ledgerState(), app.vouchersState()
			for _, tc := range []struct {
				path, body, field string
			}{
				{"/redemptions", `{"reward_id": 1}`, "member_id"},
				{"/redemptions", fmt.Sprintf(`{"member_id": %d}`, a.member.ID), "reward_id"},
				{"/redemptions", `{"member_id": "one", "reward_id": 1}`, "member_id"},
				{"/redemptions", fmt.Sprintf(`{"member_id": %d, "reward_id": %d, "points": 5}`, a.member.ID, a.coffee.ID), "points"},
				{"/actions", fmt.Sprintf(`{"member_id": %d}`, a.member.ID), "rule_id"},
				{"/actions", fmt.Sprintf(`{"member_id": %d, "rule_id": 99999999999999999999}`, a.member.ID), "rule_id"},
				{"/vouchers/" + bVoucher.Code + "/use", `{"status": "used"}`, "status"},
			} {
				r := app.apiCall("POST", tc.path, a.write, tc.body)
				expectAPI(t, r, http.StatusUnprocessableEntity, "validation")
				if r.field(tc.field) == "" {
					t.Errorf("%s %s: no message for %s; body %s", tc.path, tc.body, tc.field, r.body)
				}
			}
			expectAPI(t, app.apiCall("POST", "/redemptions", a.write, `{"member_id": 1`), http.StatusBadRequest, "malformed-json")
			expectAPI(t, app.apiCall("POST", "/redemptions", a.write, map[string]any{"member_id": 0, "reward_id": -1}), http.StatusNotFound, "not-found")
			for _, code := range []string{"nope!", "%00", strings.Repeat("A", 40), "ZZZZ-ZZZZ"} {
				expectAPI(t, app.apiCall("GET", "/vouchers/"+code, a.read, nil), http.StatusNotFound, "not-found")
			}
			if app.ledgerState() != before || app.vouchersState() != vouchers {
				t.Fatal("refused requests changed things")
			}
		})

		t.Run("refusals", func(t *testing.T) {
			before := app.ledgerState()
			r, _ := app.redeemAPI(a, a.member.ID, a.cake.ID)
			expectAPI(t, r, http.StatusConflict, "insufficient-balance")
			if !strings.Contains(r.problem.Detail, "980 more") {
				t.Errorf("detail %q does not say how much is missing", r.problem.Detail)
			}
			// Barred for another reason than the balance: a plain conflict.
			db := models.ForMerchant(app.db, a.acct.merchantID)
			once, err := models.SaveReward(db, models.Actor{Name: "t"}, a.program.ID, 0, models.RewardInput{Name: "Mug", Type: "free_item", Cost: "1", PerMemberLimit: "1"})
			if err != nil {
				t.Fatal(err)
			}
			expectAPI(t, first(app.redeemAPI(a, a.member.ID, once.ID)), http.StatusCreated, "")
			expectAPI(t, first(app.redeemAPI(a, a.member.ID, once.ID)), http.StatusConflict, "conflict")
			// Barred and short at once: the bar is the answer, not the balance.
			poor, err := models.EnrolMember(db, models.Actor{Name: "t"}, models.MemberInput{Name: "Pia Poor"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.SetRewardArchived(db, models.Actor{Name: "t"}, a.program.ID, once.ID, true); err != nil {
				t.Fatal(err)
			}
			expectAPI(t, first(app.redeemAPI(a, poor.ID, once.ID)), http.StatusConflict, "conflict")
			if after := app.ledgerState(); after[0] != before[0]+1 {
				t.Fatalf("ledger entries %d → %d, want the one mug only", before[0], after[0])
			}
		})

		t.Run("idempotent redemption", func(t *testing.T) {
			vouchers := app.count(&models.Voucher{})
			r1, v1 := app.redeemAPI(a, a.member.ID, a.coffee.ID, "Idempotency-Key", "pos-redeem-1")
			expectAPI(t, r1, http.StatusCreated, "")
			r2, v2 := app.redeemAPI(a, a.member.ID, a.coffee.ID, "Idempotency-Key", "pos-redeem-1")
			expectAPI(t, r2, http.StatusCreated, "")
			if r2.header.Get("Idempotent-Replayed") != "true" || v2.ID != v1.ID {
				t.Fatalf("retry issued voucher %d after %d", v2.ID, v1.ID)
			}
			if n := app.count(&models.Voucher{}); n != vouchers+1 {
				t.Fatalf("vouchers %d → %d, want one more", vouchers, n)
			}
		})

		t.Run("actions", func(t *testing.T) {
			balance := app.balanceOf(a.member.ID)
			r := app.apiCall("POST", "/actions", a.write, map[string]any{"member_id": a.member.ID, "rule_id": a.rule.ID}, "Idempotency-Key", "newsletter-1")
			expectAPI(t, r, http.StatusCreated, "")
			var award struct {
				Points  int64 `json:"points"`
				Balance int64 `json:"balance"`
			}
			r.decode(t, &award)
			if award.Points != 10 || award.Balance != balance+10 {
				t.Fatalf("award %s, balance before %d", r.body, balance)
			}
			again := app.apiCall("POST", "/actions", a.write, map[string]any{"member_id": a.member.ID, "rule_id": a.rule.ID}, "Idempotency-Key", "newsletter-1")
			if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry: %d %s", again.status, again.body)
			}
			// The cap holds whatever the key.
			expectAPI(t, app.apiCall("POST", "/actions", a.write, map[string]any{"member_id": a.member.ID, "rule_id": a.rule.ID}), http.StatusConflict, "conflict")
			if got := app.balanceOf(a.member.ID); got != balance+10 {
				t.Fatalf("balance %d, want %d: credited once", got, balance+10)
			}
		})

		t.Run("story", func(t *testing.T) {
			r := app.apiCall("POST", "/members", a.write, map[string]any{"name": "Lin Story", "email": "lin@example.com"})
			expectAPI(t, r, http.StatusCreated, "")
			var m struct {
				ID int64 `json:"id"`
			}
			r.decode(t, &m)
			r = app.apiCall("POST", "/purchases", a.write, map[string]any{"member_id": m.ID, "amount": 1250, "order_reference": "story-1"})
			expectAPI(t, r, http.StatusCreated, "")
			var pur struct {
				ID int64 `json:"id"`
			}
			r.decode(t, &pur)
			var bal struct {
				Data []struct {
					Balance    int64 `json:"balance"`
					Redeemable []struct {
						ID int64 `json:"id"`
					} `json:"redeemable_rewards"`
				} `json:"data"`
			}
			app.apiCall("GET", fmt.Sprintf("/members/%d/balances", m.ID), a.read, nil).decode(t, &bal)
			if len(bal.Data) != 1 || bal.Data[0].Balance != 12 || len(bal.Data[0].Redeemable) != 1 || bal.Data[0].Redeemable[0].ID != a.coffee.ID {
				t.Fatalf("balances %+v", bal.Data)
			}

			r, v := app.redeemAPI(a, m.ID, a.coffee.ID)
			expectAPI(t, r, http.StatusCreated, "")
			if v.Code == "" || v.PrintedCode == "" || v.Cost != 5 || v.Balance != 7 || v.Status != "issued" || v.ExpiresAt == nil || !v.ExpiresAt.After(time.Now()) {
				t.Fatalf("redemption %s", r.body)
			}
			if loc := r.header.Get("Location"); loc != "/api/v1/vouchers/"+v.Code {
				t.Errorf("Location %q", loc)
			}
			var got apiVoucherOut
			app.apiCall("GET", "/vouchers/"+strings.ToLower(v.PrintedCode), a.read, nil).decode(t, &got)
			if got.ID != v.ID || got.Status != "issued" {
				t.Fatalf("voucher by its printed code: %+v", got)
			}
			r = app.apiCall("POST", "/vouchers/"+v.PrintedCode+"/use", a.write, nil)
			expectAPI(t, r, http.StatusOK, "")
			r.decode(t, &got)
			if got.Status != "used" {
				t.Fatalf("used: %s", r.body)
			}
			expectAPI(t, app.apiCall("POST", "/vouchers/"+v.Code+"/use", a.write, `{}`), http.StatusConflict, "conflict")
			expectAPI(t, app.apiCall("POST", "/vouchers/"+v.Code+"/cancel", a.write, nil), http.StatusConflict, "conflict")

			// A second coffee, cancelled: the points come back.
			_, v2 := app.redeemAPI(a, m.ID, a.coffee.ID)
			if v2.Balance != 2 {
				t.Fatalf("second coffee left %d, want 2", v2.Balance)
			}
			r = app.apiCall("POST", "/vouchers/"+v2.Code+"/cancel", a.write, nil)
			expectAPI(t, r, http.StatusOK, "")
			if r.decode(t, &got); got.Status != "cancelled" || app.balanceOf(m.ID) != 7 {
				t.Fatalf("cancelled: %s, balance %d", r.body, app.balanceOf(m.ID))
			}

			r = app.apiCall("POST", fmt.Sprintf("/purchases/%d/refunds", pur.ID), a.write, map[string]any{})
			expectAPI(t, r, http.StatusCreated, "")
			if got := app.balanceOf(m.ID); got != 7-12 {
				t.Fatalf("after the full refund the balance is %d, want -5 (the used coffee stays spent)", got)
			}
			var entries struct {
				Data []struct {
					Kind   string `json:"kind"`
					Amount int64  `json:"amount"`
				} `json:"data"`
			}
			app.apiCall("GET", fmt.Sprintf("/members/%d/entries", m.ID), a.read, nil).decode(t, &entries)
			var amounts []int64
			for _, e := range entries.Data {
				amounts = append(amounts, e.Amount)
			}
			if fmt.Sprint(amounts) != "[-12 5 -5 -5 12]" {
				t.Fatalf("ledger newest first %v, want [-12 5 -5 -5 12]", amounts)
			}
		})

		// Last: another program changes what the member's balances list.
		t.Run("rewards page by cursor", func(t *testing.T) {
			db := models.ForMerchant(app.db, a.acct.merchantID)
			p, err := models.CreateProgram(db, models.Actor{Name: "t"}, models.ProgramInput{Name: "Paging", Type: "points", EarnRate: "1", Status: "active"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 51 {
				if _, err := models.SaveReward(db, models.Actor{Name: "t"}, p.ID, 0, models.RewardInput{Name: fmt.Sprint("Reward ", i), Type: "service", Cost: "1"}); err != nil {
					t.Fatal(err)
				}
			}
			var first struct {
				Data       []apiRewardOut `json:"data"`
				NextCursor *string        `json:"next_cursor"`
			}
			app.apiCall("GET", fmt.Sprintf("/rewards?program_id=%d", p.ID), a.read, nil).decode(t, &first)
			if len(first.Data) != 50 || first.NextCursor == nil {
				t.Fatalf("first page: %d rewards, cursor %v", len(first.Data), first.NextCursor)
			}
			rest := rewardsList(t, app, a.read, fmt.Sprintf("?program_id=%d&cursor=%s", p.ID, *first.NextCursor))
			if len(rest) != 1 || rest[0].Name != "Reward 50" {
				t.Fatalf("second page %+v", rest)
			}
		})
	})
}

func first(r *apiResponse, _ apiVoucherOut) *apiResponse { return r }

// 50 redemptions at once, each with its own Idempotency-Key, against a
// balance that covers 10: exactly 10 vouchers, the rest refused for the
// balance, and the balance at 0.
func TestAPIConcurrentRedemptions(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.apiShop("Shop A", "owner-a@example.com")
		db := models.ForMerchant(app.db, s.acct.merchantID)
		actor := models.Actor{Name: "t"}
		if _, err := models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: s.program.ID, MemberID: s.member.ID, Amount: "30", IdempotencyKey: "top-up"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if got := app.balanceOf(s.member.ID); got != 50 {
			t.Fatalf("balance %d, want 50: ten coffees", got)
		}
		// Five keys of ten requests each: one key's burst is 40.
		keys := []string{s.write}
		for i := range 4 {
			_, secret, err := models.CreateAPIKey(db, actor, models.APIKeyInput{Name: fmt.Sprint("Till ", i), Scope: "read-write"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, secret)
		}
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[string]int{}
		)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := app.apiCall("POST", "/redemptions", keys[i%len(keys)], map[string]any{"member_id": s.member.ID, "reward_id": s.coffee.ID},
					"Idempotency-Key", fmt.Sprint("rush-", i))
				mu.Lock()
				defer mu.Unlock()
				statuses[fmt.Sprint(r.status, r.problem.Type)]++
			}()
		}
		wg.Wait()
		if statuses["201"] != 10 || statuses["409/errors/insufficient-balance"] != 40 {
			t.Fatalf("statuses %v; want 10 × 201 and 40 × 409 insufficient-balance", statuses)
		}
		if n := app.count(&models.Voucher{}); n != 10 {
			t.Fatalf("%d vouchers, want 10", n)
		}
		if got := app.balanceOf(s.member.ID); got != 0 {
			t.Fatalf("balance %d, want 0", got)
		}
	})
}
