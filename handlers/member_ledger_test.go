package handlers_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// club is the shop with a member, Mo, who bought 120 EUR of coffee (120
// points, Bronze), and Coffee Club's catalog: a coffee Mo can afford, a
// cake Mo cannot, and a Gold-only brew.
type club struct {
	*shop
	db                     *gorm.DB
	mo                     int64
	purchase               int64
	freeCoffee, cake, brew int64 // reward ids
	newsletter             int64 // a custom action of Coffee Club, once ever
}

func (app *testApp) club() *club {
	t := app.t
	t.Helper()
	s := app.shop()
	cl := &club{shop: s, db: models.ForMerchant(app.db, s.acct.merchantID)}
	actor := models.Actor{Name: "fixture"}
	m, err := models.EnrolMember(cl.db, actor, models.MemberInput{Name: "Mo Member", Email: "mo@example.com"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cl.mo = m.ID
	res, err := models.RecordPurchase(cl.db, actor, models.PurchaseInput{
		ProgramID: s.coffee.ID, MemberID: m.ID, Amount: "120", OrderRef: "T-1", IdempotencyKey: "club-1",
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cl.purchase = res.Purchase.ID
	reward := func(in models.RewardInput) int64 {
		r, err := models.SaveReward(cl.db, actor, s.coffee.ID, 0, in)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	cl.freeCoffee = reward(models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "50"})
	cl.cake = reward(models.RewardInput{Name: "Big cake", Type: "free_item", Cost: "1000"})
	cl.brew = reward(models.RewardInput{Name: "Gold brew", Type: "free_item", Cost: "10", MinTierID: id64(s.gold.ID)})
	rule, err := models.SaveEarningRule(cl.db, actor, s.coffee.ID, 0, models.EarningRuleInput{
		Kind: "action", Name: "Newsletter sign-up", Points: "10", Cap: "once", Active: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	cl.newsletter = rule.ID
	return cl
}

func (app *testApp) balance(memberID, programID int64) int64 {
	app.t.Helper()
	var a models.Account
	err := models.CrossTenant(app.db).Where("member_id = ? AND program_id = ?", memberID, programID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0
	}
	if err != nil {
		app.t.Fatal(err)
	}
	return a.Balance
}

func (app *testApp) vouchers(memberID int64) []models.Voucher {
	app.t.Helper()
	var vs []models.Voucher
	if err := models.CrossTenant(app.db).Where("member_id = ?", memberID).Order("id").Find(&vs).Error; err != nil {
		app.t.Fatal(err)
	}
	return vs
}

// pageForm is what a browser sends with the first form matching sel.
func pageForm(t testing.TB, r *response, sel string) url.Values {
	t.Helper()
	form := r.doc.Find(sel).First()
	if form.Length() == 0 {
		t.Fatalf("no form %s on the page", sel)
	}
	v := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, in *goquery.Selection) {
		name, ok := in.Attr("name")
		if !ok {
			return
		}
		switch {
		case goquery.NodeName(in) == "select":
			opt := in.Find("option[selected]")
			if opt.Length() == 0 {
				opt = in.Find("option").First()
			}
			v.Add(name, opt.AttrOr("value", ""))
		case goquery.NodeName(in) == "textarea":
			v.Add(name, in.Text())
		case in.AttrOr("type", "") == "checkbox":
			if _, on := in.Attr("checked"); on {
				v.Add(name, in.AttrOr("value", "on"))
			}
		default:
			v.Add(name, in.AttrOr("value", ""))
		}
	})
	return v
}

func redeemFormFor(rewardID int64) string {
	return fmt.Sprintf(`form[data-testid="redeem-form"]:has(input[name="reward_id"][value="%d"])`, rewardID)
}

// coffeeCard is the member's card in Coffee Club, the first program.
const coffeeCard = `[data-testid="member-program"]:first-child`

func TestMemberPage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		// Tea Club's points lapse a month after earning: 40 earned 20 days
		// ago are about to go.
		in := cl.tea.FormInput("EUR")
		in.ExpiryPolicy, in.ExpiryMonths, in.ReminderDays = "after_earning", "1", "0"
		if _, err := models.UpdateProgram(cl.db, models.Actor{Name: "fixture"}, cl.tea.ID, in); err != nil {
			t.Fatal(err)
		}
		earned := time.Now().AddDate(0, 0, -20)
		if _, err := models.Adjust(cl.db, models.Actor{Name: "fixture"}, models.RoleOwner, models.AdjustInput{
			MemberID: cl.mo, ProgramID: cl.tea.ID, Amount: "40", Reason: "Goodwill",
		}, earned); err != nil {
			t.Fatal(err)
		}

		page := cl.staff.get(memberPath(cl.mo))
		expectStatus(t, page, http.StatusOK)
		cards := page.doc.Find(`[data-testid="member-program"]`)
		if cards.Length() != 2 {
			t.Fatalf("%d program cards, want Coffee Club and Tea Club", cards.Length())
		}
		coffee, tea := cards.Eq(0), cards.Eq(1)
		text := func(s *goquery.Selection, id string) string {
			return strings.TrimSpace(s.Find(`[data-testid="` + id + `"]`).First().Text())
		}
		if got := text(coffee, "balance"); got != "120 points" {
			t.Errorf("Coffee Club balance %q", got)
		}
		if got := text(coffee, "tier-name"); got != "Bronze" {
			t.Errorf("tier %q", got)
		}
		if got := text(coffee, "tier-progress"); got != "380 points to Gold" {
			t.Errorf("progress %q", got)
		}
		if v, m := coffee.Find("progress").AttrOr("value", ""), coffee.Find("progress").AttrOr("max", ""); v != "120" || m != "500" {
			t.Errorf("progress bar %s of %s", v, m)
		}
		var affordable []string
		coffee.Find(`[data-testid="affordable-name"]`).Each(func(_ int, s *goquery.Selection) { affordable = append(affordable, s.Text()) })
		if strings.Join(affordable, ",") != "Free coffee" {
			t.Errorf("affordable rewards %v, want only Free coffee (the cake costs too much, the brew needs Gold)", affordable)
		}
		if key := pageForm(t, page, redeemFormFor(cl.freeCoffee)).Get("idempotency_key"); len(key) < 20 {
			t.Errorf("redeem form key %q", key)
		}
		if got := text(coffee, "action"); !strings.Contains(got, "Newsletter sign-up") || !strings.Contains(got, "10 points") {
			t.Errorf("custom action %q", got)
		}

		if got := text(tea, "balance"); got != "40 points" {
			t.Errorf("Tea Club balance %q", got)
		}
		paris, _ := time.LoadLocation("Europe/Paris")
		on := earned.AddDate(0, 1, 0).In(paris).Format("2 Jan 2006")
		if got := strings.Join(strings.Fields(text(tea, "expiring-row")), " "); got != "40 points on "+on {
			t.Errorf("expiring %q, want 40 points on %s", got, on)
		}
		if coffee.Find(`[data-testid="expiring"]`).Length() != 0 {
			t.Error("Coffee Club's points never expire, yet some are expiring")
		}

		ledger := rowTexts(page, `[data-testid="ledger-row"]`)
		if len(ledger) != 2 || !strings.Contains(ledger[0], "Tea Club Manual credit +40 points 40 points fixture Goodwill") ||
			!strings.Contains(ledger[1], "Coffee Club Purchase +120 points 120 points fixture") {
			t.Errorf("ledger %q", ledger)
		}
		if got := rowTexts(page, `[data-testid="purchase-row"]`); len(got) != 1 || !strings.Contains(got[0], "120.00 EUR 120 points T-1") {
			t.Errorf("purchases %q", got)
		}
		if page.has(`[data-testid="refund-form"]`) || page.has(`[data-testid="block-member"]`) {
			t.Error("staff are offered a refund or a block")
		}
		if hint := page.text(`#f-amount-msg`); !strings.Contains(hint, "up to 500 at a time") {
			t.Errorf("adjust hint %q", hint)
		}
		if manager := cl.manager.get(memberPath(cl.mo)); !manager.has(`[data-testid="refund-form"]`) || !manager.has(`[data-testid="block-member"]`) {
			t.Error("managers are not offered a refund and a block")
		}
	})
}

// TestMemberPageSavingFor lists beside what a member can redeem the
// rewards only points stand between them and, with how many more.
func TestMemberPageSavingFor(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		coffee := cl.staff.get(memberPath(cl.mo)).doc.Find(`[data-testid="member-program"]`).First()
		var saving []string
		coffee.Find(`[data-testid="saving-reward"]`).Each(func(_ int, s *goquery.Selection) {
			saving = append(saving, s.Find(`[data-testid="saving-name"]`).Text()+": "+s.Find(`[data-testid="saving-to-go"]`).Text())
		})
		// 120 points: the cake is 880 away; the brew needs Gold, which no
		// points alone buy, and the coffee is affordable now.
		if strings.Join(saving, ",") != "Big cake: 880 points to go" {
			t.Errorf("saving for %v, want only the cake, 880 points to go", saving)
		}
	})
}

func TestRedeem(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		page := cl.staff.get(memberPath(cl.mo))
		form := pageForm(t, page, redeemFormFor(cl.freeCoffee))
		r := cl.staff.post(memberPath(cl.mo, "redeem"), form)
		expectRedirect(t, r, memberPath(cl.mo))
		vs := app.vouchers(cl.mo)
		if len(vs) != 1 || vs[0].Cost != 50 {
			t.Fatalf("vouchers %+v", vs)
		}
		code := models.FormatCardCode(vs[0].Code)
		page = expectFlash(t, cl.staff, memberPath(cl.mo), "Free coffee redeemed for 50 points: voucher "+code+".")
		if got := page.text(coffeeCard + ` [data-testid="balance"]`); got != "70 points" {
			t.Errorf("balance after %q", got)
		}
		if got := rowTexts(page, `[data-testid="voucher-row"]`); len(got) != 1 || !strings.HasPrefix(got[0], code+" Free coffee Coffee Club issued") {
			t.Errorf("voucher rows %q", got)
		}
		if got := rowTexts(page, `[data-testid="ledger-row"]`); !strings.Contains(got[0], "Redemption −50 points 70 points Sam Staff Free coffee") {
			t.Errorf("newest ledger row %q", got[0])
		}

		// The same form again, as a double click sends it: one voucher.
		before := app.snapshot()
		r = cl.staff.post(memberPath(cl.mo, "redeem"), form)
		expectRedirect(t, r, memberPath(cl.mo))
		expectFlash(t, cl.staff, memberPath(cl.mo), "Free coffee was already redeemed: voucher "+code+".")
		if !equalState(before, app.snapshot()) || app.balance(cl.mo, cl.coffee.ID) != 70 {
			t.Fatal("a second post of the same form wrote")
		}

		// What Mo cannot have is refused beside the program, with why.
		for _, tc := range []struct {
			reward int64
			want   string
		}{
			{cl.cake, "The balance of 70 is below the 1000 this reward costs."},
			{cl.brew, "Gold brew needs the Gold tier."},
		} {
			r := cl.staff.post(memberPath(cl.mo, "redeem"), url.Values{
				"program_id": {id64(cl.coffee.ID)}, "reward_id": {id64(tc.reward)}, "idempotency_key": {"k-" + id64(tc.reward)},
			})
			expectStatus(t, r, http.StatusConflict)
			if got := r.text(coffeeCard + ` [data-testid="form-error"]`); got != tc.want {
				t.Errorf("refusal %q, want %q", got, tc.want)
			}
		}
		// A reward of another program is no choice here.
		teaReward, err := models.SaveReward(cl.db, models.Actor{Name: "fixture"}, cl.tea.ID, 0, models.RewardInput{Name: "Tea", Type: "free_item", Cost: "1"})
		if err != nil {
			t.Fatal(err)
		}
		before = app.snapshot()
		r = cl.staff.post(memberPath(cl.mo, "redeem"), url.Values{
			"program_id": {id64(cl.coffee.ID)}, "reward_id": {id64(teaReward.ID)}, "idempotency_key": {"k-tea"},
		})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if got := r.text(coffeeCard + ` [data-testid="form-error"]`); got != "No such reward." {
			t.Errorf("refusal %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("refused redemptions wrote")
		}
	})
}

func TestBlockedMemberCannotRedeem(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		form := pageForm(t, cl.staff.get(memberPath(cl.mo)), redeemFormFor(cl.freeCoffee))
		expectRedirect(t, cl.manager.post(memberPath(cl.mo, "block"), nil), memberPath(cl.mo))
		before := app.snapshot()
		r := cl.staff.post(memberPath(cl.mo, "redeem"), form)
		expectStatus(t, r, http.StatusConflict)
		if got := r.text(coffeeCard + ` [data-testid="form-error"]`); got != "Mo Member is blocked. Unblock them first." {
			t.Errorf("refusal %q", got)
		}
		r = cl.staff.post(memberPath(cl.mo, "actions"), url.Values{
			"program_id": {id64(cl.coffee.ID)}, "rule_id": {id64(cl.newsletter)}, "idempotency_key": {"k"},
		})
		expectStatus(t, r, http.StatusConflict)
		if !equalState(before, app.snapshot()) {
			t.Fatal("a blocked member's redemption or action wrote")
		}
	})
}

func TestVouchers(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		actor := models.Actor{Name: "fixture"}
		redeem := func() *models.Voucher {
			v, err := models.Redeem(cl.db, actor, models.RedeemInput{MemberID: cl.mo, ProgramID: cl.coffee.ID, RewardID: cl.freeCoffee}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		used, cancelled := redeem(), redeem()
		vpath := func(v *models.Voucher, action string) string { return fmt.Sprintf("/vouchers/%d/%s", v.ID, action) }

		// Staff mark a voucher used; a second time is refused beside the
		// vouchers.
		page := cl.staff.get(memberPath(cl.mo))
		if page.has(`[data-testid="cancel-voucher"]`) || page.doc.Find(`[data-testid="use-voucher"]`).Length() != 2 {
			t.Error("staff see Cancel, or not Mark used on each voucher")
		}
		expectRedirect(t, cl.staff.post(vpath(used, "use"), nil), memberPath(cl.mo))
		page = expectFlash(t, cl.staff, memberPath(cl.mo), "Voucher "+models.FormatCardCode(used.Code)+" is marked used.")
		if got := rowTexts(page, `[data-testid="voucher-row"]`); !strings.Contains(got[1], "used by Sam Staff") {
			t.Errorf("used voucher row %q", got[1])
		}
		before := app.snapshot()
		r := cl.staff.post(vpath(used, "use"), nil)
		expectStatus(t, r, http.StatusConflict)
		if got := r.text(`#vouchers [data-testid="form-error"]`); !strings.Contains(got, "is already used") {
			t.Errorf("refusal %q", got)
		}

		// Staff may not cancel; a manager may, and the points come back.
		expectStatus(t, cl.staff.post(vpath(cancelled, "cancel"), nil), http.StatusForbidden)
		if !equalState(before, app.snapshot()) {
			t.Fatal("refused voucher actions wrote")
		}
		if app.balance(cl.mo, cl.coffee.ID) != 20 {
			t.Fatalf("balance before cancelling %d", app.balance(cl.mo, cl.coffee.ID))
		}
		if !cl.manager.get(memberPath(cl.mo)).has(`[data-testid="cancel-voucher"]`) {
			t.Error("managers are not offered Cancel")
		}
		expectRedirect(t, cl.manager.post(vpath(cancelled, "cancel"), nil), memberPath(cl.mo))
		page = expectFlash(t, cl.manager, memberPath(cl.mo), "is cancelled: 50 points went back to Mo Member.")
		if app.balance(cl.mo, cl.coffee.ID) != 70 {
			t.Fatalf("balance after cancelling %d", app.balance(cl.mo, cl.coffee.ID))
		}
		if got := rowTexts(page, `[data-testid="ledger-row"]`); !strings.Contains(got[0], "Redemption cancelled +50 points 70 points Mia Manager Voucher cancelled") {
			t.Errorf("newest ledger row %q", got[0])
		}
		expectStatus(t, cl.manager.post(vpath(cancelled, "cancel"), nil), http.StatusConflict)
		expectStatus(t, cl.manager.post(vpath(used, "cancel"), nil), http.StatusConflict)
		expectStatus(t, cl.manager.post("/vouchers/999999/use", nil), http.StatusNotFound)
	})
}

func adjustForm(program int64, amount, reason, note string) url.Values {
	return url.Values{"program_id": {id64(program)}, "amount": {amount}, "reason": {reason}, "note": {note}}
}

func TestAdjustBalance(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		form := pageForm(t, cl.staff.get(memberPath(cl.mo)), `[data-testid="adjust-form"]`)
		if form.Get("program_id") != id64(cl.coffee.ID) || form.Get("idempotency_key") == "" {
			t.Fatalf("adjust form %v", form)
		}
		form.Set("amount", "+100")
		form.Set("reason", "Goodwill")
		form.Set("note", "Spilt coffee")
		expectRedirect(t, cl.staff.post(memberPath(cl.mo, "adjust"), form), memberPath(cl.mo))
		page := expectFlash(t, cl.staff, memberPath(cl.mo), "Credited 100 points (Goodwill). Mo Member now has 220 points.")
		if got := rowTexts(page, `[data-testid="ledger-row"]`); !strings.Contains(got[0], "Manual credit +100 points 220 points Sam Staff Goodwill Spilt coffee") {
			t.Errorf("newest ledger row %q", got[0])
		}
		// The same form again credits nothing.
		before := app.snapshot()
		r := cl.staff.post(memberPath(cl.mo, "adjust"), form)
		expectStatus(t, r, http.StatusConflict)
		if got := r.text(`#adjust [data-testid="form-error"]`); got != "This adjustment was already recorded." {
			t.Errorf("replay %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("a second post of the same adjustment wrote")
		}
		audit := cl.acct.owner.get("/settings/audit")
		if rows := strings.Join(auditRows(audit), "\n"); !strings.Contains(rows, "Balance adjustment") || !strings.Contains(rows, "Adjusted Mo Member's points by +100: Goodwill") {
			t.Errorf("the audit log lacks the adjustment:\n%s", strings.Join(auditRows(audit), "\n"))
		}

		// Refusals come back beside their field with the input kept.
		for _, tc := range []struct {
			c     *client
			form  url.Values
			field string
			want  string
		}{
			{cl.staff, adjustForm(cl.coffee.ID, "501", "Goodwill", "big spender"), "amount", "at most 500 at a time"},
			{cl.staff, adjustForm(cl.coffee.ID, "-501", "Correction", ""), "amount", "at most 500 at a time"},
			{cl.manager, adjustForm(cl.coffee.ID, "-221", "Correction", ""), "amount", "The balance is 220: a debit cannot take it below zero."},
			{cl.staff, adjustForm(cl.coffee.ID, "0", "Goodwill", ""), "amount", "other than 0"},
			{cl.staff, adjustForm(cl.coffee.ID, "ten", "Goodwill", ""), "amount", "whole number"},
			{cl.staff, adjustForm(cl.coffee.ID, "10", "", ""), "reason", "Choose a reason."},
			{cl.staff, adjustForm(cl.coffee.ID, "10", "Other", ""), "note", "Say what happened"},
			{cl.staff, adjustForm(999999, "10", "Goodwill", ""), "program_id", "No such program."},
		} {
			before := app.snapshot()
			r := tc.c.post(memberPath(cl.mo, "adjust"), tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if got := r.text(`[data-testid="error-` + tc.field + `"]`); !strings.Contains(got, tc.want) {
				t.Errorf("%v: %s message %q, want %q", tc.form, tc.field, got, tc.want)
			}
			if got := inputValue(r, "amount"); got != tc.form.Get("amount") {
				t.Errorf("%v: amount not kept: %q", tc.form, got)
			}
			if got := r.doc.Find(`#f-reason option[selected]`).AttrOr("value", ""); got != tc.form.Get("reason") {
				t.Errorf("%v: reason not kept: %q", tc.form, got)
			}
			if !equalState(before, app.snapshot()) {
				t.Fatalf("%v: refused adjustment wrote", tc.form)
			}
		}
		// A manager's debit within the balance and limit goes through.
		expectRedirect(t, cl.manager.post(memberPath(cl.mo, "adjust"), adjustForm(cl.coffee.ID, "-220", "Correction", "")), memberPath(cl.mo))
		if b := app.balance(cl.mo, cl.coffee.ID); b != 0 {
			t.Fatalf("balance %d after debiting everything", b)
		}
	})
}

func TestAwardAction(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		form := pageForm(t, cl.staff.get(memberPath(cl.mo)), `form[data-testid="award-form"]`)
		expectRedirect(t, cl.staff.post(memberPath(cl.mo, "actions"), form), memberPath(cl.mo))
		expectFlash(t, cl.staff, memberPath(cl.mo), "Mo Member earned 10 points for Newsletter sign-up.")
		if b := app.balance(cl.mo, cl.coffee.ID); b != 130 {
			t.Fatalf("balance %d", b)
		}
		before := app.snapshot()
		form = pageForm(t, cl.staff.get(memberPath(cl.mo)), `form[data-testid="award-form"]`)
		r := cl.staff.post(memberPath(cl.mo, "actions"), form)
		expectStatus(t, r, http.StatusConflict)
		if got := r.text(coffeeCard + ` [data-testid="form-error"]`); got != "Mo Member already earned Newsletter sign-up (once ever)." {
			t.Errorf("refusal %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("a capped action paid twice")
		}
	})
}

func TestRefundPurchase(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		refundPath := fmt.Sprintf("/purchases/%d/refund", cl.purchase)
		form := pageForm(t, cl.manager.get(memberPath(cl.mo)), `[data-testid="refund-form"]`)
		if form.Get("idempotency_key") == "" {
			t.Fatal("the refund form has no idempotency key")
		}

		// Too much is refused beside the amount, kept.
		before := app.snapshot()
		form.Set("amount", "500")
		r := cl.manager.post(refundPath, form)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if got := r.text(`[data-testid="refund-form"] [data-testid="error-amount"]`); !strings.Contains(got, "at most the 120.00 EUR not yet refunded") {
			t.Errorf("refusal %q", got)
		}
		if got := r.doc.Find(`[data-testid="input-refund-amount"]`).AttrOr("value", ""); got != "500" {
			t.Errorf("amount not kept: %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("a refused refund wrote")
		}

		// A negative amount is told what is wanted, not "or 0".
		form.Set("amount", "-1")
		r = cl.manager.post(refundPath, form)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if got := r.text(`[data-testid="refund-form"] [data-testid="error-amount"]`); got != "Enter an amount above 0 and at most the 120.00 EUR not yet refunded." {
			t.Errorf("refusal of -1: %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("a refused refund wrote")
		}

		form.Set("amount", "30")
		expectRedirect(t, cl.manager.post(refundPath, form), memberPath(cl.mo))
		page := expectFlash(t, cl.manager, memberPath(cl.mo), "Refunded 30.00 EUR of the 120.00 EUR purchase. 30 points taken back.")
		if b := app.balance(cl.mo, cl.coffee.ID); b != 90 {
			t.Fatalf("balance %d after refunding a quarter of 120 points' purchase", b)
		}
		if got := page.text(`[data-testid="purchase-refunded"]`); got != "30.00 EUR refunded" {
			t.Errorf("refunded %q", got)
		}
		if got := rowTexts(page, `[data-testid="ledger-row"]`); !strings.Contains(got[0], "Refund −30 points 90 points Mia Manager") {
			t.Errorf("newest ledger row %q", got[0])
		}

		// The same form again is refused: the refund is recorded once.
		before = app.snapshot()
		r = cl.manager.post(refundPath, form)
		expectStatus(t, r, http.StatusConflict)
		if got := r.text(`[data-testid="refund-form"] [data-testid="form-error"]`); got != "This refund was already recorded." {
			t.Errorf("replay %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("a second post of the same refund wrote")
		}
	})
}

func TestMemberLedgerPaging(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		for i := range 30 {
			if _, err := models.Adjust(cl.db, models.Actor{Name: "fixture"}, models.RoleOwner, models.AdjustInput{
				MemberID: cl.mo, ProgramID: cl.coffee.ID, Amount: "1", Reason: "Other", Note: fmt.Sprintf("n%02d", i),
			}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		page := cl.staff.get(memberPath(cl.mo))
		rows := rowTexts(page, `[data-testid="ledger-row"]`)
		if len(rows) != 25 || !strings.HasSuffix(rows[0], "n29") {
			t.Fatalf("first page: %d rows, newest %q", len(rows), rows[0])
		}
		older, ok := page.doc.Find(`[data-testid="ledger-older"]`).Attr("href")
		if !ok || page.has(`[data-testid="ledger-newest"]`) {
			t.Fatalf("first page links: older %q", older)
		}
		page = cl.staff.get(older)
		rows = rowTexts(page, `[data-testid="ledger-row"]`)
		if len(rows) != 6 || !strings.HasSuffix(rows[0], "n04") || !strings.Contains(rows[5], "Purchase +120 points") {
			t.Fatalf("second page %q", rows)
		}
		if page.has(`[data-testid="ledger-older"]`) || !page.has(`[data-testid="ledger-newest"]`) {
			t.Error("the last page links onwards, or not back")
		}
	})
}

func TestTierProgressBySpend(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		actor := models.Actor{Name: "fixture"}
		in := cl.tea.FormInput("EUR")
		in.TierMetric = "spend"
		if _, err := models.UpdateProgram(cl.db, actor, cl.tea.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := models.CreateTier(cl.db, actor, cl.tea.ID, models.TierInput{Name: "Oolong", Position: "2", Threshold: "100"}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.RecordPurchase(cl.db, actor, models.PurchaseInput{
			ProgramID: cl.tea.ID, MemberID: cl.mo, Amount: "45.50", IdempotencyKey: "tea-1",
		}, time.Now()); err != nil {
			t.Fatal(err)
		}
		page := cl.staff.get(memberPath(cl.mo))
		tea := page.doc.Find(`[data-testid="member-program"]`).Eq(1)
		if got := strings.TrimSpace(tea.Find(`[data-testid="tier-progress"]`).Text()); got != "54.50 EUR to Oolong" {
			t.Errorf("progress %q", got)
		}
		if got := strings.TrimSpace(tea.Find(`[data-testid="tier-name"]`).Text()); got != "Leaf" {
			t.Errorf("tier %q", got)
		}
	})
}
