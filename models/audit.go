package models

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// Actor is who made a change: a signed-in user, or the system.
type Actor struct {
	UserID int64
	Name   string
}

// ActorOf names a user as the actor of their changes.
func ActorOf(u *User) Actor { return Actor{UserID: u.ID, Name: u.Name} }

// systemActor is the name the ledger and the audit log give what Regulars
// does by itself (expiry, earning rules, an actor without a name).
const systemActor = "system"

// orSystem is the actor's name to record: the person's, or systemActor
// when nobody is named.
func orSystem(name string) string {
	if name == "" {
		return systemActor
	}
	return name
}

// Audit actions.
const (
	AuditCreate  = "create"
	AuditUpdate  = "update"
	AuditArchive = "archive"
	AuditDelete  = "delete"
)

// AuditEntry records one change of configuration: who, when, what, and
// the values before and after. The table is append-only; the database
// refuses updates and deletes.
type AuditEntry struct {
	ID         int64
	MerchantID int64
	ActorID    *int64
	ActorName  string
	Action     string
	EntityType string
	EntityID   int64
	Summary    string
	BeforeJSON string
	AfterJSON  string
	CreatedAt  time.Time
}

// AuditChange is one field that differs between before and after.
type AuditChange struct {
	Field  string
	Before string
	After  string
}

// Changes lists the fields the entry changed, in name order.
func (e *AuditEntry) Changes() []AuditChange {
	var before, after map[string]any
	_ = json.Unmarshal([]byte(orEmptyObject(e.BeforeJSON)), &before)
	_ = json.Unmarshal([]byte(orEmptyObject(e.AfterJSON)), &after)
	fields := map[string]bool{}
	for k := range before {
		fields[k] = true
	}
	for k := range after {
		fields[k] = true
	}
	var changes []AuditChange
	for f := range fields {
		b, a := jsonText(before, f), jsonText(after, f)
		if b != a {
			changes = append(changes, AuditChange{Field: f, Before: b, After: a})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Field < changes[j].Field })
	return changes
}

func orEmptyObject(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func jsonText(m map[string]any, key string) string {
	v, ok := m[key]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// auditSnapshot is what an audited value looks like in the log: its JSON
// without the bookkeeping fields.
func auditSnapshot(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	for _, k := range []string{"ID", "MerchantID", "CreatedAt", "UpdatedAt", "PasswordHash", "SessionEpoch", "LastLoginAt"} {
		delete(m, k)
	}
	out, err := json.Marshal(m)
	return string(out), err
}

// recordAudit appends an entry in the transaction of the change itself, so
// a change and its record commit or fail together.
func recordAudit(tx *gorm.DB, actor Actor, action, entityType string, entityID int64, summary string, before, after any) error {
	b, err := auditSnapshot(before)
	if err != nil {
		return fmt.Errorf("audit: snapshot before: %w", err)
	}
	a, err := auditSnapshot(after)
	if err != nil {
		return fmt.Errorf("audit: snapshot after: %w", err)
	}
	e := &AuditEntry{
		ActorName: orSystem(actor.Name), Action: action, EntityType: entityType, EntityID: entityID,
		Summary: summary, BeforeJSON: b, AfterJSON: a,
	}
	if actor.UserID != 0 {
		e.ActorID = &actor.UserID
	}
	if err := tx.Create(e).Error; err != nil {
		return fmt.Errorf("audit: record %s %s: %w", action, entityType, err)
	}
	return nil
}

// AuditFilter narrows the audit log. Zero values mean "any". BeforeID
// pages backwards from an entry (keyset, newest first).
type AuditFilter struct {
	ActorID    int64
	EntityType string
	From, To   time.Time // [From, To)
	BeforeID   int64
	Limit      int
}

// AuditEntityTypes lists what the audit log records, for its filter.
var AuditEntityTypes = []string{"business", "user", "program", "tier", "reward", "earning_rule", "campaign", "member", "adjustment", "import", "api_key", "recognition", "recognition_settings"}

// ListAudit returns the scoped merchant's audit entries, newest first.
func ListAudit(db *gorm.DB, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := db.Model(&AuditEntry{}).Order("id DESC").Limit(f.Limit)
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.EntityType != "" {
		q = q.Where("entity_type = ?", f.EntityType)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	if f.BeforeID != 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var entries []AuditEntry
	if err := q.Find(&entries).Error; err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return entries, nil
}
