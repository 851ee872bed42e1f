package pages

import "github.com/regularshq/regulars/views/components"

// RewardRow is one reward as the catalog and the rewards table show it.
type RewardRow struct {
	ID          int64
	Name        string
	Description string
	Cost        string // with the program's unit, like "50 points"
	Gives       string // like "Free item" or "10% off"
	MinTier     string // empty when any member may redeem it
	Stock       string // "unlimited" or "12 left"
	Limit       string // "no limit" or "1 per member"
	From, To    string // the dates it is offered; empty for no limit
	Timing      string // "", "not yet" or "ended", by the business's date today
	Archived    bool
	EditURL     string
}

// RewardFields is a reward form as typed.
type RewardFields struct {
	Name, Description, Type, Cost, Value, Percent string
	MinTierID, Stock, PerMemberLimit              string
	ActiveFrom, ActiveTo, Position                string
}

// RewardForm is the add or edit form of a reward with its choices and
// messages.
type RewardForm struct {
	Action  string
	Fields  RewardFields
	Errors  components.Errors
	Message string
	Types   []components.Option
	Tiers   []components.Option // the first is "no minimum"
	// CostHint explains a cost in credit, which is counted in minor units.
	CostHint string
}

// RewardsData is a program's rewards page.
type RewardsData struct {
	Program   ProgramCrumb
	Active    []RewardRow
	Archived  []RewardRow
	CanManage bool
	Form      RewardForm
}

// RewardData is one reward's edit page.
type RewardData struct {
	Program ProgramCrumb
	Reward  RewardRow
	Form    RewardForm
}

// CatalogSection is one program's rewards in the till's catalog.
type CatalogSection struct {
	Program ProgramCrumb
	Rewards []RewardRow
}

// CatalogData is the catalog of every program that takes part.
type CatalogData struct {
	Sections  []CatalogSection
	Today     string
	CanManage bool
}
