package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A manager opens the reports, changes the range with a preset and with
// dates, and downloads a table; the pages fit a phone and a desktop.
func TestBrowserReports(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			app := newTestApp(t, dbtest.Open(t, models.SQLite))
			b := newBrowser(t, app, width, 900)
			openCafe(t, app, b)
			fits := func(name string) {
				t.Helper()
				b.screenshot(fmt.Sprintf("reports-%d-%s.png", width, name))
				if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
					t.Errorf("%s at %dpx: %s", name, width, strings.Join(bad, "; "))
				}
			}
			b.open("/reports")
			fits("dashboard")
			b.submit("range-7d", "/reports")
			if got := eval[string](b, `document.querySelector('[aria-current="true"][name="range"]').value`); got != "7d" {
				t.Errorf("after 7 days, the preset shown is %q", got)
			}
			b.open("/reports?from=2026-03-01&to=2026-02-01")
			fits("bad-range")
		})
	}
}
