package models

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Campaign is a time-boxed boost of a program: a multiplier, bonus units,
// or both, on purchases from StartsOn to EndsOn (inclusive local dates),
// optionally only above a minimum purchase, for some tiers (TierIDs, a
// comma list; empty means all) or on some days of the week (Weekdays, a
// bit per time.Weekday; 0 means every day). Multipliers do not stack: the
// best one applies. Bonuses add.
type Campaign struct {
	ID               int64
	MerchantID       int64
	ProgramID        int64
	Name             string
	StartsOn         string
	EndsOn           string
	MultiplierMilli  int64
	BonusPoints      int64
	MinPurchaseMinor int64
	Weekdays         int64
	TierIDs          string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// CampaignInput is a campaign form as typed; Weekdays holds "0" (Sunday)
// to "6", TierIDs the chosen tiers' ids.
type CampaignInput struct {
	Name, StartsOn, EndsOn, Multiplier, BonusPoints, MinPurchase string
	Weekdays, TierIDs                                            []string
}

// TierIDList returns the tiers the campaign is limited to; none means all.
func (c *Campaign) TierIDList() []int64 {
	var ids []int64
	for _, s := range strings.Split(c.TierIDs, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// AppliesToTier reports whether members of a tier (0 for none) get it.
func (c *Campaign) AppliesToTier(tierID int64) bool {
	ids := c.TierIDList()
	return len(ids) == 0 || slices.Contains(ids, tierID)
}

// OnWeekday reports whether the campaign runs on a day of the week.
func (c *Campaign) OnWeekday(d time.Weekday) bool {
	return c.Weekdays == 0 || c.Weekdays&(1<<d) != 0
}

// A campaign's status against the business's date today.
const (
	CampaignUpcoming = "upcoming"
	CampaignRunning  = "running"
	CampaignEnded    = "ended"
)

// Status places the campaign against today, a local date.
func (c *Campaign) Status(today string) string {
	switch {
	case today < c.StartsOn:
		return CampaignUpcoming
	case today > c.EndsOn:
		return CampaignEnded
	}
	return CampaignRunning
}

// RunsOn reports whether the campaign runs at t, in the merchant's zone.
func (c *Campaign) RunsOn(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	date := local.Format(dateLayout)
	return date >= c.StartsOn && date <= c.EndsOn && c.OnWeekday(local.Weekday())
}

func (in CampaignInput) apply(tx *gorm.DB, c *Campaign, programID int64, currency, today string) error {
	v := Validation{}
	storedEnd := c.EndsOn
	c.Name = strings.TrimSpace(in.Name)
	v.Check(c.Name != "", "name", "Enter a name.")
	v.Check(utf8.RuneCountInString(c.Name) <= 80, "name", "Use at most 80 characters.")
	checkName(v, "name", c.Name)
	c.StartsOn, c.EndsOn = strings.TrimSpace(in.StartsOn), strings.TrimSpace(in.EndsOn)
	_, errStart := time.Parse(dateLayout, c.StartsOn)
	_, errEnd := time.Parse(dateLayout, c.EndsOn)
	v.Check(errStart == nil, "starts_on", "Enter a start date like 2026-12-01.")
	v.Check(errEnd == nil, "ends_on", "Enter an end date like 2026-12-31.")
	if errStart == nil && errEnd == nil {
		v.Check(c.EndsOn >= c.StartsOn, "ends_on", "The end date is before the start date.")
		// A campaign over before it is saved would boost nothing; an ended
		// one may still be edited as long as its end stays where it was.
		if c.EndsOn != storedEnd {
			v.Check(c.EndsOn >= today, "ends_on", "The end date is in the past: choose today ("+today+") or later.")
		}
	}
	c.MultiplierMilli = decimalField(v, "multiplier", orDefault(in.Multiplier, "1"), 3, 1000, maxMultiplier,
		"Enter a multiplier from 1 to 10, like 2 for double points.")
	c.BonusPoints = numberField(v, "bonus_points", in.BonusPoints, 0, maxUnits, "Enter a whole number, 0 or more.")
	if v["multiplier"] == "" && v["bonus_points"] == "" {
		v.Check(c.MultiplierMilli > 1000 || c.BonusPoints > 0, "multiplier", "A campaign needs a multiplier above 1, bonus points, or both.")
	}
	c.MinPurchaseMinor = moneyField(v, "min_purchase", in.MinPurchase, currency, maxMoneyMinor)
	c.Weekdays = 0
	for _, d := range in.Weekdays {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 6 {
			v.Check(false, "weekdays", "Choose days of the week.")
			continue
		}
		c.Weekdays |= 1 << n
	}
	tiers, err := ListTiers(tx, programID)
	if err != nil {
		return err
	}
	var ids []string
	for _, s := range in.TierIDs {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !slices.ContainsFunc(tiers, func(t Tier) bool { return t.ID == id }) {
			v.Check(false, "tier_ids", "Choose among this program's tiers.")
			continue
		}
		// Store the canonical form: "07" or "+7" would dodge the duplicate
		// check and be stored as typed.
		if canon := strconv.FormatInt(id, 10); !slices.Contains(ids, canon) {
			ids = append(ids, canon)
		}
	}
	slices.Sort(ids)
	c.TierIDs = strings.Join(ids, ",")
	if err := v.Err(); err != nil {
		return err
	}
	return checkUniqueName(tx, &Campaign{}, "program_id", programID, c.ID, c.Name)
}

// ListCampaigns returns a program's campaigns, the latest first.
func ListCampaigns(db *gorm.DB, programID int64) ([]Campaign, error) {
	var cs []Campaign
	if err := db.Where("program_id = ?", programID).Order("ends_on DESC, starts_on DESC, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("campaign: list: %w", err)
	}
	return cs, nil
}

// CampaignsRunningOn returns a program's campaigns whose dates include the
// local date of t; the calculator checks days and tiers.
func CampaignsRunningOn(db *gorm.DB, programID int64, t time.Time, loc *time.Location) ([]Campaign, error) {
	date := t.In(loc).Format(dateLayout)
	if cfg := cachedConfig(db); cfg != nil {
		all, err := cfg.programCampaigns(db, programID)
		return slices.DeleteFunc(all, func(c Campaign) bool { return c.StartsOn > date || c.EndsOn < date }), err
	}
	var cs []Campaign
	if err := db.Where("program_id = ? AND starts_on <= ? AND ends_on >= ?", programID, date, date).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("campaign: running: %w", err)
	}
	return cs, nil
}

// GetCampaign loads one campaign of a program.
func GetCampaign(db *gorm.DB, programID, id int64) (*Campaign, error) {
	var c Campaign
	if err := db.Where("program_id = ?", programID).Take(&c, id).Error; err != nil {
		return nil, notFound(err, "No such campaign.", "campaign: get %d", id)
	}
	return &c, nil
}

// SaveCampaign creates (campaignID 0) or updates a campaign; now decides
// which end dates are past, in the business's zone.
func SaveCampaign(db *gorm.DB, actor Actor, programID, campaignID int64, in CampaignInput, now time.Time) (*Campaign, error) {
	return saveItem(db, actor, programID, campaignID, campaignKind,
		func(tx *gorm.DB, m *Merchant, p *Program, c *Campaign) error {
			return in.apply(tx, c, p.ID, m.Currency, now.In(m.Location()).Format(dateLayout))
		})
}

var campaignKind = itemKind[Campaign]{
	entity: "campaign", words: "campaign", get: GetCampaign,
	fresh: func(programID int64) *Campaign { return &Campaign{ProgramID: programID} },
	id:    func(c *Campaign) int64 { return c.ID }, name: func(c *Campaign) string { return c.Name },
}

// DeleteCampaign removes a campaign; what it paid stays in the ledger.
func DeleteCampaign(db *gorm.DB, actor Actor, programID, campaignID int64) error {
	return deleteItem(db, actor, programID, campaignID, campaignKind, nil)
}

// FormInput turns a stored campaign back into what its form shows.
func (c *Campaign) FormInput(currency string) CampaignInput {
	in := CampaignInput{
		Name: c.Name, StartsOn: c.StartsOn, EndsOn: c.EndsOn,
		Multiplier: FormatRate(c.MultiplierMilli, 3), BonusPoints: fmt.Sprint(c.BonusPoints),
		MinPurchase: FormatMoney(c.MinPurchaseMinor, currency),
	}
	for d := 0; d < 7; d++ {
		if c.Weekdays&(1<<d) != 0 {
			in.Weekdays = append(in.Weekdays, strconv.Itoa(d))
		}
	}
	for _, id := range c.TierIDList() {
		in.TierIDs = append(in.TierIDs, strconv.FormatInt(id, 10))
	}
	return in
}
