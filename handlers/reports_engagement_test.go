package handlers_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// engagementShop is the sections shop with a little activity in Coffee
// Club two days ago: Ada buys 450.00 (450 points, 50 from Gold), reviews
// (+10) and is credited 7 by the owner; the reward costs 500.
type engagementFixture struct {
	*shop
	ada    *models.Member
	review *models.EarningRule
}

func (app *testApp) engagementShop() engagementFixture {
	t := app.t
	t.Helper()
	s := app.shop()
	db := models.ForMerchant(app.db, s.acct.merchantID)
	at := app.clock.now().Add(-48 * time.Hour)
	actor := models.Actor{UserID: s.acct.ownerID, Name: "Olive Owner"}
	review, err := models.SaveEarningRule(db, actor, s.coffee.ID, 0, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "10", Cap: "once", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveReward(db, actor, s.coffee.ID, 0, models.RewardInput{Name: "Mug", Type: "free_item", Cost: "500"}); err != nil {
		t.Fatal(err)
	}
	ada, err := models.EnrolMember(db, actor, models.MemberInput{Name: "Ada", Email: "ada@example.com"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: s.coffee.ID, MemberID: ada.ID, Amount: "450.00",
		IdempotencyKey: "e1", ConfirmedLarge: true}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := models.AwardAction(db, actor, ada.ID, s.coffee.ID, review.ID, "", at); err != nil {
		t.Fatal(err)
	}
	if _, err := models.Adjust(db, actor, models.RoleOwner, models.AdjustInput{MemberID: ada.ID, ProgramID: s.coffee.ID,
		Amount: "7", Reason: "Goodwill"}, at); err != nil {
		t.Fatal(err)
	}
	return engagementFixture{shop: s, ada: ada, review: review}
}

// A manager sees the page with its figures, opens a rule, pages through
// nothing, and downloads every table; staff are refused page and CSV.
func TestEngagementReportPage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.engagementShop()
		base := fmt.Sprintf("/reports/engagement?range=30d&program=%d", s.coffee.ID)
		r := s.manager.get(base + "&tier_within=100&reward_within=40")
		expectStatus(t, r, http.StatusOK)
		for id, want := range map[string]string{"earned": "460", "redeemed": "0", "completions": "1", "adjustments": "1", "earning-rate": "100%"} {
			if got := r.text(`[data-testid="value-` + id + `"]`); got != want {
				t.Errorf("figure %s = %q, want %q", id, got, want)
			}
		}
		// Ada has 467 lifetime: 33 from Gold (500), and 33 from the Mug.
		for _, list := range []string{"near-tier", "near-reward"} {
			row := r.doc.Find(`[data-testid="rows-` + list + `"] [data-testid="table-row"]`)
			if cells := row.Children(); row.Length() != 1 || cells.Eq(0).Text() != "Ada" || cells.Eq(1).Text() != "33" {
				t.Errorf("%s rows = %q", list, row.Text())
			}
		}
		link, ok := r.doc.Find(`[data-testid="rows-rules"] a`).First().Attr("href")
		if !ok || !strings.Contains(link, fmt.Sprintf("rule=%d", s.review.ID)) {
			t.Fatalf("rule link = %q", link)
		}
		rule := s.manager.get(link)
		expectStatus(t, rule, http.StatusOK)
		if !rule.has(`[data-testid="report-table-rule-weeks"]`) || !rule.has(`[data-testid="chart-rule-weeks-chart"]`) {
			t.Errorf("the rule's weeks are not shown")
		}
		tables := []string{"activity", "points", "earning-rate", "rules", "referrers", "adjustments", "near-tier", "near-reward"}
		for _, table := range tables {
			if !r.has(`[data-testid="csv-` + table + `"]`) {
				t.Errorf("no CSV link for %s", table)
			}
			csv := s.manager.get(base + "&tier_within=100&reward_within=40&format=csv&table=" + table)
			expectStatus(t, csv, http.StatusOK)
			if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || len(csvCellsAreSafe(t, table, csv.body)) < 1 {
				t.Errorf("%s CSV: %s %q", table, csv.header.Get("Content-Type"), csv.body)
			}
		}
		adjustments := csvCellsAreSafe(t, "adjustments", s.manager.get(base+"&format=csv&table=adjustments").body)
		if fmt.Sprint(adjustments) != "[[Person Adjustments Credited Debited Net] [Olive Owner 1 7 0 7]]" {
			t.Errorf("adjustments CSV = %q", adjustments)
		}
		near := csvCellsAreSafe(t, "near-tier", s.manager.get(base+"&tier_within=100&format=csv&table=near-tier").body)
		if len(near) != 2 || fmt.Sprint(near[1]) != "[Ada 33 Gold 467 500 ada@example.com  no]" {
			t.Errorf("near-tier CSV = %q", near)
		}
		expectStatus(t, s.manager.get(link+"&format=csv&table=rule-weeks"), http.StatusOK)

		if r.has(`[data-testid="section-recognition"]`) {
			t.Error("recognition's figures show while recognition is off")
		}
		expectStatus(t, s.staff.get(base), http.StatusForbidden)
		expectStatus(t, s.staff.get(base+"&format=csv&table=near-reward"), http.StatusForbidden)
		if s.staff.get("/dashboard").has(`a[href^="/reports/engagement"]`) {
			t.Error("staff see a link to the engagement report")
		}
	})
}

// With recognition on, the page shows who of those allowed took part and
// the allowance used, each with how it is computed, and the pairs as CSV.
func TestEngagementReportRecognition(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s, gold, _ := app.recognitionShop()
		key, _ := s.manager.get("/recognition").doc.Find(`[data-testid="give-form"] input[name="idempotency_key"]`).Attr("value")
		expectRedirect(t, s.manager.post("/recognition", giveForm("m:"+strconv.FormatInt(gold.ID, 10), "30", "Thanks for the kind words!", key)), "/recognition")

		base := fmt.Sprintf("/reports/engagement?range=30d&program=%d", s.coffee.ID)
		r := s.manager.get(base)
		expectStatus(t, r, http.StatusOK)
		// Givers: the owner and the manager (staff observe); receivers: the
		// owner and the one Gold member.
		for id, want := range map[string]string{"recognition-givers": "50%", "recognition-receivers": "50%", "recognition-allowance": "15%"} {
			if got := r.text(`[data-testid="value-` + id + `"]`); got != want {
				t.Errorf("figure %s = %q, want %q", id, got, want)
			}
		}
		if note := r.text(`[data-testid="section-recognition"]`); !strings.Contains(note, "30 of 200 points this month") ||
			!strings.Contains(note, "each allowed giver's monthly allowance (their role's, where set; else 100)") {
			t.Errorf("allowance note = %q", note)
		}
		csv := csvCellsAreSafe(t, "recognition-pairs", s.manager.get(base+"&format=csv&table=recognition-pairs").body)
		if fmt.Sprint(csv) != "[[Person Gave Person Gave back]]" {
			t.Errorf("pairs CSV = %q", csv)
		}
	})
}

// Another merchant's program or rule, or a rule of another program, is
// not found; bad input is answered on the page with what to change.
func TestEngagementReportRefusals(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.engagementShop()
		other := app.signUp("Other Shop", "other@example.com")
		odb := models.ForMerchant(app.db, other.merchantID)
		theirs, err := models.CreateProgram(odb, models.Actor{Name: "fixture"}, models.ProgramInput{Name: "Theirs", Type: "points", EarnRate: "1", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		theirRule, err := models.SaveEarningRule(odb, models.Actor{Name: "fixture"}, theirs.ID, 0,
			models.EarningRuleInput{Kind: "action", Name: "Theirs", Points: "1", Cap: "once", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			fmt.Sprintf("program=%d", theirs.ID),
			fmt.Sprintf("program=%d&format=csv&table=near-reward", theirs.ID),
			fmt.Sprintf("program=%d&rule=%d", s.coffee.ID, theirRule.ID),
			fmt.Sprintf("program=%d&rule=%d", s.tea.ID, s.review.ID),
			fmt.Sprintf("program=%d&format=csv&table=nothing", s.coffee.ID),
			"program=coffee",
		} {
			expectStatus(t, s.manager.get("/reports/engagement?"+q), http.StatusNotFound)
		}
		for _, c := range []struct{ query, want string }{
			{"tier_within=0", "The distance to the next tier must be a whole number from 1 to 100,000,000"},
			{"reward_within=lots", `"lots" is not`},
			{"reward_within=100000001", "from 1 to 100,000,000"},
			{"tier_page=0", "The page of the list near the next tier must be a whole number"},
			{"rule=-3", "Choose a rule from the list of rules"},
			{"range=forever", `There is no range called "forever"`},
		} {
			r := s.manager.get("/reports/engagement?" + c.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if got := r.text(`[data-testid="report-error"]`); !strings.Contains(got, c.want) {
				t.Errorf("%s: %q, want %q", c.query, got, c.want)
			}
		}
		// A program with no tiers above the base and no rewards says so.
		r := s.manager.get(fmt.Sprintf("/reports/engagement?program=%d", s.tea.ID))
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(r.text(`[data-testid="near-tier-unavailable"]`), "no tier above") ||
			!strings.Contains(r.text(`[data-testid="near-reward-unavailable"]`), "No reward") {
			t.Errorf("tea's goal lists: %q / %q", r.text(`[data-testid="near-tier-unavailable"]`), r.text(`[data-testid="near-reward-unavailable"]`))
		}
	})
}
