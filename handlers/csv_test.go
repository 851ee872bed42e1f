package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// memberRecord is what an export must carry over to another merchant.
type memberRecord struct {
	Name, Email, Phone, Birthday string
	Marketing                    bool
	Tags                         string
	Balance                      int64
}

func (app *testApp) memberRecords(merchantID, programID int64) map[string]memberRecord {
	app.t.Helper()
	db := models.ForMerchant(app.db, merchantID)
	var members []models.Member
	if err := db.Order("id").Find(&members).Error; err != nil {
		app.t.Fatal(err)
	}
	out := map[string]memberRecord{}
	for _, m := range members {
		tags, err := models.MemberTags(db, m.ID)
		if err != nil {
			app.t.Fatal(err)
		}
		var acct models.Account
		db.Where("member_id = ? AND program_id = ?", m.ID, programID).Limit(1).Find(&acct)
		r := memberRecord{Name: m.Name, Email: m.Email, Phone: m.Phone, Marketing: m.MarketingOptIn,
			Tags: strings.Join(tags, ","), Balance: acct.Balance}
		if m.Birthday != nil {
			r.Birthday = *m.Birthday
		}
		out[m.Name] = r
	}
	return out
}

// csvCellsAreSafe checks a CSV the app wrote: no cell a spreadsheet would
// run (header included), and every cell holding a separator quoted.
func csvCellsAreSafe(t *testing.T, what, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	safe := regexp.MustCompile(`^[+-][0-9]+(\.[0-9]+)?$`)
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !safe.MatchString(cell) {
				t.Errorf("%s: cell %q would run as a formula", what, cell)
			}
			if strings.ContainsAny(cell, ",;\t|\"\n") && !strings.Contains(body, `"`+strings.ReplaceAll(cell, `"`, `""`)+`"`) {
				t.Errorf("%s: cell %q is not quoted", what, cell)
			}
		}
	}
	return recs
}

// Our export imports into a fresh merchant as it is: every member comes
// over with name, email, phone, birthday, marketing, tags and balance.
func TestExportImportsIntoAnotherMerchant(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		db := models.ForMerchant(app.db, s.acct.merchantID)
		actor := models.Actor{Name: "fixture"}
		now := time.Now()
		for i, in := range []models.MemberInput{
			{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+33 6 12 34 56 78", Birthday: "1985-12-10", MarketingOptIn: true},
			{Name: "Bob", Phone: "+4915123456789"},
			{Name: "=HYPERLINK(\"http://evil.example\")", Email: "f@example.com"},
			{Name: "Semi;=1+1", Email: "semi@example.com", Birthday: "1990-02-28"},
			{Name: "Pipe|=1+1", Email: "pipe@example.com"},
			{Name: "'Quoted' \"Name\", Jr", Email: "q@example.com"},
			{Name: "-Minus", Email: "m@example.com"},
			{Name: "Ümit Özdemir", Email: "umit@example.com", MarketingOptIn: true},
		} {
			m, err := models.EnrolMember(db, actor, in, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.SetMemberTags(db, actor, m.ID, []string{"vip, mornings", "", "=cmd|' /C calc'!A0", "", "", "", "", "a;b"}[i]); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := models.Adjust(db, actor, models.RoleOwner, models.AdjustInput{
					MemberID: m.ID, ProgramID: s.coffee.ID, Amount: strconv.Itoa(100 + i), Reason: "Goodwill",
				}, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := app.memberRecords(s.acct.merchantID, s.coffee.ID)

		export := s.staff.get("/members/export")
		expectStatus(t, export, http.StatusOK)
		recs := csvCellsAreSafe(t, "export", export.body)
		if !slices.Contains(recs[0], "tags") || !slices.Contains(recs[0], "balance") || len(recs) != len(want)+1 {
			t.Fatalf("export header %q, %d rows", recs[0], len(recs))
		}

		other := app.signUp("Other Shop", "other@example.com")
		p, err := models.CreateProgram(models.ForMerchant(app.db, other.merchantID), actor, models.ProgramInput{Name: "Points", Type: "points", EarnRate: "1", Status: "active"})
		if err != nil {
			t.Fatal(err)
		}
		res := other.owner.upload("/members/import", url.Values{"program_id": {strconv.FormatInt(p.ID, 10)}}, "members.csv", []byte(export.body))
		expectRedirect(t, res, "/members/imports/")
		done := waitForImport(t, other.owner, res.location())
		if got := done.text(`[data-testid="import-created"]`); got != strconv.Itoa(len(want)) {
			t.Fatalf("imported %s of %d; issues %q", got, len(want), rowTexts(done, `[data-testid="import-issue"]`))
		}
		got := app.memberRecords(other.merchantID, p.ID)
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%q imported as %+v, want %+v", name, got[name], w)
			}
		}
	})
}

// The rows to fix download, fixed in one cell, uploads again and imports
// the fixed rows; every CSV route writes safe cells.
func TestRowsToFixUploadAgain(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		content := "name,email,phone,birthday,=notes\n" +
			"Ada,ada@example,+33612345678,1985-12-10,Semi;=1+1\n" +
			"Bob,bob@example.com,+4915123456789,31/02/1990,\"Tab\t=1+1\"\n" +
			"=Eve,eve@example.com,+33698765432,,Pipe|=1+1\n"
		res := s.staff.upload("/members/import", url.Values{}, "old.csv", []byte(content))
		expectRedirect(t, res, "/members/imports/")
		jobPath := res.location()
		waitForImport(t, s.staff, jobPath)

		errs := s.staff.get(jobPath + "/errors.csv")
		expectStatus(t, errs, http.StatusOK)
		recs := csvCellsAreSafe(t, "errors.csv", errs.body)
		if len(recs) != 3 || recs[0][4] != "'=notes" || recs[1][2] != "+33612345678" {
			t.Fatalf("errors.csv = %q", recs)
		}
		fixed := strings.Replace(errs.body, "ada@example,", "ada@example.com,", 1)
		fixed = strings.Replace(fixed, "31/02/1990", "28/02/1990", 1)
		res = s.staff.upload("/members/import", url.Values{}, "old-errors.csv", []byte(fixed))
		expectRedirect(t, res, "/members/imports/")
		done := waitForImport(t, s.staff, res.location())
		if got := done.text(`[data-testid="import-created"]`); got != "2" {
			t.Fatalf("re-upload imported %s; issues %q", got, rowTexts(done, `[data-testid="import-issue"]`))
		}
		recsByName := app.memberRecords(s.acct.merchantID, s.coffee.ID)
		if ada := recsByName["Ada"]; ada.Email != "ada@example.com" || ada.Phone != "33612345678" || ada.Birthday != "1985-12-10" {
			t.Errorf("Ada = %+v", ada)
		}
		if bob := recsByName["Bob"]; bob.Phone != "4915123456789" || bob.Birthday != "1990-02-28" {
			t.Errorf("Bob = %+v", bob)
		}

		// Every route that writes CSV.
		for _, path := range []string{"/members/export", "/members/import/template.csv", jobPath + "/errors.csv"} {
			r := s.staff.get(path)
			expectStatus(t, r, http.StatusOK)
			csvCellsAreSafe(t, fmt.Sprint("GET ", path), r.body)
		}
	})
}
