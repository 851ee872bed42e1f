package pages

import "github.com/regularshq/regulars/views/components"

// TierRow is one tier of a program's list.
type TierRow struct {
	EditURL   string // empty for those who may not edit
	Name      string
	Color     string // #rrggbb, checked by the model
	Rank      string
	Threshold string   // in the program's metric; ladder tiers only
	Fee       string   // paid tiers only, like "9.90 EUR every 12 months"
	Benefits  []string // like "1.25× points", "5% off"
}

// TierFields is a tier form as typed. Its fields match the model's input
// field for field, so handlers convert between the two directly.
type TierFields struct {
	Name, Color, Position, Threshold string
	EarnMultiplier, Discount, Perks  string
	FreeShipping, Paid               bool
	Fee, PeriodMonths, GraceDays     string
	FeeEarns                         bool
}

// TierForm is a tier form's input and messages.
type TierForm struct {
	Fields  TierFields
	Errors  components.Errors
	Message string
}

// ThresholdField says what a program's thresholds count.
type ThresholdField struct {
	Label string
	Hint  string
}

// TiersData is a program's tiers: how members move, the ladder, the paid
// tiers and the owner's add form.
type TiersData struct {
	Program   ProgramCrumb
	Rules     string
	Ladder    []TierRow
	Paid      []TierRow
	CanEdit   bool
	Form      TierForm
	Threshold ThresholdField
}

// TierData is one tier's edit page.
type TierData struct {
	Program   ProgramCrumb
	Name      string // as stored, while the form may hold a refused one
	URL       string
	Form      TierForm
	Threshold ThresholdField
}

func tableTestID(paid bool) string {
	if paid {
		return "paid-tiers"
	}
	return "ladder"
}
