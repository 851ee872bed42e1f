package models_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func jsonKeys(t *testing.T, s string) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("audit JSON %q: %v", s, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func wantNoBookkeeping(t *testing.T, snapshot string) {
	t.Helper()
	for _, k := range jsonKeys(t, snapshot) {
		if slices.Contains([]string{"ID", "MerchantID", "CreatedAt", "UpdatedAt", "PasswordHash", "SessionEpoch", "LastLoginAt"}, k) {
			t.Errorf("audit snapshot has %s: %s", k, snapshot)
		}
	}
}

func TestAuditEntryRecordsTheChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@audit.example.com")
		actor := models.ActorOf(s.owner)
		start := time.Now().Add(-time.Minute)
		p, err := models.CreateProgram(s.db, actor, pointsInput("Coffee"))
		if err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, s.db)
		if e.MerchantID != s.m.ID || e.ActorID == nil || *e.ActorID != s.owner.ID || e.ActorName != s.owner.Name ||
			e.Action != models.AuditCreate || e.EntityType != "program" || e.EntityID != p.ID || e.Summary != "Created program Coffee" {
			t.Errorf("entry = %+v", e)
		}
		if e.CreatedAt.Before(start) || e.CreatedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("entry time = %v, want about now", e.CreatedAt)
		}
		if e.BeforeJSON != "" {
			t.Errorf("create before = %q, want empty", e.BeforeJSON)
		}
		keys := jsonKeys(t, e.AfterJSON)
		for _, want := range []string{"Name", "Type", "EarnRateHundredths", "Status", "CardRewardID"} {
			if !slices.Contains(keys, want) {
				t.Errorf("after keys = %v, want %s", keys, want)
			}
		}
		wantNoBookkeeping(t, e.AfterJSON)

		in := p.FormInput(s.m.Currency)
		in.Name, in.Status = "Coffee club", "paused"
		if _, err := models.UpdateProgram(s.db, actor, p.ID, in); err != nil {
			t.Fatal(err)
		}
		e = lastAudit(t, s.db)
		wantNoBookkeeping(t, e.BeforeJSON)
		wantNoBookkeeping(t, e.AfterJSON)
		if got := e.Changes(); len(got) != 2 || got[0] != (models.AuditChange{Field: "Name", Before: "Coffee", After: "Coffee club"}) ||
			got[1] != (models.AuditChange{Field: "Status", Before: "active", After: "paused"}) {
			t.Errorf("changes = %+v, want Name and Status only", got)
		}

		// Without a user, the system is the actor.
		if _, err := models.CreateProgram(s.db, models.Actor{}, pointsInput("Tea")); err != nil {
			t.Fatal(err)
		}
		if e := lastAudit(t, s.db); e.ActorID != nil || e.ActorName != "system" {
			t.Errorf("system entry actor = %v %q, want none, system", e.ActorID, e.ActorName)
		}
	})
}

func TestAuditChanges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		before, after string
		want          []models.AuditChange
	}{
		{"nothing", "", "", nil},
		{"same", `{"A":1,"B":"x"}`, `{"B":"x","A":1}`, nil},
		{"created", "", `{"Name":"Gold","Position":2,"Paid":false}`, []models.AuditChange{
			{Field: "Name", After: "Gold"}, {Field: "Paid", After: "false"}, {Field: "Position", After: "2"}}},
		{"deleted", `{"Name":"Gold"}`, "", []models.AuditChange{{Field: "Name", Before: "Gold"}}},
		{"some fields", `{"A":1,"B":"x","C":null,"D":true,"F":[1,2]}`, `{"A":2,"B":"x","D":false,"E":"new","F":[1,2]}`, []models.AuditChange{
			{Field: "A", Before: "1", After: "2"}, {Field: "D", Before: "true", After: "false"}, {Field: "E", After: "new"}}},
		{"null to a value", `{"MinTierID":null}`, `{"MinTierID":5}`, []models.AuditChange{{Field: "MinTierID", After: "5"}}},
		{"a large number", `{"V":100000000000}`, `{"V":100000000001}`, []models.AuditChange{{Field: "V", Before: "100000000000", After: "100000000001"}}},
	}
	for _, c := range cases {
		e := models.AuditEntry{BeforeJSON: c.before, AfterJSON: c.after}
		if got := e.Changes(); !slices.Equal(got, c.want) {
			t.Errorf("%s: Changes() = %+v, want %+v", c.name, got, c.want)
		}
	}
}

// seedAudit writes n entries straight into merchant's log, a minute apart
// from base, with actors and entity types in turn.
func seedAudit(t *testing.T, db *gorm.DB, merchantID int64, actors []*int64, n int, base time.Time) []models.AuditEntry {
	t.Helper()
	types := []string{"program", "tier", "reward"}
	entries := make([]models.AuditEntry, n)
	for i := range entries {
		entries[i] = models.AuditEntry{
			ActorID: actors[i%len(actors)], ActorName: "seed", Action: models.AuditUpdate, EntityType: types[i%len(types)],
			EntityID: int64(i + 1), Summary: "entry " + itoa(int64(i)), CreatedAt: base.Add(time.Duration(i) * time.Minute),
		}
	}
	// One at a time, so ids rise with time.
	for i := range entries {
		if err := models.ForMerchant(db, merchantID).Create(&entries[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	return entries
}

func auditIDs(es []models.AuditEntry) []int64 {
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

// idsOf returns the ids of entries[from:to] newest first.
func idsOf(entries []models.AuditEntry, keep func(i int, e models.AuditEntry) bool) []int64 {
	var ids []int64
	for i := len(entries) - 1; i >= 0; i-- {
		if keep(i, entries[i]) {
			ids = append(ids, entries[i].ID)
		}
	}
	return ids
}

func TestListAudit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		// Fresh sign-ups have an empty log, so the seeded entries are all.
		sa := newShop(t, db, "owner@list-a.example.com")
		sb := newShop(t, db, "owner@list-b.example.com")
		a, b := sa.db, sb.db
		ownerID, staffID := sa.owner.ID, sa.owner.ID+1000 // actors need not be current users
		actors := []*int64{&ownerID, &staffID, nil}
		base := time.Date(2020, 3, 1, 10, 0, 0, 500_000_000, time.UTC)
		entries := seedAudit(t, db, sa.m.ID, actors, 60, base)
		bEntries := seedAudit(t, db, sb.m.ID, []*int64{&sb.owner.ID}, 5, base)
		all := func(int, models.AuditEntry) bool { return true }

		list := func(sdb *gorm.DB, f models.AuditFilter) []int64 {
			t.Helper()
			es, err := models.ListAudit(sdb, f)
			if err != nil {
				t.Fatal(err)
			}
			return auditIDs(es)
		}
		check := func(name string, got, want []int64) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: ids %v, want %v", name, got, want)
			}
		}

		check("default limit", list(a, models.AuditFilter{}), idsOf(entries, all)[:50])
		check("limit above 200", list(a, models.AuditFilter{Limit: 500}), idsOf(entries, all)[:50])
		check("negative limit", list(a, models.AuditFilter{Limit: -1}), idsOf(entries, all)[:50])
		check("limit 200", list(a, models.AuditFilter{Limit: 200}), idsOf(entries, all))
		check("limit 7", list(a, models.AuditFilter{Limit: 7}), idsOf(entries, all)[:7])
		check("actor", list(a, models.AuditFilter{ActorID: staffID, Limit: 200}),
			idsOf(entries, func(i int, _ models.AuditEntry) bool { return i%3 == 1 }))
		check("entity type", list(a, models.AuditFilter{EntityType: "tier", Limit: 200}),
			idsOf(entries, func(i int, _ models.AuditEntry) bool { return i%3 == 1 }))
		check("actor and entity type", list(a, models.AuditFilter{ActorID: ownerID, EntityType: "program", Limit: 200}),
			idsOf(entries, func(i int, _ models.AuditEntry) bool { return i%3 == 0 }))
		check("actor and another entity type", list(a, models.AuditFilter{ActorID: ownerID, EntityType: "reward"}), nil)

		from, to := base.Add(10*time.Minute), base.Add(20*time.Minute)
		inRange := idsOf(entries, func(i int, _ models.AuditEntry) bool { return i >= 10 && i < 20 })
		check("from, to", list(a, models.AuditFilter{From: from, To: to}), inRange)
		paris := mustZone(t, "Europe/Paris")
		check("from, to in another zone", list(a, models.AuditFilter{From: from.In(paris), To: to.In(paris)}), inRange)
		check("from a hair later", list(a, models.AuditFilter{From: from.Add(time.Millisecond), To: to}), inRange[:len(inRange)-1])
		check("to a hair later", list(a, models.AuditFilter{From: from, To: to.Add(time.Millisecond)}),
			idsOf(entries, func(i int, _ models.AuditEntry) bool { return i >= 10 && i <= 20 }))
		check("from only", list(a, models.AuditFilter{From: base.Add(55 * time.Minute)}),
			idsOf(entries, func(i int, _ models.AuditEntry) bool { return i >= 55 }))
		check("to only", list(a, models.AuditFilter{To: base.Add(3 * time.Minute)}),
			idsOf(entries, func(i int, _ models.AuditEntry) bool { return i < 3 }))

		// Keyset pages, newest first, join up to the whole log.
		var paged []int64
		before := int64(0)
		for range 100 {
			page := list(a, models.AuditFilter{BeforeID: before, Limit: 7})
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			before = page[len(page)-1]
		}
		check("keyset pages", paged, idsOf(entries, all))
		check("before an entry with a filter", list(a, models.AuditFilter{BeforeID: entries[30].ID, EntityType: "program", Limit: 3}),
			[]int64{entries[27].ID, entries[24].ID, entries[21].ID})

		// Tenants see only their own log.
		check("B's log", list(b, models.AuditFilter{}), idsOf(bEntries, all))
		check("B filtering by A's actor", list(b, models.AuditFilter{ActorID: ownerID}), nil)
		check("B paging from A's newest", list(b, models.AuditFilter{BeforeID: entries[59].ID + 1000}), idsOf(bEntries, all))
		for _, id := range list(a, models.AuditFilter{Limit: 200}) {
			if slices.Contains(auditIDs(bEntries), id) {
				t.Errorf("A's log shows B's entry %d", id)
			}
		}
		if got := list(a, models.AuditFilter{Limit: 1}); len(got) != 1 || got[0] != entries[59].ID {
			t.Errorf("A's newest = %v, want %d", got, entries[59].ID)
		}
	})
}

// A real change in merchant A never shows in B's log, and a program of A
// cannot be audited from B.
func TestAuditIsPerMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newShop(t, db, "owner@audit-a.example.com")
		b := newShop(t, db, "owner@audit-b.example.com")
		p := createProgram(t, a.db, pointsInput("Coffee"))
		createTier(t, a.db, p.ID, tierInput("Bronze", 1, 0))
		if got := auditLog(t, b.db, models.AuditFilter{}); len(got) != 0 {
			t.Errorf("B's log = %+v, want empty", got)
		}
		if got := auditLog(t, a.db, models.AuditFilter{}); len(got) != 2 {
			t.Errorf("A's log has %d entries, want 2", len(got))
		}
		for _, e := range auditLog(t, a.db, models.AuditFilter{}) {
			if e.MerchantID != a.m.ID {
				t.Errorf("entry %d belongs to merchant %d, want %d", e.ID, e.MerchantID, a.m.ID)
			}
		}
	})
}

func TestAuditIsAppendOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@append.example.com")
		createProgram(t, s.db, pointsInput("Coffee"))
		e := lastAudit(t, s.db)
		n := countRows(t, db, &models.AuditEntry{})

		attempts := []struct {
			name string
			run  func() error
		}{
			{"raw update", func() error {
				return db.Exec("UPDATE audit_entries SET summary = ? WHERE id = ?", "forged", e.ID).Error
			}},
			{"raw update of every row", func() error {
				return db.Exec("UPDATE audit_entries SET actor_name = ?", "nobody").Error
			}},
			{"raw delete", func() error { return db.Exec("DELETE FROM audit_entries WHERE id = ?", e.ID).Error }},
			{"raw delete of every row", func() error { return db.Exec("DELETE FROM audit_entries").Error }},
			{"model update", func() error {
				return s.db.Model(&models.AuditEntry{ID: e.ID}).Update("summary", "forged").Error
			}},
			{"model delete", func() error { return s.db.Delete(&models.AuditEntry{}, e.ID).Error }},
			{"update in a transaction", func() error {
				return s.db.Transaction(func(tx *gorm.DB) error {
					return tx.Exec("UPDATE audit_entries SET after_json = '' WHERE id = ?", e.ID).Error
				})
			}},
		}
		for _, a := range attempts {
			if err := a.run(); err == nil {
				t.Errorf("%s of the audit log succeeded, want it refused", a.name)
			} else if !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", a.name, err)
			}
		}
		if got := countRows(t, db, &models.AuditEntry{}); got != n {
			t.Errorf("audit entries = %d, want %d", got, n)
		}
		wantSameRow(t, reload[models.AuditEntry](t, db, e.ID), e)
	})
}

func TestUserAndBusinessChangesAreAudited(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "owner@user-audit.example.com")
		actor := models.ActorOf(s.owner)
		if got := auditLog(t, s.db, models.AuditFilter{}); len(got) != 0 {
			t.Fatalf("log after sign-up = %+v, want empty", got)
		}

		u, _, err := models.AddUser(s.db, actor, models.AddUserInput{Name: "Sam", Email: "sam@example.com", Role: models.RoleStaff, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, s.db)
		if e.Action != models.AuditCreate || e.EntityType != "user" || e.EntityID != u.ID || e.ActorID == nil || *e.ActorID != s.owner.ID ||
			!strings.Contains(e.Summary, "Sam") {
			t.Errorf("add user entry = %+v", e)
		}
		wantNoBookkeeping(t, e.AfterJSON)
		if stored := reloadUser(t, db, u.ID); strings.Contains(e.AfterJSON, stored.PasswordHash) {
			t.Error("the audit log holds the password hash")
		}
		if c := change(t, e, "Email"); c.After != "sam@example.com" {
			t.Errorf("email change = %+v", c)
		}

		steps := []struct {
			name   string
			run    func() error
			action string
			field  string
			before string
			after  string
		}{
			{"change role", func() error { _, err := models.ChangeRole(s.db, actor, u.ID, models.RoleManager); return err },
				models.AuditUpdate, "Role", "staff", "manager"},
			{"deactivate", func() error { _, err := models.SetActive(s.db, actor, u.ID, false); return err },
				models.AuditArchive, "Active", "true", "false"},
			{"change role while inactive", func() error { _, err := models.ChangeRole(s.db, actor, u.ID, models.RoleStaff); return err },
				models.AuditUpdate, "Role", "manager", "staff"},
			{"reactivate", func() error { _, err := models.SetActive(s.db, actor, u.ID, true); return err },
				models.AuditUpdate, "Active", "false", "true"},
		}
		for _, st := range steps {
			n := countRows(t, db, &models.AuditEntry{})
			if err := st.run(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got := countRows(t, db, &models.AuditEntry{}); got != n+1 {
				t.Errorf("%s: %d new entries, want 1", st.name, got-n)
			}
			e := lastAudit(t, s.db)
			if e.Action != st.action || e.EntityType != "user" || e.EntityID != u.ID {
				t.Errorf("%s: entry %s %s #%d (%q), want %s user #%d", st.name, e.Action, e.EntityType, e.EntityID, e.Summary, st.action, u.ID)
			}
			if c := change(t, e, st.field); c.Before != st.before || c.After != st.after {
				t.Errorf("%s: change = %+v, want %s → %s", st.name, c, st.before, st.after)
			}
			wantNoBookkeeping(t, e.BeforeJSON)
			wantNoBookkeeping(t, e.AfterJSON)
		}
		// A change to what already is writes nothing.
		n := countRows(t, db, &models.AuditEntry{})
		if _, err := models.SetActive(s.db, actor, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := countRows(t, db, &models.AuditEntry{}); got != n {
			t.Errorf("a no-op SetActive wrote %d entries", got-n)
		}

		m, err := models.UpdateMerchant(s.db, actor, models.MerchantInput{Name: "Café Renamed", Currency: "EUR", TimeZone: "Europe/Paris"})
		if err != nil {
			t.Fatal(err)
		}
		e = lastAudit(t, s.db)
		if e.Action != models.AuditUpdate || e.EntityType != "business" || e.EntityID != m.ID {
			t.Errorf("business entry = %+v", e)
		}
		if got := changed(e); !slices.Equal(got, []string{"Name"}) {
			t.Errorf("business changes = %v, want Name only", got)
		}
		if got := auditLog(t, s.db, models.AuditFilter{EntityType: "user"}); len(got) != 5 {
			t.Errorf("user entries = %d, want 5", len(got))
		}
		if got := auditLog(t, s.db, models.AuditFilter{ActorID: s.owner.ID}); len(got) != 6 {
			t.Errorf("owner's entries = %d, want 6", len(got))
		}
		for _, typ := range []string{"business", "user", "program", "tier", "reward", "earning_rule", "campaign"} {
			if !slices.Contains(models.AuditEntityTypes, typ) {
				t.Errorf("AuditEntityTypes lacks %s", typ)
			}
		}
	})
}
