package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Expiry spends oldest first. The ledger is replayed in order: a credit
// is a lot; whatever takes units away (a redemption, a debit, a clawback)
// takes them from the oldest lots that have some left, and an expiry from
// the lots that had lapsed by then, the very ones it was computed from. A
// cancelled redemption gives back the units its redemption took, to the
// lots they came from, which keep their dates. Units taken beyond every
// lot (a clawback below zero) are a debt the next units pay first. What
// expires at a moment is what was earned, lapses by then, and is left.
// Because this is computed rather than recorded on the credits, the
// ledger stays append-only.

// lot is a credit with what is left of it after consumption.
type lot struct {
	Amount    int64
	Left      int64
	ExpiresAt *time.Time
	EarnedAt  time.Time
}

// taken is part of a lot that an entry consumed.
type taken struct {
	lot    int
	amount int64
}

// lots replays an account's ledger first-in, first-out.
func lots(db *gorm.DB, accountID int64) ([]lot, error) {
	var es []LedgerEntry
	if err := db.Where("account_id = ?", accountID).Order("id").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("expiry: entries: %w", err)
	}
	return replayLots(es), nil
}

// replayLots is lots over one account's entries, in id order.
func replayLots(es []LedgerEntry) []lot {
	var ls []lot
	var debt int64
	took := map[int64][]taken{} // by entry, for the cancel that gives it back
	take := func(id, amount int64, from func(l *lot) bool) int64 {
		for i := range ls {
			if amount == 0 {
				break
			}
			if ls[i].Left == 0 || !from(&ls[i]) {
				continue
			}
			n := min(amount, ls[i].Left)
			ls[i].Left -= n
			amount -= n
			if id != 0 {
				took[id] = append(took[id], taken{i, n})
			}
		}
		return amount
	}
	anyLot := func(*lot) bool { return true }
	for _, e := range es {
		switch {
		case e.Amount > 0 && e.Kind.earns():
			ls = append(ls, lot{Amount: e.Amount, Left: e.Amount, ExpiresAt: e.ExpiresAt, EarnedAt: e.CreatedAt})
		case e.Amount > 0: // a cancelled redemption gives back what it took
			back := e.Amount
			if e.CorrectsID != nil {
				for _, t := range took[*e.CorrectsID] {
					n := min(back, t.amount)
					ls[t.lot].Left += n
					back -= n
				}
				delete(took, *e.CorrectsID)
			}
			paid := min(back, debt)
			debt, back = debt-paid, back-paid
			for i := len(ls) - 1; i >= 0 && back > 0; i-- { // anything else: newest room first
				n := min(back, ls[i].Amount-ls[i].Left)
				ls[i].Left += n
				back -= n
			}
		case e.Kind == KindExpiry:
			at := e.CreatedAt
			rest := take(e.ID, -e.Amount, func(l *lot) bool { return l.ExpiresAt != nil && !l.ExpiresAt.After(at) })
			debt += take(e.ID, rest, anyLot)
		default: // amount < 0
			debt += take(e.ID, -e.Amount, anyLot)
		}
		if debt > 0 { // what came in pays the debt first
			debt = take(0, debt, anyLot)
		}
	}
	return ls
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

// InactivityExpiry is when an account's whole balance expires under the
// inactivity policy: ExpiryMonths after its last earning or redemption.
// False under another policy or before any activity.
func (p *Program) InactivityExpiry(a *Account) (time.Time, bool) {
	if p.ExpiryPolicy != ExpireInactivity || a.LastActivityAt == nil {
		return time.Time{}, false
	}
	return a.LastActivityAt.AddDate(0, int(p.ExpiryMonths), 0), true
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
		if on, ok := p.InactivityExpiry(a); ok && !on.After(now) {
			due = a.Balance
		}
	}
	due = min(due, a.Balance) // never below zero
	if due <= 0 {
		return 0, nil
	}
	e := &LedgerEntry{Kind: KindExpiry, Amount: -due, ActorName: systemActor, Reason: "Expired",
		IdempotencyKey: key(fmt.Sprintf("expiry:%d:%d", a.ID, now.Unix()))}
	if err := post(tx, a, e, now); err != nil {
		return 0, err
	}
	if err := enqueueEvent(tx, EventPointsExpired, pointsEvent(e), now); err != nil {
		return 0, err
	}
	return due, nil
}
