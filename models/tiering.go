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

// QualifyingValue is what an account has done towards tiers in the
// program's window: units earned, spend in minor units (net of refunds),
// or visits.
func QualifyingValue(db *gorm.DB, a *Account, p *Program, now time.Time, loc *time.Location) (int64, error) {
	since := windowStart(p.TierWindow, now, loc)
	var v int64
	var err error
	switch p.TierMetric {
	case MetricSpend:
		err = db.Model(&Purchase{}).Where("account_id = ? AND occurred_at >= ?", a.ID, since).
			Select("COALESCE(SUM(amount_minor - refunded_minor), 0)").Scan(&v).Error
	case MetricVisits:
		err = db.Model(&Purchase{}).Where("account_id = ? AND occurred_at >= ? AND refunded_minor < amount_minor", a.ID, since).
			Select("COUNT(*)").Scan(&v).Error
	default:
		if p.TierWindow == WindowLifetime {
			return a.LifetimeEarned, nil
		}
		kinds := []EntryKind{KindPurchaseEarn, KindRuleEarn, KindCampaignBonus, KindManualCredit, KindOpeningBalance, KindRecognition}
		err = db.Model(&LedgerEntry{}).Where("account_id = ? AND created_at >= ? AND kind IN ?", a.ID, since, kinds).
			Select("COALESCE(SUM(amount), 0)").Scan(&v).Error
	}
	if err != nil {
		return 0, fmt.Errorf("tier: qualifying value: %w", err)
	}
	return v, nil
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

func tierByID(ladder []Tier, id *int64) *Tier {
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
	current := tierByID(ladder, a.TierID)
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

func moveTier(tx *gorm.DB, a *Account, to *Tier, reason string, now time.Time) error {
	var toID *int64
	if to != nil {
		id := to.ID
		toID = &id
	}
	change := &TierChange{AccountID: a.ID, FromTierID: a.TierID, ToTierID: toID, Reason: reason}
	if err := tx.Create(change).Error; err != nil {
		return fmt.Errorf("tier: history: %w", err)
	}
	a.TierID, a.TierSince = toID, &now
	if err := tx.Model(a).Updates(map[string]any{"tier_id": toID, "tier_since": now}).Error; err != nil {
		return fmt.Errorf("tier: move: %w", err)
	}
	return nil
}
