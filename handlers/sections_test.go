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

// Helpers for the tests of rewards, earning rules and campaigns.

// shop is a merchant with two programs (tiers in both), and a staff member
// and a manager signed in beside the owner.
type shop struct {
	acct         *account
	coffee, tea  *models.Program
	bronze, gold *models.Tier // Coffee Club's
	teaTier      *models.Tier // Tea Club's, to smuggle into Coffee Club's forms
	staff        *client
	manager      *client
}

func (app *testApp) shop() *shop {
	t := app.t
	t.Helper()
	acct := app.signUp("Corner Café", "olive@example.com")
	app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
	app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
	db := models.ForMerchant(app.db, acct.merchantID)
	actor := models.Actor{Name: "fixture"}
	program := func(name string) *models.Program {
		p, err := models.CreateProgram(db, actor, models.ProgramInput{Name: name, Type: "points", EarnRate: "1", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tier := func(p *models.Program, name, position, threshold string) *models.Tier {
		tr, err := models.CreateTier(db, actor, p.ID, models.TierInput{Name: name, Position: position, Threshold: threshold})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	s := &shop{acct: acct, coffee: program("Coffee Club"), tea: program("Tea Club")}
	s.bronze, s.gold = tier(s.coffee, "Bronze", "1", "0"), tier(s.coffee, "Gold", "2", "500")
	s.teaTier = tier(s.tea, "Leaf", "1", "0")
	s.staff, s.manager = app.login("sam@example.com"), app.login("mia@example.com")
	return s
}

// path is a page of a program, like sectionPath(p, "rewards", id).
func sectionPath(p *models.Program, section string, ids ...int64) string {
	s := fmt.Sprintf("/programs/%d/%s", p.ID, section)
	for _, id := range ids {
		s += fmt.Sprintf("/%d", id)
	}
	return s
}

// tally is what a refused form must leave as it was: the rows of its
// table and the audit log, which every accepted change appends to.
type tally struct{ Rows, Audit int64 }

func (app *testApp) tally(model any) tally {
	app.t.Helper()
	return tally{Rows: app.count(model), Audit: app.count(&models.AuditEntry{})}
}

// expectRefused checks a form came back with status, a message beside
// field, the summary on top, and the typed name kept.
func expectRefused(t testing.TB, r *response, status int, field string, form url.Values) {
	t.Helper()
	expectStatus(t, r, status)
	if !r.has(`[data-testid="error-` + field + `"]`) {
		t.Errorf("%v: no message beside %s; messages: %q", form, field, r.doc.Find(".field-error").Text())
	}
	if !r.has(`[data-testid="form-error"]`) {
		t.Errorf("%v: no summary above the form", form)
	}
	if got := inputValue(r, "name"); form.Has("name") && got != form.Get("name") {
		t.Errorf("%v: name not kept: %q", form, got)
	}
}

func inputValue(r *response, name string) string {
	v, _ := r.doc.Find("#f-" + name).Attr("value")
	return v
}

// withFields returns form with some fields replaced.
func withFields(form url.Values, pairs ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		out.Set(pairs[i], pairs[i+1])
	}
	return out
}

// rowTexts returns the words of each element matching sel, with a space
// between elements: the rendered HTML has none between cells.
func rowTexts(r *response, sel string) []string {
	var rows []string
	r.doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
		var words []string
		var walk func(*goquery.Selection)
		walk = func(sel *goquery.Selection) {
			sel.Contents().Each(func(_ int, n *goquery.Selection) {
				if goquery.NodeName(n) == "#text" {
					words = append(words, strings.Fields(n.Text())...)
				} else {
					walk(n)
				}
			})
		}
		walk(s)
		rows = append(rows, strings.Join(words, " "))
	})
	return rows
}

// expectFlash checks the page after a redirect greets with msg.
func expectFlash(t testing.TB, c *client, to, msg string) *response {
	t.Helper()
	r := c.get(to)
	expectStatus(t, r, http.StatusOK)
	if got := r.doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, msg) {
		t.Errorf("flashes %q, want one to say %q", got, msg)
	}
	return r
}
