package models

import (
	"context"
	"fmt"
	"reflect"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Tenancy is enforced by a guard on the connection itself rather than by
// remembering a WHERE in every query: any statement on a model that has a
// MerchantID field (and on merchants itself) is scoped to the merchant in
// the statement's context, and fails if there is none. Code that truly
// works across merchants (sign-in by email, background jobs) says so with
// CrossTenant. Raw SQL bypasses GORM's builder and must filter merchant_id
// itself.

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
	id, ok := db.Statement.Context.Value(tenantKey{}).(int64)
	return id, ok
}

func registerTenantGuard(db *gorm.DB) error {
	cb := db.Callback()
	steps := []error{
		cb.Query().Before("gorm:query").Register("tenant:scope_query", scopeStatement),
		cb.Row().Before("gorm:row").Register("tenant:scope_row", scopeStatement),
		cb.Update().Before("gorm:update").Register("tenant:scope_update", scopeStatement),
		cb.Delete().Before("gorm:delete").Register("tenant:scope_delete", scopeStatement),
		cb.Create().Before("gorm:create").Register("tenant:stamp_create", stampCreate),
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("db: register tenant guard: %w", err)
		}
	}
	return nil
}

// tenantColumn names the column that carries a model's merchant, if any.
func tenantColumn(stmt *gorm.Statement) string {
	if stmt.Schema == nil {
		return ""
	}
	if stmt.Schema.Table == "merchants" {
		return "id"
	}
	if stmt.Schema.LookUpField("MerchantID") != nil {
		return "merchant_id"
	}
	return ""
}

// statementMerchant returns the merchant the statement is scoped to; ok is
// false when the statement may cross tenants. A statement with neither is
// refused, so a forgotten scope fails loudly instead of leaking data.
func statementMerchant(db *gorm.DB) (id int64, scoped bool) {
	ctx := db.Statement.Context
	if cross, _ := ctx.Value(crossTenantKey{}).(bool); cross {
		return 0, false
	}
	if id, ok := ctx.Value(tenantKey{}).(int64); ok {
		return id, true
	}
	_ = db.AddError(fmt.Errorf("tenant guard: %s used without a merchant scope", db.Statement.Schema.Table))
	return 0, false
}

func scopeStatement(db *gorm.DB) {
	stmt := db.Statement
	if stmt.SQL.Len() > 0 { // raw SQL: written by hand, scoped by hand
		return
	}
	col := tenantColumn(stmt)
	if col == "" {
		return
	}
	id, scoped := statementMerchant(db)
	if !scoped {
		return
	}
	cond := clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: col}, Value: id}
	exprs := []clause.Expression{cond}
	if c, ok := stmt.Clauses["WHERE"]; ok {
		if where, ok := c.Expression.(clause.Where); ok && len(where.Exprs) > 0 {
			// Group what is there so an OR in it cannot escape the scope.
			exprs = append(exprs, clause.And(where.Exprs...))
		}
		c.Expression = clause.Where{Exprs: exprs}
		stmt.Clauses["WHERE"] = c
		return
	}
	stmt.AddClause(clause.Where{Exprs: exprs})
}

func stampCreate(db *gorm.DB) {
	stmt := db.Statement
	col := tenantColumn(stmt)
	if col != "merchant_id" {
		return
	}
	id, scoped := statementMerchant(db)
	if !scoped {
		return
	}
	field := stmt.Schema.LookUpField("MerchantID")
	stamp := func(rv reflect.Value) {
		current, zero := field.ValueOf(stmt.Context, rv)
		if !zero && current != id {
			_ = db.AddError(fmt.Errorf("tenant guard: %s row of merchant %v created in the scope of merchant %d", stmt.Schema.Table, current, id))
			return
		}
		if err := field.Set(stmt.Context, rv, id); err != nil {
			_ = db.AddError(fmt.Errorf("tenant guard: stamp %s: %w", stmt.Schema.Table, err))
		}
	}
	rv := reflect.Indirect(stmt.ReflectValue)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			stamp(reflect.Indirect(rv.Index(i)))
		}
	case reflect.Struct:
		stamp(rv)
	}
}
