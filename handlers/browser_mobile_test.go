package handlers_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// overflowJS lists what a phone user cannot reach without scrolling the
// page sideways: the page wider than the screen, or a link, button or
// field of the page lying past its right edge (a table scrolled in its
// box hides its Edit links there).
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > w) out.push("page is " + document.documentElement.scrollWidth + "px wide");
  for (const el of document.querySelectorAll("body a, body button, body input:not([type=hidden]), body select, body textarea")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue; // not shown
    if (r.right > w + 1 || r.left < -1) out.push(el.tagName.toLowerCase() + " " + JSON.stringify((el.textContent || el.name || "").trim().slice(0, 30)) + " spans " + Math.round(r.left) + "–" + Math.round(r.right));
  }
  // On a phone a stacked list must fit, not scroll inside its box.
  for (const t of w <= 576 ? document.querySelectorAll("table.stack-narrow") : []) {
    const r = t.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) out.push("table " + (t.id || t.className) + " spans to " + Math.round(r.right));
  }
  return out;
})()`

// Every page is usable on a phone: at 390px nothing needs a sideways
// scroll, and the same holds at a desktop's 1280px. With SCREENSHOT_DIR
// set, each page is kept as a PNG to look at.
func TestBrowserEveryPageFitsAPhone(t *testing.T) {
	for _, width := range []int{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) { everyPageFits(t, width) })
	}
}

func everyPageFits(t *testing.T, width int) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, width, 844)
	check := func(name, path string) {
		t.Helper()
		if path != "" {
			b.open(path)
		}
		b.screenshot(fmt.Sprintf("%d-%s.png", width, name))
		if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
			t.Errorf("%s (%s) at %dpx: %s", name, b.path(), width, strings.Join(bad, "; "))
		}
	}
	check("signup", "/signup")
	check("login", "/login")
	check("error-404-anonymous", "/no-such-page")

	shop := openCafe(t, app, b)
	db, p, now := shop.db, shop.program, time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := models.CreateTier(db, cafeFixture, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0", Perks: "A smile"})
	must(err)
	_, err = models.CreateTier(db, cafeFixture, p.ID, models.TierInput{Name: "Gold", Position: "2", Threshold: "500", EarnMultiplier: "1.5", Discount: "10", FreeShipping: true})
	must(err)
	_, err = models.SaveEarningRule(db, cafeFixture, p.ID, 0, models.EarningRuleInput{Kind: "action", Name: "Newsletter sign-up", Points: "10", Cap: "once", Active: true})
	must(err)
	cp, err := models.SaveCampaign(db, cafeFixture, p.ID, 0, models.CampaignInput{Name: "Double points weekend", StartsOn: localDate(0), EndsOn: localDate(30), Multiplier: "2", BonusPoints: "5", MinPurchase: "5", Weekdays: []string{"6", "0"}}, now)
	must(err)
	r, err := models.SaveReward(db, cafeFixture, p.ID, 0, models.RewardInput{Name: "Slice of lemon drizzle cake", Type: "free_item", Cost: "20", Description: "Any cake from the counter", Stock: "25", PerMemberLimit: "2"})
	must(err)
	// A webhook endpoint with a long URL, registered before the member so
	// what follows fills its delivery log: the first answer is a 200, the
	// rest 500s.
	var answered atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if answered.Add(1) > 1 {
			http.Error(w, "upstream order service unavailable, please retry later", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(rcv.Close)
	hook, _, err := models.CreateWebhookEndpoint(db, cafeFixture, models.WebhookInput{URL: rcv.URL + "/integrations/regulars/webhooks/cafe-maximiliane-web-shop",
		Events: []string{"member.created", "purchase.recorded", "redemption.created"}}, models.WebhookTargets{AllowPrivate: true}, now)
	must(err)
	m, err := models.EnrolMember(db, cafeFixture, models.MemberInput{Name: "Maximiliane Wolkenstein-Hohenberg", Email: "maximiliane.wolkenstein@example.com", Phone: "+49 151 23456789"}, now)
	must(err)
	for i := range 3 {
		_, err = models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "12.40", OrderRef: fmt.Sprintf("TILL-2026-%05d", i), IdempotencyKey: fmt.Sprint("mobile-", i)}, now)
		must(err)
	}
	_, err = models.Redeem(db, cafeFixture, models.RedeemInput{MemberID: m.ID, ProgramID: p.ID, RewardID: r.ID}, now)
	must(err)
	res, err := models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "8.00", IdempotencyKey: "mobile-receipt"}, now)
	must(err)
	plus, err := models.CreateTier(db, cafeFixture, p.ID, models.TierInput{Name: "Club Plus", Position: "1", Paid: true, Fee: "5.00", PeriodMonths: "1", GraceDays: "3", EarnMultiplier: "2", Discount: "5", Perks: "A free refill"})
	must(err)
	_, err = models.SellMembership(db, cafeFixture, models.MembershipSale{ProgramID: p.ID, MemberID: m.ID, TierID: plus.ID, IdempotencyKey: "mobile-membership"}, now)
	must(err)
	staff, _, err := models.AddUser(db, cafeFixture, models.AddUserInput{Name: "Bartholomew Staff-Member", Email: "bartholomew.staff@example.com", Role: models.RoleStaff})
	must(err)
	var tier models.Tier
	must(db.Where("program_id = ? AND name = ?", p.ID, "Gold").Take(&tier).Error)
	var rule models.EarningRule
	must(db.Where("program_id = ?", p.ID).Take(&rule).Error)
	_, _, err = models.CreateAPIKey(db, cafeFixture, models.APIKeyInput{Name: "Web shop of the Café Maximiliane", Scope: "read-write"}, now)
	must(err)
	_, err = models.NewWebhookWorker(app.db, slog.New(slog.NewTextHandler(io.Discard, nil)),
		models.WebhookWorkerOptions{Targets: models.WebhookTargets{AllowPrivate: true}}).DeliverDue(t.Context())
	must(err)

	prog := fmt.Sprintf("/programs/%d", p.ID)
	pages := []struct{ name, path string }{
		{"dashboard", "/dashboard"},
		{"churn", "/reports/churn?range=all"},
		{"retention", "/reports/retention?range=all"},
		{"engagement", "/reports/engagement?range=all&tier_within=1000&reward_within=1000"},
		{"economics", "/reports/economics?range=all"},
		{"till-search", "/till?q=Maxi"},
		{"till-member", fmt.Sprintf("/till?member=%d", m.ID)},
		{"till-receipt", fmt.Sprintf("/till?member=%d&receipt=%d", m.ID, res.Purchase.ID)},
		{"members", "/members"},
		{"member", fmt.Sprintf("/members/%d", m.ID)},
		{"import", "/members/import"},
		{"memberships", "/memberships?days=60"},
		{"programs", "/programs"},
		{"program", prog},
		{"tiers", prog + "/tiers"},
		{"tier", fmt.Sprintf("%s/tiers/%d", prog, tier.ID)},
		{"rewards", prog + "/rewards"},
		{"reward", fmt.Sprintf("%s/rewards/%d", prog, r.ID)},
		{"catalog", "/rewards"},
		{"rules", prog + "/rules"},
		{"rule", fmt.Sprintf("%s/rules/%d", prog, rule.ID)},
		{"campaigns", prog + "/campaigns"},
		{"campaign", fmt.Sprintf("%s/campaigns/%d", prog, cp.ID)},
		{"settings-business", "/settings/business"},
		{"users", "/settings/users"},
		{"user", fmt.Sprintf("/settings/users/%d", staff.ID)},
		{"api-keys", "/settings/api"},
		{"webhook", fmt.Sprintf("/settings/api/webhooks/%d", hook.ID)},
		{"audit", "/settings/audit"},
		{"password", "/account/password"},
		{"error-404", "/members/999999"},
	}
	// A fresh browser, logged in, every few pages: a full-page screenshot
	// is slow, and each browser has browserTimeout for all it does.
	for i, pg := range pages {
		if i > 0 && i%8 == 0 {
			b = newBrowser(t, app, width, 844)
			b.open("/login")
			b.fill("email", cafeOwnerEmail, "password", testPassword)
			b.submit("login-submit", "/dashboard")
		}
		check(pg.name, pg.path)
	}

	// On a phone the sections sit in a menu that opens without script;
	// on a desktop they are in the header itself.
	b.open("/members")
	if width < 768 {
		b.do("open the menu", chromedp.Click(`[data-testid="nav-menu"] summary`))
		b.do("see the menu", chromedp.WaitVisible(`[data-testid="nav-menu"] a[href="/till"]`))
		check("menu-open", "")
	} else if eval[bool](b, `document.querySelector('[data-testid="nav-menu"]').checkVisibility()`) {
		t.Error("the phone menu shows on a desktop")
	}
}
