package models_test

import (
	"reflect"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The retention of the known-answer knownHistory (see report_churn_test.go).
func TestRetentionKnownAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newKnownHistory(t, db)
		from, to := paris("01-01", "06-15")
		rep, err := models.Retention(h.db, from, to, historyNow)
		if err != nil {
			t.Fatal(err)
		}
		// Cohorts by joining month, then who bought in each month since:
		//  Jan (A, B, C): all three in Jan; then only A, every month.
		//  Feb (D, E, F): Feb D, F; Mar F; Apr D, F; May F; Jun nobody.
		//  Mar (G, H): Mar both; Apr H; May nobody; Jun G.
		//  Apr (I, J): Apr both, then nobody.
		//  May (K, L): May K; Jun nobody.
		//  Jun: nobody joined.
		want := []models.Cohort{
			{Month: "2026-01", Size: 3, Active: []int64{3, 1, 1, 1, 1, 1}},
			{Month: "2026-02", Size: 3, Active: []int64{2, 1, 2, 1, 0}},
			{Month: "2026-03", Size: 2, Active: []int64{2, 1, 0, 1}},
			{Month: "2026-04", Size: 2, Active: []int64{2, 0, 0}},
			{Month: "2026-05", Size: 2, Active: []int64{1, 0}},
			{Month: "2026-06", Size: 0, Active: []int64{0}},
		}
		if !reflect.DeepEqual(rep.Cohorts, want) {
			t.Errorf("cohorts:\n got %+v\nwant %+v", rep.Cohorts, want)
		}
		if s, ok := rep.Cohorts[1].Share(2); !ok || s != 2.0/3 {
			t.Errorf("Feb cohort in April = %v, %v", s, ok)
		}
		// Purchases per member: E, L 0; C, J 1; B, K 2; D, H 3 (H's two on
		// one day are two purchases); G 4; F 5; A, I 6.
		r := rep.Repeat
		if want := [7]int64{2, 2, 2, 2, 1, 1, 2}; r.ByCount != want {
			t.Errorf("by count = %v, want %v", r.ByCount, want)
		}
		// Repeat rate: 8 of the 10 who bought came back.
		if rate, ok := r.RepeatRate(); !ok || rate != 0.8 {
			t.Errorf("repeat rate = %v", rate)
		}
		// Drop-off: of the 10 with 1 purchase, 2 stopped there; of 8 with
		// 2, 2; of 6 with 3, 2; of 4 with 4, 1 (G); of 3 with 5, 1 (F).
		for n, want := range map[int]float64{1: 2.0 / 10, 2: 2.0 / 8, 3: 2.0 / 6, 4: 1.0 / 4, 5: 1.0 / 3} {
			if got, ok := r.DropOff(n); !ok || got != want {
				t.Errorf("drop-off after %d = %v, want %v", n, got, want)
			}
		}

		// March to April: the Mar and Apr cohorts; joiners G 4, H 3, I 6, J 1.
		from, to = paris("03-01", "04-30")
		rep, err = models.Retention(h.db, from, to, historyNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Cohorts) != 2 || rep.Cohorts[0].Month != "2026-03" || rep.Cohorts[1].Month != "2026-04" {
			t.Errorf("March to April cohorts = %+v", rep.Cohorts)
		}
		if want := [7]int64{0, 1, 0, 1, 1, 0, 1}; rep.Repeat.ByCount != want {
			t.Errorf("March to April by count = %v, want %v", rep.Repeat.ByCount, want)
		}
	})
}
