package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/regularshq/regulars/models"
)

// Helpers for the tests of the member pages.

func memberPath(id int64, action ...string) string {
	p := fmt.Sprintf("/members/%d", id)
	for _, a := range action {
		p += "/" + a
	}
	return p
}

func enrolForm(name, email, phone string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "phone": {phone}}
}

// enrol enrols a member through the form and returns their id.
func (app *testApp) enrol(c *client, form url.Values) int64 {
	app.t.Helper()
	r := c.post("/members", form)
	expectRedirect(app.t, r, "/members/")
	var id int64
	if _, err := fmt.Sscanf(r.location(), "/members/%d", &id); err != nil {
		app.t.Fatalf("new member location %q: %v", r.location(), err)
	}
	return id
}

func (app *testApp) member(id int64) models.Member {
	app.t.Helper()
	var m models.Member
	if err := models.CrossTenant(app.db).Take(&m, id).Error; err != nil {
		app.t.Fatal(err)
	}
	return m
}

// memberNames is the names in the member list of a page, in order.
func memberNames(r *response) []string {
	var names []string
	r.doc.Find(`[data-testid="member-link"]`).Each(func(_ int, s *goquery.Selection) {
		names = append(names, strings.TrimSpace(s.Text()))
	})
	return names
}

func TestEnrolMemberValidation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", "+44 20 7946 0000"))
		before := app.snapshot()
		future := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
		cases := []struct {
			form  url.Values
			field string
			want  string
		}{
			{enrolForm("", "bea@example.com", ""), "name", "Enter the member's name."},
			{enrolForm("Bea", "not an email", ""), "email", "like name@example.com"},
			{enrolForm("Bea", "", "06 12 34 56 78"), "phone", "country code"},
			{withFields(enrolForm("Bea", "", ""), "birthday", future), "birthday", "past date"},
			{withFields(enrolForm("Bea", "", ""), "referral_code", "ZZZZ-ZZZZ"), "referral_code", "No member has this card code."},
			{enrolForm("Bea", "ADA@example.com", ""), "email", "Another member has this email address."},
			{enrolForm("Bea", "", "0044 20 7946 0000"), "phone", "Another member has this phone number."},
		}
		for _, tc := range cases {
			tc.form.Set("marketing_opt_in", "on")
			r := s.staff.post("/members", tc.form)
			expectRefused(t, r, http.StatusUnprocessableEntity, tc.field, tc.form)
			if msg := r.text(`[data-testid="error-` + tc.field + `"]`); !strings.Contains(msg, tc.want) {
				t.Errorf("%v: %s message %q, want %q", tc.form, tc.field, msg, tc.want)
			}
			for _, f := range []string{"email", "phone", "birthday", "referral_code"} {
				if got := inputValue(r, f); got != tc.form.Get(f) {
					t.Errorf("%v: %s not kept: %q", tc.form, f, got)
				}
			}
			if !r.has(`#f-marketing_opt_in[checked]`) {
				t.Errorf("%v: marketing opt-in not kept", tc.form)
			}
			if r.has(`#f-q[autofocus]`) {
				t.Errorf("%v: the search box takes the focus from the refused form", tc.form)
			}
		}
		if after := app.snapshot(); !equalState(before, after) {
			t.Fatal("refused enrolments wrote")
		}
	})
}

// equalState compares two snapshots: a refused form leaves them equal.
func equalState(a, b state) bool { return reflect.DeepEqual(a, b) }

func TestEnrolMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		// A sign-up bonus greets every new member of the program.
		db := models.ForMerchant(app.db, s.acct.merchantID)
		in := s.coffee.FormInput("EUR")
		in.SignUpBonus = "25"
		if _, err := models.UpdateProgram(db, models.Actor{Name: "fixture"}, s.coffee.ID, in); err != nil {
			t.Fatal(err)
		}

		form := enrolForm("  Ada Lovelace ", "Ada@Example.com", "+44 20 7946 0000")
		form.Set("birthday", "1990-05-17")
		form.Set("marketing_opt_in", "on")
		id := app.enrol(s.staff, form)
		m := app.member(id)
		if m.Name != "Ada Lovelace" || m.Email != "ada@example.com" || m.Phone != "442079460000" || !m.MarketingOptIn ||
			m.Birthday == nil || *m.Birthday != "1990-05-17" || len(m.CardCode) != 8 {
			t.Fatalf("stored %+v", m)
		}
		code := models.FormatCardCode(m.CardCode)
		r := expectFlash(t, s.staff, memberPath(id), "Ada Lovelace is enrolled. Their card code is "+code+".")
		if got := r.text(`[data-testid="card-code"]`); got != code {
			t.Errorf("card code %q, want %q", got, code)
		}
		// The card is also a QR code a scanner can read at the till.
		if qr := r.doc.Find(`svg[data-testid="qr"]`); qr.AttrOr("aria-label", "") != "QR code of "+m.CardCode ||
			!strings.HasPrefix(qr.Find("path").AttrOr("d", ""), "M") || qr.AttrOr("viewBox", "") != "0 0 29 29" {
			t.Errorf("QR code: label %q, viewBox %q", qr.AttrOr("aria-label", ""), qr.AttrOr("viewBox", ""))
		}
		if got := r.text(`[data-testid="member-phone"]`); got != "+44 2079 460000" {
			t.Errorf("phone %q", got)
		}
		if got := rowTexts(r, `[data-testid="member-program"] [data-testid="balance"]`); strings.Join(got, ",") != "25 points,0 points" {
			t.Errorf("balances %v, want the bonus in Coffee Club and nothing in Tea Club", got)
		}

		// A friend enrols with Ada's card code as referral; a member with
		// Ada's own email cannot refer themselves, whatever the case.
		friend := enrolForm("Bea Friend", "bea@example.com", "")
		friend.Set("referral_code", strings.ToLower(code))
		beaID := app.enrol(s.staff, friend)
		if bea := app.member(beaID); bea.ReferredByID == nil || *bea.ReferredByID != id {
			t.Fatalf("referrer %v, want %d", bea.ReferredByID, id)
		}
		page := s.staff.get(memberPath(beaID))
		if got := page.text(`[data-testid="member-contact"] a`); got != "Ada Lovelace" {
			t.Errorf("referred by %q", got)
		}
		before := app.snapshot()
		self := enrolForm("Ada Again", "ADA@example.com", "")
		self.Set("referral_code", code)
		r = s.staff.post("/members", self)
		expectRefused(t, r, http.StatusUnprocessableEntity, "referral_code", self)
		if msg := r.text(`[data-testid="error-referral_code"]`); msg != "A member cannot refer themselves." {
			t.Errorf("self-referral message %q", msg)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("refused self-referral wrote")
		}
	})
}

func TestSearchMembers(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		ada := app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", "+44 20 7946 0000"))
		app.enrol(s.staff, enrolForm("Adam Smith", "adam@example.org", "+33 6 12 34 56 78"))
		app.enrol(s.staff, enrolForm("Grace Hopper", "grace@example.com", ""))
		code := app.member(ada).CardCode

		search := func(q string) []string {
			t.Helper()
			r := s.staff.get("/members?q=" + url.QueryEscape(q))
			expectStatus(t, r, http.StatusOK)
			if v, _ := r.doc.Find("#f-q").Attr("value"); v != strings.TrimSpace(q) {
				t.Errorf("search %q not kept: %q", q, v)
			}
			return memberNames(r)
		}
		for q, want := range map[string]string{
			"ada":                           "Ada Lovelace,Adam Smith",
			"ADA L":                         "Ada Lovelace",
			"grace@":                        "Grace Hopper",
			"+33 6 12":                      "Adam Smith",
			"0044 20":                       "Ada Lovelace",
			strings.ToLower(code[:4]):       "Ada Lovelace",
			models.FormatCardCode(code)[:6]: "Ada Lovelace",
			"nobody":                        "",
		} {
			if got := strings.Join(search(q), ","); !strings.Contains(got, want) || (want == "" && got != "") {
				t.Errorf("search %q found %q, want %q", q, got, want)
			}
		}
		r := s.staff.get("/members?q=nobody")
		if !strings.Contains(r.text(`[data-testid="members-empty"]`), "No member matches") {
			t.Errorf("no empty message: %q", r.text(`[data-testid="members-empty"]`))
		}
		r = s.staff.get("/members")
		if got := rowTexts(r, `[data-testid="member-row"]`); len(got) != 3 || !strings.HasPrefix(got[0], "Ada Lovelace "+models.FormatCardCode(code)+" ada@example.com +44 2079 460000") {
			t.Errorf("member rows %q", got)
		}
		if !r.has(`#f-q[autofocus]`) {
			t.Error("the search box does not take the focus")
		}
	})
}

func TestMembersPaging(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		db := models.ForMerchant(app.db, s.acct.merchantID)
		for i := range 27 {
			if _, err := models.EnrolMember(db, models.Actor{}, models.MemberInput{Name: fmt.Sprintf("Member %02d", i)}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		r := s.staff.get("/members?q=member")
		names := memberNames(r)
		if len(names) != 25 || names[0] != "Member 00" || names[24] != "Member 24" {
			t.Fatalf("first page %v", names)
		}
		next, ok := r.doc.Find(`[data-testid="members-next"]`).Attr("href")
		if !ok || !strings.Contains(next, "after_id=") || !strings.Contains(next, "q=member") {
			t.Fatalf("next page link %q", next)
		}
		r = s.staff.get(next)
		if names := memberNames(r); strings.Join(names, ",") != "Member 25,Member 26" {
			t.Fatalf("second page %v", names)
		}
		if r.has(`[data-testid="members-next"]`) || !r.has(`[data-testid="members-first"]`) {
			t.Error("the last page links onwards, or not back to the first")
		}
	})
}

func TestUpdateMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", ""))
		id := app.enrol(s.staff, enrolForm("Grace Hopper", "grace@example.com", ""))

		// The edit form shows the member as stored.
		page := s.staff.get(memberPath(id))
		if got := inputValue(page, "email"); got != "grace@example.com" {
			t.Fatalf("edit form email %q", got)
		}
		form := url.Values{"name": {"Grace B. Hopper"}, "email": {"ada@example.com"}, "phone": {"+1 212 555 0100"}}
		before := app.snapshot()
		r := s.staff.post(memberPath(id), form)
		expectRefused(t, r, http.StatusUnprocessableEntity, "email", form)
		if got := inputValue(r, "phone"); got != "+1 212 555 0100" {
			t.Errorf("phone not kept: %q", got)
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("refused edit wrote")
		}
		form.Set("email", "grace@navy.example")
		expectRedirect(t, s.staff.post(memberPath(id), form), memberPath(id))
		expectFlash(t, s.staff, memberPath(id), "Grace B. Hopper's details are saved.")
		if m := app.member(id); m.Name != "Grace B. Hopper" || m.Email != "grace@navy.example" || m.Phone != "12125550100" {
			t.Fatalf("stored %+v", m)
		}
	})
}

func TestBlockMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		id := app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", ""))
		if page := s.staff.get(memberPath(id)); page.has(`[data-testid="block-member"]`) {
			t.Error("staff are offered Block")
		}
		expectStatus(t, s.staff.post(memberPath(id, "block"), nil), http.StatusForbidden)

		expectRedirect(t, s.manager.post(memberPath(id, "block"), nil), memberPath(id))
		page := expectFlash(t, s.manager, memberPath(id), "Ada Lovelace is blocked")
		if !page.has(`[data-testid="member-blocked"]`) || !page.has(`[data-testid="unblock-member"]`) || page.has(`[data-testid="redeem"]`) {
			t.Error("a blocked member's page shows no badge, no Unblock, or still offers to redeem")
		}
		if r := s.staff.get("/members?q=ada"); !r.has(`[data-testid="member-row"] [data-testid="member-blocked"]`) {
			t.Error("the list shows no blocked badge")
		}
		expectRedirect(t, s.manager.post(memberPath(id, "unblock"), nil), memberPath(id))
		if app.member(id).Blocked {
			t.Fatal("still blocked")
		}
	})
}

// The export is the searched list as CSV, and a name that a spreadsheet
// would run as a formula stays text.
func TestExportMembers(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.enrol(s.staff, enrolForm("=HYPERLINK(\"http://evil\")", "evil@example.com", ""))
		app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", "+44 20 7946 0000"))
		app.enrol(s.staff, enrolForm("Bea Friend", "bea@example.com", ""))

		r := s.staff.get("/members/export?q=ada")
		expectStatus(t, r, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("content type %q", ct)
		}
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0][1] != "name" || rows[1][1] != "Ada Lovelace" || rows[1][3] != "+442079460000" {
			t.Fatalf("filtered export %q", rows)
		}
		rows, err = csv.NewReader(strings.NewReader(s.staff.get("/members/export").body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("full export has %d rows, want a header and 3 members", len(rows))
		}
		var formula string
		for _, row := range rows {
			if strings.Contains(row[1], "HYPERLINK") {
				formula = row[1]
			}
		}
		if formula != `'=HYPERLINK("http://evil")` {
			t.Fatalf("formula cell exported as %q", formula)
		}
	})
}

// adaSpentAndBea enrols Ada, who spent 600 in Coffee Club, and Bea, who
// spent nothing; it returns Ada's id.
func (app *testApp) adaSpentAndBea(s *shop) int64 {
	t := app.t
	t.Helper()
	ada := app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", ""))
	app.enrol(s.staff, enrolForm("Bea Friend", "bea@example.com", ""))
	db := models.ForMerchant(app.db, s.acct.merchantID)
	if _, err := models.RecordPurchase(db, models.Actor{Name: "fixture"}, models.PurchaseInput{
		ProgramID: s.coffee.ID, MemberID: ada, Amount: "600", IdempotencyKey: "ada-1", ConfirmedLarge: true,
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ada
}

// The list narrows by program, tier, inactivity and tag, and the export
// follows the same filters.
func TestMemberFiltersAndTags(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		ada := app.adaSpentAndBea(s)

		// Tags: typed with odd spacing and case, stored tidy, shown on the page.
		expectRedirect(t, s.staff.post(memberPath(ada)+"/tags", url.Values{"tags": {" VIP ,morning   regular, vip"}}), memberPath(ada))
		if got := rowTexts(s.staff.get(memberPath(ada)), `[data-testid="tag"]`); strings.Join(got, "|") != "morning regular|vip" {
			t.Fatalf("tags %v", got)
		}
		before := app.snapshot()
		r := s.staff.post(memberPath(ada)+"/tags", url.Values{"tags": {strings.Repeat("x", 31)}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !r.has(`[data-testid="error-tags"]`) || r.doc.Find(`[data-testid="input-tags"]`).AttrOr("value", "") != strings.Repeat("x", 31) {
			t.Fatal("a too-long tag is not flagged beside the field with the input kept")
		}
		if !equalState(before, app.snapshot()) {
			t.Fatal("a refused tag wrote")
		}

		names := func(query string) []string {
			t.Helper()
			r := s.staff.get("/members?" + query)
			expectStatus(t, r, http.StatusOK)
			return rowTexts(r, `[data-testid="members-table"] tbody tr td:first-child a`)
		}
		for query, want := range map[string]string{
			"program=" + strconvI(s.coffee.ID): "Ada Lovelace",
			"tier=" + strconvI(s.gold.ID):      "Ada Lovelace",
			"tag=VIP":                          "Ada Lovelace",
			"tier=" + strconvI(s.teaTier.ID):   "",
			"inactive=30":                      "",
		} {
			if got := strings.Join(names(query), ","); got != want {
				t.Errorf("members?%s = %q, want %q", query, got, want)
			}
		}
		app.clock.advance(31 * 24 * time.Hour)
		s.staff = app.login("sam@example.com") // a month idle ended the session too
		if got := strings.Join(names("inactive=30"), ","); got != "Ada Lovelace,Bea Friend" {
			t.Errorf("inactive for 30 days after a month: %q", got)
		}
		expectStatus(t, s.staff.get("/members?inactive=soon"), http.StatusUnprocessableEntity)
		expectStatus(t, s.staff.get("/members?program=abc"), http.StatusUnprocessableEntity)

		rows, err := csv.NewReader(strings.NewReader(s.staff.get("/members/export?tag=vip").body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][1] != "Ada Lovelace" {
			t.Fatalf("filtered export %q", rows)
		}
	})
}

// A member's page lists whom they referred, newest first, and whether each
// referral has paid them yet; with none, it offers their card code.
func TestMemberPageReferrals(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.addRule(s.acct.owner, s.coffee, url.Values{"kind": {"referral"}, "points": {"50"}, "referred_points": {"25"}, "min_purchase": {"10"}, "active": {"on"}})
		adaID := app.enrol(s.staff, enrolForm("Ada Lovelace", "ada@example.com", ""))
		code := models.FormatCardCode(app.member(adaID).CardCode)

		page := s.staff.get(memberPath(adaID))
		expectStatus(t, page, http.StatusOK)
		if got := page.text(`[data-testid="no-referrals"]`); got != "No referrals yet. Share the card code "+code+" as a referral code." {
			t.Errorf("empty referrals %q", got)
		}

		friend := func(name string) int64 {
			form := enrolForm(name, "", "")
			form.Set("referral_code", code)
			return app.enrol(s.staff, form)
		}
		beaID, cyID := friend("Bea Friend"), friend("Cy Friend")
		db := models.ForMerchant(app.db, s.acct.merchantID)
		if _, err := models.RecordPurchase(db, models.Actor{Name: "fixture"}, models.PurchaseInput{
			ProgramID: s.coffee.ID, MemberID: beaID, Amount: "12", IdempotencyKey: "bea-first",
		}, time.Now()); err != nil {
			t.Fatal(err)
		}

		page = s.staff.get(memberPath(adaID))
		expectStatus(t, page, http.StatusOK)
		if page.has(`[data-testid="no-referrals"]`) || page.has(`[data-testid="referrals-more"]`) {
			t.Error("referrals listed with the empty state or a 'more' line")
		}
		rows := rowTexts(page, `[data-testid="referral-row"]`)
		paris, _ := time.LoadLocation("Europe/Paris")
		today := time.Now().In(paris).Format("2 Jan 2006")
		want := []string{
			"Cy Friend " + today + " not paid yet",
			"Bea Friend " + today + " paid 50 points in Coffee Club",
		}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("referral rows %q, want %q", rows, want)
		}
		links := page.doc.Find(`[data-testid="referral-name"]`)
		if a, b := links.Eq(0).AttrOr("href", ""), links.Eq(1).AttrOr("href", ""); a != memberPath(cyID) || b != memberPath(beaID) {
			t.Errorf("referral links %q, %q", a, b)
		}
		if !page.doc.Find(`[data-testid="referral-row"]`).Eq(1).Find(`[data-testid="referral-paid"]`).Is("*") ||
			!page.doc.Find(`[data-testid="referral-row"]`).Eq(0).Find(`[data-testid="referral-unpaid"]`).Is("*") {
			t.Error("paid and unpaid badges on the wrong rows")
		}

		// Past the cap, the page says how many more there are.
		for i := range 50 {
			if _, err := models.EnrolMember(db, models.Actor{Name: "fixture"}, models.MemberInput{Name: fmt.Sprintf("Guest %02d", i), ReferralCode: code}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		page = s.staff.get(memberPath(adaID))
		if n := page.doc.Find(`[data-testid="referral-row"]`).Length(); n != 50 {
			t.Errorf("%d referral rows, want 50", n)
		}
		if got := page.text(`[data-testid="referrals-more"]`); got != "and 2 more" {
			t.Errorf("more line %q, want \"and 2 more\"", got)
		}
		if first := page.text(`[data-testid="referral-name"]`); first != "Guest 49" {
			t.Errorf("newest referral %q, want Guest 49", first)
		}

		// Bea referred nobody: her page offers her own code.
		bea := app.member(beaID)
		page = s.staff.get(memberPath(beaID))
		if got := page.text(`[data-testid="referral-code"]`); got != models.FormatCardCode(bea.CardCode) {
			t.Errorf("bea's referral code %q", got)
		}
	})
}

// The list shows each member's balance and tier in the program filtered
// by, or the first one.
func TestMembersListShowsBalanceAndTier(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		app.adaSpentAndBea(s)
		r := s.staff.get("/members")
		if got := r.text(`[data-testid="members-standing-in"]`); got != "Balances and tiers in Coffee Club." {
			t.Errorf("balance column %q", got)
		}
		balances := rowTexts(r, `[data-testid="member-balance"]`)
		tiers := rowTexts(r, `[data-testid="member-tier"]`)
		if strings.Join(balances, "|") != "600 points|0 points" || len(tiers) != 2 || tiers[0] != "Gold" {
			t.Errorf("balances %q, tiers %q", balances, tiers)
		}
		r = s.staff.get("/members?tier=" + strconvI(s.gold.ID) + "&program=" + strconvI(s.coffee.ID))
		if got := rowTexts(r, `[data-testid="member-tier"]`); strings.Join(got, "|") != "Gold" {
			t.Errorf("filtered tiers %q", got)
		}
	})
}

// 2,000 members whose names start with capitals SQLite's lower() does not
// know: the list's next links and the CSV export each give every member
// exactly once, as does paging a search typed without accents.
func TestMembersPagingAndExportKeepEveryMember(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		db := models.ForMerchant(app.db, s.acct.merchantID)
		first := []string{"Ümit", "Éva", "Émilie", "ädam", "Zoë", "anna", "Özil", "Øyvind", "Łukasz", "ÉVA"}
		last := []string{"Müller", "Ångström", "Smith", "Ünal", "élan"}
		const n = 2000
		var b strings.Builder
		b.WriteString("name,email\n")
		evas := 0
		for i := range n {
			name := first[i%len(first)] + " " + last[(i/len(first))%len(last)]
			if strings.HasPrefix(models.FoldName(name), "eva ") {
				evas++
			}
			fmt.Fprintf(&b, "%s,m%d@example.com\n", name, i)
		}
		job, err := models.StartImport(db, models.Actor{Name: "fixture"}, models.RoleOwner, models.ImportInput{FileName: "m.csv", Content: []byte(b.String())}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := models.ProcessImport(t.Context(), db, job.ID, time.Now); err != nil {
			t.Fatal(err)
		}

		pageAll := func(path string) map[string]int {
			t.Helper()
			seen := map[string]int{}
			for pages := 0; path != ""; pages++ {
				if pages > n/25+2 {
					t.Fatalf("paging from %s does not end", path)
				}
				r := s.staff.get(path)
				expectStatus(t, r, http.StatusOK)
				r.doc.Find(`[data-testid="member-link"]`).Each(func(_ int, a *goquery.Selection) {
					seen[a.AttrOr("href", "")]++
				})
				path = r.doc.Find(`[data-testid="members-next"]`).AttrOr("href", "")
			}
			return seen
		}
		once := func(what string, seen map[string]int, want int) {
			t.Helper()
			for href, times := range seen {
				if times != 1 {
					t.Errorf("%s: %s listed %d times", what, href, times)
				}
			}
			if len(seen) != want {
				t.Errorf("%s: %d members listed, want %d", what, len(seen), want)
			}
		}
		once("the list", pageAll("/members"), n)
		once("search eva", pageAll("/members?q=eva"), evas)

		rows, err := csv.NewReader(strings.NewReader(s.staff.get("/members/export").body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		code := slices.Index(rows[0], "card_code")
		exported := map[string]int{}
		for _, row := range rows[1:] {
			exported[row[code]]++
		}
		once("the export", exported, n)
	})
}
