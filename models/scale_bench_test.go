package models_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// The scale benchmarks run against a database seeded by `make bench`
// (BENCH_DATABASE_URL; by default 1,000,000 members and 10,000,000 ledger
// entries on PostgreSQL). They report server-side percentiles, and the
// purchase throughput of the model beside the same SQL run raw.

type scale struct {
	db         *gorm.DB
	scoped     *gorm.DB
	merchant   *models.Merchant
	merchantID int64
	programID  int64
	members    int64
}

func openScale(b *testing.B) *scale {
	dsn := os.Getenv("BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("BENCH_DATABASE_URL not set: run make bench")
	}
	db, err := models.Open(dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	var m models.Merchant
	if err := models.CrossTenant(db).Where("name = ?", "Seed Coffee").Order("id").Take(&m).Error; err != nil {
		b.Fatalf("no seeded merchant: %v", err)
	}
	s := &scale{db: db, scoped: models.ForMerchant(db, m.ID), merchant: &m, merchantID: m.ID}
	var p models.Program
	if err := s.scoped.Where("name = ?", "Coffee Club").Take(&p).Error; err != nil {
		b.Fatal(err)
	}
	s.programID = p.ID
	if err := s.scoped.Model(&models.Member{}).Count(&s.members).Error; err != nil {
		b.Fatal(err)
	}
	return s
}

// percentiles times fn n times and reports p50 and p95 in milliseconds.
func percentiles(b *testing.B, n int, fn func(i int)) {
	b.Helper()
	d := make([]time.Duration, n)
	for i := range n {
		start := time.Now()
		fn(i)
		d[i] = time.Since(start)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[n*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkScaleMemberSearch times the till's search, as the search box
// and the till page call it.
func BenchmarkScaleMemberSearch(b *testing.B) {
	s := openScale(b)
	// In-order names, a later word alone, words out of order, email,
	// international and national phones, card codes.
	prefixes := []string{"ada smith 1", "Finn Dub", "dubois 12", "garcia ev", "member42@", "+33 000 12", "612 345 678", "S00042", "hana novak 9"}
	for b.Loop() {
		percentiles(b, 300, func(i int) {
			if _, err := models.TillSearch(s.scoped, prefixes[i%len(prefixes)]); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkScaleMemberPage reads a member's page as the page does:
// models.MemberOverview, every query of it.
func BenchmarkScaleMemberPage(b *testing.B) {
	s := openScale(b)
	for b.Loop() {
		percentiles(b, 300, func(i int) {
			id := int64(i*7919)%s.members + 1
			if _, err := models.MemberOverview(s.scoped, id, time.Now()); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkScaleTill times the till page's read, models.ReadTill as the
// page calls it: a member's card once found (balances, tier, the rewards
// they can redeem, vouchers), and a purchase's receipt.
func BenchmarkScaleTill(b *testing.B) {
	s := openScale(b)
	var recent []models.Purchase
	if err := s.scoped.Where("member_id IS NOT NULL").Order("id DESC").Limit(300).Find(&recent).Error; err != nil {
		b.Fatal(err)
	}
	if len(recent) == 0 {
		b.Fatal("no purchases seeded")
	}
	till := func(b *testing.B, query func(i int) models.TillQuery) {
		for b.Loop() {
			percentiles(b, 300, func(i int) {
				if _, err := models.ReadTill(s.scoped, s.merchant, query(i), time.Now()); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
	b.Run("card", func(b *testing.B) {
		till(b, func(i int) models.TillQuery { return models.TillQuery{MemberID: int64(i*7919)%s.members + 1} })
	})
	b.Run("receipt", func(b *testing.B) {
		till(b, func(i int) models.TillQuery {
			p := recent[i%len(recent)]
			return models.TillQuery{MemberID: *p.MemberID, ReceiptID: p.ID}
		})
	})
}

var benchKey atomic.Int64

func BenchmarkScalePurchase(b *testing.B) {
	s := openScale(b)
	run := time.Now().UnixNano()
	actor := models.Actor{Name: "bench"}
	for b.Loop() {
		percentiles(b, 300, func(i int) {
			_, err := models.RecordPurchase(s.scoped, actor, models.PurchaseInput{
				ProgramID: s.programID, MemberID: int64(i*104729)%s.members + 1, Amount: "4.50",
				IdempotencyKey: fmt.Sprintf("bench-%d-%d", run, benchKey.Add(1)),
			}, time.Now())
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkScalePurchaseThroughput records purchases from 8 workers for a
// fixed time through the model, then through the same statements sent
// raw, and reports both rates and their ratio.
func BenchmarkScalePurchaseThroughput(b *testing.B) {
	s := openScale(b)
	const workers, span = 8, 5 * time.Second
	run := time.Now().UnixNano()
	actor := models.Actor{Name: "bench"}
	sqlDB, err := s.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	throughput := func(one func(member, n int64) error) float64 {
		var done atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), span)
		defer cancel()
		errs := make(chan error, workers)
		for w := range workers {
			go func(w int64) {
				for i := int64(0); ctx.Err() == nil; i++ {
					member := (w*1_000_003+i*104729)%s.members + 1
					if err := one(member, benchKey.Add(1)); err != nil {
						errs <- err
						return
					}
					done.Add(1)
				}
				errs <- nil
			}(int64(w))
		}
		for range workers {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		return float64(done.Load()) / span.Seconds()
	}
	for b.Loop() {
		model := throughput(func(member, n int64) error {
			_, err := models.RecordPurchase(s.scoped, actor, models.PurchaseInput{
				ProgramID: s.programID, MemberID: member, Amount: "4.50", IdempotencyKey: fmt.Sprintf("tp-%d-%d", run, n),
			}, time.Now())
			return err
		})
		same := throughput(func(member, n int64) error {
			return rawPurchaseSameSQL(sqlDB, s.merchantID, s.programID, member, fmt.Sprintf("same-%d-%d", run, n))
		})
		minimal := throughput(func(member, n int64) error {
			return rawPurchase(sqlDB, s.merchantID, s.programID, member, fmt.Sprintf("raw-%d-%d", run, n))
		})
		b.ReportMetric(model, "model-purchases/s")
		b.ReportMetric(same, "raw-same-sql-purchases/s")
		b.ReportMetric(model/same, "model/raw-same-sql")
		b.ReportMetric(minimal, "raw-minimal-purchases/s")
		b.ReportMetric(model/minimal, "model/raw-minimal")
	}
}

// rawPurchase is the SQL a purchase of 4.50 at 1 point per unit comes to,
// written by hand: claim the key, lock the account, append the entry, move
// the balance, link the purchase.
func rawPurchase(db *sql.DB, merchantID, programID, memberID int64, key string) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC()
	var purchaseID int64
	err = tx.QueryRow(`INSERT INTO purchases (merchant_id, program_id, amount_minor, refunded_minor, earned, clawed_back, order_ref, channel,
		occurred_at, idempotency_key, actor_name, created_at, updated_at)
		VALUES ($1, $2, 450, 0, 0, 0, '', 'in_store', $3, $4, 'bench', $3, $3) ON CONFLICT DO NOTHING RETURNING id`,
		merchantID, programID, now, key).Scan(&purchaseID)
	if err != nil {
		return err
	}
	var accountID, balance, lifetime int64
	if err := tx.QueryRow(`SELECT id, balance, lifetime_earned FROM accounts WHERE merchant_id = $1 AND program_id = $2 AND member_id = $3 FOR UPDATE`,
		merchantID, programID, memberID).Scan(&accountID, &balance, &lifetime); err != nil {
		return err
	}
	balance, lifetime = balance+4, lifetime+4
	if _, err := tx.Exec(`INSERT INTO ledger_entries (merchant_id, program_id, account_id, member_id, kind, amount, balance_after,
		actor_name, reason, note, purchase_id, idempotency_key, created_at)
		VALUES ($1, $2, $3, $4, 'purchase_earn', 4, $5, 'bench', 'Purchase', '', $6, $7, $8)`,
		merchantID, programID, accountID, memberID, balance, purchaseID, "purchase:"+key, now); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE accounts SET balance = $1, lifetime_earned = $2, last_activity_at = $3, updated_at = $3 WHERE id = $4`,
		balance, lifetime, now, accountID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE members SET last_activity_at = $1 WHERE id = $2`, now, memberID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE purchases SET member_id = $1, account_id = $2, earned = 4 WHERE id = $3`, memberID, accountID, purchaseID); err != nil {
		return err
	}
	return tx.Commit()
}

// rawPurchaseSameSQL sends, by hand, the statements the model sends for
// one purchase: the target compares the model with its own SQL run raw.
func rawPurchaseSameSQL(db *sql.DB, merchantID, programID, memberID int64, key string) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC()
	var currency, zone string
	if err := tx.QueryRow(`SELECT currency, time_zone FROM merchants WHERE id = $1 LIMIT 1`, merchantID).Scan(&currency, &zone); err != nil {
		return err
	}
	var rate int64
	if err := tx.QueryRow(`SELECT earn_rate_hundredths FROM programs WHERE merchant_id = $1 AND id = $2 LIMIT 1`, merchantID, programID).Scan(&rate); err != nil {
		return err
	}
	var purchaseID int64
	if err := tx.QueryRow(`INSERT INTO purchases (merchant_id, program_id, amount_minor, refunded_minor, earned, clawed_back, order_ref, channel,
		occurred_at, idempotency_key, actor_name, created_at, updated_at)
		VALUES ($1, $2, 450, 0, 0, 0, '', 'in_store', $3, $4, 'bench', $3, $3) ON CONFLICT DO NOTHING RETURNING id`,
		merchantID, programID, now, key).Scan(&purchaseID); err != nil {
		return err
	}
	var blocked bool
	if err := tx.QueryRow(`SELECT blocked FROM members WHERE merchant_id = $1 AND id = $2 LIMIT 1`, merchantID, memberID).Scan(&blocked); err != nil {
		return err
	}
	var accountID, balance, lifetime int64
	var tierID sql.NullInt64
	if err := tx.QueryRow(`SELECT id, balance, lifetime_earned, tier_id FROM accounts WHERE merchant_id = $1 AND program_id = $2 AND member_id = $3 LIMIT 1 FOR UPDATE`,
		merchantID, programID, memberID).Scan(&accountID, &balance, &lifetime, &tierID); err != nil {
		return err
	}
	var multiplier int64 = 1000
	if tierID.Valid {
		if err := tx.QueryRow(`SELECT earn_multiplier_milli FROM tiers WHERE merchant_id = $1 AND program_id = $2 AND id = $3 LIMIT 1`,
			merchantID, programID, tierID.Int64).Scan(&multiplier); err != nil {
			return err
		}
	}
	rows, err := tx.Query(`SELECT id FROM campaigns WHERE merchant_id = $1 AND program_id = $2 AND starts_on <= $3 AND ends_on >= $3`,
		merchantID, programID, now.Format("2006-01-02"))
	if err != nil {
		return err
	}
	rows.Close()
	earned := 450 * rate * multiplier / (100 * 100 * 1000)
	balance, lifetime = balance+earned, lifetime+earned
	if _, err := tx.Exec(`INSERT INTO ledger_entries (merchant_id, program_id, account_id, member_id, kind, amount, balance_after,
		actor_name, reason, note, purchase_id, idempotency_key, created_at)
		VALUES ($1, $2, $3, $4, 'purchase_earn', $5, $6, 'bench', 'Purchase', '', $7, $8, $9)`,
		merchantID, programID, accountID, memberID, earned, balance, purchaseID, "purchase:"+key, now); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE accounts SET balance = $1, lifetime_earned = $2, last_activity_at = $3, updated_at = $3 WHERE merchant_id = $4 AND id = $5`,
		balance, lifetime, now, merchantID, accountID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE members SET last_activity_at = $1, updated_at = $1 WHERE merchant_id = $2 AND id = $3`, now, merchantID, memberID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE purchases SET member_id = $1, account_id = $2, earned = $3, updated_at = $4 WHERE merchant_id = $5 AND id = $6`,
		memberID, accountID, earned, now, merchantID, purchaseID); err != nil {
		return err
	}
	tiers, err := tx.Query(`SELECT id, position, threshold FROM tiers WHERE merchant_id = $1 AND program_id = $2 ORDER BY paid, position, id`, merchantID, programID)
	if err != nil {
		return err
	}
	tiers.Close()
	var value int64
	if err := tx.QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE merchant_id = $1 AND account_id = $2 AND created_at >= $3
		AND kind IN ('purchase_earn','rule_earn','campaign_bonus','manual_credit','opening_balance','recognition')`,
		merchantID, accountID, now.AddDate(-1, 0, 0)).Scan(&value); err != nil {
		return err
	}
	return tx.Commit()
}
