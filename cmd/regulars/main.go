// Command regulars serves the Regulars loyalty admin app.
//
//	regulars [serve]   migrate the database and serve the app (default)
//	regulars migrate   migrate the database and exit
//	regulars verify    check that every balance equals the sum of its ledger
//	regulars seed      add a deterministic demo business (--members N --entries N)
//	regulars rollup    bring the reports' aggregates up to date (--rebuild: recompute them from the ledger)
//	regulars version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // merchants' time zones work on hosts without zoneinfo

	"gorm.io/gorm"

	"github.com/regularshq/regulars/handlers"
	"github.com/regularshq/regulars/models"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const (
	shutdownGrace = 30 * time.Second
	// dailyEvery is how often the daily job runs; it is idempotent, so
	// running it hourly only makes expiries and birthdays arrive on time.
	dailyEvery = time.Hour
	// rollupEvery is how often the reports' aggregates catch up in the
	// background; a report page also catches up before it reads.
	rollupEvery = time.Minute
	usage       = "usage: regulars [serve|migrate|verify|seed --members N|rollup [--rebuild]|version]"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "version", "--version":
		fmt.Fprintln(stdout, "regulars", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	case "serve", "migrate", "verify", "seed", "rollup":
	default:
		fmt.Fprintf(stderr, "regulars: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "regulars: configuration:\n%v\n", err)
		return 2
	}
	log := cfg.logger(stderr)
	db, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		log.Error("database", "err", err)
		return 1
	}
	defer closeDB(db)
	switch cmd {
	case "migrate":
		return 0
	case "verify":
		return verify(db, stdout, stderr)
	case "seed":
		return seed(ctx, db, args[1:], stdout, stderr)
	case "rollup":
		return rollup(ctx, db, args[1:], stdout, stderr)
	}
	if err := serve(ctx, cfg, db, log); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func openAndMigrate(ctx context.Context, cfg Config, log *slog.Logger) (*gorm.DB, error) {
	db, err := models.OpenPool(cfg.DatabaseURL, log, cfg.Pool)
	if err != nil {
		return nil, err
	}
	applied, err := models.Migrate(ctx, db)
	if err != nil {
		closeDB(db)
		return nil, err
	}
	log.Info("database ready", "dialect", models.DialectOf(db), "migrations_applied", applied)
	return db, nil
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

// serve runs the HTTP server until ctx ends, then lets in-flight requests
// finish within the grace period. It binds the address before anything
// else starts, so a busy or bad ADDR fails at once.
func serve(ctx context.Context, cfg Config, db *gorm.DB, log *slog.Logger) error {
	keys, err := cfg.devSessionKeys(log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// The worker ends with ctx, after the batch it is in; a later start
	// resumes its import.
	imports := models.NewImportWorker(db, log, time.Now)
	imports.Start(ctx)
	defer imports.Wait()
	// The webhook worker also ends with ctx; a delivery it was sending
	// is retried once its claim lapses.
	webhooks := models.NewWebhookWorker(db, log, models.WebhookWorkerOptions{Targets: cfg.webhookTargets()})
	webhooks.Start(ctx)
	defer webhooks.Wait()
	srv := &http.Server{
		Handler: handlers.New(handlers.Options{
			DB: db, Logger: log, SessionKeys: keys, Production: cfg.Production,
			BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, Imports: imports,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go runDaily(ctx, db, log)
	go every(ctx, rollupEvery, func(now time.Time) {
		if err := models.RunRollups(db.WithContext(ctx), now); err != nil && ctx.Err() == nil {
			log.Error("rollup catch-up", "err", err)
		}
	})
	errc := make(chan error, 1)
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "production", cfg.Production)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// verify checks ledger rule 2 (docs/ledger.md) for every account, members'
// and staff kudos alike, and prints each account
// whose balance differs from the sum of its entries.
func verify(db *gorm.DB, stdout, stderr io.Writer) int {
	bad, err := models.VerifyBalances(db)
	if err != nil {
		fmt.Fprintf(stderr, "regulars: verify: %v\n", err)
		return 1
	}
	for _, b := range bad {
		what := "account"
		if b.Ledger == "kudos" {
			what = "kudos account"
		}
		fmt.Fprintf(stdout, "merchant %d %s %d: balance %d, ledger sum %d, difference %d\n",
			b.MerchantID, what, b.AccountID, b.Balance, b.LedgerSum, b.Balance-b.LedgerSum)
	}
	if len(bad) > 0 {
		fmt.Fprintf(stdout, "%d account(s) do not balance\n", len(bad))
		return 1
	}
	fmt.Fprintln(stdout, "every balance equals the sum of its ledger")
	return 0
}

// rollup catches up, or with --rebuild recomputes, every merchant's
// report aggregates.
func rollup(ctx context.Context, db *gorm.DB, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rollup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rebuild := fs.Bool("rebuild", false, "recompute every aggregate from the ledger and purchases")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var ids []int64
	if err := models.CrossTenant(db.WithContext(ctx)).Model(&models.Merchant{}).Order("id").Pluck("id", &ids).Error; err != nil {
		fmt.Fprintf(stderr, "regulars: rollup: %v\n", err)
		return 1
	}
	run := models.CatchUpRollups
	if *rebuild {
		run = models.RebuildRollups
	}
	for _, id := range ids {
		started := time.Now()
		if err := run(models.ForMerchant(db.WithContext(ctx), id), time.Now()); err != nil {
			fmt.Fprintf(stderr, "regulars: rollup merchant %d: %v\n", id, err)
			return 1
		}
		fmt.Fprintf(stdout, "merchant %d: aggregates up to date (%s)\n", id, time.Since(started).Round(time.Millisecond))
	}
	return 0
}

// every calls fn now and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func(now time.Time)) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		fn(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// runDaily runs the daily job now and then every dailyEvery until ctx
// ends: expiries, birthdays, lapsed memberships and tier downgrades.
func runDaily(ctx context.Context, db *gorm.DB, log *slog.Logger) {
	every(ctx, dailyEvery, func(now time.Time) {
		rep, err := models.RunDaily(db.WithContext(ctx), now)
		if err != nil && ctx.Err() == nil {
			log.Error("daily job", "err", err)
		} else if err == nil {
			log.Info("daily job", "merchants", rep.Merchants, "skipped", rep.Skipped, "expired", rep.Expired,
				"birthdays", rep.Birthdays, "lapsed", rep.Lapsed, "downgrades", rep.Downgrades, "idempotency_swept", rep.IdempotencySwept,
				"webhooks_swept", rep.WebhooksSwept)
		}
	})
}

// seed adds a deterministic demo business for trying Regulars out and for
// the benchmarks.
func seed(ctx context.Context, db *gorm.DB, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	members := fs.Int("members", 1000, "how many members")
	entries := fs.Int("entries", 10, "ledger entries per member, on average")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	start := time.Now()
	rep, err := models.Seed(ctx, db, models.SeedOptions{Members: *members, EntriesPerMember: *entries})
	if err != nil {
		fmt.Fprintf(stderr, "regulars: seed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "seeded merchant %d with %d members, %d purchases and %d ledger entries over two years in %s\n"+
		"log in as %s (owner) or %s (manager) with password %s\n",
		rep.MerchantID, rep.Members, rep.Purchases, rep.Entries, time.Since(start).Round(time.Millisecond),
		rep.OwnerEmail, rep.ManagerEmail, models.SeedPassword)
	return 0
}
