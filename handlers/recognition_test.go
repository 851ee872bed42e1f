package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// recognitionForm is the settings of the story: staff observe,
// managers give, the owner gives and receives, Gold members receive.
func recognitionForm(s *shop) url.Values {
	return url.Values{
		"enabled": {"on"}, "values": {"#friendly, above-and-beyond"}, "min_message_length": {"10"}, "refused_words": {"rubbish"},
		"owner_role": {"both"}, "manager_role": {"giver"}, "staff_role": {"observer"},
		"member_givers": {"none"}, "member_receivers": {"tiers"}, "member_receiver_tiers": {strconv.FormatInt(s.gold.ID, 10)},
		"monthly_allowance": {"100"}, "max_per_recognition": {"50"}, "max_per_pair": {"0"}, "program_id": {strconv.FormatInt(s.coffee.ID, 10)},
	}
}

// recognitionShop is the shop with recognition set up by its owner, a
// Gold member and a Bronze one.
func (app *testApp) recognitionShop() (*shop, *models.Member, *models.Member) {
	t := app.t
	t.Helper()
	s := app.shop()
	audit := app.count(&models.AuditEntry{})
	expectRedirect(t, s.acct.owner.post("/settings/recognition", recognitionForm(s)), "/settings/recognition")
	if got := app.count(&models.AuditEntry{}); got != audit+1 {
		t.Fatalf("settings not audited: %d → %d", audit, got)
	}
	db := models.ForMerchant(app.db, s.acct.merchantID)
	enrol := func(name, email string, spend string) *models.Member {
		m, err := models.EnrolMember(db, models.Actor{Name: "fixture"}, models.MemberInput{Name: name, Email: email}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.RecordPurchase(db, models.Actor{Name: "fixture"}, models.PurchaseInput{ProgramID: s.coffee.ID, MemberID: m.ID, Amount: spend, IdempotencyKey: "p-" + email, ConfirmedLarge: true}, time.Now()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return s, enrol("Gus Gold", "gus@example.com", "600"), enrol("Bea Bronze", "bea@example.com", "10")
}

func giveForm(receiver string, points, message, key string) url.Values {
	return url.Values{"receiver": {receiver}, "points": {points}, "message": {message}, "value": {"friendly"}, "idempotency_key": {key}}
}

func TestRecognitionGiveFeedAndLeaderboard(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, bronze := app.recognitionShop()
		goldParty, bronzeParty := "m:"+strconv.FormatInt(gold.ID, 10), "m:"+strconv.FormatInt(bronze.ID, 10)
		before := app.balance(gold.ID, s.coffee.ID)

		page := s.manager.get("/recognition")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="nav"] a[href="/recognition"]`) {
			t.Error("Recognition is not in the navigation")
		}
		if !page.has(`#f-receiver option[value="`+goldParty+`"]`) || page.has(`#f-receiver option[value="`+bronzeParty+`"]`) {
			t.Fatalf("receivers offered: %q", page.text("#f-receiver"))
		}
		if got := page.text(`[data-testid="allowance-left"]`); got != "100 of 100 points left this month" {
			t.Errorf("allowance shown %q", got)
		}
		key, _ := page.doc.Find(`[data-testid="give-form"] input[name="idempotency_key"]`).Attr("value")
		form := giveForm(goldParty, "30", "Thanks for the kind words!", key)
		expectRedirect(t, s.manager.post("/recognition", form), "/recognition")
		expectRedirect(t, s.manager.post("/recognition", form), "/recognition") // a double submit gives once
		if got := app.balance(gold.ID, s.coffee.ID); got != before+30 {
			t.Fatalf("gold balance %d → %d, want +30 once", before, got)
		}
		if n := app.count(&models.Recognition{}); n != 1 {
			t.Fatalf("%d recognitions", n)
		}

		feed := expectFlash(t, s.staff, "/recognition", "")
		items := rowTexts(feed, `[data-testid="recognition-item"]`)
		if len(items) != 1 || !strings.Contains(items[0], "Mia Manager → Gus Gold +30 points #friendly") {
			t.Fatalf("feed %q", items)
		}
		if feed.has(`[data-testid="give-form"]`) || !feed.has(`[data-testid="cannot-give"]`) || feed.has(`[data-testid="hide-form"]`) {
			t.Error("an observer is offered the give or hide form")
		}
		if rows := rowTexts(s.staff.get("/recognition?value=above-and-beyond"), `[data-testid="recognition-item"]`); len(rows) != 0 {
			t.Errorf("value filter kept %q", rows)
		}
		if rows := rowTexts(s.staff.get("/recognition?person="+goldParty), `[data-testid="recognition-item"]`); len(rows) != 1 {
			t.Errorf("person filter %q", rows)
		}
		board := s.staff.get("/recognition/leaderboard")
		expectStatus(t, board, http.StatusOK)
		if got := rowTexts(board, `[data-testid="leaders-receivers"] [data-testid="leader-row"]`); len(got) != 1 || got[0] != "Gus Gold 1 30" {
			t.Errorf("top receivers %q", got)
		}
		if got := rowTexts(s.staff.get("/recognition/leaderboard?period=all"), `[data-testid="leaders-values"] [data-testid="leader-row"]`); len(got) != 1 || got[0] != "friendly 1 30" {
			t.Errorf("top values all time %q", got)
		}
		if !strings.Contains(feed.text(`[data-testid="nudge"]`), "Olive") {
			t.Errorf("nudge %q", feed.text(`[data-testid="nudge"]`))
		}
	})
}

func TestRecognitionRefusalsShowTheReasonAndWriteNothing(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, bronze := app.recognitionShop()
		goldParty := "m:" + strconv.FormatInt(gold.ID, 10)
		expectRedirect(t, s.manager.post("/recognition", giveForm(goldParty, "50", "Thanks for the kind words!", "first")), "/recognition")
		expectRedirect(t, s.manager.post("/recognition", giveForm(goldParty, "10", "Thanks for the kind words!", "second")), "/recognition")
		before := app.snapshot()
		recognitions := app.count(&models.Recognition{})
		cases := []struct {
			who    *client
			form   url.Values
			reason string
		}{
			{s.staff, giveForm(goldParty, "5", "Thanks for the kind words!", "k1"), "Sam Staff is not allowed to give"},
			{s.manager, giveForm("m:"+strconv.FormatInt(bronze.ID, 10), "5", "Thanks for the kind words!", "k2"), "Bea Bronze is not allowed to receive"},
			{s.manager, giveForm(goldParty, "51", "Thanks for the kind words!", "k3"), "At most 50 points per recognition"},
			{s.manager, giveForm(goldParty, "45", "Thanks for the kind words!", "k4"), "40 of 100 points left this month"},
			{s.manager, giveForm(goldParty, "5", "Ta!", "k5"), "at least 10 characters"},
			{s.manager, giveForm(goldParty, "5", "Not a rubbish coffee at all", "k6"), "“rubbish” is not allowed"},
			{s.manager, giveForm(goldParty, "99999999999999999999", "Thanks for the kind words!", "k7"), "from 0 to 1,000,000"},
			{s.manager, withFields(giveForm(goldParty, "5", "Thanks for the kind words!", "k8"), "value", "sneaky"), "not one of this business's values"},
			{s.acct.owner, giveForm("u:"+strconv.FormatInt(s.acct.ownerID, 10), "5", "Thanks for the kind words!", "k9"), "cannot recognise yourself"},
		}
		for _, tc := range cases {
			r := tc.who.post("/recognition", tc.form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if shown := r.text("main"); !strings.Contains(shown, tc.reason) {
				t.Errorf("%v: reason %q not shown:\n%.600s", tc.form, tc.reason, shown)
			}
		}
		if after := app.snapshot(); !reflect.DeepEqual(before, after) || app.count(&models.Recognition{}) != recognitions {
			t.Fatal("a refused recognition wrote")
		}
		// Settings: a refused form writes nothing and keeps what was typed.
		audit := app.count(&models.AuditEntry{})
		bad := withFields(recognitionForm(s), "member_givers", "everyone", "monthly_allowance", "-3")
		r := s.acct.owner.post("/settings/recognition", bad)
		expectRefused(t, r, http.StatusUnprocessableEntity, "member_givers", bad)
		expectRefused(t, r, http.StatusUnprocessableEntity, "monthly_allowance", bad)
		if app.count(&models.AuditEntry{}) != audit {
			t.Fatal("refused settings were audited")
		}
	})
}

func TestRecognitionHideReversesOnce(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, _ := app.recognitionShop()
		goldParty := "m:" + strconv.FormatInt(gold.ID, 10)
		before := app.balance(gold.ID, s.coffee.ID)
		expectRedirect(t, s.manager.post("/recognition", giveForm(goldParty, "25", "Thanks for the kind words!", "hide-me")), "/recognition")
		var r models.Recognition
		if err := models.CrossTenant(app.db).Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		hide := "/recognition/" + strconv.FormatInt(r.ID, 10) + "/hide"
		if !s.manager.get("/recognition").has(`form[action="` + hide + `"]`) {
			t.Fatal("no hide form for the manager")
		}
		res := s.manager.post(hide, url.Values{"reason": {""}})
		expectStatus(t, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.text(`[data-testid="form-error"]`), "Say why") {
			t.Errorf("empty reason: %q", res.text(`[data-testid="form-error"]`))
		}
		audit := app.count(&models.AuditEntry{})
		expectRedirect(t, s.manager.post(hide, url.Values{"reason": {"Posted twice"}}), "/recognition")
		expectStatus(t, s.acct.owner.post(hide, url.Values{"reason": {"Again"}}), http.StatusConflict)
		if got := app.balance(gold.ID, s.coffee.ID); got != before {
			t.Fatalf("balance %d, want %d back", got, before)
		}
		if app.count(&models.AuditEntry{}) != audit+1 {
			t.Fatal("hide not audited once")
		}
		if rows := rowTexts(s.staff.get("/recognition"), `[data-testid="recognition-item"]`); len(rows) != 0 {
			t.Fatalf("hidden still in the feed: %q", rows)
		}
		if bad, err := models.VerifyBalances(models.CrossTenant(app.db)); err != nil || len(bad) != 0 {
			t.Fatalf("verify %+v %v", bad, err)
		}
	})
}

// A person's own setting beats their role's: an observer made a giver
// gives, to a user, whose kudos balance takes the points.
func TestRecognitionOverrideAndKudos(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, _, _ := app.recognitionShop()
		var sam models.User
		if err := models.CrossTenant(app.db).Where("email = ?", "sam@example.com").Take(&sam).Error; err != nil {
			t.Fatal(err)
		}
		owner := "u:" + strconv.FormatInt(s.acct.ownerID, 10)
		expectStatus(t, s.staff.post("/recognition", giveForm(owner, "5", "Thanks for the new rota", "o1")), http.StatusUnprocessableEntity)
		audit := app.count(&models.AuditEntry{})
		form := url.Values{"user_id": {strconv.FormatInt(sam.ID, 10)}, "participation": {"giver"}}
		expectRedirect(t, s.acct.owner.post("/settings/recognition/overrides", form), "/settings/recognition")
		if app.count(&models.AuditEntry{}) != audit+1 {
			t.Fatal("override not audited")
		}
		page := s.acct.owner.get("/settings/recognition")
		if v, _ := page.doc.Find(`[data-testid="recognition-person"]:contains("Sam Staff") option[selected]`).Attr("value"); v != "giver" {
			t.Errorf("override shown as %q", v)
		}
		expectStatus(t, s.acct.owner.post("/settings/recognition/overrides", withFields(form, "participation", "boss")), http.StatusUnprocessableEntity)
		expectRedirect(t, s.staff.post("/recognition", giveForm(owner, "5", "Thanks for the new rota", "o2")), "/recognition")
		if b, err := models.KudosBalance(models.ForMerchant(app.db, s.acct.merchantID), s.acct.ownerID); err != nil || b != 5 {
			t.Fatalf("owner's kudos %d %v", b, err)
		}
		// Back to the role's default: an observer again.
		expectRedirect(t, s.acct.owner.post("/settings/recognition/overrides", withFields(form, "participation", "")), "/settings/recognition")
		expectStatus(t, s.staff.post("/recognition", giveForm(owner, "5", "Thanks for the new rota", "o3")), http.StatusUnprocessableEntity)
		// Another merchant's user id is not found.
		other := app.signUp("Other Shop", "other@example.com")
		if r := other.owner.post("/settings/recognition/overrides", url.Values{"user_id": form["user_id"], "participation": {"giver"}}); r.status != http.StatusNotFound {
			t.Fatalf("other merchant: %d %s", r.status, r.text("main"))
		}
	})
}

// A member's page and a user's page show what they received and gave.
func TestRecognitionOnMemberAndUserPages(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, _ := app.recognitionShop()
		expectRedirect(t, s.manager.post("/recognition", giveForm("m:"+strconv.FormatInt(gold.ID, 10), "20", "Thanks for the kind words!", "h1")), "/recognition")
		expectRedirect(t, s.manager.post("/recognition", giveForm("u:"+strconv.FormatInt(s.acct.ownerID, 10), "15", "Thanks for the new rota!", "h2")), "/recognition")
		member := s.staff.get("/members/" + strconv.FormatInt(gold.ID, 10))
		expectStatus(t, member, http.StatusOK)
		if got := rowTexts(member, `[data-testid="recognition-received"] [data-testid="history-item"]`); len(got) != 1 || !strings.HasPrefix(got[0], "Mia Manager → Gus Gold +20 points #friendly") {
			t.Errorf("member received %q", got)
		}
		var mia models.User
		if err := models.CrossTenant(app.db).Where("email = ?", "mia@example.com").Take(&mia).Error; err != nil {
			t.Fatal(err)
		}
		user := s.acct.owner.get("/settings/users/" + strconv.FormatInt(mia.ID, 10))
		expectStatus(t, user, http.StatusOK)
		if got := rowTexts(user, `[data-testid="recognition-given"] [data-testid="history-item"]`); len(got) != 2 {
			t.Errorf("manager gave %q", got)
		}
		owner := s.acct.owner.get("/settings/users/" + strconv.FormatInt(s.acct.ownerID, 10))
		if got := owner.text(`[data-testid="kudos-balance"]`); got != "Kudos balance: 15 points" {
			t.Errorf("owner's kudos %q", got)
		}
	})
}

// A member standing at the counter thanks someone through the staff
// member's screen: the member gives, from their own allowance.
func TestRecognitionStaffAssistedMemberGives(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, bronze := app.recognitionShop()
		expectRedirect(t, s.acct.owner.post("/settings/recognition", withFields(recognitionForm(s), "member_givers", "tag", "member_giver_tag", "Ambassador")), "/settings/recognition")
		expectRedirect(t, s.staff.post("/members/"+strconv.FormatInt(gold.ID, 10)+"/tags", url.Values{"tags": {"ambassador"}}), "/members/")
		goldPage := "/members/" + strconv.FormatInt(gold.ID, 10)
		page := s.staff.get(goldPage)
		if !page.has(`[data-testid="give-form"][action="` + goldPage + `/recognition"]`) {
			t.Fatal("no give form on an ambassador's page")
		}
		if s.staff.get("/members/" + strconv.FormatInt(bronze.ID, 10)).has(`[data-testid="give-form"]`) {
			t.Error("a member who may not give is offered the form")
		}
		owner := "u:" + strconv.FormatInt(s.acct.ownerID, 10)
		expectRedirect(t, s.staff.post(goldPage+"/recognition", giveForm(owner, "10", "The best flat white in town", "m1")), goldPage)
		if b, err := models.KudosBalance(models.ForMerchant(app.db, s.acct.merchantID), s.acct.ownerID); err != nil || b != 10 {
			t.Fatalf("owner's kudos %d %v", b, err)
		}
		if got := rowTexts(s.staff.get(goldPage), `[data-testid="recognition-given"] [data-testid="history-item"]`); len(got) != 1 || !strings.HasPrefix(got[0], "Gus Gold → Olive Owner +10 points") {
			t.Errorf("member gave %q", got)
		}
		before := app.snapshot()
		r := s.staff.post("/members/"+strconv.FormatInt(bronze.ID, 10)+"/recognition", giveForm(owner, "1", "The best flat white in town", "m2"))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.text("main"), "Bea Bronze is not allowed to give") {
			t.Errorf("refusal not shown:\n%.500s", r.text("main"))
		}
		r = s.staff.post(goldPage+"/recognition", giveForm(owner, "91", "The best flat white in town", "m3"))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.text(`[data-testid="error-points"]`), "At most 50") {
			t.Errorf("over the maximum: %q", r.text(`[data-testid="error-points"]`))
		}
		if after := app.snapshot(); !reflect.DeepEqual(before, after) {
			t.Fatal("a refused member recognition wrote")
		}
	})
}

// A member at the counter thanks the barista from the till: the till
// serving them carries the form, and comes back to them.
func TestRecognitionAtTheTill(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, bronze := app.recognitionShop()
		expectRedirect(t, s.acct.owner.post("/settings/recognition", withFields(recognitionForm(s), "member_givers", "all")), "/settings/recognition")
		till := fmt.Sprintf("/till?member=%d&program=%d", gold.ID, s.coffee.ID)
		page := s.staff.get(till)
		form := page.doc.Find(`[data-testid="give-form"][action="/till/recognition"]`)
		if form.Length() == 0 {
			t.Fatalf("no give form on the till:\n%.3000s", page.body)
		}
		if form.Find(`input[name="member_id"]`).AttrOr("value", "") != strconv.FormatInt(gold.ID, 10) {
			t.Error("the till's form does not carry the member")
		}
		owner := "u:" + strconv.FormatInt(s.acct.ownerID, 10)
		// A fresh form each time: post adds the client's own form token.
		giveAt := func(memberID int64, key, message string) url.Values {
			return withFields(giveForm(owner, "10", message, key),
				"member_id", strconv.FormatInt(memberID, 10), "program_id", strconv.FormatInt(s.coffee.ID, 10))
		}
		r := s.staff.post("/till/recognition", giveAt(gold.ID, "t1", "The best flat white in town"))
		expectRedirect(t, r, "/till?")
		if got := s.staff.get(r.location()).text(`[data-testid="flash"]`); !strings.Contains(got, "Gus Gold's recognition of Olive Owner is posted") {
			t.Errorf("flash %q", got)
		}
		expectRedirect(t, s.staff.post("/till/recognition", giveAt(gold.ID, "t1", "The best flat white in town")), "/till?") // a second press gives once
		if b, err := models.KudosBalance(models.ForMerchant(app.db, s.acct.merchantID), s.acct.ownerID); err != nil || b != 10 {
			t.Fatalf("owner's kudos %d %v, want 10", b, err)
		}
		// Refused: the till again, with the reason, and nothing written.
		other := app.signUp("Other Shop", "other@example.com")
		before := app.snapshot()
		r = s.staff.post("/till/recognition", giveAt(gold.ID, "t2", "Thanks"))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.text(`[data-testid="till-member-name"]`) != "Gus Gold" || !strings.Contains(r.text(`[data-testid="give-form"]`), "at least 10") {
			t.Errorf("refusal at the till:\n%.2000s", r.text("main"))
		}
		// Another merchant's member or program: not found.
		expectStatus(t, other.owner.post("/till/recognition", giveAt(gold.ID, "t3", "The best flat white in town")), http.StatusNotFound)
		expectStatus(t, s.staff.post("/till/recognition", giveAt(bronze.ID+1000, "t4", "The best flat white in town")), http.StatusNotFound)
		if after := app.snapshot(); !reflect.DeepEqual(before, after) {
			t.Fatal("a refused till recognition wrote")
		}
	})
}

// The give form's "Who" is searched: as one types (htmx swaps the field),
// or with Find on a plain page, among those allowed to receive only, and
// never another merchant's people.
func TestRecognitionReceiverSearch(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, bronze := app.recognitionShop()
		goldParty, bronzeParty := "m:"+strconv.FormatInt(gold.ID, 10), "m:"+strconv.FormatInt(bronze.ID, 10)
		owner := "u:" + strconv.FormatInt(s.acct.ownerID, 10)

		page := s.manager.get("/recognition?who=gus")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`#f-receiver option[value="`+goldParty+`"]`) || page.has(`#f-receiver option[value="`+owner+`"]`) {
			t.Errorf("?who=gus offers %q", page.text("#f-receiver"))
		}
		if got := page.doc.Find(`[data-testid="receiver-search"]`).AttrOr("value", ""); got != "gus" {
			t.Errorf("search box shows %q", got)
		}
		if page.doc.Find(`form#receiver-search`).AttrOr("action", "") != "/recognition" {
			t.Error("the plain search does not come back to the feed")
		}

		frag := s.manager.hxGet("/recognition/receivers?who=GUS")
		expectStatus(t, frag, http.StatusOK)
		if frag.has(`[data-testid="nav"]`) || !frag.has(`#f-receiver option[value="`+goldParty+`"]`) {
			t.Fatalf("fragment:\n%.1000s", frag.body)
		}
		if !strings.Contains(frag.header.Get("Vary"), "HX-Request") {
			t.Errorf("Vary %q lacks HX-Request", frag.header.Get("Vary"))
		}
		none := s.manager.hxGet("/recognition/receivers?who=bea") // Bronze may not receive
		if none.has(`#f-receiver option[value="`+bronzeParty+`"]`) || !strings.Contains(none.text("#f-receiver"), "Nobody allowed to receive matches “bea”") {
			t.Errorf("a member who may not receive is found: %q", none.text("#f-receiver"))
		}
		if got := s.manager.hxGet("/recognition/receivers?who=olive").text("#f-receiver"); !strings.Contains(got, "Olive Owner") {
			t.Errorf("staff by name: %q", got)
		}
		// The giver is never offered to themselves.
		if got := s.acct.owner.hxGet("/recognition/receivers?who=olive").text("#f-receiver"); strings.Contains(got, "Olive Owner") {
			t.Errorf("the owner is offered to themselves: %q", got)
		}
		expectRedirect(t, s.manager.get("/recognition/receivers?who=gus"), "/recognition?who=gus")
		// A link filtering the feed by someone names them even when they
		// are not among the people listed (Bea may not receive).
		if got := s.manager.get("/recognition?person=" + bronzeParty).doc.Find(`[name="person"] option[selected]`).Text(); got != "Bea Bronze" {
			t.Errorf("person filter shows %q", got)
		}

		other := app.signUp("Other Shop", "other@example.com")
		open := withFields(recognitionForm(s), "member_receivers", "all", "program_id", "")
		open.Del("member_receiver_tiers")
		expectRedirect(t, other.owner.post("/settings/recognition", open), "/settings/recognition")
		if got := other.owner.hxGet("/recognition/receivers?who=gus").text("#f-receiver"); strings.Contains(got, "Gus") {
			t.Errorf("another merchant finds Gus: %q", got)
		}

		// At the till the plain search carries the member and program back.
		expectRedirect(t, s.acct.owner.post("/settings/recognition", withFields(recognitionForm(s), "member_givers", "all")), "/settings/recognition")
		till := s.staff.get(fmt.Sprintf("/till?member=%d&program=%d&who=olive", gold.ID, s.coffee.ID))
		search := till.doc.Find(`form#receiver-search`)
		if search.AttrOr("action", "") != "/till" || search.Find(`input[name="member"]`).AttrOr("value", "") != strconv.FormatInt(gold.ID, 10) ||
			search.Find(`input[name="program"]`).AttrOr("value", "") != strconv.FormatInt(s.coffee.ID, 10) || search.Find(`input[name="giver"]`).AttrOr("value", "") != goldParty {
			t.Errorf("till search form:\n%.1000s", till.body)
		}
		if got := rowTexts(till, `#f-receiver option`); len(got) != 2 || got[1] != "Olive Owner" {
			t.Errorf("till search for olive: %q", got)
		}
	})
}

// A role's own allowance round-trips through the settings form and caps
// that role's givers; a bad one is refused beside its field.
func TestRecognitionRoleAllowanceSettings(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, _ := app.recognitionShop()
		expectRedirect(t, s.acct.owner.post("/settings/recognition", withFields(recognitionForm(s), "manager_allowance", "50")), "/settings/recognition")
		page := s.acct.owner.get("/settings/recognition")
		for field, want := range map[string]string{"owner_allowance": "", "manager_allowance": "50", "staff_allowance": ""} {
			if got := inputValue(page, field); got != want {
				t.Errorf("%s shown as %q, want %q", field, got, want)
			}
		}
		if got := s.manager.get("/recognition").text(`[data-testid="allowance-left"]`); got != "50 of 50 points left this month" {
			t.Errorf("the manager's allowance shown %q", got)
		}
		r := s.manager.post("/recognition", giveForm("m:"+strconv.FormatInt(gold.ID, 10), "51", "Thanks for the kind words!", "over"))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if shown := r.text("main"); !strings.Contains(shown, "50 of 50 points left this month") {
			t.Errorf("refusal not shown:\n%.600s", shown)
		}

		audit := app.count(&models.AuditEntry{})
		bad := withFields(recognitionForm(s), "manager_allowance", "-1")
		r = s.acct.owner.post("/settings/recognition", bad)
		expectRefused(t, r, http.StatusUnprocessableEntity, "manager_allowance", bad)
		if shown := r.text(`[data-testid="error-manager_allowance"]`); !strings.Contains(shown, "leave it blank for the monthly allowance") {
			t.Errorf("message beside the field %q", shown)
		}
		if got := inputValue(r, "manager_allowance"); got != "-1" {
			t.Errorf("typed value not kept: %q", got)
		}
		if app.count(&models.AuditEntry{}) != audit {
			t.Fatal("refused settings were audited")
		}
		if got := inputValue(s.acct.owner.get("/settings/recognition"), "manager_allowance"); got != "50" {
			t.Errorf("after a refusal the stored allowance is %q", got)
		}
	})
}
