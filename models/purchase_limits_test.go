package models_test

import (
	"fmt"
	"math"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A mistyped amount must not mint points: above the program's maximum a
// purchase is refused, above its large threshold it waits for a second yes.
func TestPurchaseLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "limits@example.com", pointsInput("Points"))
		if s.p.MaxPurchaseMinor != 100_000 || s.p.LargePurchaseMinor != 20_000 {
			t.Fatalf("new program limits %d / %d, want 1000.00 / 200.00 EUR", s.p.MaxPurchaseMinor, s.p.LargePurchaseMinor)
		}
		ann := enrolNamed(t, s.db, "Ann")
		before := countConfig(t, db)
		entries := countWhere(t, s.db, &models.LedgerEntry{}, "1 = 1")
		for _, amount := range []string{"1000000000", "99999999.99", "1000.01"} {
			in := purchase(s.p.ID, ann.ID, amount, "big-"+amount)
			_, err := models.RecordPurchase(s.db, testActor, in, day0)
			wantFieldMessage(t, err, "amount", "at most 1000.00 EUR")
			if _, err := models.PreviewPurchase(s.db, s.p.ID, ann.ID, amount, day0); models.FieldErrors(err)["amount"] == "" {
				t.Errorf("preview of %s: %v, want the amount refused", amount, err)
			}
		}
		// Above the large threshold: asked, not recorded, until confirmed.
		in := purchase(s.p.ID, ann.ID, "450", "large")
		in.ConfirmedLarge = false
		_, err := models.RecordPurchase(s.db, testActor, in, day0)
		if msg := models.FieldErrors(err)[models.FieldConfirmLarge]; msg != "Record 450.00 EUR? That is more than usual." {
			t.Errorf("unconfirmed 450: %v", err)
		}
		wantNoWrites(t, db, before)
		if n := countWhere(t, s.db, &models.LedgerEntry{}, "1 = 1"); n != entries || countWhere(t, s.db, &models.Purchase{}, "1 = 1") != 0 {
			t.Fatal("a refused purchase was written")
		}
		in.ConfirmedLarge = true
		if res, err := models.RecordPurchase(s.db, testActor, in, day0); err != nil || res.Breakdown.Total != 450 {
			t.Fatalf("confirmed 450: %+v, %v", res, err)
		}
		// At the threshold and at the maximum exactly: no question, and allowed.
		small := purchase(s.p.ID, ann.ID, "200.00", "at-large")
		small.ConfirmedLarge = false
		if _, err := models.RecordPurchase(s.db, testActor, small, day0); err != nil {
			t.Errorf("200.00 needs no confirmation: %v", err)
		}
		buy(t, s.db, s.p.ID, ann.ID, "1000.00", "at-max", day0)
		wantBalance(t, s.db, s.p.ID, ann.ID, 1650)
		wantSound(t, db)
	})
}

// The defaults follow the currency's minor digits.
func TestPurchaseLimitsFollowTheCurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for currency, max := range map[string]int64{"JPY": 1000, "BHD": 1_000_000, "USD": 100_000} {
			s := newShopIn(t, db, "limits-"+currency+"@example.com", currency, "UTC")
			p := createProgram(t, s.db, pointsInput("Points"))
			if p.MaxPurchaseMinor != max || p.LargePurchaseMinor != max/5 {
				t.Errorf("%s: limits %d / %d, want %d / %d", currency, p.MaxPurchaseMinor, p.LargePurchaseMinor, max, max/5)
			}
		}
	})
}

func TestProgramPurchaseLimitsValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "limit-form@example.com", pointsInput("Points"))
		edit := func(max, large string) (*models.Program, error) {
			in := s.p.FormInput("EUR")
			in.MaxPurchase, in.LargePurchase = max, large
			return models.UpdateProgram(s.db, testActor, s.p.ID, in)
		}
		for _, c := range []struct{ max, large, field, part string }{
			{"0", "10", "max_purchase", "above 0"},
			{"abc", "10", "max_purchase", "above 0"},
			{"1000000000.01", "10", "max_purchase", "at most 1000000000.00"},
			{"9999999999999999999", "10", "max_purchase", "at most"},
			{"500", "0", "large_purchase", "above 0"},
			{"500", "500.01", "large_purchase", "at most the maximum purchase (500.00)"},
		} {
			before := countConfig(t, db)
			_, err := edit(c.max, c.large)
			wantFieldMessage(t, err, c.field, c.part)
			wantNoWrites(t, db, before)
		}
		p, err := edit("5000", "750.50")
		if err != nil || p.MaxPurchaseMinor != 500_000 || p.LargePurchaseMinor != 75_050 {
			t.Fatalf("edit limits: %+v, %v", p, err)
		}
		e := lastAudit(t, s.db)
		wantAudit(t, e, models.AuditUpdate, "program", p.ID)
		if ch := change(t, e, "MaxPurchaseMinor"); fmt.Sprint(ch.After) != "500000" {
			t.Errorf("audited max %v", ch)
		}
		// An edit that sends no limits keeps them.
		in := p.FormInput("EUR")
		in.MaxPurchase, in.LargePurchase = "", ""
		if p, err = models.UpdateProgram(s.db, testActor, p.ID, in); err != nil || p.MaxPurchaseMinor != 500_000 {
			t.Errorf("edit without limits: %+v, %v", p, err)
		}
	})
}

// Posting refuses what would take a balance past int64, whatever the
// calculator was given.
func TestPostingNeverWrapsTheBalance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "wrap@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		buy(t, s.db, s.p.ID, ann.ID, "10", "first", day0)
		a := accountOf(t, s.db, s.p.ID, ann.ID)
		// A balance at the edge, as no form can make one.
		if err := s.db.Model(&models.Account{}).Where("id = ?", a.ID).Update("balance", int64(math.MaxInt64-5)).Error; err != nil {
			t.Fatal(err)
		}
		entries := countWhere(t, s.db, &models.LedgerEntry{}, "1 = 1")
		_, err := models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "10", "second"), day0)
		if models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("credit past int64: %v, want a conflict", err)
		}
		if got := accountOf(t, s.db, s.p.ID, ann.ID).Balance; got != math.MaxInt64-5 {
			t.Errorf("balance %d after a refused credit", got)
		}
		if n := countWhere(t, s.db, &models.LedgerEntry{}, "1 = 1"); n != entries || countWhere(t, s.db, &models.Purchase{}, "1 = 1") != 1 {
			t.Error("a refused credit was written")
		}
	})
}

// However large what it is given, the calculator saturates at int64's
// bound instead of wrapping around to a small or negative credit.
func TestCalculateEarnSaturates(t *testing.T) {
	t.Parallel()
	huge := []models.Campaign{boost("Max", math.MaxInt64, math.MaxInt64), boost("Bonus", 1000, math.MaxInt64)}
	for name, r := range map[string]models.EarnRequest{
		"amount":      {Program: pointsProgram(100_000, 0), AmountMinor: math.MaxInt64},
		"rate":        {Program: pointsProgram(math.MaxInt64, 0), AmountMinor: math.MaxInt64},
		"cashback":    {Program: cashbackProgram(math.MaxInt64, 0), AmountMinor: math.MaxInt64},
		"multipliers": {Program: pointsProgram(100, 0), Tier: tierX(1, "Top", math.MaxInt64), Campaigns: huge[:1], AmountMinor: 100},
		"bonuses":     {Program: pointsProgram(100, 0), Campaigns: huge, AmountMinor: 100},
	} {
		r.Currency, r.At = "EUR", novemberMonday
		b := models.CalculateEarn(r)
		if b.Total != math.MaxInt64 || b.Multiplied < 0 || b.Base < 0 || b.Bonus < 0 {
			t.Errorf("%s: %+v, want a total of MaxInt64 and nothing negative", name, b)
		}
	}
}
