package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestCreateProgram(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@programs.example.com")
		before := countConfig(t, db)
		in := pointsInput("  Coffee points  ")
		in.EarnRate, in.MinPurchase, in.SignUpBonus, in.PointValue = "2,25", "5", "50", "0.01"
		p, err := models.CreateProgram(s.db, testActor, in)
		if err != nil {
			t.Fatal(err)
		}
		stored := reload[models.Program](t, db, p.ID)
		if stored.MerchantID != s.m.ID || stored.Name != "Coffee points" || stored.Type != models.ProgramPoints ||
			stored.UnitLabel != "points" || stored.Status != models.StatusActive || stored.EarnRateHundredths != 225 ||
			stored.MinPurchaseMinor != 500 || stored.SignUpBonus != 50 || stored.PointValueMilli != 1000 ||
			stored.StampsPerCard != 0 || stored.CashbackBasisPoints != 0 || stored.CardRewardID != nil {
			t.Errorf("stored program = %+v", stored)
		}
		if stored.ExpiryPolicy != models.ExpireNever || stored.TierMetric != models.MetricPointsEarned ||
			stored.TierWindow != models.WindowLifetime || stored.DowngradePolicy != models.DowngradeNever {
			t.Errorf("defaults = %s, %s, %s, %s; want never, points_earned, lifetime, never",
				stored.ExpiryPolicy, stored.TierMetric, stored.TierWindow, stored.DowngradePolicy)
		}
		if !stored.TakesActivity() {
			t.Error("an active program takes no activity")
		}
		wantWrites(t, db, before, map[string]int64{"programs": 1, "audit_entries": 1})

		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditCreate, "program", p.ID)
		if e.BeforeJSON != "" || !strings.Contains(e.AfterJSON, `"EarnRateHundredths":225`) || !strings.Contains(e.Summary, "Coffee points") {
			t.Errorf("audit = summary %q, before %q, after %q", e.Summary, e.BeforeJSON, e.AfterJSON)
		}
		if c := change(t, e, "Name"); c.Before != "" || c.After != "Coffee points" {
			t.Errorf("name change = %+v", c)
		}

		st := createProgram(t, s.db, stampsInput("Stamp card"))
		if st.UnitLabel != "stamps" || st.StampsPerCard != 10 || st.Status != models.StatusActive || st.EarnRateHundredths != 0 {
			t.Errorf("stamps program = %+v", st)
		}
		cbIn := cashbackInput("Cashback")
		cbIn.Cashback, cbIn.Status = "2.5", ""
		cb := createProgram(t, s.db, cbIn)
		if cb.UnitLabel != "credit" || cb.CashbackBasisPoints != 250 || cb.Status != models.StatusDraft || cb.TakesActivity() {
			t.Errorf("cashback program = %+v, want credit, 250 bp, a draft", cb)
		}
		labelled := pointsInput("Beans")
		labelled.UnitLabel = " beans "
		if p := createProgram(t, s.db, labelled); p.UnitLabel != "beans" {
			t.Errorf("unit label = %q, want beans", p.UnitLabel)
		}
	})
}

func TestProgramValidation(t *testing.T) {
	t.Parallel()
	with := func(in models.ProgramInput, f func(*models.ProgramInput)) models.ProgramInput {
		f(&in)
		return in
	}
	points, stamps, cashback := pointsInput("Valid"), stampsInput("Valid"), cashbackInput("Valid")
	expiring := func(in *models.ProgramInput) {
		in.ExpiryPolicy, in.ExpiryMonths, in.ReminderDays = "after_earning", "12", "30"
	}
	cases := []struct {
		name  string
		in    models.ProgramInput
		field string // "" for valid
	}{
		{"points rate 1", points, ""},
		{"points rate 0.01", with(points, func(in *models.ProgramInput) { in.EarnRate = "0.01" }), ""},
		{"points rate 1000", with(points, func(in *models.ProgramInput) { in.EarnRate = "1000" }), ""},
		{"points rate empty", with(points, func(in *models.ProgramInput) { in.EarnRate = "" }), "earn_rate"},
		{"points rate 0", with(points, func(in *models.ProgramInput) { in.EarnRate = "0" }), "earn_rate"},
		{"points rate negative", with(points, func(in *models.ProgramInput) { in.EarnRate = "-1" }), "earn_rate"},
		{"points rate three decimals", with(points, func(in *models.ProgramInput) { in.EarnRate = "2.255" }), "earn_rate"},
		{"points rate above 1000", with(points, func(in *models.ProgramInput) { in.EarnRate = "1000.01" }), "earn_rate"},
		{"points rate not a number", with(points, func(in *models.ProgramInput) { in.EarnRate = "one" }), "earn_rate"},
		{"stamps 1", with(stamps, func(in *models.ProgramInput) { in.StampsPerCard = "1" }), ""},
		{"stamps 100", with(stamps, func(in *models.ProgramInput) { in.StampsPerCard = "100" }), ""},
		{"stamps empty", with(stamps, func(in *models.ProgramInput) { in.StampsPerCard = "" }), "stamps_per_card"},
		{"stamps 0", with(stamps, func(in *models.ProgramInput) { in.StampsPerCard = "0" }), "stamps_per_card"},
		{"stamps 101", with(stamps, func(in *models.ProgramInput) { in.StampsPerCard = "101" }), "stamps_per_card"},
		{"stamps fraction", with(stamps, func(in *models.ProgramInput) { in.StampsPerCard = "9.5" }), "stamps_per_card"},
		{"stamps card reward unknown", with(stamps, func(in *models.ProgramInput) { in.CardRewardID = "999999" }), "card_reward_id"},
		{"stamps card reward not a number", with(stamps, func(in *models.ProgramInput) { in.CardRewardID = "free" }), "card_reward_id"},
		{"stamps card reward 0 is none", with(stamps, func(in *models.ProgramInput) { in.CardRewardID = "0" }), ""},
		{"cashback 100%", with(cashback, func(in *models.ProgramInput) { in.Cashback = "100" }), ""},
		{"cashback 0.01%", with(cashback, func(in *models.ProgramInput) { in.Cashback = "0.01" }), ""},
		{"cashback empty", with(cashback, func(in *models.ProgramInput) { in.Cashback = "" }), "cashback"},
		{"cashback 0", with(cashback, func(in *models.ProgramInput) { in.Cashback = "0" }), "cashback"},
		{"cashback above 100", with(cashback, func(in *models.ProgramInput) { in.Cashback = "100.01" }), "cashback"},
		{"cashback negative", with(cashback, func(in *models.ProgramInput) { in.Cashback = "-5" }), "cashback"},
		{"cashback three decimals", with(cashback, func(in *models.ProgramInput) { in.Cashback = "2.555" }), "cashback"},
		{"no name", with(points, func(in *models.ProgramInput) { in.Name = "   " }), "name"},
		{"name of 80 characters", with(points, func(in *models.ProgramInput) { in.Name = strings.Repeat("é", 80) }), ""},
		{"name of 81 characters", with(points, func(in *models.ProgramInput) { in.Name = strings.Repeat("é", 81) }), "name"},
		{"no type", with(points, func(in *models.ProgramInput) { in.Type = "" }), "type"},
		{"unknown type", with(points, func(in *models.ProgramInput) { in.Type = "miles" }), "type"},
		{"unknown status", with(points, func(in *models.ProgramInput) { in.Status = "live" }), "status"},
		{"unit label of 21 characters", with(points, func(in *models.ProgramInput) { in.UnitLabel = strings.Repeat("x", 21) }), "unit_label"},
		{"min purchase negative", with(points, func(in *models.ProgramInput) { in.MinPurchase = "-1" }), "min_purchase"},
		{"min purchase of a tenth of a cent", with(points, func(in *models.ProgramInput) { in.MinPurchase = "1.234" }), "min_purchase"},
		{"min purchase not a number", with(points, func(in *models.ProgramInput) { in.MinPurchase = "five" }), "min_purchase"},
		{"sign-up bonus negative", with(points, func(in *models.ProgramInput) { in.SignUpBonus = "-1" }), "sign_up_bonus"},
		{"sign-up bonus fraction", with(points, func(in *models.ProgramInput) { in.SignUpBonus = "1.5" }), "sign_up_bonus"},
		{"point value in thousandths of a cent", with(points, func(in *models.ProgramInput) { in.PointValue = "0.00001" }), ""},
		{"point value too precise", with(points, func(in *models.ProgramInput) { in.PointValue = "0.000001" }), "point_value"},
		{"point value negative", with(points, func(in *models.ProgramInput) { in.PointValue = "-0.01" }), "point_value"},
		{"unknown expiry policy", with(points, func(in *models.ProgramInput) { in.ExpiryPolicy = "sometimes" }), "expiry_policy"},
		{"expiry after earning", with(points, expiring), ""},
		{"expiry without months", with(points, func(in *models.ProgramInput) { expiring(in); in.ExpiryMonths = "" }), "expiry_months"},
		{"inactivity expiry of 0 months", with(points, func(in *models.ProgramInput) {
			expiring(in)
			in.ExpiryPolicy, in.ExpiryMonths = "inactivity", "0"
		}), "expiry_months"},
		{"expiry of 121 months", with(points, func(in *models.ProgramInput) { expiring(in); in.ExpiryMonths = "121" }), "expiry_months"},
		{"reminder of 366 days", with(points, func(in *models.ProgramInput) { expiring(in); in.ReminderDays = "366" }), "reminder_days"},
		{"reminder of 27 days for a month", with(points, func(in *models.ProgramInput) { expiring(in); in.ExpiryMonths, in.ReminderDays = "1", "27" }), ""},
		{"reminder of 28 days for a month", with(points, func(in *models.ProgramInput) { expiring(in); in.ExpiryMonths, in.ReminderDays = "1", "28" }), "reminder_days"},
		{"reminder longer than the expiry", with(points, func(in *models.ProgramInput) { expiring(in); in.ExpiryMonths, in.ReminderDays = "2", "90" }), "reminder_days"},
		{"unknown tier metric", with(points, func(in *models.ProgramInput) { in.TierMetric = "likes" }), "tier_metric"},
		{"unknown tier window", with(points, func(in *models.ProgramInput) { in.TierWindow = "forever" }), "tier_window"},
		{"unknown downgrade policy", with(points, func(in *models.ProgramInput) { in.DowngradePolicy = "sometimes" }), "downgrade_policy"},
		{"downgrade at end of a lifetime window", with(points, func(in *models.ProgramInput) { in.DowngradePolicy = "end_of_window" }), "downgrade_policy"},
		{"grace downgrade with a lifetime window", with(points, func(in *models.ProgramInput) {
			in.DowngradePolicy, in.DowngradeGraceDays = "grace", "30"
		}), "downgrade_policy"},
		{"downgrade at end of calendar year", with(points, func(in *models.ProgramInput) {
			in.TierWindow, in.DowngradePolicy = "calendar_year", "end_of_window"
		}), ""},
		{"grace downgrade", with(points, func(in *models.ProgramInput) {
			in.TierWindow, in.DowngradePolicy, in.DowngradeGraceDays = "rolling_12_months", "grace", "30"
		}), ""},
		{"grace downgrade without days", with(points, func(in *models.ProgramInput) {
			in.TierWindow, in.DowngradePolicy = "rolling_12_months", "grace"
		}), "downgrade_grace_days"},
		{"grace of 366 days", with(points, func(in *models.ProgramInput) {
			in.TierWindow, in.DowngradePolicy, in.DowngradeGraceDays = "rolling_12_months", "grace", "366"
		}), "downgrade_grace_days"},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@validation.example.com")
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := c.in
				if c.field == "" && in.Name == "Valid" {
					in.Name = fmt.Sprintf("Valid %d", i)
				}
				before := countConfig(t, db)
				p, err := models.CreateProgram(s.db, testActor, in)
				if c.field == "" {
					if err != nil {
						t.Fatalf("CreateProgram: %v", err)
					}
					wantWrites(t, db, before, map[string]int64{"programs": 1, "audit_entries": 1})
					return
				}
				if p != nil {
					t.Errorf("CreateProgram returned %+v with an error", p)
				}
				wantField(t, err, c.field)
				wantNoWrites(t, db, before)
			})
		}
	})
}

func TestProgramExpiryAndDowngradeAreStored(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@expiry.example.com")
		in := pointsInput("Expiring")
		in.ExpiryPolicy, in.ExpiryMonths, in.ReminderDays = "inactivity", "12", "14"
		in.TierMetric, in.TierWindow, in.DowngradePolicy, in.DowngradeGraceDays = "spend", "rolling_12_months", "grace", "45"
		p := createProgram(t, s.db, in)
		if p.ExpiryPolicy != models.ExpireInactivity || p.ExpiryMonths != 12 || p.ReminderDays != 14 ||
			p.TierMetric != models.MetricSpend || p.TierWindow != models.WindowRolling12 ||
			p.DowngradePolicy != models.DowngradeGrace || p.DowngradeGraceDays != 45 {
			t.Errorf("program = %+v", p)
		}
		// Back to never: the months, reminder and grace no longer apply.
		in.ExpiryPolicy, in.DowngradePolicy = "never", "never"
		p, err := models.UpdateProgram(s.db, testActor, p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		stored := reload[models.Program](t, db, p.ID)
		if stored.ExpiryMonths != 0 || stored.ReminderDays != 0 || stored.DowngradeGraceDays != 0 {
			t.Errorf("after choosing never: months %d, reminder %d, grace %d; want 0", stored.ExpiryMonths, stored.ReminderDays, stored.DowngradeGraceDays)
		}
	})
}

func TestProgramMoneyFollowsCurrency(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		yen := newShopIn(t, db, "owner@yen.example.com", "JPY", "Asia/Tokyo")
		in := pointsInput("Yen points")
		in.MinPurchase = "12.50"
		_, err := models.CreateProgram(yen.db, testActor, in)
		wantField(t, err, "min_purchase")
		in.MinPurchase, in.PointValue = "1250", "0.001"
		if p := createProgram(t, yen.db, in); p.MinPurchaseMinor != 1250 || p.PointValueMilli != 1 {
			t.Errorf("yen program = min %d, value %d; want 1250, 1", p.MinPurchaseMinor, p.PointValueMilli)
		}

		dinar := newShopIn(t, db, "owner@dinar.example.com", "BHD", "Asia/Bahrain")
		in = pointsInput("Dinar points")
		in.MinPurchase, in.PointValue = "1.234", "0.000001"
		if p := createProgram(t, dinar.db, in); p.MinPurchaseMinor != 1234 || p.PointValueMilli != 1 {
			t.Errorf("dinar program = min %d, value %d; want 1234, 1", p.MinPurchaseMinor, p.PointValueMilli)
		}
	})
}

func TestUpdateProgram(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@update.example.com")
		p := createProgram(t, s.db, pointsInput("Coffee"))
		createProgram(t, s.db, pointsInput("Tea"))

		t.Run("settings", func(t *testing.T) {
			in := p.FormInput(s.m.Currency)
			in.EarnRate, in.MinPurchase = "2", "3.50"
			updated, err := models.UpdateProgram(s.db, testActor, p.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			if updated.EarnRateHundredths != 200 || updated.MinPurchaseMinor != 350 || updated.Type != models.ProgramPoints {
				t.Errorf("updated = %+v", updated)
			}
			e := lastAudit(t, s.db)
			wantAudit(t, e, models.AuditUpdate, "program", p.ID)
			if got := changed(e); strings.Join(got, ",") != "EarnRateHundredths,MinPurchaseMinor" {
				t.Errorf("changes = %v, want EarnRateHundredths and MinPurchaseMinor", got)
			}
			if c := change(t, e, "EarnRateHundredths"); c.Before != "100" || c.After != "200" {
				t.Errorf("rate change = %+v, want 100 → 200", c)
			}
		})

		t.Run("an empty type keeps the type", func(t *testing.T) {
			stored := reload[models.Program](t, db, p.ID)
			in := stored.FormInput(s.m.Currency)
			in.Type = ""
			if updated, err := models.UpdateProgram(s.db, testActor, p.ID, in); err != nil || updated.Type != models.ProgramPoints {
				t.Fatalf("UpdateProgram without a type = %+v, %v", updated, err)
			}
		})

		refused := []struct {
			name  string
			edit  func(in *models.ProgramInput)
			field string
		}{
			{"type change", func(in *models.ProgramInput) { in.Type, in.StampsPerCard = "stamps", "10" }, "type"},
			{"another program's name", func(in *models.ProgramInput) { in.Name = "Tea" }, "name"},
			{"another program's name in other case", func(in *models.ProgramInput) { in.Name = " tEA " }, "name"},
			{"bad status", func(in *models.ProgramInput) { in.Status = "closed" }, "status"},
			{"bad rate", func(in *models.ProgramInput) { in.EarnRate = "0" }, "earn_rate"},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				stored := reload[models.Program](t, db, p.ID)
				before := countConfig(t, db)
				in := stored.FormInput(s.m.Currency)
				c.edit(&in)
				_, err := models.UpdateProgram(s.db, testActor, p.ID, in)
				wantField(t, err, c.field)
				wantNoWrites(t, db, before)
				wantSameRow(t, reload[models.Program](t, db, p.ID), stored)
			})
		}

		t.Run("its own name in another case", func(t *testing.T) {
			stored := reload[models.Program](t, db, p.ID)
			in := stored.FormInput(s.m.Currency)
			in.Name = "COFFEE"
			if updated, err := models.UpdateProgram(s.db, testActor, p.ID, in); err != nil || updated.Name != "COFFEE" {
				t.Fatalf("rename to COFFEE = %+v, %v", updated, err)
			}
		})

		t.Run("archive", func(t *testing.T) {
			stored := reload[models.Program](t, db, p.ID)
			in := stored.FormInput(s.m.Currency)
			in.Status = "archived"
			updated, err := models.UpdateProgram(s.db, testActor, p.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			if updated.Status != models.StatusArchived || updated.TakesActivity() {
				t.Errorf("archived program = %+v", updated)
			}
			e := lastAudit(t, s.db)
			wantAudit(t, e, models.AuditArchive, "program", p.ID)
			if c := change(t, e, "Status"); c.Before != "active" || c.After != "archived" {
				t.Errorf("status change = %+v", c)
			}
			// Saving an archived program again is an update, not another archive.
			if _, err := models.UpdateProgram(s.db, testActor, p.ID, in); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, lastAudit(t, s.db), models.AuditUpdate, "program", p.ID)

			list, err := models.ListPrograms(s.db)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].Name != "Tea" || list[1].ID != p.ID {
				t.Errorf("ListPrograms = %v, want Tea then the archived program", list)
			}
		})

		t.Run("unknown program", func(t *testing.T) {
			before := countConfig(t, db)
			_, err := models.UpdateProgram(s.db, testActor, p.ID+1000, pointsInput("Ghost"))
			wantCode(t, err, models.ENOTFOUND)
			wantNoWrites(t, db, before)
		})
	})
}

// Every stored program reads back through its form unchanged.
func TestProgramFormInputRoundTrips(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, cur := range []struct{ currency, zone, min, value string }{
			{"EUR", "Europe/Paris", "12.34", "0.00125"},
			{"JPY", "Asia/Tokyo", "500", "0.125"},
			{"BHD", "Asia/Bahrain", "1.234", "0.000125"},
		} {
			s := newShopIn(t, db, "owner@"+strings.ToLower(cur.currency)+".example.com", cur.currency, cur.zone)
			inputs := []models.ProgramInput{pointsInput("Points"), stampsInput("Stamps"), cashbackInput("Cashback")}
			inputs[0].EarnRate, inputs[0].SignUpBonus = "2.25", "10"
			inputs[2].Cashback = "2.5"
			for _, in := range inputs {
				in.MinPurchase, in.PointValue = cur.min, cur.value
				in.ExpiryPolicy, in.ExpiryMonths, in.ReminderDays = "after_earning", "6", "7"
				in.TierMetric, in.TierWindow, in.DowngradePolicy, in.DowngradeGraceDays = "visits", "calendar_year", "grace", "10"
				p := createProgram(t, s.db, in)
				if _, err := models.UpdateProgram(s.db, testActor, p.ID, p.FormInput(cur.currency)); err != nil {
					t.Fatalf("%s %s: save its own form: %v", cur.currency, p.Type, err)
				}
				if got := changed(lastAudit(t, s.db)); len(got) != 0 {
					t.Errorf("%s %s: saving its own form changed %v", cur.currency, p.Type, got)
				}
				if after := reload[models.Program](t, db, p.ID); after.MinPurchaseMinor != p.MinPurchaseMinor || after.PointValueMilli != p.PointValueMilli {
					t.Errorf("%s %s: %+v after round trip, was %+v", cur.currency, p.Type, after, p)
				}
			}
		}
	})
}

func TestProgramNamesAreUnique(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newShop(t, db, "owner@a.example.com")
		b := newShop(t, db, "owner@b.example.com")
		coffee := createProgram(t, a.db, pointsInput("Coffee"))

		before := countConfig(t, db)
		_, err := models.CreateProgram(a.db, testActor, stampsInput("  cOFFEE "))
		wantFieldMessage(t, err, "name", "already used")
		wantNoWrites(t, db, before)

		// Another merchant may use the name.
		createProgram(t, b.db, pointsInput("Coffee"))

		// The unique index backs the check: a row written past the model
		// is refused as a duplicate.
		dup := *coffee
		dup.ID, dup.Name = 0, "COFFEE"
		err = a.db.Create(&dup).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("insert of a duplicate name past the model: err = %v, want ErrDuplicatedKey", err)
		}
	})
}

// Two owners creating the same program at once: one wins, the other gets
// the same field error as a plain duplicate, never an internal error.
func TestProgramConcurrentSameName(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@race.example.com")
		for round := range 5 {
			name := "Race " + string(rune('A'+round))
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = models.CreateProgram(s.db, testActor, pointsInput(name))
				})
			}
			wg.Wait()
			ok, dup := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case models.ErrorCode(err) == models.EINVALID && models.FieldErrors(err)["name"] != "":
					dup++
				default:
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			}
			var n int64
			s.db.Model(&models.Program{}).Where("name = ?", name).Count(&n)
			if ok != 1 || dup != 1 || n != 1 {
				t.Errorf("round %d: %d created, %d refused, %d rows; want 1, 1, 1", round, ok, dup, n)
			}
		}
		if n := len(auditLog(t, s.db, models.AuditFilter{EntityType: "program"})); n != 5 {
			t.Errorf("program audit entries = %d, want 5 (one per created program)", n)
		}
	})
}

func TestStampsCardReward(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@stamps.example.com")
		p := createProgram(t, s.db, stampsInput("Stamp card"))
		free := createReward(t, s.db, p.ID, rewardInput("Free coffee"))
		other := createProgram(t, s.db, stampsInput("Other card"))
		otherReward := createReward(t, s.db, other.ID, rewardInput("Free tea"))

		in := p.FormInput(s.m.Currency)
		in.CardRewardID = itoa(otherReward.ID)
		_, err := models.UpdateProgram(s.db, testActor, p.ID, in)
		wantField(t, err, "card_reward_id")

		in.CardRewardID = itoa(free.ID)
		updated, err := models.UpdateProgram(s.db, testActor, p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if updated.CardRewardID == nil || *updated.CardRewardID != free.ID {
			t.Fatalf("card reward = %v, want %d", updated.CardRewardID, free.ID)
		}
		if got := updated.FormInput(s.m.Currency).CardRewardID; got != itoa(free.ID) {
			t.Errorf("form card reward = %q, want %d", got, free.ID)
		}

		// An archived reward cannot become the card reward.
		spare := createReward(t, s.db, p.ID, rewardInput("Free cake"))
		if _, err := models.SetRewardArchived(s.db, testActor, p.ID, spare.ID, true); err != nil {
			t.Fatal(err)
		}
		in.CardRewardID = itoa(spare.ID)
		_, err = models.UpdateProgram(s.db, testActor, p.ID, in)
		wantField(t, err, "card_reward_id")
		if stored := reload[models.Program](t, db, p.ID); stored.CardRewardID == nil || *stored.CardRewardID != free.ID {
			t.Errorf("card reward after a refused change = %v, want %d", stored.CardRewardID, free.ID)
		}
	})
}
