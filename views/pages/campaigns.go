package pages

import "github.com/regularshq/regulars/views/components"

// CampaignRow is one campaign in the campaigns table, worded.
type CampaignRow struct {
	ID          int64
	Name        string
	StartsOn    string
	EndsOn      string
	Status      string // upcoming, running or ended, by the business's date today
	Boost       string // like "2×", "+10 points" or "2×, +10 points"
	MinPurchase string // empty for any purchase
	Days        string // like "Mon, Sat" or "every day"
	Tiers       string // like "Gold, Silver" or "all tiers"
	EditURL     string
}

// CampaignFields is a campaign form as typed; Weekdays holds "0" (Sunday)
// to "6", TierIDs the ticked tiers' ids.
type CampaignFields struct {
	Name, StartsOn, EndsOn, Multiplier, BonusPoints, MinPurchase string
	Weekdays, TierIDs                                            []string
}

// CampaignForm is the add or edit form of a campaign with its choices and
// messages.
type CampaignForm struct {
	Action   string
	Fields   CampaignFields
	Errors   components.Errors
	Message  string
	Weekdays []components.Option // Monday first
	Tiers    []components.Option
}

// CampaignsData is a program's campaigns page.
type CampaignsData struct {
	Program   ProgramCrumb
	Campaigns []CampaignRow
	CanManage bool
	Form      CampaignForm
}

// CampaignData is one campaign's edit page.
type CampaignData struct {
	Program  ProgramCrumb
	Campaign CampaignRow
	Form     CampaignForm
}

// stackingNote is said on the campaigns page so nobody expects two
// campaigns' multipliers to multiply.
const stackingNote = "Multipliers do not stack: the best campaign multiplier applies, times the member's tier multiplier. Bonus points add up."
