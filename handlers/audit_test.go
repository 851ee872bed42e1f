package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/regularshq/regulars/handlers"
	"github.com/regularshq/regulars/models"
)

// auditRows returns each row of the log page as "who | action | what | summary".
func auditRows(r *response) []string {
	var rows []string
	for i := range r.doc.Find(`[data-testid="audit-row"]`).Nodes {
		row := r.doc.Find(`[data-testid="audit-row"]`).Eq(i)
		cell := func(id string) string { return strings.TrimSpace(row.Find(`[data-testid="` + id + `"]`).Text()) }
		rows = append(rows, strings.Join([]string{cell("audit-who"), cell("audit-action"), cell("audit-what"), cell("audit-summary")}, " | "))
	}
	return rows
}

func TestAuditLogListsChanges(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		expectRedirect(t, acct.owner.post(fmt.Sprintf("/programs/%d", p.ID), withFields(settingsForm(p), "earn_rate", "2")), "/programs/")
		tiers := sectionPath(p, "tiers")
		expectRedirect(t, acct.owner.post(tiers, tierForm("Bronze", "1", "0", "1")), tiers)
		ottoID := app.addUser(acct, "Otto Owner", "otto@example.com", models.RoleOwner)
		otto := app.login("otto@example.com")
		expectRedirect(t, otto.post("/programs", newProgramForm("Tea Club", "points")), "/programs/")
		bronze := app.tierByName(p, "Bronze")

		page := acct.owner.get("/settings/audit")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="tab-audit"][aria-current="page"]`) {
			t.Error("audit tab not current")
		}
		want := []string{
			fmt.Sprintf("Otto Owner | create | Program #%d | Created program Tea Club", p.ID+1),
			fmt.Sprintf("Olive Owner | create | Team member #%d | Added Otto Owner as owner", ottoID),
			fmt.Sprintf("Olive Owner | create | Tier #%d | Added tier Bronze to Coffee Club", bronze.ID),
			fmt.Sprintf("Olive Owner | update | Program #%d | Updated program Coffee Club", p.ID),
			fmt.Sprintf("Olive Owner | create | Program #%d | Created program Coffee Club", p.ID),
		}
		if got := auditRows(page); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The edit shows what it changed, and only that.
		changes := page.doc.Find(`[data-testid="audit-row"]`).Eq(3).Find(`[data-testid="audit-change"]`)
		if changes.Length() != 1 || strings.Join(strings.Fields(changes.Text()), " ") != "1 → 2" ||
			strings.TrimSpace(page.doc.Find(`[data-testid="audit-row"]`).Eq(3).Find("dt").Text()) != "Earn rate per currency unit" {
			t.Errorf("changes of the edit: %q", changes.Text())
		}
		// The log only reads: no form on it posts anything but logging out.
		page.doc.Find(`main form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
			t.Errorf("the audit page posts to %s", f.AttrOr("action", ""))
		})
		for _, r := range handlers.Routes() {
			if r.Method != http.MethodGet && strings.HasPrefix(r.Path, "/settings/audit") {
				t.Errorf("route %s %s changes the audit log", r.Method, r.Path)
			}
		}

		byWhat := auditRows(acct.owner.get("/settings/audit?what=program"))
		if len(byWhat) != 3 || !strings.Contains(byWhat[0], "Tea Club") {
			t.Errorf("what=program: %q", byWhat)
		}
		if got := auditRows(acct.owner.get("/settings/audit?what=tier")); len(got) != 1 || !strings.Contains(got[0], "Bronze") {
			t.Errorf("what=tier: %q", got)
		}
		byOtto := acct.owner.get(fmt.Sprintf("/settings/audit?who=%d", ottoID))
		if got := auditRows(byOtto); len(got) != 1 || !strings.HasPrefix(got[0], "Otto Owner") {
			t.Errorf("who=otto: %q", got)
		}
		if sel, _ := byOtto.doc.Find(`#f-who option[selected]`).Attr("value"); sel != fmt.Sprint(ottoID) {
			t.Errorf("who filter not kept: %q", sel)
		}
		if got := auditRows(acct.owner.get(fmt.Sprintf("/settings/audit?who=%d&what=tier", acct.ownerID))); len(got) != 1 {
			t.Errorf("who=olive, what=tier: %q", got)
		}
		// Dates are the business's days, both ends included.
		if got := auditRows(acct.owner.get("/settings/audit?from=" + localDate(0) + "&to=" + localDate(0))); len(got) != 5 {
			t.Errorf("today: %d entries, want 5", len(got))
		}
		if got := acct.owner.get("/settings/audit?from=" + localDate(1)); len(auditRows(got)) != 0 || !got.has(`[data-testid="audit-empty"]`) {
			t.Errorf("from tomorrow: %q", auditRows(got))
		}
		if got := auditRows(acct.owner.get("/settings/audit?to=" + localDate(-1))); len(got) != 0 {
			t.Errorf("until yesterday: %q", got)
		}

		// Another merchant's log is its own.
		other := app.signUp("Shop B", "b@example.com")
		if got := auditRows(other.owner.get("/settings/audit")); len(got) != 0 {
			t.Errorf("merchant B sees %q", got)
		}
	})
}

func TestAuditLogPagesOlderEntries(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		db := models.ForMerchant(app.db, acct.merchantID)
		p := app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		for i := range 55 {
			in := p.FormInput("EUR")
			in.SignUpBonus = fmt.Sprint(i + 1)
			if _, err := models.UpdateProgram(db, models.Actor{UserID: acct.ownerID, Name: "Olive Owner"}, p.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := models.UpdateMerchant(db, models.Actor{UserID: acct.ownerID, Name: "Olive Owner"}, models.MerchantInput{Name: "Corner Bakery", Currency: "EUR", TimeZone: "Europe/Paris"}); err != nil {
			t.Fatal(err)
		}

		first := acct.owner.get("/settings/audit?what=program")
		rows := auditRows(first)
		if len(rows) != 50 || first.has(`[data-testid="audit-newest"]`) {
			t.Fatalf("first page: %d rows", len(rows))
		}
		older, ok := first.doc.Find(`[data-testid="audit-older"]`).Attr("href")
		if !ok {
			t.Fatal("no link to older entries")
		}
		u, err := url.Parse(older)
		if err != nil || u.Query().Get("what") != "program" || u.Query().Get("before") == "" {
			t.Fatalf("older link %q does not keep the filter", older)
		}
		second := acct.owner.get(older)
		expectStatus(t, second, http.StatusOK)
		rest := auditRows(second)
		if len(rest) != 6 || !strings.Contains(rest[5], "Created program Coffee Club") {
			t.Fatalf("second page: %q", rest)
		}
		if second.has(`[data-testid="audit-older"]`) || !second.has(`[data-testid="audit-newest"]`) {
			t.Error("last page offers older entries, or no way back")
		}
		if strings.Contains(strings.Join(rest, "\n"), "business") {
			t.Error("the filter was lost on the second page")
		}
	})
}

func TestAuditFiltersRefuseGarbage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.postProgram(acct, newProgramForm("Coffee Club", "points"))
		cases := []struct{ query, field string }{
			{"from=2026-13-45", "from"},
			{"to=yesterday", "to"},
			{"from=2026-03-02&to=2026-03-01", "to"},
			{"who=abc", "who"},
			{"who=-4", "who"},
			{"what=%3Cscript%3E", "what"},
			{"before=-1", ""},
			{"before=x", ""},
		}
		for _, tc := range cases {
			r := acct.owner.get("/settings/audit?" + tc.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if !r.has(`[data-testid="form-error"]`) || r.has(`[data-testid="audit-row"]`) {
				t.Errorf("%s: no message, or entries shown anyway", tc.query)
			}
			if tc.field != "" && !r.has(`[data-testid="error-`+tc.field+`"]`) {
				t.Errorf("%s: no message beside %s", tc.query, tc.field)
			}
		}
		if r := acct.owner.get("/settings/audit?from=2026-13-45"); inputValue(r, "from") != "2026-13-45" {
			t.Error("bad date not kept in its field")
		}
	})
}
