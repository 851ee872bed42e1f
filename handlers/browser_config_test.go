package handlers_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// choose sets a field the keyboard does not fill well (a select, a date)
// and tells the page, as a person's choice would, so htmx triggers see it.
func (b *browser) choose(name, value string) {
	b.t.Helper()
	sel := `[name="` + name + `"]`
	b.do("choose "+name,
		chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`for (const t of ['input', 'change']) document.querySelector(%q).dispatchEvent(new Event(t, {bubbles: true}))`, sel)))
	if got := eval[string](b, fmt.Sprintf(`document.querySelector(%q).value`, sel)); got != value {
		b.t.Fatalf("%s holds %q after choosing %q: no such option?", name, got, value)
	}
}

// tick clicks a checkbox until it is ticked.
func (b *browser) tick(id string) {
	b.t.Helper()
	js := fmt.Sprintf(`document.querySelector('[data-testid=%q]').checked`, id)
	if eval[bool](b, js) {
		return
	}
	b.do("tick "+id, chromedp.Click(testID(id)))
	if !eval[bool](b, js) {
		b.t.Fatalf("%s not ticked after a click", id)
	}
}

// texts is the visible text of every element with the test id, in order.
func (b *browser) texts(id string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll('[data-testid=%q]')].map(e => e.innerText.trim().replace(/\s+/g, ' '))`, id))
}

// waitUntil polls a script until it is true.
func (b *browser) waitUntil(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s on %s: %v", what, b.path(), err)
	}
}

// fits fails when the page, or a table in its scrolling box, is wider
// than the window: on a desktop nothing should hide off to the side.
func (b *browser) fits() {
	b.t.Helper()
	wide := eval[[]string](b, `[document.documentElement, ...document.querySelectorAll('.overflow-auto')]
		.filter(e => e.scrollWidth > e.clientWidth)
		.map(e => (e.querySelector('[data-testid]')?.dataset.testid ?? e.tagName) + ': ' + e.scrollWidth + 'px in ' + e.clientWidth + 'px')`)
	for _, w := range wide {
		b.t.Errorf("%s scrolls sideways: %s", b.path(), w)
	}
}

func (b *browser) expectFlash(want string) {
	b.t.Helper()
	if got := b.text("flash"); !strings.Contains(got, want) {
		b.t.Errorf("flash %q, want %q", got, want)
	}
}

func (b *browser) expectRows(id string, want ...string) {
	b.t.Helper()
	got := b.texts(id)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		b.t.Errorf("%s rows on %s:\n%s\nwant:\n%s", id, b.path(), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBrowserCoffeeShopSetup is an owner configuring a whole points program
// through the pages: program, tier rules, tiers, rewards, earning rules and
// campaigns, then checking the earn preview and the audit log.
func TestBrowserCoffeeShopSetup(t *testing.T) {
	start := time.Now()
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	b.fillSignUp("Corner Café", "olive@example.com")
	b.submit("signup-submit", "/dashboard")
	b.expectDashboard("Corner Café")

	// 1. The program.
	if status := b.open("/programs"); status != 200 {
		t.Fatalf("GET /programs: status %d", status)
	}
	b.visible("no-programs")
	b.fill("name", "Coffee Club", "earn_rate", "1")
	b.choose("type", "points")
	b.choose("status", "active")
	b.submit("program-submit", "/programs/")
	program := b.path()
	if !regexp.MustCompile(`^/programs/\d+$`).MatchString(program) {
		t.Fatalf("new program landed on %s, want its overview", program)
	}
	b.expectFlash("Coffee Club is created.")
	if got := b.text("program-name"); got != "Coffee Club" {
		t.Errorf("overview of %q", got)
	}

	// 2. Tier rules on the overview.
	b.choose("tier_metric", "points_earned")
	b.choose("tier_window", "rolling_12_months")
	b.choose("downgrade_policy", "end_of_window")
	b.submit("program-settings-submit", program)
	b.expectFlash("Coffee Club's settings are saved.")
	for name, want := range map[string]string{"tier_metric": "points_earned", "tier_window": "rolling_12_months", "downgrade_policy": "end_of_window"} {
		if got := eval[string](b, fmt.Sprintf(`document.querySelector('[name=%q]').value`, name)); got != want {
			t.Errorf("saved %s shows %q, want %q", name, got, want)
		}
	}

	// 3. Tiers: Bronze and Gold, then a Silver above Gold is refused
	// beside its threshold, with the input kept, and corrected.
	b.do("tiers tab", chromedp.Click(testID("tab-tiers")))
	b.visible("no-tiers")
	if rules := b.text("tier-rules"); !strings.Contains(rules, "over the last 12 months") || !strings.Contains(rules, "when the window ends") {
		t.Errorf("tier rules %q", rules)
	}
	tiers := program + "/tiers"
	addTier := func(name, rank, threshold, multiplier string) {
		t.Helper()
		b.fill("name", name, "position", rank, "threshold", threshold, "earn_multiplier", multiplier)
	}
	addTier("Bronze", "1", "0", "1")
	b.submit("tier-submit", tiers)
	b.expectFlash("Bronze is added to Coffee Club.")
	addTier("Gold", "3", "1500", "1.5")
	b.submit("tier-submit", tiers)
	addTier("Silver", "2", "2000", "1.25")
	b.submitExpect("tier-submit", 422, tiers)
	if msg := b.text("error-threshold"); !strings.Contains(msg, "below Gold's threshold of 1500") {
		t.Errorf("threshold message %q", msg)
	}
	if kept := eval[string](b, `document.querySelector('[name="name"]').value`); kept != "Silver" {
		t.Errorf("refused tier's name not kept: %q", kept)
	}
	b.fill("threshold", "500")
	b.submit("tier-submit", tiers)
	b.expectFlash("Silver is added to Coffee Club.")
	b.expectRows("tier-row",
		"1 Bronze 0 points earned none",
		"2 Silver 500 points earned 1.25× points",
		"3 Gold 1500 points earned 1.5× points")
	b.fits()
	b.screenshot("tiers.png")

	// 4. Rewards.
	b.do("rewards tab", chromedp.Click(testID("tab-rewards")))
	b.visible("rewards-empty")
	rewards := program + "/rewards"
	b.fill("name", "Free coffee", "cost", "50")
	b.choose("type", "free_item")
	b.submit("reward-submit", rewards)
	b.fill("name", "10% off", "cost", "120", "percent", "10")
	b.choose("type", "percent_off")
	b.submit("reward-submit", rewards)
	if got := b.texts("reward-name"); strings.Join(got, ",") != "Free coffee,10% off" {
		t.Errorf("rewards %v", got)
	}
	if got := b.texts("reward-cost"); strings.Join(got, ",") != "50 points,120 points" {
		t.Errorf("reward costs %v", got)
	}
	b.fits()
	b.screenshot("rewards.png")

	// 5. Earning rules: a birthday treat and a custom action.
	b.do("rules tab", chromedp.Click(testID("tab-rules")))
	b.visible("rules-empty")
	rules := program + "/rules"
	b.choose("kind", "birthday")
	b.fill("points", "25", "window_days", "7")
	b.submit("rule-submit", rules)
	b.choose("kind", "action")
	b.fill("name", "Newsletter sign-up", "points", "10")
	b.choose("cap", "once")
	b.submit("rule-submit", rules)
	b.expectFlash("Newsletter sign-up is added.")
	b.expectRows("rule-row",
		"Custom action Newsletter sign-up 10 points — — — once ever Edit",
		"Birthday Birthday treat 25 points — — up to 7 days after once a year Edit")
	b.fits()
	b.screenshot("rules.png")

	// 6. Campaigns over this year in the business's zone, on chosen days.
	b.do("campaigns tab", chromedp.Click(testID("tab-campaigns")))
	b.visible("campaigns-empty")
	campaigns := program + "/campaigns"
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	year := app.clock.now().In(paris).Year()
	addCampaign := func(name string, days ...string) {
		t.Helper()
		b.fill("name", name, "multiplier", "2")
		b.choose("starts_on", fmt.Sprintf("%d-01-01", year))
		b.choose("ends_on", fmt.Sprintf("%d-12-31", year))
		for _, d := range days {
			b.tick("input-weekdays-" + d)
		}
		b.submit("campaign-submit", campaigns)
	}
	addCampaign("Double points weekend", "6", "0")
	addCampaign("Double points Mondays", "1")
	if got := b.texts("campaign-name"); len(got) != 2 {
		t.Fatalf("campaigns %v", got)
	}
	days := map[string]string{}
	for _, row := range b.texts("campaign-row") {
		for _, name := range []string{"Double points weekend", "Double points Mondays"} {
			if strings.HasPrefix(row, name) {
				days[name] = row
			}
		}
		if !strings.Contains(row, "running 2×") {
			t.Errorf("campaign row %q: want running 2×", row)
		}
	}
	if !strings.Contains(days["Double points weekend"], "Sat, Sun") || !strings.Contains(days["Double points Mondays"], "Mon") {
		t.Errorf("campaign days %v", days)
	}
	b.fits()
	b.screenshot("campaigns.png")

	// 7. The earn preview swaps its answer in without leaving the page.
	b.do("overview tab", chromedp.Click(testID("tab-overview")))
	b.visible("preview-empty")
	// The page records the URL of each preview htmx settles, so the test
	// waits for the answer to the last input, not to a keystroke before.
	b.do("mark page", chromedp.Evaluate[chromedp.Void](`window.sameDocument = true;
		document.body.addEventListener('htmx:afterSettle', e => { window.lastPreview = e.detail.xhr.responseURL })`))
	gold := eval[string](b, `[...document.querySelectorAll('[name="tier"] option')].find(o => o.textContent.trim() === 'Gold')?.value ?? ''`)
	if gold == "" {
		t.Fatal("the preview offers no Gold tier")
	}
	before := app.clock.now().In(paris).Weekday()
	b.choose("tier", gold)
	b.fill("amount", "12.50")
	b.waitUntil("the preview of 12.50 at Gold", fmt.Sprintf(
		`(window.lastPreview ?? '').includes('amount=12.50') && window.lastPreview.includes('tier=%s')`, gold))
	after := app.clock.now().In(paris).Weekday()
	expect := func(d time.Weekday) (string, string) {
		switch d {
		case time.Saturday, time.Sunday:
			return "37 points", "Double points weekend 2×"
		case time.Monday:
			return "37 points", "Double points Mondays 2×"
		}
		return "18 points", ""
	}
	total, campaign := b.text("preview-total"), eval[string](b, `document.querySelector('[data-testid="preview-campaign"]')?.textContent.trim() ?? ''`)
	wantTotal, wantCampaign := expect(before)
	if total != wantTotal || campaign != wantCampaign {
		if t2, c2 := expect(after); total != t2 || campaign != c2 {
			t.Errorf("preview on a %s: total %q, campaign %q; want %q, %q", before, total, campaign, wantTotal, wantCampaign)
		}
	}
	if got := b.text("preview-tier"); got != "Gold 1.5×" {
		t.Errorf("preview tier %q", got)
	}
	if got := b.text("preview-base"); got != "12 points" {
		t.Errorf("preview base %q", got)
	}
	if p := b.path(); p != program || !eval[bool](b, `window.sameDocument === true`) {
		t.Errorf("preview reloaded the page: at %s", p)
	}
	if note := b.text("preview-note"); !strings.Contains(note, "do not stack") {
		t.Errorf("preview note %q", note)
	}
	b.fits()
	b.screenshot("program-overview.png")

	// 8. The audit log has every change, and filters by kind.
	if status := b.open("/settings/audit"); status != 200 {
		t.Fatalf("GET /settings/audit: status %d", status)
	}
	summaries := b.texts("audit-summary")
	for _, want := range []string{
		"Created program Coffee Club", "Updated program Coffee Club",
		"Added tier Bronze to Coffee Club", "Added tier Silver to Coffee Club", "Added tier Gold to Coffee Club",
		"Added reward Free coffee to Coffee Club", "Added reward 10% off to Coffee Club",
		"Added earning rule Birthday treat to Coffee Club", "Added earning rule Newsletter sign-up to Coffee Club",
		"Added campaign Double points weekend to Coffee Club", "Added campaign Double points Mondays to Coffee Club",
	} {
		n := 0
		for _, s := range summaries {
			if strings.HasPrefix(s, want) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("audit has %d entries %q, want 1; summaries:\n%s", n, want, strings.Join(summaries, "\n"))
		}
	}
	b.fits()
	b.screenshot("audit.png")
	b.choose("what", "tier")
	b.submit("audit-filter-submit", "/settings/audit")
	if what := b.texts("audit-what"); len(what) != 3 || !allPrefixed(what, "Tier #") {
		t.Errorf("filtered by tier: %v", what)
	}
	if got := eval[string](b, `document.querySelector('[name="what"]').value`); got != "tier" {
		t.Errorf("filter not kept: what=%q", got)
	}
	t.Logf("coffee shop set up in %s", time.Since(start).Round(time.Millisecond))
}

func allPrefixed(ss []string, prefix string) bool {
	for _, s := range ss {
		if !strings.HasPrefix(s, prefix) {
			return false
		}
	}
	return true
}
