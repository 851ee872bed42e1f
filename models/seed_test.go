package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// seedFigures are what two seeds with the same options must agree on.
type seedFigures struct {
	Members, Entries, EntrySum, Purchases, Anonymous, Revenue, Refunds int64
	Vouchers, Cancelled, TierChanges, Balances, Lifetime, Expiries     int64
	Adjustments                                                        int64
}

func figuresOf(t *testing.T, db *gorm.DB, merchantID int64) seedFigures {
	t.Helper()
	var f seedFigures
	q := func(dst *int64, sql string) {
		t.Helper()
		if err := db.Raw(sql, merchantID).Scan(dst).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(&f.Members, "SELECT COUNT(*) FROM members WHERE merchant_id = ?")
	q(&f.Entries, "SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ?")
	q(&f.EntrySum, "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE merchant_id = ?")
	q(&f.Expiries, "SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ? AND kind = 'expiry'")
	q(&f.Adjustments, "SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ? AND kind IN ('manual_credit', 'manual_debit')")
	q(&f.Purchases, "SELECT COUNT(*) FROM purchases WHERE merchant_id = ?")
	q(&f.Anonymous, "SELECT COUNT(*) FROM purchases WHERE merchant_id = ? AND member_id IS NULL")
	q(&f.Revenue, "SELECT COALESCE(SUM(amount_minor), 0) FROM purchases WHERE merchant_id = ?")
	q(&f.Refunds, "SELECT COUNT(*) FROM refunds WHERE merchant_id = ?")
	q(&f.Vouchers, "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ?")
	q(&f.Cancelled, "SELECT COUNT(*) FROM vouchers WHERE merchant_id = ? AND status = 'cancelled'")
	q(&f.TierChanges, "SELECT COUNT(*) FROM tier_changes WHERE merchant_id = ?")
	q(&f.Balances, "SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE merchant_id = ?")
	q(&f.Lifetime, "SELECT COALESCE(SUM(lifetime_earned), 0) FROM accounts WHERE merchant_id = ?")
	return f
}

// The seed is two years of plausible, consistent history: every balance
// is its ledger, every running balance adds up, the tiers follow their
// history, members lapse and stay active in realistic shares, and the
// same options give the same data.
func TestSeedHistory(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	opts := models.SeedOptions{Members: 300, EntriesPerMember: 10, Now: now}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		rep, err := models.Seed(t.Context(), db, opts)
		if err != nil {
			t.Fatal(err)
		}
		f := figuresOf(t, db, rep.MerchantID)
		t.Logf("%+v", f)
		if f.Members != 300 || rep.Entries != f.Entries || rep.Purchases != f.Purchases {
			t.Errorf("report %+v, database %+v", rep, f)
		}
		if f.Entries < 2700 || f.Entries > 3300 {
			t.Errorf("%d entries, want about 3,000", f.Entries)
		}
		if f.Anonymous < f.Purchases/5 || f.Refunds == 0 || f.Vouchers == 0 || f.TierChanges == 0 || f.Expiries == 0 || f.Adjustments == 0 {
			t.Errorf("history lacks variety: %+v", f)
		}
		bad, err := models.VerifyBalances(db)
		if err != nil || len(bad) > 0 {
			t.Fatalf("imbalances %v, %v", bad, err)
		}
		count := func(sql string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := db.Raw(sql, append([]any{rep.MerchantID}, args...)...).Scan(&n).Error; err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			return n
		}
		checks := []struct {
			what string
			sql  string
			args []any
		}{
			{"running balances that do not add up", `SELECT COUNT(*) FROM (SELECT balance_after,
				SUM(amount) OVER (PARTITION BY account_id ORDER BY id) AS s FROM ledger_entries WHERE merchant_id = ?) x
				WHERE s <> balance_after`, nil},
			{"entries out of time order", `SELECT COUNT(*) FROM (SELECT created_at,
				LAG(created_at) OVER (ORDER BY id) AS before FROM ledger_entries WHERE merchant_id = ?) x WHERE before > created_at`, nil},
			{"redemptions or debits below zero", `SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ?
				AND kind IN ('redemption', 'manual_debit') AND balance_after < 0`, nil},
			{"lifetime earned unlike the ledger", `SELECT COUNT(*) FROM accounts a WHERE a.merchant_id = ? AND a.lifetime_earned <>
				(SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id AND e.kind IN ('purchase_earn', 'manual_credit'))`, nil},
			{"purchases not earning floor(amount), or clawbacks unlike their refunds", `SELECT COUNT(*) FROM purchases p
				LEFT JOIN (SELECT purchase_id, SUM(CASE WHEN kind = 'purchase_earn' THEN amount ELSE 0 END) AS earned,
					-SUM(CASE WHEN kind = 'refund_clawback' THEN amount ELSE 0 END) AS clawed
					FROM ledger_entries WHERE purchase_id IS NOT NULL GROUP BY purchase_id) e ON e.purchase_id = p.id
				WHERE p.merchant_id = ? AND p.member_id IS NOT NULL
					AND (p.earned <> p.amount_minor / 100 OR p.earned <> e.earned OR p.clawed_back <> e.clawed)`, nil},
			{"tiers unlike their history", `SELECT COUNT(*) FROM accounts a WHERE a.merchant_id = ? AND COALESCE(a.tier_id, 0) <>
				COALESCE((SELECT c.to_tier_id FROM tier_changes c WHERE c.account_id = a.id ORDER BY c.created_at DESC, c.id DESC LIMIT 1), 0)`, nil},
			{"cancels not pointing at their redemption", `SELECT COUNT(*) FROM ledger_entries c WHERE c.merchant_id = ?
				AND c.kind = 'redemption_cancel' AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.id = c.corrects_id
					AND r.voucher_id = c.voucher_id AND r.kind = 'redemption')`, nil},
			{"members joining after their first purchase", `SELECT COUNT(*) FROM members m
				JOIN (SELECT member_id, MIN(occurred_at) AS first FROM purchases WHERE member_id IS NOT NULL GROUP BY member_id) p
					ON p.member_id = m.id
				WHERE m.merchant_id = ? AND m.created_at > p.first`, nil},
			{"members whose visit fields are not their purchases", `SELECT COUNT(*) FROM members m
				LEFT JOIN (SELECT member_id, COUNT(*) AS n, MAX(occurred_at) AS last FROM purchases WHERE member_id IS NOT NULL
					GROUP BY member_id) p ON p.member_id = m.id
				WHERE m.merchant_id = ? AND (m.visit_count <> COALESCE(p.n, 0) OR m.last_visit_at IS NULL AND p.n IS NOT NULL
					OR m.last_visit_at <> p.last)`, nil},
			{"daily sales unlike the purchases", `SELECT ABS((SELECT COALESCE(SUM(purchases), 0) FROM daily_sales WHERE merchant_id = ?)
				- (SELECT COUNT(*) FROM purchases WHERE merchant_id = ?))`, []any{rep.MerchantID}},
			{"adjustments not audited", `SELECT COUNT(*) FROM ledger_entries e WHERE e.merchant_id = ?
				AND e.kind IN ('manual_credit', 'manual_debit') AND NOT EXISTS (SELECT 1 FROM audit_entries a
					WHERE a.entity_type = 'adjustment' AND a.entity_id = e.id AND a.actor_id = e.actor_user_id)`, nil},
			{"anything after now", `SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ? AND created_at > ?`, []any{now}},
			{"entries older than two years", `SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ? AND created_at < ?`,
				[]any{now.AddDate(0, 0, -731)}},
		}
		for _, c := range checks {
			if n := count(c.sql, c.args...); n != 0 {
				t.Errorf("%d %s", n, c.what)
			}
		}
		since := func(days int) time.Time { return now.AddDate(0, 0, -days) }
		if n := count("SELECT COUNT(*) FROM ledger_entries WHERE merchant_id = ? AND created_at < ?", since(600)); n == 0 {
			t.Error("no entries in the first months of the two years")
		}
		if n := count("SELECT COUNT(*) FROM members WHERE merchant_id = ? AND created_at < ?", since(365)); n == 0 || n > 150 {
			t.Errorf("%d of 300 members joined in the first year; want fewer than in the second", n)
		}
		lapsed := count(`SELECT COUNT(DISTINCT member_id) FROM purchases WHERE merchant_id = ? AND member_id IS NOT NULL
			AND member_id NOT IN (SELECT member_id FROM purchases WHERE member_id IS NOT NULL AND occurred_at > ?)`, since(90))
		active := count(`SELECT COUNT(DISTINCT member_id) FROM purchases WHERE merchant_id = ? AND occurred_at > ?`, since(30))
		if lapsed < 60 || active < 30 {
			t.Errorf("%d lapsed (no purchase in 90 days) and %d active (a purchase in 30 days) of 300", lapsed, active)
		}

		again, err := models.Seed(t.Context(), db, opts)
		if err != nil {
			t.Fatal(err)
		}
		if g := figuresOf(t, db, again.MerchantID); g != f {
			t.Errorf("the same options seeded\n%+v, then\n%+v", f, g)
		}
	})
}
