package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/regularshq/regulars/models"
)

// destructive is every action a slip of the finger must not take: it
// deletes, blocks, deactivates, cancels or refunds.
var destructive = regexp.MustCompile(`/(delete|block|deactivate|cancel|refund)$`)

// Every destructive form on every page that holds one asks first, through
// data-confirm (static/js/app.js), since the CSP allows no inline script.
func TestDestructiveFormsAskFirst(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		cl := app.club()
		actor := models.Actor{Name: "fixture"}
		if _, err := models.Redeem(cl.db, actor, models.RedeemInput{MemberID: cl.mo, ProgramID: cl.coffee.ID, RewardID: cl.freeCoffee}, time.Now()); err != nil {
			t.Fatal(err)
		}
		cp := app.addCampaign(cl.manager, cl.coffee, doubleMondays())
		var sam models.User
		if err := models.CrossTenant(app.db).Where("email = ?", "sam@example.com").Take(&sam).Error; err != nil {
			t.Fatal(err)
		}
		owner := cl.acct.owner
		pages := []struct {
			path string
			want []string // the destructive actions the page must offer
		}{
			{sectionPath(cl.coffee, "campaigns", cp.ID), []string{"delete"}},
			{sectionPath(cl.coffee, "rules", cl.newsletter), []string{"delete"}},
			{sectionPath(cl.coffee, "tiers", cl.gold.ID), []string{"delete"}},
			{memberPath(cl.mo), []string{"block", "cancel", "refund"}},
			{userPath(sam.ID), []string{"deactivate"}},
		}
		for _, pg := range pages {
			r := owner.get(pg.path)
			expectStatus(t, r, http.StatusOK)
			found := map[string]bool{}
			r.doc.Find(`form`).Each(func(_ int, f *goquery.Selection) {
				action := f.AttrOr("action", "")
				m := destructive.FindStringSubmatch(action)
				if m == nil {
					return
				}
				found[m[1]] = true
				if strings.ToLower(f.AttrOr("method", "")) != "post" {
					t.Errorf("%s: %s is not a POST form", pg.path, action)
				}
				if q := f.AttrOr("data-confirm", ""); !strings.Contains(q, "?") {
					t.Errorf("%s: the form posting to %s asks nothing (data-confirm %q)", pg.path, action, q)
				}
			})
			for _, w := range pg.want {
				if !found[w] {
					t.Errorf("%s: no %s form found, so the check above proved nothing", pg.path, w)
				}
			}
		}
		// The question names what goes.
		page := owner.get(sectionPath(cl.coffee, "campaigns", cp.ID))
		if q := page.doc.Find(`form:has([data-testid="delete-campaign"])`).AttrOr("data-confirm", ""); q != "Delete the campaign Double points Mondays?" {
			t.Errorf("delete campaign asks %q", q)
		}
		// Undoing needs no question: unblocking asks nothing.
		expectRedirect(t, owner.post(memberPath(cl.mo, "block"), nil), memberPath(cl.mo))
		if f := owner.get(memberPath(cl.mo)).doc.Find(`form:has([data-testid="unblock-member"])`); f.Length() != 1 || f.AttrOr("data-confirm", "") != "" {
			t.Errorf("unblock form: %d found, data-confirm %q", f.Length(), f.AttrOr("data-confirm", ""))
		}
	})
}
