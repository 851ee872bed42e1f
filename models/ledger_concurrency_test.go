package models_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// These tests hammer one account from many goroutines, each call its own
// transaction through the public functions, as concurrent requests would.
// On SQLite writers queue on the busy timeout: a "database is locked"
// error is a failure like any other.

// concurrently runs fn(i) for i in [0, n) at once and returns the errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// outcomes counts successes and conflicts, failing on anything else (a
// lock timeout, a deadlock, a serialisation failure).
func outcomes(t *testing.T, errs []error) (ok, conflicts int) {
	t.Helper()
	for i, err := range errs {
		switch models.ErrorCode(err) {
		case "":
			ok++
		case models.ECONFLICT:
			conflicts++
		default:
			t.Errorf("call %d: %v", i, err)
		}
	}
	return ok, conflicts
}

// hammerable opens a database for concurrency tests. PostgreSQL gets a
// pool large enough for real contention yet within the server's limit.
func hammerable(t *testing.T, db *gorm.DB) {
	t.Helper()
	if models.DialectOf(db) == models.Postgres {
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(20)
	}
}

// TestConcurrentLedger runs each scenario below on its own merchant of
// one database per dialect.
func TestConcurrentLedger(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		hammerable(t, db)
		for _, sc := range []struct {
			name string
			run  func(t *testing.T, db *gorm.DB)
		}{
			{"RedeemNeverOverspends", concurrentRedeemNeverOverspends},
			{"RedeemNeverOversellsStock", concurrentRedeemNeverOversellsStock},
			{"PurchasesAllCredited", concurrentPurchasesAllCredited},
			{"RetriesCreditOnce", concurrentRetriesCreditOnce},
			{"DebitsNeverGoBelowZero", concurrentDebitsNeverGoBelowZero},
			{"MixedLoad", concurrentMixedLoad},
			{"DailyRuns", concurrentDailyRuns},
			{"VoucherCloses", concurrentVoucherCloses},
			{"RefundsNeverExceedThePurchase", concurrentRefundsNeverExceedThePurchase},
			{"AwardsPayOnce", concurrentAwardsPayOnce},
			{"Enrolments", concurrentEnrolments},
		} {
			t.Run(sc.name, func(t *testing.T) { sc.run(t, db) })
		}
	})
}

// 50 redemptions at once against a balance that covers exactly 10: 10
// succeed, the rest are refused, the balance ends at 0, never below.
func concurrentRedeemNeverOverspends(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-redeem@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "70"})
	grant(t, s.db, s.p.ID, ann.ID, 10*70+69, day0)

	errs := concurrently(50, func(i int) error {
		_, err := models.Redeem(s.db, testActor, models.RedeemInput{
			MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID, IdempotencyKey: fmt.Sprintf("r%d", i),
		}, day0)
		return err
	})
	ok, conflicts := outcomes(t, errs)
	if ok != 10 || conflicts != 40 {
		t.Errorf("%d redemptions succeeded and %d were refused, want 10 and 40", ok, conflicts)
	}
	wantBalance(t, s.db, s.p.ID, ann.ID, 69)
	if n := countWhere(t, s.db, &models.Voucher{}, "1 = 1"); n != 10 {
		t.Errorf("%d vouchers, want 10", n)
	}
	if n := countWhere(t, s.db, &models.LedgerEntry{}, "kind = ?", models.KindRedemption); n != 10 {
		t.Errorf("%d redemption entries, want 10", n)
	}
	wantSound(t, db)
}

// 20 members with plenty of balance race for a reward with 3 in stock:
// exactly 3 get it and the stock ends at 0.
func concurrentRedeemNeverOversellsStock(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-stock@example.com", pointsInput("Points"))
	reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Signed poster", Type: "free_item", Cost: "10", Stock: "3"})
	var members []*models.Member
	for i := range 20 {
		m := enrolNamed(t, s.db, fmt.Sprintf("Fan %02d", i))
		grant(t, s.db, s.p.ID, m.ID, 1000, day0)
		members = append(members, m)
	}
	errs := concurrently(len(members), func(i int) error {
		_, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: members[i].ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0)
		return err
	})
	ok, conflicts := outcomes(t, errs)
	if ok != 3 || conflicts != 17 {
		t.Errorf("%d redemptions succeeded and %d were refused, want 3 and 17", ok, conflicts)
	}
	if got := reload[models.Reward](t, db, reward.ID); got.Stock == nil || *got.Stock != 0 {
		t.Errorf("stock = %v, want 0", got.Stock)
	}
	var total int64
	for i, m := range members {
		b := accountOf(t, s.db, s.p.ID, m.ID).Balance
		total += b
		if (errs[i] == nil) != (b == 990) || (errs[i] != nil) != (b == 1000) {
			t.Errorf("%s: redemption err %v, balance %d", m.Name, errs[i], b)
		}
	}
	if total != 20*1000-3*10 {
		t.Errorf("balances sum to %d, want %d", total, 20*1000-3*10)
	}
	wantSound(t, db)
}

// 100 purchases with distinct keys at once on one member, whose account
// does not exist yet: one account, every purchase credited.
func concurrentPurchasesAllCredited(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-buy@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	const n = 100
	errs := concurrently(n, func(i int) error {
		_, err := models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, fmt.Sprintf("%d.50", i+1), fmt.Sprintf("k%d", i)), day0)
		return err
	})
	if ok, _ := outcomes(t, errs); ok != n {
		t.Errorf("%d of %d purchases went through", ok, n)
	}
	want := int64(n * (n + 1) / 2) // i+1 points for i+1.50
	wantBalance(t, s.db, s.p.ID, ann.ID, want)
	if got := accountOf(t, s.db, s.p.ID, ann.ID).LifetimeEarned; got != want {
		t.Errorf("lifetime earned = %d, want %d", got, want)
	}
	if c := countWhere(t, s.db, &models.Purchase{}, "1 = 1"); c != n {
		t.Errorf("%d purchases, want %d", c, n)
	}
	if c := countWhere(t, s.db, &models.Account{}, "1 = 1"); c != 1 {
		t.Errorf("%d accounts, want 1", c)
	}
	wantSound(t, db)
}

// 20 retries of one purchase at once: credited once, and every call
// answers with the same purchase.
func concurrentRetriesCreditOnce(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-retry@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	const n = 20
	results := make([]*models.PurchaseResult, n)
	errs := concurrently(n, func(i int) error {
		var err error
		results[i], err = models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "42.00", "the-one"), day0)
		return err
	})
	if ok, _ := outcomes(t, errs); ok != n {
		t.Fatalf("%d of %d retries answered", ok, n)
	}
	fresh := 0
	for i, r := range results {
		if r.Purchase.ID != results[0].Purchase.ID {
			t.Errorf("call %d answered purchase %d, call 0 purchase %d", i, r.Purchase.ID, results[0].Purchase.ID)
		}
		if r.Breakdown.Total != 42 {
			t.Errorf("call %d: total %d, want 42", i, r.Breakdown.Total)
		}
		if !r.Replayed {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d calls were not replays, want exactly 1", fresh)
	}
	wantBalance(t, s.db, s.p.ID, ann.ID, 42)
	if c := countWhere(t, s.db, &models.Purchase{}, "1 = 1"); c != 1 {
		t.Errorf("%d purchases, want 1", c)
	}
	if c := countWhere(t, s.db, &models.LedgerEntry{}, "1 = 1"); c != 1 {
		t.Errorf("%d ledger entries, want 1", c)
	}
	wantSound(t, db)
}

// Manual debits that together exceed the balance: the balance never goes
// below zero.
func concurrentDebitsNeverGoBelowZero(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-debit@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	grant(t, s.db, s.p.ID, ann.ID, 1000, day0)
	errs := concurrently(30, func(i int) error {
		_, err := models.Adjust(s.db, testActor, models.RoleStaff, models.AdjustInput{
			MemberID: ann.ID, ProgramID: s.p.ID, Amount: "-150", Reason: "Correction",
		}, day0)
		return err
	})
	ok, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case models.ErrorCode(err) == models.EINVALID && strings.Contains(models.FieldErrors(err)["amount"], "below zero"):
			refused++
		default:
			t.Errorf("debit %d: %v", i, err)
		}
	}
	if ok != 6 || refused != 24 {
		t.Errorf("%d debits went through and %d were refused, want 6 and 24", ok, refused)
	}
	wantBalance(t, s.db, s.p.ID, ann.ID, 100)
	wantSound(t, db)
}

// Everything at once on one account: purchases, retries, redemptions,
// cancellations, debits, refunds. Whatever interleaving happens, the
// ledger adds up and the balance only went below zero by a clawback.
func concurrentMixedLoad(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-mixed@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "25"})
	var seeds []*models.PurchaseResult
	for i := range 5 {
		seeds = append(seeds, buy(t, s.db, s.p.ID, ann.ID, "20", fmt.Sprintf("seed-%d", i), day0))
	}
	var vouchers []*models.Voucher
	for range 2 {
		v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0)
		if err != nil {
			t.Fatal(err)
		}
		vouchers = append(vouchers, v)
	}
	errs := concurrently(60, func(i int) error {
		var err error
		switch i % 6 {
		case 0:
			_, err = models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "10", fmt.Sprintf("mix-%d", i)), day0)
		case 1:
			_, err = models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "10", "mix-shared"), day0)
		case 2:
			_, err = models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0)
		case 3:
			_, err = models.CancelVoucher(s.db, testActor, vouchers[(i/6)%2].ID, day0)
		case 4:
			_, err = models.Adjust(s.db, testActor, models.RoleStaff, models.AdjustInput{MemberID: ann.ID, ProgramID: s.p.ID, Amount: "-7", Reason: "Correction"}, day0)
		case 5:
			_, err = models.RefundPurchase(s.db, testActor, seeds[i%5].Purchase.ID, "5", fmt.Sprintf("refund-%d", i), day0)
		}
		if models.ErrorCode(err) == models.EINVALID {
			return nil // a debit or refund refused for the balance or what is left: fine
		}
		return err
	})
	outcomes(t, errs)
	if c := countWhere(t, s.db, &models.Purchase{}, "idempotency_key = ?", "mix-shared"); c != 1 {
		t.Errorf("%d purchases for the shared key, want 1", c)
	}
	if c := countWhere(t, s.db, &models.LedgerEntry{}, "kind = ?", models.KindRedemptionCancel); c != 2 {
		t.Errorf("%d cancellations, want 2 (one per voucher)", c)
	}
	wantSound(t, db)
}

// Two daily jobs at once (two app instances) expire once.
func concurrentDailyRuns(t *testing.T, db *gorm.DB) {
	in := pointsInput("Points")
	in.ExpiryPolicy, in.ExpiryMonths = "after_earning", "12"
	s := newLoyal(t, db, "race-daily@example.com", in)
	var members []*models.Member
	for i := range 5 {
		m := enrolNamed(t, s.db, fmt.Sprintf("M%d", i))
		grant(t, s.db, s.p.ID, m.ID, 100, day0)
		members = append(members, m)
	}
	later := day0.AddDate(1, 0, 1)
	errs := concurrently(6, func(i int) error {
		_, err := models.RunDaily(db, later)
		return err
	})
	outcomes(t, errs)
	for _, m := range members {
		wantBalance(t, s.db, s.p.ID, m.ID, 0)
	}
	if c := countWhere(t, s.db, &models.LedgerEntry{}, "kind = ?", models.KindExpiry); c != 5 {
		t.Errorf("%d expiry entries, want 5", c)
	}
	wantSound(t, db)
}

// Closing one voucher from many tills at once: exactly one close wins,
// and the units come back at most once.
func concurrentVoucherCloses(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-close@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "40", Stock: "5"})
	grant(t, s.db, s.p.ID, ann.ID, 100, day0)
	v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0)
	if err != nil {
		t.Fatal(err)
	}
	errs := concurrently(20, func(i int) error {
		var err error
		if i%2 == 0 {
			_, err = models.CancelVoucher(s.db, testActor, v.ID, day0)
		} else {
			_, err = models.MarkVoucherUsed(s.db, testActor, v.ID, day0)
		}
		return err
	})
	if ok, conflicts := outcomes(t, errs); ok != 1 || conflicts != 19 {
		t.Errorf("%d closes won and %d were refused, want 1 and 19", ok, conflicts)
	}
	got := reload[models.Voucher](t, db, v.ID)
	want, stock := int64(60), int64(4)
	if got.Status == models.VoucherCancelled {
		want, stock = 100, 5
	}
	wantBalance(t, s.db, s.p.ID, ann.ID, want)
	if r := reload[models.Reward](t, db, reward.ID); r.Stock == nil || *r.Stock != stock {
		t.Errorf("stock = %v, want %d with the voucher %s", r.Stock, stock, got.Status)
	}
	wantSound(t, db)
}

// Refunds of one purchase at once never refund more than it cost, nor
// claw back more than it earned.
func concurrentRefundsNeverExceedThePurchase(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-refund@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	res := buy(t, s.db, s.p.ID, ann.ID, "100", "big", day0)
	errs := concurrently(12, func(i int) error {
		_, err := models.RefundPurchase(s.db, testActor, res.Purchase.ID, "30", fmt.Sprintf("r%d", i), day0)
		if models.ErrorCode(err) == models.EINVALID {
			return models.Errorf(models.ECONFLICT, "refused: %v", err)
		}
		return err
	})
	if ok, _ := outcomes(t, errs); ok != 3 {
		t.Errorf("%d refunds of 30 went through on a purchase of 100, want 3", ok)
	}
	got := reload[models.Purchase](t, db, res.Purchase.ID)
	if got.RefundedMinor != 9000 || got.ClawedBack != 90 {
		t.Errorf("refunded %d, clawed back %d; want 9000 and 90", got.RefundedMinor, got.ClawedBack)
	}
	wantBalance(t, s.db, s.p.ID, ann.ID, 10)
	wantSound(t, db)
}

// The same capped action awarded from many places at once pays once.
func concurrentAwardsPayOnce(t *testing.T, db *gorm.DB) {
	s := newLoyal(t, db, "race-award@example.com", pointsInput("Points"))
	ann := enrolNamed(t, s.db, "Ann")
	rule := createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Review", Points: "25", Cap: "day", Active: true})
	errs := concurrently(15, func(i int) error {
		_, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", day0)
		return err
	})
	if ok, conflicts := outcomes(t, errs); ok != 1 || conflicts != 14 {
		t.Errorf("%d awards paid and %d were refused, want 1 and 14", ok, conflicts)
	}
	wantBalance(t, s.db, s.p.ID, ann.ID, 25)
	wantSound(t, db)
}

// Enrolling the same person from two tills at once: one member, and the
// other till is told which field clashes.
func concurrentEnrolments(t *testing.T, db *gorm.DB) {
	s := newShop(t, db, "race-enrol@example.com")
	for _, c := range []struct {
		field string
		in    func(i int) models.MemberInput
	}{
		{"email", func(i int) models.MemberInput {
			return models.MemberInput{Name: fmt.Sprintf("Ann %d", i), Email: "ann@example.com"}
		}},
		{"phone", func(i int) models.MemberInput {
			return models.MemberInput{Name: fmt.Sprintf("Bob %d", i), Phone: "+33 6 00 00 00 01"}
		}},
	} {
		errs := concurrently(8, func(i int) error {
			_, err := models.EnrolMember(s.db, testActor, c.in(i), day0)
			return err
		})
		ok := 0
		for i, err := range errs {
			if err == nil {
				ok++
				continue
			}
			if _, named := models.FieldErrors(err)[c.field]; models.ErrorCode(err) != models.EINVALID || !named || len(models.FieldErrors(err)) != 1 {
				t.Errorf("%s clash, enrolment %d: %v; want only %s named", c.field, i, err, c.field)
			}
		}
		if ok != 1 {
			t.Errorf("%s clash: %d enrolments went through, want 1", c.field, ok)
		}
	}
}
