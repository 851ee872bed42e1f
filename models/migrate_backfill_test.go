package models_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// An installation upgraded from version 5 keeps working: its programs get
// the purchase limits of new ones in their currency (a zero limit would
// refuse every purchase), and its members are found by the new search.
func TestUpgradeFromVersion5FillsNewColumns(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db := migratedTo(t, d, 5)
			ctx := context.Background()
			for _, stmt := range []string{
				`INSERT INTO merchants (id, name, currency, time_zone, created_at, updated_at) VALUES
					(1, 'Café', 'EUR', 'Europe/Paris', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
					(2, 'Kissa', 'JPY', 'Asia/Tokyo', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
				`INSERT INTO programs (id, merchant_id, name, type, unit_label, status, expiry_policy, tier_metric, tier_window, downgrade_policy, created_at, updated_at) VALUES
					(1, 1, 'Club', 'points', 'points', 'active', 'never', 'points_earned', 'lifetime', 'never', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
					(2, 2, 'Club', 'points', 'points', 'active', 'never', 'points_earned', 'lifetime', 'never', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
				`INSERT INTO members (id, merchant_id, name, card_code, created_at, updated_at) VALUES
					(1, 1, 'Émilie Ürün', 'AAAA2222', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
			} {
				if err := db.Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if _, err := models.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			for merchant, want := range map[int64][2]int64{1: {100_000, 20_000}, 2: {1_000, 200}} {
				prog, err := models.GetProgram(models.ForMerchant(db, merchant), merchant)
				if err != nil {
					t.Fatal(err)
				}
				if prog.MaxPurchaseMinor != want[0] || prog.LargePurchaseMinor != want[1] {
					t.Errorf("merchant %d: limits %d/%d, want %d/%d", merchant, prog.MaxPurchaseMinor, prog.LargePurchaseMinor, want[0], want[1])
				}
			}
			found, err := models.SearchMembers(models.ForMerchant(db, 1), models.MemberQuery{Text: "urun"})
			if err != nil || len(found) != 1 {
				t.Errorf("search for the member stored before the upgrade: %v, %v", found, err)
			}
		})
	}
}

// migratedTo opens a fresh database of dialect d migrated up to version,
// as an installation of that release left it.
func migratedTo(t *testing.T, d models.Dialect, version int64) *gorm.DB {
	t.Helper()
	db, err := models.Open(dbtest.DSN(t, d), nil)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })
	fsys, err := models.MigrationFS(d)
	if err != nil {
		t.Fatal(err)
	}
	dialect := goose.DialectSQLite3
	if d == models.Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db
}
