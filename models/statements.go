package models

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// A posting writes four rows (the entry, a rollup mark, the balance, the
// member's activity), and on PostgreSQL each statement is a round trip
// that costs the server more than the write itself. oneStatement sends
// such writes as the parts of one WITH instead: each part is the
// statement GORM builds for it, tenant guard included, so nothing is
// written by hand twice.

// dryWrite is one write as GORM would send it.
type dryWrite struct {
	sql  string
	vars []any
}

// dry builds the statement run would send, sending nothing (and logging
// nothing: only what is sent is logged).
func dry(tx *gorm.DB, run func(*gorm.DB) *gorm.DB) (dryWrite, error) {
	res := run(tx.Session(&gorm.Session{DryRun: true, Logger: logger.Discard}))
	if res.Error != nil {
		return dryWrite{}, res.Error
	}
	return dryWrite{sql: res.Statement.SQL.String(), vars: res.Statement.Vars}, nil
}

// questionMarks turns PostgreSQL's $1, $2… (GORM numbers them in the
// order of its vars; no other $ is in the SQL it builds) into the ? that
// Raw wants in that order and numbers again.
func questionMarks(sql string) string {
	digit := func(i int) bool { return i < len(sql) && sql[i] >= '0' && sql[i] <= '9' }
	var b strings.Builder
	b.Grow(len(sql))
	for i := 0; i < len(sql); i++ {
		if sql[i] != '$' || !digit(i+1) {
			b.WriteByte(sql[i])
			continue
		}
		b.WriteByte('?')
		for digit(i + 1) {
			i++
		}
	}
	return b.String()
}

// oneStatement runs writes on PostgreSQL as one statement and returns
// what the first one's RETURNING gives (its id), into first. Every part
// sees the same snapshot, so none may read what another writes; a failing
// part fails them all.
func oneStatement(tx *gorm.DB, first any, writes ...dryWrite) error {
	var b strings.Builder
	var vars []any
	b.WriteString("WITH ")
	for i, w := range writes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "w%d AS (%s)", i, questionMarks(w.sql))
		vars = append(vars, w.vars...)
	}
	b.WriteString(" SELECT * FROM w0")
	// Find, not Scan: Scan renders the statement with its values for the
	// logger whether or not anything is logged (a regular expression pass
	// over the SQL, every posting).
	err := tx.Raw(b.String(), vars...).Find(first).Error
	// GORM translates the driver's errors (a duplicate key) for the
	// statements it builds, not for raw ones.
	if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok && err != nil {
		err = t.Translate(err)
	}
	return err
}
