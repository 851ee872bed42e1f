package models_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// tierNames lists a program's tiers in ListTiers order.
func tierNames(t *testing.T, sdb *gorm.DB, programID int64) string {
	t.Helper()
	ts, err := models.ListTiers(sdb, programID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tier := range ts {
		names = append(names, tier.Name)
	}
	return strings.Join(names, ",")
}

func TestTierLadder(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@tiers.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))

		before := countConfig(t, db)
		_, err := models.CreateTier(s.db, testActor, p.ID, tierInput("Bronze", 1, 100))
		wantFieldMessage(t, err, "threshold", "threshold is 0")
		wantNoWrites(t, db, before)

		bronze := createTier(t, s.db, p.ID, tierInput("Bronze", 1, 0))
		if bronze.ProgramID != p.ID || bronze.MerchantID != s.m.ID || bronze.Position != 1 || bronze.Threshold != 0 ||
			bronze.EarnMultiplierMilli != 1000 || bronze.Color != "#9e9e9e" || bronze.Paid {
			t.Errorf("bronze = %+v", bronze)
		}
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditCreate, "tier", bronze.ID)
		if !strings.Contains(e.Summary, "Bronze") || !strings.Contains(e.Summary, "Coffee") {
			t.Errorf("summary = %q, want the tier and program named", e.Summary)
		}
		gold := createTier(t, s.db, p.ID, tierInput("Gold", 3, 500))

		refused := []struct {
			name        string
			in          models.TierInput
			field, part string
		}{
			{"above the next tier", tierInput("Silver", 2, 600), "threshold", "below Gold's threshold of 500"},
			{"equal to the next tier", tierInput("Silver", 2, 500), "threshold", "below Gold's threshold of 500"},
			{"not above the previous tier", tierInput("Silver", 2, 0), "threshold", "above Bronze's threshold of 0"},
			{"top tier below the one under it", tierInput("Platinum", 4, 400), "threshold", "above Gold's threshold of 500"},
			{"a rank already taken", tierInput("Copper", 3, 700), "position", "Gold already has rank 3"},
			{"a second first tier", tierInput("Starter", 1, 0), "position", "Bronze already has rank 1"},
			{"rank 0", tierInput("Silver", 0, 250), "position", "rank"},
			{"rank 51", tierInput("Silver", 51, 9000), "position", "rank"},
			{"negative threshold", tierInput("Silver", 2, -1), "threshold", "0 or more"},
			{"same name in another case", tierInput(" bronze ", 2, 250), "name", "already used"},
			{"no name", tierInput("  ", 2, 250), "name", "Enter a name"},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				before := countConfig(t, db)
				tier, err := models.CreateTier(s.db, testActor, p.ID, c.in)
				if tier != nil {
					t.Errorf("CreateTier returned %+v with an error", tier)
				}
				wantFieldMessage(t, err, c.field, c.part)
				wantNoWrites(t, db, before)
			})
		}

		silver := createTier(t, s.db, p.ID, tierInput("Silver", 2, 250))
		if got := tierNames(t, s.db, p.ID); got != "Bronze,Silver,Gold" {
			t.Errorf("ladder = %s, want Bronze,Silver,Gold", got)
		}

		updates := []struct {
			name        string
			id          int64
			in          models.TierInput
			field, part string
		}{
			{"base tier threshold above 0", bronze.ID, tierInput("Bronze", 1, 10), "threshold", "threshold is 0"},
			{"middle tier above the next", silver.ID, tierInput("Silver", 2, 700), "threshold", "below Gold's"},
			{"middle tier onto a taken rank", silver.ID, tierInput("Silver", 3, 250), "position", "Gold already has rank 3"},
			{"base tier moved above the others", bronze.ID, tierInput("Bronze", 4, 0), "threshold", "above Gold's"},
		}
		for _, c := range updates {
			t.Run(c.name, func(t *testing.T) {
				stored := reload[models.Tier](t, db, c.id)
				before := countConfig(t, db)
				_, err := models.UpdateTier(s.db, testActor, p.ID, c.id, c.in)
				wantFieldMessage(t, err, c.field, c.part)
				wantNoWrites(t, db, before)
				wantSameRow(t, reload[models.Tier](t, db, c.id), stored)
			})
		}

		// Silver moves to the top with a threshold above Gold's.
		moved, err := models.UpdateTier(s.db, testActor, p.ID, silver.ID, tierInput("Silver", 5, 700))
		if err != nil {
			t.Fatal(err)
		}
		if moved.Position != 5 || moved.Threshold != 700 {
			t.Errorf("moved = %+v", moved)
		}
		if got := tierNames(t, s.db, p.ID); got != "Bronze,Gold,Silver" {
			t.Errorf("ladder = %s, want Bronze,Gold,Silver", got)
		}
		e = lastAudit(t, s.db)
		wantAudit(t, e, models.AuditUpdate, "tier", silver.ID)
		if got := strings.Join(changed(e), ","); got != "Position,Threshold" {
			t.Errorf("changes = %s, want Position,Threshold", got)
		}
		// A tier keeps its own rank and name on an update.
		if _, err := models.UpdateTier(s.db, testActor, p.ID, gold.ID, tierInput("GOLD", 3, 400)); err != nil {
			t.Errorf("update Gold in place: %v", err)
		}
	})
}

func TestTierBenefits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@benefits.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		createTier(t, s.db, p.ID, tierInput("Bronze", 1, 0))

		in := tierInput("Gold", 2, 1000)
		in.Color, in.EarnMultiplier, in.Discount, in.Perks, in.FreeShipping = "#C0A060", "1,25", "7.5", "  Free refills  ", true
		gold := createTier(t, s.db, p.ID, in)
		if gold.Color != "#c0a060" || gold.EarnMultiplierMilli != 1250 || gold.DiscountBasisPoints != 750 ||
			gold.Perks != "Free refills" || !gold.FreeShipping {
			t.Errorf("gold = %+v", gold)
		}
		if f := gold.FormInput(p, s.m.Currency); f.EarnMultiplier != "1.25" || f.Discount != "7.5" || f.Color != "#c0a060" || f.Threshold != "1000" {
			t.Errorf("form = %+v", f)
		}

		cases := []struct {
			name  string
			edit  func(in *models.TierInput)
			field string
		}{
			{"multiplier 10", func(in *models.TierInput) { in.EarnMultiplier = "10" }, ""},
			{"multiplier 1", func(in *models.TierInput) { in.EarnMultiplier = "1" }, ""},
			{"multiplier below 1", func(in *models.TierInput) { in.EarnMultiplier = "0.99" }, "earn_multiplier"},
			{"multiplier 0", func(in *models.TierInput) { in.EarnMultiplier = "0" }, "earn_multiplier"},
			{"multiplier above 10", func(in *models.TierInput) { in.EarnMultiplier = "10.001" }, "earn_multiplier"},
			{"multiplier with four decimals", func(in *models.TierInput) { in.EarnMultiplier = "1.2345" }, "earn_multiplier"},
			{"multiplier not a number", func(in *models.TierInput) { in.EarnMultiplier = "double" }, "earn_multiplier"},
			{"discount 100", func(in *models.TierInput) { in.Discount = "100" }, ""},
			{"discount above 100", func(in *models.TierInput) { in.Discount = "100.01" }, "discount"},
			{"discount negative", func(in *models.TierInput) { in.Discount = "-1" }, "discount"},
			{"colour by name", func(in *models.TierInput) { in.Color = "red" }, "color"},
			{"short colour", func(in *models.TierInput) { in.Color = "#abc" }, "color"},
			{"long colour", func(in *models.TierInput) { in.Color = "#abcdef0" }, "color"},
			{"colour without #", func(in *models.TierInput) { in.Color = "c0a060" }, "color"},
			{"colour not hex", func(in *models.TierInput) { in.Color = "#c0a06g" }, "color"},
			{"perks of 500 characters", func(in *models.TierInput) { in.Perks = strings.Repeat("é", 500) }, ""},
			{"perks of 501 characters", func(in *models.TierInput) { in.Perks = strings.Repeat("é", 501) }, "perks"},
			{"name of 41 characters", func(in *models.TierInput) { in.Name = strings.Repeat("n", 41) }, "name"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				stored := reload[models.Tier](t, db, gold.ID)
				in := stored.FormInput(p, s.m.Currency)
				c.edit(&in)
				before := countConfig(t, db)
				_, err := models.UpdateTier(s.db, testActor, p.ID, gold.ID, in)
				if c.field == "" {
					if err != nil {
						t.Fatal(err)
					}
					wantWrites(t, db, before, map[string]int64{"audit_entries": 1})
					return
				}
				wantField(t, err, c.field)
				wantNoWrites(t, db, before)
				wantSameRow(t, reload[models.Tier](t, db, gold.ID), stored)
			})
		}
	})
}

func TestTierSpendThresholdsAreMoney(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@spend.example.com")
		in := pointsInput("Spend tiers")
		in.TierMetric = "spend"
		p := createProgram(t, s.db, in)
		createTier(t, s.db, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
		silver := createTier(t, s.db, p.ID, models.TierInput{Name: "Silver", Position: "2", Threshold: "100,50"})
		if silver.Threshold != 10050 {
			t.Errorf("Silver threshold = %d, want 10050 minor units", silver.Threshold)
		}
		if f := silver.FormInput(p, s.m.Currency); f.Threshold != "100.50" {
			t.Errorf("form threshold = %q, want 100.50", f.Threshold)
		}
		_, err := models.CreateTier(s.db, testActor, p.ID, models.TierInput{Name: "Gold", Position: "3", Threshold: "100.505"})
		wantField(t, err, "threshold")
		_, err = models.CreateTier(s.db, testActor, p.ID, models.TierInput{Name: "Gold", Position: "3", Threshold: "100"})
		wantFieldMessage(t, err, "threshold", "above Silver's threshold of 100.50 EUR")
		gold := createTier(t, s.db, p.ID, models.TierInput{Name: "Gold", Position: "3", Threshold: "1000"})
		if gold.Threshold != 100000 {
			t.Errorf("Gold threshold = %d, want 100000", gold.Threshold)
		}

		yen := newShopIn(t, db, "owner@spend-yen.example.com", "JPY", "Asia/Tokyo")
		yp := createProgram(t, yen.db, in)
		createTier(t, yen.db, yp.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
		_, err = models.CreateTier(yen.db, testActor, yp.ID, models.TierInput{Name: "Silver", Position: "2", Threshold: "100.50"})
		wantField(t, err, "threshold")
		if ys := createTier(t, yen.db, yp.ID, models.TierInput{Name: "Silver", Position: "2", Threshold: "10000"}); ys.Threshold != 10000 {
			t.Errorf("yen threshold = %d, want 10000", ys.Threshold)
		}
	})
}

func TestPaidTiers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@paid.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		createTier(t, s.db, p.ID, tierInput("Bronze", 1, 0))

		paid := func(name, fee, months string) models.TierInput {
			in := tierInput(name, 1, 99999)
			in.Paid, in.Fee, in.PeriodMonths = true, fee, months
			return in
		}
		for _, c := range []struct {
			name  string
			in    models.TierInput
			field string
		}{
			{"no fee", paid("Club", "", "12"), "fee"},
			{"zero fee", paid("Club", "0", "12"), "fee"},
			{"fee of a tenth of a cent", paid("Club", "9.999", "12"), "fee"},
			{"no period", paid("Club", "9.99", ""), "period_months"},
			{"period of 121 months", paid("Club", "9.99", "121"), "period_months"},
		} {
			before := countConfig(t, db)
			_, err := models.CreateTier(s.db, testActor, p.ID, c.in)
			if models.FieldErrors(err)[c.field] == "" {
				t.Errorf("%s: err = %v, want a %s error", c.name, err, c.field)
			}
			wantNoWrites(t, db, before)
		}

		// Rank 1 is the base tier's, but a paid tier stands beside the
		// ladder: its threshold is ignored and it takes no rank from it.
		club := createTier(t, s.db, p.ID, paid("Club", "9.99", "12"))
		if !club.Paid || club.FeeMinor != 999 || club.PeriodMonths != 12 || club.Threshold != 0 {
			t.Errorf("club = %+v, want paid, 999, 12 months, no threshold", club)
		}
		silver := createTier(t, s.db, p.ID, tierInput("Silver", 2, 100))
		if got := tierNames(t, s.db, p.ID); got != "Bronze,Silver,Club" {
			t.Errorf("tiers = %s, want the ladder then paid tiers", got)
		}
		// Earned tiers' fee and period are not kept.
		in := tierInput("Silver", 2, 100)
		in.Fee, in.PeriodMonths = "5", "6"
		if updated, err := models.UpdateTier(s.db, testActor, p.ID, silver.ID, in); err != nil || updated.FeeMinor != 0 || updated.PeriodMonths != 0 {
			t.Errorf("earned tier with a fee = %+v, %v; want no fee or period kept", updated, err)
		}
		// A paid tier can be deleted while the ladder stays.
		if err := models.DeleteTier(s.db, testActor, p.ID, club.ID); err != nil {
			t.Errorf("delete paid tier: %v", err)
		}
	})
}

// Two paid tiers at the same rank collide on the tiers_position_key index
// (program_id, paid, position), which checkLadder never checks for paid
// tiers. The collision must come back as a field error on position, or be
// allowed, never as "That name is already used here" on the name field.
func TestPaidTiersAtTheSameRank(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@paid-rank.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		createTier(t, s.db, p.ID, tierInput("Bronze", 1, 0))
		monthly := models.TierInput{Name: "Club monthly", Position: "1", Paid: true, Fee: "9.99", PeriodMonths: "1"}
		createTier(t, s.db, p.ID, monthly)
		yearly := models.TierInput{Name: "Club yearly", Position: "1", Paid: true, Fee: "99", PeriodMonths: "12"}
		before := countConfig(t, db)
		_, err := models.CreateTier(s.db, testActor, p.ID, yearly)
		if err == nil {
			return // allowed: paid tiers need no distinct rank
		}
		if _, onName := models.FieldErrors(err)["name"]; onName || models.FieldErrors(err)["position"] == "" {
			t.Errorf("second paid tier at rank 1: err = %v; want a position error (or success), not a name error", err)
		}
		wantNoWrites(t, db, before)
	})
}

// Turning the base tier into a paid tier takes it off the ladder, leaving
// the ladder to start above 0: it must be refused like deleting the base
// tier is.
func TestBaseTierCannotBecomePaid(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@base-paid.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		ts := ladder(t, s.db, p.ID, []string{"Bronze", "Silver"}, []int{0, 100})
		before := countConfig(t, db)
		in := ts[0].FormInput(p, s.m.Currency)
		in.Paid, in.Fee, in.PeriodMonths = true, "5", "12"
		_, err := models.UpdateTier(s.db, testActor, p.ID, ts[0].ID, in)
		if err == nil {
			t.Errorf("base tier turned paid while Silver (threshold 100) remains: the ladder now starts at %d", reload[models.Tier](t, db, ts[1].ID).Threshold)
			return
		}
		wantNoWrites(t, db, before)
	})
}

func TestDeleteTier(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@delete-tier.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		ts := ladder(t, s.db, p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 100, 500})
		bronze, silver, gold := ts[0], ts[1], ts[2]

		before := countConfig(t, db)
		err := models.DeleteTier(s.db, testActor, p.ID, bronze.ID)
		wantCode(t, err, models.ECONFLICT)
		if !strings.Contains(models.ErrorMessage(err), "Bronze") {
			t.Errorf("message = %q, want it to name Bronze", models.ErrorMessage(err))
		}
		wantNoWrites(t, db, before)

		ri := rewardInput("Gold treat")
		ri.MinTierID = itoa(gold.ID)
		treat := createReward(t, s.db, p.ID, ri)
		ci := campaignInput("Silver week")
		ci.TierIDs = []string{itoa(silver.ID)}
		week := createCampaign(t, s.db, p.ID, ci)
		createCampaign(t, s.db, p.ID, campaignInput("Everyone")) // no tier list: blocks nothing

		before = countConfig(t, db)
		err = models.DeleteTier(s.db, testActor, p.ID, gold.ID)
		wantCode(t, err, models.ECONFLICT)
		if !strings.Contains(models.ErrorMessage(err), "1 reward") {
			t.Errorf("message = %q, want the reward count", models.ErrorMessage(err))
		}
		err = models.DeleteTier(s.db, testActor, p.ID, silver.ID)
		wantCode(t, err, models.ECONFLICT)
		if !strings.Contains(models.ErrorMessage(err), "Silver week") {
			t.Errorf("message = %q, want the campaign named", models.ErrorMessage(err))
		}
		wantNoWrites(t, db, before)

		// Free the tiers, then they go, each with an audit entry.
		ri.MinTierID = ""
		if _, err := models.SaveReward(s.db, testActor, p.ID, treat.ID, ri); err != nil {
			t.Fatal(err)
		}
		ci.TierIDs = nil
		if _, err := models.SaveCampaign(s.db, testActor, p.ID, week.ID, ci, campaignNow); err != nil {
			t.Fatal(err)
		}
		for _, tier := range []*models.Tier{gold, silver, bronze} {
			before = countConfig(t, db)
			if err := models.DeleteTier(s.db, testActor, p.ID, tier.ID); err != nil {
				t.Fatalf("delete %s: %v", tier.Name, err)
			}
			wantWrites(t, db, before, map[string]int64{"tiers": -1, "audit_entries": 1})
			e := lastAudit(t, s.db)
			wantAudit(t, e, models.AuditDelete, "tier", tier.ID)
			if e.AfterJSON != "" || !strings.Contains(e.BeforeJSON, `"Name":"`+tier.Name+`"`) {
				t.Errorf("delete audit = before %q, after %q", e.BeforeJSON, e.AfterJSON)
			}
		}
		err = models.DeleteTier(s.db, testActor, p.ID, bronze.ID)
		wantCode(t, err, models.ENOTFOUND)
	})
}

func TestTiersBelongToTheirProgram(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@tier-programs.example.com")
		coffee := createProgram(t, s.db, pointsInput("Coffee"))
		tea := createProgram(t, s.db, pointsInput("Tea"))
		bronze := createTier(t, s.db, coffee.ID, tierInput("Bronze", 1, 0))
		// The same name and rank are free in another program.
		teaBronze := createTier(t, s.db, tea.ID, tierInput("Bronze", 1, 0))

		before := countConfig(t, db)
		_, err := models.GetTier(s.db, tea.ID, bronze.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.UpdateTier(s.db, testActor, tea.ID, bronze.ID, tierInput("Moved", 2, 10))
		wantCode(t, err, models.ENOTFOUND)
		err = models.DeleteTier(s.db, testActor, tea.ID, bronze.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.CreateTier(s.db, testActor, coffee.ID+tea.ID+1000, tierInput("Ghost", 1, 0))
		wantCode(t, err, models.ENOTFOUND)
		wantNoWrites(t, db, before)
		if got := tierNames(t, s.db, tea.ID); got != "Bronze" || teaBronze.ID == bronze.ID {
			t.Errorf("Tea tiers = %s", got)
		}
	})
}

// Two owners adding a tier at the same rank at once: the lock on the
// program lets one in, the other sees it and is refused.
func TestTierConcurrentSamePosition(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@tier-race.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		createTier(t, s.db, p.ID, tierInput("Base", 1, 0))
		for round := range 5 {
			position := round + 2
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					// Thresholds both fit above the previous round's tier.
					name := string(rune('A'+round)) + string(rune('a'+i))
					_, errs[i] = models.CreateTier(s.db, testActor, p.ID, tierInput(name, position, 1000*position+i))
				})
			}
			wg.Wait()
			ok, refused := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case models.FieldErrors(err)["position"] != "":
					refused++
				default:
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			}
			var n int64
			s.db.Model(&models.Tier{}).Where("program_id = ? AND position = ?", p.ID, position).Count(&n)
			if ok != 1 || refused != 1 || n != 1 {
				t.Errorf("round %d: %d created, %d refused, %d tiers at rank %d; want 1, 1, 1", round, ok, refused, n, position)
			}
		}
	})
}

// A tier members are in cannot be deleted: they would be left in a tier
// that no longer exists.
func TestTierWithMembersCannotBeDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@tiers-members.example")
		p := createProgram(t, s.db, pointsInput("Club"))
		createTier(t, s.db, p.ID, models.TierInput{Name: "Bronze", Position: "1", Threshold: "0"})
		silver := createTier(t, s.db, p.ID, models.TierInput{Name: "Silver", Position: "2", Threshold: "100"})
		now := time.Now()
		m, err := models.EnrolMember(s.db, testActor, models.MemberInput{Name: "Mo"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.RecordPurchase(s.db, testActor, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "150", IdempotencyKey: "k"}, now); err != nil {
			t.Fatal(err)
		}
		err = models.DeleteTier(s.db, testActor, p.ID, silver.ID)
		if models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(models.ErrorMessage(err), "1 member(s) are in Silver") {
			t.Fatalf("delete a tier with a member: %v", err)
		}
		if _, err := models.GetTier(s.db, p.ID, silver.ID); err != nil {
			t.Fatalf("Silver is gone: %v", err)
		}
	})
}

// A base tier takes the members who had none at once, in the transaction
// that makes it the base (added, or a paid tier turned earned at 0), with
// their tier history; not at their next purchase. Members of another
// program, and members in a tier already, stay where they are.
func TestBaseTierPlacesExistingMembers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@base-tier.example.com", pointsInput("Coffee"))
		tea := createProgram(t, s.db, pointsInput("Tea"))
		ann, bob := enrolNamed(t, s.db, "Ann"), enrolNamed(t, s.db, "Bob")
		grant(t, s.db, s.p.ID, ann.ID, 150, day0)
		grant(t, s.db, s.p.ID, bob.ID, 5, day0)
		grant(t, s.db, tea.ID, ann.ID, 5, day0)
		wantTier(t, s.db, s.p.ID, ann.ID, "")

		// A refused tier places nobody.
		bad := tierInput("Bronze", 1, 10)
		_, err := models.CreateTier(s.db, testActor, s.p.ID, bad)
		wantField(t, err, "threshold")
		wantTier(t, s.db, s.p.ID, bob.ID, "")

		bronze := createTier(t, s.db, s.p.ID, tierInput("Bronze", 1, 0))
		for _, m := range []*models.Member{ann, bob} {
			wantTier(t, s.db, s.p.ID, m.ID, "Bronze")
			if got := strings.Join(tierHistory(t, s.db, s.p.ID, m.ID), ","); got != "->Bronze:promoted" {
				t.Errorf("%s's tier history %q, want one step into Bronze", m.Name, got)
			}
			if a := accountOf(t, s.db, s.p.ID, m.ID); a.TierSince == nil || time.Since(*a.TierSince) > time.Minute {
				t.Errorf("%s in Bronze since %v, want now", m.Name, a.TierSince)
			}
		}
		wantTier(t, s.db, tea.ID, ann.ID, "")

		// Saving the base tier again (or adding a higher one) moves no one
		// twice.
		createTier(t, s.db, s.p.ID, tierInput("Silver", 2, 100))
		if _, err := models.UpdateTier(s.db, testActor, s.p.ID, bronze.ID, bronze.FormInput(s.p, s.m.Currency)); err != nil {
			t.Fatal(err)
		}
		if got := tierHistory(t, s.db, s.p.ID, ann.ID); len(got) != 1 {
			t.Errorf("Ann's tier history %v after more saves, want one step", got)
		}

		// Tea's only tier is paid at first: nobody is placed in it. Made an
		// earned tier at 0, it is the base and takes them.
		club := tierInput("Club", 1, 0)
		club.Paid, club.Fee, club.PeriodMonths = true, "9.99", "12"
		clubTier := createTier(t, s.db, tea.ID, club)
		wantTier(t, s.db, tea.ID, ann.ID, "")
		club.Paid = false
		if _, err := models.UpdateTier(s.db, testActor, tea.ID, clubTier.ID, club); err != nil {
			t.Fatal(err)
		}
		wantTier(t, s.db, tea.ID, ann.ID, "Club")
		wantTier(t, s.db, s.p.ID, ann.ID, "Bronze")
		wantSound(t, db)
	})
}
