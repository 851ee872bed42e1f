package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A catch-up that dies half-way (a statement failing, or its context
// cancelled by a request going away) rolls back whole: its marks are
// still there, no aggregate or member is half-written, and the next
// catch-up ends exact. Once in the first build and once in an
// incremental catch-up, each failing after it had written some rows.
func TestRollupCatchUpThatDiesLeavesItsMarks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "rollup-crash@example.com", pointsInput("Coffee"))
		loc := l.m.Location()
		crash := errors.New("crash")
		var failOn atomic.Value // the table whose insert fails, with what
		type failure struct {
			table string
			do    func(*gorm.DB)
		}
		failOn.Store(failure{})
		if err := db.Callback().Create().Before("gorm:create").Register("test:crash", func(tx *gorm.DB) {
			if f := failOn.Load().(failure); f.table != "" && tx.Statement.Table == f.table {
				f.do(tx)
			}
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Callback().Create().Remove("test:crash") })
		dies := func(what string, f failure, ctx context.Context, now time.Time) {
			t.Helper()
			marks, before, state := pendingMarks(t, l.db), rollupSnapshot(t, l.db), rollupStates(t, l.db)
			failOn.Store(f)
			err := models.CatchUpRollups(l.db.WithContext(ctx), now)
			failOn.Store(failure{})
			if err == nil {
				t.Fatalf("%s: the catch-up did not fail", what)
			}
			if n := pendingMarks(t, l.db); n != marks || marks == 0 {
				t.Errorf("%s: marks went from %d to %d", what, marks, n)
			}
			compareLines(t, what+": rows after the failed catch-up", before, rollupSnapshot(t, l.db))
			if after := rollupStates(t, l.db); after != state {
				t.Errorf("%s: state went from %q to %q", what, state, after)
			}
			if err := models.CatchUpRollups(l.db, now); err != nil {
				t.Fatal(err)
			}
			checkRollupsExact(t, what+": after the next catch-up", l.db, loc)
		}

		ann, bob := enrolNamed(t, l.db, "Ann"), enrolNamed(t, l.db, "Bob")
		res := buy(t, l.db, l.p.ID, ann.ID, "12.00", "c1", day0)
		buy(t, l.db, l.p.ID, 0, "3.00", "c2", day0.Add(-30*time.Hour))
		// The first build fails on its second day, after the visits and
		// the first day were written.
		days := 0
		dies("first build", failure{table: "daily_sales", do: func(tx *gorm.DB) {
			if days++; days == 2 {
				_ = tx.AddError(crash)
			}
		}}, context.Background(), day0)
		if st := rollupStates(t, l.db); st == "" {
			t.Fatal("no state after the rebuild")
		}

		later := day0.Add(50 * time.Hour)
		buy(t, l.db, l.p.ID, bob.ID, "7.00", "c3", later.Add(-72*time.Hour))
		buy(t, l.db, l.p.ID, ann.ID, "9.00", "c4", later)
		if _, err := models.RefundPurchase(l.db, testActor, res.Purchase.ID, "12.00", "c1-refund", later); err != nil {
			t.Fatal(err)
		}
		// The request goes away while the catch-up writes its points.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dies("cancelled", failure{table: "daily_points", do: func(*gorm.DB) { cancel() }}, ctx, later)
	})
}

// rollupStates is the scoped merchant's rollup state, "" when it has none.
func rollupStates(t testing.TB, sdb *gorm.DB) string {
	t.Helper()
	var st []models.RollupState
	if err := sdb.Find(&st).Error; err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 {
		return ""
	}
	return fmt.Sprintf("%s built %s caught up %s", st[0].TimeZone, stamp(&st[0].BuiltAt), stamp(&st[0].CaughtUpAt))
}
