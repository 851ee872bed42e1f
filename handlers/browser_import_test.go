package handlers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// An owner moving in from another program uploads their customers in the
// browser and watches the import run to its end without reloading; the
// till stays usable meanwhile.
func TestBrowserImportMembers(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	shop := openCafe(t, app, b)

	// Four batches of 500: enough to watch the bar move, small enough for a
	// loaded 2-core machine under the race detector (5,000 rows took 50 s).
	const rows = 2000
	var csv strings.Builder
	csv.WriteString("First name;Last name;Email;Points\n")
	for i := range rows {
		fmt.Fprintf(&csv, "Guest;Number %d;guest%d@example.com;%d\n", i, i, i%40)
	}
	csv.WriteString("Broken;Row;not-an-email;5\n")
	file := filepath.Join(t.TempDir(), "old-loyalty.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	if status := b.open("/members"); status != 200 {
		t.Fatalf("GET /members: status %d", status)
	}
	b.do("go to import", chromedp.Click(testID("members-import")))
	b.visible("import-form")
	b.screenshot("import-form.png")
	b.do("choose file and program",
		chromedp.SetUploadFiles(`input[name="file"]`, []string{file}),
		chromedp.SetValue(`select[name="program_id"]`, fmt.Sprint(shop.program.ID)))
	b.submit("import-submit", "/members/imports/")
	b.visible("import-bar")
	if status := eval[string](b, `document.querySelector('[data-testid="import-progress"]').dataset.status`); status != "done" {
		b.screenshot("import-running.png")
	}

	// The page updates itself: no reload, htmx swaps the progress in.
	b.do("mark the document", chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))
	deadline := time.Now().Add(45 * time.Second)
	for eval[string](b, `document.querySelector('[data-testid="import-progress"]').dataset.status`) != "done" {
		if time.Now().After(deadline) {
			t.Fatalf("import not done after 45 s: %s", b.text("import-counts"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !eval[bool](b, `window.sameDocument === true`) {
		t.Error("the page reloaded to show progress; htmx should swap it in")
	}
	if got := b.text("import-created"); got != fmt.Sprint(rows) {
		t.Errorf("imported %s, want %d", got, rows)
	}
	if got := b.text("import-errors"); got != "1" {
		t.Errorf("errors %s, want 1", got)
	}
	if got := b.text("import-issues"); !strings.Contains(got, "Email: Enter an email address") {
		t.Errorf("issues table says %q", got)
	}
	b.screenshot("import-done.png")

	// The imported members are found like any other.
	if status := b.open("/members?q=Guest+Number+1999"); status != 200 {
		t.Fatalf("search: %d", status)
	}
	if got := b.text("members-table"); !strings.Contains(got, "Guest Number 1999") {
		t.Errorf("search for an imported member shows %q", got)
	}
}
