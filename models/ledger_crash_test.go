package models_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Ledger rule 2 (docs/ledger.md) must hold after a crash: a writer process is killed with SIGKILL
// in the middle of its work, and whatever it had committed must add up.

// crashDSNEnv carries the database of the writer process; without it
// TestCrashWriterProcess is not a writer and skips.
const crashDSNEnv = "REGULARS_CRASH_DSN"

// TestCrashWriterProcess is the writer the crash test starts as a child
// process: it loops purchases, redemptions, debits and refunds as fast as
// it can until it is killed.
func TestCrashWriterProcess(t *testing.T) {
	dsn := os.Getenv(crashDSNEnv)
	if dsn == "" {
		t.Skip("only run as the writer process of TestLedgerSurvivesAKilledWriter")
	}
	db, err := models.Open(dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	var m models.Merchant
	if err := models.CrossTenant(db).Order("id").Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	sdb := models.ForMerchant(db, m.ID)
	var p models.Program
	var rw models.Reward
	var members []models.Member
	if err := sdb.Take(&p).Error; err != nil {
		t.Fatal(err)
	}
	if err := sdb.Take(&rw).Error; err != nil {
		t.Fatal(err)
	}
	if err := sdb.Order("id").Find(&members).Error; err != nil || len(members) == 0 {
		t.Fatalf("members: %v", err)
	}
	now := day0
	run := strconv.FormatInt(time.Now().UnixNano(), 36) // keys of its own, run after run
	for i := 0; ; i++ {
		member := members[i%len(members)]
		now = now.Add(time.Second)
		var err error
		switch i % 5 {
		case 0, 1:
			var res *models.PurchaseResult
			res, err = models.RecordPurchase(sdb, testActor, purchase(p.ID, member.ID, fmt.Sprintf("%d.%02d", 5+i%40, i%100), fmt.Sprintf("crash-%s-%d", run, i)), now)
			if err == nil && i%7 == 0 {
				_, err = models.RefundPurchase(sdb, testActor, res.Purchase.ID, "2", fmt.Sprintf("crash-refund-%s-%d", run, i), now)
			}
		case 2:
			_, err = models.Redeem(sdb, testActor, models.RedeemInput{MemberID: member.ID, ProgramID: p.ID, RewardID: rw.ID}, now)
		case 3:
			_, err = models.Adjust(sdb, testActor, models.RoleOwner, models.AdjustInput{
				MemberID: member.ID, ProgramID: p.ID, Amount: strconv.Itoa(i%9 - 4 + 10*(i%2)), Reason: "Correction",
			}, now)
		case 4:
			_, err = models.Adjust(sdb, testActor, models.RoleOwner, models.AdjustInput{
				MemberID: member.ID, ProgramID: p.ID, Amount: "-3", Reason: "Correction",
			}, now)
		}
		switch models.ErrorCode(err) {
		case "", models.ECONFLICT, models.EINVALID: // refused for the balance: expected
		default:
			t.Fatalf("writer step %d: %v", i, err)
		}
	}
}

func TestLedgerSurvivesAKilledWriter(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := dbtest.DSN(t, d)
			db, err := models.Open(dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if sqlDB, err := db.DB(); err == nil {
					_ = sqlDB.Close()
				}
			})
			if _, err := models.Migrate(context.Background(), db); err != nil {
				t.Fatal(err)
			}
			s := newLoyal(t, db, "crash@example.com", pointsInput("Points"))
			createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "15"})
			for i := range 4 {
				enrolNamed(t, s.db, fmt.Sprintf("Member %d", i))
			}

			for round := range 2 {
				before := countRows(t, db, &models.LedgerEntry{})
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$", "-test.count=1")
				cmd.Env = crashEnv(dsn)
				var out strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()

				// Let it write, then kill it mid-flight.
				deadline := time.Now().Add(60 * time.Second)
				for countRows(t, db, &models.LedgerEntry{}) < before+60 {
					select {
					case err := <-exited:
						t.Fatalf("round %d: the writer stopped by itself (%v):\n%s", round, err, out.String())
					case <-time.After(20 * time.Millisecond):
					}
					if time.Now().After(deadline) {
						_ = cmd.Process.Kill()
						t.Fatalf("round %d: the writer wrote too little in time:\n%s", round, out.String())
					}
				}
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				err := <-exited
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
					t.Fatalf("round %d: the writer ended with %v, not killed:\n%s", round, err, out.String())
				}

				// Opened afresh (on SQLite, recovering the killed writer's
				// WAL), everything committed adds up and nothing
				// half-written remains.
				fresh := openCrashed(t, dsn)
				wantSound(t, fresh)
				after := countRows(t, fresh, &models.LedgerEntry{})
				t.Logf("round %d: %d entries written before the kill", round, after-before)
				var orphans int64
				if err := fresh.Raw(`SELECT COUNT(*) FROM purchases p WHERE p.member_id IS NOT NULL AND p.earned > 0
					AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.purchase_id = p.id)`).Scan(&orphans).Error; err != nil {
					t.Fatal(err)
				}
				if orphans != 0 {
					t.Errorf("round %d: %d purchases say they earned but posted nothing", round, orphans)
				}
				var unpaid int64
				if err := fresh.Raw(`SELECT COUNT(*) FROM vouchers v
					WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.voucher_id = v.id AND e.amount < 0)`).Scan(&unpaid).Error; err != nil {
					t.Fatal(err)
				}
				if unpaid != 0 {
					t.Errorf("round %d: %d vouchers were issued without their debit", round, unpaid)
				}
			}
			// The database still takes writes after the crashes.
			var m models.Member
			if err := s.db.Order("id").Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			buy(t, s.db, s.p.ID, m.ID, "1", "after-the-crash", day0.AddDate(0, 0, 1))
			wantSound(t, db)
		})
	}
}

// openCrashed opens the database a writer was killed on, as the app would
// on its next start.
func openCrashed(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	db, err := models.Open(dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if _, err := models.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate after the crash: %v", err)
	}
	return db
}

// crashEnv is the writer's environment: the database to write to, and no
// TEST_DATABASE_URL, so its TestMain does not create (and, killed, never
// drop) a database of its own; nor TEST_REPORT_DIR, so make test's summary
// does not count the helper process as a package whose PostgreSQL half
// was skipped.
func crashEnv(dsn string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TEST_DATABASE_URL=") || strings.HasPrefix(kv, "REQUIRE_POSTGRES=") ||
			strings.HasPrefix(kv, "TEST_REPORT_DIR=") || strings.HasPrefix(kv, crashDSNEnv+"=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, crashDSNEnv+"="+dsn)
}
