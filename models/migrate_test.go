package models_test

import (
	"context"
	"io/fs"
	"reflect"
	"sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Every model's every column must exist after migrating, in both dialects:
// the migrations, not AutoMigrate, own the schema.
func TestMigrationsCoverEveryModel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		cache := &sync.Map{}
		for _, model := range models.Models() {
			s, err := schema.Parse(model, cache, db.NamingStrategy)
			if err != nil {
				t.Fatalf("parse %T: %v", model, err)
			}
			if !db.Migrator().HasTable(s.Table) {
				t.Errorf("table %s of %T is missing", s.Table, model)
				continue
			}
			for _, f := range s.Fields {
				if f.DBName == "" {
					continue
				}
				if !db.Migrator().HasColumn(model, f.DBName) {
					t.Errorf("column %s.%s of %T.%s is missing", s.Table, f.DBName, model, f.Name)
				}
			}
		}
	})
}

func TestMigrationsAreIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		applied, err := models.Migrate(context.Background(), db)
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", applied)
		}
	})
}

// Both dialect folders must hold the same versions under the same names.
func TestMigrationFoldersMatch(t *testing.T) {
	names := map[models.Dialect][]string{}
	for _, d := range dbtest.Dialects() {
		fsys, err := models.MigrationFS(d)
		if err != nil {
			t.Fatal(err)
		}
		files, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("%s: no migrations", d)
		}
		names[d] = files
	}
	if !reflect.DeepEqual(names[models.SQLite], names[models.Postgres]) {
		t.Fatalf("migration folders differ:\nsqlite:   %v\npostgres: %v", names[models.SQLite], names[models.Postgres])
	}
}
