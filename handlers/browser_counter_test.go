package handlers_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The new-program form shows only the chosen type's earning field in a
// real browser (CSS :has, no script), and the till asks before recording a
// large amount, offers store credit, rewards and balances, at 1280 and
// 390 px.
func TestBrowserCounter(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			app := newTestApp(t, dbtest.Open(t, models.SQLite))
			b := newBrowser(t, app, width, 900)
			shop := openCafe(t, app, b)

			if status := b.open("/programs"); status != 200 {
				t.Fatalf("GET /programs: %d", status)
			}
			shown := func() string {
				return eval[string](b, `[...document.querySelectorAll('.type-fields')].filter(e => e.offsetParent !== null).map(e => e.dataset.type).join(',')`)
			}
			if got := shown(); got != "points" {
				t.Errorf("points checked shows %q", got)
			}
			b.do("choose stamps", chromedp.Click(testID("type-stamps")))
			if got := shown(); got != "stamps" {
				t.Errorf("stamps checked shows %q", got)
			}
			b.screenshot(fmt.Sprintf("programs-new-%d.png", width))

			cb, err := models.CreateProgram(shop.db, cafeFixture, models.ProgramInput{Name: "Cashback", Type: "cashback", Cashback: "10", Status: "active"})
			if err != nil {
				t.Fatal(err)
			}
			m, err := models.EnrolMember(shop.db, cafeFixture, models.MemberInput{Name: "Mo Member", Phone: "+33 6 12 34 56 78"}, app.clock.now())
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range []*models.Program{shop.program, cb} {
				if _, err := models.RecordPurchase(shop.db, cafeFixture, models.PurchaseInput{
					ProgramID: p.ID, MemberID: m.ID, Amount: "40", IdempotencyKey: fmt.Sprint("setup-", i),
				}, app.clock.now()); err != nil {
					t.Fatal(err)
				}
			}
			b.open(fmt.Sprintf("/till?member=%d&program=%d", m.ID, shop.program.ID))
			b.visible("till-rewards")
			b.fill("amount", "450")
			b.submitExpect("purchase-submit", 422, "/till/purchase")
			if got := b.text("purchase-confirm-message"); got != "Record 450.00 EUR? That is more than usual." {
				t.Errorf("confirmation %q", got)
			}
			if got := b.focused(); got != "purchase-confirm-submit" {
				t.Errorf("focus on %q, want the confirm button", got)
			}
			b.screenshot(fmt.Sprintf("till-confirm-%d.png", width))
			b.submit("purchase-confirm-submit", "/till")
			if got := b.text("receipt-earned"); got != "+450 points" {
				t.Errorf("receipt %q", got)
			}
			b.open(fmt.Sprintf("/till?member=%d&program=%d", m.ID, cb.ID))
			b.do("type credit", chromedp.SendKeys(testID("input-credit-amount"), "1.50"))
			b.submit("credit-submit", "/till")
			if got := b.text("credit-receipt-balance"); got != "2.50 EUR credit" {
				t.Errorf("credit left %q", got)
			}
			if width > 576 {
				if got := b.text("till-member-phone"); got != "+33 6 12 34 56 78" {
					t.Errorf("phone %q", got)
				}
			}
			if width == 390 {
				b.phoneFits()
			}
			b.screenshot(fmt.Sprintf("till-credit-%d.png", width))
		})
	}
}
