package models_test

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A shop moving in brings 100,000 members with their balances: the import
// takes them all, each once, with every balance equal to its ledger.
func TestImportOf100000Members(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@scale.test", pointsInput("Points"))
		const rows = 100_000
		var b strings.Builder
		b.WriteString("name,email,phone,points\n")
		var total int64
		for i := range rows {
			fmt.Fprintf(&b, "Member %d,m%d@example.com,+3361%07d,%d\n", i, i, i, i%50)
			total += int64(i % 50)
		}
		job := startImport(t, s.db, models.RoleOwner, models.ImportInput{Content: []byte(b.String()), ProgramID: s.p.ID})
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
