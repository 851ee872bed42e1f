package models

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// DailyRuleEarn counts one earning rule's awards on a local day. A ledger
// entry has no rule column: its idempotency key names the rule
// ("rule:<rule>:<member>:<period>", "referral:<rule>:<referred>:<side>"),
// which every rule earning carries and nothing ever rewrites, unlike the
// reason (the rule's name at the time). RuleID 0 is the program's
// sign-up bonus ("signup:<program>:<member>").
type DailyRuleEarn struct {
	MerchantID  int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID   int64
	RuleID      int64
	Day         string
	Completions int64 // awards: a referral paying both sides is one
	Points      int64 // everything the awards paid
}

// DailyAdjustment sums one person's manual credits and debits in a
// program on a local day. ActorUserID is 0 for entries no user made.
type DailyAdjustment struct {
	MerchantID  int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID   int64
	ActorUserID int64
	ActorName   string
	Day         string
	Credits     int64 // sum of credits
	Debits      int64 // sum of debits, as a positive number
	Entries     int64
}

// SignUpRuleID stands for the program's sign-up bonus among its rules;
// OtherRuleID for a rule earning whose key names no rule (none is
// written so today), counted so the rules add up to every rule earning.
const (
	SignUpRuleID = 0
	OtherRuleID  = -1
)

// ruleOfKey is the rule a rule earning's idempotency key names, and what
// makes it one award (both sides of a referral share it); "" for an entry
// that is an award of its own.
func ruleOfKey(k string) (ruleID int64, award string) {
	parts := strings.Split(k, ":")
	switch {
	case parts[0] == "signup" && len(parts) == 3:
		return SignUpRuleID, k
	case parts[0] == "rule" && len(parts) >= 4, parts[0] == "referral" && len(parts) == 4:
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			return OtherRuleID, ""
		}
		if parts[0] == "referral" {
			k = strings.Join(parts[:3], ":")
		}
		return id, k
	}
	return OtherRuleID, ""
}

// refreshEngagementDay replaces one local day's rule awards and manual
// adjustments; refreshDay calls it.
func (r rollup) refreshEngagementDay(day string) error {
	from, to := r.bounds(day, 1)
	var earns []struct {
		ProgramID      int64
		IdempotencyKey *string
		Amount         int64
	}
	err := r.tx.Raw(`SELECT program_id, idempotency_key, amount FROM ledger_entries
		WHERE merchant_id = ? AND created_at >= ? AND created_at < ? AND kind = ?`, r.m.ID, from, to, KindRuleEarn).Scan(&earns).Error
	if err != nil {
		return fmt.Errorf("rollup: rule earns of %s: %w", day, err)
	}
	type ruleDay struct{ program, rule int64 }
	byRule := map[ruleDay]*DailyRuleEarn{}
	awards := map[string]bool{}
	for _, e := range earns {
		k := ""
		if e.IdempotencyKey != nil {
			k = *e.IdempotencyKey
		}
		id, award := ruleOfKey(k)
		row := byRule[ruleDay{e.ProgramID, id}]
		if row == nil {
			row = &DailyRuleEarn{ProgramID: e.ProgramID, RuleID: id, Day: day}
			byRule[ruleDay{e.ProgramID, id}] = row
		}
		row.Points += e.Amount
		if award == "" {
			row.Completions++
		} else if award = fmt.Sprintf("%d/%s", e.ProgramID, award); !awards[award] {
			awards[award] = true
			row.Completions++
		}
	}
	rules := make([]DailyRuleEarn, 0, len(byRule))
	for _, row := range byRule {
		rules = append(rules, *row)
	}
	sort.Slice(rules, func(i, j int) bool {
		return rules[i].ProgramID < rules[j].ProgramID || rules[i].ProgramID == rules[j].ProgramID && rules[i].RuleID < rules[j].RuleID
	})
	var adjustments []DailyAdjustment
	err = r.tx.Raw(`SELECT program_id, coalesce(actor_user_id, 0) AS actor_user_id, actor_name,
			coalesce(sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0) AS credits,
			coalesce(sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0) AS debits, count(*) AS entries
		FROM ledger_entries WHERE merchant_id = ? AND created_at >= ? AND created_at < ? AND kind IN ?
		GROUP BY program_id, coalesce(actor_user_id, 0), actor_name`,
		r.m.ID, from, to, []EntryKind{KindManualCredit, KindManualDebit}).Scan(&adjustments).Error
	if err != nil {
		return fmt.Errorf("rollup: adjustments of %s: %w", day, err)
	}
	for i := range adjustments {
		adjustments[i].Day = day
	}
	for _, t := range []any{&DailyRuleEarn{}, &DailyAdjustment{}} {
		if err := r.tx.Where("day = ?", day).Delete(t).Error; err != nil {
			return fmt.Errorf("rollup: clear %s: %w", day, err)
		}
	}
	for _, rows := range []any{rules, adjustments} {
		if err := r.tx.CreateInBatches(rows, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
			return fmt.Errorf("rollup: save engagement of %s: %w", day, err)
		}
	}
	return nil
}
