package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL flavour behind a *gorm.DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DialectOf reports which database a connection talks to.
func DialectOf(db *gorm.DB) Dialect {
	if db.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// IsPostgresURL tells a PostgreSQL connection string from a SQLite path.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Pool sizes the connection pool. Idle equals open by default so that a
// connection, once made, is reused: a new PostgreSQL connection costs the
// server tens of milliseconds of CPU, more than most requests.
type Pool struct {
	MaxOpen     int           // connections at most, busy or idle
	MaxIdle     int           // connections kept open while idle
	MaxLifetime time.Duration // a connection is replaced after this long; 0 keeps it
}

// DefaultPool suits a 2-core box. A connection is idle between a
// transaction's statements while its goroutine waits for a CPU: with 32
// clients buying at once, 16 connections cut the p95 of a purchase by a
// tenth to a third against 8, while 24 to 64 helped in one run and hurt in
// another (BenchmarkPurchaseThroughput, BENCH_TP_POOLS). The web app lets
// in as many requests at once as MaxOpen, the rest waiting in turn. SQLite
// has one writer at a time; the same bound keeps its readers concurrent
// under WAL while writers queue on the busy timeout.
var DefaultPool = Pool{MaxOpen: 16, MaxIdle: 16, MaxLifetime: 30 * time.Minute}

// Open connects with the default pool; see OpenPool.
func Open(dsn string, log *slog.Logger) (*gorm.DB, error) {
	return OpenPool(dsn, log, DefaultPool)
}

// OpenPool connects to PostgreSQL when dsn is a postgres:// URL and
// otherwise treats dsn as the path of a SQLite file, creating its
// directory. The connection is registered with the tenant guard before it
// is returned.
func OpenPool(dsn string, log *slog.Logger, pool Pool) (*gorm.DB, error) {
	cfg := &gorm.Config{
		Logger:         newGormLogger(log),
		NowFunc:        func() time.Time { return time.Now().UTC() },
		TranslateError: true,
		// A single write is atomic by itself; GORM's own BEGIN and COMMIT
		// around it cost two round trips (no model has associations or
		// hooks that would write more). Writes that belong together run
		// in db.Transaction.
		SkipDefaultTransaction: true,
	}
	var (
		db  *gorm.DB
		err error
	)
	if IsPostgresURL(dsn) {
		db, err = gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("db: open postgres: %w", err)
		}
	} else {
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("db: create data directory: %w", err)
			}
		}
		db, err = gorm.Open(sqlite.Open(sqliteDSN(dsn)), cfg)
		if err != nil {
			return nil, fmt.Errorf("db: open sqlite: %w", err)
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("db: handle: %w", err)
	}
	sqlDB.SetMaxOpenConns(pool.MaxOpen)
	sqlDB.SetMaxIdleConns(pool.MaxIdle)
	sqlDB.SetConnMaxLifetime(pool.MaxLifetime)
	if err := registerTenantGuard(db); err != nil {
		return nil, err
	}
	return db, nil
}

// sqliteDSN adds the pragmas every Regulars SQLite file runs with: WAL for
// concurrent readers, enforced foreign keys, a busy timeout instead of
// instant "database is locked" (30 s: an import batch on a loaded machine
// can hold the one write lock for seconds), and IMMEDIATE transactions so
// a writer takes the lock at BEGIN rather than failing half-way through.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// No _time_format: the driver stops reading options after it, which
	// would silently drop _txlock.
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Ping checks that the database answers, for readiness probes.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("db: handle: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

func newGormLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		log = slog.Default()
	}
	// Statements are logged without their values: those hold password
	// hashes, emails and phones.
	cfg := logger.Config{
		ParameterizedQueries:      true,
		SlowThreshold:             500 * time.Millisecond,
		IgnoreRecordNotFoundError: true,
		LogLevel:                  logger.Warn,
	}
	return lazyLogger{Interface: logger.NewSlogLogger(log, cfg), cfg: cfg}
}

// lazyLogger is GORM's slog logger asked to render a statement only when
// it logs it: that one renders every statement (regular expressions over
// its SQL) before deciding, a tenth of a purchase's CPU in Go.
type lazyLogger struct {
	logger.Interface
	cfg logger.Config
}

func (l lazyLogger) LogMode(level logger.LogLevel) logger.Interface {
	l.cfg.LogLevel = level
	return lazyLogger{Interface: l.Interface.LogMode(level), cfg: l.cfg}
}

func (l lazyLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	failed := err != nil && !(l.cfg.IgnoreRecordNotFoundError && errors.Is(err, gorm.ErrRecordNotFound))
	slow := l.cfg.SlowThreshold != 0 && time.Since(begin) > l.cfg.SlowThreshold
	if failed || slow || l.cfg.LogLevel >= logger.Info {
		l.Interface.Trace(ctx, begin, fc, err)
	}
}

// ParamsFilter keeps the values out of what is logged.
func (l lazyLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := l.Interface.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, params
}
