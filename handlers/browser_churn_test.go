package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The churn and retention pages with eight months of a small café's
// history fit a phone and a desktop.
func TestBrowserChurnRetention(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			app := newTestApp(t, dbtest.Open(t, models.SQLite))
			b := newBrowser(t, app, width, 900)
			cafe := openCafe(t, app, b)
			now := app.clock.now()
			// Member i joins 240 - 6i days ago and comes every 3 + i%9 days
			// for a while that shortens with i: some stay, many lapse.
			for i := range 40 {
				joined := now.AddDate(0, 0, -240+6*i)
				m, err := models.EnrolMember(cafe.db, cafeFixture, models.MemberInput{
					Name: fmt.Sprintf("Member %02d", i), Email: fmt.Sprintf("member%02d@example.com", i)}, joined)
				if err != nil {
					t.Fatal(err)
				}
				for k, at := 0, joined.Add(time.Hour); k < 2+(40-i)%7 && at.Before(now); k, at = k+1, at.AddDate(0, 0, 3+i%9) {
					_, err := models.RecordPurchase(cafe.db, cafeFixture, models.PurchaseInput{ProgramID: cafe.program.ID, MemberID: m.ID,
						Amount: fmt.Sprintf("%d.50", 3+i%5), IdempotencyKey: fmt.Sprint(i, "-", k), ConfirmedLarge: true}, at)
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, page := range []string{"churn", "retention"} {
				b.open("/reports/" + page + "?range=all")
				b.screenshot(fmt.Sprintf("reports-%d-%s.png", width, page))
				if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
					t.Errorf("%s at %dpx: %s", page, width, strings.Join(bad, "; "))
				}
			}
		})
	}
}
