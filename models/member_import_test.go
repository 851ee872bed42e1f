package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// startImport uploads a file that must be accepted.
func startImport(t *testing.T, sdb *gorm.DB, role models.Role, in models.ImportInput) *models.ImportJob {
	t.Helper()
	if in.FileName == "" {
		in.FileName = "customers.csv"
	}
	job, err := models.StartImport(sdb, testActor, role, in, day0)
	if err != nil {
		t.Fatalf("start import: %v", err)
	}
	return job
}

// runImport runs a job to its end and returns it as it finished.
func runImport(t *testing.T, sdb *gorm.DB, id int64) *models.ImportJob {
	t.Helper()
	if err := models.ProcessImport(t.Context(), sdb, id, func() time.Time { return day0 }); err != nil {
		t.Fatalf("process import: %v", err)
	}
	job, err := models.GetImport(sdb, id)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func importIssues(t *testing.T, sdb *gorm.DB, id int64) map[int64]models.ImportIssue {
	t.Helper()
	issues, err := models.ListImportIssues(sdb, id, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	byLine := map[int64]models.ImportIssue{}
	for _, is := range issues {
		byLine[is.Line] = is
	}
	return byLine
}

func memberByEmail(t *testing.T, sdb *gorm.DB, email string) *models.Member {
	t.Helper()
	var m models.Member
	if err := sdb.Where("email = ?", email).Take(&m).Error; err != nil {
		t.Fatalf("member %s: %v", email, err)
	}
	return &m
}

func TestImportMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@import.test", pointsInput("Points"))
		ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver"}, []int{0, 500})
		here := enrol(t, s.db, models.MemberInput{Name: "Already Here", Email: "here@example.com"}, day0)
		content := "\ufeffName;E-mail;Mobile;Date of birth;Marketing;Tags;Points;Card code\n" +
			"Ada Lovelace;ADA@example.com;+44 20 7946 0001;1985-12-10;yes;VIP, early;600;OLD-1\n" + // line 2
			"Bob Marley;bob@example.com;06 12 34 56 78;;no;;40;OLD-2\n" + // line 3: national phone, country code 33
			"Chloe;not-an-email;;;;;;\n" + // line 4: bad email
			"Dup Here;here@example.com;;;;;10;\n" + // line 5: a member already here
			"Dup Bob;;+33612345678;;;;5;\n" + // line 6: the same phone as line 3
			";;;;;;;\n" + // a blank row, as spreadsheets leave: not counted
			"Eve;eve@example.com;;31/02/1990;maybe;;-5;\n" + // line 8: three bad cells
			"Fay;fay@example.com;;;;;0;x;extra\n" + // line 9: more cells than columns
			"\"Gus \"\"The Bus\"\"\";gus@example.com;;;;;;\n" // line 10: quotes, no balance
		job := startImport(t, s.db, models.RoleOwner, models.ImportInput{
			Content: []byte(content), ProgramID: s.p.ID, CountryCode: "+33",
		})
		if job.TotalRows != 8 || job.Status != models.ImportQueued || job.Delimiter != ";" {
			t.Fatalf("queued job = %+v, want 8 rows, queued, ';'", job)
		}
		if got := strings.Join(job.Ignored(), ","); got != "Card code" {
			t.Errorf("ignored columns = %q, want Card code", got)
		}

		job = runImport(t, s.db, job.ID)
		if job.Status != models.ImportDone || job.ProcessedRows != 8 || job.CreatedCount != 3 ||
			job.DuplicateCount != 2 || job.ErrorCount != 3 || job.OpeningTotal != 640 || job.FinishedAt == nil {
			t.Fatalf("finished job = %+v", job)
		}
		issues := importIssues(t, s.db, job.ID)
		for line, want := range map[int64]struct{ kind, text string }{
			4: {models.IssueError, "Email: Enter an email address"},
			5: {models.IssueDuplicate, "Already Here (" + models.FormatCardCode(here.CardCode) + ") has this email address"},
			6: {models.IssueDuplicate, "Bob Marley"},
			8: {models.IssueError, "Birthday: 31/02/1990 is not a date"}, // line 7 is blank
			9: {models.IssueError, "This row has 9 cells but the first line names 8 columns."},
		} {
			if is, ok := issues[line]; !ok || is.Kind != want.kind || !strings.Contains(is.Message, want.text) {
				t.Errorf("line %d issue = %+v, want %s containing %q", line, is, want.kind, want.text)
			}
		}
		if len(issues) != 5 {
			t.Errorf("%d issues, want 5: %+v", len(issues), issues)
		}
		eve := issues[8].Message
		for _, part := range []string{"Marketing: Write yes or no", "Balance: Write the balance as a whole number of points"} {
			if !strings.Contains(eve, part) {
				t.Errorf("Eve's row says %q, want it to also say %q", eve, part)
			}
		}
		if issues[9].Raw != "Fay;fay@example.com;;;;;0;x;extra" {
			t.Errorf("raw row = %q, want the row as uploaded", issues[9].Raw)
		}

		ada := memberByEmail(t, s.db, "ada@example.com")
		if ada.Phone != "442079460001" || ada.Birthday == nil || *ada.Birthday != "1985-12-10" || !ada.MarketingOptIn || ada.BirthdayChangedAt != nil {
			t.Errorf("Ada = %+v", ada)
		}
		if tags, _ := models.MemberTags(s.db, ada.ID); strings.Join(tags, ",") != "early,vip" {
			t.Errorf("Ada's tags = %v, want early,vip", tags)
		}
		bob := memberByEmail(t, s.db, "bob@example.com")
		if bob.Phone != "33612345678" || bob.MarketingOptIn {
			t.Errorf("Bob = %+v, want his national number completed with 33", bob)
		}
		gus := memberByEmail(t, s.db, "gus@example.com")
		if gus.Name != `Gus "The Bus"` {
			t.Errorf("Gus's name = %q", gus.Name)
		}
		if a := accountOf(t, s.db, s.p.ID, gus.ID); a.ID != 0 {
			t.Errorf("Gus had no balance but has an account: %+v", a)
		}

		a := accountOf(t, s.db, s.p.ID, ada.ID)
		if a.Balance != 600 || a.LifetimeEarned != 600 {
			t.Errorf("Ada's account = %+v, want 600 brought over", a)
		}
		if silver := tierNamed(t, s.db, s.p.ID, "Silver"); a.TierID == nil || *a.TierID != silver {
			t.Errorf("Ada's tier = %v, want Silver (500) from her opening balance", a.TierID)
		}
		es, err := models.ListEntries(s.db, ada.ID, 0, 10)
		if err != nil || len(es) != 1 {
			t.Fatalf("Ada's ledger = %+v, %v; want one opening balance and no sign-up bonus", es, err)
		}
		if e := es[0]; e.Kind != models.KindOpeningBalance || e.Amount != 600 || e.ActorName != testActor.Name ||
			e.Reason != "Opening balance" || e.Note != "Imported from customers.csv, line 2" {
			t.Errorf("opening entry = %+v", e)
		}

		entry := lastAudit(t, s.db)
		wantAudit(t, entry, models.AuditCreate, "import", job.ID)
		if !strings.Contains(entry.Summary, "Imported 3 members from customers.csv (2 duplicates skipped, 3 rows with errors)") {
			t.Errorf("audit summary = %q", entry.Summary)
		}
		var uploads int64
		s.db.Model(&models.ImportUpload{}).Count(&uploads)
		if uploads != 0 {
			t.Errorf("%d uploads kept after the import finished, want the file let go", uploads)
		}

		// The same file again: everyone is a duplicate now, nothing is
		// credited twice.
		again := runImport(t, s.db, startImport(t, s.db, models.RoleOwner, models.ImportInput{
			Content: []byte(content), ProgramID: s.p.ID, CountryCode: "33",
		}).ID)
		if again.CreatedCount != 0 || again.DuplicateCount != 5 || again.OpeningTotal != 0 {
			t.Errorf("re-import = %+v, want 5 duplicates and nothing created", again)
		}
		if a := accountOf(t, s.db, s.p.ID, ada.ID); a.Balance != 600 {
			t.Errorf("Ada's balance after re-import = %d, want 600", a.Balance)
		}
		wantSound(t, db)
	})
}

func tierNamed(t *testing.T, sdb *gorm.DB, programID int64, name string) int64 {
	t.Helper()
	var tier models.Tier
	if err := sdb.Where("program_id = ? AND name = ?", programID, name).Take(&tier).Error; err != nil {
		t.Fatalf("tier %s: %v", name, err)
	}
	return tier.ID
}

func TestImportRefusesFilesItCannotRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@refuse.test", pointsInput("Points"))
		archived := createProgram(t, s.db, models.ProgramInput{Name: "Old", Type: "points", Status: "archived", EarnRate: "1"})
		other := newLoyal(t, db, "other@refuse.test", pointsInput("Theirs"))
		tooMany := "name\n" + strings.Repeat("x\n", models.MaxImportRows+1)
		for _, tc := range []struct {
			name, content string
			program       int64
			country       string
			field, text   string
		}{
			{"empty", "", 0, "", "file", "Choose a CSV file"},
			{"header not UTF-8", "nam\xe9\nJos\n", 0, "", "file", "CSV UTF-8"},
			{"no name column", "email,phone\na@example.com,\n", 0, "", "file", "one must be name"},
			{"only a header", "name,email\n\n", 0, "", "file", "no members below them"},
			{"balance without a program", "name,points\nAda,10\n", 0, "", "program_id", "choose the program"},
			{"another merchant's program", "name,points\nAda,10\n", other.p.ID, "", "program_id", "Choose one of your programs"},
			{"archived program", "name,points\nAda,10\n", archived.ID, "", "program_id", "takes no balances"},
			{"broken quotes", "name,email\nAda,a@example.com\n\"Bob,\"b\"x@example.com\n", 0, "", "file", "Line 3 cannot be read as CSV"},
			{"too many rows", tooMany, 0, "", "file", "import at most 200000"},
			{"bad country code", "name\nAda\n", 0, "12345", "country_code", "1 to 3 digits"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := countImports(t, db)
				_, err := models.StartImport(s.db, testActor, models.RoleOwner, models.ImportInput{
					FileName: "f.csv", Content: []byte(tc.content), ProgramID: tc.program, CountryCode: tc.country,
				}, day0)
				wantFieldMessage(t, err, tc.field, tc.text)
				if after := countImports(t, db); after != before {
					t.Errorf("a refused file left %d jobs, want %d", after, before)
				}
			})
		}
	})
}

func countImports(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := models.CrossTenant(db).Model(&models.ImportJob{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Opening balances are manual credits in bulk: they stay within the
// importing person's adjustment limit.
func TestImportKeepsOpeningBalancesWithinTheRoleLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@limit.test", pointsInput("Points"))
		job := runImport(t, s.db, startImport(t, s.db, models.RoleStaff, models.ImportInput{
			Content: []byte("name,balance\nAt limit,500\nOver limit,501\n"), ProgramID: s.p.ID,
		}).ID)
		if job.CreatedCount != 1 || job.ErrorCount != 1 || job.OpeningTotal != 500 {
			t.Fatalf("staff import = %+v, want 500 imported and 501 refused", job)
		}
		if msg := importIssues(t, s.db, job.ID)[3].Message; !strings.Contains(msg, "above your role's adjustment limit") {
			t.Errorf("line 3 says %q", msg)
		}
		wantSound(t, db)
	})
}

// A worker stopped half way (a deploy, a crash) leaves whole batches; the
// next run, or two instances at once, import every row exactly once.
func TestImportResumesAndImportsEachRowOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@resume.test", pointsInput("Points"))
		const rows = 1200
		content, _ := numberedMembers(rows)
		in := models.ImportInput{Content: content, ProgramID: s.p.ID}

		// Stopped after its first batch.
		job := startImport(t, s.db, models.RoleOwner, in)
		ctx, stop := context.WithCancel(t.Context())
		calls := 0
		err := models.ProcessImport(ctx, s.db, job.ID, func() time.Time {
			if calls++; calls == 1 {
				stop()
			}
			return day0
		})
		if err != context.Canceled {
			t.Fatalf("stopped import returned %v, want context.Canceled", err)
		}
		half, _ := models.GetImport(s.db, job.ID)
		if half.Status != models.ImportRunning || half.ProcessedRows == 0 || half.ProcessedRows >= rows {
			t.Fatalf("stopped job = %+v, want part done", half)
		}
		if n := countMembers(t, s.db); n != half.ProcessedRows {
			t.Fatalf("%d members after %d committed rows", n, half.ProcessedRows)
		}

		// Two workers resume it at once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { errs[i] = models.ProcessImport(t.Context(), s.db, job.ID, time.Now) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("resumed import: %v", err)
			}
		}
		done, _ := models.GetImport(s.db, job.ID)
		if done.Status != models.ImportDone || done.CreatedCount != rows || done.ProcessedRows != rows {
			t.Fatalf("resumed job = %+v, want all %d rows created", done, rows)
		}
		if n := countMembers(t, s.db); n != rows {
			t.Errorf("%d members, want %d: a row was imported twice or not at all", n, rows)
		}
		var entries int64
		s.db.Model(&models.LedgerEntry{}).Where("kind = ?", models.KindOpeningBalance).Count(&entries)
		if want := int64(rows - rows/50); entries != want { // every 50th member has nothing to bring over
			t.Errorf("%d opening balances, want %d", entries, want)
		}
		var audits int64
		s.db.Model(&models.AuditEntry{}).Where("entity_type = ?", "import").Count(&audits)
		if audits != 1 {
			t.Errorf("%d audit entries for the import, want 1", audits)
		}
		wantSound(t, db)
	})
}

// numberedMembers is a file of n members, each with an email, a phone and
// a balance of 0 to 49 points, and the sum of those balances.
func numberedMembers(n int) (content []byte, total int64) {
	var b strings.Builder
	b.WriteString("name,email,phone,points\n")
	for i := range n {
		fmt.Fprintf(&b, "Member %d,m%d@example.com,+3361%07d,%d\n", i, i, i, i%50)
		total += int64(i % 50)
	}
	return []byte(b.String()), total
}

func countMembers(t *testing.T, sdb *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := sdb.Model(&models.Member{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFailedImportKeepsWhatItCommitted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@fail.test")
		other := newShop(t, db, "other@fail.test")
		job := startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: []byte("name\nAda\nBob\n")})
		if _, err := models.GetImport(other.db, job.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("another merchant reading the import: %v, want not found", err)
		}
		if err := models.ProcessImport(t.Context(), other.db, job.ID, time.Now); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("another merchant running the import: %v, want not found", err)
		}
		if err := models.FailImport(s.db, job.ID, "The disk is full.", day0); err != nil {
			t.Fatal(err)
		}
		failed, _ := models.GetImport(s.db, job.ID)
		if failed.Status != models.ImportFailed || failed.Failure != "The disk is full." {
			t.Errorf("failed job = %+v", failed)
		}
		if err := models.ProcessImport(t.Context(), s.db, job.ID, time.Now); err != nil {
			t.Errorf("running a failed job: %v, want nothing done", err)
		}
		if n := countMembers(t, s.db); n != 0 {
			t.Errorf("a failed job went on to import %d members", n)
		}
		if e := lastAudit(t, s.db); !strings.Contains(e.Summary, "stopped after 0 of 2 rows: The disk is full.") {
			t.Errorf("audit summary = %q", e.Summary)
		}
	})
}

// A NUL or bytes that are not UTF-8 in a row make that row's issue, which
// keeps the row (its bad bytes made visible) for the rows-to-fix file; the
// job goes on. A leading apostrophe, as our CSV files write before a cell
// that looks like a formula, is dropped from every cell.
func TestImportReportsBadTextAsARowIssue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@import.test", pointsInput("Points"))
		content := "name,email,phone,tags,balance\n" +
			"Ada,ada@example.com,+33612345678,vip,10\n" + // line 2
			"Nul\x00l,nul@example.com,,,\n" + // line 3
			"Jos\xe9,jose@example.com,,,\n" + // line 4
			"Bell\x07,bell@example.com,,,\n" + // line 5
			"'=Eve,'eve@example.com,'+33698765432,'-x,'5\n" + // line 6: neutralised cells
			"Evil\u202egnp,evil@example.com,,,\n" // line 7: a direction override
		job := runImport(t, s.db, startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: []byte(content), ProgramID: s.p.ID}).ID)
		if job.Status != models.ImportDone || job.CreatedCount != 2 || job.ErrorCount != 4 {
			t.Fatalf("job = %+v, want done with 2 created and 4 errors", job)
		}
		issues := importIssues(t, s.db, job.ID)
		for line, want := range map[int64]string{
			3: `The cell under "name" contains a NUL character`,
			4: `The cell under "name" is not valid UTF-8 text`,
			5: `The cell under "name" contains a control character`,
			7: "Name: Remove the control or text-direction characters.",
		} {
			if !strings.Contains(issues[line].Message, want) {
				t.Errorf("line %d: %q, want %q", line, issues[line].Message, want)
			}
		}
		if raw := issues[3].Raw; raw != "Nul\uFFFDl,nul@example.com,,," {
			t.Errorf("stored row %q", raw)
		}
		eve := memberByEmail(t, s.db, "eve@example.com")
		if eve.Name != "=Eve" || eve.Phone != "33698765432" {
			t.Errorf("Eve = %q %q, want the apostrophes dropped", eve.Name, eve.Phone)
		}
		if tags, _ := models.MemberTags(s.db, eve.ID); len(tags) != 1 || tags[0] != "-x" {
			t.Errorf("Eve's tags %v", tags)
		}
	})
}

// Day-first and month-first birthdays import; the merchant's time zone
// decides the ambiguous ones.
func TestImportReadsBirthdaysInTheMerchantsLocale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, c := range []struct{ zone, ambiguous string }{
			{"Europe/Paris", "1980-02-01"},
			{"America/Chicago", "1980-01-02"},
		} {
			s := newShopIn(t, db, "owner@"+strings.ToLower(strings.ReplaceAll(c.zone, "/", "."))+".test", "EUR", c.zone)
			content := "name,email,birthday\n" +
				"Iso,iso@example.com,1980-12-31\n" +
				"Slash,slash@example.com,31/12/1980\n" +
				"Dot,dot@example.com,31.12.1980\n" +
				"Dash,dash@example.com,31-12-1980\n" +
				"Us,us@example.com,12/31/1980\n" +
				"Either,either@example.com,01/02/1980\n" +
				"Never,never@example.com,31/02/1980\n"
			job := runImport(t, s.db, startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: []byte(content)}).ID)
			if job.CreatedCount != 6 || job.ErrorCount != 1 {
				t.Fatalf("%s: job = %+v", c.zone, job)
			}
			for email, want := range map[string]string{
				"iso": "1980-12-31", "slash": "1980-12-31", "dot": "1980-12-31", "dash": "1980-12-31",
				"us": "1980-12-31", "either": c.ambiguous,
			} {
				if m := memberByEmail(t, s.db, email+"@example.com"); m.Birthday == nil || *m.Birthday != want {
					t.Errorf("%s: %s's birthday %v, want %s", c.zone, email, m.Birthday, want)
				}
			}
			if msg := importIssues(t, s.db, job.ID)[8].Message; !strings.Contains(msg, "31/02/1980 is not a date") {
				t.Errorf("%s: line 8 says %q", c.zone, msg)
			}
		}
	})
}
