package handlers_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The counter in a real browser: a barista finds a member by their card
// and records a purchase from the keyboard alone, the member redeems a
// reward, and an owner and a barista adjust balances by hand.

const cafeOwnerEmail = "olive@example.com"

// cafe is a business signed up through the form, with what these tests do
// not test set up through the models: an active points program earning 1
// point per EUR, with a free coffee at 10 points.
type cafe struct {
	db      *gorm.DB
	program *models.Program
}

var cafeFixture = models.Actor{Name: "fixture"}

func openCafe(t *testing.T, app *testApp, b *browser) cafe {
	t.Helper()
	b.fillSignUp("Corner Café", cafeOwnerEmail)
	b.submit("signup-submit", "/dashboard")
	b.expectDashboard("Corner Café")
	var owner models.User
	if err := models.CrossTenant(app.db).Where("email = ?", cafeOwnerEmail).Take(&owner).Error; err != nil {
		t.Fatalf("owner not stored: %v", err)
	}
	db := models.ForMerchant(app.db, owner.MerchantID)
	p, err := models.CreateProgram(db, cafeFixture, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveReward(db, cafeFixture, p.ID, 0, models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "10"}); err != nil {
		t.Fatal(err)
	}
	return cafe{db: db, program: p}
}

// focused names the element that has the keyboard focus: its test id, or
// else its tag.
func (b *browser) focused() string {
	b.t.Helper()
	return eval[string](b, `(e => e ? (e.dataset?.testid || e.tagName.toLowerCase()) : '')(document.activeElement)`)
}

// waitFocus waits for the focus to reach the element with the test id, as
// the page's autofocus puts it there once it has loaded. It asks across
// documents: on a loaded machine the page's first script context can be
// gone before a poll in it answers ("Cannot find context with specified
// id"), with the focus already where it should be.
func (b *browser) waitFocus(id string) {
	b.t.Helper()
	b.waitAcross(fmt.Sprintf("the focus on %s at %s", id, b.path()),
		fmt.Sprintf(`document.activeElement?.dataset?.testid === %q`, id))
}

// waitAcross is waitUntil for a script that runs while the page changes:
// a poll dies with the document it began in, so this asks again.
func (b *browser) waitAcross(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: still false (last error %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// press types keys into whatever has the focus, as a keyboard would, and
// expects them to load a page with the status at a path starting with
// wantPath; it returns the full location.
func (b *browser) press(keys string, status int64, wantPath string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(keys))
	if err != nil {
		b.t.Fatalf("keys %q: %v", keys, err)
	}
	if got := b.path(); resp.Status != status || !strings.HasPrefix(got, wantPath) {
		b.t.Fatalf("after keys %q: status %d at %s, want %d at %s", keys, resp.Status, got, status, wantPath)
	}
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.base)
}

// phoneFits checks the viewport is a phone's and nothing on the page
// scrolls sideways.
func (b *browser) phoneFits() {
	b.t.Helper()
	if w := eval[int](b, `window.innerWidth`); w != 390 {
		b.t.Fatalf("viewport %dpx wide, want 390", w)
	}
	if sw := eval[int](b, `document.documentElement.scrollWidth`); sw > 390 {
		b.t.Errorf("%s is %dpx wide at a 390px viewport: it scrolls sideways", b.path(), sw)
	}
	b.fits()
}

var codePattern = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}`)

func TestBrowserTillFlow(t *testing.T) {
	start := time.Now()
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	shop := openCafe(t, app, b)

	// 1. A new customer is enrolled on the members page and gets a card.
	if status := b.open("/members"); status != 200 {
		t.Fatalf("GET /members: status %d", status)
	}
	b.fill("name", "Mo Member", "email", "mo@example.com", "phone", "+33 6 12 34 56 78")
	b.submit("enrol-submit", "/members/")
	memberPath := b.path()
	var memberID int64
	if _, err := fmt.Sscanf(memberPath, "/members/%d", &memberID); err != nil {
		t.Fatalf("enrolment landed on %s, want the member's page", memberPath)
	}
	card := b.text("card-code")
	if !codePattern.MatchString(card) {
		t.Fatalf("card code %q, want XXXX-XXXX", card)
	}
	b.expectFlash("Mo Member is enrolled. Their card code is " + card + ".")
	if got := b.text("member-phone"); got != "+33 6 12 34 56 78" {
		t.Errorf("phone shows %q", got)
	}
	if status := b.open("/members?tag=none"); status != 200 {
		t.Fatalf("GET /members with a filter: status %d", status)
	}
	b.visible("filter-form") // a filter in use keeps the filters open
	if got := b.text("members-empty"); got != "No member matches these filters." {
		t.Errorf("empty filtered list says %q", got)
	}
	b.screenshot("members.png")
	if status := b.open(memberPath); status != 200 {
		t.Fatalf("GET %s: status %d", memberPath, status)
	}
	enrolled := time.Now()

	// 2. At the till the search box has the focus: the card code, typed
	// in lower case as a scanner or a hurried barista might, and Enter go
	// straight to the member.
	if status := b.open("/till"); status != 200 {
		t.Fatalf("GET /till: status %d", status)
	}
	b.waitFocus("till-search")
	tillPath := b.press(strings.ToLower(card)+kb.Enter, 200, "/till")
	// The address also carries the purchase form's key, for Back.
	if want := fmt.Sprintf("/till?member=%d&key=", memberID); !strings.HasPrefix(tillPath, want) || !strings.HasSuffix(tillPath, eval[string](b, `document.querySelector('[data-testid="purchase-key"]').value`)) {
		t.Fatalf("the card code led to %s, want %s<the form's key>", tillPath, want)
	}
	if got := b.text("till-member-name"); got != "Mo Member" {
		t.Errorf("till shows %q", got)
	}
	if got := b.text("till-member-card"); got != card {
		t.Errorf("till card %q, want %s", got, card)
	}
	if got := b.text("till-balance"); got != "0 points" {
		t.Errorf("balance before buying %q", got)
	}

	// 3. The amount box has the focus; the preview says what it earns.
	b.waitFocus("input-purchase-amount")
	b.visible("till-preview-empty")
	key := eval[string](b, `document.querySelector('[data-testid="purchase-key"]').value`)
	b.do("type the amount", chromedp.KeyEvent("12.50"))
	if got := b.text("till-preview-total"); got != "+12 points" {
		t.Errorf("preview of 12.50: %q", got)
	}
	b.fits()
	b.screenshot("till-member.png")

	// 4. Enter records it: the receipt says what it earned and the search
	// box has the focus again for the next customer.
	receiptPath := b.press(kb.Enter, 200, "/till")
	if !strings.HasPrefix(receiptPath, fmt.Sprintf("/till?member=%d&receipt=", memberID)) {
		t.Fatalf("the purchase landed on %s, want its receipt", receiptPath)
	}
	if got := b.text("receipt-earned"); got != "+12 points" {
		t.Errorf("receipt earned %q", got)
	}
	if got := b.text("receipt-balance"); got != "12 points" {
		t.Errorf("receipt balance %q", got)
	}
	if got := b.text("receipt-summary"); !strings.Contains(got, "12.50") || !strings.Contains(got, "Mo Member "+card) {
		t.Errorf("receipt summary %q", got)
	}
	b.waitFocus("till-search")
	if v := eval[string](b, `document.activeElement.value`); v != "" {
		t.Errorf("search box holds %q after the purchase, want it empty", v)
	}
	b.fits()
	b.screenshot("till-receipt.png")

	// 5. Back to the form and Enter again, as a barista unsure it went
	// through would: pages behind login are never stored, so Back draws the
	// form anew from its address, whose key finds the first purchase, and
	// nothing is credited twice. chromedp.NavigateBack can wait for a load
	// event that never comes; so go back as the button does and wait.
	b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	b.waitAcross("the page before the receipt", `!location.search.includes('receipt=') && document.readyState === 'complete'`)
	if got := eval[string](b, `document.querySelector('[data-testid="purchase-key"]')?.value ?? ''`); got != key {
		t.Fatalf("back at %s the purchase form has key %q, want the one sent, %q", b.path(), got, key)
	}
	keys := kb.Enter
	if kept := eval[string](b, `document.querySelector('[data-testid="input-purchase-amount"]').value`); kept == "" {
		keys = "12.50" + kb.Enter
	} else if kept != "12.50" {
		t.Errorf("back at the form, the amount holds %q", kept)
	}
	// chromedp's DOM queries (SendKeys, Text) hang on a restored page, so
	// focus the amount with script and type.
	b.do("focus the amount", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="input-purchase-amount"]').focus()`))
	if again := b.press(keys, 200, "/till"); again != receiptPath {
		t.Errorf("the form sent again landed on %s, want the first receipt %s", again, receiptPath)
	}
	b.expectFlash("it was not credited again")
	if got := b.text("receipt-balance"); got != "12 points" {
		t.Errorf("balance after sending the form again %q, want 12 points", got)
	}
	if n := app.count(&models.Purchase{}); n != 1 {
		t.Errorf("%d purchases stored, want 1", n)
	}
	if bal := app.balance(memberID, shop.program.ID); bal != 12 {
		t.Errorf("balance stored %d, want 12", bal)
	}
	bought := time.Now()

	// 6. The member's page: they redeem a free coffee, get a voucher, and
	// the barista marks it used when it is served.
	b.submit("receipt-member-page", memberPath)
	if got := b.text("balance"); got != "12 points" {
		t.Errorf("member page balance %q", got)
	}
	if got := b.texts("affordable-name"); strings.Join(got, ",") != "Free coffee" {
		t.Fatalf("can redeem %v, want Free coffee", got)
	}
	b.submit("redeem", memberPath)
	flash := b.text("flash")
	voucher := codePattern.FindString(flash)
	if !strings.HasPrefix(flash, "Free coffee redeemed for 10 points: voucher ") || voucher == "" {
		t.Fatalf("redeem flash %q", flash)
	}
	if got := b.text("balance"); got != "2 points" {
		t.Errorf("balance after redeeming %q, want 2 points", got)
	}
	b.expectRows("voucher-code", voucher)
	b.expectRows("voucher-status", "issued")
	if got := b.texts("ledger-amount"); len(got) != 2 || got[0] != "−10 points" || got[1] != "+12 points" {
		t.Errorf("ledger amounts %v, want −10 points then +12 points", got)
	}
	b.visible("no-affordable")
	b.fits()
	b.screenshot("member-page.png")

	b.submit("use-voucher", memberPath)
	b.expectFlash("Voucher " + voucher + " is marked used.")
	if got := b.texts("voucher-status"); len(got) != 1 || got[0] != "used" {
		t.Errorf("voucher status %v, want used", got)
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid="use-voucher"]').length`); n != 0 {
		t.Errorf("a used voucher still offers Mark used")
	}
	if vs := app.vouchers(memberID); len(vs) != 1 || vs[0].Status != models.VoucherUsed {
		t.Errorf("vouchers stored %+v, want one used", vs)
	}
	redeemed := time.Now()

	// 7. The same screens at a phone's width.
	b.do("phone viewport", chromedp.EmulateViewport(390, 844))
	if status := b.open(fmt.Sprintf("/till?member=%d", memberID)); status != 200 {
		t.Fatalf("GET till: status %d", status)
	}
	b.waitFocus("input-purchase-amount")
	b.do("type the amount", chromedp.KeyEvent("4.20"))
	if got := b.text("till-preview-total"); got != "+4 points" {
		t.Errorf("preview of 4.20: %q", got)
	}
	b.phoneFits()
	b.screenshot("till-phone.png")
	if status := b.open(memberPath); status != 200 {
		t.Fatalf("GET %s: status %d", memberPath, status)
	}
	b.visible("vouchers-table")
	// On a phone a used voucher's expiry and a purchase without an order
	// reference say nothing, not "expires —" and "order —".
	for _, row := range append(b.texts("voucher-row"), b.texts("purchase-row")...) {
		if strings.Contains(row, "—") {
			t.Errorf("phone row %q shows a dash for nothing", row)
		}
	}
	b.phoneFits()
	b.screenshot("member-phone.png")

	t.Logf("set up and enrolled in %s, till purchase %s, redeem %s, phone %s",
		enrolled.Sub(start).Round(time.Millisecond), bought.Sub(enrolled).Round(time.Millisecond),
		redeemed.Sub(bought).Round(time.Millisecond), time.Since(redeemed).Round(time.Millisecond))
}

func TestBrowserManualCredit(t *testing.T) {
	start := time.Now()
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	shop := openCafe(t, app, b)
	mo, err := models.EnrolMember(shop.db, cafeFixture, models.MemberInput{Name: "Mo Member", Email: "mo@example.com"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	memberPath := fmt.Sprintf("/members/%d", mo.ID)

	// 1. The owner credits 25 points of goodwill, with a note.
	if status := b.open(memberPath); status != 200 {
		t.Fatalf("GET %s: status %d", memberPath, status)
	}
	if hint := b.text("adjust-form"); !strings.Contains(hint, "Owners have no limit.") {
		t.Errorf("the owner's adjustment form does not say there is no limit:\n%s", hint)
	}
	b.fill("amount", "25", "note", "Spilled coffee")
	b.choose("reason", "Goodwill")
	b.submit("adjust-submit", memberPath)
	b.expectFlash("Credited 25 points (Goodwill). Mo Member now has 25 points.")
	if got := b.text("balance"); got != "25 points" {
		t.Errorf("balance %q after the credit", got)
	}
	b.expectRows("ledger-kind", "Manual credit")
	b.expectRows("ledger-amount", "+25 points")
	b.expectRows("ledger-actor", "Olive Owner")
	b.expectRows("ledger-reason", "Goodwill Spilled coffee")
	b.fits()
	b.screenshot("member-credit.png")

	// 2. The audit log names it.
	if status := b.open("/settings/audit"); status != 200 {
		t.Fatalf("GET /settings/audit: status %d", status)
	}
	found := false
	for _, row := range b.texts("audit-row") {
		if strings.Contains(row, "Balance adjustment") && strings.Contains(row, "Adjusted Mo Member's points by +25: Goodwill") {
			found = true
		}
	}
	if !found {
		t.Errorf("the audit log lacks the adjustment:\n%s", strings.Join(b.texts("audit-row"), "\n"))
	}
	b.fits()
	credited := time.Now()

	// 3. A barista joins the team and may credit up to 500 at a time: 600
	// is refused beside the amount, with the input kept and the balance
	// as it was.
	if status := b.open("/settings/users"); status != 200 {
		t.Fatalf("GET /settings/users: status %d", status)
	}
	b.fill("name", "Sam Staff", "email", "sam@example.com", "password", testPassword)
	b.choose("role", "staff")
	b.submit("add-user-submit", "/settings/users/")
	b.logOut()
	b.fill("email", "sam@example.com", "password", testPassword)
	b.submit("login-submit", "/dashboard")
	if status := b.open(memberPath); status != 200 {
		t.Fatalf("staff GET %s: status %d", memberPath, status)
	}
	if hint := b.text("adjust-form"); !strings.Contains(hint, "As staff you may adjust by up to 500 at a time.") {
		t.Errorf("the barista's adjustment form does not give the limit:\n%s", hint)
	}
	b.fill("amount", "600", "note", "Regular since 2019")
	b.choose("reason", "Goodwill")
	b.submitExpect("adjust-submit", 422, memberPath)
	if msg := b.text("error-amount"); !strings.Contains(msg, "at most 500 at a time") {
		t.Errorf("limit message %q", msg)
	}
	if kept := eval[string](b, `document.querySelector('[name="amount"]').value`); kept != "600" {
		t.Errorf("refused amount not kept: %q", kept)
	}
	if got := b.text("balance"); got != "25 points" {
		t.Errorf("balance %q after the refused credit, want 25 points", got)
	}
	b.expectRows("ledger-amount", "+25 points")
	if bal := app.balance(mo.ID, shop.program.ID); bal != 25 {
		t.Errorf("balance stored %d, want 25", bal)
	}
	b.fits()
	b.screenshot("member-adjust-limit.png")
	t.Logf("owner's credit in %s, barista's refusal in %s",
		credited.Sub(start).Round(time.Millisecond), time.Since(credited).Round(time.Millisecond))
}
