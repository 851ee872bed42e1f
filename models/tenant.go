package models

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// Tenancy is enforced by a guard on the connection itself rather than by
// remembering a WHERE in every query: any statement on a business table
// (one whose model has a MerchantID field, and merchants itself) is scoped
// to the merchant in the statement's context, and fails if there is none.
// Code that truly works across merchants (sign-in by email, background
// jobs) says so with CrossTenant. Raw SQL, and joins or subqueries written
// as strings, bypass GORM's builder: they must filter merchant_id themselves.

type tenantKey struct{}
type crossTenantKey struct{}

// ForMerchant returns db scoped to one merchant: every query it runs sees
// only that merchant's rows, and every row it creates belongs to it.
func ForMerchant(db *gorm.DB, merchantID int64) *gorm.DB {
	ctx := context.WithValue(db.Statement.Context, crossTenantKey{}, false)
	return db.WithContext(context.WithValue(ctx, tenantKey{}, merchantID))
}

// CrossTenant returns db allowed to read and write any merchant's rows.
func CrossTenant(db *gorm.DB) *gorm.DB {
	return db.WithContext(context.WithValue(db.Statement.Context, crossTenantKey{}, true))
}

// MerchantOf returns the merchant a scoped db is bound to.
func MerchantOf(db *gorm.DB) (int64, bool) {
	if cross, _ := db.Statement.Context.Value(crossTenantKey{}).(bool); cross {
		return 0, false
	}
	id, ok := db.Statement.Context.Value(tenantKey{}).(int64)
	return id, ok
}

// tenantTables maps each business table to the column naming its merchant,
// so statements that name a table without a model are guarded too.
var tenantTables = sync.OnceValue(func() map[string]string {
	tables := map[string]string{}
	cache := &sync.Map{}
	for _, m := range Models() {
		s, err := schema.Parse(m, cache, schema.NamingStrategy{})
		if err != nil {
			panic(fmt.Sprintf("tenant guard: parse %T: %v", m, err))
		}
		switch {
		case s.Table == "merchants":
			tables[s.Table] = "id"
		case s.LookUpField("MerchantID") != nil:
			tables[s.Table] = "merchant_id"
		}
	}
	return tables
})

func registerTenantGuard(db *gorm.DB) error {
	cb := db.Callback()
	steps := []error{
		cb.Query().Before("gorm:query").Register("tenant:scope_query", scopeRead),
		cb.Row().Before("gorm:row").Register("tenant:scope_row", scopeRead),
		cb.Update().Before("gorm:update").Register("tenant:scope_update", scopeUpdate),
		cb.Update().After("gorm:update").Register("tenant:forget_set", forgetSet),
		cb.Delete().Before("gorm:delete").Register("tenant:scope_delete", scopeDelete),
		cb.Create().Before("gorm:create").Register("tenant:stamp_create", stampCreate),
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("db: register tenant guard: %w", err)
		}
	}
	return nil
}

// tableOf names the table a statement works on. Table("users u") leaves
// the alias in stmt.Table and the real name in TableExpr.
func tableOf(stmt *gorm.Statement) string {
	if stmt.Schema != nil {
		return stmt.Schema.Table
	}
	table := stmt.Table
	if stmt.TableExpr != nil {
		table = stmt.TableExpr.SQL
	}
	table, _, _ = strings.Cut(strings.TrimSpace(table), " ")
	return strings.Trim(table, "\"`")
}

// guarded returns the tenant column and merchant of a statement that must
// be scoped; ok is false when there is nothing to scope (raw SQL, a table
// without merchants, or a CrossTenant statement). A business statement
// with no scope at all is refused, so a forgotten scope fails loudly
// instead of leaking data.
func guarded(db *gorm.DB) (col string, id int64, ok bool) {
	stmt := db.Statement
	if stmt.SQL.Len() > 0 { // raw SQL: written by hand, scoped by hand
		return "", 0, false
	}
	col = tenantTables()[tableOf(stmt)]
	if col == "" {
		return "", 0, false
	}
	if cross, _ := stmt.Context.Value(crossTenantKey{}).(bool); cross {
		return "", 0, false
	}
	id, scoped := stmt.Context.Value(tenantKey{}).(int64)
	if !scoped {
		_ = db.AddError(fmt.Errorf("tenant guard: %s used without a merchant scope", tableOf(stmt)))
		return "", 0, false
	}
	return col, id, true
}

func scopeRead(db *gorm.DB) {
	if col, id, ok := guarded(db); ok {
		scopeWhere(db.Statement, col, id)
	}
}

// scopeUpdate scopes an update and refuses one that would hand a row to
// another merchant. It builds the SET clause the way gorm:update would,
// so what it checks is exactly what will be written.
func scopeUpdate(db *gorm.DB) {
	col, id, ok := guarded(db)
	if !ok {
		return
	}
	stmt := db.Statement
	if _, has := stmt.Clauses["SET"]; !has {
		if set := callbacks.ConvertToAssignments(stmt); len(set) != 0 {
			stmt.AddClause(set)
			stmt.Settings.Store(setAddedKey, true)
		}
	}
	if c, has := stmt.Clauses["SET"]; has {
		if set, isSet := c.Expression.(clause.Set); isSet {
			for _, a := range set {
				if a.Column.Name == col && !sameID(a.Value, id) {
					_ = db.AddError(fmt.Errorf("tenant guard: %s.%s cannot move to another merchant", tableOf(stmt), col))
					return
				}
			}
		}
	}
	if !hasConditions(db) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	scopeWhere(stmt, col, id)
}

const setAddedKey = "tenant:set_added"

// forgetSet drops the SET clause scopeUpdate built, as gorm:update does
// with its own, so a reused statement does not repeat an old update.
func forgetSet(db *gorm.DB) {
	if _, added := db.Statement.Settings.LoadAndDelete(setAddedKey); added {
		delete(db.Statement.Clauses, "SET")
	}
}

func scopeDelete(db *gorm.DB) {
	col, id, ok := guarded(db)
	if !ok {
		return
	}
	if !hasConditions(db) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	scopeWhere(db.Statement, col, id)
}

// hasConditions keeps GORM's refusal of an update or delete without a
// WHERE: the tenant condition alone must not turn one into "every row of
// this merchant".
func hasConditions(db *gorm.DB) bool {
	stmt := db.Statement
	if db.AllowGlobalUpdate {
		return true
	}
	if c, ok := stmt.Clauses["WHERE"]; ok {
		if w, ok := c.Expression.(clause.Where); ok && len(w.Exprs) > 0 {
			return true
		}
	}
	if stmt.Schema == nil || !stmt.ReflectValue.IsValid() {
		return false
	}
	rv := reflect.Indirect(stmt.ReflectValue)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return rv.Len() > 0 // GORM deletes the listed rows by primary key
	case reflect.Struct:
		for _, f := range stmt.Schema.PrimaryFields {
			if _, zero := f.ValueOf(stmt.Context, rv); !zero {
				return true
			}
		}
	}
	return false
}

// scopeWhere ANDs the tenant condition with whatever the statement had,
// parenthesised, so that no OR in it can escape the scope.
func scopeWhere(stmt *gorm.Statement, col string, id int64) {
	cond := clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: col}, Value: id}
	exprs := []clause.Expression{cond}
	if c, ok := stmt.Clauses["WHERE"]; ok {
		if where, ok := c.Expression.(clause.Where); ok && len(where.Exprs) > 0 {
			exprs = append(exprs, parenthesised(where.Exprs))
		}
		c.Expression = clause.Where{Exprs: exprs}
		stmt.Clauses["WHERE"] = c
		return
	}
	stmt.AddClause(clause.Where{Exprs: exprs})
}

// parenthesised builds conditions inside brackets, always: GORM adds them
// only when it can tell a condition holds an OR, and raw strings hide it.
type parenthesised []clause.Expression

func (p parenthesised) Build(b clause.Builder) {
	b.WriteByte('(')
	clause.Where{Exprs: p}.Build(b)
	b.WriteByte(')')
}

func sameID(v any, id int64) bool {
	rv := reflect.Indirect(reflect.ValueOf(v))
	return rv.CanInt() && rv.Int() == id || rv.CanUint() && rv.Uint() == uint64(id)
}

// stampCreate makes every created row belong to the scope's merchant, and
// refuses a row that names another one.
func stampCreate(db *gorm.DB) {
	col, id, ok := guarded(db)
	if !ok || col != "merchant_id" {
		return
	}
	stmt := db.Statement
	var stamp func(rv reflect.Value) error
	stamp = func(rv reflect.Value) error {
		rv = reflect.Indirect(rv)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array:
			for i := 0; i < rv.Len(); i++ {
				if err := stamp(rv.Index(i)); err != nil {
					return err
				}
			}
		case reflect.Map:
			return stampMap(rv, id)
		case reflect.Interface:
			return stamp(rv.Elem())
		case reflect.Struct:
			field := stmt.Schema.LookUpField("MerchantID")
			if current, zero := field.ValueOf(stmt.Context, rv); !zero && !sameID(current, id) {
				return fmt.Errorf("tenant guard: %s row of merchant %v created in the scope of merchant %d", tableOf(stmt), current, id)
			}
			return field.Set(stmt.Context, rv, id)
		}
		return nil
	}
	if err := stamp(stmt.ReflectValue); err != nil {
		_ = db.AddError(err)
		return
	}
	scopeUpsert(stmt, id)
}

// scopeUpsert limits ON CONFLICT … DO UPDATE to the scope's rows: without
// it, an insert colliding with another merchant's row would overwrite it
// (GORM's Save falls back to such an upsert when its UPDATE matches
// nothing).
func scopeUpsert(stmt *gorm.Statement, id int64) {
	c, ok := stmt.Clauses["ON CONFLICT"]
	if !ok {
		return
	}
	oc, ok := c.Expression.(clause.OnConflict)
	if !ok || oc.DoNothing {
		return
	}
	cond := clause.Eq{Column: clause.Column{Table: stmt.Table, Name: "merchant_id"}, Value: id}
	exprs := []clause.Expression{cond}
	if len(oc.Where.Exprs) > 0 {
		exprs = append(exprs, parenthesised(oc.Where.Exprs))
	}
	oc.Where = clause.Where{Exprs: exprs}
	c.Expression = oc
	stmt.Clauses["ON CONFLICT"] = c
}

func stampMap(rv reflect.Value, id int64) error {
	if rv.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("tenant guard: cannot create from %s", rv.Type())
	}
	for _, key := range []string{"merchant_id", "MerchantID"} {
		if v := rv.MapIndex(reflect.ValueOf(key)); v.IsValid() && !sameID(v.Interface(), id) {
			return fmt.Errorf("tenant guard: row of merchant %v created in the scope of merchant %d", v.Interface(), id)
		}
	}
	rv.SetMapIndex(reflect.ValueOf("merchant_id"), reflect.ValueOf(id))
	return nil
}
