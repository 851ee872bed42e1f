package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/regularshq/regulars/models"
)

// formOf reads the hidden and typed fields of the form sel drew.
func formOf(t *testing.T, page *response, sel string) url.Values {
	t.Helper()
	form := url.Values{}
	f := page.doc.Find(sel)
	if f.Length() == 0 {
		t.Fatalf("no form %s:\n%.800s", sel, page.body)
	}
	f.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		if name == "_csrf" {
			return
		}
		v, _ := in.Attr("value")
		form.Set(name, v)
	})
	return form
}

// A mistyped amount is refused; a large one asks first, keeping its key.
func TestTillPurchaseLimits(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		page := s.staff.get(tillMemberPath(m))
		for _, amount := range []string{"1000000000", "99999999.99"} {
			r := s.staff.post("/till/purchase", tillForm(t, page, amount))
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if msg := r.text(`[data-testid="error-purchase-amount"]`); !strings.Contains(msg, "at most 1000.00 EUR") {
				t.Errorf("%s: message %q", amount, msg)
			}
		}
		form := tillForm(t, page, "450")
		r := s.staff.post("/till/purchase", form)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if got := r.text(`[data-testid="purchase-confirm-message"]`); got != "Record 450.00 EUR? That is more than usual." {
			t.Errorf("confirmation %q:\n%.800s", got, r.body)
		}
		if !r.has(`[data-testid="purchase-confirm-submit"][autofocus]`) || r.has(`[data-testid="input-purchase-amount"][autofocus]`) {
			t.Error("Enter must confirm: the confirm button, not the amount, has the focus")
		}
		if app.count(&models.Purchase{}) != 0 || app.count(&models.LedgerEntry{}) != 0 {
			t.Fatal("an unconfirmed large purchase was written")
		}
		confirm := formOf(t, r, `[data-testid="purchase-confirm"]`)
		if confirm.Get("idempotency_key") != form.Get("idempotency_key") || confirm.Get("amount") != "450" {
			t.Errorf("the confirmation changed the purchase: %v", confirm)
		}
		done := s.staff.post("/till/purchase", confirm)
		expectRedirect(t, done, fmt.Sprintf("/till?member=%d&receipt=", m.ID))
		if got := s.staff.get(done.location()).text(`[data-testid="receipt-earned"]`); got != "+450 points" {
			t.Errorf("receipt %q", got)
		}
		// Confirmed twice (a double click): recorded once.
		expectRedirect(t, s.staff.post("/till/purchase", confirm), done.location())
		if a := s.account(m); a.Balance != 450 || app.count(&models.Purchase{}) != 1 {
			t.Errorf("balance %d after a confirmed 450", a.Balance)
		}
		// The preview refuses what the purchase would.
		p := s.staff.hxGet(fmt.Sprintf("/till/preview?program_id=%d&member_id=%d&amount=1000000000", s.program.ID, m.ID))
		if !strings.Contains(p.text(`[data-testid="till-preview-error"]`), "at most 1000.00 EUR") {
			t.Errorf("preview of a typo:\n%.300s", p.body)
		}
	})
}

// cashbackShop adds a 10% cashback program to the till shop, with Mo
// holding 10.00 EUR of credit in it.
func (s *tillShop) cashback(t *testing.T, m *models.Member) *models.Program {
	t.Helper()
	p, err := models.CreateProgram(s.db, tillFixture, models.ProgramInput{Name: "Cashback", Type: "cashback", Cashback: "10", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.RecordPurchase(s.db, tillFixture, models.PurchaseInput{
		ProgramID: p.ID, MemberID: m.ID, Amount: "100", IdempotencyKey: "cashback-setup", ConfirmedLarge: true,
	}, s.app.clock.now()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTillPaysWithStoreCredit(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		cb := s.cashback(t, m)
		path := fmt.Sprintf("/till?member=%d&program=%d", m.ID, cb.ID)
		page := s.staff.get(path)
		if got := page.text(`[data-testid="credit-available"]`); got != "10.00 EUR available" {
			t.Errorf("credit available %q", got)
		}
		// The points program holds no credit: no form there.
		if s.staff.get(fmt.Sprintf("/till?member=%d&program=%d", m.ID, s.program.ID)).has(`[data-testid="credit-form"]`) {
			t.Error("a points program offers to pay with credit")
		}
		form := formOf(t, page, `[data-testid="credit-form"]`)
		bad := s.staff.post("/till/credit", withFields(form, "amount", "12"))
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		if msg := bad.text(`[data-testid="error-credit-amount"]`); !strings.Contains(msg, "10.00 EUR of store credit") {
			t.Errorf("too much: %q", msg)
		}
		if k, _ := bad.doc.Find(`[data-testid="credit-key"]`).Attr("value"); k != form.Get("idempotency_key") {
			t.Error("a refused amount lost its key")
		}
		r := s.staff.post("/till/credit", withFields(form, "amount", "3.20"))
		expectRedirect(t, r, fmt.Sprintf("/till?member=%d&paid=", m.ID))
		receipt := s.staff.get(r.location())
		expectStatus(t, receipt, http.StatusOK)
		if got := receipt.text(`[data-testid="credit-receipt-balance"]`); got != "6.80 EUR credit" {
			t.Errorf("credit left %q:\n%.600s", got, receipt.body)
		}
		if got := receipt.text(`[data-testid="credit-receipt-paid"]`); got != "Paid 3.20 EUR with store credit" {
			t.Errorf("receipt %q", got)
		}
		// The same form again takes nothing more.
		expectRedirect(t, s.staff.post("/till/credit", withFields(form, "amount", "3.20")), r.location())
		var a models.Account
		if err := s.db.Where("program_id = ? AND member_id = ?", cb.ID, m.ID).Take(&a).Error; err != nil || a.Balance != 680 {
			t.Errorf("credit %d after paying 3.20 (%v)", a.Balance, err)
		}
		var e models.LedgerEntry
		if err := s.db.Where("kind = ? AND account_id = ?", models.KindRedemption, a.ID).Take(&e).Error; err != nil || e.ActorName != "Sam Staff" {
			t.Errorf("payment entry %+v (%v)", e, err)
		}
		// Another merchant's member or program, or a payment receipt of
		// another member: 404, nothing paid.
		b := app.tillShop("Shop B", "b@example.com")
		theirs := b.enrol("Bea of B", "")
		bcb := b.cashback(t, theirs)
		before := app.snapshot()
		for name, f := range map[string]url.Values{
			"B's member":  withFields(form, "member_id", fmt.Sprint(theirs.ID), "idempotency_key", "x1"),
			"B's program": withFields(form, "program_id", fmt.Sprint(bcb.ID), "idempotency_key", "x2"),
		} {
			if r := s.staff.post("/till/credit", withFields(f, "amount", "1")); r.status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", name, r.status)
			}
		}
		other := s.enrol("Other", "")
		expectStatus(t, s.staff.get(fmt.Sprintf("/till?member=%d&paid=%d", other.ID, e.ID)), http.StatusNotFound)
		if after := app.snapshot(); after.Ledger != before.Ledger {
			t.Errorf("refused payments wrote: ledger %d → %d", before.Ledger, after.Ledger)
		}
	})
}

// The till starts in the owner's default program, then in the one last
// used, and shows the member's balance in every program.
func TestTillDefaultProgram(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		cb := s.cashback(t, m)
		current := func(c *client, path string) string {
			t.Helper()
			return c.get(path).text(`[data-testid="till-program"][aria-current="page"]`)
		}
		if got := current(s.staff, "/till"); got != "Cashback" { // alphabetically first
			t.Fatalf("till starts in %q", got)
		}
		// The owner's choice, on the programs page.
		page := s.acct.owner.get("/programs")
		expectStatus(t, page, http.StatusOK)
		r := s.acct.owner.post("/programs/default", url.Values{"default_program_id": {fmt.Sprint(s.program.ID)}})
		expectRedirect(t, r, "/programs")
		fresh := app.login("sam.olive@example.com")
		for _, path := range []string{"/till", tillMemberPath(m)} {
			if got := current(fresh, path); got != "Coffee Club" {
				t.Errorf("%s starts in %q, want the default Coffee Club", path, got)
			}
		}
		sale := fresh.get("/till")
		if v, _ := sale.doc.Find(`[data-testid="sale-form"] input[name="program_id"]`).Attr("value"); v != fmt.Sprint(s.program.ID) {
			t.Errorf("the sale without a card is in program %s", v)
		}
		// Another merchant's program, or an inactive one, is refused on the field.
		b := app.tillShop("Shop B", "b@example.com")
		bad := s.acct.owner.post("/programs/default", url.Values{"default_program_id": {fmt.Sprint(b.program.ID)}})
		expectStatus(t, bad, http.StatusUnprocessableEntity)
		if msg := bad.text(`[data-testid="error-default_program_id"]`); msg == "" {
			t.Errorf("no field message:\n%.600s", bad.body)
		}
		var mer models.Merchant
		if err := models.CrossTenant(app.db).Take(&mer, s.acct.merchantID).Error; err != nil || mer.DefaultProgramID == nil || *mer.DefaultProgramID != s.program.ID {
			t.Errorf("default became %v", mer.DefaultProgramID)
		}
		// Staff cannot choose it.
		if r := fresh.post("/programs/default", url.Values{"default_program_id": {fmt.Sprint(cb.ID)}}); r.status != http.StatusForbidden {
			t.Errorf("staff set the default: %d", r.status)
		}
		// A purchase in Cashback makes it the session's program; the next
		// customer starts there, and another session still in the default.
		buy := fresh.get(fmt.Sprintf("/till?member=%d&program=%d", m.ID, cb.ID))
		expectRedirect(t, fresh.post("/till/purchase", tillForm(t, buy, "5")), "/till?member=")
		if got := current(fresh, "/till"); got != "Cashback" {
			t.Errorf("next customer starts in %q, want the last used Cashback", got)
		}
		if got := current(s.staff, "/till"); got != "Coffee Club" {
			t.Errorf("another session starts in %q", got)
		}
		// Every program's balance is on the member's till.
		bal := fresh.get(tillMemberPath(m))
		if got := strings.Join(rowTexts(bal, `[data-testid="till-balance-row"]`), " | "); got != "Cashback 10.50 EUR credit | Coffee Club 0 points" {
			t.Errorf("balances %q", got)
		}
	})
}

// Redeeming a reward and marking a voucher used work from the till and
// come back to it; another merchant's ids are 404 and change nothing.
func TestTillRedeemsAndUsesVouchers(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.tillShop("Corner Café", "olive@example.com")
		m := s.enrol("Mo Member", "")
		s.spend(m, "120")
		_, err := models.SaveReward(s.db, tillFixture, s.program.ID, 0, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "50"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SaveReward(s.db, tillFixture, s.program.ID, 0, models.RewardInput{Name: "Hamper", Type: "free_item", Cost: "500"}); err != nil {
			t.Fatal(err)
		}
		page := s.staff.get(tillMemberPath(m))
		if got := rowTexts(page, `[data-testid="till-reward-name"]`); strings.Join(got, ",") != "Cake" {
			t.Errorf("rewards offered %v, want only the affordable Cake", got)
		}
		form := formOf(t, page, `[data-testid="till-reward"] form`)
		r := s.staff.post("/till/redeem", form)
		expectRedirect(t, r, tillMemberPath(m))
		again := s.staff.post("/till/redeem", form) // a double click
		expectRedirect(t, again, tillMemberPath(m))
		after := s.staff.get(r.location())
		if got := after.text(`[data-testid="flash"]`); !strings.Contains(got, "Cake") {
			t.Errorf("flash %q", got)
		}
		if a := s.account(m); a.Balance != 70 {
			t.Errorf("balance %d after one Cake, want 70", a.Balance)
		}
		vouchers, err := models.ListVouchers(s.db, m.ID)
		if err != nil || len(vouchers) != 1 {
			t.Fatalf("vouchers %v, %v", vouchers, err)
		}
		if got := after.text(`[data-testid="till-voucher-code"]`); got != models.FormatCardCode(vouchers[0].Code) {
			t.Errorf("voucher on the till %q", got)
		}

		// Another merchant's reward, voucher, program or member.
		b := app.tillShop("Shop B", "b@example.com")
		theirs := b.enrol("Bea of B", "")
		b.spend(theirs, "120")
		theirCake, err := models.SaveReward(b.db, tillFixture, b.program.ID, 0, models.RewardInput{Name: "Their cake", Type: "free_item", Cost: "50"})
		if err != nil {
			t.Fatal(err)
		}
		theirVoucher, err := models.Redeem(b.db, tillFixture, models.RedeemInput{MemberID: theirs.ID, ProgramID: b.program.ID, RewardID: theirCake.ID}, app.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		before := app.snapshot()
		for name, f := range map[string]url.Values{
			"B's reward":  withFields(form, "reward_id", fmt.Sprint(theirCake.ID), "idempotency_key", "t1"),
			"B's program": withFields(form, "program_id", fmt.Sprint(b.program.ID), "reward_id", fmt.Sprint(theirCake.ID), "idempotency_key", "t2"),
			"B's member":  withFields(form, "member_id", fmt.Sprint(theirs.ID), "idempotency_key", "t3"),
		} {
			if r := s.staff.post("/till/redeem", f); r.status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", name, r.status)
			}
		}
		if r := s.staff.post(fmt.Sprintf("/till/vouchers/%d/use", theirVoucher.ID), nil); r.status != http.StatusNotFound {
			t.Errorf("B's voucher: %d, want 404", r.status)
		}
		if after := app.snapshot(); after.Ledger != before.Ledger {
			t.Errorf("refused redemptions wrote: ledger %d → %d", before.Ledger, after.Ledger)
		}
		if v, _ := models.GetVoucher(b.db, theirVoucher.ID); v.Status != models.VoucherIssued {
			t.Errorf("B's voucher is %s", v.Status)
		}

		use := formOf(t, after, `[data-testid="till-voucher"] form`)
		action, _ := after.doc.Find(`[data-testid="till-voucher"] form`).Attr("action")
		r = s.staff.post(action, use)
		expectRedirect(t, r, "/till?member=")
		done := s.staff.get(r.location())
		if done.has(`[data-testid="till-voucher"]`) || !strings.Contains(done.text(`[data-testid="flash"]`), "marked used") {
			t.Errorf("after use:\n%.800s", done.body)
		}
		if v, _ := models.GetVoucher(s.db, vouchers[0].ID); v.Status != models.VoucherUsed || v.ClosedBy != "Sam Staff" {
			t.Errorf("voucher %+v", v)
		}
	})
}
