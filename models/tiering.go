package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// windowStart is where a tier window opens for a moment, in the
// merchant's zone; the zero time for lifetime.
func windowStart(w TierWindow, now time.Time, loc *time.Location) time.Time {
	switch w {
	case WindowRolling12:
		return now.AddDate(-1, 0, 0)
	case WindowCalendarYear:
		local := now.In(loc)
		return time.Date(local.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

// tiersOnEarning reports whether the program's tiers count units earned
// (rather than spend or visits, which come from purchases).
func (p *Program) tiersOnEarning() bool {
	return p.TierMetric != MetricSpend && p.TierMetric != MetricVisits
}

// tierValueStored reports whether the qualifying value is the account's
// own lifetime_earned: units earned over the lifetime.
func (p *Program) tierValueStored() bool {
	return p.tiersOnEarning() && p.TierWindow == WindowLifetime
}

// QualifyingValue is what an account has done towards tiers in the
// program's window: units earned, spend in minor units (net of refunds),
// or visits.
func QualifyingValue(db *gorm.DB, a *Account, p *Program, now time.Time, loc *time.Location) (int64, error) {
	if p.tierValueStored() {
		return a.LifetimeEarned, nil
	}
	return qualifyingBetween(db, a, p, windowStart(p.TierWindow, now, loc), time.Time{})
}

// qualifyingBetween is the qualifying value of what happened from since,
// and before until unless until is zero.
func qualifyingBetween(db *gorm.DB, a *Account, p *Program, since, until time.Time) (int64, error) {
	var v int64
	var err error
	column := "occurred_at"
	if p.tiersOnEarning() {
		column = "created_at"
	}
	bounded := func(q *gorm.DB) *gorm.DB {
		// Times are compared in UTC, as they are stored: SQLite compares them as text.
		q = q.Where("account_id = ? AND "+column+" >= ?", a.ID, since.UTC())
		if !until.IsZero() {
			q = q.Where(column+" < ?", until.UTC())
		}
		return q
	}
	switch p.TierMetric {
	case MetricSpend:
		err = bounded(db.Model(&Purchase{})).Where(productSales).Select("COALESCE(SUM(amount_minor - refunded_minor), 0)").Scan(&v).Error
	case MetricVisits:
		err = bounded(db.Model(&Purchase{})).Where(productSales).Where("refunded_minor < amount_minor").Select("COUNT(*)").Scan(&v).Error
	default:
		kinds := []EntryKind{KindPurchaseEarn, KindRuleEarn, KindCampaignBonus, KindManualCredit, KindOpeningBalance, KindRecognition}
		err = bounded(db.Model(&LedgerEntry{})).Where("kind IN ?", kinds).Select("COALESCE(SUM(amount), 0)").Scan(&v).Error
	}
	if err != nil {
		return 0, fmt.Errorf("tier: qualifying value: %w", err)
	}
	return v, nil
}

// standingValue is what keeps an account in its tier at a moment: on a
// rolling window, the last 12 months; on a calendar year, the better of
// the year that ended last and the year so far, because a tier reached
// in a year holds until the end of the next. A past moment counts only
// what happened before it; now counts everything.
func standingValue(db *gorm.DB, a *Account, p *Program, at time.Time, loc *time.Location, past bool) (int64, error) {
	start := windowStart(p.TierWindow, at, loc)
	var until time.Time
	if past {
		until = at
	}
	v, err := qualifyingBetween(db, a, p, start, until)
	if err != nil || p.TierWindow != WindowCalendarYear {
		return v, err
	}
	last, err := qualifyingBetween(db, a, p, start.AddDate(-1, 0, 0), start)
	return max(v, last), err
}

// earnedTierFor is the highest earned tier a value reaches, or nil.
func earnedTierFor(ladder []Tier, value int64) *Tier {
	var best *Tier
	for i := range ladder {
		t := &ladder[i]
		if !t.Paid && t.Threshold <= value && (best == nil || t.Position > best.Position) {
			best = t
		}
	}
	return best
}

// NextTier is the tier an account at value, now in current, works
// towards: the first earned tier above current that value has not reached
// (ladder in rank order, paid tiers last). Nil at the top, and for a paid
// tier, which no value moves.
func NextTier(ladder []Tier, current *Tier, value int64) *Tier {
	if current != nil && current.Paid {
		return nil
	}
	for i := range ladder {
		t := &ladder[i]
		if !t.Paid && (current == nil || t.Position > current.Position) && t.Threshold > value {
			return t
		}
	}
	return nil
}

// TierByID finds a tier of a ladder by id; nil for none.
func TierByID(ladder []Tier, id *int64) *Tier {
	if id == nil {
		return nil
	}
	for i := range ladder {
		if ladder[i].ID == *id {
			return &ladder[i]
		}
	}
	return nil
}

// promote moves a locked account up to the tier its value reaches. It
// never moves anyone down (the daily job does, by the downgrade policy)
// and leaves members of a paid tier where they are.
func promote(tx *gorm.DB, a *Account, p *Program, loc *time.Location, now time.Time) error {
	ladder, err := ListTiers(tx, p.ID)
	if err != nil || len(ladder) == 0 {
		return err
	}
	current := TierByID(ladder, a.TierID)
	if current != nil && current.Paid {
		return nil
	}
	value, err := QualifyingValue(tx, a, p, now, loc)
	if err != nil {
		return err
	}
	target := earnedTierFor(ladder, value)
	if target == nil || (current != nil && target.Position <= current.Position) {
		return nil
	}
	return moveTier(tx, a, target, "promoted", now)
}

// placeInBaseTier puts the program's members who hold no tier into its
// base tier (the first earned one, at threshold 0), where promote would put
// them at their next earning: a base tier added, or a tier made the base,
// takes effect at once. Paid tiers are left alone, as promote leaves them.
// Two statements whatever the number of members; the raw one scopes its
// merchant itself.
func placeInBaseTier(tx *gorm.DB, p *Program, now time.Time) error {
	ladder, err := ListTiers(tx, p.ID)
	if err != nil {
		return err
	}
	base := earnedTierFor(ladder, 0)
	if base == nil {
		return nil
	}
	now = now.UTC()
	if err := tx.Exec(`INSERT INTO tier_changes (merchant_id, account_id, from_tier_id, to_tier_id, reason, created_at)
		SELECT merchant_id, id, NULL, ?, ?, ? FROM accounts WHERE merchant_id = ? AND program_id = ? AND tier_id IS NULL`,
		base.ID, "promoted", now, p.MerchantID, p.ID).Error; err != nil {
		return fmt.Errorf("tier: place in base tier: history: %w", err)
	}
	// Each member placed changes segment in the economics report.
	if err := tx.Exec(`INSERT INTO rollup_marks (merchant_id, member_id, at)
		SELECT merchant_id, member_id, ? FROM accounts WHERE merchant_id = ? AND program_id = ? AND tier_id IS NULL`,
		now, p.MerchantID, p.ID).Error; err != nil {
		return fmt.Errorf("tier: place in base tier: marks: %w", err)
	}
	if err := tx.Model(&Account{}).Where("program_id = ? AND tier_id IS NULL", p.ID).
		Updates(map[string]any{"tier_id": base.ID, "tier_since": now}).Error; err != nil {
		return fmt.Errorf("tier: place in base tier: %w", err)
	}
	return nil
}

func moveTier(tx *gorm.DB, a *Account, to *Tier, reason string, now time.Time) error {
	var toID *int64
	if to != nil {
		id := to.ID
		toID = &id
	}
	now = now.UTC()
	change := &TierChange{AccountID: a.ID, FromTierID: a.TierID, ToTierID: toID, Reason: reason, CreatedAt: now}
	if err := tx.Create(change).Error; err != nil {
		return fmt.Errorf("tier: history: %w", err)
	}
	ev := TierEventData{MemberID: a.MemberID, ProgramID: a.ProgramID, FromTierID: a.TierID, ToTierID: toID, Reason: reason}
	if err := enqueueEvent(tx, EventTierChanged, ev, now); err != nil {
		return err
	}
	if err := markRollup(tx, a.MemberID, now); err != nil {
		return err
	}
	a.TierID, a.TierSince = toID, &now
	if err := tx.Model(a).Updates(map[string]any{"tier_id": toID, "tier_since": now}).Error; err != nil {
		return fmt.Errorf("tier: move: %w", err)
	}
	return nil
}
