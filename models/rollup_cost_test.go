package models_test

import (
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Report pages call the catch-up on every view: with nothing to do it
// reads the merchant, its state and whether a mark is waiting, and
// writes nothing.
func TestRollupCatchUpWithNothingToDoOnlyReads(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "rollup-cost@example.com", pointsInput("Coffee"))
		buy(t, l.db, l.p.ID, enrolNamed(t, l.db, "Ann").ID, "4.00", "k1", day0)
		if err := models.CatchUpRollups(l.db, day0); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var statements []string
		counting := false
		count := func(kind string) func(*gorm.DB) {
			return func(tx *gorm.DB) {
				mu.Lock()
				defer mu.Unlock()
				if counting {
					statements = append(statements, kind+": "+tx.Statement.SQL.String())
				}
			}
		}
		cb := db.Callback()
		for _, err := range []error{
			cb.Query().After("gorm:query").Register("test:count", count("query")),
			cb.Row().After("gorm:row").Register("test:count", count("row")),
			cb.Raw().After("gorm:raw").Register("test:count", count("raw")),
			cb.Create().After("gorm:create").Register("test:count", count("create")),
			cb.Update().After("gorm:update").Register("test:count", count("update")),
			cb.Delete().After("gorm:delete").Register("test:count", count("delete")),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		counting = true
		mu.Unlock()
		err := models.CatchUpRollups(l.db, day0)
		mu.Lock()
		counting = false
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		for _, s := range statements {
			if strings.HasPrefix(s, "query: SELECT") {
				reads++
			}
		}
		if len(statements) != 3 || reads != 3 {
			t.Fatalf("a catch-up with nothing to do ran:\n%s", strings.Join(statements, "\n"))
		}
	})
}
