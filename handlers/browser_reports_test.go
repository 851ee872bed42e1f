package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A manager lands on the report dashboard, changes the range with a
// preset and with dates, and downloads a table; a staff user gets the
// till page and is refused the reports. The pages fit a phone and a
// desktop (SCREENSHOT_DIR keeps them).
func TestBrowserReports(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) { browseReports(t, width) })
	}
}

func browseReports(t *testing.T, width int) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, width, 900)
	shop := openCafe(t, app, b)
	reportHistory(t, shop, app.clock.now().In(shop.zone(t)))
	_, _, err := models.AddUser(shop.db, cafeFixture, models.AddUserInput{Name: "Sam Staff", Email: "sam@example.com", Role: models.RoleStaff, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	fits := func(name string) {
		t.Helper()
		b.screenshot(fmt.Sprintf("reports-%d-%s.png", width, name))
		if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
			t.Errorf("%s at %dpx: %s", name, width, strings.Join(bad, "; "))
		}
	}
	b.open("/dashboard")
	if got := b.text("value-purchases"); got != "15" {
		t.Errorf("purchases in 30 days %q, want 15", got)
	}
	fits("dashboard")

	b.submit("range-90d", "/dashboard")
	if got := eval[string](b, `document.querySelector('[name="range"][aria-current]').value`); got != "90d" {
		t.Errorf("after 90 days, the preset shown is %q", got)
	}
	if got := b.text("value-purchases"); got != "30" {
		t.Errorf("purchases in 90 days %q, want 30", got)
	}
	today := app.clock.now().In(shop.zone(t))
	from := today.AddDate(0, 0, -13).Format("2006-01-02")
	b.do("set dates", chromedp.SetValue(`[name="from"]`, from), chromedp.SetValue(`[name="to"]`, today.Format("2006-01-02")))
	b.submit("range-apply", "/dashboard")
	if got := b.text("report-range"); !strings.HasPrefix(got, today.AddDate(0, 0, -13).Format("2 Jan 2006")) {
		t.Errorf("range after Apply %q, want from %s", got, from)
	}
	if got := b.text("report-compare"); !strings.Contains(got, "the 14 days before") {
		t.Errorf("comparison %q", got)
	}
	csv, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`fetch(document.querySelector('[data-testid="csv-figures"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(csv, "Figure,Range,Previous period\n") || !strings.Contains(csv, "\nPurchases,7,7\n") {
		t.Errorf("figures CSV (%v):\n%s", err, csv)
	}
	b.open("/reports?from=2026-03-01&to=2026-02-01")
	if msg := b.text("report-error"); !strings.Contains(msg, "swap them") {
		t.Errorf("bad range message %q", msg)
	}
	fits("bad-range")

	b.logOut()
	b.fill("email", "sam@example.com", "password", testPassword)
	b.submit("login-submit", "/dashboard")
	b.visible("open-till")
	if nav := b.navLabels(); strings.Contains(strings.Join(nav, ","), "Reports") {
		t.Errorf("staff navigation %v shows Reports", nav)
	}
	fits("staff")
	if status := b.open("/reports"); status != 403 {
		t.Errorf("staff opening /reports: %d, want 403", status)
	}
}

// reportHistory gives the café 60 days of trade up to now (local, so that
// each is on the local day it names): a member
// joining every ten days, a purchase every other day (every third one
// anonymous), and a coffee redeemed now and then.
func reportHistory(t *testing.T, shop cafe, now time.Time) {
	t.Helper()
	var members []*models.Member
	var reward models.Reward
	if err := shop.db.Where("program_id = ?", shop.program.ID).Take(&reward).Error; err != nil {
		t.Fatal(err)
	}
	for day := 59; day >= 0; day-- {
		at := now.AddDate(0, 0, -day)
		if day%10 == 9 {
			m, err := models.EnrolMember(shop.db, cafeFixture, models.MemberInput{Name: fmt.Sprintf("Member %d", len(members)+1)}, at)
			if err != nil {
				t.Fatal(err)
			}
			members = append(members, m)
		}
		if day%2 != 0 {
			continue
		}
		in := models.PurchaseInput{ProgramID: shop.program.ID, Amount: fmt.Sprintf("%d.50", 4+day%7), IdempotencyKey: fmt.Sprint("h", day)}
		if day%6 != 0 {
			in.MemberID = members[(day/2)%len(members)].ID
		}
		if _, err := models.RecordPurchase(shop.db, cafeFixture, in, at); err != nil {
			t.Fatal(err)
		}
		if day%8 == 2 && in.MemberID != 0 {
			// Redeemed when the member can afford it; otherwise not.
			_, _ = models.Redeem(shop.db, cafeFixture, models.RedeemInput{MemberID: in.MemberID, ProgramID: shop.program.ID, RewardID: reward.ID}, at)
		}
	}
}

func (c cafe) zone(t *testing.T) *time.Location {
	t.Helper()
	m, err := models.GetMerchant(c.db)
	if err != nil {
		t.Fatal(err)
	}
	return m.Location()
}
