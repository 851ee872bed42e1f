package models_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A shop moving in brings 100,000 members with their balances: the import
// takes them all, each once, with every balance equal to its ledger.
func TestImportOf100000Members(t *testing.T) {
	if raceDetector {
		// Under the race detector it takes minutes of instrumented CSV
		// parsing and proves nothing more; make test runs it again without.
		t.Skip("run without -race: make test does")
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@scale.test", pointsInput("Points"))
		const rows = 100_000
		content, total := numberedMembers(rows)
		job := startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: content, ProgramID: s.p.ID})
		job = runImport(t, s.db, job.ID)
		if job.Status != models.ImportDone || job.CreatedCount != rows || job.ErrorCount != 0 || job.DuplicateCount != 0 || job.OpeningTotal != total {
			t.Fatalf("job = %+v, want %d members and %d points brought over", job, rows, total)
		}
		if n := countMembers(t, s.db); n != rows {
			t.Errorf("%d members, want %d", n, rows)
		}
		var sum int64
		if err := s.db.Model(&models.Account{}).Select("COALESCE(SUM(balance), 0)").Scan(&sum).Error; err != nil || sum != total {
			t.Errorf("balances sum to %d (%v), want %d", sum, err, total)
		}
		if bad, err := models.VerifyBalances(db); err != nil || len(bad) != 0 {
			t.Errorf("verify: %d accounts off, %v", len(bad), err)
		}
	})
}

// A shop moving in brings two years of sales: 100,000 purchases of 1,000
// members, recorded once each in batches, with nothing posted to the
// ledger by default.
func TestImportOf100000Purchases(t *testing.T) {
	if raceDetector {
		t.Skip("run without -race: make test does")
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@history-scale.test", pointsInput("Points"))
		const members, rows = 1000, 100_000
		content, _ := numberedMembers(members)
		if job := runImport(t, s.db, startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: content, ProgramID: s.p.ID}).ID); job.CreatedCount != members {
			t.Fatalf("members job = %+v", job)
		}
		var b strings.Builder
		b.WriteString("member,date,amount,order reference,channel\n")
		var total int64
		start := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		for i := range rows {
			ref, channel := "", "in_store"
			if i%2 == 0 {
				ref, channel = fmt.Sprintf("T-%d", i), "online"
			}
			amount := int64(100 + i%5000) // 1.00 to 50.99
			total += amount
			fmt.Fprintf(&b, "m%d@example.com,%s,%d.%02d,%s,%s\n", i%members, start.Add(time.Duration(i)*7*time.Minute).Format(time.RFC3339), amount/100, amount%100, ref, channel)
		}
		began := time.Now()
		job := importHistory(t, s.db, models.HistoryInput{Content: []byte(b.String()), ProgramID: s.p.ID})
		t.Logf("%s: %d purchases imported in %s", models.DialectOf(db), rows, time.Since(began).Round(time.Millisecond))
		if job.Status != models.ImportDone || job.CreatedCount != rows || job.ErrorCount != 0 || job.DuplicateCount != 0 {
			t.Fatalf("job = %+v, want %d purchases", job, rows)
		}
		var n, sum int64
		if err := s.db.Model(&models.Purchase{}).Select("COUNT(*)").Scan(&n).Error; err != nil || n != rows {
			t.Errorf("%d purchases (%v), want %d", n, err, rows)
		}
		if err := s.db.Model(&models.Purchase{}).Select("COALESCE(SUM(amount_minor), 0)").Scan(&sum).Error; err != nil || sum != total {
			t.Errorf("purchases sum to %d (%v), want %d", sum, err, total)
		}
		var posted int64
		if err := s.db.Model(&models.LedgerEntry{}).Where("kind <> ?", models.KindOpeningBalance).Count(&posted).Error; err != nil || posted != 0 {
			t.Errorf("history that earns nothing posted %d ledger entries (%v)", posted, err)
		}
	})
}
