package pages

import (
	"slices"

	"github.com/regularshq/regulars/views/components"
)

// RuleRow is one earning rule in the rules table. Values that do not
// apply to its kind are empty.
type RuleRow struct {
	ID             int64
	Kind           string // worded, like "Birthday"
	Name           string
	Points         string
	ReferredPoints string
	MinPurchase    string
	Window         string
	Cap            string
	Active         bool
	EditURL        string
}

// RuleFields is an earning rule form as typed.
type RuleFields struct {
	Kind, Name, Points, ReferredPoints, MinPurchase, WindowDays, Cap string
	Active                                                           bool
}

// RuleForm is the add or edit form of an earning rule with its choices and
// messages. On the edit page the kind is fixed (FixedKind, worded as
// KindLabel) and only its fields show.
type RuleForm struct {
	Action    string
	Fields    RuleFields
	Errors    components.Errors
	Message   string
	Kinds     []components.Option
	Caps      []components.Option
	Suggested []string // custom actions to pick a name from
	FixedKind string
	KindLabel string
}

// kindFields are the inputs each kind uses, beside its name.
var kindFields = map[string][]string{
	"birthday": {"points", "window_days"},
	"referral": {"points", "referred_points", "min_purchase"},
	"action":   {"points", "cap"},
}

// shows reports whether the form offers a field: all of them while the
// kind is still to choose.
func (f RuleForm) shows(field string) bool {
	return f.FixedKind == "" || slices.Contains(kindFields[f.FixedKind], field)
}

// RulesData is a program's earning rules page.
type RulesData struct {
	Program     ProgramCrumb
	SignUpBonus string // worded, like "25 points" or "none"
	Rules       []RuleRow
	CanEdit     bool
	Form        RuleForm
}

// RuleData is one earning rule's edit page.
type RuleData struct {
	Program ProgramCrumb
	Rule    RuleRow
	Form    RuleForm
}

// ruleKindHints explain when each kind pays, beside the kind select.
var ruleKindHints = []struct{ Kind, Hint string }{
	{"Birthday", "paid once a year within N days after the birthday; a birthday changed in the last 30 days does not pay."},
	{"Referral", "both sides paid when the new member's first purchase reaches the minimum; a member cannot refer themselves."},
	{"Custom action", "paid when staff record the action, at most as often as its cap allows."},
}
