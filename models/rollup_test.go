package models_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A purchase near midnight in Paris lands on the Paris day; a refund
// lowers that day's revenue; the catch-up after each write sees it.
func TestRollupCatchUpFollowsWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "rollup@example.com", pointsInput("Coffee"))
		m := enrolNamed(t, l.db, "Ada")
		late := time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC) // 00:30 on the 11th in Paris
		res := buy(t, l.db, l.p.ID, m.ID, "12.00", "k1", late)
		buy(t, l.db, l.p.ID, 0, "5.00", "k2", late)
		if err := models.CatchUpRollups(l.db, late); err != nil {
			t.Fatal(err)
		}
		var sales []models.DailySales
		if err := l.db.Order("day").Find(&sales).Error; err != nil {
			t.Fatal(err)
		}
		if len(sales) != 2 || sales[0].Day != "2026-03-10" || sales[0].NewMembers != 1 ||
			sales[1].Day != "2026-03-11" || sales[1].Purchases != 2 || sales[1].MemberPurchases != 1 ||
			sales[1].RevenueMinor != 1700 || sales[1].MemberRevenueMinor != 1200 || sales[1].Visitors != 1 {
			t.Fatalf("sales = %+v", sales)
		}
		if _, err := models.RefundPurchase(l.db, testActor, res.Purchase.ID, "2.00", "r1", late.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := models.CatchUpRollups(l.db, late.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var day models.DailySales
		if err := l.db.Where("day = ?", "2026-03-11").Take(&day).Error; err != nil {
			t.Fatal(err)
		}
		if day.RevenueMinor != 1500 || day.RefundedMinor != 200 {
			t.Fatalf("after refund: %+v", day)
		}
		var points []models.DailyPoints
		if err := l.db.Order("day, kind").Find(&points).Error; err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, p := range points {
			got[p.Day+" "+string(p.Kind)] = p.Amount
		}
		if got["2026-03-11 purchase_earn"] != 12 || got["2026-03-13 refund_clawback"] != -2 {
			t.Fatalf("points = %v", got)
		}
		var v models.Member
		if err := l.db.Take(&v, m.ID).Error; err != nil {
			t.Fatal(err)
		}
		if v.VisitCount != 1 || v.LastVisitAt == nil || !v.LastVisitAt.Equal(late) {
			t.Fatalf("visits = %d, %v", v.VisitCount, v.LastVisitAt)
		}
		// Active from the visit's day through the window's last day, the
		// days asked for in any order.
		on := []string{"2026-04-09", "2026-03-10", "2026-04-10", "2026-03-11"}
		n, err := models.ActiveMembers(l.db, 30, on...)
		if err != nil || !slices.Equal(n, []int64{1, 0, 0, 1}) {
			t.Errorf("active over 30 days on %v = %v, %v; want 1 0 0 1", on, n, err)
		}
		var marks int64
		if err := l.db.Model(&models.RollupMark{}).Count(&marks).Error; err != nil || marks != 0 {
			t.Fatalf("marks left = %d, %v", marks, err)
		}
	})
}

// A rebuild starts from nothing: a stale row in any table of the rollup
// registry is gone after it, and every table of the registry is a model
// the migration test checks.
func TestRollupRebuildClearsEveryRollupTable(t *testing.T) {
	var known []reflect.Type
	for _, m := range models.Models() {
		known = append(known, reflect.TypeOf(m))
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "stale@example.com", pointsInput("Coffee"))
		for _, table := range models.RollupTables {
			if !slices.Contains(known, reflect.TypeOf(table)) {
				t.Errorf("%T is not in Models()", table)
			}
			if err := l.db.Create(reflect.New(reflect.TypeOf(table).Elem()).Interface()).Error; err != nil {
				t.Fatalf("stale %T: %v", table, err)
			}
		}
		if err := models.RebuildRollups(l.db, time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, table := range models.RollupTables {
			var n int64
			if err := l.db.Model(table).Count(&n).Error; err != nil || n != 0 {
				t.Errorf("%T after the rebuild: %d rows, %v", table, n, err)
			}
		}
	})
}
