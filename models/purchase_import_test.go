package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// startHistory uploads a purchase history file that must be accepted.
func startHistory(t *testing.T, sdb *gorm.DB, in models.HistoryInput) *models.ImportJob {
	t.Helper()
	if in.FileName == "" {
		in.FileName = "till.csv"
	}
	job, err := models.StartHistoryImport(sdb, testActor, models.RoleOwner, in, day0)
	if err != nil {
		t.Fatalf("start history import: %v", err)
	}
	return job
}

func importHistory(t *testing.T, sdb *gorm.DB, in models.HistoryInput) *models.ImportJob {
	t.Helper()
	return runImport(t, sdb, startHistory(t, sdb, in).ID)
}

func purchasesOf(t *testing.T, sdb *gorm.DB) []models.Purchase {
	t.Helper()
	var ps []models.Purchase
	if err := sdb.Order("id").Find(&ps).Error; err != nil {
		t.Fatal(err)
	}
	return ps
}

// dailySales is a local day of the reports' sales, caught up.
func dailySales(t *testing.T, sdb *gorm.DB, day string) models.DailySales {
	t.Helper()
	if err := models.CatchUpRollups(sdb, day0); err != nil {
		t.Fatal(err)
	}
	var rows []models.DailySales
	if err := sdb.Where("day = ?", day).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return models.DailySales{}
	}
	return rows[0]
}

func countEntries(t *testing.T, sdb *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := sdb.Model(&models.LedgerEntry{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportPurchaseHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@history.test", pointsInput("Points")) // Europe/Paris, EUR, at most 1,000 a purchase
		other := newLoyal(t, db, "other@history.test", pointsInput("Theirs"))
		enrol(t, other.db, models.MemberInput{Name: "Carol", Email: "carol@example.com"}, day0)
		ada := enrol(t, s.db, models.MemberInput{Name: "Ada", Email: "ada@example.com", Phone: "+33612345678"}, day0)
		bob := enrol(t, s.db, models.MemberInput{Name: "Bob", Email: "bob@example.com"}, day0)
		content := "member,date,amount,order,channel,notes\n" +
			"ADA@example.com,2025-06-01,12.50,A-1,in_store,x\n" + // line 2: a date is the start of the Paris day
			"+33 6 12 34 56 78,2025-06-02 09:30,8,,online,\n" + // line 3: Ada by phone, Paris time
			models.FormatCardCode(bob.CardCode) + ",2025-06-03T10:00:00Z,20,,,\n" + // line 4: Bob by card, an offset
			"carol@example.com,2025-06-04,5,,,\n" + // line 5: another merchant's member
			"nobody@example.com,2025-06-04,5,,,\n" + // line 6: nobody
			"bob@example.com,2026-03-11,5,,,\n" + // line 7: tomorrow
			"bob@example.com,2025-06-05,-3,,,\n" + // line 8
			"bob@example.com,2025-06-05,abc,,,\n" + // line 9
			"bob@example.com,2025-06-05,5000,,,\n" + // line 10: over the program's maximum
			"bob@example.com,2025-06-05,5,,by phone,\n" + // line 11
			"ada@example.com,2025-06-01,12.50,A-1,,\n" + // line 12: order A-1 again
			"bob@example.com,1969-12-31,5,,,\n" + // line 13
			"bob@example.com,2025-06-06,7.00,,,\n" + // line 14: two coffees on a day, no order reference
			"bob@example.com,2025-06-06,7,,,\n" + // line 15
			"bob@example.com,2025-06-31,7,,,\n" // line 16: June has 30 days
		in := models.HistoryInput{Content: []byte(content), ProgramID: s.p.ID}
		job := importHistory(t, s.db, in)
		if job.Kind != models.ImportHistory || job.Status != models.ImportDone || job.TotalRows != 15 ||
			job.CreatedCount != 5 || job.DuplicateCount != 1 || job.ErrorCount != 9 || job.OpeningTotal != 0 {
			t.Fatalf("job = %+v", job)
		}
		if got := strings.Join(job.Ignored(), ","); got != "notes" {
			t.Errorf("ignored = %q", got)
		}
		issues := importIssues(t, s.db, job.ID)
		for line, want := range map[int64]struct{ kind, text string }{
			5:  {models.IssueError, "Member: no member has this email address"},
			6:  {models.IssueError, "Member: no member has this email address"},
			7:  {models.IssueError, "Date: The date is in the future."},
			8:  {models.IssueError, "Amount: Enter the amount paid"},
			9:  {models.IssueError, "Amount: Enter the amount paid"},
			10: {models.IssueError, "Amount: Points takes purchases of at most 1000.00 EUR"},
			11: {models.IssueError, "Channel: Write in_store or online"},
			12: {models.IssueDuplicate, "Already imported: order A-1 is on line 2 of this file."},
			13: {models.IssueError, "Date: Dates before 1970"},
			16: {models.IssueError, "Date: 2025-06-31 does not exist"},
		} {
			if is := issues[line]; is.Kind != want.kind || !strings.Contains(is.Message, want.text) {
				t.Errorf("line %d = %+v, want %s %q", line, is, want.kind, want.text)
			}
		}
		if len(issues) != 10 {
			t.Errorf("%d issues, want 10", len(issues))
		}

		paris, _ := time.LoadLocation("Europe/Paris")
		ps := purchasesOf(t, s.db)
		want := []struct {
			member int64
			at     time.Time
			amount int64
			ch     models.Channel
			key    string
		}{
			{ada.ID, time.Date(2025, 6, 1, 0, 0, 0, 0, paris), 1250, models.ChannelInStore, "order:A-1"},
			{ada.ID, time.Date(2025, 6, 2, 9, 30, 0, 0, paris), 800, models.ChannelOnline, "history:row:"},
			{bob.ID, time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC), 2000, models.ChannelInStore, "history:row:"},
			{bob.ID, time.Date(2025, 6, 6, 0, 0, 0, 0, paris), 700, models.ChannelInStore, "history:row:"},
			{bob.ID, time.Date(2025, 6, 6, 0, 0, 0, 0, paris), 700, models.ChannelInStore, "history:row:"},
		}
		if len(ps) != len(want) {
			t.Fatalf("%d purchases, want %d", len(ps), len(want))
		}
		for i, w := range want {
			p := ps[i]
			if p.MemberID == nil || *p.MemberID != w.member || !p.OccurredAt.Equal(w.at) || p.AmountMinor != w.amount ||
				p.Channel != w.ch || !strings.HasPrefix(p.IdempotencyKey, w.key) || p.AccountID != nil || p.Earned != 0 ||
				p.ProgramID != s.p.ID || p.ActorName != testActor.Name {
				t.Errorf("purchase %d = %+v (at %s), want %+v", i, p, p.OccurredAt.UTC(), w)
			}
		}
		if ps[3].IdempotencyKey == ps[4].IdempotencyKey {
			t.Error("two purchases of the same content share a key")
		}
		if n := countEntries(t, s.db); n != 0 {
			t.Errorf("history that earns nothing posted %d ledger entries", n)
		}
		if a := accountOf(t, s.db, s.p.ID, ada.ID); a.ID != 0 {
			t.Errorf("history that earns nothing opened an account: %+v", a)
		}
		// The reports count them on their own days in Paris.
		if day := dailySales(t, s.db, "2025-06-06"); day.Purchases != 2 || day.MemberPurchases != 2 || day.RevenueMinor != 1400 || day.EarningPurchases != 0 {
			t.Errorf("2025-06-06 in the reports = %+v, want Bob's two coffees", day)
		}
		if day := dailySales(t, s.db, "2025-06-01"); day.Purchases != 1 || day.RevenueMinor != 1250 {
			t.Errorf("2025-06-01 in the reports = %+v, want order A-1", day)
		}
		if e := lastAudit(t, s.db); !strings.Contains(e.Summary, "Imported 5 past purchases from till.csv (1 already imported, 9 rows with errors)") {
			t.Errorf("audit = %q", e.Summary)
		}

		// The same file again imports nothing twice, with or without an
		// order reference.
		again := importHistory(t, s.db, in)
		if again.CreatedCount != 0 || again.DuplicateCount != 6 || again.ErrorCount != 9 {
			t.Errorf("re-upload = %+v, want 6 duplicates", again)
		}
		if n := len(purchasesOf(t, s.db)); n != 5 {
			t.Errorf("%d purchases after the re-upload, want 5", n)
		}
		// A later export overlapping this one adds only what is new: a
		// third coffee that day.
		third := importHistory(t, s.db, models.HistoryInput{ProgramID: s.p.ID, Content: []byte("email;date;total\n" +
			"bob@example.com;2025-06-06;7\nbob@example.com;2025-06-06;7,00\nbob@example.com;2025-06-06;7\n")})
		if third.CreatedCount != 1 || third.DuplicateCount != 2 {
			t.Errorf("overlapping file = %+v, want 1 new and 2 duplicates", third)
		}
		wantSound(t, db)
	})
}

// With earning on, history goes through the till's own path: a member
// gets exactly what the same purchases at the till would have credited.
func TestImportedHistoryEarnsWhatTheTillWould(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@earn.test", pointsInput("Points"))
		ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver"}, []int{0, 30})
		imported := enrol(t, s.db, models.MemberInput{Name: "Imported", Email: "imp@example.com"}, day0)
		till := enrol(t, s.db, models.MemberInput{Name: "At the till", Email: "till@example.com"}, day0)
		blocked := enrol(t, s.db, models.MemberInput{Name: "Blocked", Email: "blocked@example.com"}, day0)
		if _, err := models.SetMemberBlocked(s.db, testActor, blocked.ID, true); err != nil {
			t.Fatal(err)
		}
		amounts := []string{"12.50", "25", "300", "0.99"}
		var b strings.Builder
		b.WriteString("member,date,amount\n")
		for i, a := range amounts {
			at := time.Date(2025, 1, 10+i, 9, 0, 0, 0, time.UTC)
			fmt.Fprintf(&b, "imp@example.com,%s,%s\n", at.Format(time.RFC3339), a)
			in := purchase(s.p.ID, till.ID, a, fmt.Sprintf("till-%d", i))
			in.OccurredAt = at
			if _, err := models.RecordPurchase(s.db, testActor, in, day0); err != nil {
				t.Fatal(err)
			}
		}
		b.WriteString("blocked@example.com,2025-01-20,10\n")
		job := importHistory(t, s.db, models.HistoryInput{Content: []byte(b.String()), ProgramID: s.p.ID, Earn: true})
		want := accountOf(t, s.db, s.p.ID, till.ID)
		got := accountOf(t, s.db, s.p.ID, imported.ID)
		if got.Balance != want.Balance || got.LifetimeEarned != want.LifetimeEarned || (got.TierID == nil) != (want.TierID == nil) ||
			got.TierID != nil && *got.TierID != *want.TierID || want.Balance == 0 {
			t.Errorf("imported account = %+v, the till's = %+v", got, want)
		}
		if job.CreatedCount != 4 || job.ErrorCount != 1 || job.OpeningTotal != want.LifetimeEarned {
			t.Errorf("job = %+v, want 4 purchases earning %d", job, want.LifetimeEarned)
		}
		gotEntries, wantEntries := entriesOf(t, s.db, got.ID), entriesOf(t, s.db, want.ID)
		if len(gotEntries) != len(wantEntries) {
			t.Fatalf("%d entries from history, %d at the till", len(gotEntries), len(wantEntries))
		}
		for i := range gotEntries {
			if g, w := gotEntries[i], wantEntries[i]; g.Kind != w.Kind || g.Amount != w.Amount || g.PurchaseID == nil {
				t.Errorf("entry %d = %s %d, the till's %s %d", i, g.Kind, g.Amount, w.Kind, w.Amount)
			}
		}
		if msg := importIssues(t, s.db, job.ID)[6].Message; !strings.Contains(msg, "Blocked is blocked and earns nothing") {
			t.Errorf("blocked member's row says %q", msg)
		}
		var earned int64
		s.db.Model(&models.Purchase{}).Where("member_id = ? AND account_id IS NOT NULL", imported.ID).Select("COALESCE(SUM(earned), 0)").Scan(&earned)
		if earned != want.LifetimeEarned {
			t.Errorf("imported purchases earned %d, want %d", earned, want.LifetimeEarned)
		}
		// The same file again credits nothing twice.
		again := importHistory(t, s.db, models.HistoryInput{Content: []byte(b.String()), ProgramID: s.p.ID, Earn: true})
		if again.CreatedCount != 0 || again.DuplicateCount != 4 || accountOf(t, s.db, s.p.ID, imported.ID).Balance != want.Balance {
			t.Errorf("re-upload = %+v", again)
		}
		wantSound(t, db)
	})
}

func TestHistoryImportRefusesFilesItCannotRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@hrefuse.test", pointsInput("Points"))
		archived := createProgram(t, s.db, models.ProgramInput{Name: "Old", Type: "points", Status: "archived", EarnRate: "1"})
		other := newLoyal(t, db, "other@hrefuse.test", pointsInput("Theirs"))
		empty := newShop(t, db, "empty@hrefuse.test")
		for _, tc := range []struct {
			name    string
			sdb     *gorm.DB
			content string
			program int64
			field   string
			text    string
		}{
			{"empty", s.db, "", 0, "file", "Choose a CSV file"},
			{"no amount column", s.db, "member,date\na@example.com,2025-01-01\n", 0, "file", "No amount column"},
			{"member columns", s.db, "name,email\nAda,a@example.com\n", 0, "file", "No date or amount column"},
			{"only a header", s.db, "member,date,amount\n", 0, "file", "no purchases below them"},
			{"another merchant's program", s.db, "member,date,amount\na@example.com,2025-01-01,5\n", other.p.ID, "program_id", "Choose one of your programs"},
			{"archived program", s.db, "member,date,amount\na@example.com,2025-01-01,5\n", archived.ID, "program_id", "takes no purchases"},
			{"no program at all", empty.db, "member,date,amount\na@example.com,2025-01-01,5\n", 0, "program_id", "Create a program first"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := countImports(t, db)
				_, err := models.StartHistoryImport(tc.sdb, testActor, models.RoleOwner, models.HistoryInput{Content: []byte(tc.content), ProgramID: tc.program}, day0)
				wantFieldMessage(t, err, tc.field, tc.text)
				if after := countImports(t, db); after != before {
					t.Errorf("a refused file left %d jobs, want %d", after, before)
				}
			})
		}
		// No program chosen: the merchant's default.
		job := startHistory(t, s.db, models.HistoryInput{Content: []byte("member,date,amount\na@example.com,2025-01-01,5\n")})
		if job.ProgramID == nil || *job.ProgramID != s.p.ID || job.Earn {
			t.Errorf("job = %+v, want the default program and no earning", job)
		}
	})
}

// A history import stopped half way resumes where it stopped, and each
// row keeps its key: the same purchase on both sides of the stop is two
// purchases, recorded once each.
func TestHistoryImportResumesAndRecordsEachRowOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@hresume.test", pointsInput("Points"))
		enrol(t, s.db, models.MemberInput{Name: "Ada", Email: "ada@example.com"}, day0)
		const rows = 1200
		var b strings.Builder
		b.WriteString("member,date,amount\n")
		for i := range rows {
			fmt.Fprintf(&b, "ada@example.com,2025-02-%02d,%d\n", 1+i%2, 1+i%3) // six distinct rows, each 200 times
		}
		job := startHistory(t, s.db, models.HistoryInput{Content: []byte(b.String()), ProgramID: s.p.ID})
		ctx, stop := context.WithCancel(t.Context())
		calls := 0
		err := models.ProcessImport(ctx, s.db, job.ID, func() time.Time {
			if calls++; calls == 1 {
				stop()
			}
			return day0
		})
		if err != context.Canceled {
			t.Fatalf("stopped import returned %v", err)
		}
		// Another worker (a fresh run, reading the file again) finishes it.
		done := runImport(t, s.db, job.ID)
		if done.CreatedCount != rows || done.DuplicateCount != 0 {
			t.Fatalf("resumed job = %+v, want all %d rows recorded", done, rows)
		}
		if n := len(purchasesOf(t, s.db)); n != rows {
			t.Errorf("%d purchases, want %d", n, rows)
		}
	})
}

// Members may bring the day they joined; the reports count them from then.
func TestImportMembersWithTheDayTheyJoined(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@joined.test") // Europe/Paris
		content := "name,email,enrolled\n" +
			"Day,day@example.com,2024-01-15\n" +
			"Local,local@example.com,2024-07-01 18:30\n" +
			"Offset,offset@example.com,2024-07-01T18:30:00-04:00\n" +
			"Now,now@example.com,\n" +
			"Future,future@example.com,2026-04-01\n" +
			"Old,old@example.com,1969-05-01\n" +
			"Words,words@example.com,last spring\n"
		job := runImport(t, s.db, startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: []byte(content)}).ID)
		if job.CreatedCount != 4 || job.ErrorCount != 3 {
			t.Fatalf("job = %+v", job)
		}
		paris, _ := time.LoadLocation("Europe/Paris")
		for email, want := range map[string]time.Time{
			"day":    time.Date(2024, 1, 15, 0, 0, 0, 0, paris),
			"local":  time.Date(2024, 7, 1, 18, 30, 0, 0, paris),
			"offset": time.Date(2024, 7, 1, 22, 30, 0, 0, time.UTC),
			"now":    day0,
		} {
			if m := memberByEmail(t, s.db, email+"@example.com"); !m.CreatedAt.Equal(want) {
				t.Errorf("%s joined %s, want %s", email, m.CreatedAt.UTC(), want.UTC())
			}
		}
		if day := dailySales(t, s.db, "2024-01-15"); day.NewMembers != 1 {
			t.Errorf("2024-01-15 in the reports = %+v, want Day joining", day)
		}
		issues := importIssues(t, s.db, job.ID)
		for line, want := range map[int64]string{
			6: "Joined: The date is in the future.",
			7: "Joined: Dates before 1970",
			8: "Joined: Write the date like 2024-03-31",
		} {
			if !strings.Contains(issues[line].Message, want) {
				t.Errorf("line %d says %q, want %q", line, issues[line].Message, want)
			}
		}
	})
}

// An order is one purchase however it arrives: one the web shop already
// sent through the API, or one an earlier version imported under its old
// key, comes back from a history import as a duplicate, never a second
// credit.
func TestHistoryImportKnowsOrdersFromTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@horders.test", pointsInput("Points"))
		ada := enrol(t, s.db, models.MemberInput{Name: "Ada", Email: "ada@example.com"}, day0)
		sent := purchase(s.p.ID, ada.ID, "12.50", models.OrderKey("W-1"))
		sent.OrderRef = "W-1"
		if _, err := models.RecordPurchase(s.db, testActor, sent, day0.AddDate(0, 0, -2)); err != nil {
			t.Fatal(err)
		}
		old := purchase(s.p.ID, ada.ID, "8.00", "history:ref:W-2")
		old.OrderRef = "W-2"
		if _, err := models.RecordPurchase(s.db, testActor, old, day0.AddDate(0, 0, -1)); err != nil {
			t.Fatal(err)
		}
		content := "member,date,amount,order\n" +
			"ada@example.com,2026-03-08,12.50,W-1\n" +
			"ada@example.com,2026-03-09,8.00,W-2\n" +
			"ada@example.com,2026-03-09,3.00,W-3\n"
		job := importHistory(t, s.db, models.HistoryInput{Content: []byte(content), ProgramID: s.p.ID})
		if job.CreatedCount != 1 || job.DuplicateCount != 2 || job.ErrorCount != 0 {
			t.Fatalf("job = %+v, want W-3 recorded and W-1, W-2 duplicates", job)
		}
		issues := importIssues(t, s.db, job.ID)
		for line, ref := range map[int64]string{2: "W-1", 3: "W-2"} {
			if want := "Already imported: order " + ref + " is already recorded."; issues[line].Message != want {
				t.Errorf("line %d = %q, want %q", line, issues[line].Message, want)
			}
		}
		if n := len(purchasesOf(t, s.db)); n != 3 {
			t.Errorf("%d purchases, want 3", n)
		}
	})
}
