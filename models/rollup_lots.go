package models

import (
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MemberLot is what is left of a member's earnings in a program from one
// local month, after spending oldest first (the expiry replay, rule 5).
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

// MemberSpend is a member's purchases over all time, revenue net of refunds.
type MemberSpend struct {
	MerchantID   int64 `gorm:"primaryKey;autoIncrement:false"`
	MemberID     int64 `gorm:"primaryKey;autoIncrement:false"`
	Purchases    int64
	RevenueMinor int64
}

func (MemberSpend) TableName() string { return "member_spend" }

// MemberRedeemer says a member redeemed in a program: vouchers not cancelled.
type MemberRedeemer struct {
	MerchantID  int64 `gorm:"primaryKey;autoIncrement:false"`
	MemberID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Redemptions int64
}

// economicsTables are cleared by a rebuild, which refreshes every member.
var economicsTables = []any{&MemberLot{}, &LotMonth{}, &MemberSpend{}, &MemberRedeemer{}}

// economics recomputes a batch of members' lots, spend and redemptions
// from their raw rows. Every ledger entry, purchase and refund marks its
// member, so a refreshed member's rows are exact.
func (r rollup) economics(ids []int64) error {
	if err := r.memberLots(ids); err != nil {
		return err
	}
	var spend []MemberSpend
	err := r.tx.Model(&Purchase{}).Select("member_id, count(*) AS purchases, sum(amount_minor - refunded_minor) AS revenue_minor").
		Where("member_id IN ?", ids).Group("member_id").Scan(&spend).Error
	if err != nil {
		return fmt.Errorf("rollup: member spend: %w", err)
	}
	var redeemers []MemberRedeemer
	err = r.tx.Model(&Voucher{}).Select("member_id, program_id, count(*) AS redemptions").
		Where("member_id IN ? AND status <> ?", ids, VoucherCancelled).Group("member_id, program_id").Scan(&redeemers).Error
	if err != nil {
		return fmt.Errorf("rollup: member redemptions: %w", err)
	}
	for _, rows := range []struct {
		model any
		rows  any
	}{{&MemberSpend{}, spend}, {&MemberRedeemer{}, redeemers}} {
		if err := r.tx.Where("member_id IN ?", ids).Delete(rows.model).Error; err != nil {
			return fmt.Errorf("rollup: clear member economics: %w", err)
		}
		if err := r.tx.CreateInBatches(rows.rows, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
			return fmt.Errorf("rollup: save member economics: %w", err)
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
	var old []MemberLot
	if err := r.tx.Where("member_id IN ?", ids).Find(&old).Error; err != nil {
		return fmt.Errorf("rollup: lots: old: %w", err)
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
	if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberLot{}).Error; err != nil {
		return fmt.Errorf("rollup: lots: clear: %w", err)
	}
	if err := r.tx.CreateInBatches(fresh, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: lots: save: %w", err)
	}
	var moves []LotMonth
	for k, n := range delta {
		if n != 0 {
			moves = append(moves, LotMonth{ProgramID: k.program, EarnedMonth: k.month, Remaining: n})
		}
	}
	err := r.tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "merchant_id"}, {Name: "program_id"}, {Name: "earned_month"}},
		DoUpdates: clause.Assignments(map[string]any{"remaining": gorm.Expr("lot_months.remaining + excluded.remaining")}),
	}).CreateInBatches(moves, memberBatch).Error
	if err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: lots: sums: %w", err)
	}
	return nil
}
