package models_test

import (
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

// The churn and retention reports on the seeded database, for the
// default range (30 days) and all time.
func BenchmarkScaleChurn(b *testing.B) {
	s := openScale(b)
	now := time.Now()
	for name, days := range map[string]int{"30d": 30, "all": 3650} {
		b.Run(name, func(b *testing.B) {
			to := now
			from := to.AddDate(0, 0, -days)
			for b.Loop() {
				percentiles(b, 10, func(int) {
					q := models.ChurnQuery{Window: models.DefaultChurnWindow, From: from, To: to}
					if _, err := models.Churn(s.scoped, q, now); err != nil {
						b.Fatal(err)
					}
				})
			}
		})
	}
}

func BenchmarkScaleRetention(b *testing.B) {
	s := openScale(b)
	now := time.Now()
	for name, days := range map[string]int{"30d": 30, "all": 3650} {
		b.Run(name, func(b *testing.B) {
			from := now.AddDate(0, 0, -days)
			for b.Loop() {
				percentiles(b, 10, func(int) {
					if _, err := models.Retention(s.scoped, from, now, now); err != nil {
						b.Fatal(err)
					}
				})
			}
		})
	}
}
