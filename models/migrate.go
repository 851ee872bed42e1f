package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

// Migrations hold one folder per dialect with the same version numbers. The
// list is ordered and never edited: a change is a new file in both folders.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// MigrationFS returns the migration folder of a dialect.
func MigrationFS(d Dialect) (fs.FS, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(d))
	if err != nil {
		return nil, fmt.Errorf("migrate: %s folder: %w", d, err)
	}
	return sub, nil
}

func newMigrationProvider(db *gorm.DB) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("migrate: handle: %w", err)
	}
	dialect := DialectOf(db)
	fsys, err := MigrationFS(dialect)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	gooseDialect := goose.DialectSQLite3
	if dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		// Two instances starting together must not both migrate. The lock
		// is named after the schema: advisory locks span the database, and
		// installations in other schemas need not wait for each other.
		var schema string
		if err := sqlDB.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
			return nil, fmt.Errorf("migrate: schema: %w", err)
		}
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockID(advisoryKey(schema+":migrate", 0)),
			lock.WithLockTimeout(1, 300), // retry every second for five minutes
		)
		if err != nil {
			return nil, fmt.Errorf("migrate: session locker: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gooseDialect, sqlDB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: provider: %w", err)
	}
	return p, nil
}

// Migrate brings the schema up to the newest version, keys the members
// that need it for search, and returns the versions it applied.
func Migrate(ctx context.Context, db *gorm.DB) ([]int64, error) {
	p, err := newMigrationProvider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: up: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	if err := backfillMemberSearch(ctx, db); err != nil {
		return nil, err
	}
	return applied, nil
}
