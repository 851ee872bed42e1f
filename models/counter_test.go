package models_test

import (
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// creditShop is a cashback program (10%) with a member holding 10.00 EUR
// of store credit from a 100.00 EUR purchase.
func creditShop(t *testing.T, db *gorm.DB, email string) (loyal, *models.Member) {
	t.Helper()
	in := cashbackInput("Cashback")
	in.Cashback = "10"
	s := newLoyal(t, db, email, in)
	ann := enrolNamed(t, s.db, "Ann")
	buy(t, s.db, s.p.ID, ann.ID, "100", "setup", day0)
	wantBalance(t, s.db, s.p.ID, ann.ID, 1000)
	return s, ann
}

func spend(s loyal, memberID int64, amount, key string) (*models.LedgerEntry, bool, error) {
	return models.SpendCredit(s.db, models.Actor{Name: "Sam Staff", UserID: s.owner.ID}, models.SpendCreditInput{
		MemberID: memberID, ProgramID: s.p.ID, Amount: amount, IdempotencyKey: key,
	}, day0)
}

func TestSpendCredit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s, ann := creditShop(t, db, "credit@example.com")
		e, replayed, err := spend(s, ann.ID, "3.20", "pay-1")
		if err != nil || replayed || e.Amount != -320 || e.BalanceAfter != 680 || e.Kind != models.KindRedemption || e.ActorName != "Sam Staff" {
			t.Fatalf("spend 3.20: %+v, %v, %v", e, replayed, err)
		}
		// The same form again posts nothing and answers with the first entry.
		again, replayed, err := spend(s, ann.ID, "3.20", "pay-1")
		if err != nil || !replayed || again.ID != e.ID {
			t.Errorf("retry: %+v, %v, %v", again, replayed, err)
		}
		if _, _, err := spend(s, ann.ID, "1.00", "pay-1"); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("key reused for another amount: %v", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 680)
		// More than the credit, or no amount: refused on the field, nothing posted.
		for amount, part := range map[string]string{"6.81": "6.80 EUR of store credit", "0": "above 0", "abc": "above 0", "-1": "above 0"} {
			_, _, err := spend(s, ann.ID, amount, "bad-"+amount)
			wantFieldMessage(t, err, "amount", part)
		}
		// Spending it all is allowed: it is the member's own money, beyond
		// any adjustment limit (500 units for staff).
		if e, _, err := spend(s, ann.ID, "6.80", "pay-2"); err != nil || e.BalanceAfter != 0 {
			t.Errorf("spend the rest: %+v, %v", e, err)
		}
		// A points program holds no credit.
		points := createProgram(t, s.db, pointsInput("Points"))
		_, _, err = models.SpendCredit(s.db, testActor, models.SpendCreditInput{MemberID: ann.ID, ProgramID: points.ID, Amount: "1", IdempotencyKey: "p"}, day0)
		if models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("credit in a points program: %v", err)
		}
		if got, err := models.GetCreditPayment(s.db, e.ID); err != nil || got.ID != e.ID {
			t.Errorf("payment %d: %+v, %v", e.ID, got, err)
		}
		wantSound(t, db)
	})
}

// Many payments at once never take the credit below zero, and one form
// sent many times at once pays once.
func TestSpendCreditConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		hammerable(t, db)
		s, ann := creditShop(t, db, "credit-race@example.com")
		const n = 30
		errs := concurrently(n, func(i int) error {
			_, _, err := spend(s, ann.ID, "3.00", fmt.Sprintf("race-%d", i))
			return err
		})
		paid, refused := 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				paid++
			case models.FieldErrors(err)["amount"] != "":
				refused++
			default:
				t.Errorf("payment %d: %v", i, err)
			}
		}
		if paid != 3 || refused != n-3 {
			t.Errorf("%d paid and %d refused, want 3 and %d", paid, refused, n-3)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 100)

		var mu sync.Mutex
		ids := map[int64]bool{}
		errs = concurrently(20, func(int) error {
			e, _, err := spend(s, ann.ID, "0.50", "one-form")
			if err == nil {
				mu.Lock()
				ids[e.ID] = true
				mu.Unlock()
			}
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("retry %d: %v", i, err)
			}
		}
		if len(ids) != 1 || countWhere(t, s.db, &models.LedgerEntry{}, "idempotency_key = ?", "credit:one-form") != 1 {
			t.Errorf("one form paid as entries %v", ids)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 50)
		wantSound(t, db)
	})
}

func TestCurrencyLockedOncePurchased(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "currency@example.com", pointsInput("Points"))
		in := models.MerchantInput{Name: "Renamed", Currency: "USD", TimeZone: "Europe/Paris"}
		m, err := models.UpdateMerchant(s.db, testActor, in)
		if err != nil || m.Currency != "USD" {
			t.Fatalf("currency change before any purchase: %+v, %v", m, err)
		}
		if locked, err := models.CurrencyLocked(s.db); err != nil || locked {
			t.Fatalf("locked %v, %v before any purchase", locked, err)
		}
		ann := enrolNamed(t, s.db, "Ann")
		buy(t, s.db, s.p.ID, ann.ID, "4.50", "k", day0)
		before := countConfig(t, db)
		in.Currency = "JPY"
		_, err = models.UpdateMerchant(s.db, testActor, in)
		wantFieldMessage(t, err, "currency", "Purchases are recorded in USD")
		wantNoWrites(t, db, before)
		if got := reload[models.Merchant](t, db, s.m.ID); got.Currency != "USD" {
			t.Errorf("currency is %s", got.Currency)
		}
		// Everything else still changes.
		in.Currency, in.Name = "usd", "Renamed again"
		if m, err := models.UpdateMerchant(s.db, testActor, in); err != nil || m.Name != "Renamed again" {
			t.Errorf("rename with the same currency: %+v, %v", m, err)
		}
		// Another merchant's purchases do not lock this one.
		other := newShop(t, db, "currency-b@example.com")
		if _, err := models.UpdateMerchant(other.db, testActor, models.MerchantInput{Name: "B", Currency: "GBP", TimeZone: "UTC"}); err != nil {
			t.Errorf("merchant B: %v", err)
		}
	})
}

func TestSetDefaultProgram(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "default@example.com", pointsInput("Points"))
		stamps := createProgram(t, s.db, stampsInput("Stamps"))
		draft := pointsInput("Draft")
		draft.Status = "draft"
		inactive := createProgram(t, s.db, draft)
		other := newLoyal(t, db, "default-b@example.com", pointsInput("Theirs"))

		m, err := models.SetDefaultProgram(s.db, testActor, stamps.ID)
		if err != nil || m.DefaultProgramID == nil || *m.DefaultProgramID != stamps.ID {
			t.Fatalf("default stamps: %+v, %v", m, err)
		}
		wantAudit(t, lastAudit(t, s.db), models.AuditUpdate, "business", s.m.ID)
		for name, id := range map[string]int64{"another merchant's": other.p.ID, "a draft": inactive.ID, "no": 0, "an unknown": 1 << 40} {
			before := countConfig(t, db)
			_, err := models.SetDefaultProgram(s.db, testActor, id)
			wantFieldMessage(t, err, "default_program_id", "active programs")
			wantNoWrites(t, db, before)
			if got := reload[models.Merchant](t, db, s.m.ID); got.DefaultProgramID == nil || *got.DefaultProgramID != stamps.ID {
				t.Errorf("%s program changed the default to %v", name, got.DefaultProgramID)
			}
		}
	})
}

func TestFormatPhone(t *testing.T) {
	t.Parallel()
	for digits, want := range map[string]string{
		"33612345678":   "+33 6 12 34 56 78",
		"4915123456789": "+49 151 23456789",
		"447700900123":  "+44 7700 900123",
		"14155550100":   "+1 415 555 0100",
		"34612345678":   "+34 612 345 678",
		"35312345678":   "+353 123 456 78",
		"":              "",
		"3":             "+3",
	} {
		if got := models.FormatPhone(digits); got != want {
			t.Errorf("FormatPhone(%q) = %q, want %q", digits, got, want)
		}
		if models.NormalisePhone(models.FormatPhone(digits)) != digits {
			t.Errorf("FormatPhone(%q) does not normalise back", digits)
		}
	}
}
