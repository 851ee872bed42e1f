package pages

import "github.com/regularshq/regulars/views/components"

// ProgramRow is one program in the list.
type ProgramRow struct {
	URL    string
	Name   string
	Type   string
	Status string
	Earns  string // like "1 point per EUR" or "card of 10 stamps"
}

// ProgramFields is a program form as typed. Its fields match the model's
// input field for field, so handlers convert between the two directly.
type ProgramFields struct {
	Name, Type, UnitLabel, Status                  string
	EarnRate, MinPurchase, StampsPerCard, Cashback string
	MaxPurchase, LargePurchase                     string
	CardRewardID                                   string
	SignUpBonus, PointValue                        string
	ExpiryPolicy, ExpiryMonths, ReminderDays       string
	TierMetric, TierWindow, DowngradePolicy        string
	DowngradeGraceDays                             string
}

// ProgramForm is a program form's input and messages.
type ProgramForm struct {
	Fields  ProgramFields
	Errors  components.Errors
	Message string
}

// ProgramChoices are the options of a program form's selects.
type ProgramChoices struct {
	Types, Statuses, ExpiryPolicies []components.Option
	TierMetrics, TierWindows        []components.Option
	DowngradePolicies, CardRewards  []components.Option
	Currency                        string
}

// ProgramsData is the program list with the owner's add form and the
// choice of the till's default program.
type ProgramsData struct {
	Programs []ProgramRow
	CanEdit  bool
	Form     ProgramForm
	Choices  ProgramChoices
	Default  DefaultProgramForm
}

// DefaultProgramForm chooses the program the till starts in, among the
// active ones.
type DefaultProgramForm struct {
	Options  []components.Option
	Selected string
	Error    string
}

// Term is one line of a read-only definition list.
type Term struct {
	Term  string
	Value string
}

// ProgramData is a program's overview: the owner's settings form, or the
// settings read-only for everyone else, and the earn preview.
type ProgramData struct {
	Program    ProgramCrumb
	CanEdit    bool
	Form       ProgramForm
	Choices    ProgramChoices
	Definition []Term
	Preview    PreviewData
}

// PreviewData is the earn preview's form and, once asked, its answer.
type PreviewData struct {
	URL      string
	Amount   string
	TierID   string
	Tiers    []components.Option
	Currency string
	Result   *PreviewResult
}

// PreviewResult is what a purchase would earn, line by line. Error is a
// refused input; Reason says why a valid purchase earns nothing. Tier,
// Campaign and Bonus are empty when they play no part. Inactive warns that
// the program takes no purchases now, so the figures are hypothetical.
type PreviewResult struct {
	Error    string
	Reason   string
	Inactive string
	Base     string
	Tier     string
	Campaign string
	Bonus    string
	Total    string
}

// previewNote stands beside every preview: owners tend to expect two
// campaigns' multipliers to multiply each other, and they do not; and to
// multiply the rounded base, while only the total is rounded.
const previewNote = "Multipliers do not stack: the best campaign multiplier applies, times the tier's; bonuses add. Only the total is rounded down."

// inputOf describes a text input of a form with its refused value's
// message, if any.
func inputOf(errs components.Errors, label, name, value, hint string) components.Input {
	return components.Input{Label: label, Name: name, Value: value, Error: errs[name], Hint: hint}
}

// selectOf describes a select of a form with its message, if any.
func selectOf(errs components.Errors, label, name, selected string, opts []components.Option, hint string) components.Select {
	return components.Select{Label: label, Name: name, Selected: selected, Options: opts, Error: errs[name], Hint: hint}
}

// onlyOption keeps the one option a fixed choice still shows.
func onlyOption(opts []components.Option, value string) []components.Option {
	for _, o := range opts {
		if o.Value == value {
			return []components.Option{o}
		}
	}
	return nil
}
