package handlers_test

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// upload posts the import form with a file, as a browser does.
func (c *client) upload(path string, form url.Values, fileName string, content []byte) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/login")
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	form.Set("_csrf", c.csrf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if fileName != "" {
		part, err := w.CreateFormFile("file", fileName)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = part.Write(content)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.app.srv.URL+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

// waitForImport polls the progress fragment as the page's htmx does,
// until the import is finished, and returns the last answer.
func waitForImport(t *testing.T, c *client, path string) *response {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res := c.hxGet(path)
		expectStatus(t, res, http.StatusOK)
		status, _ := res.doc.Find(`[data-testid="import-progress"]`).Attr("data-status")
		if status == "done" || status == "failed" {
			if res.has(`[data-testid="import-progress"][hx-trigger]`) {
				t.Error("a finished import still polls")
			}
			return res
		}
		if !res.has(`[data-testid="import-progress"][hx-trigger="every 1s"]`) {
			t.Fatalf("a %q import does not poll for progress", status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %q after 60 s", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportMembersThroughThePage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		page := s.staff.get("/members/import")
		expectStatus(t, page, http.StatusOK)
		if got := rowTexts(page, `select[name="program_id"] option`); len(got) != 3 || got[0] != "No balances in this file" {
			t.Errorf("balance programs offered = %v, want none + Coffee Club + Tea Club", got)
		}
		tmpl := s.staff.get("/members/import/template.csv")
		expectStatus(t, tmpl, http.StatusOK)
		if !strings.HasPrefix(tmpl.body, "name,email,phone,birthday,marketing,tags,balance\n") {
			t.Errorf("template starts %q", tmpl.body[:min(len(tmpl.body), 60)])
		}

		content := "name,email,phone,balance,notes\n" +
			"Ada Lovelace,ada@example.com,06 12 34 56 78,500,regular\n" +
			"Bob,bob@example,,10,\n" +
			"=Formula,f@example.com,,x,\n" +
			"Ada Again,ADA@example.com,,5,\n"
		res := s.staff.upload("/members/import", url.Values{"program_id": {strconv.FormatInt(s.coffee.ID, 10)}, "country_code": {"33"}},
			"old-program.csv", []byte(content))
		expectRedirect(t, res, "/members/imports/")
		jobPath := res.location()

		full := s.staff.get(jobPath)
		expectStatus(t, full, http.StatusOK)
		if !strings.Contains(full.text("h1"), "old-program.csv") || !full.has(`[data-testid="import-bar"]`) {
			t.Errorf("progress page: h1 %q, bar %v", full.text("h1"), full.has(`[data-testid="import-bar"]`))
		}
		if got := full.text(`.flash, [role="status"]`); got != "" && !strings.Contains(got, "Importing 4 rows of old-program.csv") {
			t.Errorf("flash = %q", got)
		}

		done := waitForImport(t, s.staff, jobPath)
		for sel, want := range map[string]string{
			"import-created": "1", "import-duplicates": "1", "import-errors": "2", "import-opening": "500",
		} {
			if got := done.text(`[data-testid="` + sel + `"]`); got != want {
				t.Errorf("%s = %q, want %q", sel, got, want)
			}
		}
		if got := done.text(`[data-testid="import-ignored"]`); !strings.Contains(got, "notes") {
			t.Errorf("ignored columns say %q, want notes", got)
		}
		issues := rowTexts(done, `[data-testid="import-issue"]`)
		if len(issues) != 3 || !strings.HasPrefix(issues[0], "3 Email:") || !strings.HasPrefix(issues[1], "4 Balance:") ||
			!strings.Contains(issues[2], "duplicate Already a member: Ada Lovelace") {
			t.Errorf("issues = %q", issues)
		}

		// The member is here, with the balance brought over and the tier
		// it reaches.
		db := models.ForMerchant(app.db, s.acct.merchantID)
		var ada models.Member
		if err := db.Where("email = ?", "ada@example.com").Take(&ada).Error; err != nil {
			t.Fatal(err)
		}
		if ada.Phone != "33612345678" {
			t.Errorf("Ada's phone = %q", ada.Phone)
		}
		member := s.staff.get("/members/" + strconv.FormatInt(ada.ID, 10))
		if got := member.text(`[data-testid="ledger"]`); !strings.Contains(got, "Opening balance") {
			t.Errorf("Ada's ledger shows %q, want the opening balance", got)
		}
		if !strings.Contains(member.body, "Gold") {
			t.Error("Ada's 500 points do not reach Gold (500) on her page")
		}

		// The rows with errors, to fix and upload again.
		errs := s.staff.get(jobPath + "/errors.csv")
		expectStatus(t, errs, http.StatusOK)
		recs, err := csv.NewReader(strings.NewReader(errs.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || strings.Join(recs[0], ",") != "name,email,phone,balance,notes,error" ||
			recs[1][1] != "bob@example" || recs[2][0] != "'=Formula" || !strings.HasPrefix(recs[2][5], "Balance:") {
			t.Errorf("errors.csv = %q", recs)
		}

		// The import page lists it; the audit log names who did it.
		list := s.staff.get("/members/import")
		if got := rowTexts(list, `[data-testid="import-row"]`); len(got) != 1 || !strings.Contains(got[0], "old-program.csv done 1 1 2 Sam Staff") {
			t.Errorf("latest imports = %q", got)
		}
		audit := s.acct.owner.get("/settings/audit?what=import")
		if got := audit.body; !strings.Contains(got, "Imported 1 members from old-program.csv") {
			t.Error("the audit log does not show the import")
		}
	})
}

func TestImportRefusesWhatItCannotRead(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		coffee := strconv.FormatInt(s.coffee.ID, 10)
		for _, tc := range []struct {
			name, file, content string
			form                url.Values
			field, text         string
		}{
			{"no file", "", "", url.Values{}, "file", "Choose a CSV file"},
			{"no name column", "x.csv", "email\na@example.com\n", url.Values{}, "file", "one must be name"},
			{"header not UTF-8", "x.csv", "nam\xe9\nJos\n", url.Values{}, "file", "CSV UTF-8"},
			{"balances without a program", "x.csv", "name,points\nAda,5\n", url.Values{}, "program_id", "choose the program"},
			{"a made-up program", "x.csv", "name,points\nAda,5\n", url.Values{"program_id": {"abc"}}, "program_id", "Choose one of your programs"},
			{"an unknown program", "x.csv", "name,points\nAda,5\n", url.Values{"program_id": {"999999"}}, "program_id", "Choose one of your programs"},
			{"a bad country code", "x.csv", "name\nAda\n", url.Values{"program_id": {coffee}, "country_code": {"+12345"}}, "country_code", "1 to 3 digits"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := app.count(&models.ImportJob{})
				res := s.staff.upload("/members/import", tc.form, tc.file, []byte(tc.content))
				expectStatus(t, res, http.StatusUnprocessableEntity)
				if got := res.text(`[data-testid="error-` + tc.field + `"]`); !strings.Contains(got, tc.text) {
					t.Errorf("%s says %q, want %q", tc.field, got, tc.text)
				}
				if got, _ := res.doc.Find(`input[name="country_code"]`).Attr("value"); got != tc.form.Get("country_code") {
					t.Errorf("country code kept as %q, want %q", got, tc.form.Get("country_code"))
				}
				if after := app.count(&models.ImportJob{}); after != before {
					t.Errorf("a refused upload made a job")
				}
			})
		}
		// A file over the limit is refused before it is read.
		big := append([]byte("name\n"), bytes.Repeat([]byte("x\n"), models.MaxImportBytes/2+1<<20)...)
		res := s.staff.upload("/members/import", url.Values{}, "big.csv", big)
		if res.status != http.StatusRequestEntityTooLarge && res.status != http.StatusUnprocessableEntity {
			t.Errorf("a %d MB upload: %d, want 413 or 422", len(big)>>20, res.status)
		}
	})
}

// A shop brings its members' past purchases in on the same page: every
// role that imports members can, a member nobody has is reported, and
// another merchant cannot see the import.
func TestImportPurchaseHistoryThroughThePage(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		s := app.shop()
		db := models.ForMerchant(app.db, s.acct.merchantID)
		if _, err := models.EnrolMember(db, models.Actor{Name: "fixture"}, models.MemberInput{Name: "Ada", Email: "ada@example.com"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		page := s.staff.get("/members/import")
		expectStatus(t, page, http.StatusOK)
		if !page.has(`[data-testid="history-form"] input[name="kind"][value="history"]`) || page.has(`[data-testid="history-form"] input[name="earn"]:checked`) {
			t.Error("the history form is missing, or earns points unless asked")
		}
		if got, _ := page.doc.Find(`select[name="history_program_id"] option[selected]`).Attr("value"); got != strconv.FormatInt(s.coffee.ID, 10) {
			t.Errorf("history program preselected %q, want the default (Coffee Club)", got)
		}
		tmpl := s.staff.get("/members/import/template.csv?kind=history")
		if !strings.HasPrefix(tmpl.body, "member,date,amount,order reference,channel\n") {
			t.Errorf("history template starts %q", tmpl.body[:min(len(tmpl.body), 60)])
		}

		content := "member,date,amount,order\n" +
			"ada@example.com,2025-05-01 10:00,12.50,R-1\n" +
			"ghost@example.com,2025-05-01,3,\n" +
			"ada@example.com,2025-05-02,0,\n"
		for _, who := range []*client{s.staff, s.manager, s.acct.owner} {
			res := who.upload("/members/import", url.Values{"kind": {"history"}, "history_program_id": {strconv.FormatInt(s.tea.ID, 10)}}, "till.csv", []byte(content))
			expectRedirect(t, res, "/members/imports/")
			done := waitForImport(t, who, res.location())
			created := "0"
			if who == s.staff {
				created = "1" // the first upload; the others find it recorded
			}
			for sel, want := range map[string]string{"import-created": created, "import-errors": "2"} {
				if got := done.text(`[data-testid="` + sel + `"]`); got != want {
					t.Errorf("%s = %q, want %q", sel, got, want)
				}
			}
			if !strings.Contains(done.text(`[data-testid="import-issues"]`), "no member has this email address") {
				t.Errorf("issues = %q", done.text(`[data-testid="import-issues"]`))
			}
		}
		var ps []models.Purchase
		db.Find(&ps)
		if len(ps) != 1 || ps[0].ProgramID != s.tea.ID || ps[0].AmountMinor != 1250 || ps[0].AccountID != nil {
			t.Errorf("purchases = %+v, want Ada's 12.50 in Tea Club, earning nothing", ps)
		}
		list := s.staff.get("/members/import")
		if got := rowTexts(list, `[data-testid="import-row"]`); len(got) != 3 || !strings.HasSuffix(got[0], "purchases") {
			t.Errorf("latest imports = %q", got)
		}

		// With earning: points, shown on the progress page.
		res := s.acct.owner.upload("/members/import", url.Values{"kind": {"history"}, "earn": {"on"}},
			"earn.csv", []byte("member,date,amount\nada@example.com,2025-05-03,40\n"))
		expectRedirect(t, res, "/members/imports/")
		done := waitForImport(t, s.acct.owner, res.location())
		if got := done.text(`[data-testid="import-opening"]`); got != "40" || !strings.Contains(done.body, "earned") {
			t.Errorf("points earned = %q", got)
		}
		jobPath := res.location()

		// A refused history upload says why on its own form.
		refused := s.staff.upload("/members/import", url.Values{"kind": {"history"}}, "x.csv", []byte("name,email\nAda,a@example.com\n"))
		expectStatus(t, refused, http.StatusUnprocessableEntity)
		if got := refused.text(`[data-testid="error-history-file"]`); !strings.Contains(got, "No date or amount column") {
			t.Errorf("history file error = %q", got)
		}
		if refused.has(`[data-testid="error-file"]`) {
			t.Error("the member form shows the history form's error")
		}

		// Another merchant's import is not found; nobody logged out gets in.
		other := app.signUp("Other Shop", "other@example.com")
		for _, path := range []string{jobPath, jobPath + "/errors.csv"} {
			expectStatus(t, other.owner.get(path), http.StatusNotFound)
		}
		expectRedirect(t, app.client().get("/members/import"), "/login")
	})
}
