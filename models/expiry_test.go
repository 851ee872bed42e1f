package models_test

import (
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Ledger rule 5 (docs/ledger.md): points are spent first-in, first-out, and what expires is what
// was earned before the expiry date and not yet spent or expired.

func on(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// expiryStep is one thing that happens to a member's account.
type expiryStep struct {
	at     time.Time
	do     string // earn, buy, spend, redeem, cancel, refund, daily, policy, soon
	amount int64  // earn/buy/spend/redeem: units; daily: what must expire; refund: the purchase's index
	ref    int    // cancel: the redemption's index
	policy string // policy: "never", "after_earning 12", "inactivity 6"…
	soon   []models.Expiring
}

func earnAt(at time.Time, n int64) expiryStep   { return expiryStep{at: at, do: "earn", amount: n} }
func buyAt(at time.Time, n int64) expiryStep    { return expiryStep{at: at, do: "buy", amount: n} }
func spendAt(at time.Time, n int64) expiryStep  { return expiryStep{at: at, do: "spend", amount: n} }
func redeemAt(at time.Time, n int64) expiryStep { return expiryStep{at: at, do: "redeem", amount: n} }
func cancelAt(at time.Time, redemption int) expiryStep {
	return expiryStep{at: at, do: "cancel", ref: redemption}
}
func refundAt(at time.Time, purchase int) expiryStep {
	return expiryStep{at: at, do: "refund", ref: purchase}
}
func dailyAt(at time.Time, expires int64) expiryStep {
	return expiryStep{at: at, do: "daily", amount: expires}
}
func policyAt(at time.Time, policy string) expiryStep {
	return expiryStep{at: at, do: "policy", policy: policy}
}
func soonAt(at time.Time, want ...models.Expiring) expiryStep {
	return expiryStep{at: at, do: "soon", soon: want}
}

func lapse(n int64, on time.Time) models.Expiring { return models.Expiring{Amount: n, On: on} }

func TestExpiryFirstInFirstOut(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		policy  string
		steps   []expiryStep
		balance int64
	}{
		{"the unspent part of the oldest earning expires first", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			earnAt(on(2025, 6, 10), 50),
			spendAt(on(2025, 7, 1), 30),
			soonAt(on(2025, 12, 1), lapse(70, on(2026, 1, 10)), lapse(50, on(2026, 6, 10))),
			dailyAt(on(2026, 1, 9), 0),
			dailyAt(on(2026, 1, 10), 70),
			soonAt(on(2026, 1, 10), lapse(50, on(2026, 6, 10))),
			dailyAt(on(2026, 6, 9), 0),
			dailyAt(on(2026, 6, 10), 50),
			soonAt(on(2026, 6, 10)),
		}, 0},
		{"a spend larger than the oldest earning eats into the next", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			earnAt(on(2025, 6, 10), 50),
			spendAt(on(2025, 7, 1), 120),
			soonAt(on(2025, 7, 1), lapse(30, on(2026, 6, 10))),
			dailyAt(on(2026, 1, 10), 0),
			dailyAt(on(2026, 6, 10), 30),
		}, 0},
		{"spent before a later earning, still from the oldest", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			spendAt(on(2025, 3, 1), 40),
			earnAt(on(2025, 6, 10), 50),
			redeemAt(on(2025, 7, 1), 20),
			dailyAt(on(2026, 1, 10), 40),
			earnAt(on(2026, 2, 1), 10),
			dailyAt(on(2026, 6, 10), 50),
			soonAt(on(2026, 6, 10), lapse(10, on(2027, 2, 1))),
		}, 10},
		{"a cancelled redemption gives its units back to their earnings", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			redeemAt(on(2025, 2, 1), 100),
			earnAt(on(2025, 6, 10), 50),
			soonAt(on(2025, 6, 10), lapse(50, on(2026, 6, 10))),
			cancelAt(on(2025, 7, 1), 0),
			soonAt(on(2025, 7, 1), lapse(100, on(2026, 1, 10)), lapse(50, on(2026, 6, 10))),
			dailyAt(on(2026, 1, 10), 100),
			dailyAt(on(2026, 6, 10), 50),
		}, 0},
		{"units given back after their date expire at the next run", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			redeemAt(on(2025, 12, 1), 60),
			dailyAt(on(2026, 1, 10), 40),
			cancelAt(on(2026, 2, 1), 0),
			dailyAt(on(2026, 2, 1), 60),
			dailyAt(on(2026, 2, 2), 0),
		}, 0},
		{"a cancel gives back what its redemption took, not what a later one did", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			earnAt(on(2025, 2, 10), 100),
			redeemAt(on(2025, 3, 1), 100), // the January units
			redeemAt(on(2025, 4, 1), 50),  // half the February ones
			cancelAt(on(2025, 5, 1), 0),
			soonAt(on(2025, 5, 1), lapse(100, on(2026, 1, 10)), lapse(50, on(2026, 2, 10))),
			dailyAt(on(2026, 1, 10), 100),
			dailyAt(on(2026, 2, 10), 50),
		}, 0},
		{"units earned while nothing expired never expire", "never", []expiryStep{
			earnAt(on(2025, 1, 10), 100),
			policyAt(on(2025, 2, 1), "after_earning 12"),
			earnAt(on(2025, 3, 1), 50),
			soonAt(on(2025, 3, 1), lapse(50, on(2026, 3, 1))),
			dailyAt(on(2026, 3, 1), 50),
			dailyAt(on(2026, 3, 2), 0),
			dailyAt(on(2027, 3, 2), 0),
			spendAt(on(2027, 3, 3), 100),
		}, 0},
		{"a shorter policy: each earning keeps its own date", "after_earning 12", []expiryStep{
			earnAt(on(2025, 1, 10), 100), // until 10 January 2026
			policyAt(on(2025, 2, 1), "after_earning 6"),
			earnAt(on(2025, 3, 1), 100), // until 1 September 2025
			spendAt(on(2025, 4, 1), 30), // from January's, the oldest
			dailyAt(on(2025, 9, 1), 100),
			dailyAt(on(2025, 9, 2), 0),
			soonAt(on(2025, 9, 2), lapse(70, on(2026, 1, 10))),
			dailyAt(on(2026, 1, 10), 70),
		}, 0},
		{"a clawback below zero is paid back by the next earning first", "after_earning 12", []expiryStep{
			buyAt(on(2025, 1, 10), 100),
			redeemAt(on(2025, 2, 1), 100),
			refundAt(on(2025, 3, 1), 0), // -100: the balance is -100
			buyAt(on(2025, 6, 10), 150), // pays the 100 back, 50 left
			soonAt(on(2025, 6, 10), lapse(50, on(2026, 6, 10))),
			dailyAt(on(2026, 1, 10), 0),
			dailyAt(on(2026, 6, 10), 50),
		}, 0},
		{"a cancel while in debt pays the debt first", "after_earning 12", []expiryStep{
			buyAt(on(2025, 1, 10), 100),
			redeemAt(on(2025, 2, 1), 100),
			refundAt(on(2025, 3, 1), 0), // -100
			cancelAt(on(2025, 4, 1), 0), // +100: 0
			soonAt(on(2025, 4, 1)),
			dailyAt(on(2026, 1, 10), 0),
			earnAt(on(2026, 2, 1), 10),
			soonAt(on(2026, 2, 1), lapse(10, on(2027, 2, 1))),
		}, 10},
		{"inactivity: everything goes after months without activity", "inactivity 6", []expiryStep{
			earnAt(on(2025, 1, 1), 100),
			dailyAt(on(2025, 6, 30), 0),
			dailyAt(on(2025, 7, 1), 100),
			earnAt(on(2025, 8, 1), 50),
			// The expiry on 1 July was not activity; 1 August was.
			dailyAt(on(2026, 1, 31), 0),
			dailyAt(on(2026, 2, 1), 50),
		}, 0},
		{"inactivity: spending is activity", "inactivity 6", []expiryStep{
			earnAt(on(2025, 1, 1), 100),
			spendAt(on(2025, 3, 1), 10),
			dailyAt(on(2025, 7, 1), 0),
			dailyAt(on(2025, 8, 31), 0),
			dailyAt(on(2025, 9, 1), 90),
		}, 0},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		// One database, one merchant, a program per case: the daily job runs
		// over every active program, so a case's program is archived once it
		// is checked, and later cases never disturb it.
		shop := newShop(t, db, "expiry@example.com")
		for i, c := range cases {
			in := pointsInput(fmt.Sprintf("Points %d", i))
			setPolicy(&in, c.policy)
			s := loyal{shop: shop, p: createProgram(t, shop.db, in)}
			ann := enrol(t, s.db, models.MemberInput{Name: "Ann"}, on(2025, 1, 1))
			var vouchers []*models.Voucher
			var purchases []*models.PurchaseResult
			rewards := map[int64]*models.Reward{}
			for j, st := range c.steps {
				where := fmt.Sprintf("%s, step %d (%s on %s)", c.name, j, st.do, st.at.Format("2006-01-02"))
				switch st.do {
				case "earn":
					grant(t, s.db, s.p.ID, ann.ID, st.amount, st.at)
				case "buy":
					purchases = append(purchases, buy(t, s.db, s.p.ID, ann.ID, fmt.Sprint(st.amount), fmt.Sprintf("buy-%d-%d", i, j), st.at))
				case "spend":
					grant(t, s.db, s.p.ID, ann.ID, -st.amount, st.at)
				case "redeem":
					r := rewards[st.amount]
					if r == nil {
						r = createReward(t, s.db, s.p.ID, models.RewardInput{Name: fmt.Sprintf("Reward %d", st.amount), Type: "free_item", Cost: fmt.Sprint(st.amount)})
						rewards[st.amount] = r
					}
					v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: r.ID}, st.at)
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					vouchers = append(vouchers, v)
				case "cancel":
					if _, err := models.CancelVoucher(s.db, testActor, vouchers[st.ref].ID, st.at); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
				case "refund":
					p := purchases[st.ref].Purchase
					if _, err := models.RefundPurchase(s.db, testActor, p.ID, models.FormatMoney(p.AmountMinor, "EUR"), fmt.Sprintf("refund-%d-%d", i, j), st.at); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
				case "policy":
					in := s.p.FormInput("EUR")
					setPolicy(&in, st.policy)
					p, err := models.UpdateProgram(s.db, testActor, s.p.ID, in)
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					s.p = p
				case "daily":
					before := accountOf(t, s.db, s.p.ID, ann.ID)
					if _, err := models.RunDaily(db, st.at); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					after := accountOf(t, s.db, s.p.ID, ann.ID)
					if got := before.Balance - after.Balance; got != st.amount {
						t.Errorf("%s: %d expired, want %d", where, got, st.amount)
					}
					// Expiry is not activity.
					if !sameMoment(before.LastActivityAt, after.LastActivityAt) {
						t.Errorf("%s: the expiry moved the last activity from %v to %v", where, before.LastActivityAt, after.LastActivityAt)
					}
					// The same run again changes nothing.
					entries := countRows(t, db, &models.LedgerEntry{})
					if _, err := models.RunDaily(db, st.at); err != nil {
						t.Fatalf("%s, run again: %v", where, err)
					}
					if again := countRows(t, db, &models.LedgerEntry{}); again != entries {
						t.Errorf("%s: running the job again at the same moment posted %d entries", where, again-entries)
					}
				case "soon":
					a := accountOf(t, s.db, s.p.ID, ann.ID)
					got, err := models.ExpiringSoon(s.db, a.ID, st.at, st.at.AddDate(2, 0, 0))
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(expirings(got)) != fmt.Sprint(expirings(st.soon)) {
						t.Errorf("%s: expiring soon %v, want %v", where, expirings(got), expirings(st.soon))
					}
				default:
					t.Fatalf("unknown step %q", st.do)
				}
			}
			wantBalance(t, s.db, s.p.ID, ann.ID, c.balance)
			retire(t, s)
		}

		// ExpiringSoon lists only what lapses after now and before until.
		{
			in := pointsInput("Points")
			setPolicy(&in, "after_earning 12")
			s := newLoyal(t, db, "soon@example.com", in)
			ann := enrolNamed(t, s.db, "Ann")
			grant(t, s.db, s.p.ID, ann.ID, 10, on(2025, 1, 10))
			grant(t, s.db, s.p.ID, ann.ID, 20, on(2025, 2, 10))
			grant(t, s.db, s.p.ID, ann.ID, 30, on(2025, 3, 10))
			a := accountOf(t, s.db, s.p.ID, ann.ID)
			for _, c := range []struct {
				now, until time.Time
				want       []models.Expiring
			}{
				{on(2025, 12, 1), on(2026, 1, 1), nil},
				{on(2025, 12, 1), on(2026, 2, 10), []models.Expiring{lapse(10, on(2026, 1, 10))}},
				{on(2025, 12, 1), on(2026, 2, 11), []models.Expiring{lapse(10, on(2026, 1, 10)), lapse(20, on(2026, 2, 10))}},
				{on(2026, 1, 10), on(2026, 12, 1), []models.Expiring{lapse(20, on(2026, 2, 10)), lapse(30, on(2026, 3, 10))}},
			} {
				got, err := models.ExpiringSoon(s.db, a.ID, c.now, c.until)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(expirings(got)) != fmt.Sprint(expirings(c.want)) {
					t.Errorf("expiring from %s to %s = %v, want %v", c.now.Format("2006-01-02"), c.until.Format("2006-01-02"), expirings(got), expirings(c.want))
				}
			}
		}

		// A birthday treat is nothing the member did: it does not keep an
		// account alive under an inactivity policy.
		{
			in := pointsInput("Birthdays")
			setPolicy(&in, "inactivity 12")
			s := loyal{shop: shop, p: createProgram(t, shop.db, in)}
			createRule(t, s.db, s.p.ID, models.EarningRuleInput{Kind: "birthday", Points: "25", WindowDays: "0", Active: true})
			bea := enrol(t, s.db, models.MemberInput{Name: "Bea", Birthday: "1990-06-01"}, on(2025, 1, 1))
			grant(t, s.db, s.p.ID, bea.ID, 100, on(2025, 1, 1))
			for _, at := range []time.Time{on(2025, 6, 1), on(2025, 12, 31)} {
				if _, err := models.RunDaily(db, at); err != nil {
					t.Fatal(err)
				}
			}
			wantBalance(t, s.db, s.p.ID, bea.ID, 125)
			if _, err := models.RunDaily(db, on(2026, 1, 1)); err != nil {
				t.Fatal(err)
			}
			wantBalance(t, s.db, s.p.ID, bea.ID, 0)
			if got := reload[models.Member](t, db, bea.ID).LastActivityAt; got == nil || !got.Equal(on(2025, 1, 1)) {
				t.Errorf("bea's last activity = %v, want the credit of 1 January 2025", got)
			}
		}
		wantSound(t, db)
	})
}

// retire archives a case's program once its checks are done, so the
// daily runs of later cases skip it.
func retire(t *testing.T, s loyal) {
	t.Helper()
	in := s.p.FormInput("EUR")
	in.Status = "archived"
	if _, err := models.UpdateProgram(s.db, testActor, s.p.ID, in); err != nil {
		t.Fatal(err)
	}
}

func setPolicy(in *models.ProgramInput, policy string) {
	var months string
	fmt.Sscan(policy, &in.ExpiryPolicy, &months)
	in.ExpiryMonths, in.ReminderDays = months, "0"
}

func sameMoment(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// expirings prints a list of expirings in UTC, for comparing.
func expirings(es []models.Expiring) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d@%s", e.Amount, e.On.UTC().Format(time.RFC3339)))
	}
	return out
}
