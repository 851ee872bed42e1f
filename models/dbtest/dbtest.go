// Package dbtest opens fresh, migrated databases for tests: SQLite always,
// and PostgreSQL when TEST_DATABASE_URL names a server. Each test package
// gets a throwaway PostgreSQL database (made in Main, dropped after) and
// each test a schema of its own inside it.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/regularshq/regulars/models"
)

var (
	packageDBURL string // set by Main when PostgreSQL is in use
	mainRan      bool
	schemaSeq    atomic.Int64
)

// RequirePostgres reports whether a missing PostgreSQL must fail the run.
func RequirePostgres() bool { return os.Getenv("REQUIRE_POSTGRES") == "1" }

// Main is a test package's TestMain: it creates the package's PostgreSQL
// database, runs the tests and drops the database again.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	mainRan = true
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		if RequirePostgres() {
			fmt.Fprintln(os.Stderr, "dbtest: REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
			return 1
		}
		Report("postgres", "skipped")
		return m.Run()
	}
	name := "regulars_test_" + randomHex(6)
	if err := adminExec(admin, "CREATE DATABASE "+name); err != nil {
		if RequirePostgres() {
			fmt.Fprintf(os.Stderr, "dbtest: create database on TEST_DATABASE_URL: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "dbtest: PostgreSQL unreachable, running the SQLite half only: %v\n", err)
		Report("postgres", "skipped")
		return m.Run()
	}
	Report("postgres", "ran")
	defer func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: drop database %s: %v\n", name, err)
		}
	}()
	u, err := url.Parse(admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: TEST_DATABASE_URL: %v\n", err)
		return 1
	}
	u.Path = "/" + name
	packageDBURL = u.String()
	return m.Run()
}

// Report notes for make test's summary what this test binary did: one
// line "<package> <outcome>" appended to $TEST_REPORT_DIR/<kind>. Without
// TEST_REPORT_DIR it does nothing. Appends of a line are atomic, so
// packages running in parallel do not mix their lines.
func Report(kind, outcome string) {
	dir := os.Getenv("TEST_REPORT_DIR")
	if dir == "" {
		return
	}
	pkg := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	f, err := os.OpenFile(filepath.Join(dir, kind), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: report: %v\n", err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s %s\n", pkg, outcome); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: report: %v\n", err)
	}
}

func adminExec(dsn, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Dialects returns the dialects this run tests against.
func Dialects() []models.Dialect {
	return []models.Dialect{models.SQLite, models.Postgres}
}

// Each runs fn as a subtest per dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated database of dialect d, removed when the
// test ends. PostgreSQL tests skip when no server is configured, unless
// REQUIRE_POSTGRES=1.
func Open(t testing.TB, d models.Dialect) *gorm.DB {
	t.Helper()
	return OpenLogged(t, d, quietLogger())
}

// OpenLogged is Open with the database's log going to log, for tests of
// what gets logged.
func OpenLogged(t testing.TB, d models.Dialect, log *slog.Logger) *gorm.DB {
	t.Helper()
	return openMigrated(t, DSN(t, d), log)
}

// openMigrated opens dsn, closed when the test ends, and migrates it.
func openMigrated(t testing.TB, dsn string, log *slog.Logger) *gorm.DB {
	t.Helper()
	d := models.SQLite
	if models.IsPostgresURL(dsn) {
		d = models.Postgres
	}
	db, err := models.Open(dsn, log)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", d, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if _, err := models.Migrate(context.Background(), db); err != nil {
		t.Fatalf("dbtest: migrate %s: %v", d, err)
	}
	return db
}

// Throwaway creates a database of its own (prefix and random letters) on
// the PostgreSQL server that admin connects to, migrates it and returns it
// open; it is dropped WITH (FORCE) when t ends. For benchmarks that write
// and must leave a seeded database alone.
func Throwaway(t testing.TB, admin, prefix string) *gorm.DB {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil || !models.IsPostgresURL(admin) {
		t.Fatalf("dbtest: %q is not a PostgreSQL URL (%v)", admin, err)
	}
	name := prefix + randomHex(6)
	if err := adminExec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return openMigrated(t, u.String(), quietLogger())
}

// DSN returns the connection string of a fresh, empty database of dialect
// d, for tests that open it themselves (another process, say).
func DSN(t testing.TB, d models.Dialect) string {
	t.Helper()
	if d == models.SQLite {
		return filepath.Join(t.TempDir(), "regulars.db")
	}
	if !mainRan && os.Getenv("TEST_DATABASE_URL") != "" {
		t.Fatal("dbtest: call dbtest.Main from this package's TestMain")
	}
	if packageDBURL == "" {
		if RequirePostgres() {
			t.Fatal("dbtest: PostgreSQL required but TEST_DATABASE_URL is not set")
		}
		t.Skip("PostgreSQL not configured: set TEST_DATABASE_URL to run this half")
	}
	schema := fmt.Sprintf("t%d_%s", schemaSeq.Add(1), randomHex(3))
	if err := adminExec(packageDBURL, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(packageDBURL, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
	})
	u, _ := url.Parse(packageDBURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// CountStatements makes db's logger also count into n every statement it
// traces (BEGIN and COMMIT are not traced). Sessions made from db after
// the call count too.
func CountStatements(db *gorm.DB, n *atomic.Int64) {
	db.Logger = countingLogger{db.Logger, n}
}

type countingLogger struct {
	logger.Interface
	n *atomic.Int64
}

func (l countingLogger) LogMode(level logger.LogLevel) logger.Interface {
	return countingLogger{l.Interface.LogMode(level), l.n}
}

func (l countingLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	l.n.Add(1)
	l.Interface.Trace(ctx, begin, fc, err)
}

// ParamsFilter passes on the app logger's, so counting changes nothing of
// what is logged, nor what rendering it costs.
func (l countingLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := l.Interface.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, params
}
