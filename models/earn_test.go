package models_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

const earnProgramID = 1

func pointsProgram(rateHundredths, minPurchase int64) *models.Program {
	return &models.Program{ID: earnProgramID, Type: models.ProgramPoints, EarnRateHundredths: rateHundredths, MinPurchaseMinor: minPurchase}
}

func stampsProgram(minPurchase int64) *models.Program {
	return &models.Program{ID: earnProgramID, Type: models.ProgramStamps, StampsPerCard: 10, MinPurchaseMinor: minPurchase}
}

func cashbackProgram(basisPoints, minPurchase int64) *models.Program {
	return &models.Program{ID: earnProgramID, Type: models.ProgramCashback, CashbackBasisPoints: basisPoints, MinPurchaseMinor: minPurchase}
}

func tierX(id int64, name string, multiplierMilli int64) *models.Tier {
	return &models.Tier{ID: id, ProgramID: earnProgramID, Name: name, EarnMultiplierMilli: multiplierMilli}
}

// boost is a campaign of the earn program running all of November 2026.
func boost(name string, multiplierMilli, bonus int64) models.Campaign {
	return models.Campaign{ProgramID: earnProgramID, Name: name, StartsOn: "2026-11-01", EndsOn: "2026-11-30",
		MultiplierMilli: multiplierMilli, BonusPoints: bonus}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// novemberMonday is Monday 2026-11-23 at noon UTC, inside every boost.
var novemberMonday = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestCalculateEarnPointsRoundsDown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		currency string
		rate     int64 // hundredths of a point per currency unit
		amount   int64 // minor units
		want     int64
	}{
		{"EUR", 100, 1299, 12},
		{"EUR", 100, 1000, 10},
		{"EUR", 100, 99, 0},
		{"EUR", 100, 1, 0},
		{"EUR", 50, 1299, 6}, // 6.495
		{"EUR", 50, 1000, 5},
		{"EUR", 50, 199, 0},    // 0.995
		{"EUR", 225, 1000, 22}, // 22.5
		{"EUR", 225, 1299, 29}, // 29.2275
		{"EUR", 225, 400, 9},
		{"JPY", 100, 1299, 1299},
		{"JPY", 50, 1299, 649}, // 649.5
		{"JPY", 50, 1, 0},
		{"JPY", 225, 1299, 2922}, // 2922.75
		{"JPY", 225, 1, 2},
		{"BHD", 100, 12345, 12}, // 12.345
		{"BHD", 100, 999, 0},
		{"BHD", 50, 12345, 6},   // 6.1725
		{"BHD", 225, 12345, 27}, // 27.77625
		{"BHD", 225, 4000, 9},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: pointsProgram(c.rate, 0), AmountMinor: c.amount, Currency: c.currency, At: novemberMonday,
		})
		if !b.Qualifies || b.Reason != "" {
			t.Errorf("%s %d at rate %d/100: Qualifies = %v (%q), want a qualifying purchase", c.currency, c.amount, c.rate, b.Qualifies, b.Reason)
		}
		if b.Base != c.want || b.Multiplied != c.want || b.Total != c.want || b.Bonus != 0 {
			t.Errorf("%s %d at rate %d/100: base %d, multiplied %d, bonus %d, total %d; want %d throughout",
				c.currency, c.amount, c.rate, b.Base, b.Multiplied, b.Bonus, b.Total, c.want)
		}
		if b.TierMultiplierMilli != 1000 || b.CampaignMultiplierMilli != 1000 || b.CampaignName != "" || b.TierName != "" {
			t.Errorf("%s %d: multipliers %d × %d (%q, %q), want 1 × 1 with no tier or campaign",
				c.currency, c.amount, b.TierMultiplierMilli, b.CampaignMultiplierMilli, b.TierName, b.CampaignName)
		}
	}
}

func TestCalculateEarnMinimumPurchase(t *testing.T) {
	t.Parallel()
	cases := []struct {
		currency    string
		min, amount int64
		qualifies   bool
		shown       string // the minimum as the reason shows it
	}{
		{"EUR", 500, 499, false, "5.00 EUR"},
		{"EUR", 500, 500, true, ""},
		{"EUR", 500, 501, true, ""},
		{"JPY", 1000, 999, false, "1000 JPY"},
		{"JPY", 1000, 1000, true, ""},
		{"BHD", 1500, 1499, false, "1.500 BHD"},
		{"BHD", 1500, 1500, true, ""},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: pointsProgram(100, c.min), Campaigns: []models.Campaign{boost("Bonus", 2000, 10)},
			AmountMinor: c.amount, Currency: c.currency, At: novemberMonday,
		})
		if b.Qualifies != c.qualifies {
			t.Errorf("%s %d with minimum %d: Qualifies = %v, want %v", c.currency, c.amount, c.min, b.Qualifies, c.qualifies)
		}
		if c.qualifies {
			if b.Reason != "" || b.Total == 0 {
				t.Errorf("%s %d: reason %q, total %d; want no reason and some units", c.currency, c.amount, b.Reason, b.Total)
			}
			continue
		}
		if !strings.Contains(b.Reason, "minimum") || !strings.Contains(b.Reason, c.shown) {
			t.Errorf("%s %d: reason %q, want it to name the minimum %s", c.currency, c.amount, b.Reason, c.shown)
		}
		if b.Base != 0 || b.Multiplied != 0 || b.Bonus != 0 || b.Total != 0 || len(b.BonusCampaigns) != 0 {
			t.Errorf("%s %d below the minimum: %+v, want nothing earned, not even a campaign bonus", c.currency, c.amount, b)
		}
	}
}

func TestCalculateEarnRefusesNonPositiveAmounts(t *testing.T) {
	t.Parallel()
	programs := []*models.Program{pointsProgram(100, 0), stampsProgram(0), cashbackProgram(500, 0)}
	for _, p := range programs {
		for _, amount := range []int64{0, -1, -1299, -100_000_000_000} {
			b := models.CalculateEarn(models.EarnRequest{
				Program: p, Campaigns: []models.Campaign{boost("Bonus", 1000, 25)},
				AmountMinor: amount, Currency: "EUR", At: novemberMonday,
			})
			if b.Qualifies || b.Reason == "" || b.Total != 0 || b.Bonus != 0 || b.Base != 0 {
				t.Errorf("%s program, amount %d: %+v; want not qualifying, a reason, nothing earned", p.Type, amount, b)
			}
		}
	}
}

func TestCalculateEarnMultipliers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                 string
		amount               int64
		tier                 *models.Tier
		campaigns            []models.Campaign
		base, multiplied     int64
		bonus, total         int64
		tierMilli, campMilli int64
		campaign             string
		bonusCampaigns       []string
	}{
		{name: "no tier, no campaign", amount: 1000, base: 10, multiplied: 10, total: 10, tierMilli: 1000, campMilli: 1000},
		{name: "tier 1.25", amount: 1000, tier: tierX(5, "Silver", 1250),
			base: 10, multiplied: 12, total: 12, tierMilli: 1250, campMilli: 1000},
		{name: "tier 1.5", amount: 1000, tier: tierX(6, "Gold", 1500),
			base: 10, multiplied: 15, total: 15, tierMilli: 1500, campMilli: 1000},
		{name: "tier with an unset multiplier counts as 1", amount: 1000, tier: tierX(5, "Bronze", 0),
			base: 10, multiplied: 10, total: 10, tierMilli: 1000, campMilli: 1000},
		{name: "best campaign multiplier wins, never the product", amount: 1000,
			campaigns: []models.Campaign{boost("Double", 2000, 0), boost("Triple", 3000, 0)},
			base:      10, multiplied: 30, total: 30, tierMilli: 1000, campMilli: 3000, campaign: "Triple"},
		{name: "best campaign wins whatever the order", amount: 1000,
			campaigns: []models.Campaign{boost("Triple", 3000, 0), boost("Double", 2000, 0)},
			base:      10, multiplied: 30, total: 30, tierMilli: 1000, campMilli: 3000, campaign: "Triple"},
		{name: "tier times best campaign", amount: 1000, tier: tierX(6, "Gold", 1500),
			campaigns: []models.Campaign{boost("Double", 2000, 0)},
			base:      10, multiplied: 30, total: 30, tierMilli: 1500, campMilli: 2000, campaign: "Double"},
		{name: "bonuses of every applicable campaign add", amount: 1000,
			campaigns: []models.Campaign{boost("Double", 2000, 5), boost("Welcome", 1000, 7)},
			base:      10, multiplied: 20, bonus: 12, total: 32, tierMilli: 1000, campMilli: 2000, campaign: "Double",
			bonusCampaigns: []string{"Double", "Welcome"}},
		{name: "bonus is not multiplied", amount: 1000, tier: tierX(6, "Gold", 1500),
			campaigns: []models.Campaign{boost("Triple", 3000, 4)},
			base:      10, multiplied: 45, bonus: 4, total: 49, tierMilli: 1500, campMilli: 3000, campaign: "Triple",
			bonusCampaigns: []string{"Triple"}},
		// 3 × 1.25 × 1.5 = 5.625: rounding once gives 5, rounding after
		// each step would give floor(floor(3.75) × 1.5) = 4.
		{name: "rounding happens once at the end", amount: 300, tier: tierX(5, "Silver", 1250),
			campaigns: []models.Campaign{boost("One and a half", 1500, 0)},
			base:      3, multiplied: 5, total: 5, tierMilli: 1250, campMilli: 1500, campaign: "One and a half"},
		// 12.99 × 1.5 = 19.485 → 19, not floor(12.99) × 1.5 = 18.
		{name: "the base is not rounded before multiplying", amount: 1299, tier: tierX(6, "Gold", 1500),
			base: 12, multiplied: 19, total: 19, tierMilli: 1500, campMilli: 1000},
		{name: "campaign minimum above the amount", amount: 1000,
			campaigns: []models.Campaign{func() models.Campaign { c := boost("Big basket", 3000, 50); c.MinPurchaseMinor = 2000; return c }()},
			base:      10, multiplied: 10, total: 10, tierMilli: 1000, campMilli: 1000},
		{name: "campaign minimum exactly met", amount: 2000,
			campaigns: []models.Campaign{func() models.Campaign { c := boost("Big basket", 3000, 50); c.MinPurchaseMinor = 2000; return c }()},
			base:      20, multiplied: 60, bonus: 50, total: 110, tierMilli: 1000, campMilli: 3000, campaign: "Big basket",
			bonusCampaigns: []string{"Big basket"}},
		{name: "campaign of another program is ignored", amount: 1000,
			campaigns: []models.Campaign{func() models.Campaign { c := boost("Elsewhere", 5000, 100); c.ProgramID = 2; return c }()},
			base:      10, multiplied: 10, total: 10, tierMilli: 1000, campMilli: 1000},
		{name: "campaign outside its dates is ignored", amount: 1000,
			campaigns: []models.Campaign{func() models.Campaign {
				c := boost("December", 5000, 100)
				c.StartsOn, c.EndsOn = "2026-12-01", "2026-12-31"
				return c
			}()},
			base: 10, multiplied: 10, total: 10, tierMilli: 1000, campMilli: 1000},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: pointsProgram(100, 0), Tier: c.tier, Campaigns: c.campaigns,
			AmountMinor: c.amount, Currency: "EUR", At: novemberMonday, Location: time.UTC,
		})
		if !b.Qualifies || b.Base != c.base || b.Multiplied != c.multiplied || b.Bonus != c.bonus || b.Total != c.total {
			t.Errorf("%s: qualifies %v, base %d, multiplied %d, bonus %d, total %d; want true, %d, %d, %d, %d",
				c.name, b.Qualifies, b.Base, b.Multiplied, b.Bonus, b.Total, c.base, c.multiplied, c.bonus, c.total)
		}
		if b.TierMultiplierMilli != c.tierMilli || b.CampaignMultiplierMilli != c.campMilli || b.CampaignName != c.campaign {
			t.Errorf("%s: tier × %d, campaign %q × %d; want × %d, %q × %d",
				c.name, b.TierMultiplierMilli, b.CampaignName, b.CampaignMultiplierMilli, c.tierMilli, c.campaign, c.campMilli)
		}
		if !slices.Equal(b.BonusCampaigns, c.bonusCampaigns) {
			t.Errorf("%s: bonus campaigns %v, want %v", c.name, b.BonusCampaigns, c.bonusCampaigns)
		}
		if c.tier != nil && b.TierName != c.tier.Name {
			t.Errorf("%s: tier name %q, want %q", c.name, b.TierName, c.tier.Name)
		}
	}
}

func TestCalculateEarnCampaignTiers(t *testing.T) {
	t.Parallel()
	limited := boost("Gold week", 2000, 3)
	limited.TierIDs = "5,7"
	cases := []struct {
		name    string
		tier    *models.Tier
		boosted bool
	}{
		{"listed tier", tierX(5, "Gold", 1000), true},
		{"other listed tier", tierX(7, "Platinum", 1000), true},
		{"unlisted tier", tierX(6, "Silver", 1000), false},
		{"no tier", nil, false},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: pointsProgram(100, 0), Tier: c.tier, Campaigns: []models.Campaign{limited},
			AmountMinor: 1000, Currency: "EUR", At: novemberMonday,
		})
		want := int64(10)
		if c.boosted {
			want = 23
		}
		if b.Total != want || (b.CampaignName == "Gold week") != c.boosted {
			t.Errorf("%s: total %d, campaign %q; want %d, boosted %v", c.name, b.Total, b.CampaignName, want, c.boosted)
		}
	}
}

func TestCalculateEarnUsesMerchantTimeZone(t *testing.T) {
	t.Parallel()
	paris, la := mustZone(t, "Europe/Paris"), mustZone(t, "America/Los_Angeles")
	monday := boost("Monday double", 2000, 0)
	monday.Weekdays = 1 << time.Monday
	twoDays := boost("Two days", 2000, 0)
	twoDays.StartsOn, twoDays.EndsOn = "2026-11-23", "2026-11-24"
	cases := []struct {
		name     string
		campaign models.Campaign
		at       time.Time
		loc      *time.Location
		boosted  bool
	}{
		{"Monday 23:30 UTC is Tuesday 00:30 in Paris", monday, time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC), paris, false},
		{"Monday 06:00 UTC is Monday in Paris", monday, time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC), paris, true},
		{"Tuesday 03:00 UTC is Monday 19:00 in Los Angeles", monday, time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC), la, true},
		{"Tuesday 03:00 UTC is Tuesday in UTC", monday, time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC), time.UTC, false},
		{"no location means UTC", monday, time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC), nil, false},
		{"the time's own zone does not matter", monday, time.Date(2026, 11, 23, 18, 30, 0, 0, mustZone(t, "America/New_York")), paris, false},
		{"last local minute before the start", twoDays, time.Date(2026, 11, 22, 22, 59, 0, 0, time.UTC), paris, false},
		{"first local moment of the start date", twoDays, time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC), paris, true},
		{"last local second of the end date", twoDays, time.Date(2026, 11, 24, 22, 59, 59, 0, time.UTC), paris, true},
		{"first local moment after the end date", twoDays, time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC), paris, false},
		{"end date in Los Angeles while UTC is a day later", twoDays, time.Date(2026, 11, 25, 7, 59, 0, 0, time.UTC), la, true},
		{"start date in UTC is still the day before in Los Angeles", twoDays, time.Date(2026, 11, 23, 7, 59, 0, 0, time.UTC), la, false},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: pointsProgram(100, 0), Campaigns: []models.Campaign{c.campaign},
			AmountMinor: 1000, Currency: "EUR", At: c.at, Location: c.loc,
		})
		want := int64(10)
		if c.boosted {
			want = 20
		}
		if b.Total != want {
			t.Errorf("%s: total %d (campaign %q), want %d", c.name, b.Total, b.CampaignName, want)
		}
	}
}

func TestCalculateEarnStamps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		amount    int64
		tier      *models.Tier
		campaigns []models.Campaign
		qualifies bool
		total     int64
	}{
		{"at the minimum", 300, nil, nil, true, 1},
		{"below the minimum", 299, nil, nil, false, 0},
		{"a big purchase is still one visit", 1_000_000, nil, nil, true, 1},
		{"a tier multiplier of 1.5 rounds down to one stamp", 500, tierX(6, "Gold", 1500), nil, true, 1},
		{"double stamps campaign", 500, nil, []models.Campaign{boost("Double stamps", 2000, 0)}, true, 2},
		{"bonus stamp", 500, nil, []models.Campaign{boost("Extra stamp", 1000, 1)}, true, 2},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: stampsProgram(300), Tier: c.tier, Campaigns: c.campaigns,
			AmountMinor: c.amount, Currency: "EUR", At: novemberMonday,
		})
		if b.Qualifies != c.qualifies || b.Total != c.total {
			t.Errorf("%s: qualifies %v, total %d; want %v, %d", c.name, b.Qualifies, b.Total, c.qualifies, c.total)
		}
		if c.qualifies && b.Base != 1 {
			t.Errorf("%s: base %d, want 1 stamp per visit", c.name, b.Base)
		}
	}
}

func TestCalculateEarnCashback(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		basisPoints int64
		amount      int64
		currency    string
		tier        *models.Tier
		want        int64
	}{
		{"5% of 12.34 EUR", 500, 1234, "EUR", nil, 61}, // 61.7
		{"5% of 0.19 EUR", 500, 19, "EUR", nil, 0},     // 0.95
		{"2.5% of 100.00 EUR", 250, 10000, "EUR", nil, 250},
		{"100% of 12.34 EUR", 10000, 1234, "EUR", nil, 1234},
		{"5% of 1234 JPY", 500, 1234, "JPY", nil, 61},
		{"5% of 1.234 BHD", 500, 1234, "BHD", nil, 61},
		{"5% of 12.34 EUR at tier 1.5", 500, 1234, "EUR", tierX(6, "Gold", 1500), 92}, // 92.55
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: cashbackProgram(c.basisPoints, 0), Tier: c.tier,
			AmountMinor: c.amount, Currency: c.currency, At: novemberMonday,
		})
		if !b.Qualifies || b.Total != c.want {
			t.Errorf("%s: qualifies %v, total %d minor; want %d", c.name, b.Qualifies, b.Total, c.want)
		}
	}
}

func TestCalculateEarnDoesNotOverflow(t *testing.T) {
	t.Parallel()
	const amount = 100_000_000_000 // the largest purchase a form accepts
	cases := []struct {
		name             string
		program          *models.Program
		currency         string
		base, multiplied int64
	}{
		{"1000 points per EUR", pointsProgram(100_000, 0), "EUR", 1_000_000_000_000, 100_000_000_000_000},
		{"1000 points per JPY", pointsProgram(100_000, 0), "JPY", 100_000_000_000_000, 10_000_000_000_000_000},
		{"1000 points per BHD", pointsProgram(100_000, 0), "BHD", 100_000_000_000, 10_000_000_000_000},
		{"100% cashback", cashbackProgram(10_000, 0), "EUR", 100_000_000_000, 10_000_000_000_000},
	}
	for _, c := range cases {
		b := models.CalculateEarn(models.EarnRequest{
			Program: c.program, Tier: tierX(6, "Top", 10_000), Campaigns: []models.Campaign{boost("Ten times", 10_000, 0)},
			AmountMinor: amount, Currency: c.currency, At: novemberMonday,
		})
		if b.Base != c.base || b.Multiplied != c.multiplied || b.Total != c.multiplied {
			t.Errorf("%s: base %d, multiplied %d, total %d; want %d, %d, %d", c.name, b.Base, b.Multiplied, b.Total, c.base, c.multiplied, c.multiplied)
		}
	}
}

func TestCalculateEarnIsPure(t *testing.T) {
	t.Parallel()
	campaigns := []models.Campaign{boost("Double", 2000, 5), boost("Triple", 3000, 0)}
	saved := slices.Clone(campaigns)
	req := models.EarnRequest{
		Program: pointsProgram(225, 100), Tier: tierX(5, "Silver", 1250), Campaigns: campaigns,
		AmountMinor: 1299, Currency: "EUR", At: novemberMonday, Location: mustZone(t, "Europe/Paris"),
	}
	first := models.CalculateEarn(req)
	second := models.CalculateEarn(req)
	// 12.99 × 2.25 × 1.25 × 3 = 109.603125 → 109, plus 5.
	if first.Total != 114 || first.Multiplied != 109 || first.Base != 29 {
		t.Errorf("breakdown = %+v, want base 29, multiplied 109, total 114", first)
	}
	if first.Total != second.Total || first.Multiplied != second.Multiplied || !slices.Equal(first.BonusCampaigns, second.BonusCampaigns) {
		t.Errorf("same request gave %+v then %+v", first, second)
	}
	if !slices.Equal(campaigns, saved) {
		t.Errorf("CalculateEarn changed its campaigns: %+v, was %+v", campaigns, saved)
	}
}

func TestPreviewEarn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@preview.example.com")
		in := pointsInput("Coffee points")
		in.EarnRate, in.MinPurchase = "2.25", "5"
		p := createProgram(t, s.db, in)
		tiers := ladder(t, s.db, p.ID, []string{"Bronze", "Silver"}, []int{0, 100})
		silverIn := tierInput("Silver", 2, 100)
		silverIn.EarnMultiplier = "1.5"
		silver, err := models.UpdateTier(s.db, testActor, p.ID, tiers[1].ID, silverIn)
		if err != nil {
			t.Fatal(err)
		}
		monday := campaignInput("Monday double")
		monday.StartsOn, monday.EndsOn, monday.Weekdays = "2026-11-01", "2026-11-30", []string{"1"}
		createCampaign(t, s.db, p.ID, monday)
		december := campaignInput("December triple")
		december.StartsOn, december.EndsOn, december.Multiplier = "2026-12-01", "2026-12-31", "3"
		createCampaign(t, s.db, p.ID, december)
		other := createProgram(t, s.db, pointsInput("Other"))
		otherTier := createTier(t, s.db, other.ID, tierInput("Other base", 1, 0))
		before := countConfig(t, db)

		mondayParis := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
		b, err := models.PreviewEarn(s.db, p.ID, silver.ID, "10", mondayParis)
		if err != nil {
			t.Fatal(err)
		}
		// 10 × 2.25 × 1.5 × 2 = 67.5
		if !b.Qualifies || b.Base != 22 || b.Total != 67 || b.TierName != "Silver" || b.CampaignName != "Monday double" {
			t.Errorf("Monday preview = %+v, want base 22, total 67 with Silver and Monday double", b)
		}
		tuesdayParis := time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)
		if b, err := models.PreviewEarn(s.db, p.ID, silver.ID, "10,00", tuesdayParis); err != nil || b.Total != 33 || b.CampaignName != "" {
			t.Errorf("Tuesday preview = %+v, %v; want 33 (10 × 2.25 × 1.5) without a campaign", b, err)
		}
		if b, err := models.PreviewEarn(s.db, p.ID, 0, "10", time.Date(2026, 12, 24, 12, 0, 0, 0, time.UTC)); err != nil || b.Total != 67 || b.CampaignName != "December triple" || b.TierName != "" {
			t.Errorf("December preview without tier = %+v, %v; want 67 (10 × 2.25 × 3)", b, err)
		}
		if b, err := models.PreviewEarn(s.db, p.ID, 0, "4.99", mondayParis); err != nil || b.Qualifies || !strings.Contains(b.Reason, "5.00 EUR") {
			t.Errorf("preview below minimum = %+v, %v; want not qualifying, naming 5.00 EUR", b, err)
		}
		for _, amount := range []string{"12.345", "abc", "-3", "1e3"} {
			_, err := models.PreviewEarn(s.db, p.ID, 0, amount, mondayParis)
			wantField(t, err, "amount")
		}
		_, err = models.PreviewEarn(s.db, p.ID, otherTier.ID, "10", mondayParis)
		wantCode(t, err, models.ENOTFOUND)

		b2 := newShop(t, db, "owner@preview-b.example.com")
		_, err = models.PreviewEarn(b2.db, p.ID, 0, "10", mondayParis)
		wantCode(t, err, models.ENOTFOUND)
		wantNoWrites(t, db, before)
	})
}
