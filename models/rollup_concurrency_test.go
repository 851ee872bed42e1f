package models_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Sixteen tills record purchases (and refunds) while two workers catch up
// in a loop: once everyone is done and a last catch-up has run, every
// rollup equals the raw rows, so no mark was lost between a catch-up's
// read and its delete, and none counted twice.
func TestRollupCatchUpRacingPurchases(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		hammerable(t, db)
		l := newLoyal(t, db, "rollup-race@example.com", pointsInput("Coffee"))
		members := make([]*models.Member, 16)
		for i := range members {
			members[i] = enrolNamed(t, l.db, fmt.Sprint("Till ", i))
		}
		// Just before a Paris midnight, so the purchases straddle two
		// local days and two weeks (the 16th is a Sunday).
		now := time.Date(2026, 3, 15, 22, 59, 0, 0, time.UTC)
		if err := models.CatchUpRollups(l.db, now); err != nil { // the first builds; the race's catch up
			t.Fatal(err)
		}
		var writing sync.WaitGroup
		// Each catch-up waits for a few writes since the last one: SQLite
		// has one writer, and catch-ups back to back (under the race
		// detector, on a busy machine) starve a till past the busy timeout.
		wrote, stop := make(chan struct{}, len(members)*6), make(chan struct{})
		errs := make(chan error, 64)
		for i, m := range members {
			writing.Add(1)
			go func() {
				defer writing.Done()
				for j := range 6 {
					in := purchase(l.p.ID, m.ID, fmt.Sprint(3+j, ".50"), fmt.Sprintf("race-%d-%d", i, j))
					in.OccurredAt = now.Add(time.Duration(j*30-60+i) * time.Second)
					res, err := models.RecordPurchase(l.db, testActor, in, now)
					if err == nil && j%3 == 2 {
						_, err = models.RefundPurchase(l.db, testActor, res.Purchase.ID, "1.00", fmt.Sprintf("race-refund-%d-%d", i, j), now)
					}
					if err != nil {
						errs <- fmt.Errorf("till %d purchase %d: %w", i, j, err)
						return
					}
					wrote <- struct{}{}
				}
			}()
		}
		var catching sync.WaitGroup
		runs := make([]int, 2)
		for w := range runs {
			catching.Add(1)
			go func() {
				defer catching.Done()
				for {
					for range 4 {
						select {
						case <-stop:
							return
						case <-wrote:
						}
					}
					if err := models.CatchUpRollups(l.db, now); err != nil {
						errs <- fmt.Errorf("catch-up %d: %w", w, err)
						return
					}
					runs[w]++
				}
			}()
		}
		writing.Wait()
		close(stop)
		catching.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if err := models.CatchUpRollups(l.db, now); err != nil {
			t.Fatal(err)
		}
		checkRollupsExact(t, "after the race", l.db, l.m.Location())
		var sales []models.DailySales
		if err := l.db.Where("purchases > 0").Find(&sales).Error; err != nil || len(sales) != 2 {
			t.Fatalf("the purchases should straddle two local days: %+v (%v)", sales, err)
		}
		t.Logf("catch-ups during the race: %v", runs)
	})
}

// A catch-up that read the merchant before its time zone changed computes
// in the old zone and says so in its state; the next catch-up sees the
// zone moved and rebuilds in the new one. Once deterministically (the
// change lands between the catch-up's first read and its transaction),
// then racing writers and catch-ups.
func TestRollupCatchUpRacingTimeZoneChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		hammerable(t, db)
		l := newLoyal(t, db, "rollup-zone@example.com", pointsInput("Coffee"))
		ann := enrolNamed(t, l.db, "Ann")
		now := time.Date(2026, 3, 10, 11, 30, 0, 0, time.UTC) // 00:30 the next day in Auckland
		buy(t, l.db, l.p.ID, ann.ID, "4.00", "z1", now)
		if err := models.CatchUpRollups(l.db, now); err != nil {
			t.Fatal(err)
		}
		buy(t, l.db, l.p.ID, ann.ID, "5.00", "z2", now)
		// The change is made right after the catch-up's look at the marks,
		// outside any transaction: the catch-up goes on with the zone it read.
		var armed atomic.Bool
		armed.Store(true)
		var changeErr error
		zone := func(name string) models.MerchantInput {
			return models.MerchantInput{Name: l.m.Name, Currency: l.m.Currency, TimeZone: name}
		}
		if err := db.Callback().Query().After("gorm:query").Register("test:zone_change", func(tx *gorm.DB) {
			if tx.Statement.Table == "rollup_marks" && armed.CompareAndSwap(true, false) {
				_, changeErr = models.UpdateMerchant(l.db, testActor, zone("Pacific/Auckland"))
			}
		}); err != nil {
			t.Fatal(err)
		}
		err := models.CatchUpRollups(l.db, now)
		if rerr := db.Callback().Query().Remove("test:zone_change"); rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil || changeErr != nil || armed.Load() {
			t.Fatalf("catch-up: %v; zone change: %v; fired: %v", err, changeErr, !armed.Load())
		}
		if st := rollupState(t, l.db); st.TimeZone != "Europe/Paris" {
			t.Fatalf("the catch-up computed in %s, not the zone it read", st.TimeZone)
		}
		later := now.Add(time.Hour)
		if err := models.CatchUpRollups(l.db, later); err != nil {
			t.Fatal(err)
		}
		auckland, _ := time.LoadLocation("Pacific/Auckland")
		checkRollupsExact(t, "after the zone change", l.db, auckland)
		if st := rollupState(t, l.db); st.TimeZone != "Pacific/Auckland" || !st.BuiltAt.Equal(later) {
			t.Fatalf("state after the change = %+v, want a rebuild in Auckland at %s", st, later)
		}

		// Racing: tills and catch-ups while the zone goes back to Paris.
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		var changed atomic.Bool
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 4 {
					if _, err := models.RecordPurchase(l.db, testActor, purchase(l.p.ID, ann.ID, "2.00", fmt.Sprintf("zr-%d-%d", i, j)), later); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 6 {
					if err := models.CatchUpRollups(l.db, later); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := models.UpdateMerchant(l.db, testActor, zone("Europe/Paris")); err != nil {
				errs <- err
			}
			changed.Store(true)
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if err := models.CatchUpRollups(l.db, later); err != nil {
			t.Fatal(err)
		}
		checkRollupsExact(t, "after racing the zone change", l.db, l.m.Location())
		if st := rollupState(t, l.db); !changed.Load() || st.TimeZone != "Europe/Paris" {
			t.Fatalf("state after racing = %+v", st)
		}
	})
}

func rollupState(t testing.TB, sdb *gorm.DB) models.RollupState {
	t.Helper()
	var st models.RollupState
	if err := sdb.Take(&st).Error; err != nil {
		t.Fatal(err)
	}
	return st
}
