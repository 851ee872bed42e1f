package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/regularshq/regulars/models"
)

// paidTier adds a paid tier to the shop's coffee program.
func (app *testApp) paidTier(s *shop, name string) *models.Tier {
	app.t.Helper()
	t, err := models.CreateTier(models.ForMerchant(app.db, s.acct.merchantID), models.Actor{Name: "fixture"}, s.coffee.ID,
		models.TierInput{Name: name, Position: "1", Paid: true, Fee: "5.00", PeriodMonths: "1", GraceDays: "3", EarnMultiplier: "2", Discount: "10"})
	if err != nil {
		app.t.Fatal(err)
	}
	return t
}

func (app *testApp) enrolIn(merchantID int64, name string) *models.Member {
	app.t.Helper()
	m, err := models.EnrolMember(models.ForMerchant(app.db, merchantID), models.Actor{Name: "fixture"}, models.MemberInput{Name: name}, time.Now())
	if err != nil {
		app.t.Fatal(err)
	}
	return m
}

func (app *testApp) fees() int64 {
	app.t.Helper()
	var n int64
	if err := models.CrossTenant(app.db).Model(&models.Purchase{}).Where("kind = ?", models.PurchaseMembership).Count(&n).Error; err != nil {
		app.t.Fatal(err)
	}
	return n
}

func (app *testApp) membershipOf(memberID int64) *models.Membership {
	app.t.Helper()
	var ms models.Membership
	if err := models.CrossTenant(app.db).Where("member_id = ?", memberID).Take(&ms).Error; err != nil {
		app.t.Fatalf("membership of %d: %v", memberID, err)
	}
	return &ms
}

// sold records a sale of tier to member, as staff at the till would.
func (app *testApp) sold(s *shop, tier *models.Tier, member *models.Member, key string) *models.MembershipResult {
	app.t.Helper()
	res, err := models.SellMembership(models.ForMerchant(app.db, s.acct.merchantID), models.Actor{Name: "fixture"},
		models.MembershipSale{ProgramID: s.coffee.ID, MemberID: member.ID, TierID: tier.ID, IdempotencyKey: key}, app.clock.now())
	if err != nil {
		app.t.Fatal(err)
	}
	return res
}

// sellForm is the till's sale form for a member as the page drew it.
func sellForm(t *testing.T, r *response, testid string) url.Values {
	t.Helper()
	btn := r.doc.Find(fmt.Sprintf(`[data-testid="%s"]`, testid))
	if btn.Length() == 0 {
		t.Fatalf("no %s button:\n%.2000s", testid, r.body)
	}
	form := url.Values{}
	btn.First().Closest("form").Find("input").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		value, _ := in.Attr("value")
		form.Set(name, value)
	})
	return form
}

func TestMembershipAtTheTill(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		plus := app.paidTier(s, "Plus")
		ann := app.enrolIn(s.acct.merchantID, "Ann Member")
		till := fmt.Sprintf("/till?member=%d&program=%d", ann.ID, s.coffee.ID)

		page := s.staff.get(till)
		expectStatus(t, page, http.StatusOK)
		form := sellForm(t, page, "membership-sell")
		if !strings.Contains(page.text(`[data-testid="membership-sell"]`), "Sell Plus · 5.00 EUR for 1 month") {
			t.Errorf("sell button %q", page.text(`[data-testid="membership-sell"]`))
		}
		// Submitted twice (a double click, a retry): one fee, one month.
		for range 2 {
			expectRedirect(t, s.staff.post("/till/membership", form), "/till?")
		}
		if n := app.fees(); n != 1 {
			t.Fatalf("%d fees, want 1", n)
		}
		ms := app.membershipOf(ann.ID)
		if ms.Months != 1 || ms.TierID != plus.ID || !ms.Active() {
			t.Fatalf("membership %+v", ms)
		}
		page = s.staff.get(till)
		if got := page.text(`[data-testid="membership-tier"]`); got != "Plus" {
			t.Errorf("till membership tier %q", got)
		}
		if page.has(`[data-testid="membership-sell"]`) || !page.has(`[data-testid="membership-renew"]`) || page.has(`[data-testid="membership-cancel-form"]`) {
			t.Errorf("staff till: want renew only, no sell and no cancel:\n%.3000s", page.body)
		}
		if !strings.Contains(page.text(`[data-testid="membership-applies"]`), "Plus's 2× (paid)") {
			t.Errorf("applies %q", page.text(`[data-testid="membership-applies"]`))
		}
		// Renewal from the member page: a second month.
		member := s.staff.get(fmt.Sprintf("/members/%d", ann.ID))
		expectRedirect(t, s.staff.post(fmt.Sprintf("/members/%d/membership", ann.ID), sellForm(t, member, "membership-renew")), fmt.Sprintf("/members/%d", ann.ID))
		if ms := app.membershipOf(ann.ID); ms.Months != 2 {
			t.Errorf("after renewal: %d months, want 2", ms.Months)
		}
		// The renewal list.
		list := s.staff.get("/memberships?days=90")
		expectStatus(t, list, http.StatusOK)
		if got := list.text(`[data-testid="membership-row-member"]`); got != "Ann Member" {
			t.Errorf("renewal list %q", got)
		}
		if got := s.staff.get("/memberships?days=5").text(`[data-testid="memberships-empty"]`); got == "" {
			t.Error("a membership two months out is listed within 5 days")
		}
		for _, days := range []string{"abc", "-1", "367", "99999999999999999999"} {
			expectStatus(t, s.staff.get("/memberships?days="+url.QueryEscape(days)), http.StatusUnprocessableEntity)
		}
	})
}

// Bad sales are refused beside the form, writing nothing.
func TestMembershipRefusals(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.paidTier(s, "Plus")
		ann := app.enrolIn(s.acct.merchantID, "Ann Member")
		base := url.Values{"member_id": {fmt.Sprint(ann.ID)}, "program_id": {fmt.Sprint(s.coffee.ID)}, "idempotency_key": {"k1"}}
		for _, tier := range []string{fmt.Sprint(s.gold.ID), "abc", "999999", ""} {
			form := url.Values{}
			for k, v := range base {
				form[k] = v
			}
			form.Set("tier_id", tier)
			r := s.staff.post("/till/membership", form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if r.text(`[data-testid="till-member-name"]`) != "Ann Member" {
				t.Errorf("tier %q: the till did not come back to the member", tier)
			}
			r = s.staff.post(fmt.Sprintf("/members/%d/membership", ann.ID), form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
		}
		if n := app.fees(); n != 0 {
			t.Errorf("refused sales recorded %d fees", n)
		}
	})
}

// Cancelling is for managers; every new route answers another merchant's
// ids with 404 and changes nothing.
func TestMembershipRolesAndTenants(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		plus := app.paidTier(s, "Plus")
		ann := app.enrolIn(s.acct.merchantID, "Ann Member")
		db := models.ForMerchant(app.db, s.acct.merchantID)
		sale := app.sold(s, plus, ann, "fixture")
		cancel := fmt.Sprintf("/memberships/%d/cancel", sale.Membership.ID)
		// A fresh form each time: post adds the client's own form token.
		form := func() url.Values {
			return url.Values{"when": {"now"}, "refund": {"prorata"}, "idempotency_key": {"c1"}}
		}

		if s.staff.get(fmt.Sprintf("/members/%d", ann.ID)).has(`[data-testid="membership-cancel-form"]`) {
			t.Error("staff see the cancel form")
		}
		expectStatus(t, s.staff.post(cancel, form()), http.StatusForbidden)
		if !app.membershipOf(ann.ID).Active() {
			t.Fatal("a staff cancel went through")
		}
		// Another merchant: not found, whatever the id.
		other := app.signUp("Other Shop", "other@example.com")
		for _, r := range []*response{
			other.owner.post(cancel, form()),
			other.owner.post("/till/membership", url.Values{"member_id": {fmt.Sprint(ann.ID)}, "program_id": {fmt.Sprint(s.coffee.ID)}, "tier_id": {fmt.Sprint(plus.ID)}, "idempotency_key": {"x"}}),
			other.owner.post(fmt.Sprintf("/members/%d/membership", ann.ID), url.Values{"program_id": {fmt.Sprint(s.coffee.ID)}, "tier_id": {fmt.Sprint(plus.ID)}, "idempotency_key": {"y"}}),
			s.acct.owner.post("/memberships/abc/cancel", form()),
		} {
			expectStatus(t, r, http.StatusNotFound)
		}
		if got := other.owner.get("/memberships?days=90"); got.has(`[data-testid="membership-row"]`) {
			t.Error("another merchant's renewal list shows ours")
		}
		if ms := app.membershipOf(ann.ID); !ms.Active() || ms.Months != 1 || app.fees() != 1 {
			t.Fatalf("another merchant changed it: %+v, %d fees", ms, app.fees())
		}
		// Signed out: the sign-in page.
		expectRedirect(t, app.client().get("/memberships"), "/login")

		// A manager cancels at once with a pro rata refund: recorded as a
		// refund of the fee, and in the audit log.
		page := s.manager.get(fmt.Sprintf("/members/%d", ann.ID))
		if !page.has(`[data-testid="membership-cancel-form"]`) {
			t.Fatal("a manager has no cancel form")
		}
		bad := url.Values{"when": {"end"}, "refund": {"full"}, "idempotency_key": {"c0"}}
		expectStatus(t, s.manager.post(cancel, bad), http.StatusUnprocessableEntity)
		expectRedirect(t, s.manager.post(cancel, form()), fmt.Sprintf("/members/%d", ann.ID))
		ms := app.membershipOf(ann.ID)
		if ms.Status != models.MembershipCancelled {
			t.Fatalf("after cancel: %s", ms.Status)
		}
		var fee models.Purchase
		if err := db.Take(&fee, sale.Purchase.ID).Error; err != nil || fee.RefundedMinor <= 0 || fee.RefundedMinor > 500 {
			t.Errorf("fee refunded %d (%v), want a share of 500", fee.RefundedMinor, err)
		}
		var audit models.AuditEntry
		if err := db.Where("entity_type = ? AND action = ?", "membership", "cancel").Take(&audit).Error; err != nil || !strings.Contains(audit.Summary, "refunded") {
			t.Errorf("audit of the cancel: %+v %v", audit, err)
		}
	})
}

// Back draws the till anew from its address, which carries the page's
// key: the sale button drawn again has the key it had, so pressing it a
// second time replays the sale instead of selling another month.
func TestMembershipSaleSurvivesBack(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		plus := app.paidTier(s, "Plus")
		ann := app.enrolIn(s.acct.merchantID, "Ann Member")
		for _, page := range []struct{ path, post, back string }{
			{fmt.Sprintf("/till?member=%d&program=%d", ann.ID, s.coffee.ID), "/till/membership", "/till?"},
			{fmt.Sprintf("/members/%d?", ann.ID), fmt.Sprintf("/members/%d/membership", ann.ID), fmt.Sprintf("/members/%d", ann.ID)},
		} {
			path, post := page.path, page.post
			keyInURL := s.staff.get(path).doc.Find(`[data-testid="membership"] input[data-key-in-url]`).AttrOr("value", "")
			if len(keyInURL) != 43 {
				t.Fatalf("%s: the membership panel puts no page key in the address: %q", path, keyInURL)
			}
			back := path + "&key=" + keyInURL
			verb := "membership-sell"
			if app.fees() > 0 {
				verb = "membership-renew"
			}
			form := sellForm(t, s.staff.get(back), verb)
			if want := fmt.Sprintf("%s:membership:%d", keyInURL, plus.ID); form.Get("idempotency_key") != want {
				t.Fatalf("%s: sale key %q, want the page's %q", path, form.Get("idempotency_key"), want)
			}
			fees, months := app.fees(), int64(0)
			if fees > 0 {
				months = int64(app.membershipOf(ann.ID).Months)
			}
			expectRedirect(t, s.staff.post(post, form), page.back)
			// Back, and the same button again: the same key, a replay.
			again := sellForm(t, s.staff.get(back), "membership-renew")
			if again.Get("idempotency_key") != form.Get("idempotency_key") {
				t.Fatalf("%s: after Back the button has key %q, want %q", path, again.Get("idempotency_key"), form.Get("idempotency_key"))
			}
			r := s.staff.post(post, again)
			if got := s.staff.get(r.location()).text(`[data-testid="flash"]`); !strings.Contains(got, "already recorded") {
				t.Errorf("%s: replay flash %q", path, got)
			}
			if n, m := app.fees(), int64(app.membershipOf(ann.ID).Months); n != fees+1 || m != months+1 {
				t.Errorf("%s: %d fees and %d months, want %d and %d", path, n, m, fees+1, months+1)
			}
			// A fresh page (no key in the address) sells afresh.
			if k := sellForm(t, s.staff.get(path), "membership-renew").Get("idempotency_key"); k == form.Get("idempotency_key") {
				t.Errorf("%s: a fresh page reuses the sold key", path)
			}
		}
	})
}

// A fee is refunded only by cancelling the membership: refunded as a
// purchase it would leave the member holding a tier nobody paid for.
func TestMembershipFeeIsNotRefundedAsAPurchase(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		ann := app.enrolIn(s.acct.merchantID, "Ann Member")
		sale := app.sold(s, app.paidTier(s, "Plus"), ann, "fixture")
		db := models.ForMerchant(app.db, s.acct.merchantID)
		page := s.manager.get(fmt.Sprintf("/members/%d", ann.ID))
		if page.has(`[data-testid="refund-form"]`) {
			t.Error("the fee has a refund form")
		}
		if got := page.text(`[data-testid="purchase-row"]`); !strings.Contains(got, "refunded by cancelling the membership") {
			t.Errorf("fee row %q does not say how it is refunded", got)
		}
		r := s.manager.post(fmt.Sprintf("/purchases/%d/refund", sale.Purchase.ID), url.Values{"amount": {"5.00"}, "idempotency_key": {"r1"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "cancelling the membership") {
			t.Errorf("the refusal does not say what to do:\n%.2000s", r.body)
		}
		var fee models.Purchase
		if err := db.Take(&fee, sale.Purchase.ID).Error; err != nil || fee.RefundedMinor != 0 {
			t.Errorf("fee refunded %d (%v), want 0", fee.RefundedMinor, err)
		}
		if !app.membershipOf(ann.ID).Active() {
			t.Error("the refused refund ended the membership")
		}
	})
}

// Fees are revenue of their own on the dashboard, net of what a
// cancellation refunded, and never part of product revenue.
func TestMembershipFeesOnTheDashboard(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		plus := app.paidTier(s, "Plus")
		db := models.ForMerchant(app.db, s.acct.merchantID)
		actor, now := models.Actor{Name: "fixture"}, app.clock.now()
		if r := s.manager.get("/dashboard"); r.has(`[data-testid="value-membership-fees"]`) {
			t.Error("a business that sold no membership is shown membership fees")
		}
		var sold []*models.MembershipResult
		for i, name := range []string{"Ann Member", "Bo Member"} {
			sold = append(sold, app.sold(s, plus, app.enrolIn(s.acct.merchantID, name), fmt.Sprint("fee", i)))
		}
		if _, err := models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: s.coffee.ID, MemberID: *sold[0].Purchase.MemberID, Amount: "12.00", IdempotencyKey: "sale"}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.CancelMembership(db, actor, sold[1].Membership.ID, models.MembershipCancel{When: models.CancelNow, Refund: models.RefundFull, IdempotencyKey: "c"}, now); err != nil {
			t.Fatal(err)
		}
		r := s.manager.get("/dashboard")
		expectStatus(t, r, http.StatusOK)
		for id, want := range map[string]string{"membership-fees": "5.00 EUR", "revenue": "12.00 EUR", "purchases": "1"} {
			if got := r.text(`[data-testid="value-` + id + `"]`); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
	})
}
