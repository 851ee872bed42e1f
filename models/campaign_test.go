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

func TestSaveCampaign(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@campaigns.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		ts := ladder(t, s.db, p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 100, 500})

		before := countConfig(t, db)
		in := models.CampaignInput{
			Name: " Weekend double ", StartsOn: " 2026-11-01 ", EndsOn: "2026-11-30", Multiplier: "2", BonusPoints: "5", MinPurchase: "10",
			Weekdays: []string{"6", "0", "6"}, TierIDs: []string{itoa(ts[2].ID), itoa(ts[1].ID), itoa(ts[2].ID)},
		}
		c, err := models.SaveCampaign(s.db, testActor, p.ID, 0, in, campaignNow)
		if err != nil {
			t.Fatal(err)
		}
		stored := reload[models.Campaign](t, db, c.ID)
		wantTiers := []int64{ts[1].ID, ts[2].ID}
		if stored.MerchantID != s.m.ID || stored.ProgramID != p.ID || stored.Name != "Weekend double" || stored.StartsOn != "2026-11-01" ||
			stored.EndsOn != "2026-11-30" || stored.MultiplierMilli != 2000 || stored.BonusPoints != 5 || stored.MinPurchaseMinor != 1000 ||
			stored.Weekdays != 1<<time.Saturday|1<<time.Sunday {
			t.Errorf("stored campaign = %+v", stored)
		}
		if got := stored.TierIDList(); !slices.Equal(sortedIDs(got...), wantTiers) || len(got) != 2 {
			t.Errorf("tiers = %v, want %v once each", got, wantTiers)
		}
		wantWrites(t, db, before, map[string]int64{"campaigns": 1, "audit_entries": 1})
		wantAudit(t, lastAudit(t, s.db), models.AuditCreate, "campaign", c.ID)

		f := stored.FormInput(s.m.Currency)
		if f.Multiplier != "2" || f.MinPurchase != "10.00" || !slices.Equal(f.Weekdays, []string{"0", "6"}) || len(f.TierIDs) != 2 {
			t.Errorf("form = %+v", f)
		}
		if _, err := models.SaveCampaign(s.db, testActor, p.ID, c.ID, f, campaignNow); err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditUpdate, "campaign", c.ID)
		if got := changed(e); len(got) != 0 {
			t.Errorf("saving its own form changed %v", got)
		}

		// A bonus alone, on a single day, for everyone.
		one := createCampaign(t, s.db, p.ID, models.CampaignInput{Name: "Opening day", StartsOn: "2026-12-24", EndsOn: "2026-12-24", Multiplier: "1", BonusPoints: "100"})
		if one.MultiplierMilli != 1000 || one.BonusPoints != 100 || one.Weekdays != 0 || one.TierIDs != "" {
			t.Errorf("opening day = %+v", one)
		}
		noMultiplier := createCampaign(t, s.db, p.ID, models.CampaignInput{Name: "Bonus only", StartsOn: "2026-12-24", EndsOn: "2026-12-24", BonusPoints: "1"})
		if noMultiplier.MultiplierMilli != 1000 {
			t.Errorf("empty multiplier = %d, want 1000", noMultiplier.MultiplierMilli)
		}
		list, err := models.ListCampaigns(s.db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[2].ID != c.ID {
			t.Errorf("campaigns = %v, want the latest first", list)
		}
	})
}

func TestCampaignValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@campaign-validation.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		base := createTier(t, s.db, p.ID, tierInput("Bronze", 1, 0))
		tea := createProgram(t, s.db, pointsInput("Tea"))
		teaTier := createTier(t, s.db, tea.ID, tierInput("Tea base", 1, 0))
		elsewhere := newShop(t, db, "owner@campaign-elsewhere.example.com")
		ep := createProgram(t, elsewhere.db, pointsInput("Coffee"))
		foreignTier := createTier(t, elsewhere.db, ep.ID, tierInput("Foreign base", 1, 0))
		createCampaign(t, s.db, p.ID, campaignInput("Summer"))

		with := func(f func(in *models.CampaignInput)) models.CampaignInput {
			in := campaignInput("New campaign")
			f(&in)
			return in
		}
		cases := []struct {
			name  string
			in    models.CampaignInput
			field string
		}{
			{"no name", with(func(in *models.CampaignInput) { in.Name = "" }), "name"},
			{"name of 81 characters", with(func(in *models.CampaignInput) { in.Name = strings.Repeat("c", 81) }), "name"},
			{"taken name", with(func(in *models.CampaignInput) { in.Name = " SUMMER " }), "name"},
			{"no start", with(func(in *models.CampaignInput) { in.StartsOn = "" }), "starts_on"},
			{"bad start", with(func(in *models.CampaignInput) { in.StartsOn = "2026-13-01" }), "starts_on"},
			{"no end", with(func(in *models.CampaignInput) { in.EndsOn = "" }), "ends_on"},
			{"bad end", with(func(in *models.CampaignInput) { in.EndsOn = "31.12.2026" }), "ends_on"},
			{"end before start", with(func(in *models.CampaignInput) { in.StartsOn, in.EndsOn = "2026-12-02", "2026-12-01" }), "ends_on"},
			{"multiplier 1 without bonus", with(func(in *models.CampaignInput) { in.Multiplier = "1" }), "multiplier"},
			{"no multiplier and no bonus", with(func(in *models.CampaignInput) { in.Multiplier, in.BonusPoints = "", "0" }), "multiplier"},
			{"multiplier below 1", with(func(in *models.CampaignInput) { in.Multiplier, in.BonusPoints = "0.5", "5" }), "multiplier"},
			{"multiplier above 10", with(func(in *models.CampaignInput) { in.Multiplier = "10.5" }), "multiplier"},
			{"negative bonus", with(func(in *models.CampaignInput) { in.BonusPoints = "-1" }), "bonus_points"},
			{"fractional bonus", with(func(in *models.CampaignInput) { in.BonusPoints = "1.5" }), "bonus_points"},
			{"bad minimum", with(func(in *models.CampaignInput) { in.MinPurchase = "1.001" }), "min_purchase"},
			{"weekday 7", with(func(in *models.CampaignInput) { in.Weekdays = []string{"1", "7"} }), "weekdays"},
			{"weekday -1", with(func(in *models.CampaignInput) { in.Weekdays = []string{"-1"} }), "weekdays"},
			{"weekday by name", with(func(in *models.CampaignInput) { in.Weekdays = []string{"monday"} }), "weekdays"},
			{"tier of another program", with(func(in *models.CampaignInput) { in.TierIDs = []string{itoa(base.ID), itoa(teaTier.ID)} }), "tier_ids"},
			{"tier of another merchant", with(func(in *models.CampaignInput) { in.TierIDs = []string{itoa(foreignTier.ID)} }), "tier_ids"},
			{"tier that does not exist", with(func(in *models.CampaignInput) { in.TierIDs = []string{"987654"} }), "tier_ids"},
			{"tier not a number", with(func(in *models.CampaignInput) { in.TierIDs = []string{"gold"} }), "tier_ids"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := countConfig(t, db)
				got, err := models.SaveCampaign(s.db, testActor, p.ID, 0, c.in, campaignNow)
				if got != nil && err != nil {
					t.Errorf("SaveCampaign returned %+v with an error", got)
				}
				wantField(t, err, c.field)
				wantNoWrites(t, db, before)
			})
		}
		// The same name is free in another program.
		createCampaign(t, s.db, tea.ID, campaignInput("Summer"))
	})
}

func TestUpdateAndDeleteCampaign(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@campaign-update.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		c := createCampaign(t, s.db, p.ID, campaignInput("Summer"))
		createCampaign(t, s.db, p.ID, campaignInput("Winter"))

		stored := reload[models.Campaign](t, db, c.ID)
		before := countConfig(t, db)
		_, err := models.SaveCampaign(s.db, testActor, p.ID, c.ID, campaignInput("winter"), campaignNow)
		wantField(t, err, "name")
		bad := campaignInput("Summer")
		bad.EndsOn = "2025-12-31"
		_, err = models.SaveCampaign(s.db, testActor, p.ID, c.ID, bad, campaignNow)
		wantField(t, err, "ends_on")
		wantNoWrites(t, db, before)
		wantSameRow(t, reload[models.Campaign](t, db, c.ID), stored)

		in := campaignInput("SUMMER")
		in.Multiplier = "1.5"
		updated, err := models.SaveCampaign(s.db, testActor, p.ID, c.ID, in, campaignNow)
		if err != nil {
			t.Fatal(err)
		}
		if updated.MultiplierMilli != 1500 || updated.Name != "SUMMER" {
			t.Errorf("updated = %+v", updated)
		}
		if got := strings.Join(changed(lastAudit(t, s.db)), ","); got != "MultiplierMilli,Name" {
			t.Errorf("changes = %s", got)
		}

		tea := createProgram(t, s.db, pointsInput("Tea"))
		before = countConfig(t, db)
		_, err = models.GetCampaign(s.db, tea.ID, c.ID)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.SaveCampaign(s.db, testActor, tea.ID, c.ID, in, campaignNow)
		wantCode(t, err, models.ENOTFOUND)
		wantCode(t, models.DeleteCampaign(s.db, testActor, tea.ID, c.ID), models.ENOTFOUND)
		_, err = models.SaveCampaign(s.db, testActor, p.ID+tea.ID+1000, 0, campaignInput("Ghost"), campaignNow)
		wantCode(t, err, models.ENOTFOUND)
		wantNoWrites(t, db, before)

		before = countConfig(t, db)
		if err := models.DeleteCampaign(s.db, testActor, p.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		wantWrites(t, db, before, map[string]int64{"campaigns": -1, "audit_entries": 1})
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditDelete, "campaign", c.ID)
		if e.AfterJSON != "" || !strings.Contains(e.BeforeJSON, `"MultiplierMilli":1500`) {
			t.Errorf("delete audit before %q, after %q", e.BeforeJSON, e.AfterJSON)
		}
	})
}

func TestCampaignDaysAndTiers(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	weekend := models.Campaign{StartsOn: "2026-11-01", EndsOn: "2026-11-30", Weekdays: 1<<time.Saturday | 1<<time.Sunday}
	everyDay := models.Campaign{StartsOn: "2026-11-01", EndsOn: "2026-11-30"}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if want := d == time.Saturday || d == time.Sunday; weekend.OnWeekday(d) != want {
			t.Errorf("weekend campaign OnWeekday(%s) = %v, want %v", d, !want, want)
		}
		if !everyDay.OnWeekday(d) {
			t.Errorf("campaign with no days OnWeekday(%s) = false, want every day", d)
		}
	}

	runs := []struct {
		name string
		c    models.Campaign
		at   time.Time
		want bool
	}{
		{"first local moment", everyDay, time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), true}, // Nov 1 00:00 Paris
		{"before the first day", everyDay, time.Date(2026, 10, 31, 22, 59, 0, 0, time.UTC), false},
		{"last local moment", everyDay, time.Date(2026, 11, 30, 22, 59, 59, 0, time.UTC), true},
		{"after the last day", everyDay, time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), false},
		{"Saturday in Paris", weekend, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), true},
		{"Friday 23:30 UTC is Saturday in Paris", weekend, time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC), true},
		{"Sunday 23:30 UTC is Monday in Paris", weekend, time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), false},
		{"Monday", weekend, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), false},
	}
	for _, c := range runs {
		if got := c.c.RunsOn(c.at, paris); got != c.want {
			t.Errorf("%s: RunsOn(%s in Paris) = %v, want %v", c.name, c.at.In(paris), got, c.want)
		}
	}

	limited := models.Campaign{TierIDs: "12,7"}
	for _, c := range []struct {
		tier int64
		want bool
	}{{12, true}, {7, true}, {1, false}, {0, false}} {
		if got := limited.AppliesToTier(c.tier); got != c.want {
			t.Errorf("campaign for tiers 12,7: AppliesToTier(%d) = %v, want %v", c.tier, got, c.want)
		}
		if !everyDay.AppliesToTier(c.tier) {
			t.Errorf("campaign for every tier: AppliesToTier(%d) = false", c.tier)
		}
	}
	if got := limited.TierIDList(); !slices.Equal(got, []int64{12, 7}) {
		t.Errorf("TierIDList = %v", got)
	}
	if got := everyDay.TierIDList(); len(got) != 0 {
		t.Errorf("TierIDList of no tiers = %v, want none", got)
	}
}

func TestCampaignsRunningOn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@running.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		tea := createProgram(t, s.db, pointsInput("Tea"))
		at := func(name, from, to string) {
			in := campaignInput(name)
			in.StartsOn, in.EndsOn = from, to
			createCampaign(t, s.db, p.ID, in)
		}
		at("Ends the 23rd", "2026-11-01", "2026-11-23")
		at("The 24th", "2026-11-24", "2026-11-24")
		at("Starts the 24th", "2026-11-24", "2026-12-31")
		at("Monday only", "2026-11-01", "2026-11-30") // days are the calculator's job
		teaIn := campaignInput("Tea week")
		teaIn.StartsOn, teaIn.EndsOn = "2026-11-01", "2026-11-30"
		createCampaign(t, s.db, tea.ID, teaIn)
		other := newShop(t, db, "owner@running-b.example.com")
		op := createProgram(t, other.db, pointsInput("Coffee"))
		createCampaign(t, other.db, op.ID, campaignInput("Other merchant"))

		names := func(moment time.Time, loc *time.Location) string {
			cs, err := models.CampaignsRunningOn(s.db, p.ID, moment, loc)
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, c := range cs {
				ns = append(ns, c.Name)
			}
			slices.Sort(ns)
			return strings.Join(ns, ",")
		}
		moment := time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)
		if got := names(moment, time.UTC); got != "Ends the 23rd,Monday only" {
			t.Errorf("on the 23rd in UTC: %s", got)
		}
		if got := names(moment, mustZone(t, "Europe/Paris")); got != "Monday only,Starts the 24th,The 24th" {
			t.Errorf("on the 24th in Paris: %s", got)
		}
		if got := names(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC), mustZone(t, "America/Los_Angeles")); got != "Ends the 23rd,Monday only" {
			t.Errorf("on the 23rd in Los Angeles: %s", got)
		}
		if got := names(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC); got != "" {
			t.Errorf("in 2027: %s, want none", got)
		}
	})
}

// A campaign over before it is saved boosts nothing: its end date is
// refused at creation, and when an edit moves it into the past; an ended
// campaign may still be renamed. Today is the business's date, not UTC's.
func TestCampaignEndInThePast(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@campaign-past.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		// 23:30 UTC on 1 June is already 2 June in Tokyo.
		if _, err := models.UpdateMerchant(s.db, testActor, models.MerchantInput{Name: s.m.Name, Currency: s.m.Currency, TimeZone: "Asia/Tokyo"}); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 6, 1, 23, 30, 0, 0, time.UTC)
		in := models.CampaignInput{Name: "Spring", StartsOn: "2026-05-01", EndsOn: "2026-06-01", Multiplier: "2"}

		before := countConfig(t, db)
		_, err := models.SaveCampaign(s.db, testActor, p.ID, 0, in, now)
		wantFieldMessage(t, err, "ends_on", "in the past")
		wantNoWrites(t, db, before)

		in.EndsOn = "2026-06-02" // today in Tokyo is still on
		c, err := models.SaveCampaign(s.db, testActor, p.ID, 0, in, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Status("2026-06-02"); got != models.CampaignRunning {
			t.Errorf("status on its last day = %q, want running", got)
		}

		later := now.AddDate(0, 1, 0)
		in.Name = "Spring again"
		renamed, err := models.SaveCampaign(s.db, testActor, p.ID, c.ID, in, later)
		if err != nil {
			t.Fatalf("renaming an ended campaign: %v", err)
		}
		if got := renamed.Status(later.Format("2006-01-02")); got != models.CampaignEnded {
			t.Errorf("status after its end = %q, want ended", got)
		}
		stored := reload[models.Campaign](t, db, c.ID)
		in.EndsOn = "2026-06-30" // still before the later today
		before = countConfig(t, db)
		_, err = models.SaveCampaign(s.db, testActor, p.ID, c.ID, in, later)
		wantFieldMessage(t, err, "ends_on", "in the past")
		wantNoWrites(t, db, before)
		wantSameRow(t, reload[models.Campaign](t, db, c.ID), stored)

		future := models.Campaign{StartsOn: "2026-07-01", EndsOn: "2026-07-31"}
		if got := future.Status("2026-06-30"); got != models.CampaignUpcoming {
			t.Errorf("status before its start = %q, want upcoming", got)
		}
	})
}
