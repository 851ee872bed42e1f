package models_test

import (
	"os"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
)

func TestZZEconTiming(t *testing.T) {
	dsn := os.Getenv("ECON_TIMING_URL")
	if dsn == "" {
		t.Skip()
	}
	db, err := models.Open(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := models.ForMerchant(db, 1)
	now := time.Now()
	for _, q := range []models.RangeQuery{{Range: "30d"}, {Range: "all"}, {Range: "12m"}} {
		for i := 0; i < 3; i++ {
			start := time.Now()
			r, err := models.ParseReportRange(s, q, now, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			e, err := models.GetEconomics(s, 1, r, now)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %v (outstanding %d, statement %d months)", q.Range, time.Since(start), e.Outstanding, len(e.Statement))
		}
	}
}
