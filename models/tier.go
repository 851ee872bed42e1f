package models

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Tier is a level within a program. Earned tiers form a ladder: ordered by
// position, the first (base) at threshold 0, thresholds rising strictly.
// Paid tiers stand beside the ladder: they are joined by a recorded
// payment, for a fee and a period, not by a threshold. Multipliers are in
// thousandths (1.25× is 1250), discounts in basis points.
type Tier struct {
	ID                  int64
	MerchantID          int64
	ProgramID           int64
	Name                string
	Color               string
	Position            int64
	Threshold           int64
	EarnMultiplierMilli int64
	DiscountBasisPoints int64
	FreeShipping        bool
	Perks               string
	Paid                bool
	FeeMinor            int64
	PeriodMonths        int64
	GraceDays           int64 // a paid tier's days held past its end before the daily job lapses it
	FeeEarns            bool  // a paid tier's fee earns as a purchase does
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Base reports whether t is the ladder's first step, where everyone starts.
func (t *Tier) Base() bool { return !t.Paid && t.Threshold == 0 }

// tierRank is what decides whether entering a tier is a move up: its rank,
// and (from no tier) whether it is the base tier.
type tierRank struct {
	position int64
	base     bool
}

func (t *Tier) upRank() tierRank { return tierRank{t.Position, t.Base()} }

// TierInput is a tier form as typed.
type TierInput struct {
	Name, Color, Position, Threshold string
	EarnMultiplier, Discount, Perks  string
	FreeShipping, Paid               bool
	Fee, PeriodMonths, GraceDays     string
	FeeEarns                         bool
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func (in TierInput) apply(t *Tier, p *Program, currency string) Validation {
	v := Validation{}
	t.Name = strings.TrimSpace(in.Name)
	v.Check(t.Name != "", "name", "Enter a name.")
	v.Check(utf8.RuneCountInString(t.Name) <= 40, "name", "Use at most 40 characters.")
	checkName(v, "name", t.Name)
	t.Color = strings.ToLower(orDefault(in.Color, "#9e9e9e"))
	v.Check(colorPattern.MatchString(t.Color), "color", "Choose a colour like #c0a060.")
	t.Position = numberField(v, "position", in.Position, 1, 50, "Enter the tier's rank, from 1 (the first) to 50.")
	t.EarnMultiplierMilli = decimalField(v, "earn_multiplier", orDefault(in.EarnMultiplier, "1"), 3, 1000, maxMultiplier,
		"Enter a multiplier from 1 to 10, like 1.25.")
	t.DiscountBasisPoints = decimalField(v, "discount", in.Discount, 2, 0, 10_000, "Enter a percentage from 0 to 100.")
	t.FreeShipping = in.FreeShipping
	t.Perks = strings.TrimSpace(in.Perks)
	v.Check(utf8.RuneCountInString(t.Perks) <= 500, "perks", "Use at most 500 characters.")
	t.Paid = in.Paid
	t.Threshold, t.FeeMinor, t.PeriodMonths, t.GraceDays, t.FeeEarns = 0, 0, 0, 0, false
	if t.Paid {
		t.FeeMinor = moneyField(v, "fee", in.Fee, currency, maxMoneyMinor)
		v.Check(t.FeeMinor > 0, "fee", "A paid tier needs a fee above 0.")
		t.PeriodMonths = numberField(v, "period_months", in.PeriodMonths, 1, 120, "Enter 1 to 120 months.")
		t.GraceDays = numberField(v, "grace_days", orDefault(in.GraceDays, "0"), 0, 365, "Enter 0 to 365 days of grace.")
		t.FeeEarns = in.FeeEarns
	} else if p.TierMetric == MetricSpend {
		t.Threshold = moneyField(v, "threshold", in.Threshold, currency, maxMoneyMinor)
	} else {
		t.Threshold = numberField(v, "threshold", in.Threshold, 0, maxUnits*100, "Enter a whole number, 0 or more.")
	}
	return v
}

// checkLadder proves the earned tiers, with t in place, start at 0 and rise
// strictly by position, and says where t's threshold must lie if not.
func checkLadder(ladder []Tier, t *Tier, v Validation, show func(int64) string) {
	if t.Paid {
		checkPaidTier(ladder, t, v)
		return
	}
	var earned []Tier
	for _, o := range ladder {
		if !o.Paid && o.ID != t.ID {
			earned = append(earned, o)
		}
	}
	for _, o := range earned {
		if o.Position == t.Position {
			v.Check(false, "position", fmt.Sprintf("%s already has rank %d.", o.Name, o.Position))
			return
		}
	}
	earned = append(earned, *t)
	sort.Slice(earned, func(i, j int) bool { return earned[i].Position < earned[j].Position })
	for i := range earned {
		if earned[i].ID != t.ID { // a new tier is the only one without an id
			continue
		}
		if i == 0 {
			v.Check(t.Threshold == 0, "threshold", "The first tier is where everyone starts: its threshold is 0.")
			if len(earned) > 1 {
				v.Check(earned[1].Threshold > 0, "position", fmt.Sprintf("%s is the first tier now; move it before adding another first tier.", earned[1].Name))
			}
			return
		}
		lo := earned[i-1]
		v.Check(t.Threshold > lo.Threshold, "threshold", fmt.Sprintf("Must be above %s's threshold of %s.", lo.Name, show(lo.Threshold)))
		if i+1 < len(earned) {
			hi := earned[i+1]
			v.Check(t.Threshold < hi.Threshold, "threshold", fmt.Sprintf("Must be below %s's threshold of %s.", hi.Name, show(hi.Threshold)))
		}
		return
	}
}

// checkPaidTier keeps paid tiers' ranks distinct and refuses to make the
// base tier paid while higher tiers still stand on it.
func checkPaidTier(ladder []Tier, t *Tier, v Validation) {
	var base *Tier
	for i, o := range ladder {
		if o.ID == t.ID {
			continue
		}
		if o.Paid && o.Position == t.Position {
			v.Check(false, "position", fmt.Sprintf("The paid tier %s already has rank %d.", o.Name, o.Position))
		}
		if !o.Paid && (base == nil || o.Position < base.Position) {
			base = &ladder[i]
		}
	}
	if base != nil && base.Threshold != 0 {
		v.Check(false, "paid", fmt.Sprintf("%s is the base tier everyone starts in; it cannot become paid while %s stands on it.", t.Name, base.Name))
	}
}

// tierOrder is a ladder's order: by rank, then paid tiers.
const tierOrder = "paid, position, id"

// ListTiers returns a program's tiers: the ladder by rank, then paid tiers.
func ListTiers(db *gorm.DB, programID int64) ([]Tier, error) {
	if cfg := cachedConfig(db); cfg != nil {
		return cfg.ladder(db, programID)
	}
	return readTiers(db, programID)
}

func readTiers(db *gorm.DB, programID int64) ([]Tier, error) {
	var ts []Tier
	if err := db.Where("program_id = ?", programID).Order(tierOrder).Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("tier: list: %w", err)
	}
	return ts, nil
}

// TiersOf returns the ladders of several programs in one query, by
// program id, each as ListTiers orders it.
func TiersOf(db *gorm.DB, programIDs []int64) (map[int64][]Tier, error) {
	return itemsOf(db, programIDs, tierOrder, "tier", func(t *Tier) int64 { return t.ProgramID })
}

// GetTier loads one tier of a program.
func GetTier(db *gorm.DB, programID, id int64) (*Tier, error) {
	var t Tier
	if err := db.Where("program_id = ?", programID).Take(&t, id).Error; err != nil {
		return nil, notFound(err, "No such tier.", "tier: get %d", id)
	}
	return &t, nil
}

// saveTier validates t against its program's ladder, saves it and records
// the change, all under a lock on the program so two edits cannot both
// pass the ladder check.
func saveTier(db *gorm.DB, actor Actor, programID int64, tierID int64, in TierInput) (*Tier, error) {
	return saveItem(db, actor, programID, tierID, tierKind, func(tx *gorm.DB, m *Merchant, p *Program, t *Tier) error {
		before := *t
		v := in.apply(t, p, m.Currency)
		ladder, err := ListTiers(tx, p.ID)
		if err != nil {
			return err
		}
		if len(v) == 0 {
			checkLadder(ladder, t, v, p.thresholdFormatter(m.Currency))
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := checkUniqueName(tx, &Tier{}, "program_id", p.ID, t.ID, t.Name); err != nil {
			return err
		}
		if t.ID != 0 && before.upRank() != t.upRank() {
			return markTierMoves(tx, t.ID, time.Now())
		}
		return nil
	})
}

var tierKind = itemKind[Tier]{
	entity: "tier", words: "tier", get: GetTier,
	fresh: func(programID int64) *Tier { return &Tier{ProgramID: programID} },
	id:    func(t *Tier) int64 { return t.ID }, name: func(t *Tier) string { return t.Name },
	// A new or changed base tier holds the members who had none at once,
	// not at their next purchase. Tier saves carry no clock: now is now.
	saved: func(tx *gorm.DB, p *Program) error { return placeInBaseTier(tx, p, time.Now()) },
}

// CreateTier adds a tier to a program.
func CreateTier(db *gorm.DB, actor Actor, programID int64, in TierInput) (*Tier, error) {
	return saveTier(db, actor, programID, 0, in)
}

// UpdateTier changes a tier of a program.
func UpdateTier(db *gorm.DB, actor Actor, programID, tierID int64, in TierInput) (*Tier, error) {
	return saveTier(db, actor, programID, tierID, in)
}

// DeleteTier removes a tier nothing refers to. The base tier goes last;
// rewards and campaigns that name the tier keep it.
func DeleteTier(db *gorm.DB, actor Actor, programID, tierID int64) error {
	return deleteItem(db, actor, programID, tierID, tierKind, func(tx *gorm.DB, p *Program, t *Tier) error {
		ladder, err := ListTiers(tx, p.ID)
		if err != nil {
			return err
		}
		if t.Base() {
			for _, o := range ladder {
				if !o.Paid && o.ID != t.ID {
					return Errorf(ECONFLICT, "%s is the base tier everyone starts in. Delete the higher tiers first.", t.Name)
				}
			}
		}
		if err := tierInUse(tx, t); err != nil {
			return err
		}
		// Moves into a deleted tier are no longer moves up.
		return markTierMoves(tx, t.ID, time.Now())
	})
}

// tierInUse refuses to delete a tier that members are in, or that rewards
// or campaigns name.
func tierInUse(tx *gorm.DB, t *Tier) error {
	var members int64
	if err := tx.Model(&Account{}).Where("tier_id = ?", t.ID).Count(&members).Error; err != nil {
		return fmt.Errorf("tier: count members: %w", err)
	}
	if members > 0 {
		return Errorf(ECONFLICT, "%d member(s) are in %s. A tier with members cannot be deleted.", members, t.Name)
	}
	var rewards int64
	if err := tx.Model(&Reward{}).Where("min_tier_id = ?", t.ID).Count(&rewards).Error; err != nil {
		return fmt.Errorf("tier: count rewards: %w", err)
	}
	if rewards > 0 {
		return Errorf(ECONFLICT, "%d reward(s) require %s. Change their minimum tier first.", rewards, t.Name)
	}
	campaigns, err := ListCampaigns(tx, t.ProgramID)
	if err != nil {
		return err
	}
	for _, c := range campaigns {
		if c.AppliesToTier(t.ID) && len(c.TierIDList()) > 0 {
			return Errorf(ECONFLICT, "Campaign %s is limited to %s. Change the campaign first.", c.Name, t.Name)
		}
	}
	return nil
}

// FormInput turns a stored tier back into what its form shows.
func (t *Tier) FormInput(p *Program, currency string) TierInput {
	in := TierInput{
		Name: t.Name, Color: t.Color, Position: fmt.Sprint(t.Position),
		EarnMultiplier: FormatRate(t.EarnMultiplierMilli, 3), Discount: FormatRate(t.DiscountBasisPoints, 2),
		Perks: t.Perks, FreeShipping: t.FreeShipping, Paid: t.Paid,
		Fee: FormatMoney(t.FeeMinor, currency), PeriodMonths: fmt.Sprint(t.PeriodMonths),
		GraceDays: fmt.Sprint(t.GraceDays), FeeEarns: t.FeeEarns,
		Threshold: fmt.Sprint(t.Threshold),
	}
	if p.TierMetric == MetricSpend {
		in.Threshold = FormatMoney(t.Threshold, currency)
	}
	return in
}

// thresholdFormatter shows a threshold in the program's metric: money for
// spend, a count otherwise.
func (p *Program) thresholdFormatter(currency string) func(int64) string {
	if p.TierMetric == MetricSpend {
		return func(v int64) string { return FormatMoney(v, currency) + " " + currency }
	}
	return func(v int64) string { return fmt.Sprint(v) }
}
