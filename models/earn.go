package models

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"gorm.io/gorm"
)

// EarnRequest is everything the earn calculator needs: the program, the
// member's tier (nil for none), the program's campaigns (it picks those
// that apply), the purchase and when it happened.
type EarnRequest struct {
	Program     *Program
	Tier        *Tier
	Campaigns   []Campaign
	AmountMinor int64
	Currency    string
	At          time.Time
	Location    *time.Location
}

// EarnBreakdown says how a purchase turns into units. Total is what the
// ledger credits: Multiplied (Base times the tier multiplier times the
// best campaign multiplier, rounded down once, at the end) plus Bonus.
type EarnBreakdown struct {
	Qualifies               bool
	Reason                  string // why not, when it does not qualify
	Base                    int64
	TierName                string
	TierMultiplierMilli     int64
	CampaignName            string // the campaign whose multiplier applied
	CampaignMultiplierMilli int64
	Multiplied              int64
	BonusCampaigns          []string
	Bonus                   int64
	Total                   int64
}

// CalculateEarn turns a purchase into units with a breakdown. It is pure:
// the same request always gives the same answer, and every rounding is
// down.
func CalculateEarn(r EarnRequest) EarnBreakdown {
	b := EarnBreakdown{TierMultiplierMilli: 1000, CampaignMultiplierMilli: 1000}
	p := r.Program
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case r.AmountMinor <= 0:
		b.Reason = "Enter a purchase amount above 0."
		return b
	case r.AmountMinor < p.MinPurchaseMinor:
		b.Reason = fmt.Sprintf("Below the minimum purchase of %s %s.", FormatMoney(p.MinPurchaseMinor, r.Currency), r.Currency)
		return b
	}
	b.Qualifies = true
	tierID := int64(0)
	if r.Tier != nil {
		tierID = r.Tier.ID
		b.TierName = r.Tier.Name
		b.TierMultiplierMilli = max(r.Tier.EarnMultiplierMilli, 1000)
	}
	for i := range r.Campaigns {
		c := &r.Campaigns[i]
		if c.ProgramID != p.ID || !c.RunsOn(r.At, loc) || !c.AppliesToTier(tierID) || r.AmountMinor < c.MinPurchaseMinor {
			continue
		}
		if c.MultiplierMilli > b.CampaignMultiplierMilli {
			b.CampaignMultiplierMilli, b.CampaignName = c.MultiplierMilli, c.Name
		}
		if c.BonusPoints > 0 {
			b.Bonus = addClamped(b.Bonus, c.BonusPoints)
			b.BonusCampaigns = append(b.BonusCampaigns, c.Name)
		}
	}

	// Units before rounding are numerator/denominator; big integers keep a
	// billion-euro purchase at 10× from overflowing.
	num, den := big.NewInt(0), big.NewInt(1)
	switch p.Type {
	case ProgramPoints:
		c, _ := LookupCurrency(r.Currency)
		num.Mul(big.NewInt(r.AmountMinor), big.NewInt(p.EarnRateHundredths))
		den.Mul(big.NewInt(100), big.NewInt(int64(math.Pow10(c.MinorDigits))))
	case ProgramStamps:
		num.SetInt64(1)
	case ProgramCashback:
		num.Mul(big.NewInt(r.AmountMinor), big.NewInt(p.CashbackBasisPoints))
		den.SetInt64(10_000)
	}
	b.Base = clampInt64(new(big.Int).Quo(num, den))
	num.Mul(num, big.NewInt(b.TierMultiplierMilli))
	num.Mul(num, big.NewInt(b.CampaignMultiplierMilli))
	den.Mul(den, big.NewInt(1_000_000))
	b.Multiplied = clampInt64(new(big.Int).Quo(num, den))
	b.Total = addClamped(b.Multiplied, b.Bonus)
	return b
}

// clampInt64 is x, or the int64 bound it passes: whatever it is given, the
// calculator saturates rather than wrapping around to a negative or small
// credit. The forms' bounds keep real purchases far below it, and posting
// refuses a balance it would take past int64.
func clampInt64(x *big.Int) int64 {
	switch {
	case x.IsInt64():
		return x.Int64()
	case x.Sign() < 0:
		return math.MinInt64
	}
	return math.MaxInt64
}

// addClamped adds two int64s, saturating at the bounds.
func addClamped(a, b int64) int64 {
	return clampInt64(new(big.Int).Add(big.NewInt(a), big.NewInt(b)))
}

// PreviewEarn runs the calculator for a typed amount and tier (0 for none)
// at a moment, as the program page's preview does.
func PreviewEarn(db *gorm.DB, programID, tierID int64, amount string, at time.Time) (EarnBreakdown, error) {
	m, err := GetMerchant(db)
	if err != nil {
		return EarnBreakdown{}, err
	}
	p, err := GetProgram(db, programID)
	if err != nil {
		return EarnBreakdown{}, err
	}
	v := Validation{}
	minor := moneyField(v, "amount", amount, m.Currency, maxMoneyMinor)
	if err := v.Err(); err != nil {
		return EarnBreakdown{}, err
	}
	var tier *Tier
	if tierID != 0 {
		if tier, err = GetTier(db, p.ID, tierID); err != nil {
			return EarnBreakdown{}, err
		}
	}
	campaigns, err := CampaignsRunningOn(db, p.ID, at, m.Location())
	if err != nil {
		return EarnBreakdown{}, err
	}
	return CalculateEarn(EarnRequest{
		Program: p, Tier: tier, Campaigns: campaigns, AmountMinor: minor,
		Currency: m.Currency, At: at, Location: m.Location(),
	}), nil
}
