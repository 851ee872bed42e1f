package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// tillShop is a café with a points program (1 point per EUR) whose Gold
// tier (from 1000 points) earns 1.5×, and a barista signed in.
type tillShop struct {
	app     *testApp
	acct    *account
	staff   *client
	db      *gorm.DB
	program *models.Program
	gold    *models.Tier
}

var tillFixture = models.Actor{Name: "fixture"}

func (app *testApp) tillShop(business, email string) *tillShop {
	t := app.t
	t.Helper()
	acct := app.signUp(business, email)
	staffEmail := "sam." + email
	app.addUser(acct, "Sam Staff", staffEmail, models.RoleStaff)
	db := models.ForMerchant(app.db, acct.merchantID)
	p, err := models.CreateProgram(db, tillFixture, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateTier(db, tillFixture, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"}); err != nil {
		t.Fatal(err)
	}
	gold, err := models.CreateTier(db, tillFixture, p.ID, models.TierInput{Name: "Gold", Position: "2", Threshold: "1000", EarnMultiplier: "1.5"})
	if err != nil {
		t.Fatal(err)
	}
	return &tillShop{app: app, acct: acct, staff: app.login(staffEmail), db: db, program: p, gold: gold}
}

func (s *tillShop) enrol(name, phone string) *models.Member {
	s.app.t.Helper()
	m, err := models.EnrolMember(s.db, tillFixture, models.MemberInput{Name: name, Phone: phone}, time.Now())
	if err != nil {
		s.app.t.Fatal(err)
	}
	return m
}

// spend records a purchase directly through the model, to set a scene.
func (s *tillShop) spend(m *models.Member, amount string) {
	s.app.t.Helper()
	_, err := models.RecordPurchase(s.db, tillFixture, models.PurchaseInput{
		ProgramID: s.program.ID, MemberID: m.ID, Amount: amount, IdempotencyKey: fmt.Sprintf("setup-%d-%d", m.ID, time.Now().UnixNano()),
		ConfirmedLarge: true,
	}, time.Now())
	if err != nil {
		s.app.t.Fatal(err)
	}
}

func (s *tillShop) account(m *models.Member) models.Account {
	s.app.t.Helper()
	var a models.Account
	if err := s.db.Where("program_id = ? AND member_id = ?", s.program.ID, m.ID).Take(&a).Error; err != nil {
		s.app.t.Fatal(err)
	}
	return a
}

func tillMemberPath(m *models.Member) string { return fmt.Sprintf("/till?member=%d", m.ID) }

// tillForm is the purchase form the till drew for a member, with amount.
func tillForm(t *testing.T, page *response, amount string) url.Values {
	t.Helper()
	form := url.Values{"amount": {amount}}
	for _, name := range []string{"program_id", "member_id", "idempotency_key"} {
		v, ok := page.doc.Find(`[data-testid="purchase-form"] input[name="` + name + `"]`).Attr("value")
		if !ok {
			t.Fatalf("purchase form has no %s:\n%.600s", name, page.body)
		}
		form.Set(name, v)
	}
	return form
}

// tillBuy records a purchase through the member's till page and returns
// the receipt page it lands on.
func (s *tillShop) tillBuy(t *testing.T, m *models.Member, amount string) *response {
	t.Helper()
	page := s.staff.get(tillMemberPath(m))
	expectStatus(t, page, http.StatusOK)
	r := s.staff.post("/till/purchase", tillForm(t, page, amount))
	if r.has(`[data-testid="purchase-confirm"]`) { // a large amount: the cashier says yes
		r = s.staff.post("/till/purchase", formOf(t, r, `[data-testid="purchase-confirm"]`))
	}
	expectRedirect(t, r, fmt.Sprintf("/till?member=%d&receipt=", m.ID))
	receipt := s.staff.get(r.location())
	expectStatus(t, receipt, http.StatusOK)
	return receipt
}

func tillResultNames(r *response) []string { return rowTexts(r, `[data-testid="till-result-name"]`) }

func TestTillSearch(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		mo := s.enrol("Mo Member", "+33 6 12 34 56 78")
		s.enrol("Morgan Miles", "+44 7700 900123")
		s.enrol("Ann Other", "")
		other := app.tillShop("Shop B", "b@example.com")
		other.enrol("Moira Elsewhere", "+33 6 99 99 99 99")

		search := func(q string) *response {
			t.Helper()
			r := s.staff.hxGet("/till/search?" + url.Values{"q": {q}}.Encode())
			expectStatus(t, r, http.StatusOK)
			if r.has("nav") || r.has(`[data-testid="till-search"]`) {
				t.Fatalf("htmx got more than the list:\n%.300s", r.body)
			}
			if !strings.Contains(r.header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary %q lacks HX-Request", r.header.Get("Vary"))
			}
			return r
		}
		if got := tillResultNames(search("mo")); strings.Join(got, ",") != "Mo Member,Morgan Miles" {
			t.Errorf("name prefix mo found %v", got)
		}
		for _, q := range []string{"+33 6 12", "33612", "0033 6 12 34"} {
			r := search(q)
			if got := tillResultNames(r); strings.Join(got, ",") != "Mo Member" {
				t.Errorf("phone %q found %v", q, got)
			}
			if href, _ := r.doc.Find(`[data-testid="till-result"]`).Attr("href"); href != tillMemberPath(mo) {
				t.Errorf("result links to %q, want %s", href, tillMemberPath(mo))
			}
			if phone := r.text(`[data-testid="till-result-phone"]`); phone != "+33 6 12 34 56 78" {
				t.Errorf("phone shown as %q", phone)
			}
			if card := r.text(`[data-testid="till-result-card"]`); card != models.FormatCardCode(mo.CardCode) {
				t.Errorf("card shown as %q", card)
			}
		}
		if r := search("xavier"); !r.has(`[data-testid="till-no-match"]`) {
			t.Errorf("no match says nothing:\n%.300s", r.body)
		}
		if r := search(""); r.has(`[data-testid="till-result"]`) || r.has(`[data-testid="till-no-match"]`) {
			t.Errorf("empty search answered:\n%.300s", r.body)
		}
		// Another merchant's members never show.
		if got := tillResultNames(search("moi")); len(got) != 0 {
			t.Errorf("merchant A's till found %v", got)
		}
		// Without htmx, the same search is the till page with the list.
		page := s.staff.get("/till/search?q=mo")
		expectStatus(t, page, http.StatusOK)
		if got := tillResultNames(page); len(got) != 2 || !page.has(`[data-testid="till-search"]`) {
			t.Errorf("plain search page lists %v", got)
		}
	})
}

func TestTillEnterSelectsTheMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		mo := s.enrol("Mo Member", "+33 6 12 34 56 78")
		s.enrol("Morgan Miles", "")
		ann := s.enrol("Ann Other", "")

		// A scanned code, or one typed with a dash in lower case, jumps to its member.
		for _, code := range []string{mo.CardCode, strings.ToLower(models.FormatCardCode(mo.CardCode))} {
			expectRedirect(t, s.staff.get("/till?"+url.Values{"q": {code}}.Encode()), tillMemberPath(mo))
		}
		// So does a search only one member matches; several list them.
		expectRedirect(t, s.staff.get("/till?q=ann+o"), tillMemberPath(ann))
		page := s.staff.get("/till?q=mo")
		expectStatus(t, page, http.StatusOK)
		if got := tillResultNames(page); strings.Join(got, ",") != "Mo Member,Morgan Miles" {
			t.Errorf("several matches list %v", got)
		}
		if v, _ := page.doc.Find(`[data-testid="till-search"]`).Attr("value"); v != "mo" {
			t.Errorf("search box lost the query: %q", v)
		}

		// The member's till: card, balance and tier, the amount focused.
		s.spend(mo, "20")
		page = s.staff.get(tillMemberPath(mo))
		expectStatus(t, page, http.StatusOK)
		for sel, want := range map[string]string{
			"till-member-name": "Mo Member", "till-member-card": models.FormatCardCode(mo.CardCode),
			"till-balance": "20 points", "till-tier": "Bronze",
		} {
			if got := page.text(`[data-testid="` + sel + `"]`); got != want {
				t.Errorf("%s %q, want %q", sel, got, want)
			}
		}
		if !page.has(`[data-testid="input-purchase-amount"][autofocus][inputmode="decimal"]`) || page.has(`[data-testid="till-search"][autofocus]`) {
			t.Error("the amount, not the search, must have the focus, with a decimal keypad")
		}
		if href, _ := page.doc.Find(`[data-testid="till-member-page"]`).Attr("href"); href != fmt.Sprintf("/members/%d", mo.ID) {
			t.Errorf("member page link %q", href)
		}
		// Every drawing of the form has its own key.
		k1, k2 := tillForm(t, page, "1").Get("idempotency_key"), tillForm(t, s.staff.get(tillMemberPath(mo)), "1").Get("idempotency_key")
		if len(k1) < 20 || k1 == k2 {
			t.Errorf("idempotency keys %q and %q", k1, k2)
		}
	})
}

func TestTillPurchaseCreditsTheCalculator(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		plain := s.enrol("Pat Plain", "")
		goldie := s.enrol("Goldie Gold", "")
		s.spend(goldie, "1000")
		if a := s.account(goldie); a.TierID == nil || *a.TierID != s.gold.ID {
			t.Fatalf("setup: %+v is not Gold", a)
		}

		r := s.tillBuy(t, plain, "12.50")
		if got := r.text(`[data-testid="receipt-earned"]`); got != "+12 points" {
			t.Errorf("plain member earned %q, want +12 points", got)
		}
		if a := s.account(plain); a.Balance != 12 {
			t.Errorf("plain balance %d, want 12", a.Balance)
		}

		r = s.tillBuy(t, goldie, "12.50")
		for sel, want := range map[string]string{"receipt-earned": "+18 points", "receipt-balance": "1018 points", "receipt-tier": "Gold"} {
			if got := r.text(`[data-testid="` + sel + `"]`); got != want {
				t.Errorf("%s %q, want %q", sel, got, want)
			}
		}
		if a := s.account(goldie); a.Balance != 1018 {
			t.Errorf("gold balance %d, want 1018", a.Balance)
		}
		if r.has(`[data-testid="receipt-promoted"]`) {
			t.Error("a member already Gold was not promoted")
		}
		// After a purchase the search has the focus, for the next customer.
		if !r.has(`[data-testid="till-search"][autofocus]`) || r.has(`[autofocus]:not([data-testid="till-search"])`) {
			t.Error("the receipt must focus the search box and nothing else")
		}
		if r.has(`[data-testid="purchase-form"]`) {
			t.Error("the receipt offers a purchase form: a second Enter would record again")
		}
		if href, _ := r.doc.Find(`[data-testid="receipt-again"]`).Attr("href"); href != tillMemberPath(goldie) {
			t.Errorf("another purchase links to %q", href)
		}
	})
}

func TestTillReceiptShowsPromotion(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		s.spend(m, "995")
		r := s.tillBuy(t, m, "7.20")
		for sel, want := range map[string]string{"receipt-earned": "+7 points", "receipt-promoted": "Promoted to Gold!", "receipt-tier": "Gold"} {
			if got := r.text(`[data-testid="` + sel + `"]`); got != want {
				t.Errorf("%s %q, want %q", sel, got, want)
			}
		}
		// A first purchase puts a member in the base tier: that is no promotion.
		first := s.tillBuy(t, s.enrol("Newbie", ""), "3")
		if got := first.text(`[data-testid="receipt-promoted"]`); got != "Joined Bronze." {
			t.Errorf("first purchase says %q", got)
		}
	})
}

func TestTillSameKeyCreditsOnce(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		form := tillForm(t, s.staff.get(tillMemberPath(m)), "12.50")

		first := s.staff.post("/till/purchase", form)
		expectRedirect(t, first, fmt.Sprintf("/till?member=%d&receipt=", m.ID))
		firstReceipt := s.staff.get(first.location())
		entries, purchases := app.count(&models.LedgerEntry{}), app.count(&models.Purchase{})

		again := s.staff.post("/till/purchase", form)
		if again.status != http.StatusSeeOther || again.location() != first.location() {
			t.Fatalf("the same form again: %d to %q, want 303 to %q", again.status, again.location(), first.location())
		}
		if n := app.count(&models.LedgerEntry{}); n != entries {
			t.Errorf("ledger entries %d → %d: credited twice", entries, n)
		}
		if n := app.count(&models.Purchase{}); n != purchases {
			t.Errorf("purchases %d → %d", purchases, n)
		}
		if a := s.account(m); a.Balance != 12 {
			t.Errorf("balance %d, want 12", a.Balance)
		}
		replayed := s.staff.get(again.location())
		if got := replayed.text(`[data-testid="flash"]`); !strings.Contains(got, "already recorded") {
			t.Errorf("replay flash %q", got)
		}
		sel := `[data-testid="till-receipt"]`
		if a, b := firstReceipt.text(sel), replayed.text(sel); a != b || !strings.Contains(a, "+12 points") {
			t.Errorf("receipts differ:\n%s\n%s", a, b)
		}
		// Back draws the page anew from its address, which carries the key
		// (app.js puts it there): the same form, so Enter again replays.
		key := form.Get("idempotency_key")
		back := tillForm(t, s.staff.get(tillMemberPath(m)+"&key="+key), "12.50")
		if back.Get("idempotency_key") != key {
			t.Errorf("the page drawn again with its key has key %q, want %q", back.Get("idempotency_key"), key)
		}
		if k := tillForm(t, s.staff.get(tillMemberPath(m)+"&key=not-a-key"), "1").Get("idempotency_key"); k == "not-a-key" || k == "" {
			t.Errorf("a malformed key in the address became the form's key %q", k)
		}
		// The key of one purchase cannot record another.
		conflict := s.staff.post("/till/purchase", withFields(form, "amount", "99"))
		expectStatus(t, conflict, http.StatusConflict)
		if msg := conflict.text(`[data-testid="form-error"]`); !strings.Contains(msg, "already used") {
			t.Errorf("reused key message %q", msg)
		}
		if k := tillForm(t, conflict, "1").Get("idempotency_key"); k == form.Get("idempotency_key") {
			t.Error("the refused form kept a key that can never record")
		}
	})
}

func TestTillBadAmountWritesNothing(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		page := s.staff.get(tillMemberPath(m))
		before := app.snapshot()
		purchases := app.count(&models.Purchase{})
		for _, amount := range []string{"abc", "0", "-3", "", "12.505", "1e3"} {
			form := tillForm(t, page, amount)
			r := s.staff.post("/till/purchase", form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if msg := r.text(`[data-testid="error-purchase-amount"]`); msg == "" {
				t.Errorf("amount %q: no message beside the amount:\n%.500s", amount, r.body)
			}
			if kept, _ := r.doc.Find(`[data-testid="input-purchase-amount"]`).Attr("value"); kept != amount {
				t.Errorf("amount %q kept as %q", amount, kept)
			}
			if !r.has(`[data-testid="input-purchase-amount"][autofocus][aria-invalid="true"]`) {
				t.Errorf("amount %q: the refused amount is not focused and marked", amount)
			}
			if k := tillForm(t, r, "").Get("idempotency_key"); k != form.Get("idempotency_key") {
				t.Errorf("amount %q: key %q became %q", amount, form.Get("idempotency_key"), k)
			}
		}
		if after := app.snapshot(); after.Ledger != before.Ledger || len(after.Accounts) != len(before.Accounts) {
			t.Errorf("a refused amount wrote: ledger %d → %d, accounts %d → %d", before.Ledger, after.Ledger, len(before.Accounts), len(after.Accounts))
		}
		if n := app.count(&models.Purchase{}); n != purchases {
			t.Errorf("purchases %d → %d", purchases, n)
		}
	})
}

func TestTillBlockedMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		form := tillForm(t, s.staff.get(tillMemberPath(m)), "12.50")
		if _, err := models.SetMemberBlocked(s.db, models.Actor{Name: "test"}, m.ID, true); err != nil {
			t.Fatal(err)
		}
		page := s.staff.get(tillMemberPath(m))
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="till-member-blocked"]`) || !strings.Contains(page.text(`[data-testid="till-notice"]`), "blocked") {
			t.Errorf("blocked member not shown as blocked:\n%.800s", page.body)
		}
		if page.has(`[data-testid="purchase-form"]`) {
			t.Error("a blocked member is offered the purchase form")
		}
		if !page.has(`[data-testid="till-search"][autofocus]`) {
			t.Error("with no form to fill, the search box should have the focus")
		}
		entries := app.count(&models.LedgerEntry{})
		r := s.staff.post("/till/purchase", form)
		expectStatus(t, r, http.StatusConflict)
		if msg := r.text(`[data-testid="form-error"]`); !strings.Contains(msg, "blocked") {
			t.Errorf("conflict message %q", msg)
		}
		if n := app.count(&models.LedgerEntry{}); n != entries || app.count(&models.Purchase{}) != 0 {
			t.Error("a blocked member's purchase was written")
		}
	})
}

func TestTillPausedProgram(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		form := tillForm(t, s.staff.get(tillMemberPath(m)), "12.50")
		in := s.program.FormInput("EUR")
		in.Status = string(models.StatusPaused)
		if _, err := models.UpdateProgram(s.db, tillFixture, s.program.ID, in); err != nil {
			t.Fatal(err)
		}
		r := s.staff.post("/till/purchase", form)
		expectStatus(t, r, http.StatusConflict)
		if msg := r.text(`[data-testid="form-error"]`); !strings.Contains(msg, "Coffee Club is paused") {
			t.Errorf("conflict message %q", msg)
		}
		if r.has(`[data-testid="purchase-form"]`) || app.count(&models.Purchase{}) != 0 {
			t.Error("a paused program took a purchase, or offers to")
		}
		// With no active program the till says so rather than offering a form.
		page := s.staff.get(tillMemberPath(m))
		if page.has(`[data-testid="purchase-form"]`) || !strings.Contains(page.text(`[data-testid="till-notice"]`), "No program takes purchases") {
			t.Errorf("till with only a paused program:\n%.800s", page.body)
		}
	})
}

func TestTillOtherMerchantsIDsAreNotFound(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		a := app.tillShop("Shop A", "a@example.com")
		theirs := a.enrol("Alice of A", "")
		a.tillBuy(t, theirs, "5")
		var theirPurchase models.Purchase
		if err := a.db.Take(&theirPurchase).Error; err != nil {
			t.Fatal(err)
		}
		b := app.tillShop("Shop B", "b@example.com")
		ours := b.enrol("Bob of B", "")
		ourForm := tillForm(t, b.staff.get(tillMemberPath(ours)), "12.50")
		before := app.snapshot()

		for _, path := range []string{
			tillMemberPath(theirs),
			fmt.Sprintf("/till?program=%d", a.program.ID),
			fmt.Sprintf("/till?member=%d&program=%d", ours.ID, a.program.ID),
			fmt.Sprintf("/till?member=%d&receipt=%d", theirs.ID, theirPurchase.ID),
			fmt.Sprintf("/till?member=%d&receipt=%d", ours.ID, theirPurchase.ID),
			fmt.Sprintf("/till/preview?program_id=%d&member_id=%d&amount=5", b.program.ID, theirs.ID),
			fmt.Sprintf("/till/preview?program_id=%d&member_id=%d&amount=5", a.program.ID, ours.ID),
			"/till?member=abc", "/till?member=-1", "/till?receipt=0x1",
		} {
			if r := b.staff.get(path); r.status != http.StatusNotFound {
				t.Errorf("B GET %s: %d, want 404", path, r.status)
			}
		}
		for name, form := range map[string]url.Values{
			"A's member":             withFields(ourForm, "member_id", fmt.Sprint(theirs.ID)),
			"A's program":            withFields(ourForm, "program_id", fmt.Sprint(a.program.ID)),
			"A's member, bad input":  withFields(ourForm, "member_id", fmt.Sprint(theirs.ID), "amount", "abc"),
			"A's program, bad input": withFields(ourForm, "program_id", fmt.Sprint(a.program.ID), "amount", "abc"),
			"no program":             withFields(ourForm, "program_id", ""),
		} {
			if r := b.staff.post("/till/purchase", form); r.status != http.StatusNotFound {
				t.Errorf("B POST with %s: %d, want 404", name, r.status)
			}
		}
		if after := app.snapshot(); after.Ledger != before.Ledger || len(after.Accounts) != len(before.Accounts) {
			t.Errorf("refused requests wrote: ledger %d → %d", before.Ledger, after.Ledger)
		}
		// A receipt is shown only with its own member.
		r := b.staff.post("/till/purchase", ourForm)
		expectRedirect(t, r, "/till?member=")
		var receipt int64
		if _, err := fmt.Sscanf(r.location(), fmt.Sprintf("/till?member=%d&receipt=%%d", ours.ID), &receipt); err != nil {
			t.Fatalf("location %q: %v", r.location(), err)
		}
		other := b.enrol("Other of B", "")
		expectStatus(t, b.staff.get(fmt.Sprintf("/till?member=%d&receipt=%d", other.ID, receipt)), http.StatusNotFound)
		expectStatus(t, b.staff.get(fmt.Sprintf("/till?receipt=%d", receipt)), http.StatusNotFound)
	})
}

// The preview runs the ledger's calculation: whatever it says is what the
// purchase then credits, with a tier, a campaign and a bonus in play.
func TestTillPreviewEqualsTheCredit(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Goldie Gold", "")
		s.spend(m, "1000")
		for _, in := range []models.CampaignInput{
			{Name: "Double points", StartsOn: localDate(-1), EndsOn: localDate(1), Multiplier: "2"},
			{Name: "Welcome week", StartsOn: localDate(-1), EndsOn: localDate(1), Multiplier: "1.25", BonusPoints: "5"},
		} {
			if _, err := models.SaveCampaign(s.db, tillFixture, s.program.ID, 0, in, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		preview := func(amount string) *response {
			t.Helper()
			r := s.staff.hxGet(fmt.Sprintf("/till/preview?program_id=%d&member_id=%d&", s.program.ID, m.ID) + url.Values{"amount": {amount}}.Encode())
			expectStatus(t, r, http.StatusOK)
			if r.has("nav") || r.has("form") {
				t.Fatalf("htmx got more than the preview:\n%.300s", r.body)
			}
			return r
		}
		for _, amount := range []string{"12.50", "7.99", "0.40", "250"} {
			p := preview(amount)
			want := p.text(`[data-testid="till-preview-total"]`)
			if want == "" {
				t.Fatalf("%s: no total:\n%.300s", amount, p.body)
			}
			before := s.account(m).Balance
			got := s.tillBuy(t, m, amount).text(`[data-testid="receipt-earned"]`)
			if got != want {
				t.Errorf("%s: preview said %q, the receipt %q", amount, want, got)
			}
			if credited := s.account(m).Balance - before; "+"+fmt.Sprint(credited)+" points" != want {
				t.Errorf("%s: preview said %q, the ledger credited %d", amount, want, credited)
			}
		}
		// 12.50 at Gold 1.5× and the best campaign 2×, plus the bonus: 12.5 × 3 = 37 + 5.
		if got := preview("12.50").text(`[data-testid="till-preview-total"]`); got != "+42 points" {
			t.Errorf("preview of 12.50 %q, want +42 points", got)
		}
		if parts := preview("12.50").text(`[data-testid="till-preview-parts"]`); !strings.Contains(parts, "Gold 1.5×") || !strings.Contains(parts, "Double points 2×") {
			t.Errorf("preview parts %q", parts)
		}
		for _, amount := range []string{"abc", "0"} {
			if r := preview(amount); !r.has(`[data-testid="till-preview-error"]`) {
				t.Errorf("%s: no message:\n%.300s", amount, r.body)
			}
		}
		if r := preview(""); !r.has(`[data-testid="till-preview-empty"]`) {
			t.Errorf("nothing typed:\n%.300s", r.body)
		}
	})
}

func TestTillStampCardVoucherOnReceipt(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		cards, err := models.CreateProgram(s.db, tillFixture, models.ProgramInput{Name: "Stamp Card", Type: "stamps", StampsPerCard: "2", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		coffee, err := models.SaveReward(s.db, tillFixture, cards.ID, 0, models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "2"})
		if err != nil {
			t.Fatal(err)
		}
		in := cards.FormInput("EUR")
		in.CardRewardID = fmt.Sprint(coffee.ID)
		if _, err := models.UpdateProgram(s.db, tillFixture, cards.ID, in); err != nil {
			t.Fatal(err)
		}
		m := s.enrol("Mo Member", "")
		path := fmt.Sprintf("/till?member=%d&program=%d", m.ID, cards.ID)

		// Two programs: the till switches between them.
		page := s.staff.get(tillMemberPath(m))
		if got := rowTexts(page, `[data-testid="till-program"]`); strings.Join(got, ",") != "Coffee Club,Stamp Card" {
			t.Errorf("program switcher %v", got)
		}
		buy := func() *response {
			t.Helper()
			page := s.staff.get(path)
			if got := page.text(`[data-testid="till-program"][aria-current="page"]`); got != "Stamp Card" {
				t.Fatalf("current program %q", got)
			}
			r := s.staff.post("/till/purchase", tillForm(t, page, "4.50"))
			expectRedirect(t, r, "/till?member=")
			return s.staff.get(r.location())
		}
		if r := buy(); r.has(`[data-testid="receipt-voucher"]`) || r.text(`[data-testid="receipt-earned"]`) != "+1 stamp" {
			t.Errorf("first stamp: %q", r.text(`[data-testid="till-receipt"]`))
		}
		r := buy()
		vouchers, err := models.ListVouchers(s.db, m.ID)
		if err != nil || len(vouchers) != 1 {
			t.Fatalf("vouchers %v %v", vouchers, err)
		}
		if got := r.text(`[data-testid="receipt-voucher-code"]`); got != models.FormatCardCode(vouchers[0].Code) {
			t.Errorf("receipt voucher %q, want %s", got, models.FormatCardCode(vouchers[0].Code))
		}
		if v := r.text(`[data-testid="receipt-voucher"]`); !strings.Contains(v, "Free coffee") {
			t.Errorf("voucher line %q", v)
		}
		if got := r.text(`[data-testid="receipt-balance"]`); got != "0 stamps" {
			t.Errorf("balance after a full card %q", got)
		}
		// "Another purchase" stays in the stamps program: the till now
		// starts there, the program last used.
		href, _ := r.doc.Find(`[data-testid="receipt-again"]`).Attr("href")
		if got := s.staff.get(href).text(`[data-testid="till-program"][aria-current="page"]`); got != "Stamp Card" {
			t.Errorf("another purchase (%s) is in %q, want Stamp Card", href, got)
		}
	})
}

func TestTillSaleWithoutMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		page := s.staff.get("/till")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="till-search"][autofocus]`) {
			t.Error("the empty till must focus the search box")
		}
		form := url.Values{"amount": {"8.40"}}
		for _, name := range []string{"program_id", "member_id", "idempotency_key"} {
			v, _ := page.doc.Find(`[data-testid="sale-form"] input[name="` + name + `"]`).Attr("value")
			form.Set(name, v)
		}
		if form.Get("member_id") != "" || form.Get("idempotency_key") == "" {
			t.Fatalf("sale form %v", form)
		}
		bad := s.staff.post("/till/purchase", withFields(form, "amount", "x"))
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		if !bad.has(`[data-testid="till-sale"][open]`) || bad.text(`[data-testid="error-sale-amount"]`) == "" {
			t.Errorf("refused sale not shown open with its message:\n%.600s", bad.body)
		}
		r := s.staff.post("/till/purchase", form)
		expectRedirect(t, r, "/till?receipt=")
		receipt := s.staff.get(r.location())
		expectStatus(t, receipt, http.StatusOK)
		if got := receipt.text(`[data-testid="receipt-summary"]`); !strings.Contains(got, "8.40 EUR") {
			t.Errorf("sale receipt %q", got)
		}
		var p models.Purchase
		if err := s.db.Take(&p).Error; err != nil || p.MemberID != nil || p.AmountMinor != 840 || p.Earned != 0 {
			t.Errorf("sale stored as %+v (%v)", p, err)
		}
		if app.count(&models.LedgerEntry{}) != 0 {
			t.Error("a sale without a member wrote to the ledger")
		}
	})
}
