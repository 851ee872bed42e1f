package models

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Negative churn compares each local month with the one before it. What a
// member adds to a month's figures depends only on their net spend in the
// two months and whether they moved up a tier in the later one, so the
// catch-up keeps those per member and month, and the month sums, which it
// moves by each refreshed member's difference (as the gap counts are).

// MemberMonthSpend is a member's net spend in a local month and whether
// they moved up a tier in it; a month with neither has no row.
type MemberMonthSpend struct {
	MerchantID int64  `gorm:"primaryKey;autoIncrement:false"`
	MemberID   int64  `gorm:"primaryKey;autoIncrement:false"`
	Month      string `gorm:"primaryKey"`
	SpentMinor int64
	MovedUp    bool
}

func (MemberMonthSpend) TableName() string { return "member_month_spend" }

// MonthlyExpansion is one local month's negative churn against the month
// before; a month where every figure is 0 has no row.
type MonthlyExpansion struct {
	MerchantID int64  `gorm:"primaryKey;autoIncrement:false"`
	Month      string `gorm:"primaryKey"`
	Expansion  `gorm:"embedded"`
}

func (MonthlyExpansion) TableName() string { return "monthly_expansion" }

// expansionOf is what one member adds to a month's figures, from their
// rows of the month before and of the month (zero rows for none).
func expansionOf(before, in MemberMonthSpend) Expansion {
	var e Expansion
	more := false
	if before.SpentMinor > 0 {
		e.Previous, e.PreviousRevenueMinor, e.RetainedRevenueMinor = 1, before.SpentMinor, in.SpentMinor
		if in.SpentMinor > 0 {
			e.Returned = 1
		}
		if more = in.SpentMinor > before.SpentMinor; more {
			e.SpentMore = 1
		}
	}
	if in.MovedUp {
		e.MovedUp = 1
	}
	if more || in.MovedUp {
		e.Expanding = 1
	}
	return e
}

// plus is e with every figure of d added sign times.
func (e Expansion) plus(d Expansion, sign int64) Expansion {
	e.Previous += sign * d.Previous
	e.Returned += sign * d.Returned
	e.SpentMore += sign * d.SpentMore
	e.MovedUp += sign * d.MovedUp
	e.Expanding += sign * d.Expanding
	e.PreviousRevenueMinor += sign * d.PreviousRevenueMinor
	e.RetainedRevenueMinor += sign * d.RetainedRevenueMinor
	return e
}

// addMonth is the month after a 'YYYY-MM' month, or before it for -1.
func addMonth(month string, n int) string {
	t, err := time.Parse(monthLayout, month)
	if err != nil {
		panic(fmt.Sprintf("expansion: bad month %q", month))
	}
	return t.AddDate(0, n, 0).Format(monthLayout)
}

// movedUpSQL is the tier changes of a batch of members that entered a
// higher tier than they held; from no tier, a tier that is earned (not
// the base everyone starts in) or paid.
const movedUpSQL = `SELECT a.member_id, c.created_at FROM tier_changes c
	JOIN accounts a ON a.merchant_id = c.merchant_id AND a.id = c.account_id
	JOIN tiers t ON t.merchant_id = c.merchant_id AND t.id = c.to_tier_id
	LEFT JOIN tiers f ON f.merchant_id = c.merchant_id AND f.id = c.from_tier_id
	WHERE c.merchant_id = ? AND a.member_id IN ?
		AND (f.position < t.position OR (f.id IS NULL AND (t.threshold > 0 OR t.paid)))`

// memberPurchase is one purchase of a member, net of its refunds.
type memberPurchase struct {
	MemberID   int64
	OccurredAt time.Time
	NetMinor   int64
}

// spendKey is one member's month.
type spendKey struct {
	member int64
	month  string
}

// expansion replaces a batch of members' monthly spend rows from their
// purchases and tier moves and moves the month sums by the difference.
func (r rollup) expansion(ids []int64, bought []memberPurchase) error {
	fresh, err := r.monthlySpend(ids, bought)
	if err != nil {
		return err
	}
	var old []MemberMonthSpend // none in a rebuild, which started empty
	if !r.rebuilding {
		if err := r.tx.Where("member_id IN ?", ids).Find(&old).Error; err != nil {
			return fmt.Errorf("rollup: expansion: old: %w", err)
		}
		if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberMonthSpend{}).Error; err != nil {
			return fmt.Errorf("rollup: expansion: clear: %w", err)
		}
	}
	if err := r.tx.CreateInBatches(fresh, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: expansion: save: %w", err)
	}
	delta := map[string]Expansion{}
	addExpansions(delta, old, -1)
	addExpansions(delta, fresh, 1)
	if r.rebuilding {
		// Written once at the end (saveSums).
		for mo, d := range delta {
			r.sums.expansions[mo] = r.sums.expansions[mo].plus(d, 1)
		}
		return nil
	}
	return r.moveExpansion(delta)
}

// monthlySpend is a batch of members' monthly spend rows, from their
// purchases and tier moves.
func (r rollup) monthlySpend(ids []int64, bought []memberPurchase) ([]MemberMonthSpend, error) {
	rows := map[spendKey]*MemberMonthSpend{}
	rowOf := func(member int64, at time.Time) *MemberMonthSpend {
		k := spendKey{member, r.month(at)}
		if rows[k] == nil {
			rows[k] = &MemberMonthSpend{MemberID: member, Month: k.month}
		}
		return rows[k]
	}
	for _, b := range bought {
		rowOf(b.MemberID, b.OccurredAt).SpentMinor += b.NetMinor
	}
	var moves []struct {
		MemberID  int64
		CreatedAt time.Time
	}
	if err := r.tx.Raw(movedUpSQL, r.m.ID, ids).Scan(&moves).Error; err != nil {
		return nil, fmt.Errorf("rollup: expansion: tier moves: %w", err)
	}
	for _, mv := range moves {
		rowOf(mv.MemberID, mv.CreatedAt).MovedUp = true
	}
	var out []MemberMonthSpend
	for _, row := range rows {
		if row.SpentMinor > 0 || row.MovedUp {
			out = append(out, *row)
		}
	}
	return out, nil
}

// addExpansions adds sign times what the rows add to each month's
// figures: a row counts in its own month and, as the month before, in
// the next.
func addExpansions(delta map[string]Expansion, rows []MemberMonthSpend, sign int64) {
	byMonth, months := map[spendKey]MemberMonthSpend{}, map[spendKey]bool{}
	for _, row := range rows {
		byMonth[spendKey{row.MemberID, row.Month}] = row
		months[spendKey{row.MemberID, row.Month}], months[spendKey{row.MemberID, addMonth(row.Month, 1)}] = true, true
	}
	for k := range months {
		e := expansionOf(byMonth[spendKey{k.member, addMonth(k.month, -1)}], byMonth[k])
		delta[k.month] = delta[k.month].plus(e, sign)
	}
}

// moveExpansion adds each month's difference to its sums and drops the
// months whose figures all went to 0 (only a count that went down can).
func (r rollup) moveExpansion(delta map[string]Expansion) error {
	var moved []MonthlyExpansion
	var shrunk []string
	for _, mo := range slices.Sorted(maps.Keys(delta)) {
		d := delta[mo]
		if d != (Expansion{}) {
			moved = append(moved, MonthlyExpansion{Month: mo, Expansion: d})
		}
		if d.Previous < 0 || d.MovedUp < 0 {
			shrunk = append(shrunk, mo)
		}
	}
	err := r.addTo("monthly_expansion", moved, []string{"month"}, "previous", "returned", "spent_more", "moved_up",
		"expanding", "previous_revenue_minor", "retained_revenue_minor")
	if err != nil {
		return err
	}
	// Every figure counts members who spent the month before or moved up.
	for batch := range slices.Chunk(shrunk, memberBatch) {
		if err := r.tx.Where("month IN ? AND previous = 0 AND moved_up = 0", batch).Delete(&MonthlyExpansion{}).Error; err != nil {
			return fmt.Errorf("rollup: expansion: drop empty months: %w", err)
		}
	}
	return nil
}

// markTierMoves marks every member who ever moved into or out of a tier,
// inside the transaction that changes what makes a move into it a move
// up (its rank, its being paid or earned) or deletes it: their monthly
// spend rows are refreshed at the next catch-up.
func markTierMoves(tx *gorm.DB, tierID int64, now time.Time) error {
	var members []int64
	err := tx.Model(&TierChange{}).Distinct("a.member_id").
		Joins("JOIN accounts a ON a.merchant_id = tier_changes.merchant_id AND a.id = tier_changes.account_id").
		Where("tier_changes.to_tier_id = ? OR tier_changes.from_tier_id = ?", tierID, tierID).Pluck("a.member_id", &members).Error
	if err != nil {
		return fmt.Errorf("rollup: members moved through tier %d: %w", tierID, err)
	}
	marks := make([]RollupMark, len(members))
	for i := range members {
		marks[i] = RollupMark{MemberID: &members[i], At: now.UTC()}
	}
	return markRollups(tx, marks)
}
