package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// AdjustReasons are the reasons a person may give for changing a balance
// by hand; a note says more.
var AdjustReasons = []string{"Goodwill", "Correction", "Complaint", "Missed purchase", "Promotion", "Other"}

// AdjustInput is a manual credit (Amount > 0) or debit (Amount < 0).
type AdjustInput struct {
	MemberID       int64
	ProgramID      int64
	Amount         string // signed whole units
	Reason         string
	Note           string
	CorrectsID     int64 // the entry this corrects, if any
	IdempotencyKey string
}

// Adjust changes a balance by hand within the actor's role limit. It names
// its actor and reason (ledger rule 6, docs/ledger.md) and a debit never
// takes the balance below zero (rule 3).
func Adjust(db *gorm.DB, actor Actor, role Role, in AdjustInput, now time.Time) (*LedgerEntry, error) {
	v := Validation{}
	amount := numberField(v, "amount", strings.TrimPrefix(strings.TrimSpace(in.Amount), "+"), -maxUnits, maxUnits,
		"Enter a whole number: positive to credit, negative to debit.")
	v.Check(amount != 0 || v["amount"] != "", "amount", "Enter a whole number other than 0.")
	in.Reason = strings.TrimSpace(in.Reason)
	v.Check(oneOf(in.Reason, AdjustReasons), "reason", "Choose a reason.")
	in.Note = strings.TrimSpace(in.Note)
	v.Check(in.Reason != "Other" || in.Note != "", "note", "Say what happened when the reason is Other.")
	v.Check(utf8.RuneCountInString(in.Note) <= 500, "note", "Use at most 500 characters.")
	var e *LedgerEntry
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		if limit, limited := m.AdjustLimit(role); limited && (amount > limit || -amount > limit) {
			v.Check(false, "amount", fmt.Sprintf("Your role may adjust by at most %d at a time. Ask an owner.", limit))
		}
		if err := v.Err(); err != nil {
			return err
		}
		member, p, err := activeMemberProgram(tx, in.MemberID, in.ProgramID)
		if err != nil {
			return err
		}
		a, err := lockAccount(tx, p.ID, member.ID, now)
		if err != nil {
			return err
		}
		e = &LedgerEntry{Amount: amount, Reason: in.Reason, Note: in.Note}
		if in.CorrectsID != 0 {
			var target LedgerEntry
			if err := tx.Where("account_id = ?", a.ID).Take(&target, in.CorrectsID).Error; err != nil {
				return fieldError("corrects_id", "That entry is not in this member's ledger.")
			}
			e.CorrectsID = &target.ID
		}
		if k := strings.TrimSpace(in.IdempotencyKey); k != "" {
			e.IdempotencyKey = key("adjust:" + k)
		}
		actorFields(e, actor)
		if amount > 0 {
			e.Kind = KindManualCredit
			if err = credit(tx, a, p, e, now); err == nil {
				err = promote(tx, a, p, m.Location(), now)
			}
		} else {
			e.Kind = KindManualDebit
			if a.Balance+amount < 0 {
				return fieldError("amount", fmt.Sprintf("The balance is %d: a debit cannot take it below zero.", a.Balance))
			}
			err = post(tx, a, e, now)
		}
		if err == errAlreadyPosted {
			return Errorf(ECONFLICT, "This adjustment was already recorded.")
		}
		if err != nil {
			return err
		}
		if err := enqueueEvent(tx, EventPointsAdjusted, pointsEvent(e), now); err != nil {
			return err
		}
		summary := fmt.Sprintf("Adjusted %s's %s by %+d: %s", member.Name, p.UnitLabel, amount, in.Reason)
		return recordAudit(tx, actor, AuditCreate, "adjustment", e.ID, summary, nil, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}
