package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Expiry spends oldest first. Credits are consumed in the order they were
// earned by everything that took units away (redemptions, debits,
// clawbacks, earlier expiries; a cancelled redemption gives its units
// back). What expires at a moment is what was earned before then, expires
// by then, and has not been consumed. Because consumption is computed
// rather than recorded on the credits, the ledger stays append-only.

// lot is a credit with what is left of it after consumption.
type lot struct {
	Amount    int64
	Left      int64
	ExpiresAt *time.Time
}

// lots replays an account's ledger first-in, first-out.
func lots(db *gorm.DB, accountID int64) ([]lot, error) {
	var es []LedgerEntry
	if err := db.Where("account_id = ?", accountID).Order("id").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("expiry: entries: %w", err)
	}
	var ls []lot
	var consumed int64
	for _, e := range es {
		switch {
		case e.Amount > 0 && e.Kind.earns():
			ls = append(ls, lot{Amount: e.Amount, Left: e.Amount, ExpiresAt: e.ExpiresAt})
		case e.Amount > 0: // a cancelled redemption un-consumes
			consumed -= e.Amount
		default:
			consumed -= e.Amount // amount < 0
		}
	}
	for i := range ls {
		take := min(max(consumed, 0), ls[i].Left)
		ls[i].Left -= take
		consumed -= take
	}
	return ls, nil
}

// Expiring is units of an account that lapse on a date unless spent.
type Expiring struct {
	Amount int64
	On     time.Time
}

// ExpiringSoon lists what an account will lose before until, oldest first.
func ExpiringSoon(db *gorm.DB, accountID int64, now, until time.Time) ([]Expiring, error) {
	ls, err := lots(db, accountID)
	if err != nil {
		return nil, err
	}
	var out []Expiring
	for _, l := range ls {
		if l.Left > 0 && l.ExpiresAt != nil && l.ExpiresAt.After(now) && l.ExpiresAt.Before(until) {
			out = append(out, Expiring{Amount: l.Left, On: *l.ExpiresAt})
		}
	}
	return out, nil
}

// expireAccount posts the expiry a locked account owes at now, if any.
func expireAccount(tx *gorm.DB, a *Account, p *Program, now time.Time) (int64, error) {
	var due int64
	switch p.ExpiryPolicy {
	case ExpireAfterEarning:
		ls, err := lots(tx, a.ID)
		if err != nil {
			return 0, err
		}
		for _, l := range ls {
			if l.ExpiresAt != nil && !l.ExpiresAt.After(now) {
				due += l.Left
			}
		}
	case ExpireInactivity:
		if a.LastActivityAt != nil && !a.LastActivityAt.AddDate(0, int(p.ExpiryMonths), 0).After(now) {
			due = a.Balance
		}
	}
	due = min(due, a.Balance) // never below zero
	if due <= 0 {
		return 0, nil
	}
	e := &LedgerEntry{Kind: KindExpiry, Amount: -due, ActorName: "system", Reason: "Expired",
		IdempotencyKey: key(fmt.Sprintf("expiry:%d:%d", a.ID, now.Unix()))}
	if err := post(tx, a, e, now); err != nil {
		return 0, err
	}
	return due, nil
}
