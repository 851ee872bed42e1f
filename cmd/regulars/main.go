// Command regulars serves the Regulars loyalty admin app.
//
//	regulars [serve]   migrate the database and serve the app (default)
//	regulars migrate   migrate the database and exit
//	regulars version   print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

const shutdownGrace = 30 * time.Second

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
		fmt.Fprintln(stdout, "usage: regulars [serve|migrate|version]")
		return 0
	case "serve", "migrate":
	default:
		fmt.Fprintf(stderr, "regulars: unknown command %q\nusage: regulars [serve|migrate|version]\n", cmd)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "regulars: configuration:\n%v\n", err)
		return 2
	}
	log := cfg.logger()
	db, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		log.Error("database", "err", err)
		return 1
	}
	defer closeDB(db)
	if cmd == "migrate" {
		return 0
	}
	if err := serve(ctx, cfg, db, log); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func openAndMigrate(ctx context.Context, cfg Config, log *slog.Logger) (*gorm.DB, error) {
	db, err := models.Open(cfg.DatabaseURL, log)
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
// finish within the grace period.
func serve(ctx context.Context, cfg Config, db *gorm.DB, log *slog.Logger) error {
	keys, err := cfg.devSessionKeys(log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr: cfg.Addr,
		Handler: handlers.New(handlers.Options{
			DB: db, Logger: log, SessionKeys: keys, Production: cfg.Production,
			BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		log.Info("listening", "addr", cfg.Addr, "version", version, "production", cfg.Production)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("stopped")
	return nil
}
