package handlers_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// dialogs answers the page's confirm() dialogs, in a goroutine as chromedp
// wants (the click that opens one waits for it to close), and keeps what
// they asked.
type dialogs struct {
	mu     sync.Mutex
	accept bool
	asked  []string
}

func answerDialogs(b *browser) *dialogs {
	d := &dialogs{}
	events := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.asked = append(d.asked, ev.Message)
			accept := d.accept
			d.mu.Unlock()
			// An error here means the test ended with the dialog open; the
			// click waiting on it fails the test.
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	return d
}

func (d *dialogs) answer(accept bool) {
	d.mu.Lock()
	d.accept = accept
	d.mu.Unlock()
}

func (d *dialogs) last() (string, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.asked) == 0 {
		return "", 0
	}
	return d.asked[len(d.asked)-1], len(d.asked)
}

// A destructive button asks first, through data-confirm and app.js (the
// CSP forbids inline script): dismissed, nothing is posted and nothing
// changes; accepted, the action is done.
func TestBrowserConfirmDestructiveActions(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	shop := openCafe(t, app, b)
	cp, err := models.SaveCampaign(shop.db, cafeFixture, shop.program.ID, 0,
		models.CampaignInput{Name: "Double points", StartsOn: localDate(0), EndsOn: localDate(7), Multiplier: "2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d := answerDialogs(b)
	campaign := fmt.Sprintf("/programs/%d/campaigns/%d", shop.program.ID, cp.ID)
	stored := func() int64 {
		t.Helper()
		var n int64
		if err := shop.db.Model(&models.Campaign{}).Where("id = ?", cp.ID).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	if status := b.open(campaign); status != 200 {
		t.Fatalf("GET %s: %d", campaign, status)
	}
	d.answer(false)
	b.do("mark the document", chromedp.Evaluate[chromedp.Void](`window.stayed = true`))
	b.do("click delete, then dismiss", chromedp.Click(testID("delete-campaign")))
	if q, n := d.last(); n != 1 || q != "Delete the campaign Double points?" {
		t.Fatalf("asked %d times, last %q", n, q)
	}
	if !eval[bool](b, `window.stayed === true`) || b.path() != campaign {
		t.Fatalf("a dismissed confirmation left the page for %s", b.path())
	}
	// Reloading proves the server still has it; a post would have deleted it.
	if status := b.open(campaign); status != 200 || stored() != 1 {
		t.Fatalf("after a dismissed delete: page %d, %d campaign(s) stored", status, stored())
	}

	d.answer(true)
	b.submit("delete-campaign", fmt.Sprintf("/programs/%d/campaigns", shop.program.ID))
	if _, n := d.last(); n != 2 {
		t.Fatalf("asked %d times, want 2", n)
	}
	if stored() != 0 {
		t.Fatal("an accepted delete left the campaign")
	}
	if got := b.text("flash"); got != "Double points is deleted." {
		t.Errorf("flash %q", got)
	}
}
