package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

var churnFixture = models.Actor{Name: "Churn fixture"}

// lapsing gives a merchant three members, relative to the app's clock:
// Ada bought three times five days apart 120 days ago (overdue), Bob 50
// and 10 days ago (a 40-day rhythm: not overdue), Cy never bought.
type lapsing struct {
	db           *gorm.DB
	ada, bob, cy *models.Member
	adaLast      *time.Time
}

func newLapsing(t *testing.T, app *testApp, merchantID int64) lapsing {
	t.Helper()
	db := models.ForMerchant(app.db, merchantID)
	p, err := models.CreateProgram(db, churnFixture, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	now := app.clock.now()
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	phones := 0
	enrol := func(name, email string, at time.Time) *models.Member {
		phones++
		m, err := models.EnrolMember(db, churnFixture, models.MemberInput{Name: name, Email: email, Phone: fmt.Sprint("+33 6 11 22 33 4", phones)}, at)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	buy := func(m *models.Member, days int) {
		_, err := models.RecordPurchase(db, churnFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "10.00",
			IdempotencyKey: fmt.Sprint(m.ID, "-", days), ConfirmedLarge: true}, ago(days))
		if err != nil {
			t.Fatal(err)
		}
	}
	l := lapsing{db: db, ada: enrol("Ada Lovelace", "ada@example.com", ago(200)), bob: enrol("Bob Marley", "bob@example.com", ago(60))}
	for _, d := range []int{120, 115, 110} {
		buy(l.ada, d)
	}
	last := ago(110)
	l.adaLast = &last
	buy(l.bob, 50)
	buy(l.bob, 10)
	l.cy = enrol("Cy Twombly", "cy@example.com", ago(5))
	return l
}

func TestChurnReportPages(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		l := newLapsing(t, app, acct.merchantID)
		app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
		mia := app.login("mia@example.com")

		r := mia.get("/reports/churn?range=all")
		expectStatus(t, r, http.StatusOK)
		// Window 90: Bob (10 days ago) is active, Ada (110 days) lapsed.
		if got := r.text(`[data-testid="value-active"]`); got != "1" {
			t.Errorf("active members = %q, want 1 (Bob)", got)
		}
		if got := r.text(`[data-testid="value-overdue"]`); got != "1" {
			t.Errorf("overdue = %q, want 1 (Ada)", got)
		}
		rows := r.doc.Find(`[data-testid="overdue-row"]`)
		if rows.Length() != 1 || !strings.Contains(rows.Text(), "Ada Lovelace") || !strings.Contains(rows.Text(), "ada@example.com") ||
			!strings.Contains(rows.Text(), "30 points") {
			t.Errorf("overdue rows: %q", rows.Text())
		}
		if v, _ := r.doc.Find(`[data-testid="churn-window"]`).Attr("value"); v != "90" {
			t.Errorf("window input = %q", v)
		}
		for _, sel := range []string{`[data-testid="chart-churn-rate"]`, `[data-testid="table-months-table"]`, `[data-testid="csv-months"]`,
			`[data-testid="csv-buckets"]`, `[data-testid="csv-expansion"]`, `[data-testid="csv-overdue"]`, `.report-note`} {
			if !r.has(sel) {
				t.Errorf("churn page has no %s", sel)
			}
		}

		// A shorter window moves Bob to at risk and changes the CSV links.
		r = mia.get("/reports/churn?range=all&window=14")
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="value-at-risk"]`); got != "1" {
			t.Errorf("window 14: at risk = %q, want 1 (Bob, 10 days ago)", got)
		}
		if href, _ := r.doc.Find(`[data-testid="csv-months"]`).Attr("href"); !strings.Contains(href, "window=14") {
			t.Errorf("CSV link %q does not keep the window", href)
		}

		csv := mia.get("/reports/churn?range=all&window=14&format=csv&table=buckets")
		expectStatus(t, csv, http.StatusOK)
		if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("content type %q", ct)
		}
		want := "Last visit,Last purchase,Members\nActive,within 7 days,0\nAt risk,within 14 days,1\nLapsed,more than 14 days ago,1\nNever bought,none,1\n"
		if csv.body != want {
			t.Errorf("buckets CSV:\n%s\nwant\n%s", csv.body, want)
		}
		for _, table := range []string{"months", "expansion"} {
			csv := mia.get("/reports/churn?range=all&format=csv&table=" + table)
			expectStatus(t, csv, http.StatusOK)
			if !strings.Contains(csv.header.Get("Content-Disposition"), "churn-"+table) {
				t.Errorf("%s: disposition %q", table, csv.header.Get("Content-Disposition"))
			}
		}
		if first := strings.SplitN(mia.get("/reports/churn?range=all&format=csv&table=months").body, "\n", 2)[0]; first != "Month,Active at start,Churned,Churn rate" {
			t.Errorf("months CSV header %q", first)
		}
		// Days away are counted in Paris days, as the page counts them.
		paris, _ := time.LoadLocation("Europe/Paris")
		day := func(t time.Time) time.Time {
			y, m, d := t.In(paris).Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		away := int(day(app.clock.now()).Sub(day(*l.adaLast)).Hours() / 24)
		out := mia.get("/reports/churn/overdue.csv")
		expectStatus(t, out, http.StatusOK)
		lines := strings.Split(strings.TrimSpace(out.body), "\n")
		if len(lines) != 2 || lines[0] != "name,email,phone,last_visit,days_away,median_gap_days,away_over_gap,balance_Coffee Club" ||
			!strings.HasPrefix(lines[1], "Ada Lovelace,ada@example.com,") || !strings.HasSuffix(lines[1], fmt.Sprintf(",%d,5,%.2f,30", away, float64(away)/5)) {
			t.Errorf("overdue CSV:\n%s", out.body)
		}

		r = mia.get("/reports/retention?range=all")
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="value-repeat-rate"]`); got != "100.0%" {
			t.Errorf("repeat rate = %q, want 100.0%% (Ada and Bob both came back)", got)
		}
		if !r.has(`[data-testid="chart-cohorts"]`) || !r.has(`[data-testid="csv-cohorts"]`) || !r.has(`[data-testid="chart-repeat-drop-off"]`) {
			t.Errorf("retention page lacks the heat map or CSV links")
		}
		repeat := mia.get("/reports/retention?range=all&format=csv&table=repeat")
		expectStatus(t, repeat, http.StatusOK)
		if !strings.HasPrefix(repeat.body, "Purchases made,Members,Stopped there,Drop-off\n1,2,0,0.000000\n2,2,1,0.500000\n3,1,1,1.000000\n") {
			t.Errorf("repeat CSV:\n%s", repeat.body)
		}
		cohorts := mia.get("/reports/retention?range=all&format=csv&table=cohorts")
		expectStatus(t, cohorts, http.StatusOK)
		if !strings.HasPrefix(cohorts.body, "Cohort,Members,M0") {
			t.Errorf("cohorts CSV:\n%.300s", cohorts.body)
		}
	})
}

// Negative churn has a row per month, each against the month before:
// Dee spent 10.00 two months ago and 25.00 last month (more: 250%), and
// nothing yet this month (0% so far).
func TestChurnExpansionByMonth(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		db := models.ForMerchant(app.db, acct.merchantID)
		p, err := models.CreateProgram(db, churnFixture, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		paris, _ := time.LoadLocation("Europe/Paris")
		now := app.clock.now().In(paris)
		month := func(back int) time.Time {
			return time.Date(now.Year(), now.Month()-time.Month(back), 15, 12, 0, 0, 0, paris)
		}
		dee, err := models.EnrolMember(db, churnFixture, models.MemberInput{Name: "Dee", Email: "dee@example.com"}, month(3))
		if err != nil {
			t.Fatal(err)
		}
		for back, amount := range map[int]string{2: "10.00", 1: "25.00"} {
			_, err := models.RecordPurchase(db, churnFixture, models.PurchaseInput{ProgramID: p.ID, MemberID: dee.ID, Amount: amount,
				IdempotencyKey: fmt.Sprint("dee-", back), ConfirmedLarge: true}, month(back))
			if err != nil {
				t.Fatal(err)
			}
		}
		r := acct.owner.get("/reports/churn?range=all")
		expectStatus(t, r, http.StatusOK)
		if !r.has(`[data-testid="table-expansion-table"]`) {
			t.Fatal("no expansion table")
		}
		if got := r.text(`[data-testid="value-nrr"]`); got != "250.0%" {
			t.Errorf("net revenue retention of last month = %q, want 250.0%%", got)
		}
		if note := r.text(`[data-testid="section-expansion"] .report-note`); !strings.Contains(note, "compared with the month before") {
			t.Errorf("expansion note %q", note)
		}
		csv := acct.owner.get("/reports/churn?range=all&format=csv&table=expansion")
		expectStatus(t, csv, http.StatusOK)
		lines := strings.Split(strings.TrimSpace(csv.body), "\n")
		want := []string{
			"Month,Spent the month before,Bought again,Spent more,Moved up a tier,Spent more or moved up," +
				"Their spend the month before,Their spend this month,Net revenue retention",
			month(2).Format("2006-01") + ",0,0,0,0,0,0.00,0.00,",
			month(1).Format("2006-01") + ",1,1,1,0,1,10.00,25.00,2.500000",
			month(0).Format("2006-01") + ",1,0,0,0,0,25.00,0.00,0.000000",
		}
		if len(lines) < 4 || lines[0] != want[0] || !slices.Equal(lines[len(lines)-3:], want[1:]) {
			t.Errorf("expansion CSV:\n%s\nwant the last rows\n%s", csv.body, strings.Join(want, "\n"))
		}
	})
}

// Staff are refused every churn and retention route.
func TestChurnReportRoles(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		sam := app.login("sam@example.com")
		for _, path := range []string{"/reports/churn", "/reports/churn?format=csv&table=months", "/reports/churn/overdue.csv",
			"/reports/retention", "/reports/retention?format=csv&table=cohorts"} {
			expectStatus(t, sam.get(path), http.StatusForbidden)
		}
	})
}

// A bad window or page is answered on the page with what to change.
func TestChurnReportBadInput(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		l := newLapsing(t, app, acct.merchantID)
		for _, tc := range []struct{ query, want string }{
			{"window=0", "from 7 to 730"},
			{"window=100000", "from 7 to 730"},
			{"window=ninety", `"ninety" is not`},
			{"window=30&after=abc", "start from the first page"},
			{"window=30&after=-4", "start from the first page"},
		} {
			r := acct.owner.get("/reports/churn?" + tc.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if got := r.text(`[data-testid="report-error"]`); !strings.Contains(got, tc.want) {
				t.Errorf("%s: message %q, want %q", tc.query, got, tc.want)
			}
			if !r.has(`[data-testid="report-range-form"]`) || r.has(`[data-testid="churn-stats"]`) {
				t.Errorf("%s: the page should keep the range form and leave out the figures", tc.query)
			}
		}
		// Cy never bought: not on the list, so not a page of it.
		expectStatus(t, acct.owner.get(fmt.Sprintf("/reports/churn?after=%d", l.cy.ID)), http.StatusNotFound)
	})
}

// Another merchant's members appear nowhere, and naming one is a 404.
func TestChurnReportTenantIsolation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		mine := app.signUp("Corner Café", "olive@example.com")
		l := newLapsing(t, app, mine.merchantID)
		other := app.signUp("Other Shop", "otto@example.com")
		newLapsing(t, app, other.merchantID)
		r := other.owner.get("/reports/churn?range=all")
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="value-overdue"]`); got != "1" {
			t.Errorf("other shop's overdue = %q, want its own 1", got)
		}
		expectStatus(t, other.owner.get(fmt.Sprintf("/reports/churn?after=%d", l.ada.ID)), http.StatusNotFound)
		expectStatus(t, other.owner.get(fmt.Sprintf("/reports/churn?format=csv&table=months&after=%d", l.ada.ID)), http.StatusNotFound)
		out := other.owner.get("/reports/churn/overdue.csv")
		if strings.Count(out.body, "Ada Lovelace") != 1 {
			t.Errorf("other shop's overdue CSV:\n%s", out.body)
		}
		// Each shop's page counts its own three members.
		for _, acct := range []*account{mine, other} {
			csv := acct.owner.get("/reports/churn?range=all&format=csv&table=buckets")
			if !strings.Contains(csv.body, "Never bought,none,1\n") || !strings.Contains(csv.body, "Lapsed,more than 90 days ago,1\n") {
				t.Errorf("buckets of %s:\n%s", acct.email, csv.body)
			}
		}
	})
}

// A refused window is drawn again as typed, with why beside it, and the
// rest of the page's address is kept for the next try.
func TestChurnReportRefusedWindowIsRedrawn(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		newLapsing(t, app, acct.merchantID)
		for _, typed := range []string{"0", "100000", "ninety", "6"} {
			r := acct.owner.get("/reports/churn?range=all&window=" + typed)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			input := r.doc.Find(`[data-testid="churn-window-form"] [data-testid="churn-window"]`)
			if v, _ := input.Attr("value"); v != typed {
				t.Errorf("%s: the window input shows %q", typed, v)
			}
			if inv, _ := input.Attr("aria-invalid"); inv != "true" {
				t.Errorf("%s: the window input is not marked invalid", typed)
			}
			if by, _ := input.Attr("aria-describedby"); by == "" || !r.has("#"+by+`[data-testid="error-window"]`) {
				t.Errorf("%s: the input is described by %q, not its error", typed, by)
			}
			if got := r.text(`[data-testid="error-window"]`); !strings.Contains(got, "from 7 to 730") || !strings.Contains(got, `"`+typed+`"`) {
				t.Errorf("%s: error beside the window %q", typed, got)
			}
			if v, _ := r.doc.Find(`[data-testid="churn-window-form"] input[type="hidden"][name="range"]`).Attr("value"); v != "all" {
				t.Errorf("%s: the form keeps range=%q, want all", typed, v)
			}
			if r.has(`[data-testid="churn-stats"]`) || r.has(`[data-testid="table-overdue"]`) {
				t.Errorf("%s: a refused window still shows figures", typed)
			}
		}
		csv := acct.owner.get("/reports/churn?range=all&window=0&format=csv&table=months")
		expectStatus(t, csv, http.StatusUnprocessableEntity)
		// A good window draws the form without an error.
		r := acct.owner.get("/reports/churn?range=all&window=30")
		expectStatus(t, r, http.StatusOK)
		if r.has(`[data-testid="error-window"]`) || r.has(`[data-testid="churn-window"][aria-invalid]`) {
			t.Error("a good window is marked as refused")
		}
	})
}
