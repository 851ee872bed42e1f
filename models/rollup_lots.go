package models

import (
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MemberLot is what is left of a member's earnings in a program from one
// local month, after spending oldest first (the expiry replay, ledger rule
// 5, docs/ledger.md).
type MemberLot struct {
	MerchantID  int64  `gorm:"primaryKey;autoIncrement:false"`
	MemberID    int64  `gorm:"primaryKey;autoIncrement:false"`
	ProgramID   int64  `gorm:"primaryKey;autoIncrement:false"`
	EarnedMonth string `gorm:"primaryKey"`
	Remaining   int64
}

// LotMonth sums MemberLot over a program's members: the outstanding
// points by the month they were earned.
type LotMonth struct {
	MerchantID  int64  `gorm:"primaryKey;autoIncrement:false"`
	ProgramID   int64  `gorm:"primaryKey;autoIncrement:false"`
	EarnedMonth string `gorm:"primaryKey"`
	Remaining   int64
}

// MemberSpend is a customer's purchases over all time, revenue net of
// refunds, with where they stand in a program now: their tier (0 for
// none) and whether they ever redeemed in it (a voucher not cancelled).
// ProgramID 0 is the customer whatever the programs; a program has a row
// only for a customer with a tier or a redemption in it.
type MemberSpend struct {
	MerchantID   int64 `gorm:"primaryKey;autoIncrement:false"`
	MemberID     int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID    int64 `gorm:"primaryKey;autoIncrement:false"`
	TierID       int64
	Redeemed     bool
	Purchases    int64
	RevenueMinor int64
}

func (MemberSpend) TableName() string { return "member_spend" }

// SegmentTotal sums MemberSpend over a program's customers of one tier
// who did or did not redeem.
type SegmentTotal struct {
	MerchantID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID    int64 `gorm:"primaryKey;autoIncrement:false"`
	TierID       int64 `gorm:"primaryKey;autoIncrement:false"`
	Redeemed     bool  `gorm:"primaryKey"`
	Customers    int64
	Purchases    int64
	RevenueMinor int64
}

// economics recomputes a batch of members' lots and spend from their raw
// rows. Every ledger entry, purchase, refund and tier change marks its
// member, so a refreshed member's rows are exact.
func (r rollup) economics(ids []int64, bought []memberPurchase) error {
	if err := r.memberLots(ids); err != nil {
		return err
	}
	return r.memberSpend(ids, bought)
}

// segment is one row of segment_totals: a program's customers by tier and
// by whether they redeemed.
type segment struct {
	program, tier int64
	redeemed      bool
}

// memberSpend replaces the members' spend rows and visits from their
// purchases (in member and time order) and moves the segment sums by the
// difference.
func (r rollup) memberSpend(ids []int64, bought []memberPurchase) error {
	visits := r.visitsOfPurchases(bought)
	type standing struct{ program, member int64 }
	tiers, redeemed := map[standing]int64{}, map[standing]bool{}
	var accounts []Account
	if err := r.tx.Select("program_id, member_id, tier_id").Where("member_id IN ? AND tier_id IS NOT NULL", ids).Find(&accounts).Error; err != nil {
		return fmt.Errorf("rollup: spend: tiers: %w", err)
	}
	for _, a := range accounts {
		tiers[standing{a.ProgramID, a.MemberID}] = *a.TierID
	}
	var redeemers []Voucher
	err := r.tx.Model(&Voucher{}).Distinct("program_id", "member_id").Where("member_id IN ? AND status <> ?", ids, VoucherCancelled).
		Find(&redeemers).Error
	if err != nil {
		return fmt.Errorf("rollup: spend: redemptions: %w", err)
	}
	for _, v := range redeemers {
		redeemed[standing{v.ProgramID, v.MemberID}] = true
	}
	// Program 0 is every customer; a program's own rows are its customers
	// with a tier or a redemption there, so one created after they bought
	// finds them all in the rest (no tier, never redeemed).
	programs := map[int64][]int64{}
	for k := range tiers {
		programs[k.member] = append(programs[k.member], k.program)
	}
	for k := range redeemed {
		if _, tiered := tiers[k]; !tiered {
			programs[k.member] = append(programs[k.member], k.program)
		}
	}
	var fresh []MemberSpend
	for _, id := range ids {
		var total MemberSpend
		for _, v := range visits[id] {
			total.Purchases += v.Purchases
			total.RevenueMinor += v.RevenueMinor
		}
		if total.Purchases == 0 {
			continue
		}
		for _, p := range append([]int64{0}, programs[id]...) {
			k := standing{p, id}
			fresh = append(fresh, MemberSpend{ProgramID: p, MemberID: id, TierID: tiers[k], Redeemed: redeemed[k],
				Purchases: total.Purchases, RevenueMinor: total.RevenueMinor})
		}
	}
	var old []MemberSpend // none in a rebuild, which started empty
	if !r.rebuilding {
		if err := r.tx.Where("member_id IN ?", ids).Find(&old).Error; err != nil {
			return fmt.Errorf("rollup: spend: old: %w", err)
		}
		if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberSpend{}).Error; err != nil {
			return fmt.Errorf("rollup: spend: clear: %w", err)
		}
	}
	delta := map[segment]SegmentTotal{}
	move := func(s MemberSpend, sign int64) {
		k := segment{s.ProgramID, s.TierID, s.Redeemed}
		d := delta[k]
		d.ProgramID, d.TierID, d.Redeemed = k.program, k.tier, k.redeemed
		d.Customers += sign
		d.Purchases += sign * s.Purchases
		d.RevenueMinor += sign * s.RevenueMinor
		delta[k] = d
	}
	for _, o := range old {
		move(o, -1)
	}
	for _, f := range fresh {
		move(f, 1)
	}
	if err := r.tx.CreateInBatches(fresh, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: spend: save: %w", err)
	}
	if err := r.segmentVisits(ids, old, fresh, visits); err != nil {
		return err
	}
	if r.rebuilding {
		// As the expansion sums: written once at the end (saveSums).
		for k, d := range delta {
			sum := r.sums.segments[k]
			sum.ProgramID, sum.TierID, sum.Redeemed = d.ProgramID, d.TierID, d.Redeemed
			sum.Customers += d.Customers
			sum.Purchases += d.Purchases
			sum.RevenueMinor += d.RevenueMinor
			r.sums.segments[k] = sum
		}
		return nil
	}
	return r.moveSegments(delta)
}

func (r rollup) moveSegments(delta map[segment]SegmentTotal) error {
	var moves []SegmentTotal
	for _, d := range delta {
		if d.Customers != 0 || d.Purchases != 0 || d.RevenueMinor != 0 {
			moves = append(moves, d)
		}
	}
	return r.addTo("segment_totals", moves, []string{"program_id", "tier_id", "redeemed"}, "customers", "purchases", "revenue_minor")
}

// addTo adds rows to the sums of table: an insert, or an update adding
// each of sums to the row with the same key.
func (r rollup) addTo(table string, rows any, key []string, sums ...string) error {
	cols := []clause.Column{{Name: "merchant_id"}}
	for _, k := range key {
		cols = append(cols, clause.Column{Name: k})
	}
	set := map[string]any{}
	for _, c := range sums {
		set[c] = gorm.Expr(table + "." + c + " + excluded." + c)
	}
	err := r.tx.Clauses(clause.OnConflict{Columns: cols, DoUpdates: clause.Assignments(set)}).CreateInBatches(rows, memberBatch).Error
	if err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: add to %s: %w", table, err)
	}
	return nil
}

// dropEmpty deletes the rows of model whose column came to zero on the
// given days (of dayColumn): a count at zero says nothing.
func (r rollup) dropEmpty(model any, dayColumn, column string, days []string) error {
	for batch := range slices.Chunk(days, memberBatch) {
		if err := r.tx.Where(dayColumn+" IN ? AND "+column+" = 0", batch).Delete(model).Error; err != nil {
			return fmt.Errorf("rollup: drop empty %T: %w", model, err)
		}
	}
	return nil
}

// lotKey is one program's lots from one month.
type lotKey struct {
	program int64
	month   string
}

// memberLots replaces the members' lots and moves each program's monthly
// sums by the difference.
func (r rollup) memberLots(ids []int64) error {
	var es []LedgerEntry
	if err := r.tx.Where("member_id IN ?", ids).Order("account_id, id").Find(&es).Error; err != nil {
		return fmt.Errorf("rollup: lots: entries: %w", err)
	}
	type memberLot struct {
		member int64
		lotKey
	}
	left := map[memberLot]int64{}
	for start := 0; start < len(es); {
		end := start
		for end < len(es) && es[end].AccountID == es[start].AccountID {
			end++
		}
		for _, l := range replayLots(es[start:end]) {
			if l.Left != 0 {
				left[memberLot{es[start].MemberID, lotKey{es[start].ProgramID, r.month(l.EarnedAt)}}] += l.Left
			}
		}
		start = end
	}
	var old []MemberLot // none in a rebuild, which started empty
	if !r.rebuilding {
		if err := r.tx.Where("member_id IN ?", ids).Find(&old).Error; err != nil {
			return fmt.Errorf("rollup: lots: old: %w", err)
		}
		if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberLot{}).Error; err != nil {
			return fmt.Errorf("rollup: lots: clear: %w", err)
		}
	}
	delta := map[lotKey]int64{}
	for _, o := range old {
		delta[lotKey{o.ProgramID, o.EarnedMonth}] -= o.Remaining
	}
	fresh := make([]MemberLot, 0, len(left))
	for k, n := range left {
		delta[k.lotKey] += n
		fresh = append(fresh, MemberLot{MemberID: k.member, ProgramID: k.program, EarnedMonth: k.month, Remaining: n})
	}
	if err := r.tx.CreateInBatches(fresh, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: lots: save: %w", err)
	}
	if r.rebuilding {
		for k, n := range delta {
			r.sums.lots[k] += n
		}
		return nil
	}
	return r.moveLots(delta)
}

func (r rollup) moveLots(delta map[lotKey]int64) error {
	var moves []LotMonth
	for k, n := range delta {
		if n != 0 {
			moves = append(moves, LotMonth{ProgramID: k.program, EarnedMonth: k.month, Remaining: n})
		}
	}
	return r.addTo("lot_months", moves, []string{"program_id", "earned_month"}, "remaining")
}
