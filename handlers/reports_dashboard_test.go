package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

// dashboardShop is a café with a program, a member who bought and
// redeemed, and an anonymous sale, all today.
type dashboardShop struct {
	acct    *account
	program *models.Program
	stamps  *models.Program
}

func newDashboardShop(t *testing.T, app *testApp, email string) dashboardShop {
	t.Helper()
	acct := app.signUp("Corner Café", email)
	db := models.ForMerchant(app.db, acct.merchantID)
	actor, now := models.Actor{Name: "fixture"}, app.clock.now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := models.CreateProgram(db, actor, models.ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active", PointValue: "0.01"})
	must(err)
	stamps, err := models.CreateProgram(db, actor, models.ProgramInput{Name: "Stamp Card", Type: "stamps", StampsPerCard: "10", Status: "active"})
	must(err)
	_, err = models.CreateTier(db, actor, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
	must(err)
	reward, err := models.SaveReward(db, actor, p.ID, 0, models.RewardInput{Name: "Coffee", Type: "free_item", Cost: "10", Value: "3.00"})
	must(err)
	m, err := models.EnrolMember(db, actor, models.MemberInput{Name: "Mo Member"}, now)
	must(err)
	_, err = models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "12.00", IdempotencyKey: "d1"}, now)
	must(err)
	_, err = models.RecordPurchase(db, actor, models.PurchaseInput{ProgramID: p.ID, Amount: "5.00", IdempotencyKey: "d2"}, now)
	must(err)
	_, err = models.Redeem(db, actor, models.RedeemInput{MemberID: m.ID, ProgramID: p.ID, RewardID: reward.ID}, now)
	must(err)
	return dashboardShop{acct: acct, program: p, stamps: stamps}
}

// The dashboard shows the figures of the range in the merchant's program,
// and each of its tables downloads as CSV with the same numbers.
func TestDashboardReportFiguresAndCSV(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		shop := newDashboardShop(t, app, "olive@example.com")
		owner := shop.acct.owner
		r := owner.get("/dashboard")
		expectStatus(t, r, http.StatusOK)
		for id, want := range map[string]string{
			"members": "1", "new-members": "1", "active-30": "1", "revenue": "17.00 EUR", "member-revenue": "12.00 EUR",
			"non-member-revenue": "5.00 EUR", "purchases": "2", "membership-rate": "50.0%",
			"issued": "12", "redeemed": "10", "expired": "0", "redemption-rate": "83.3%", "outstanding": "2", "liability": "0.02 EUR",
		} {
			if got := r.text(`[data-testid="value-` + id + `"]`); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		if got := r.text(`[data-testid="change-revenue"]`); got != "▲ 17.00 EUR (none before)" {
			t.Errorf("revenue change %q", got)
		}
		if !r.has(`[data-testid="figure-issued"] svg.sparkline`) || !strings.Contains(r.text(`[data-testid="figure-issued"] .report-note`), "clawed back") {
			t.Error("the issued figure lacks its trend or its note")
		}
		if got := r.text(`[data-testid="report-table-rewards"] tbody tr`); !strings.Contains(got, "Coffee") {
			t.Errorf("top rewards %q", got)
		}
		if got := r.text(`[data-testid="report-table-tiers"] tbody tr`); !strings.Contains(got, "+1") {
			t.Errorf("tiers %q, want Bronze +1", got)
		}
		// Every table's CSV link, as the page draws it.
		for _, table := range []string{"figures", "trend", "tiers", "rewards"} {
			href, ok := r.doc.Find(`[data-testid="csv-` + table + `"]`).Attr("href")
			if !ok {
				t.Fatalf("no CSV link for %s", table)
			}
			csv := owner.get(href)
			expectStatus(t, csv, http.StatusOK)
			if ct := csv.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("%s: content type %q", table, ct)
			}
			if cd := csv.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="dashboard-`+table+`-`) {
				t.Errorf("%s: disposition %q", table, cd)
			}
			lines := strings.Split(strings.TrimSpace(csv.body), "\n")
			want := map[string][]string{
				"figures": {"Figure,Range,Previous period", "Revenue (EUR),17.00,0.00", "Membership rate (%),50.00,", "Liability (EUR),0.02,0.00"},
				"tiers":   {"Tier,Members,Previous period,Change", "Bronze,1,0,1"},
				"rewards": {"Reward,Redemptions,Previous period,Points spent,Value (EUR)", "Coffee,1,0,10,3.00"},
				"trend": {"Days,New members,Members,Active (30 days),Active (90 days),Purchases,By members,Revenue (EUR),From members (EUR)," +
					"Issued,Redeemed,Expired,Outstanding"},
			}[table]
			for _, w := range want {
				if !strings.Contains(csv.body, w+"\n") {
					t.Errorf("%s CSV lacks %q:\n%s", table, w, csv.body)
				}
			}
			if table == "trend" && len(lines) != 31 {
				t.Errorf("trend CSV has %d lines, want a header and 30 days", len(lines))
			}
			// The member who bought today is active over both windows today
			// only: no one was before.
			if table == "trend" {
				for i, line := range lines[1:] {
					active := strings.Split(line, ",")[3:5]
					if want := map[bool]string{true: "1,1", false: "0,0"}[i == len(lines)-2]; strings.Join(active, ",") != want {
						t.Errorf("trend row %q: active %v, want %s", line, active, want)
					}
				}
			}
		}
	})
}

// The points figures follow the program chosen, one of the merchant's
// own: another merchant's program, or a made-up one, is a 404, page and
// CSV alike.
func TestDashboardReportProgramChoice(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		shop := newDashboardShop(t, app, "olive@example.com")
		other := newDashboardShop(t, app, "rival@example.com")
		owner := shop.acct.owner
		r := owner.get("/reports?range=7d")
		if got := r.text(`[data-testid="program-choice"][aria-current]`); got != "Coffee Club" {
			t.Errorf("chosen program %q, want the default", got)
		}
		href, _ := r.doc.Find(`[data-testid="program-choice"]:not([aria-current])`).Attr("href")
		if want := fmt.Sprintf("/reports?program=%d&range=7d", shop.stamps.ID); href != want {
			t.Fatalf("the other program's link %q, want %q", href, want)
		}
		r = owner.get(href)
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="value-issued"]`); got != "0" || !strings.Contains(r.text(`[data-testid="group-points"]`), "In Stamp Card.") {
			t.Errorf("in the stamp card: issued %q", got)
		}
		if v, _ := r.doc.Find(`[data-testid="report-range-form"] input[name="program"]`).Attr("value"); v != fmt.Sprint(shop.stamps.ID) {
			t.Errorf("the range form does not keep the program: %q", v)
		}
		for _, path := range []string{
			fmt.Sprintf("/reports?program=%d", other.program.ID),
			fmt.Sprintf("/dashboard?program=%d&format=csv&table=figures", other.program.ID),
			"/reports?program=abc", "/reports?program=99999999999999999999",
		} {
			expectStatus(t, owner.get(path), http.StatusNotFound)
		}
	})
}

// A business without a program sees its people and sales, and an owner
// is told where to start.
func TestDashboardReportWithoutProgram(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.get("/dashboard")
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="value-revenue"]`); got != "0.00 EUR" || !r.has(`[data-testid="no-program"] a[href="/programs"]`) {
			t.Errorf("revenue %q; no pointer to create a program:\n%.800s", got, r.text(`[data-testid="dashboard-stats"]`))
		}
		expectStatus(t, acct.owner.get("/reports?format=csv&table=tiers"), http.StatusNotFound)
		expectStatus(t, acct.owner.get("/reports?format=csv&table=figures"), http.StatusOK)
	})
}
