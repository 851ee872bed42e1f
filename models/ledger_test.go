package models_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// These tests try to break the ledger rules (docs/ledger.md). Every test that
// posts ends with wantSound, which checks rule 2 (and 3) over the whole
// database.

// day0 is a Tuesday, 13:00 in Paris (the signUp zone).
var day0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// loyal is a shop with one active program.
type loyal struct {
	shop
	p *models.Program
}

func newLoyal(t *testing.T, db *gorm.DB, email string, in models.ProgramInput) loyal {
	t.Helper()
	s := newShop(t, db, email)
	return loyal{shop: s, p: createProgram(t, s.db, in)}
}

func enrol(t *testing.T, sdb *gorm.DB, in models.MemberInput, now time.Time) *models.Member {
	t.Helper()
	m, err := models.EnrolMember(sdb, testActor, in, now)
	if err != nil {
		t.Fatalf("enrol %q: %v", in.Name, err)
	}
	return m
}

func enrolNamed(t *testing.T, sdb *gorm.DB, name string) *models.Member {
	t.Helper()
	return enrol(t, sdb, models.MemberInput{Name: name}, day0)
}

// purchase is a purchase input as a confirmed till sends it: these tests
// are about the ledger, the limits have their own.
func purchase(programID, memberID int64, amount, key string) models.PurchaseInput {
	return models.PurchaseInput{ProgramID: programID, MemberID: memberID, Amount: amount, IdempotencyKey: key, ConfirmedLarge: true}
}

// buy records a purchase that must succeed.
func buy(t *testing.T, sdb *gorm.DB, programID, memberID int64, amount, key string, now time.Time) *models.PurchaseResult {
	t.Helper()
	res, err := models.RecordPurchase(sdb, testActor, purchase(programID, memberID, amount, key), now)
	if err != nil {
		t.Fatalf("purchase %s (%s): %v", amount, key, err)
	}
	return res
}

// grant credits (or with a negative amount debits) an account as an owner.
func grant(t *testing.T, sdb *gorm.DB, programID, memberID, amount int64, now time.Time) *models.LedgerEntry {
	t.Helper()
	e, err := models.Adjust(sdb, testActor, models.RoleOwner, models.AdjustInput{
		MemberID: memberID, ProgramID: programID, Amount: fmt.Sprint(amount), Reason: "Goodwill",
	}, now)
	if err != nil {
		t.Fatalf("adjust %+d: %v", amount, err)
	}
	return e
}

// accountOf reads a member's account in a program; the zero Account when
// it was never opened.
func accountOf(t *testing.T, sdb *gorm.DB, programID, memberID int64) models.Account {
	t.Helper()
	var as []models.Account
	if err := sdb.Where("program_id = ? AND member_id = ?", programID, memberID).Find(&as).Error; err != nil {
		t.Fatalf("account: %v", err)
	}
	if len(as) > 1 {
		t.Fatalf("%d accounts for member %d in program %d, want at most 1", len(as), memberID, programID)
	}
	if len(as) == 0 {
		return models.Account{}
	}
	return as[0]
}

func wantBalance(t *testing.T, sdb *gorm.DB, programID, memberID, want int64) {
	t.Helper()
	if got := accountOf(t, sdb, programID, memberID).Balance; got != want {
		t.Errorf("balance = %d, want %d", got, want)
	}
}

// entriesOf lists an account's entries, oldest first.
func entriesOf(t *testing.T, sdb *gorm.DB, accountID int64) []models.LedgerEntry {
	t.Helper()
	var es []models.LedgerEntry
	if err := sdb.Where("account_id = ?", accountID).Order("id").Find(&es).Error; err != nil {
		t.Fatalf("entries: %v", err)
	}
	return es
}

// wantSound checks the ledger rules over every merchant: rule 2 through
// VerifyBalances, and entry by entry that balance_after is the running
// sum of the account's entries; rule 3, that only a refund's clawback
// ever left a balance below zero.
func wantSound(t *testing.T, db *gorm.DB) {
	t.Helper()
	bad, err := models.VerifyBalances(db)
	if err != nil {
		t.Fatalf("verify balances: %v", err)
	}
	for _, b := range bad {
		t.Errorf("rule 2 broken: account %d of merchant %d has balance %d, its ledger sums to %d",
			b.AccountID, b.MerchantID, b.Balance, b.LedgerSum)
	}
	var accounts []models.Account
	if err := models.CrossTenant(db).Find(&accounts).Error; err != nil {
		t.Fatalf("accounts: %v", err)
	}
	var es []models.LedgerEntry
	if err := models.CrossTenant(db).Order("account_id, id").Find(&es).Error; err != nil {
		t.Fatalf("entries: %v", err)
	}
	sums := map[int64]int64{}
	for _, e := range es {
		sums[e.AccountID] += e.Amount
		if e.BalanceAfter != sums[e.AccountID] {
			t.Errorf("entry %d (%s %+d) of account %d: balance_after %d, running sum %d",
				e.ID, e.Kind, e.Amount, e.AccountID, e.BalanceAfter, sums[e.AccountID])
		}
		if e.Amount < 0 && e.Kind != models.KindRefundClawback && e.BalanceAfter < 0 {
			t.Errorf("rule 3 broken: entry %d (%s %+d) left account %d at %d", e.ID, e.Kind, e.Amount, e.AccountID, e.BalanceAfter)
		}
		if e.ActorName == "" {
			t.Errorf("entry %d (%s) names no actor", e.ID, e.Kind)
		}
	}
	for _, a := range accounts {
		if a.Balance != sums[a.ID] {
			t.Errorf("account %d: balance %d, entries sum to %d", a.ID, a.Balance, sums[a.ID])
		}
	}
}

func countWhere(t *testing.T, sdb *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := sdb.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("count %T: %v", model, err)
	}
	return n
}

// Rule 1: the database itself refuses to change or remove an entry, on
// both dialects, whatever the application does.
func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "append@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		e := grant(t, s.db, s.p.ID, ann.ID, 50, day0)

		for _, sql := range []string{
			"UPDATE ledger_entries SET amount = 5000 WHERE id = ?",
			"UPDATE ledger_entries SET reason = 'edited' WHERE id = ?",
			"DELETE FROM ledger_entries WHERE id = ?",
		} {
			if err := db.Exec(sql, e.ID).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", sql, err)
			}
		}
		if err := db.Exec("DELETE FROM ledger_entries").Error; err == nil {
			t.Error("deleting the whole ledger worked")
		}
		// Through GORM as well, even across merchants.
		err := models.CrossTenant(db).Model(&models.LedgerEntry{}).Where("id = ?", e.ID).Update("amount", 1).Error
		if err == nil {
			t.Error("a GORM update of a ledger entry worked")
		}
		if err := models.CrossTenant(db).Delete(&models.LedgerEntry{}, e.ID).Error; err == nil {
			t.Error("a GORM delete of a ledger entry worked")
		}
		got := reload[models.LedgerEntry](t, db, e.ID)
		if got.Amount != 50 || got.Reason != "Goodwill" {
			t.Errorf("entry after the attempts = %+v, want it unchanged", got)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 50)
		wantSound(t, db)
	})
}

// Rule 4 for purchases: a retry returns the first result and credits
// nothing; a key reused for a different purchase is refused.
func TestPurchaseIdempotencyKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "idem@example.com", pointsInput("Points"))
		other := createProgram(t, s.db, pointsInput("Other points"))
		ann := enrolNamed(t, s.db, "Ann")
		bob := enrolNamed(t, s.db, "Bob")

		first := buy(t, s.db, s.p.ID, ann.ID, "12.50", "order-1", day0)
		if first.Replayed || first.Breakdown.Total != 12 || first.Account == nil || first.Account.Balance != 12 {
			t.Fatalf("first = replayed %v, total %d, account %+v; want a fresh credit of 12", first.Replayed, first.Breakdown.Total, first.Account)
		}

		// The same purchase again, even with the key padded, an hour later.
		again, err := models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "12.5", "  order-1 "), day0.Add(time.Hour))
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if !again.Replayed || again.Purchase.ID != first.Purchase.ID || again.Breakdown.Total != 12 ||
			again.Account == nil || again.Account.Balance != 12 {
			t.Errorf("replay = replayed %v, purchase %d, total %d, account %+v; want the first result (purchase %d, 12)",
				again.Replayed, again.Purchase.ID, again.Breakdown.Total, again.Account, first.Purchase.ID)
		}

		// The key used for something else: refused, nothing credited.
		for name, in := range map[string]models.PurchaseInput{
			"another amount":  purchase(s.p.ID, ann.ID, "99.00", "order-1"),
			"another member":  purchase(s.p.ID, bob.ID, "12.50", "order-1"),
			"anonymous":       purchase(s.p.ID, 0, "12.50", "order-1"),
			"another program": purchase(other.ID, ann.ID, "12.50", "order-1"),
		} {
			_, err := models.RecordPurchase(s.db, testActor, in, day0.Add(2*time.Hour))
			if models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s: err = %v, want a conflict", name, err)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 12)
		wantBalance(t, s.db, s.p.ID, bob.ID, 0)
		wantBalance(t, s.db, other.ID, ann.ID, 0)
		if n := countRows(t, db, &models.Purchase{}); n != 1 {
			t.Errorf("%d purchases, want 1", n)
		}
		if n := countRows(t, db, &models.LedgerEntry{}); n != 1 {
			t.Errorf("%d ledger entries, want 1", n)
		}

		// No key, no purchase.
		_, err = models.RecordPurchase(s.db, testActor, purchase(s.p.ID, ann.ID, "5", "  "), day0)
		wantField(t, err, "idempotency_key")

		// An anonymous sale replays too, and credits nobody.
		anon := buy(t, s.db, s.p.ID, 0, "8", "till-7", day0)
		anonAgain := buy(t, s.db, s.p.ID, 0, "8", "till-7", day0)
		if anon.Replayed || !anonAgain.Replayed || anonAgain.Purchase.ID != anon.Purchase.ID || anon.Account != nil {
			t.Errorf("anonymous: first %+v, again %+v", anon, anonAgain)
		}

		// A refused purchase leaves no trace: another merchant's member, a
		// paused program.
		s3 := newLoyal(t, db, "idem3@example.com", pointsInput("Points"))
		dee := enrolNamed(t, s3.db, "Dee")
		for _, amount := range []string{"5", "not a number"} { // not found, whatever the amount
			if _, err := models.RecordPurchase(s.db, testActor, purchase(s.p.ID, dee.ID, amount, "foreign"), day0); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("purchase of %q for another merchant's member: err = %v, want not found", amount, err)
			}
		}
		paused := pointsInput("Paused")
		paused.Status = "paused"
		pp := createProgram(t, s.db, paused)
		if _, err := models.RecordPurchase(s.db, testActor, purchase(pp.ID, ann.ID, "5", "paused"), day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("purchase in a paused program: err = %v, want a conflict", err)
		}
		if n := countWhere(t, s.db, &models.Purchase{}, "idempotency_key IN ?", []string{"foreign", "paused"}); n != 0 {
			t.Errorf("%d refused purchases were recorded", n)
		}

		// Keys belong to a merchant: another one may use order-1.
		s2 := newLoyal(t, db, "idem2@example.com", pointsInput("Points"))
		cy := enrolNamed(t, s2.db, "Cy")
		if res := buy(t, s2.db, s2.p.ID, cy.ID, "3", "order-1", day0); res.Replayed {
			t.Error("another merchant's order-1 was taken for a replay")
		}
		wantBalance(t, s2.db, s2.p.ID, cy.ID, 3)
		wantSound(t, db)
	})
}

// Rule 4 for custom actions: the cap's period is part of the key, so a
// second award in the same period is refused and the next period pays.
func TestAwardActionCaps(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, paris) }
	cases := []struct {
		cap               string
		first, same, next time.Time // next is zero for a cap that never pays again
	}{
		{"once", at(2026, 3, 10, 9, 0), at(2027, 6, 1, 9, 0), time.Time{}},
		{"day", at(2026, 3, 10, 0, 0), at(2026, 3, 10, 23, 59), at(2026, 3, 11, 0, 0)},
		// ISO weeks start on Monday: 9 March 2026 is one.
		{"week", at(2026, 3, 9, 0, 30), at(2026, 3, 15, 23, 59), at(2026, 3, 16, 0, 0)},
		// Paris changes to summer time on 29 March: the month still ends at local midnight.
		{"month", at(2026, 3, 1, 0, 0), at(2026, 3, 31, 23, 59), at(2026, 4, 1, 0, 0)},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "caps@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		var want int64
		for i, c := range cases {
			rule := createRule(t, s.db, s.p.ID, models.EarningRuleInput{
				Kind: "action", Name: "Action " + c.cap, Points: fmt.Sprint(10 * (i + 1)), Cap: c.cap, Active: true,
			})
			e, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", c.first)
			if err != nil {
				t.Fatalf("%s: first award: %v", c.cap, err)
			}
			want += e.Amount
			if _, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", c.first); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s: same moment again: err = %v, want a conflict", c.cap, err)
			}
			if _, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "other-request", c.same); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s: later in the same period (%v): err = %v, want a conflict", c.cap, c.same, err)
			}
			if !c.next.IsZero() {
				e, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", c.next)
				if err != nil {
					t.Errorf("%s: next period (%v): %v", c.cap, c.next, err)
				} else {
					want += e.Amount
				}
				if _, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", c.next.Add(time.Minute)); models.ErrorCode(err) != models.ECONFLICT {
					t.Errorf("%s: next period twice: err = %v, want a conflict", c.cap, err)
				}
			}
			wantBalance(t, s.db, s.p.ID, ann.ID, want)
		}

		// Unlimited: every request pays once, by its key.
		rule := createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Volunteering", Points: "7", Cap: "unlimited", Active: true})
		if _, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, "", day0); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("unlimited without a key: err = %v, want invalid", err)
		}
		for _, k := range []string{"r1", "r2", "r1", "r2", "r3"} {
			_, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, rule.ID, k, day0)
			if err == nil {
				want += 7
			} else if models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("unlimited %s: %v", k, err)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, want)

		// An inactive rule pays nothing.
		off := createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "action", Name: "Old survey", Points: "5", Cap: "once"})
		if _, err := models.AwardAction(s.db, testActor, ann.ID, s.p.ID, off.ID, "", day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("inactive rule: err = %v, want a conflict", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, want)
		wantSound(t, db)
	})
}

// A refund claws back what the purchase earned, in proportion, even below
// zero; the next earnings pay the debt first.
func TestRefundClawback(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "refund@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "80"})

		big := buy(t, s.db, s.p.ID, ann.ID, "100.00", "big", day0)
		if _, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0); err != nil {
			t.Fatalf("redeem: %v", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 20)

		// Refunding everything takes back all 100 earned, though 80 were spent.
		pur, err := models.RefundPurchase(s.db, testActor, big.Purchase.ID, "100", "refund-big", day0.Add(time.Hour))
		if err != nil {
			t.Fatalf("refund: %v", err)
		}
		if pur.RefundedMinor != 10000 || pur.ClawedBack != 100 {
			t.Errorf("purchase after refund: refunded %d, clawed back %d; want 10000, 100", pur.RefundedMinor, pur.ClawedBack)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, -80)

		// A negative balance spends nothing.
		if _, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID}, day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("redeem on a negative balance: err = %v, want a conflict", err)
		}
		_, err = models.Adjust(s.db, testActor, models.RoleOwner, models.AdjustInput{MemberID: ann.ID, ProgramID: s.p.ID, Amount: "-1", Reason: "Correction"}, day0)
		wantField(t, err, "amount")

		// Nothing is left to refund.
		_, err = models.RefundPurchase(s.db, testActor, big.Purchase.ID, "0.01", "refund-big-2", day0)
		wantField(t, err, "amount")

		// The next purchases pay the debt back first.
		buy(t, s.db, s.p.ID, ann.ID, "30", "next-1", day0.Add(2*time.Hour))
		wantBalance(t, s.db, s.p.ID, ann.ID, -50)
		buy(t, s.db, s.p.ID, ann.ID, "70", "next-2", day0.Add(3*time.Hour))
		wantBalance(t, s.db, s.p.ID, ann.ID, 20)

		// A refund above what is left, or of nothing, is refused and writes nothing.
		small := buy(t, s.db, s.p.ID, ann.ID, "10", "small", day0.Add(4*time.Hour))
		if _, err := models.RefundPurchase(s.db, testActor, small.Purchase.ID, "6", "small-r1", day0); err != nil {
			t.Fatal(err)
		}
		for _, amount := range []string{"4.01", "10", "0", "-1", "abc"} {
			_, err := models.RefundPurchase(s.db, testActor, small.Purchase.ID, amount, "small-"+amount, day0)
			wantField(t, err, "amount")
		}
		_, err = models.RefundPurchase(s.db, testActor, small.Purchase.ID, "1", " ", day0)
		wantField(t, err, "idempotency_key")
		if got := reload[models.Purchase](t, db, small.Purchase.ID); got.RefundedMinor != 600 || got.ClawedBack != 6 {
			t.Errorf("small after refused refunds: refunded %d, clawed back %d; want 600, 6", got.RefundedMinor, got.ClawedBack)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 24)

		// Another merchant's purchase cannot be refunded from here.
		s2 := newLoyal(t, db, "refund2@example.com", pointsInput("Points"))
		if _, err := models.RefundPurchase(s2.db, testActor, small.Purchase.ID, "1", "x", day0); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("refund across merchants: err = %v, want not found", err)
		}
		wantSound(t, db)
	})
}

// Partial refunds claw back proportionally and cumulatively: however a
// purchase is refunded in parts, the parts add up to a full refund's.
func TestPartialRefundsAddUpToAFullOne(t *testing.T) {
	t.Parallel()
	cases := []struct {
		amount  string
		refunds []string
		want    []int64 // clawed back by each refund
	}{
		{"15.00", []string{"15.00"}, []int64{15}},
		{"15.00", []string{"7.50", "7.50"}, []int64{7, 8}},
		{"10.00", []string{"3.33", "3.33", "3.34"}, []int64{3, 3, 4}},
		{"10.00", []string{"0.01", "0.01", "9.98"}, []int64{0, 0, 10}},
		{"99.99", []string{"33.33", "33.33", "33.33"}, []int64{33, 33, 33}},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "partial@example.com", pointsInput("Points"))
		createCampaign(t, s.db, s.p.ID, models.CampaignInput{Name: "Bonus", StartsOn: "2026-01-01", EndsOn: "2026-12-31", BonusPoints: "5"})
		ann := enrolNamed(t, s.db, "Ann")
		var balance int64
		for i, c := range cases {
			res := buy(t, s.db, s.p.ID, ann.ID, c.amount, fmt.Sprintf("p%d", i), day0)
			earned := res.Breakdown.Total // the campaign bonus is earned too, and clawed back too
			balance += earned
			var total int64
			for j, r := range c.refunds {
				before := accountOf(t, s.db, s.p.ID, ann.ID).Balance
				if _, err := models.RefundPurchase(s.db, testActor, res.Purchase.ID, r, fmt.Sprintf("p%d-r%d", i, j), day0); err != nil {
					t.Fatalf("case %d refund %s: %v", i, r, err)
				}
				total += before - accountOf(t, s.db, s.p.ID, ann.ID).Balance
			}
			if total != earned {
				t.Errorf("case %d: refunds took %d in all, want the %d earned", i, total, earned)
			}
			if got := reload[models.Purchase](t, db, res.Purchase.ID); got.ClawedBack != earned || got.RefundedMinor != got.AmountMinor {
				t.Errorf("case %d: purchase clawed back %d, refunded %d of %d", i, got.ClawedBack, got.RefundedMinor, got.AmountMinor)
			}
			balance -= total
			wantBalance(t, s.db, s.p.ID, ann.ID, balance)
		}

		// Without a campaign the proportions are exact.
		s2 := newLoyal(t, db, "partial2@example.com", pointsInput("Points"))
		bob := enrolNamed(t, s2.db, "Bob")
		for i, c := range cases {
			res := buy(t, s2.db, s2.p.ID, bob.ID, c.amount, fmt.Sprintf("q%d", i), day0)
			for j, r := range c.refunds {
				before := accountOf(t, s2.db, s2.p.ID, bob.ID).Balance
				if _, err := models.RefundPurchase(s2.db, testActor, res.Purchase.ID, r, fmt.Sprintf("q%d-r%d", i, j), day0); err != nil {
					t.Fatal(err)
				}
				if took := before - accountOf(t, s2.db, s2.p.ID, bob.ID).Balance; took != c.want[j] {
					t.Errorf("case %d refund %d (%s of %s): took %d, want %d", i, j, r, c.amount, took, c.want[j])
				}
			}
		}
		wantBalance(t, s2.db, s2.p.ID, bob.ID, 0)
		wantSound(t, db)
	})
}

// Rule 4 for refunds: a refund's key cannot be used twice, whether or not
// the first refund clawed anything back; and refunds stay exact at the
// largest amounts.
func TestRefundKeyReuseIsRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := pointsInput("Points")
		in.MinPurchase = "5"
		s := newLoyal(t, db, "refundkey@example.com", in)
		ann := enrolNamed(t, s.db, "Ann")
		a := buy(t, s.db, s.p.ID, ann.ID, "40", "a", day0)
		b := buy(t, s.db, s.p.ID, ann.ID, "40", "b", day0)
		tiny := buy(t, s.db, s.p.ID, ann.ID, "4", "tiny", day0) // below the minimum: earns nothing
		anon := buy(t, s.db, s.p.ID, 0, "40", "anon", day0)
		wantBalance(t, s.db, s.p.ID, ann.ID, 80)

		if _, err := models.RefundPurchase(s.db, testActor, a.Purchase.ID, "10", "r1", day0); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 70)
		// The same refund again, and the key on another purchase.
		for name, id := range map[string]int64{"retry": a.Purchase.ID, "other purchase": b.Purchase.ID} {
			if _, err := models.RefundPurchase(s.db, testActor, id, "10", "r1", day0); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s with key r1: err = %v, want a conflict", name, err)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 70)
		if got := reload[models.Purchase](t, db, a.Purchase.ID); got.RefundedMinor != 1000 {
			t.Errorf("a refunded %d, want 1000", got.RefundedMinor)
		}
		if got := reload[models.Purchase](t, db, b.Purchase.ID); got.RefundedMinor != 0 {
			t.Errorf("b refunded %d, want 0", got.RefundedMinor)
		}

		// A full refund retried is told it was recorded, not that nothing is left.
		if _, err := models.RefundPurchase(s.db, testActor, b.Purchase.ID, "40", "r-full", day0); err != nil {
			t.Fatal(err)
		}
		if _, err := models.RefundPurchase(s.db, testActor, b.Purchase.ID, "40", "r-full", day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("full refund retried: err = %v, want a conflict", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 30)

		// Refunds that claw nothing back must not go through twice either.
		for name, id := range map[string]int64{"earned nothing": tiny.Purchase.ID, "anonymous": anon.Purchase.ID} {
			if _, err := models.RefundPurchase(s.db, testActor, id, "1", "zero-"+name, day0); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := models.RefundPurchase(s.db, testActor, id, "1", "zero-"+name, day0); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("%s: refund retried: err = %v, want a conflict", name, err)
			}
			if got := reload[models.Purchase](t, db, id); got.RefundedMinor != 100 {
				t.Errorf("%s: refunded %d after a retried refund of 1.00, want 100", name, got.RefundedMinor)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 30)

		// The largest purchase the form accepts, under the highest limit
		// an owner may set, refunds without overflowing: earned times
		// refunded is beyond 64 bits.
		in = pointsInput("Points")
		in.EarnRate, in.MaxPurchase = "1000", "1000000000"
		s = newLoyal(t, db, "huge@example.com", in)
		ann = enrolNamed(t, s.db, "Ann")
		res := buy(t, s.db, s.p.ID, ann.ID, "1000000000", "huge", day0)
		earned := res.Breakdown.Total
		if earned != 1_000_000_000_000 {
			t.Fatalf("earned %d, want 10^12", earned)
		}
		if _, err := models.RefundPurchase(s.db, testActor, res.Purchase.ID, "500000000", "half", day0); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, earned/2)
		if _, err := models.RefundPurchase(s.db, testActor, res.Purchase.ID, "500000000", "rest", day0); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 0)
		wantSound(t, db)
	})
}

// Rule 6 and the role limits: a manual change names its actor and reason,
// shows in the audit log, stays within the role's limit, and a debit never
// goes below zero.
func TestAdjustLimitsAndAudit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "adjust@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		staff, _ := addUser(t, db, s.m.ID, "staff@example.com", models.RoleStaff, testPassword)
		manager, _ := addUser(t, db, s.m.ID, "manager@example.com", models.RoleManager, testPassword)
		owner := s.owner
		adjust := func(u *models.User, amount, reason, note string) (*models.LedgerEntry, error) {
			return models.Adjust(s.db, models.ActorOf(u), u.Role, models.AdjustInput{
				MemberID: ann.ID, ProgramID: s.p.ID, Amount: amount, Reason: reason, Note: note,
			}, day0)
		}
		var posted []*models.LedgerEntry
		ok := func(u *models.User, amount, reason, note string) {
			t.Helper()
			e, err := adjust(u, amount, reason, note)
			if err != nil {
				t.Fatalf("%s adjusts %s (%s): %v", u.Role, amount, reason, err)
			}
			posted = append(posted, e)
		}
		refused := func(u *models.User, amount, reason, note, field string) {
			t.Helper()
			_, err := adjust(u, amount, reason, note)
			wantField(t, err, field)
		}

		ok(staff, "500", "Goodwill", "")
		ok(staff, "+500", "Missed purchase", "receipt 42")
		ok(staff, "-500", "Correction", "")
		refused(staff, "501", "Goodwill", "", "amount")
		refused(staff, "-501", "Correction", "", "amount")
		ok(manager, "5000", "Complaint", "")
		refused(manager, "5001", "Complaint", "", "amount")
		refused(manager, "-5001", "Complaint", "", "amount")
		ok(owner, "1000000", "Promotion", "")
		ok(owner, "-1000000", "Correction", "")
		refused(owner, "10", "Other", "", "note")
		refused(owner, "10", "Other", "   ", "note")
		ok(owner, "10", "Other", "Birthday cake on the house")
		refused(owner, "10", "", "", "reason")
		refused(owner, "10", "Because", "", "reason")
		refused(owner, "0", "Goodwill", "", "amount")
		refused(owner, "1.5", "Goodwill", "", "amount")
		refused(owner, "", "Goodwill", "", "amount")
		refused(owner, "10", "Goodwill", strings.Repeat("x", 501), "note")
		// 500 + 500 - 500 + 5000 + 10 = 5510: a debit of 5511 would go below zero.
		wantBalance(t, s.db, s.p.ID, ann.ID, 5510)
		refused(owner, "-5511", "Correction", "", "amount")
		ok(owner, "-5510", "Correction", "")
		wantBalance(t, s.db, s.p.ID, ann.ID, 0)

		// A correction points at the entry it corrects, in this member's ledger only.
		bob := enrolNamed(t, s.db, "Bob")
		bobs := grant(t, s.db, s.p.ID, bob.ID, 5, day0)
		_, err := models.Adjust(s.db, testActor, models.RoleOwner, models.AdjustInput{
			MemberID: ann.ID, ProgramID: s.p.ID, Amount: "5", Reason: "Correction", CorrectsID: bobs.ID,
		}, day0)
		wantField(t, err, "corrects_id")
		fix, err := models.Adjust(s.db, testActor, models.RoleOwner, models.AdjustInput{
			MemberID: bob.ID, ProgramID: s.p.ID, Amount: "-5", Reason: "Correction", CorrectsID: bobs.ID,
		}, day0)
		if err != nil || fix.CorrectsID == nil || *fix.CorrectsID != bobs.ID {
			t.Fatalf("correction = %+v, %v; want one pointing at %d", fix, err, bobs.ID)
		}

		// A retried adjustment with its key posts once.
		keyed := models.AdjustInput{MemberID: bob.ID, ProgramID: s.p.ID, Amount: "3", Reason: "Goodwill", IdempotencyKey: "form-1"}
		if _, err := models.Adjust(s.db, testActor, models.RoleOwner, keyed, day0); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Adjust(s.db, testActor, models.RoleOwner, keyed, day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("retried adjustment: err = %v, want a conflict", err)
		}
		wantBalance(t, s.db, s.p.ID, bob.ID, 3)

		// Every adjustment names its actor and reason in the ledger and the audit log.
		audit := auditLog(t, s.db, models.AuditFilter{EntityType: "adjustment"})
		if len(audit) != len(posted)+3 {
			t.Fatalf("%d adjustments in the audit log, want %d", len(audit), len(posted)+3)
		}
		byEntity := map[int64]models.AuditEntry{}
		for _, a := range audit {
			byEntity[a.EntityID] = a
		}
		for _, e := range posted {
			got := reload[models.LedgerEntry](t, db, e.ID)
			a, found := byEntity[e.ID]
			if !found {
				t.Errorf("adjustment %d (%+d %s) is not in the audit log", e.ID, e.Amount, e.Reason)
				continue
			}
			if got.ActorUserID == nil || a.ActorID == nil || *got.ActorUserID != *a.ActorID || got.ActorName != a.ActorName || got.ActorName == "" {
				t.Errorf("adjustment %d: ledger actor %v %q, audit actor %v %q; want the same named user", e.ID, got.ActorUserID, got.ActorName, a.ActorID, a.ActorName)
			}
			if got.Reason == "" || !strings.Contains(a.Summary, got.Reason) || a.Action != models.AuditCreate {
				t.Errorf("adjustment %d: reason %q, audit %s %q", e.ID, got.Reason, a.Action, a.Summary)
			}
		}
		if got := reload[models.LedgerEntry](t, db, posted[len(posted)-2].ID); got.Note != "Birthday cake on the house" {
			t.Errorf("note = %q", got.Note)
		}

		// A blocked member's balance is not adjusted.
		if _, err := models.SetMemberBlocked(s.db, testActor, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Adjust(s.db, testActor, models.RoleOwner, models.AdjustInput{MemberID: bob.ID, ProgramID: s.p.ID, Amount: "3", Reason: "Goodwill"}, day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("adjusting a blocked member: err = %v, want a conflict", err)
		}
		wantSound(t, db)
	})
}

// Vouchers: a cancelled one gives its units and stock back once; a used
// one cannot be cancelled; blocked members redeem nothing.
func TestVoucherLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "voucher@example.com", pointsInput("Points"))
		ann := enrolNamed(t, s.db, "Ann")
		reward := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Mug", Type: "free_item", Cost: "30", Stock: "5", PerMemberLimit: "2"})
		grant(t, s.db, s.p.ID, ann.ID, 100, day0)
		redeem := func(r *models.Reward) (*models.Voucher, error) {
			return models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: r.ID}, day0)
		}
		v1, err := redeem(reward)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := redeem(reward)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(reward); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("third redemption with a per-member limit of 2: err = %v, want a conflict", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 40)

		if _, err := models.MarkVoucherUsed(s.db, testActor, v1.ID, day0); err != nil {
			t.Fatal(err)
		}
		if _, err := models.CancelVoucher(s.db, testActor, v1.ID, day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("cancel a used voucher: err = %v, want a conflict", err)
		}
		if _, err := models.CancelVoucher(s.db, testActor, v2.ID, day0); err != nil {
			t.Fatal(err)
		}
		for _, f := range []func() error{
			func() error { _, err := models.CancelVoucher(s.db, testActor, v2.ID, day0); return err },
			func() error { _, err := models.MarkVoucherUsed(s.db, testActor, v2.ID, day0); return err },
		} {
			if err := f(); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("a cancelled voucher again: err = %v, want a conflict", err)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 70)
		if got := reload[models.Reward](t, db, reward.ID); got.Stock == nil || *got.Stock != 4 {
			t.Errorf("stock after a cancel = %v, want 4", got.Stock)
		}
		es := entriesOf(t, s.db, accountOf(t, s.db, s.p.ID, ann.ID).ID)
		if last := es[len(es)-1]; last.Kind != models.KindRedemptionCancel || last.CorrectsID == nil || last.Amount != 30 ||
			last.VoucherID == nil || *last.VoucherID != v2.ID {
			t.Errorf("cancel entry = %+v, want +30 correcting the redemption of voucher %d", last, v2.ID)
		}

		// The limit counts what was not cancelled: one more may be had.
		v3, err := redeem(reward)
		if err != nil {
			t.Fatalf("redeem after a cancel freed the limit: %v", err)
		}
		// A voucher past its lifetime cannot be used.
		if _, err := models.MarkVoucherUsed(s.db, testActor, v3.ID, day0.Add(models.VoucherLifetime)); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("use an expired voucher: err = %v, want a conflict", err)
		}
		// A redemption retried with its key is refused and takes nothing twice.
		keyed := models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: reward.ID, IdempotencyKey: "form-9"}
		grant(t, s.db, s.p.ID, ann.ID, 30, day0)
		if _, err := models.CancelVoucher(s.db, testActor, v3.ID, day0); err != nil {
			t.Fatal(err)
		}
		before, stockBefore := accountOf(t, s.db, s.p.ID, ann.ID).Balance, *reload[models.Reward](t, db, reward.ID).Stock
		first, err := models.Redeem(s.db, testActor, keyed, day0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.Redeem(s.db, testActor, keyed, day0); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("redemption retried: err = %v, want a conflict", err)
		}
		if found, err := models.RedeemedWith(s.db, "form-9"); err != nil || found == nil || found.ID != first.ID {
			t.Errorf("RedeemedWith = %v, %v; want voucher %d", found, err, first.ID)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, before-30)
		if got := *reload[models.Reward](t, db, reward.ID).Stock; got != stockBefore-1 {
			t.Errorf("stock = %d after a retried redemption, want %d", got, stockBefore-1)
		}
		if n := countWhere(t, s.db, &models.Voucher{}, "member_id = ? AND status = ?", ann.ID, models.VoucherIssued); n != 1 {
			t.Errorf("%d issued vouchers, want 1", n)
		}
		v3 = first

		// Out of stock is out of stock.
		poster := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Poster", Type: "free_item", Cost: "1", Stock: "1"})
		if _, err := redeem(poster); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(poster); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("redeem out of stock: err = %v, want a conflict", err)
		}
		// More than the balance is refused.
		dear := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Bike", Type: "free_item", Cost: "70"})
		if _, err := redeem(dear); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("redeem above the balance: err = %v, want a conflict", err)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 69)

		// Another program's reward, another merchant's voucher: not found.
		other := createProgram(t, s.db, pointsInput("Other"))
		if _, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: other.ID, RewardID: reward.ID}, day0); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("redeem a reward through another program: err = %v, want not found", err)
		}
		s2 := newLoyal(t, db, "voucher2@example.com", pointsInput("Points"))
		for name, f := range map[string]func() error{
			"cancel": func() error { _, err := models.CancelVoucher(s2.db, testActor, v3.ID, day0); return err },
			"use":    func() error { _, err := models.MarkVoucherUsed(s2.db, testActor, v3.ID, day0); return err },
			"redeem": func() error {
				_, err := models.Redeem(s2.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s2.p.ID, RewardID: reward.ID}, day0)
				return err
			},
		} {
			if err := f(); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("%s from another merchant: err = %v, want not found", name, err)
			}
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 69)

		wantSound(t, db)
	})
}

// A full stamp card issues its reward and takes its stamps; cancelling the
// voucher gives the stamps back.
func TestStampCardsOnTheLedger(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "stamps@example.com", stampsInput("Stamps"))
		coffee := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Coffee", Type: "free_item", Cost: "1"})
		in := s.p.FormInput("EUR")
		in.StampsPerCard, in.CardRewardID = "3", itoa(coffee.ID)
		p, err := models.UpdateProgram(s.db, testActor, s.p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		ann := enrolNamed(t, s.db, "Ann")
		var vouchers []models.Voucher
		for i := range 7 {
			res := buy(t, s.db, p.ID, ann.ID, "4", fmt.Sprintf("s%d", i), day0)
			vouchers = append(vouchers, res.Vouchers...)
		}
		if len(vouchers) != 2 {
			t.Fatalf("%d vouchers after 7 stamps on cards of 3, want 2", len(vouchers))
		}
		wantBalance(t, s.db, p.ID, ann.ID, 1)
		if _, err := models.CancelVoucher(s.db, testActor, vouchers[0].ID, day0); err != nil {
			t.Fatal(err)
		}
		wantBalance(t, s.db, p.ID, ann.ID, 4)

		// A purchase replayed after it filled a card does not fill it again.
		bob := enrolNamed(t, s.db, "Bob")
		buy(t, s.db, p.ID, bob.ID, "4", "b1", day0)
		buy(t, s.db, p.ID, bob.ID, "4", "b2", day0)
		full := buy(t, s.db, p.ID, bob.ID, "4", "b3", day0)
		again := buy(t, s.db, p.ID, bob.ID, "4", "b3", day0)
		if len(full.Vouchers) != 1 || !again.Replayed || len(again.Vouchers) != 0 {
			t.Errorf("full card: %d vouchers; replay: replayed %v, %d vouchers", len(full.Vouchers), again.Replayed, len(again.Vouchers))
		}
		if n := countWhere(t, s.db, &models.Voucher{}, "member_id = ?", bob.ID); n != 1 {
			t.Errorf("%d vouchers for bob, want 1", n)
		}
		wantBalance(t, s.db, p.ID, bob.ID, 0)
		wantSound(t, db)
	})
}

// tierOf names an account's tier, "" for none.
func tierOf(t *testing.T, sdb *gorm.DB, programID, memberID int64) string {
	t.Helper()
	a := accountOf(t, sdb, programID, memberID)
	if a.TierID == nil {
		return ""
	}
	tier, err := models.GetTier(sdb, programID, *a.TierID)
	if err != nil {
		t.Fatal(err)
	}
	return tier.Name
}

// tierHistory lists an account's tier changes as "from>to:reason".
func tierHistory(t *testing.T, sdb *gorm.DB, programID, memberID int64) []string {
	t.Helper()
	a := accountOf(t, sdb, programID, memberID)
	var cs []models.TierChange
	if err := sdb.Where("account_id = ?", a.ID).Order("id").Find(&cs).Error; err != nil {
		t.Fatal(err)
	}
	names := map[int64]string{}
	ts, err := models.ListTiers(sdb, programID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tier := range ts {
		names[tier.ID] = tier.Name
	}
	name := func(id *int64) string {
		if id == nil {
			return "-"
		}
		return names[*id]
	}
	var out []string
	for _, c := range cs {
		out = append(out, name(c.FromTierID)+">"+name(c.ToTierID)+":"+c.Reason)
	}
	return out
}

func wantTier(t *testing.T, sdb *gorm.DB, programID, memberID int64, want string) {
	t.Helper()
	if got := tierOf(t, sdb, programID, memberID); got != want {
		t.Errorf("tier = %q, want %q", got, want)
	}
}

// Promotion happens at exactly the threshold, not below, and a campaign's
// bonus counts as earned.
func TestTierPromotionAtTheThreshold(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "tiers@example.com", pointsInput("Points"))
		ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 100, 500})
		ann := enrolNamed(t, s.db, "Ann")
		buy(t, s.db, s.p.ID, ann.ID, "99.99", "p1", day0)
		wantTier(t, s.db, s.p.ID, ann.ID, "Bronze")
		grant(t, s.db, s.p.ID, ann.ID, 1, day0)
		wantTier(t, s.db, s.p.ID, ann.ID, "Silver")

		// Spending does not undo what was earned; a campaign bonus counts.
		grant(t, s.db, s.p.ID, ann.ID, -100, day0)
		createCampaign(t, s.db, s.p.ID, models.CampaignInput{Name: "Launch", StartsOn: "2026-03-10", EndsOn: "2026-03-10", BonusPoints: "399"})
		buy(t, s.db, s.p.ID, ann.ID, "0.99", "p2", day0) // 0 points + 399 bonus: 499 earned
		wantTier(t, s.db, s.p.ID, ann.ID, "Silver")
		res := buy(t, s.db, s.p.ID, ann.ID, "0.50", "p3", day0.Add(time.Hour)) // + 399: 898
		wantTier(t, s.db, s.p.ID, ann.ID, "Gold")
		if res.Breakdown.Bonus != 399 {
			t.Errorf("bonus = %d, want 399", res.Breakdown.Bonus)
		}
		want := []string{"->Bronze:promoted", "Bronze>Silver:promoted", "Silver>Gold:promoted"}
		if got := tierHistory(t, s.db, s.p.ID, ann.ID); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("tier history = %v, want %v", got, want)
		}

		// The tier multiplies later purchases.
		gold := accountOf(t, s.db, s.p.ID, ann.ID)
		tiers, _ := models.ListTiers(s.db, s.p.ID)
		in := tiers[2].FormInput(s.p, "EUR")
		in.EarnMultiplier = "2"
		if _, err := models.UpdateTier(s.db, testActor, s.p.ID, tiers[2].ID, in); err != nil {
			t.Fatal(err)
		}
		res = buy(t, s.db, s.p.ID, ann.ID, "10", "p4", day0.AddDate(0, 0, 1))
		if res.Breakdown.Total != 20 {
			t.Errorf("Gold earns %d on 10 EUR, want 20", res.Breakdown.Total)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, gold.Balance+20)
		wantSound(t, db)
	})
}

// On the spend metric the purchase being recorded counts towards its own
// promotion, even one that earns nothing.
func TestTierPromotionBySpend(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := pointsInput("Points")
		in.TierMetric, in.MinPurchase = "spend", "5"
		s := newLoyal(t, db, "spend@example.com", in)
		createTier(t, s.db, s.p.ID, tierInput("Member", 1, 0))
		createTier(t, s.db, s.p.ID, models.TierInput{Name: "Silver", Position: "2", Threshold: "50"})
		createTier(t, s.db, s.p.ID, models.TierInput{Name: "Gold", Position: "3", Threshold: "100"})
		ann := enrolNamed(t, s.db, "Ann")
		buy(t, s.db, s.p.ID, ann.ID, "49.99", "p1", day0)
		wantTier(t, s.db, s.p.ID, ann.ID, "Member")
		buy(t, s.db, s.p.ID, ann.ID, "0.01", "p2", day0) // earns nothing, below the minimum
		wantTier(t, s.db, s.p.ID, ann.ID, "Silver")
		buy(t, s.db, s.p.ID, ann.ID, "50", "p3", day0)
		wantTier(t, s.db, s.p.ID, ann.ID, "Gold")
		wantSound(t, db)
	})
}

// Downgrades follow the program's policy, run by the daily job at chosen
// moments.
func TestTierDowngrade(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	local := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, paris) }
	type step struct {
		at   time.Time
		earn int64  // earned at that moment, before the daily job runs
		want string // the tier after the daily job
	}
	cases := []struct {
		name, window, policy, grace string
		steps                       []step
	}{
		{"calendar year, end of window", "calendar_year", "end_of_window", "", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2026, 12, 31), 0, "Silver"},
			// 2026 reached Silver: it holds through 2027.
			{local(2027, 1, 1), 0, "Silver"},
			{local(2027, 12, 31), 0, "Silver"},
			// 2027 did not: down when it ends.
			{local(2028, 1, 1), 0, "Bronze"},
		}},
		{"calendar year, promoted on the last day", "calendar_year", "end_of_window", "", []step{
			{local(2026, 12, 31), 100, "Silver"},
			{local(2027, 1, 1), 0, "Silver"},
			{local(2027, 6, 1), 0, "Silver"},
		}},
		{"calendar year, requalified", "calendar_year", "end_of_window", "", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2027, 11, 1), 100, "Silver"},
			{local(2028, 1, 1), 0, "Silver"},
			{local(2029, 1, 1), 0, "Bronze"},
		}},
		{"calendar year, grace", "calendar_year", "grace", "30", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2028, 1, 1), 0, "Silver"},
			{local(2028, 1, 30), 0, "Silver"},
			{local(2028, 1, 31), 0, "Bronze"},
		}},
		{"calendar year, requalified in the grace", "calendar_year", "grace", "30", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2028, 1, 20), 100, "Silver"},
			{local(2028, 3, 1), 0, "Silver"},
		}},
		{"rolling, end of window", "rolling_12_months", "end_of_window", "", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2027, 6, 1), 0, "Silver"},
			{local(2027, 6, 2), 0, "Bronze"},
		}},
		{"rolling, kept up", "rolling_12_months", "end_of_window", "", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2027, 3, 1), 100, "Silver"},
			{local(2027, 6, 2), 0, "Silver"},
			{local(2028, 3, 1), 0, "Silver"},
			{local(2028, 3, 2), 0, "Bronze"},
		}},
		{"rolling, grace", "rolling_12_months", "grace", "10", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2027, 3, 1), 100, "Silver"},
			// The last 12 months fall short from 2 March 2028: ten days later, down.
			{local(2028, 3, 2), 0, "Silver"},
			{local(2028, 3, 11), 0, "Silver"},
			{local(2028, 3, 12), 0, "Bronze"},
		}},
		{"never", "calendar_year", "never", "", []step{
			{local(2026, 6, 1), 100, "Silver"},
			{local(2030, 1, 1), 0, "Silver"},
		}},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		// A program per case, archived once checked, so later daily runs
		// leave it alone.
		shop := newShop(t, db, "down@example.com")
		for i, c := range cases {
			in := pointsInput(fmt.Sprintf("Points %d", i))
			in.TierWindow, in.DowngradePolicy, in.DowngradeGraceDays = c.window, c.policy, c.grace
			s := loyal{shop: shop, p: createProgram(t, shop.db, in)}
			ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver"}, []int{0, 100})
			ann := enrol(t, s.db, models.MemberInput{Name: "Ann"}, local(2026, 1, 1))
			bob := enrol(t, s.db, models.MemberInput{Name: "Bob"}, local(2026, 1, 1))
			var changes int
			for _, st := range c.steps {
				if st.earn > 0 {
					grant(t, s.db, s.p.ID, ann.ID, st.earn, st.at)
				}
				if _, err := models.RunDaily(db, st.at); err != nil {
					t.Fatalf("%s: daily at %v: %v", c.name, st.at, err)
				}
				if got := tierOf(t, s.db, s.p.ID, ann.ID); got != st.want {
					t.Errorf("%s: tier on %s = %q, want %q", c.name, st.at.Format("2006-01-02"), got, st.want)
				}
				// Running the job again at the same moment changes nothing.
				before := len(tierHistory(t, s.db, s.p.ID, ann.ID))
				if _, err := models.RunDaily(db, st.at); err != nil {
					t.Fatal(err)
				}
				if after := len(tierHistory(t, s.db, s.p.ID, ann.ID)); after != before {
					t.Errorf("%s: a second run on %s changed tiers", c.name, st.at.Format("2006-01-02"))
				}
				changes = before
			}
			// The history explains every step, downgrades included.
			hist := tierHistory(t, s.db, s.p.ID, ann.ID)
			if len(hist) != changes || len(hist) == 0 || hist[0] != "->Silver:promoted" {
				t.Errorf("%s: history %v", c.name, hist)
			}
			if last := c.steps[len(c.steps)-1]; last.want == "Bronze" && hist[len(hist)-1] != "Silver>Bronze:downgraded" {
				t.Errorf("%s: history %v, want it to end with the downgrade", c.name, hist)
			}
			// Someone who never earned has no tier to lose.
			if got := tierOf(t, s.db, s.p.ID, bob.ID); got != "" {
				t.Errorf("%s: bob's tier = %q", c.name, got)
			}
			retire(t, s)
		}

		// A paid tier is never taken away by the daily job.
		{
			in := pointsInput("Points")
			in.TierWindow, in.DowngradePolicy = "calendar_year", "end_of_window"
			s := newLoyal(t, db, "paid@example.com", in)
			ladder(t, s.db, s.p.ID, []string{"Bronze", "Silver"}, []int{0, 100})
			club := createTier(t, s.db, s.p.ID, models.TierInput{Name: "Club", Position: "3", Paid: true, Fee: "20", PeriodMonths: "12"})
			ann := enrolNamed(t, s.db, "Ann")
			grant(t, s.db, s.p.ID, ann.ID, 5, day0)
			a := accountOf(t, s.db, s.p.ID, ann.ID)
			if err := models.CrossTenant(db).Model(&a).Updates(map[string]any{"tier_id": club.ID, "tier_since": day0.AddDate(-3, 0, 0)}).Error; err != nil {
				t.Fatal(err)
			}
			grant(t, s.db, s.p.ID, ann.ID, 500, day0)
			if _, err := models.RunDaily(db, day0.AddDate(2, 0, 0)); err != nil {
				t.Fatal(err)
			}
			wantTier(t, s.db, s.p.ID, ann.ID, "Club")
		}

		// Windows compare instants, whatever zone the clock reads in:
		// SQLite compares stored times as text, so they must all be
		// stored alike.
		{
			// Calendar year on spend: 00:30 on 1 January in Paris is 2026,
			// though it is still 2025 in UTC.
			in := pointsInput("Points")
			in.TierMetric, in.TierWindow, in.DowngradePolicy = "spend", "calendar_year", "end_of_window"
			s := newLoyal(t, db, "zones@example.com", in)
			createTier(t, s.db, s.p.ID, tierInput("Member", 1, 0))
			createTier(t, s.db, s.p.ID, models.TierInput{Name: "Silver", Position: "2", Threshold: "50"})
			ann := enrolNamed(t, s.db, "Ann")
			newYear := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)
			buy(t, s.db, s.p.ID, ann.ID, "30", "old-year", newYear.Add(-time.Hour)) // 23:30 in Paris: 2025
			buy(t, s.db, s.p.ID, ann.ID, "30", "new-year", newYear)                 // 00:30 in Paris: 2026
			wantTier(t, s.db, s.p.ID, ann.ID, "Member")
			buy(t, s.db, s.p.ID, ann.ID, "20", "new-year-2", newYear.Add(time.Hour).In(paris))
			wantTier(t, s.db, s.p.ID, ann.ID, "Silver")

			// Rolling window, earned on a Paris clock, judged on a UTC one:
			// twelve months and half an hour later, it no longer counts.
			in = pointsInput("Points")
			in.TierWindow, in.DowngradePolicy = "rolling_12_months", "end_of_window"
			s2 := newLoyal(t, db, "zones2@example.com", in)
			ladder(t, s2.db, s2.p.ID, []string{"Bronze", "Silver"}, []int{0, 100})
			bob := enrolNamed(t, s2.db, "Bob")
			grant(t, s2.db, s2.p.ID, bob.ID, 100, time.Date(2026, 6, 1, 12, 0, 0, 0, paris)) // 10:00 UTC
			if _, err := models.RunDaily(db, time.Date(2027, 6, 1, 9, 30, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			wantTier(t, s2.db, s2.p.ID, bob.ID, "Silver")
			if _, err := models.RunDaily(db, time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			wantTier(t, s2.db, s2.p.ID, bob.ID, "Bronze")
		}
		wantSound(t, db)
	})
}

// The birthday treat pays once a year, inside its window, to members who
// did not just change their birthday and are not blocked.
func TestBirthdayTreat(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	local := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, paris) }
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "birthday@example.com", pointsInput("Points"))
		createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "birthday", Points: "25", WindowDays: "7", Active: true})
		enrolled := local(2025, 1, 1, 12)
		ann := enrol(t, s.db, models.MemberInput{Name: "Ann", Birthday: "1990-03-10"}, enrolled)
		dec := enrol(t, s.db, models.MemberInput{Name: "Dec", Birthday: "1985-12-30"}, enrolled)
		leap := enrol(t, s.db, models.MemberInput{Name: "Leap", Birthday: "2000-02-29"}, enrolled)
		blocked := enrol(t, s.db, models.MemberInput{Name: "Blocked", Birthday: "1990-03-10"}, enrolled)
		if _, err := models.SetMemberBlocked(s.db, testActor, blocked.ID, true); err != nil {
			t.Fatal(err)
		}
		moved := enrol(t, s.db, models.MemberInput{Name: "Moved", Birthday: "1990-07-01"}, enrolled)
		none := enrol(t, s.db, models.MemberInput{Name: "None"}, enrolled)

		paid := map[int64]int64{}
		run := func(at time.Time, want map[*models.Member]bool) {
			t.Helper()
			if _, err := models.RunDaily(db, at); err != nil {
				t.Fatalf("daily at %v: %v", at, err)
			}
			for _, m := range []*models.Member{ann, dec, leap, blocked, moved, none} {
				if want[m] {
					paid[m.ID] += 25
				}
				if got := accountOf(t, s.db, s.p.ID, m.ID).Balance; got != paid[m.ID] {
					t.Errorf("after the run of %s: %s has %d, want %d", at.Format("2006-01-02 15:04"), m.Name, got, paid[m.ID])
				}
			}
		}
		run(local(2026, 3, 9, 23), nil)                                // the day before, late in Paris
		run(local(2026, 3, 10, 0), map[*models.Member]bool{ann: true}) // midnight in Paris, 23:00 UTC the day before
		run(local(2026, 3, 10, 18), nil)                               // the same day again
		run(local(2026, 3, 17, 12), nil)                               // the last day of the window, paid already
		// Edited 20 days before the birthday: no treat this year.
		if _, err := models.UpdateMember(s.db, testActor, moved.ID, models.MemberInput{Name: "Moved", Birthday: "1990-06-20"}, local(2026, 5, 31, 12)); err != nil {
			t.Fatal(err)
		}
		run(local(2026, 6, 20, 12), nil)
		run(local(2026, 6, 27, 12), nil)
		// The window of Dec's birthday crosses the new year: paid once for it.
		run(local(2026, 12, 29, 12), nil)
		run(local(2026, 12, 30, 12), map[*models.Member]bool{dec: true})
		run(local(2027, 1, 2, 12), nil)
		run(local(2027, 1, 6, 12), nil)
		// 2027 has no 29 February: the leap-day birthday is on the 28th.
		run(local(2027, 2, 28, 12), map[*models.Member]bool{leap: true})
		run(local(2027, 3, 1, 12), nil)
		// A year later, again, once; outside the window, never.
		run(local(2027, 3, 18, 12), nil) // eight days after: outside a 7-day window
		run(local(2027, 6, 20, 12), map[*models.Member]bool{moved: true})
		run(local(2027, 12, 31, 12), map[*models.Member]bool{dec: true})
		run(local(2028, 1, 5, 12), nil)
		run(local(2028, 2, 29, 12), map[*models.Member]bool{leap: true})
		run(local(2028, 3, 10, 12), map[*models.Member]bool{ann: true})
		wantSound(t, db)
	})
}

// The referral pays both sides once, on the referred member's first
// qualifying purchase.
func TestReferral(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "referral@example.com", pointsInput("Points"))
		createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "referral", Points: "100", ReferredPoints: "50", MinPurchase: "20", Active: true})
		ann := enrol(t, s.db, models.MemberInput{Name: "Ann", Email: "ann@example.com", Phone: "+33 6 12 34 56 78"}, day0)

		// Nobody refers themselves, by email or by phone.
		for _, in := range []models.MemberInput{
			{Name: "Ann again", Email: "ANN@example.com ", ReferralCode: ann.CardCode},
			{Name: "Ann's phone", Phone: "0033612345678", ReferralCode: strings.ToLower(models.FormatCardCode(ann.CardCode))},
		} {
			_, err := models.EnrolMember(s.db, testActor, in, day0)
			wantField(t, err, "referral_code")
		}
		_, err := models.EnrolMember(s.db, testActor, models.MemberInput{Name: "Nobody's friend", ReferralCode: "ZZZZ-ZZZZ"}, day0)
		wantField(t, err, "referral_code")
		if n := countRows(t, db, &models.Member{}); n != 1 {
			t.Fatalf("%d members after refused enrolments, want 1", n)
		}

		bob := enrol(t, s.db, models.MemberInput{Name: "Bob", Email: "bob@example.com", ReferralCode: models.FormatCardCode(ann.CardCode)}, day0)
		if bob.ReferredByID == nil || *bob.ReferredByID != ann.ID {
			t.Fatalf("bob referred by %v, want %d", bob.ReferredByID, ann.ID)
		}
		buy(t, s.db, s.p.ID, bob.ID, "5", "b1", day0) // below the minimum: no referral yet
		wantBalance(t, s.db, s.p.ID, ann.ID, 0)
		wantBalance(t, s.db, s.p.ID, bob.ID, 5)
		buy(t, s.db, s.p.ID, bob.ID, "20", "b2", day0) // the first qualifying purchase
		wantBalance(t, s.db, s.p.ID, ann.ID, 100)
		wantBalance(t, s.db, s.p.ID, bob.ID, 5+20+50)
		buy(t, s.db, s.p.ID, bob.ID, "40", "b3", day0)
		buy(t, s.db, s.p.ID, bob.ID, "20", "b2", day0) // a replay
		wantBalance(t, s.db, s.p.ID, ann.ID, 100)
		wantBalance(t, s.db, s.p.ID, bob.ID, 5+20+50+40)

		// The receipt of a purchase shows its balance with the referral welcome.
		cy := enrol(t, s.db, models.MemberInput{Name: "Cy", ReferralCode: ann.CardCode}, day0)
		res := buy(t, s.db, s.p.ID, cy.ID, "30", "c1", day0)
		if res.Account == nil || res.Account.Balance != 80 {
			t.Errorf("cy's purchase result shows account %+v, want a balance of 80", res.Account)
		}
		wantBalance(t, s.db, s.p.ID, ann.ID, 200)
		wantSound(t, db)
	})
}
