package models

import (
	"fmt"

	"gorm.io/gorm"
)

// Referral is a member someone referred, with what the referral paid the
// referrer. A referral is paid once per program with a referral rule, on
// the referred member's first qualifying purchase there (payReferral).
type Referral struct {
	Member  Member
	Paid    bool             // paid in at least one program
	Payouts []ReferralPayout // one per program it was paid in, by program then rule
}

// ReferralPayout is one program's payment of a referral. ReferrerPoints
// is 0 when the rule paid only the referred member.
type ReferralPayout struct {
	ProgramID      int64
	RuleID         int64
	ReferrerPoints int64
}

// referralKeyBatch bounds the keys of one IN list, well below SQLite's
// and PostgreSQL's limits on bound parameters.
const referralKeyBatch = 500

// MemberReferrals lists the newest limit members referrerID referred,
// newest first, with whether and what each referral paid, and how many
// members they referred in all. Payouts are found by their exact ledger
// keys ("referral:<rule>:<referred>:<side>"), built from the merchant's
// referral rules of any status; a deleted rule's payouts are not shown.
func MemberReferrals(db *gorm.DB, referrerID int64, limit int) ([]Referral, int64, error) {
	if limit <= 0 {
		return nil, 0, fmt.Errorf("referral: limit %d must be positive", limit)
	}
	var members []Member
	if err := db.Where("referred_by_id = ?", referrerID).Order("id DESC").Limit(limit).Find(&members).Error; err != nil {
		return nil, 0, fmt.Errorf("referral: members: %w", err)
	}
	total := int64(len(members))
	if len(members) == limit {
		if err := db.Model(&Member{}).Where("referred_by_id = ?", referrerID).Count(&total).Error; err != nil {
			return nil, 0, fmt.Errorf("referral: count: %w", err)
		}
	}
	if len(members) == 0 {
		return nil, total, nil
	}

	var rules []EarningRule
	if err := db.Select("id", "program_id").Where("kind = ?", RuleReferral).Order("program_id, id").Find(&rules).Error; err != nil {
		return nil, 0, fmt.Errorf("referral: rules: %w", err)
	}
	refs := make([]Referral, len(members))
	for i := range members {
		refs[i].Member = members[i]
	}
	if len(rules) == 0 {
		return refs, total, nil
	}

	// Both sides' keys of every listed member under every rule: the
	// referrer's says what they got; the referred member's alone means a
	// rule that paid the referrer nothing.
	type side struct {
		ref, rule int // indexes in refs and rules
		referrer  bool
	}
	sides := make(map[string]side, 2*len(rules)*len(refs))
	keys := make([]string, 0, 2*len(rules)*len(refs))
	for i := range refs {
		referred := refs[i].Member.ID
		for j, r := range rules {
			for _, s := range []struct {
				memberID int64
				referrer bool
			}{{referrerID, true}, {referred, false}} {
				k := fmt.Sprintf("referral:%d:%d:%d", r.ID, referred, s.memberID)
				sides[k] = side{ref: i, rule: j, referrer: s.referrer}
				keys = append(keys, k)
			}
		}
	}
	payouts := make(map[[2]int]int64) // (ref, rule) → the referrer's points
	for start := 0; start < len(keys); start += referralKeyBatch {
		batch := keys[start:min(start+referralKeyBatch, len(keys))]
		var entries []LedgerEntry
		if err := db.Select("idempotency_key", "amount").Where("idempotency_key IN ?", batch).Find(&entries).Error; err != nil {
			return nil, 0, fmt.Errorf("referral: payouts: %w", err)
		}
		for _, e := range entries {
			if e.IdempotencyKey == nil {
				continue
			}
			s, ok := sides[*e.IdempotencyKey]
			if !ok {
				continue
			}
			at := [2]int{s.ref, s.rule}
			points := payouts[at]
			if s.referrer {
				points = e.Amount
			}
			payouts[at] = points
		}
	}
	for i := range refs {
		for j, r := range rules {
			points, ok := payouts[[2]int{i, j}]
			if !ok {
				continue
			}
			refs[i].Paid = true
			refs[i].Payouts = append(refs[i].Payouts, ReferralPayout{ProgramID: r.ProgramID, RuleID: r.ID, ReferrerPoints: points})
		}
	}
	return refs, total, nil
}
