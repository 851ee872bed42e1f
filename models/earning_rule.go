package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// RuleKind is what an earning rule pays for. The sign-up bonus is a
// program setting, since every program has exactly one.
type RuleKind string

const (
	RuleBirthday RuleKind = "birthday"
	RuleReferral RuleKind = "referral"
	RuleAction   RuleKind = "action"
)

// RuleCap limits how often a custom action pays one member.
type RuleCap string

const (
	CapOnce      RuleCap = "once"
	CapDay       RuleCap = "day"
	CapWeek      RuleCap = "week"
	CapMonth     RuleCap = "month"
	CapYear      RuleCap = "year"
	CapUnlimited RuleCap = "unlimited"
)

var (
	// RuleKinds lists the kinds for forms.
	RuleKinds = []RuleKind{RuleBirthday, RuleReferral, RuleAction}
	// ActionCaps lists the caps a custom action may have.
	ActionCaps = []RuleCap{CapOnce, CapDay, CapWeek, CapMonth, CapUnlimited}
	// SuggestedActions are the custom actions most shops reward.
	SuggestedActions = []string{"Newsletter sign-up", "Social follow", "Review", "Event attendance", "Feedback survey", "Volunteering"}
)

// BirthdayEditCooldown: a birthday changed this recently does not pay, so
// nobody moves their birthday to today for a treat.
const BirthdayEditCooldown = 30 * 24 * time.Hour

// EarningRule pays units for something that is not a plain purchase. A
// birthday pays Points once a year, on a day within WindowDays from the
// birthday; a referral pays Points to the referrer and ReferredPoints to
// the new member once the new member's first purchase reaches
// MinPurchaseMinor; a custom action pays Points up to its cap.
type EarningRule struct {
	ID               int64
	MerchantID       int64
	ProgramID        int64
	Kind             RuleKind
	Name             string
	Points           int64
	ReferredPoints   int64
	MinPurchaseMinor int64
	WindowDays       int64
	Cap              RuleCap
	Active           bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// EarningRuleInput is a rule form as typed.
type EarningRuleInput struct {
	Kind, Name, Points, ReferredPoints, MinPurchase, WindowDays, Cap string
	Active                                                           bool
}

func (in EarningRuleInput) apply(r *EarningRule, currency string) Validation {
	v := Validation{}
	if r.ID == 0 {
		r.Kind = RuleKind(in.Kind)
	} else if in.Kind != "" && RuleKind(in.Kind) != r.Kind {
		v.Check(false, "kind", "A rule's kind cannot change; add a new rule instead.")
	}
	v.Check(oneOf(r.Kind, RuleKinds), "kind", "Choose birthday, referral or custom action.")
	r.Name = strings.TrimSpace(in.Name)
	checkName(v, "name", r.Name)
	r.Active = in.Active
	r.Points = numberField(v, "points", in.Points, 0, maxUnits, "Enter a whole number, 0 or more.")
	r.ReferredPoints, r.MinPurchaseMinor, r.WindowDays = 0, 0, 0
	switch r.Kind {
	case RuleBirthday:
		r.Name = orDefault(r.Name, "Birthday treat")
		r.Cap = CapYear
		r.WindowDays = numberField(v, "window_days", in.WindowDays, 0, 31, "Enter 0 to 31 days after the birthday.")
		v.Check(r.Points > 0, "points", "A birthday treat needs points above 0.")
	case RuleReferral:
		r.Name = orDefault(r.Name, "Refer a friend")
		r.Cap = CapUnlimited
		r.ReferredPoints = numberField(v, "referred_points", in.ReferredPoints, 0, maxUnits, "Enter a whole number, 0 or more.")
		r.MinPurchaseMinor = moneyField(v, "min_purchase", in.MinPurchase, currency, maxMoneyMinor)
		v.Check(r.Points > 0 || r.ReferredPoints > 0, "points", "Give points to the referrer, the new member, or both.")
	case RuleAction:
		r.Cap = RuleCap(in.Cap)
		v.Check(oneOf(r.Cap, ActionCaps), "cap", "Choose how often it may pay: once, per day, week, month, or unlimited.")
		v.Check(r.Points > 0, "points", "Enter points above 0.")
	}
	v.Check(r.Name != "", "name", "Name the action, like Newsletter sign-up.")
	v.Check(utf8.RuneCountInString(r.Name) <= 80, "name", "Use at most 80 characters.")
	return v
}

// ListEarningRules returns a program's rules by kind and name.
func ListEarningRules(db *gorm.DB, programID int64) ([]EarningRule, error) {
	var rs []EarningRule
	if err := db.Where("program_id = ?", programID).Order(ruleOrder).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("earning rule: list: %w", err)
	}
	return rs, nil
}

// ruleOrder is a program's rules by kind and name.
const ruleOrder = "kind, lower(name), id"

// EarningRulesOf returns the rules of several programs in one query, by
// program id, each as ListEarningRules orders them.
func EarningRulesOf(db *gorm.DB, programIDs []int64) (map[int64][]EarningRule, error) {
	return itemsOf(db, programIDs, ruleOrder, "earning rule", func(r *EarningRule) int64 { return r.ProgramID })
}

// GetEarningRule loads one rule of a program.
func GetEarningRule(db *gorm.DB, programID, id int64) (*EarningRule, error) {
	var r EarningRule
	if err := db.Where("program_id = ?", programID).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "No such earning rule.", "earning rule: get %d", id)
	}
	return &r, nil
}

// SaveEarningRule creates (ruleID 0) or updates a rule. A program has at
// most one birthday and one referral rule.
func SaveEarningRule(db *gorm.DB, actor Actor, programID, ruleID int64, in EarningRuleInput) (*EarningRule, error) {
	return saveItem(db, actor, programID, ruleID, earningRuleKind, func(tx *gorm.DB, m *Merchant, p *Program, r *EarningRule) error {
		if err := in.apply(r, m.Currency).Err(); err != nil {
			return err
		}
		if r.Kind != RuleAction {
			var n int64
			if err := tx.Model(&EarningRule{}).Where("program_id = ? AND kind = ? AND id <> ?", p.ID, r.Kind, r.ID).Count(&n).Error; err != nil {
				return fmt.Errorf("earning rule: count: %w", err)
			}
			if n > 0 {
				return fieldError("kind", fmt.Sprintf("%s already has a %s rule; edit that one.", p.Name, r.Kind))
			}
		}
		return checkUniqueName(tx, &EarningRule{}, "program_id", p.ID, r.ID, r.Name)
	})
}

var earningRuleKind = itemKind[EarningRule]{
	entity: "earning_rule", words: "earning rule", get: GetEarningRule,
	fresh: func(programID int64) *EarningRule { return &EarningRule{ProgramID: programID} },
	id:    func(r *EarningRule) int64 { return r.ID }, name: func(r *EarningRule) string { return r.Name },
}

// DeleteEarningRule removes a rule; what it paid stays in the ledger.
func DeleteEarningRule(db *gorm.DB, actor Actor, programID, ruleID int64) error {
	return deleteItem(db, actor, programID, ruleID, earningRuleKind, nil)
}

// FormInput turns a stored rule back into what its form shows.
func (r *EarningRule) FormInput(currency string) EarningRuleInput {
	return EarningRuleInput{
		Kind: string(r.Kind), Name: r.Name, Points: fmt.Sprint(r.Points), ReferredPoints: fmt.Sprint(r.ReferredPoints),
		MinPurchase: FormatMoney(r.MinPurchaseMinor, currency), WindowDays: fmt.Sprint(r.WindowDays),
		Cap: string(r.Cap), Active: r.Active,
	}
}
