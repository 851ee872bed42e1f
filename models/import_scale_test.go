package models_test

import (
	"testing"

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
