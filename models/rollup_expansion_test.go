package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Whether entering a tier is a move up depends on the tier as it is now:
// turning Silver into a paid tier at Bronze's rank makes Ada's move from
// Bronze to Silver no move up, and the monthly figures follow at the next
// catch-up, as a rebuild from the raw rows would say.
func TestChurnExpansionFollowsTierEdits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "tier-edit@example.com", pointsInput("Coffee"))
		ts := ladder(t, l.db, l.p.ID, []string{"Bronze", "Silver"}, []int{0, 50})
		at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		ada := enrol(t, l.db, models.MemberInput{Name: "Ada"}, at)
		buy(t, l.db, l.p.ID, ada.ID, "10.00", "ada-1", at)                  // into Bronze: no move up
		buy(t, l.db, l.p.ID, ada.ID, "50.00", "ada-2", at.Add(time.Minute)) // Bronze to Silver
		now := at.Add(time.Hour)
		march := func(what string) models.Expansion {
			t.Helper()
			from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			rep, err := models.Churn(l.db, models.ChurnQuery{Window: 30, From: from, To: from.AddDate(0, 1, 0)}, now)
			if err != nil {
				t.Fatal(err)
			}
			checkRollupsExact(t, what, l.db, l.m.Location())
			return rep.Expansion[len(rep.Expansion)-1].Expansion
		}
		if e := march("after the move"); e.MovedUp != 1 || e.Expanding != 1 {
			t.Fatalf("March before the edit = %+v, want Ada moved up", e)
		}
		in := ts[1].FormInput(l.p, l.m.Currency)
		in.Paid, in.Position, in.Fee, in.PeriodMonths = true, "1", "5", "12"
		if _, err := models.UpdateTier(l.db, testActor, l.p.ID, ts[1].ID, in); err != nil {
			t.Fatal(err)
		}
		if e := march("after the edit"); e.MovedUp != 0 || e.Expanding != 0 {
			t.Errorf("March after Silver became a paid tier at rank 1 = %+v, want no move up", e)
		}
	})
}
