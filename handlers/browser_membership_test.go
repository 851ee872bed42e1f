package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Staff sell a paid membership at the till; the next purchase earns at
// the paid tier's 2×; the daily job, run with the clock past the end and
// the grace days, puts the member back in their earned tier.
func TestBrowserMembershipFlow(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	shop := openCafe(t, app, b)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := models.CreateTier(shop.db, cafeFixture, shop.program.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
	must(err)
	_, err = models.CreateTier(shop.db, cafeFixture, shop.program.ID, models.TierInput{Name: "Club Plus", Position: "1", Paid: true,
		Fee: "5.00", PeriodMonths: "1", GraceDays: "3", EarnMultiplier: "2", Discount: "10", Perks: "A free refill"})
	must(err)
	mo, err := models.EnrolMember(shop.db, cafeFixture, models.MemberInput{Name: "Mo Member"}, app.clock.now())
	must(err)
	_, _, err = models.AddUser(shop.db, cafeFixture, models.AddUserInput{Name: "Sam Staff", Email: "sam@example.com", Role: models.RoleStaff, Password: testPassword})
	must(err)
	b.logOut()
	b.fill("email", "sam@example.com", "password", testPassword)
	b.submit("login-submit", "/dashboard")

	till := fmt.Sprintf("/till?member=%d", mo.ID)
	if status := b.open(till); status != 200 {
		t.Fatalf("GET %s: status %d", till, status)
	}
	if got := b.text("membership-sell"); got != "Sell Club Plus · 5.00 EUR for 1 month" {
		t.Errorf("sell button %q", got)
	}
	key := eval[string](b, `new URL(location.href).searchParams.get('key') ?? ''`)
	b.submit("membership-sell", "/till")
	b.expectFlash("Club Plus sold: held until")

	// Back, and the button again, as a barista unsure it went through
	// would: the page drawn anew from its address gives the button the key
	// it had, and the sale is replayed, not made twice. (As in the till's
	// flow: go back as the button does, and click with script.)
	b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	b.waitAcross("the till before the sale", fmt.Sprintf(`location.search.includes('key=%s') && document.readyState === 'complete'`, key))
	b.do("sell again", chromedp.Evaluate[chromedp.Void](
		`document.querySelector('[data-testid="membership-renew"], [data-testid="membership-sell"]').closest('form').requestSubmit()`))
	b.waitAcross("the till after selling again", `!location.search.includes('key=`+key+`') && document.readyState === 'complete' && !!document.querySelector('[data-testid="flash"]')`)
	b.expectFlash("That sale was already recorded")
	var fees int64
	must(shop.db.Model(&models.Purchase{}).Where("kind = ?", models.PurchaseMembership).Count(&fees).Error)
	if fees != 1 {
		t.Errorf("after Back and selling again: %d fees, want 1", fees)
	}
	if got := b.text("membership-tier"); got != "Club Plus" {
		t.Errorf("membership tier %q", got)
	}
	if got := b.text("till-tier"); got != "Club Plus" {
		t.Errorf("till tier %q", got)
	}
	if got := b.text("membership-status"); got != "active" {
		t.Errorf("status %q", got)
	}
	b.visible("membership-renew")
	b.fits()
	b.screenshot("membership-till.png")

	// The next purchase earns at 2×: 10.00 is 20 points.
	b.waitFocus("input-purchase-amount")
	b.do("type the amount", chromedp.KeyEvent("10.00"))
	if got := b.text("till-preview-total"); got != "+20 points" {
		t.Errorf("preview of 10.00 under Club Plus: %q", got)
	}
	b.press(kb.Enter, 200, "/till")
	var bought models.Purchase
	must(shop.db.Where("member_id = ? AND kind = ?", mo.ID, models.PurchaseSale).Take(&bought).Error)
	if bought.Earned != 20 {
		t.Errorf("the purchase earned %d, want 20", bought.Earned)
	}

	// Past the end and the 3 days of grace, the daily job lapses it.
	var ms models.Membership
	must(shop.db.Where("member_id = ?", mo.ID).Take(&ms).Error)
	app.clock.advance(ms.EndsAt.Sub(app.clock.now()) + 3*24*time.Hour + time.Hour)
	rep, err := models.RunDaily(app.db, app.clock.now())
	must(err)
	if rep.Lapsed != 1 {
		t.Errorf("the daily job lapsed %d, want 1", rep.Lapsed)
	}
	// A month on, the session has lapsed too: Sam signs in again.
	b.open("/login")
	b.fill("email", "sam@example.com", "password", testPassword)
	b.submit("login-submit", "/dashboard")
	b.open(till)
	if got := b.text("till-tier"); got != "Bronze" {
		t.Errorf("after the lapse the till shows tier %q, want Bronze", got)
	}
	if got := b.text("membership-status"); !strings.HasPrefix(got, "lapsed on ") {
		t.Errorf("after the lapse the status is %q", got)
	}
	b.visible("membership-sell") // and it can be sold again
	b.screenshot("membership-lapsed.png")
}
