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
		sale, err := models.SellMembership(db, models.Actor{Name: "fixture"}, models.MembershipSale{ProgramID: s.coffee.ID, MemberID: ann.ID, TierID: plus.ID, IdempotencyKey: "fixture"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
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
