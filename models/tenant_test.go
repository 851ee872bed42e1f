package models_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// tenants is two signed-up merchants, A and B, each with an owner and a
// staff member, so every scoped statement has someone else's rows to leak.
type tenants struct {
	a, b           *models.Merchant
	aOwner, bOwner *models.User
	aStaff, bStaff *models.User
}

func twoMerchants(t *testing.T, db *gorm.DB) tenants {
	t.Helper()
	var tn tenants
	tn.a, tn.aOwner = signUp(t, db, "owner@a.example.com")
	tn.b, tn.bOwner = signUp(t, db, "owner@b.example.com")
	tn.aStaff, _ = addUser(t, db, tn.a.ID, "staff@a.example.com", models.RoleStaff, testPassword)
	tn.bStaff, _ = addUser(t, db, tn.b.ID, "staff@b.example.com", models.RoleStaff, testPassword)
	return tn
}

func wantTenantGuard(t *testing.T, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "tenant guard") {
		t.Fatalf("err = %v, want a tenant guard error", err)
	}
}

func userIDs(users []models.User) []int64 {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	slices.Sort(ids)
	return ids
}

func sortedIDs(ids ...int64) []int64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// findUsers lists the users db can see, failing the test on error.
func findUsers(t *testing.T, db *gorm.DB) []int64 {
	t.Helper()
	var users []models.User
	if err := db.Find(&users).Error; err != nil {
		t.Fatalf("find users: %v", err)
	}
	return userIDs(users)
}

func TestTenantGuardRefusesUnscopedStatements(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		m, owner := signUp(t, db, "owner@example.com")
		ops := []struct {
			name string
			run  func(db *gorm.DB) error
		}{
			{"find", func(db *gorm.DB) error { var us []models.User; return db.Find(&us).Error }},
			{"take by id", func(db *gorm.DB) error { var u models.User; return db.Take(&u, owner.ID).Error }},
			{"where", func(db *gorm.DB) error {
				var u models.User
				return db.Where("email = ?", owner.Email).Take(&u).Error
			}},
			{"count", func(db *gorm.DB) error { var n int64; return db.Model(&models.User{}).Count(&n).Error }},
			{"pluck", func(db *gorm.DB) error { var e []string; return db.Model(&models.User{}).Pluck("email", &e).Error }},
			{"rows", func(db *gorm.DB) error {
				rows, err := db.Model(&models.User{}).Rows()
				if rows != nil {
					_ = rows.Close()
				}
				return err
			}},
			{"scan", func(db *gorm.DB) error {
				var ids []int64
				return db.Model(&models.User{}).Select("id").Scan(&ids).Error
			}},
			{"update", func(db *gorm.DB) error { return db.Model(&models.User{ID: owner.ID}).Update("name", "Changed").Error }},
			{"updates where", func(db *gorm.DB) error {
				return db.Model(&models.User{}).Where("id = ?", owner.ID).Updates(map[string]any{"name": "Changed"}).Error
			}},
			{"delete", func(db *gorm.DB) error { return db.Delete(&models.User{}, owner.ID).Error }},
			{"create", func(db *gorm.DB) error {
				return db.Create(&models.User{MerchantID: m.ID, Name: "New", Email: "new@example.com",
					Role: models.RoleStaff, Active: true, SessionEpoch: 1}).Error
			}},
			{"create without merchant", func(db *gorm.DB) error {
				return db.Create(&models.User{Name: "New", Email: "new@example.com", Role: models.RoleStaff, Active: true}).Error
			}},
			{"transaction", func(db *gorm.DB) error {
				return db.Transaction(func(tx *gorm.DB) error { var us []models.User; return tx.Find(&us).Error })
			}},
			{"merchants find", func(db *gorm.DB) error { var ms []models.Merchant; return db.Find(&ms).Error }},
			{"merchants update", func(db *gorm.DB) error {
				return db.Model(&models.Merchant{ID: m.ID}).Update("name", "Changed").Error
			}},
			{"password tokens find", func(db *gorm.DB) error { var ts []models.PasswordToken; return db.Find(&ts).Error }},
		}
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				wantTenantGuard(t, op.run(db))
			})
		}

		// Nothing the refused statements tried was written.
		if got := reloadUser(t, db, owner.ID); got.Name != owner.Name {
			t.Errorf("owner name = %q, want %q", got.Name, owner.Name)
		}
		if n := countRows(t, db, &models.User{}); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
		var merchant models.Merchant
		if err := models.CrossTenant(db).Take(&merchant, m.ID).Error; err != nil || merchant.Name != m.Name {
			t.Errorf("merchant = %+v, %v; want name %q", merchant, err, m.Name)
		}
		// The domain helpers inherit the guard: an unscoped call is an
		// internal error, never another merchant's data.
		if _, err := models.GetMerchant(db); models.ErrorCode(err) != models.EINTERNAL {
			t.Errorf("GetMerchant on an unscoped db: err = %v, want internal", err)
		}
		if _, err := models.ListUsers(db); err == nil || !strings.Contains(err.Error(), "tenant guard") {
			t.Errorf("ListUsers on an unscoped db: err = %v, want a tenant guard error", err)
		}
	})
}

func TestForMerchantReadsOnlyItsOwnRows(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		scoped := models.ForMerchant(db, tn.a.ID)

		if got, want := findUsers(t, scoped), sortedIDs(tn.aOwner.ID, tn.aStaff.ID); !slices.Equal(got, want) {
			t.Errorf("A's scope finds users %v, want %v", got, want)
		}

		var u models.User
		if err := scoped.Take(&u, tn.bOwner.ID).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("Take(B's owner) in A's scope: err = %v, user = %+v; want ErrRecordNotFound", err, u)
		}
		if err := scoped.Where("email = ?", tn.bOwner.Email).Take(&u).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("Take(B's owner by email) in A's scope: err = %v; want ErrRecordNotFound", err)
		}
		var others []models.User
		if err := scoped.Where("merchant_id = ?", tn.b.ID).Find(&others).Error; err != nil || len(others) != 0 {
			t.Errorf("Find(merchant_id = B) in A's scope: %d users, err %v; want none", len(others), err)
		}
		preset := models.User{ID: tn.bOwner.ID}
		if res := scoped.Find(&preset); res.Error != nil || res.RowsAffected != 0 {
			t.Errorf("Find(&User{ID: B's owner}) in A's scope: rows %d, err %v; want 0 rows", res.RowsAffected, res.Error)
		}

		var n int64
		if err := scoped.Model(&models.User{}).Count(&n).Error; err != nil || n != 2 {
			t.Errorf("Count in A's scope = %d, %v; want 2", n, err)
		}
		var emails []string
		if err := scoped.Model(&models.User{}).Order("email").Pluck("email", &emails).Error; err != nil ||
			!slices.Equal(emails, []string{tn.aOwner.Email, tn.aStaff.Email}) {
			t.Errorf("Pluck(email) in A's scope = %v, %v; want A's two emails", emails, err)
		}
		rows, err := scoped.Model(&models.User{}).Select("id").Order("id").Rows()
		if err != nil {
			t.Fatalf("Rows in A's scope: %v", err)
		}
		var rowIDs []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			rowIDs = append(rowIDs, id)
		}
		_ = rows.Close()
		if want := sortedIDs(tn.aOwner.ID, tn.aStaff.ID); !slices.Equal(rowIDs, want) {
			t.Errorf("Rows in A's scope = %v, want %v", rowIDs, want)
		}

		if _, err := models.GetUser(scoped, tn.bOwner.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("GetUser(B's owner) in A's scope: err = %v, want not found", err)
		}
		listed, err := models.ListUsers(scoped)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := userIDs(listed), sortedIDs(tn.aOwner.ID, tn.aStaff.ID); !slices.Equal(got, want) {
			t.Errorf("ListUsers in A's scope = %v, want %v", got, want)
		}
	})
}

func TestForMerchantWritesOnlyItsOwnRows(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		scoped := models.ForMerchant(db, tn.a.ID)
		before := reloadUser(t, db, tn.bOwner.ID)

		writes := []struct {
			name string
			run  func() *gorm.DB
		}{
			{"update by model", func() *gorm.DB {
				return scoped.Model(&models.User{ID: tn.bOwner.ID}).Update("name", "Hijacked")
			}},
			{"update by loaded row", func() *gorm.DB {
				row := before
				return scoped.Model(&row).Updates(map[string]any{"name": "Hijacked", "role": models.RoleStaff})
			}},
			{"update by where", func() *gorm.DB {
				return scoped.Model(&models.User{}).Where("id = ?", tn.bOwner.ID).Update("active", false)
			}},
			{"delete by id", func() *gorm.DB { return scoped.Delete(&models.User{}, tn.bOwner.ID) }},
			{"delete by model", func() *gorm.DB { return scoped.Delete(&models.User{ID: tn.bOwner.ID}) }},
			{"delete by where", func() *gorm.DB {
				return scoped.Where("email = ?", tn.bOwner.Email).Delete(&models.User{})
			}},
		}
		for _, w := range writes {
			t.Run(w.name, func(t *testing.T) {
				res := w.run()
				if res.Error != nil || res.RowsAffected != 0 {
					t.Errorf("rows affected = %d, err = %v; want 0 rows and no error", res.RowsAffected, res.Error)
				}
				if after := reloadUser(t, db, tn.bOwner.ID); after.Name != before.Name || after.Role != before.Role ||
					!after.Active || after.MerchantID != tn.b.ID {
					t.Errorf("B's owner changed to %+v", after)
				}
			})
		}

		// The same statements do work on A's own rows.
		res := scoped.Model(&models.User{ID: tn.aStaff.ID}).Update("name", "Renamed")
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("update A's own staff: rows %d, err %v; want 1 row", res.RowsAffected, res.Error)
		}
		if got := reloadUser(t, db, tn.aStaff.ID).Name; got != "Renamed" {
			t.Errorf("A's staff name = %q, want Renamed", got)
		}
		res = scoped.Delete(&models.User{}, tn.aStaff.ID)
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("delete A's own staff: rows %d, err %v; want 1 row", res.RowsAffected, res.Error)
		}
		if n := countRows(t, db, &models.User{}); n != 3 {
			t.Errorf("users after deleting A's staff = %d, want 3", n)
		}
	})
}

// The scope wraps the caller's conditions, so no spelling of OR in them
// can reach another merchant's rows, for reads or for writes.
func TestForMerchantOrCannotEscapeScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		aID, bID := tn.aOwner.ID, tn.bOwner.ID
		cases := []struct {
			name  string
			where func(db *gorm.DB) *gorm.DB
		}{
			{"Or method", func(db *gorm.DB) *gorm.DB { return db.Where("id = ?", aID).Or("id = ?", bID) }},
			{"Or method alone", func(db *gorm.DB) *gorm.DB { return db.Or("id = ?", bID) }},
			{"clause.Or", func(db *gorm.DB) *gorm.DB {
				return db.Where(clause.Or(clause.Eq{Column: "id", Value: aID}, clause.Eq{Column: "id", Value: bID}))
			}},
			{"map and Or", func(db *gorm.DB) *gorm.DB { return db.Where(map[string]any{"id": aID}).Or(map[string]any{"id": bID}) }},
		}
		for _, sql := range []string{
			"id = ? OR id = ?",
			"id = ? or id = ?",
			"(id = ?) OR (id = ?)",
			"id IN (?) OR id = ?",
			"id = ?\nOR id = ?",
			"id = ? OR\nid = ?",
			"id = ?\tOR\tid = ?",
			"(id = ?)OR(id = ?)",
		} {
			cases = append(cases, struct {
				name  string
				where func(db *gorm.DB) *gorm.DB
			}{fmt.Sprintf("Where(%q)", sql), func(db *gorm.DB) *gorm.DB { return db.Where(sql, aID, bID) }})
		}

		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var users []models.User
				if err := c.where(models.ForMerchant(db, tn.a.ID)).Find(&users).Error; err != nil {
					t.Fatal(err)
				}
				for _, u := range users {
					if u.MerchantID != tn.a.ID {
						t.Errorf("read escaped the scope: found user %d of merchant %d", u.ID, u.MerchantID)
					}
				}
				res := c.where(models.ForMerchant(db, tn.a.ID).Model(&models.User{})).Update("name", "Renamed by A")
				if res.Error != nil {
					t.Fatal(res.Error)
				}
				if got := reloadUser(t, db, bID).Name; got != tn.bOwner.Name {
					t.Errorf("write escaped the scope: B's owner renamed to %q", got)
					models.CrossTenant(db).Model(&models.User{ID: bID}).Update("name", tn.bOwner.Name)
				}
			})
		}
	})
}

func TestForMerchantCreateStampsMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		scoped := models.ForMerchant(db, tn.a.ID)
		newUser := func(email string, merchantID int64) models.User {
			return models.User{MerchantID: merchantID, Name: "New", Email: email, Role: models.RoleStaff, Active: true, SessionEpoch: 1}
		}

		t.Run("zero merchant is stamped", func(t *testing.T) {
			u := newUser("stamped@example.com", 0)
			if err := scoped.Create(&u).Error; err != nil {
				t.Fatal(err)
			}
			if u.MerchantID != tn.a.ID {
				t.Errorf("created user's MerchantID = %d, want %d", u.MerchantID, tn.a.ID)
			}
			if got := reloadUser(t, db, u.ID).MerchantID; got != tn.a.ID {
				t.Errorf("stored merchant_id = %d, want %d", got, tn.a.ID)
			}
		})

		t.Run("own merchant is kept", func(t *testing.T) {
			u := newUser("own@example.com", tn.a.ID)
			if err := scoped.Create(&u).Error; err != nil {
				t.Fatal(err)
			}
			if got := reloadUser(t, db, u.ID).MerchantID; got != tn.a.ID {
				t.Errorf("stored merchant_id = %d, want %d", got, tn.a.ID)
			}
		})

		t.Run("batch is stamped", func(t *testing.T) {
			batch := []*models.User{ptr(newUser("batch1@example.com", 0)), ptr(newUser("batch2@example.com", 0))}
			if err := scoped.Create(batch).Error; err != nil {
				t.Fatal(err)
			}
			for _, u := range batch {
				if got := reloadUser(t, db, u.ID).MerchantID; got != tn.a.ID {
					t.Errorf("user %s stored with merchant_id %d, want %d", u.Email, got, tn.a.ID)
				}
			}
		})

		t.Run("other merchant is refused", func(t *testing.T) {
			before := countRows(t, db, &models.User{})
			u := newUser("foreign@example.com", tn.b.ID)
			wantTenantGuard(t, scoped.Create(&u).Error)
			if n := countRows(t, db, &models.User{}); n != before {
				t.Errorf("users = %d after a refused create, want %d", n, before)
			}
		})

		t.Run("batch with another merchant's row writes nothing", func(t *testing.T) {
			before := countRows(t, db, &models.User{})
			batch := []models.User{newUser("mixed1@example.com", 0), newUser("mixed2@example.com", tn.b.ID)}
			wantTenantGuard(t, scoped.Create(&batch).Error)
			if n := countRows(t, db, &models.User{}); n != before {
				t.Errorf("users = %d after a refused batch, want %d", n, before)
			}
		})

		t.Run("scope survives FirstOrCreate", func(t *testing.T) {
			var u models.User
			err := scoped.Where(models.User{Email: "firstorcreate@example.com"}).
				Attrs(models.User{Name: "New", Role: models.RoleStaff, Active: true, SessionEpoch: 1}).FirstOrCreate(&u).Error
			if err != nil {
				t.Fatal(err)
			}
			if got := reloadUser(t, db, u.ID).MerchantID; got != tn.a.ID {
				t.Errorf("stored merchant_id = %d, want %d", got, tn.a.ID)
			}
		})
	})
}

// GORM also creates from maps; those rows must belong to the scope too.
func TestForMerchantCreateFromMapIsGuarded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		row := func(email string) map[string]any {
			return map[string]any{"merchant_id": tn.b.ID, "name": "Map", "email": email, "role": "staff",
				"active": true, "session_epoch": 1}
		}

		t.Run("map", func(t *testing.T) {
			err := models.ForMerchant(db, tn.a.ID).Model(&models.User{}).Create(row("map@example.com")).Error
			if err == nil || !strings.Contains(err.Error(), "tenant guard") {
				t.Errorf("create from a map with merchant_id B in A's scope: err = %v, want a tenant guard error", err)
			}
			var n int64
			models.CrossTenant(db).Model(&models.User{}).Where("email = ?", "map@example.com").Count(&n)
			if n != 0 {
				t.Errorf("a row of merchant B was created through A's scope")
			}
		})

		t.Run("slice of maps", func(t *testing.T) {
			rows := []map[string]any{row("maps1@example.com"), row("maps2@example.com")}
			err := catchPanic(func() error {
				return models.ForMerchant(db, tn.a.ID).Model(&models.User{}).Create(rows).Error
			})
			if err == nil || !strings.Contains(err.Error(), "tenant guard") {
				t.Errorf("create from maps with merchant_id B in A's scope: err = %v, want a tenant guard error", err)
			}
			var n int64
			models.CrossTenant(db).Model(&models.User{}).Where("email LIKE ?", "maps%").Count(&n)
			if n != 0 {
				t.Errorf("%d rows of merchant B were created through A's scope", n)
			}
		})
	})
}

// Save falls back to an upsert when its UPDATE matches nothing, and an
// upsert's DO UPDATE is not filtered by the scope; in A's scope neither may
// overwrite B's row with the same id, whatever MerchantID the row names.
func TestForMerchantUpsertCannotTakeOverAnotherMerchantsRow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		cases := []struct {
			name       string
			merchantID func() int64
			write      func(db *gorm.DB, u *models.User) error
		}{
			{"Save without a merchant", func() int64 { return 0 },
				func(db *gorm.DB, u *models.User) error { return db.Save(u).Error }},
			{"Save naming the scope's merchant", func() int64 { return tn.a.ID },
				func(db *gorm.DB, u *models.User) error { return db.Save(u).Error }},
			{"upsert naming the scope's merchant", func() int64 { return tn.a.ID },
				func(db *gorm.DB, u *models.User) error {
					return db.Clauses(clause.OnConflict{UpdateAll: true}).Create(u).Error
				}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := reloadUser(t, db, tn.bOwner.ID)
				forged := models.User{ID: tn.bOwner.ID, MerchantID: c.merchantID(), Name: "Hijacker",
					Email: fmt.Sprintf("hijacker%d@example.com", i), Role: models.RoleOwner, Active: true, SessionEpoch: 1}
				_ = c.write(models.ForMerchant(db, tn.a.ID), &forged) // an error is a fine outcome; a takeover is not
				after := reloadUser(t, db, tn.bOwner.ID)
				if after.MerchantID != tn.b.ID || after.Email != before.Email || after.PasswordHash != before.PasswordHash {
					t.Errorf("A's scope overwrote B's owner: before %+v, after %+v", before, after)
					models.CrossTenant(db).Save(&before)
				}
			})
		}
	})
}

// A scoped update must not hand a row over to another merchant, however
// the update is spelled.
func TestForMerchantCannotMoveRowToAnotherMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		id := tn.aStaff.ID
		moves := []struct {
			name string
			run  func(db *gorm.DB) error
		}{
			{"Update", func(db *gorm.DB) error {
				return db.Model(&models.User{ID: id}).Update("merchant_id", tn.b.ID).Error
			}},
			{"Updates map", func(db *gorm.DB) error {
				return db.Model(&models.User{ID: id}).Updates(map[string]any{"merchant_id": tn.b.ID}).Error
			}},
			{"Updates struct", func(db *gorm.DB) error {
				return db.Model(&models.User{ID: id}).Updates(models.User{MerchantID: tn.b.ID}).Error
			}},
			{"UpdateColumn", func(db *gorm.DB) error {
				return db.Model(&models.User{}).Where("id = ?", id).UpdateColumn("merchant_id", tn.b.ID).Error
			}},
			{"Table Update", func(db *gorm.DB) error {
				return db.Table("users").Where("id = ?", id).Update("merchant_id", tn.b.ID).Error
			}},
			{"Table Updates map", func(db *gorm.DB) error {
				return db.Table("users").Where("id = ?", id).Updates(map[string]any{"merchant_id": tn.b.ID}).Error
			}},
		}
		for _, m := range moves {
			t.Run(m.name, func(t *testing.T) {
				_ = m.run(models.ForMerchant(db, tn.a.ID)) // an error is a fine outcome; a move is not
				if got := reloadUser(t, db, id).MerchantID; got != tn.a.ID {
					t.Errorf("A's staff now belongs to merchant %d, want %d", got, tn.a.ID)
					models.CrossTenant(db).Model(&models.User{ID: id}).Update("merchant_id", tn.a.ID)
				}
			})
		}
		// Naming the scope's own merchant is no move, and is allowed.
		res := models.ForMerchant(db, tn.a.ID).Model(&models.User{ID: id}).Updates(map[string]any{"merchant_id": tn.a.ID, "name": "Kept"})
		if res.Error != nil || res.RowsAffected != 1 {
			t.Errorf("update naming A's own merchant: rows %d, err %v; want 1 row", res.RowsAffected, res.Error)
		}
	})
}

// GORM refuses an UPDATE or DELETE without conditions; the tenant
// condition must not switch that safety net off inside a merchant.
func TestForMerchantKeepsMissingWhereProtection(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		scoped := models.ForMerchant(db, tn.a.ID)

		err := scoped.Model(&models.User{}).Update("name", "Everyone").Error
		if !errors.Is(err, gorm.ErrMissingWhereClause) {
			t.Errorf("unconditional scoped update: err = %v, want ErrMissingWhereClause", err)
		}
		if got := reloadUser(t, db, tn.aOwner.ID).Name; got != tn.aOwner.Name {
			t.Errorf("unconditional scoped update renamed A's owner to %q", got)
		}

		err = scoped.Delete(&models.User{}).Error
		if !errors.Is(err, gorm.ErrMissingWhereClause) {
			t.Errorf("unconditional scoped delete: err = %v, want ErrMissingWhereClause", err)
		}
		if got := findUsers(t, scoped); len(got) != 2 {
			t.Errorf("unconditional scoped delete left A with users %v, want 2 users", got)
		}
	})
}

// Table("users") names a tenant table without a model, with or without
// an alias; the guard must still see it rather than let it cross merchants.
func TestTenantGuardCoversTableQueries(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		for _, table := range []string{"users", "users u", "users AS u"} {
			t.Run(table, func(t *testing.T) {
				var n int64
				err := db.Table(table).Count(&n).Error
				if err == nil || !strings.Contains(err.Error(), "tenant guard") {
					t.Errorf("unscoped Table(%q).Count: n = %d, err = %v; want a tenant guard error", table, n, err)
				}

				var rows []map[string]any
				if err := models.ForMerchant(db, tn.a.ID).Table(table).Find(&rows).Error; err != nil {
					t.Fatal(err)
				}
				if len(rows) != 2 {
					t.Errorf("A's scoped Table(%q) query returned %d rows, want A's 2", table, len(rows))
				}
				for _, r := range rows {
					if fmt.Sprint(r["merchant_id"]) != fmt.Sprint(tn.a.ID) {
						t.Errorf("A's scoped Table(%q) query returned a row of merchant %v", table, r["merchant_id"])
					}
				}

				_ = db.Table(table).Where("1 = 1").Update("name", "Renamed").Error // must fail, one way or another
				if got := reloadUser(t, db, tn.bOwner.ID).Name; got != tn.bOwner.Name {
					t.Errorf("unscoped update through Table(%q) renamed B's owner to %q", table, got)
					models.CrossTenant(db).Model(&models.User{ID: tn.bOwner.ID}).Update("name", tn.bOwner.Name)
				}
			})
		}
	})
}

func TestForMerchantScopesMerchantsByID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		scoped := models.ForMerchant(db, tn.a.ID)

		var ms []models.Merchant
		if err := scoped.Find(&ms).Error; err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].ID != tn.a.ID {
			t.Errorf("A's scope finds merchants %+v, want only A (%d)", ms, tn.a.ID)
		}
		var m models.Merchant
		if err := scoped.Take(&m, tn.b.ID).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("Take(B) in A's scope: err = %v, want ErrRecordNotFound", err)
		}
		got, err := models.GetMerchant(scoped)
		if err != nil || got.ID != tn.a.ID || got.Name != tn.a.Name {
			t.Errorf("GetMerchant in A's scope = %+v, %v; want A", got, err)
		}
		if got, err := models.GetMerchant(models.ForMerchant(db, tn.b.ID+1000)); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("GetMerchant of a missing merchant = %+v, %v; want not found", got, err)
		}

		res := scoped.Model(&models.Merchant{ID: tn.b.ID}).Update("name", "Hijacked")
		if res.Error != nil || res.RowsAffected != 0 {
			t.Errorf("update B in A's scope: rows %d, err %v; want 0 rows", res.RowsAffected, res.Error)
		}
		if err := models.CrossTenant(db).Take(&m, tn.b.ID).Error; err != nil || m.Name != tn.b.Name {
			t.Errorf("B = %+v, %v; want its name %q unchanged", m, err, tn.b.Name)
		}
	})
}

func TestCrossTenantSeesEveryMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		all := sortedIDs(tn.aOwner.ID, tn.aStaff.ID, tn.bOwner.ID, tn.bStaff.ID)
		cross := models.CrossTenant(db)

		if got := findUsers(t, cross); !slices.Equal(got, all) {
			t.Errorf("CrossTenant finds users %v, want %v", got, all)
		}
		var ms []models.Merchant
		if err := cross.Order("id").Find(&ms).Error; err != nil || len(ms) != 2 {
			t.Errorf("CrossTenant finds %d merchants, %v; want 2", len(ms), err)
		}
		var u models.User
		if err := cross.Take(&u, tn.bOwner.ID).Error; err != nil || u.Email != tn.bOwner.Email {
			t.Errorf("CrossTenant Take(B's owner) = %+v, %v", u, err)
		}

		// The last word wins: CrossTenant lifts a scope, ForMerchant sets one.
		if got := findUsers(t, models.CrossTenant(models.ForMerchant(db, tn.a.ID))); !slices.Equal(got, all) {
			t.Errorf("CrossTenant(ForMerchant(A)) finds %v, want %v", got, all)
		}
		if got, want := findUsers(t, models.ForMerchant(cross, tn.b.ID)), sortedIDs(tn.bOwner.ID, tn.bStaff.ID); !slices.Equal(got, want) {
			t.Errorf("ForMerchant(CrossTenant, B) finds %v, want %v", got, want)
		}

		if id, ok := models.MerchantOf(models.ForMerchant(db, tn.a.ID)); !ok || id != tn.a.ID {
			t.Errorf("MerchantOf(ForMerchant(A)) = %d, %v; want %d, true", id, ok, tn.a.ID)
		}
		if id, ok := models.MerchantOf(db); ok {
			t.Errorf("MerchantOf(plain db) = %d, true; want not scoped", id)
		}
	})
}

func TestForMerchantScopeSurvivesTransaction(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tn := twoMerchants(t, db)
		aUsers := sortedIDs(tn.aOwner.ID, tn.aStaff.ID)
		var created models.User
		err := models.ForMerchant(db, tn.a.ID).Transaction(func(tx *gorm.DB) error {
			if id, ok := models.MerchantOf(tx); !ok || id != tn.a.ID {
				t.Errorf("MerchantOf(tx) = %d, %v; want %d", id, ok, tn.a.ID)
			}
			if got := findUsers(t, tx); !slices.Equal(got, aUsers) {
				t.Errorf("tx finds users %v, want %v", got, aUsers)
			}
			var u models.User
			if err := tx.Take(&u, tn.bOwner.ID).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
				t.Errorf("tx Take(B's owner): err = %v, want ErrRecordNotFound", err)
			}
			if res := tx.Model(&models.User{ID: tn.bOwner.ID}).Update("name", "Hijacked"); res.Error != nil || res.RowsAffected != 0 {
				t.Errorf("tx update of B's owner: rows %d, err %v; want 0", res.RowsAffected, res.Error)
			}
			created = models.User{Name: "In tx", Email: "tx@example.com", Role: models.RoleStaff, Active: true, SessionEpoch: 1}
			if err := tx.Create(&created).Error; err != nil {
				return err
			}
			return tx.Transaction(func(nested *gorm.DB) error {
				if got := findUsers(t, nested); !slices.Equal(got, sortedIDs(append(aUsers, created.ID)...)) {
					t.Errorf("nested tx finds users %v, want A's three", got)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := reloadUser(t, db, created.ID).MerchantID; got != tn.a.ID {
			t.Errorf("user created in tx has merchant %d, want %d", got, tn.a.ID)
		}
		if got := reloadUser(t, db, tn.bOwner.ID).Name; got != tn.bOwner.Name {
			t.Errorf("B's owner renamed to %q inside A's tx", got)
		}

		// Begin keeps the scope as well, and a rollback discards the row.
		tx := models.ForMerchant(db, tn.a.ID).Begin()
		if got := findUsers(t, tx); len(got) != 3 {
			t.Errorf("Begin tx finds users %v, want A's three", got)
		}
		rolledBack := models.User{Name: "Rolled back", Email: "rollback@example.com", Role: models.RoleStaff, Active: true, SessionEpoch: 1}
		if err := tx.Create(&rolledBack).Error; err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback().Error; err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, &models.User{}); n != 5 {
			t.Errorf("users after rollback = %d, want 5", n)
		}
	})
}
