package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestSaveReward(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@rewards.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		ts := ladder(t, s.db, p.ID, []string{"Bronze", "Gold"}, []int{0, 500})

		before := countConfig(t, db)
		in := models.RewardInput{
			Name: " Free latte ", Description: " Any size ", Type: "free_item", Cost: "150", Value: "4.50",
			MinTierID: itoa(ts[1].ID), Stock: "20", PerMemberLimit: "2", ActiveFrom: "2026-12-01", ActiveTo: "2026-12-24", Position: "3",
		}
		r, err := models.SaveReward(s.db, testActor, p.ID, 0, in)
		if err != nil {
			t.Fatal(err)
		}
		stored := reload[models.Reward](t, db, r.ID)
		if stored.MerchantID != s.m.ID || stored.ProgramID != p.ID || stored.Name != "Free latte" || stored.Description != "Any size" ||
			stored.Type != models.RewardFreeItem || stored.Cost != 150 || stored.ValueMinor != 450 || stored.PercentBasisPoints != 0 ||
			stored.MinTierID == nil || *stored.MinTierID != ts[1].ID || stored.Stock == nil || *stored.Stock != 20 ||
			stored.PerMemberLimit == nil || *stored.PerMemberLimit != 2 || stored.ActiveFrom == nil || *stored.ActiveFrom != "2026-12-01" ||
			stored.ActiveTo == nil || *stored.ActiveTo != "2026-12-24" || stored.Archived || stored.Position != 3 {
			t.Errorf("stored reward = %+v", stored)
		}
		wantWrites(t, db, before, map[string]int64{"rewards": 1, "audit_entries": 1})
		wantAudit(t, lastAudit(t, s.db), models.AuditCreate, "reward", r.ID)

		// Its own form saves unchanged; "0" and empty mean none.
		if _, err := models.SaveReward(s.db, testActor, p.ID, r.ID, stored.FormInput(s.m.Currency)); err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditUpdate, "reward", r.ID)
		if got := changed(e); len(got) != 0 {
			t.Errorf("saving its own form changed %v", got)
		}
		in.MinTierID, in.Stock, in.PerMemberLimit, in.ActiveFrom, in.ActiveTo = "0", "", "", "", ""
		open, err := models.SaveReward(s.db, testActor, p.ID, r.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if open.MinTierID != nil || open.Stock != nil || open.PerMemberLimit != nil || open.ActiveFrom != nil || open.ActiveTo != nil {
			t.Errorf("reward without limits = %+v", open)
		}
		if got := strings.Join(changed(lastAudit(t, s.db)), ","); got != "ActiveFrom,ActiveTo,MinTierID,PerMemberLimit,Stock" {
			t.Errorf("changes = %s", got)
		}

		pct := createReward(t, s.db, p.ID, models.RewardInput{Name: "Ten off", Type: "percent_off", Cost: "300", Percent: "12.5", Value: "99"})
		if pct.PercentBasisPoints != 1250 || pct.ValueMinor != 0 {
			t.Errorf("percent reward = %+v, want 1250 bp and no value", pct)
		}
		credit := createReward(t, s.db, p.ID, models.RewardInput{Name: "Credit", Type: "store_credit", Cost: "500", Value: "5", Percent: "50"})
		if credit.ValueMinor != 500 || credit.PercentBasisPoints != 0 {
			t.Errorf("credit reward = %+v, want 500 minor and no percent", credit)
		}
		list, err := models.ListRewards(s.db, p.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].Name != "Ten off" || list[1].Name != "Credit" || list[2].Name != "Free latte" {
			t.Errorf("catalog order = %v, want position then cost", list)
		}
	})
}

func TestRewardValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@reward-validation.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		other := createProgram(t, s.db, pointsInput("Tea"))
		otherTier := createTier(t, s.db, other.ID, tierInput("Tea base", 1, 0))
		elsewhere := newShop(t, db, "owner@reward-elsewhere.example.com")
		ep := createProgram(t, elsewhere.db, pointsInput("Coffee"))
		foreignTier := createTier(t, elsewhere.db, ep.ID, tierInput("Foreign base", 1, 0))
		createReward(t, s.db, p.ID, rewardInput("Taken"))

		with := func(f func(in *models.RewardInput)) models.RewardInput {
			in := rewardInput("New reward")
			f(&in)
			return in
		}
		cases := []struct {
			name  string
			in    models.RewardInput
			field string
		}{
			{"no name", with(func(in *models.RewardInput) { in.Name = " " }), "name"},
			{"name of 81 characters", with(func(in *models.RewardInput) { in.Name = strings.Repeat("r", 81) }), "name"},
			{"description of 1001 characters", with(func(in *models.RewardInput) { in.Description = strings.Repeat("d", 1001) }), "description"},
			{"unknown type", with(func(in *models.RewardInput) { in.Type = "hug" }), "type"},
			{"cost 0", with(func(in *models.RewardInput) { in.Cost = "0" }), "cost"},
			{"no cost", with(func(in *models.RewardInput) { in.Cost = "" }), "cost"},
			{"cost not whole", with(func(in *models.RewardInput) { in.Cost = "1.5" }), "cost"},
			{"percent off of 0", with(func(in *models.RewardInput) { in.Type, in.Percent = "percent_off", "0" }), "percent"},
			{"percent off without percent", with(func(in *models.RewardInput) { in.Type = "percent_off" }), "percent"},
			{"percent off above 100", with(func(in *models.RewardInput) { in.Type, in.Percent = "percent_off", "100.01" }), "percent"},
			{"amount off of 0", with(func(in *models.RewardInput) { in.Type, in.Value = "amount_off", "0" }), "value"},
			{"amount off without value", with(func(in *models.RewardInput) { in.Type = "amount_off" }), "value"},
			{"store credit of 0", with(func(in *models.RewardInput) { in.Type, in.Value = "store_credit", "0.00" }), "value"},
			{"store credit negative", with(func(in *models.RewardInput) { in.Type, in.Value = "store_credit", "-5" }), "value"},
			{"value with three decimals", with(func(in *models.RewardInput) { in.Value = "1.005" }), "value"},
			{"negative stock", with(func(in *models.RewardInput) { in.Stock = "-1" }), "stock"},
			{"per-member limit 0", with(func(in *models.RewardInput) { in.PerMemberLimit = "0" }), "per_member_limit"},
			{"bad start date", with(func(in *models.RewardInput) { in.ActiveFrom = "24/12/2026" }), "active_from"},
			{"impossible end date", with(func(in *models.RewardInput) { in.ActiveTo = "2026-02-30" }), "active_to"},
			{"end before start", with(func(in *models.RewardInput) { in.ActiveFrom, in.ActiveTo = "2026-12-24", "2026-12-23" }), "active_to"},
			{"position above 10000", with(func(in *models.RewardInput) { in.Position = "10001" }), "position"},
			{"min tier of another program", with(func(in *models.RewardInput) { in.MinTierID = itoa(otherTier.ID) }), "min_tier_id"},
			{"min tier of another merchant", with(func(in *models.RewardInput) { in.MinTierID = itoa(foreignTier.ID) }), "min_tier_id"},
			{"min tier that does not exist", with(func(in *models.RewardInput) { in.MinTierID = "987654" }), "min_tier_id"},
			{"min tier not a number", with(func(in *models.RewardInput) { in.MinTierID = "gold" }), "min_tier_id"},
			{"taken name", with(func(in *models.RewardInput) { in.Name = " tAKEN " }), "name"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := countConfig(t, db)
				r, err := models.SaveReward(s.db, testActor, p.ID, 0, c.in)
				if r != nil {
					t.Errorf("SaveReward returned %+v with an error", r)
				}
				wantField(t, err, c.field)
				wantNoWrites(t, db, before)
			})
		}
		// Boundaries that pass.
		for _, in := range []models.RewardInput{
			with(func(in *models.RewardInput) { in.Name, in.Type, in.Percent = "Half", "percent_off", "100" }),
			with(func(in *models.RewardInput) {
				in.Name, in.ActiveFrom, in.ActiveTo = "One day", "2026-12-24", "2026-12-24"
			}),
			with(func(in *models.RewardInput) { in.Name, in.Stock, in.Type = "Sold out", "0", "service" }),
		} {
			createReward(t, s.db, p.ID, in)
		}
	})
}

func TestRewardArchive(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@archive.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		old := createReward(t, s.db, p.ID, rewardInput("Cookie"))

		archived, err := models.SetRewardArchived(s.db, testActor, p.ID, old.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if !archived.Archived || !reload[models.Reward](t, db, old.ID).Archived {
			t.Error("reward not archived")
		}
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditArchive, "reward", old.ID)
		if c := change(t, e, "Archived"); c.Before != "false" || c.After != "true" {
			t.Errorf("archive change = %+v", c)
		}
		// Archiving again changes nothing and logs nothing.
		before := countConfig(t, db)
		if _, err := models.SetRewardArchived(s.db, testActor, p.ID, old.ID, true); err != nil {
			t.Fatal(err)
		}
		wantNoWrites(t, db, before)

		if list, _ := models.ListRewards(s.db, p.ID, false); len(list) != 0 {
			t.Errorf("catalog = %v, want the archived reward left out", list)
		}
		if list, _ := models.ListRewards(s.db, p.ID, true); len(list) != 1 {
			t.Errorf("catalog with archived = %v, want it", list)
		}

		// An archived reward's name is free again, in any case.
		fresh := createReward(t, s.db, p.ID, rewardInput("COOKIE"))
		// An archived reward can still be edited under its taken name.
		oldIn := reload[models.Reward](t, db, old.ID)
		in := oldIn.FormInput(s.m.Currency)
		in.Cost = "120"
		if _, err := models.SaveReward(s.db, testActor, p.ID, old.ID, in); err != nil {
			t.Errorf("edit archived Cookie while COOKIE is active: %v", err)
		}

		before = countConfig(t, db)
		_, err = models.SetRewardArchived(s.db, testActor, p.ID, old.ID, false)
		wantCode(t, err, models.ECONFLICT)
		wantNoWrites(t, db, before)
		if !reload[models.Reward](t, db, old.ID).Archived {
			t.Error("refused restore un-archived the reward")
		}

		// Renamed, it comes back.
		in.Name = "Old cookie"
		if _, err := models.SaveReward(s.db, testActor, p.ID, old.ID, in); err != nil {
			t.Fatal(err)
		}
		restored, err := models.SetRewardArchived(s.db, testActor, p.ID, old.ID, false)
		if err != nil || restored.Archived {
			t.Fatalf("restore = %+v, %v", restored, err)
		}
		e = lastAudit(t, s.db)
		wantAudit(t, e, models.AuditUpdate, "reward", old.ID)
		if !strings.Contains(e.Summary, "Restored") {
			t.Errorf("summary = %q, want Restored", e.Summary)
		}
		if fresh.ID == old.ID {
			t.Error("the new Cookie reused the archived one")
		}
	})
}

func TestCardRewardCannotBeArchived(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@card.example.com")
		p := createProgram(t, s.db, stampsInput("Stamp card"))
		free := createReward(t, s.db, p.ID, rewardInput("Free coffee"))
		in := p.FormInput(s.m.Currency)
		in.CardRewardID = itoa(free.ID)
		if _, err := models.UpdateProgram(s.db, testActor, p.ID, in); err != nil {
			t.Fatal(err)
		}
		before := countConfig(t, db)
		_, err := models.SetRewardArchived(s.db, testActor, p.ID, free.ID, true)
		wantCode(t, err, models.ECONFLICT)
		if msg := models.ErrorMessage(err); !strings.Contains(msg, "Free coffee") || !strings.Contains(msg, "Stamp card") {
			t.Errorf("message = %q, want the reward and program named", msg)
		}
		wantNoWrites(t, db, before)
		if reload[models.Reward](t, db, free.ID).Archived {
			t.Error("the card reward was archived")
		}
		// Once the card gives something else, it can go.
		other := createReward(t, s.db, p.ID, rewardInput("Free cake"))
		in.CardRewardID = itoa(other.ID)
		if _, err := models.UpdateProgram(s.db, testActor, p.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := models.SetRewardArchived(s.db, testActor, p.ID, free.ID, true); err != nil {
			t.Errorf("archive a former card reward: %v", err)
		}
	})
}

func TestRewardsBelongToTheirProgram(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@reward-programs.example.com")
		coffee := createProgram(t, s.db, pointsInput("Coffee"))
		tea := createProgram(t, s.db, pointsInput("Tea"))
		r := createReward(t, s.db, coffee.ID, rewardInput("Cookie"))
		createReward(t, s.db, tea.ID, rewardInput("Cookie")) // names are per program

		before := countConfig(t, db)
		_, err := models.GetReward(s.db, tea.ID, r.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.SaveReward(s.db, testActor, tea.ID, r.ID, rewardInput("Moved"))
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.SetRewardArchived(s.db, testActor, tea.ID, r.ID, true)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.SaveReward(s.db, testActor, coffee.ID+tea.ID+1000, 0, rewardInput("Ghost"))
		wantCode(t, err, models.ENOTFOUND)
		wantNoWrites(t, db, before)
	})
}

func TestRewardActiveOn(t *testing.T) {
	t.Parallel()
	from, to := "2026-12-01", "2026-12-24"
	cases := []struct {
		name     string
		r        models.Reward
		date     string
		expected bool
	}{
		{"no dates", models.Reward{}, "2026-01-01", true},
		{"day before the start", models.Reward{ActiveFrom: &from, ActiveTo: &to}, "2026-11-30", false},
		{"the start date", models.Reward{ActiveFrom: &from, ActiveTo: &to}, "2026-12-01", true},
		{"between", models.Reward{ActiveFrom: &from, ActiveTo: &to}, "2026-12-10", true},
		{"the end date", models.Reward{ActiveFrom: &from, ActiveTo: &to}, "2026-12-24", true},
		{"day after the end", models.Reward{ActiveFrom: &from, ActiveTo: &to}, "2026-12-25", false},
		{"only a start, long after", models.Reward{ActiveFrom: &from}, "2030-06-01", true},
		{"only an end, long before", models.Reward{ActiveTo: &to}, "2020-06-01", true},
		{"only an end, after it", models.Reward{ActiveTo: &to}, "2027-01-01", false},
		{"archived within its dates", models.Reward{ActiveFrom: &from, ActiveTo: &to, Archived: true}, "2026-12-10", false},
		{"archived without dates", models.Reward{Archived: true}, "2026-12-10", false},
	}
	for _, c := range cases {
		if got := c.r.ActiveOn(c.date); got != c.expected {
			t.Errorf("%s: ActiveOn(%s) = %v, want %v", c.name, c.date, got, c.expected)
		}
	}
}

// inFlight runs fn inside a transaction that holds the program's row lock,
// as SaveReward and UpdateProgram do while they check and write, and
// starts during it a second change. It reports whether that change
// finished before the first committed: a change that takes the same lock
// cannot.
func inFlight(t *testing.T, sdb *gorm.DB, programID int64, fn func(tx *gorm.DB) error, second func() error) (secondErr error, early bool) {
	t.Helper()
	tx := sdb.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&models.Program{}, programID).Error; err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second() }()
	select {
	case secondErr = <-done:
		early = true
	case <-time.After(500 * time.Millisecond):
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if !early {
		secondErr = <-done
	}
	return secondErr, early
}

// Restoring an archived reward while a new reward of the same name is being
// saved must not leave two active rewards of that name. SetRewardArchived
// checks names without the program lock SaveReward holds, so on
// PostgreSQL it does not wait for the save and both commit.
func TestRestoreRewardRacesNewRewardOfSameName(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@restore-race.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		old := createReward(t, s.db, p.ID, rewardInput("Cookie"))
		if _, err := models.SetRewardArchived(s.db, testActor, p.ID, old.ID, true); err != nil {
			t.Fatal(err)
		}
		err, early := inFlight(t, s.db, p.ID, func(tx *gorm.DB) error {
			return tx.Create(&models.Reward{ProgramID: p.ID, Name: "Cookie", Type: models.RewardFreeItem, Cost: 100}).Error
		}, func() error {
			_, err := models.SetRewardArchived(s.db, testActor, p.ID, old.ID, false)
			return err
		})
		var active int64
		s.db.Model(&models.Reward{}).Where("program_id = ? AND lower(name) = 'cookie' AND archived = ?", p.ID, false).Count(&active)
		if active != 1 {
			t.Errorf("%d active rewards named Cookie (restore err %v, finished before the save committed: %v); want 1 and the restore refused",
				active, err, early)
		}
	})
}

// Archiving a reward while a stamps program is being given it as its card
// reward must not leave the card giving an archived reward.
func TestArchiveRewardRacesCardRewardChoice(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@card-race.example.com")
		p := createProgram(t, s.db, stampsInput("Stamp card"))
		r := createReward(t, s.db, p.ID, rewardInput("Free coffee"))
		err, early := inFlight(t, s.db, p.ID, func(tx *gorm.DB) error {
			return tx.Model(&models.Program{ID: p.ID}).Update("card_reward_id", r.ID).Error
		}, func() error {
			_, err := models.SetRewardArchived(s.db, testActor, p.ID, r.ID, true)
			return err
		})
		stored := reload[models.Program](t, db, p.ID)
		if stored.CardRewardID != nil && *stored.CardRewardID == r.ID && reload[models.Reward](t, db, r.ID).Archived {
			t.Errorf("the card gives an archived reward (archive err %v, finished before the card change committed: %v)", err, early)
		}
	})
}
