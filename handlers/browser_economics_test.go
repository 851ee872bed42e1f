package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A manager reads program economics with a year of history, at a desktop's
// and a phone's width, and picks another range; nothing needs a sideways
// scroll of the page.
func TestBrowserEconomics(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			app := newTestApp(t, dbtest.Open(t, models.SQLite))
			b := newBrowser(t, app, width, 900)
			shop := openCafe(t, app, b)
			db, p := shop.db, shop.program
			in := models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active", PointValue: "0.01"}
			if _, err := models.UpdateProgram(db, cafeFixture, p.ID, in); err != nil {
				t.Fatal(err)
			}
			now := app.clock.now()
			for i, months := range []int{14, 9, 5, 4, 2, 1, 0} {
				at := now.AddDate(0, -months, 0)
				m, err := models.EnrolMember(db, cafeFixture, models.MemberInput{Name: fmt.Sprint("Member ", i)}, at)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID,
					Amount: fmt.Sprintf("%d.50", 20+7*i), IdempotencyKey: fmt.Sprint("b", i)}, at); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, Amount: "4.20", IdempotencyKey: "anon"}, now); err != nil {
				t.Fatal(err)
			}
			fits := func(name string) {
				t.Helper()
				b.screenshot(fmt.Sprintf("economics-%d-%s.png", width, name))
				if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
					t.Errorf("%s at %dpx: %s", name, width, strings.Join(bad, "; "))
				}
			}
			b.open("/reports/economics")
			fits("30d")
			b.submit("range-all", "/reports/economics")
			if got := eval[string](b, `document.querySelector('[data-testid="value-outstanding"]').textContent`); got != "287 points" {
				t.Errorf("all time: outstanding %q", got)
			}
			fits("all")
			// Printed: the figures and tables, without the form or the links.
			if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
				t.Fatal(err)
			}
			b.screenshot(fmt.Sprintf("economics-%d-print.png", width))
			hidden := eval[bool](b, `['report-range-form', 'csv-statement', 'report-print'].every(id =>
				getComputedStyle(document.querySelector('[data-testid="' + id + '"]')).display === 'none')`)
			if !hidden || !eval[bool](b, `getComputedStyle(document.querySelector('[data-testid="report-table-statement"]')).display !== 'none'`) {
				t.Errorf("print layout: form and links hidden %v, or the statement is not printed", hidden)
			}
		})
	}
}
