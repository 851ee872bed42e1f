package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// econShop gives acct a points program worth 0.01 EUR a point and a small
// history two days ago: Ada buys 20.00 (20 points) and redeems a 10-point
// coffee worth 2.50; a non-member buys 5.00.
func econShop(t *testing.T, app *testApp, acct *account) *models.Program {
	t.Helper()
	db := models.ForMerchant(app.db, acct.merchantID)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := models.CreateProgram(db, cafeFixture, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1",
		Status: "active", PointValue: "0.01"})
	must(err)
	r, err := models.SaveReward(db, cafeFixture, p.ID, 0, models.RewardInput{Name: "Free coffee", Type: "free_item", Cost: "10", Value: "2.50"})
	must(err)
	at := app.clock.now().Add(-48 * time.Hour)
	m, err := models.EnrolMember(db, cafeFixture, models.MemberInput{Name: "Ada"}, at)
	must(err)
	_, err = models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "20.00", IdempotencyKey: "e1"}, at)
	must(err)
	_, err = models.RecordPurchase(db, cafeFixture, models.PurchaseInput{ProgramID: p.ID, Amount: "5.00", IdempotencyKey: "e2"}, at)
	must(err)
	_, err = models.Redeem(db, cafeFixture, models.RedeemInput{MemberID: m.ID, ProgramID: p.ID, RewardID: r.ID, IdempotencyKey: "e3"}, at)
	must(err)
	return p
}

// Managers and owners read the page and its CSVs; staff are refused both.
func TestEconomicsReportRoles(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		econShop(t, app, acct)
		app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
		app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		for _, c := range []*client{acct.owner, app.login("mia@example.com")} {
			r := c.get("/reports/economics")
			expectStatus(t, r, http.StatusOK)
			if got := r.text(`[data-testid="value-outstanding"]`); got != "10 points" {
				t.Errorf("outstanding = %q\n%.800s", got, r.body)
			}
			if got := r.text(`[data-testid="value-liability"]`); got != "0.10 EUR" {
				t.Errorf("liability = %q", got)
			}
			if got := r.text(`[data-testid="value-rewards-cost"]`); got != "2.50 EUR" {
				t.Errorf("cost of rewards = %q", got)
			}
			if !r.has(`a[data-testid="csv-statement"]`) || !r.has(`.report-note`) {
				t.Errorf("no CSV link or note")
			}
			expectStatus(t, c.get("/reports/economics?format=csv&table=statement"), http.StatusOK)
		}
		sam := app.login("sam@example.com")
		expectStatus(t, sam.get("/reports/economics"), http.StatusForbidden)
		expectStatus(t, sam.get("/reports/economics?format=csv&table=statement"), http.StatusForbidden)
	})
}

// Another merchant's program is a 404, page and CSV; a merchant sees only
// its own figures.
func TestEconomicsReportTenantIsolation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		a := app.signUp("Corner Café", "olive@example.com")
		b := app.signUp("Other Bakery", "bea@example.com")
		pb := econShop(t, app, b)
		for _, path := range []string{"/reports/economics?program=%d", "/reports/economics?program=%d&format=csv&table=aging"} {
			expectStatus(t, a.owner.get(fmt.Sprintf(path, pb.ID)), http.StatusNotFound)
		}
		db := models.ForMerchant(app.db, a.merchantID)
		pa, err := models.CreateProgram(db, cafeFixture, models.ProgramInput{Name: "Beans", Type: "points", EarnRate: "1", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.CreateProgram(db, cafeFixture, models.ProgramInput{Name: "Tea", Type: "points", EarnRate: "1", Status: "draft"}); err != nil {
			t.Fatal(err)
		}
		r := a.owner.get("/reports/economics")
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="value-outstanding"]`); got != "0 points" {
			t.Errorf("A sees %q outstanding", got)
		}
		// A's two programs are offered, the active one chosen; B's is not.
		if got := r.text(`[data-testid="program-choice"][aria-current]`); got != pa.Name {
			t.Errorf("chosen program %q, want %q", got, pa.Name)
		}
		if n := r.doc.Find(`[data-testid="program-choice"]`).Length(); n != 2 {
			t.Errorf("%d programs offered, want 2", n)
		}
		if r.has(fmt.Sprintf(`[data-testid="program-choice"][href*="program=%d"]`, pb.ID)) {
			t.Errorf("B's program is offered to A")
		}
	})
}

// Bad input is answered on the page with what to do, and no program yet
// is said so.
func TestEconomicsReportBadInput(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.get("/reports/economics")
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(r.text(`[data-testid="economics-empty"]`), "There is no program yet") {
			t.Errorf("no program: %.600s", r.body)
		}
		econShop(t, app, acct)
		for _, tc := range []struct{ query, want string }{
			{"range=forever", `There is no range called "forever"`},
			{"from=2026-03-01&to=2026-02-01", "is after the end date"},
		} {
			r := acct.owner.get("/reports/economics?" + tc.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if got := r.text(`[data-testid="report-error"]`); !strings.Contains(got, tc.want) {
				t.Errorf("%s: message %q, want %q", tc.query, got, tc.want)
			}
			if r.has(`[data-testid="economics-figures"]`) || !r.has(`[data-testid="report-range-form"]`) {
				t.Errorf("%s: figures shown or form missing", tc.query)
			}
		}
		// A program that is not one of the merchant's is not found, as on
		// the other report pages.
		for _, q := range []string{"program=abc", "program=99999999999999999999", "program=-3", "format=csv&table=nothing"} {
			expectStatus(t, acct.owner.get("/reports/economics?"+q), http.StatusNotFound)
		}
	})
}

// Every table downloads as CSV with every digit.
func TestEconomicsReportCSV(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		p := econShop(t, app, acct)
		month := app.clock.now().Add(-48 * time.Hour).In(mustLoad(t, "Europe/Paris")).Format("2006-01")
		for _, tc := range []struct {
			table string
			head  []string
			row   []string // one of its rows
		}{
			{"aging", []string{"Earned", "Outstanding points", "Value (EUR)"}, []string{"0–3 months", "10", "0.10"}},
			{"statement", []string{"Month", "Opening", "Issued", "Reversed", "Redeemed", "Expired", "Closing"},
				[]string{month, "0", "20", "0", "10", "0", "10"}},
			{"statement-money", []string{"Month", "Opening (EUR)", "Issued (EUR)", "Reversed (EUR)", "Redeemed (EUR)", "Expired (EUR)", "Closing (EUR)"},
				[]string{month, "0.00", "0.20", "0.00", "0.10", "0.00", "0.10"}},
			{"segments", []string{"Segment", "Customers", "Purchases", "Revenue (EUR)", "Average order (EUR)", "Purchases per customer", "Spend per customer (EUR)"},
				[]string{"Members who redeemed", "1", "1", "20.00", "20.00", "1", "20.00"}},
			{"rewards", []string{"Reward", "Redemptions", "Spent (points)", "Cost (EUR)"}, []string{"Free coffee", "1", "10", "2.50"}},
		} {
			r := acct.owner.get(fmt.Sprintf("/reports/economics?range=all&program=%d&format=csv&table=%s", p.ID, tc.table))
			expectStatus(t, r, http.StatusOK)
			if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "economics-"+tc.table+"-") {
				t.Errorf("%s: Content-Disposition %q", tc.table, cd)
			}
			rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
			if err != nil || len(rows) < 2 {
				t.Fatalf("%s: %v\n%s", tc.table, err, r.body)
			}
			if !slices.Equal(rows[0], tc.head) || !slices.ContainsFunc(rows[1:], func(row []string) bool { return slices.Equal(row, tc.row) }) {
				t.Errorf("%s:\n%s\nwant header %v and row %v", tc.table, r.body, tc.head, tc.row)
			}
		}
		// The non-member row leaves the customers blank: nobody to count.
		r := acct.owner.get(fmt.Sprintf("/reports/economics?program=%d&format=csv&table=segments", p.ID))
		if !strings.Contains(r.body, "\nNon-members,,1,5.00,5.00,,\n") {
			t.Errorf("segments:\n%s", r.body)
		}
	})
}

func mustLoad(t *testing.T, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
