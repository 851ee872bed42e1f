package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/handlers"
	"github.com/regularshq/regulars/models"
)

// pathFor fills a route's parameters from ids; a parameter the test does
// not know fails the test, so a new id route cannot skip these checks.
func pathFor(t *testing.T, r handlers.Route, ids map[string]int64) string {
	t.Helper()
	parts := strings.Split(r.Path, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, ":") {
			continue
		}
		id, ok := ids[p[1:]]
		if !ok {
			t.Fatalf("route %s %s has parameter %s that this test does not know: add it", r.Method, r.Path, p)
		}
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, "/")
}

// call sends a request a handler would accept if it were allowed: a form
// that passes validation wherever one is needed.
func (c *client) call(method, path string) *response {
	c.t.Helper()
	if method == http.MethodGet {
		return c.get(path)
	}
	return c.post(path, url.Values{
		"role": {"staff"}, "name": {"Valid Name"}, "email": {"x@example.com"}, "type": {"points"},
		"earn_rate": {"1"}, "position": {"9"}, "threshold": {"99999"}, "cost": {"10"}, "kind": {"action"},
		"points": {"5"}, "cap": {"once"}, "starts_on": {"2026-01-01"}, "ends_on": {"2026-01-31"}, "multiplier": {"2"},
		"amount": {"5"}, "reason": {"Goodwill"}, "idempotency_key": {"k-" + path},
	})
}

// state is what a refused request must leave as it was: every user,
// member, account, voucher, webhook endpoint and delivery row, and the lengths of the audit log and
// the ledger, which every change appends to.
type state struct {
	Users    []models.User
	Members  []models.Member
	Accounts []models.Account
	Vouchers []models.Voucher
	Webhooks []models.WebhookEndpoint
	Outbox   []models.WebhookDelivery
	Audit    int64
	Ledger   int64
}

func (app *testApp) snapshot() state {
	app.t.Helper()
	var s state
	db := models.CrossTenant(app.db)
	for _, rows := range []any{&s.Users, &s.Members, &s.Accounts, &s.Vouchers, &s.Webhooks, &s.Outbox} {
		if err := db.Order("id").Find(rows).Error; err != nil {
			app.t.Fatal(err)
		}
	}
	s.Audit, s.Ledger = app.count(&models.AuditEntry{}), app.count(&models.LedgerEntry{})
	return s
}

// fixtures gives a merchant one of everything an id route can name, and
// returns their ids by route parameter.
func (app *testApp) fixtures(acct *account, staffID int64) map[string]int64 {
	t := app.t
	t.Helper()
	db := models.ForMerchant(app.db, acct.merchantID)
	actor := models.Actor{Name: "fixture"}
	p, err := models.CreateProgram(db, actor, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	tier, err := models.CreateTier(db, actor, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
	if err != nil {
		t.Fatal(err)
	}
	reward, err := models.SaveReward(db, actor, p.ID, 0, models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "50"})
	if err != nil {
		t.Fatal(err)
	}
	rule, err := models.SaveEarningRule(db, actor, p.ID, 0, models.EarningRuleInput{Kind: "birthday", Points: "25", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	campaign, err := models.SaveCampaign(db, actor, p.ID, 0, models.CampaignInput{Name: "Double Mondays", StartsOn: "2026-01-01", EndsOn: "2999-12-31", Multiplier: "2", Weekdays: []string{"1"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the member, whose enrolment then queues a delivery.
	hook, _, err := models.CreateWebhookEndpoint(db, actor, models.WebhookInput{URL: "http://127.0.0.1:1/hooks", Events: []string{"member.created"}},
		models.WebhookTargets{AllowPrivate: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	member, err := models.EnrolMember(db, actor, models.MemberInput{Name: "Mo Member", Email: fmt.Sprintf("mo%d@example.com", acct.merchantID)}, now)
	if err != nil {
		t.Fatal(err)
	}
	purchase, err := models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: p.ID, MemberID: member.ID, Amount: "60", IdempotencyKey: "fixture"}, now)
	if err != nil {
		t.Fatal(err)
	}
	voucher, err := models.Redeem(db, actor, models.RedeemInput{MemberID: member.ID, ProgramID: p.ID, RewardID: reward.ID}, now)
	if err != nil {
		t.Fatal(err)
	}
	imported, err := models.StartImport(db, actor, models.RoleOwner, models.ImportInput{
		FileName: "old.csv", Content: fmt.Appendf(nil, "name,email\nIvy Imported,ivy%d@example.com\nBad Row,not-an-email\n", acct.merchantID),
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	// Finished now, so the background worker changes nothing while the
	// tests compare snapshots.
	if err := models.ProcessImport(t.Context(), db, imported.ID, time.Now); err != nil {
		t.Fatal(err)
	}
	key, _, err := models.CreateAPIKey(db, actor, models.APIKeyInput{Name: "Web shop", Scope: "read-write"}, now)
	if err != nil {
		t.Fatal(err)
	}
	var delivery models.WebhookDelivery
	if err := db.Where("endpoint_id = ?", hook.ID).Take(&delivery).Error; err != nil {
		t.Fatal(err)
	}
	plus, err := models.CreateTier(db, actor, p.ID, models.TierInput{Name: "Club Plus", Position: "2", Paid: true, Fee: "5.00", PeriodMonths: "1"})
	if err != nil {
		t.Fatal(err)
	}
	sale, err := models.SellMembership(db, actor, models.MembershipSale{ProgramID: p.ID, MemberID: member.ID, TierID: plus.ID, IdempotencyKey: "fixture-membership"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveRecognitionSettings(db, actor, models.RecognitionSettingsInput{
		Enabled: true, OwnerRole: "both", ManagerRole: "both", StaffRole: "both", MemberGivers: "none", MemberReceivers: "all",
		MonthlyAllowance: "100", ProgramID: strconv.FormatInt(p.ID, 10),
	}, now); err != nil {
		t.Fatal(err)
	}
	thanks, err := models.Give(db, actor, models.GiveInput{Giver: models.Party{UserID: acct.ownerID}, Receiver: models.Party{MemberID: member.ID},
		Points: "5", Message: "Thanks for coming in", Key: "fixture-recognition"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int64{
		"recognitionID": thanks.ID, "webhookID": hook.ID, "deliveryID": delivery.ID, "membershipID": sale.Membership.ID,
		"keyID": key.ID, "importID": imported.ID, "userID": staffID, "programID": p.ID, "tierID": tier.ID,
		"rewardID": reward.ID, "ruleID": rule.ID, "campaignID": campaign.ID,
		"memberID": member.ID, "purchaseID": purchase.Purchase.ID, "voucherID": voucher.ID,
	}
}

func TestEveryProtectedRouteEnforcesItsRole(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		staffID := app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
		clients := map[models.Role]*client{
			models.RoleStaff:   app.login("sam@example.com"),
			models.RoleManager: app.login("mia@example.com"),
		}
		ids := app.fixtures(acct, staffID)
		checked := 0
		for _, r := range handlers.Routes() {
			if r.MinRole == "" {
				continue
			}
			path := pathFor(t, r, ids)
			before := app.snapshot()

			res := app.client().call(r.Method, path)
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/login") {
				t.Errorf("anonymous %s %s: %d %q, want 303 to /login", r.Method, path, res.status, res.location())
			}
			for role, c := range clients {
				if role.Includes(r.MinRole) {
					continue
				}
				if res := c.call(r.Method, path); res.status != http.StatusForbidden {
					t.Errorf("%s %s %s: %d, want 403", role, r.Method, path, res.status)
				}
			}
			if after := app.snapshot(); !reflect.DeepEqual(before, after) {
				t.Errorf("%s %s changed users although refused", r.Method, path)
			}
			checked++
		}
		if checked == 0 {
			t.Fatal("no protected routes found")
		}
	})
}

// Merchant B's owner tries every id route with merchant A's ids: each
// answers 404 and A's data stays as it was.
func TestTenantIsolationOnEveryIDRoute(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		a := app.signUp("Shop A", "a@example.com")
		aStaff := app.addUser(a, "Alice Staff", "alice@example.com", models.RoleStaff)
		ids := app.fixtures(a, aStaff)
		b := app.signUp("Shop B", "b@example.com")
		app.fixtures(b, 0) // B has programs of its own: ids of A's must still miss
		before := app.snapshot()
		tokensBefore := app.count(&models.PasswordToken{})

		checked := 0
		for _, r := range handlers.Routes() {
			if r.MinRole == "" || !strings.Contains(r.Path, ":") {
				continue
			}
			path := pathFor(t, r, ids)
			if res := b.owner.call(r.Method, path); res.status != http.StatusNotFound {
				t.Errorf("merchant B %s %s with A's id: %d, want 404", r.Method, path, res.status)
			}
			checked++
		}
		if checked == 0 {
			t.Fatal("no id routes found")
		}
		if after := app.snapshot(); !reflect.DeepEqual(before, after) {
			t.Fatalf("merchant B changed merchant A's users:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := app.count(&models.PasswordToken{}); n != tokensBefore {
			t.Fatalf("password tokens %d → %d", tokensBefore, n)
		}
		// B's own list never shows A's people.
		if strings.Contains(b.owner.get("/settings/users").body, "alice@example.com") {
			t.Fatal("merchant B sees merchant A's staff")
		}
	})
}

func TestMalformedIDsAreNotFound(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		for _, path := range []string{"/settings/users/abc", "/settings/users/0", "/settings/users/-3", "/settings/users/99999999", "/settings/users/1e3"} {
			expectStatus(t, acct.owner.get(path), http.StatusNotFound)
		}
		expectStatus(t, acct.owner.post("/settings/users/abc/role", url.Values{"role": {"owner"}}), http.StatusNotFound)
	})
}
