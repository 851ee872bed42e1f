package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// configOfA is a merchant's full configuration, for another to aim at.
type configOfA struct {
	program, stamps *models.Program
	tier            *models.Tier
	reward, card    *models.Reward
	rule            *models.EarningRule
	campaign        *models.Campaign
}

func seedConfig(t *testing.T, s shop) configOfA {
	t.Helper()
	var c configOfA
	c.program = createProgram(t, s.db, pointsInput("Coffee"))
	c.tier = createTier(t, s.db, c.program.ID, tierInput("Bronze", 1, 0))
	ri := rewardInput("Cookie")
	ri.MinTierID = itoa(c.tier.ID)
	c.reward = createReward(t, s.db, c.program.ID, ri)
	c.rule = createRule(t, s.db, c.program.ID, models.EarningRuleInput{Kind: "birthday", Points: "10"})
	ci := campaignInput("Double")
	ci.TierIDs = []string{itoa(c.tier.ID)}
	c.campaign = createCampaign(t, s.db, c.program.ID, ci)
	c.stamps = createProgram(t, s.db, stampsInput("Stamp card"))
	c.card = createReward(t, s.db, c.stamps.ID, rewardInput("Free coffee"))
	return c
}

func TestConfigReadsAreTenantScoped(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newShop(t, db, "owner@a.example.com")
		b := newShop(t, db, "owner@b.example.com")
		c := seedConfig(t, a)
		bp := createProgram(t, b.db, pointsInput("B points"))
		pid := c.program.ID

		_, err := models.GetProgram(b.db, pid)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.GetTier(b.db, pid, c.tier.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.GetReward(b.db, pid, c.reward.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.GetEarningRule(b.db, pid, c.rule.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.GetCampaign(b.db, pid, c.campaign.ID)
		wantCode(t, err, models.ENOTFOUND)
		// Nor through B's own program id.
		_, err = models.GetTier(b.db, bp.ID, c.tier.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.GetReward(b.db, bp.ID, c.reward.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.PreviewEarn(b.db, pid, 0, "10", time.Now())
		wantCode(t, err, models.ENOTFOUND)

		programs, err := models.ListPrograms(b.db)
		if err != nil || len(programs) != 1 || programs[0].ID != bp.ID {
			t.Errorf("B's programs = %v, %v; want only its own", programs, err)
		}
		tiers, _ := models.ListTiers(b.db, pid)
		rewards, _ := models.ListRewards(b.db, pid, true)
		rules, _ := models.ListEarningRules(b.db, pid)
		campaigns, _ := models.ListCampaigns(b.db, pid)
		running, _ := models.CampaignsRunningOn(b.db, pid, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), time.UTC)
		if len(tiers)+len(rewards)+len(rules)+len(campaigns)+len(running) != 0 {
			t.Errorf("B lists A's %d tiers, %d rewards, %d rules, %d campaigns, %d running", len(tiers), len(rewards), len(rules), len(campaigns), len(running))
		}
		// A sees them all, so the emptiness above is the scope's doing.
		if tiers, _ := models.ListTiers(a.db, pid); len(tiers) != 1 {
			t.Errorf("A's tiers = %v", tiers)
		}
		if running, _ := models.CampaignsRunningOn(a.db, pid, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), time.UTC); len(running) != 1 {
			t.Errorf("A's running campaigns = %v", running)
		}
	})
}

func TestConfigWritesAreTenantScoped(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newShop(t, db, "owner@a.example.com")
		b := newShop(t, db, "owner@b.example.com")
		c := seedConfig(t, a)
		pid := c.program.ID
		bp := createProgram(t, b.db, pointsInput("B points"))
		bStamps := createProgram(t, b.db, stampsInput("B stamps"))

		snapshot := func() []any {
			return []any{
				reload[models.Program](t, db, pid), reload[models.Program](t, db, c.stamps.ID), reload[models.Tier](t, db, c.tier.ID),
				reload[models.Reward](t, db, c.reward.ID), reload[models.Reward](t, db, c.card.ID),
				reload[models.EarningRule](t, db, c.rule.ID), reload[models.Campaign](t, db, c.campaign.ID),
			}
		}
		aBefore := snapshot()
		before := countConfig(t, db)

		notFound := []struct {
			name string
			run  func() error
		}{
			{"UpdateProgram", func() error {
				_, err := models.UpdateProgram(b.db, testActor, pid, pointsInput("Taken over"))
				return err
			}},
			{"CreateTier", func() error {
				_, err := models.CreateTier(b.db, testActor, pid, tierInput("Silver", 2, 100))
				return err
			}},
			{"UpdateTier", func() error {
				_, err := models.UpdateTier(b.db, testActor, pid, c.tier.ID, tierInput("Renamed", 1, 0))
				return err
			}},
			{"UpdateTier via B's program", func() error {
				_, err := models.UpdateTier(b.db, testActor, bp.ID, c.tier.ID, tierInput("Renamed", 1, 0))
				return err
			}},
			{"DeleteTier", func() error { return models.DeleteTier(b.db, testActor, pid, c.tier.ID) }},
			{"DeleteTier via B's program", func() error { return models.DeleteTier(b.db, testActor, bp.ID, c.tier.ID) }},
			{"SaveReward new", func() error { _, err := models.SaveReward(b.db, testActor, pid, 0, rewardInput("Planted")); return err }},
			{"SaveReward update", func() error {
				_, err := models.SaveReward(b.db, testActor, pid, c.reward.ID, rewardInput("Renamed"))
				return err
			}},
			{"SaveReward update via B's program", func() error {
				_, err := models.SaveReward(b.db, testActor, bp.ID, c.reward.ID, rewardInput("Renamed"))
				return err
			}},
			{"SetRewardArchived", func() error {
				_, err := models.SetRewardArchived(b.db, testActor, pid, c.reward.ID, true)
				return err
			}},
			{"SetRewardArchived via B's program", func() error {
				_, err := models.SetRewardArchived(b.db, testActor, bp.ID, c.reward.ID, true)
				return err
			}},
			{"SaveEarningRule new", func() error {
				_, err := models.SaveEarningRule(b.db, testActor, pid, 0, models.EarningRuleInput{Kind: "referral", Points: "5"})
				return err
			}},
			{"SaveEarningRule update", func() error {
				_, err := models.SaveEarningRule(b.db, testActor, pid, c.rule.ID, models.EarningRuleInput{Points: "500"})
				return err
			}},
			{"SaveEarningRule update via B's program", func() error {
				_, err := models.SaveEarningRule(b.db, testActor, bp.ID, c.rule.ID, models.EarningRuleInput{Points: "500"})
				return err
			}},
			{"DeleteEarningRule", func() error { return models.DeleteEarningRule(b.db, testActor, pid, c.rule.ID) }},
			{"DeleteEarningRule via B's program", func() error { return models.DeleteEarningRule(b.db, testActor, bp.ID, c.rule.ID) }},
			{"SaveCampaign new", func() error {
				_, err := models.SaveCampaign(b.db, testActor, pid, 0, campaignInput("Planted"), campaignNow)
				return err
			}},
			{"SaveCampaign update", func() error {
				_, err := models.SaveCampaign(b.db, testActor, pid, c.campaign.ID, campaignInput("Renamed"), campaignNow)
				return err
			}},
			{"SaveCampaign update via B's program", func() error {
				_, err := models.SaveCampaign(b.db, testActor, bp.ID, c.campaign.ID, campaignInput("Renamed"), campaignNow)
				return err
			}},
			{"DeleteCampaign", func() error { return models.DeleteCampaign(b.db, testActor, pid, c.campaign.ID) }},
			{"DeleteCampaign via B's program", func() error { return models.DeleteCampaign(b.db, testActor, bp.ID, c.campaign.ID) }},
		}
		for _, w := range notFound {
			if err := w.run(); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("%s of A's row in B's scope: err = %v, want not found", w.name, err)
			}
		}

		// B's own rows cannot point at A's.
		fieldErrs := []struct {
			name, field string
			run         func() error
		}{
			{"reward with A's tier as minimum", "min_tier_id", func() error {
				in := rewardInput("Cookie")
				in.MinTierID = itoa(c.tier.ID)
				_, err := models.SaveReward(b.db, testActor, bp.ID, 0, in)
				return err
			}},
			{"campaign limited to A's tier", "tier_ids", func() error {
				in := campaignInput("Double")
				in.TierIDs = []string{itoa(c.tier.ID)}
				_, err := models.SaveCampaign(b.db, testActor, bp.ID, 0, in, campaignNow)
				return err
			}},
			{"stamp card giving A's reward", "card_reward_id", func() error {
				in := bStamps.FormInput(b.m.Currency)
				in.CardRewardID = itoa(c.card.ID)
				_, err := models.UpdateProgram(b.db, testActor, bStamps.ID, in)
				return err
			}},
		}
		for _, w := range fieldErrs {
			err := w.run()
			if models.ErrorCode(err) != models.EINVALID || models.FieldErrors(err)[w.field] == "" {
				t.Errorf("%s: err = %v, want a %s field error", w.name, err, w.field)
			}
		}

		// Past the model, the composite foreign keys refuse a row of B
		// under A's program or naming A's tier.
		if err := b.db.Create(&models.Tier{ProgramID: pid, Name: "Planted", Color: "#000000", Position: 9, EarnMultiplierMilli: 1000}).Error; err == nil {
			t.Error("B created a tier under A's program")
		}
		tierID := c.tier.ID
		if err := b.db.Create(&models.Reward{ProgramID: bp.ID, Name: "Planted", Type: models.RewardFreeItem, Cost: 1, MinTierID: &tierID}).Error; err == nil {
			t.Error("B created a reward requiring A's tier")
		}
		if err := b.db.Create(&models.Campaign{ProgramID: pid, Name: "Planted", StartsOn: "2026-01-01", EndsOn: "2026-01-02", MultiplierMilli: 2000}).Error; err == nil {
			t.Error("B created a campaign under A's program")
		}
		if err := b.db.Create(&models.EarningRule{ProgramID: pid, Kind: models.RuleAction, Name: "Planted", Points: 1, Cap: models.CapOnce}).Error; err == nil {
			t.Error("B created an earning rule under A's program")
		}

		wantNoWrites(t, db, before)
		for i, row := range snapshot() {
			wantSameRow(t, row, aBefore[i])
		}
		if got := auditLog(t, a.db, models.AuditFilter{}); len(got) != 7 {
			t.Errorf("A's log has %d entries, want the 7 of its own set-up", len(got))
		}
	})
}
