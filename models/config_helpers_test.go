package models_test

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// shop is a signed-up merchant with its owner and a db scoped to it.
type shop struct {
	m     *models.Merchant
	owner *models.User
	db    *gorm.DB
}

// newShop signs up a merchant in EUR, Europe/Paris (the signUp defaults).
func newShop(t *testing.T, db *gorm.DB, email string) shop {
	t.Helper()
	m, u := signUp(t, db, email)
	return shop{m: m, owner: u, db: models.ForMerchant(db, m.ID)}
}

// newShopIn signs up a merchant with its own currency and time zone.
func newShopIn(t *testing.T, db *gorm.DB, email, currency, zone string) shop {
	t.Helper()
	in := signUpInput(email)
	in.Currency, in.TimeZone = currency, zone
	m, u, err := models.SignUp(t.Context(), db, in)
	if err != nil {
		t.Fatalf("sign up %s in %s/%s: %v", email, currency, zone, err)
	}
	return shop{m: m, owner: u, db: models.ForMerchant(db, m.ID)}
}

func pointsInput(name string) models.ProgramInput {
	return models.ProgramInput{Name: name, Type: "points", Status: "active", EarnRate: "1"}
}

func stampsInput(name string) models.ProgramInput {
	return models.ProgramInput{Name: name, Type: "stamps", Status: "active", StampsPerCard: "10"}
}

func cashbackInput(name string) models.ProgramInput {
	return models.ProgramInput{Name: name, Type: "cashback", Status: "active", Cashback: "5"}
}

func createProgram(t *testing.T, sdb *gorm.DB, in models.ProgramInput) *models.Program {
	t.Helper()
	p, err := models.CreateProgram(sdb, testActor, in)
	if err != nil {
		t.Fatalf("create program %q: %v", in.Name, err)
	}
	return p
}

// tierInput is an earned tier at a rank and threshold.
func tierInput(name string, position, threshold int) models.TierInput {
	return models.TierInput{Name: name, Position: fmt.Sprint(position), Threshold: fmt.Sprint(threshold)}
}

func createTier(t *testing.T, sdb *gorm.DB, programID int64, in models.TierInput) *models.Tier {
	t.Helper()
	tier, err := models.CreateTier(sdb, testActor, programID, in)
	if err != nil {
		t.Fatalf("create tier %q: %v", in.Name, err)
	}
	return tier
}

// ladder creates earned tiers at ranks 1, 2, 3… with the given thresholds.
func ladder(t *testing.T, sdb *gorm.DB, programID int64, names []string, thresholds []int) []*models.Tier {
	t.Helper()
	var ts []*models.Tier
	for i, name := range names {
		ts = append(ts, createTier(t, sdb, programID, tierInput(name, i+1, thresholds[i])))
	}
	return ts
}

func rewardInput(name string) models.RewardInput {
	return models.RewardInput{Name: name, Type: "free_item", Cost: "100"}
}

func createReward(t *testing.T, sdb *gorm.DB, programID int64, in models.RewardInput) *models.Reward {
	t.Helper()
	r, err := models.SaveReward(sdb, testActor, programID, 0, in)
	if err != nil {
		t.Fatalf("create reward %q: %v", in.Name, err)
	}
	return r
}

func campaignInput(name string) models.CampaignInput {
	return models.CampaignInput{Name: name, StartsOn: "2026-01-01", EndsOn: "2026-12-31", Multiplier: "2"}
}

func createCampaign(t *testing.T, sdb *gorm.DB, programID int64, in models.CampaignInput) *models.Campaign {
	t.Helper()
	c, err := models.SaveCampaign(sdb, testActor, programID, 0, in, campaignNow)
	if err != nil {
		t.Fatalf("create campaign %q: %v", in.Name, err)
	}
	return c
}

func createRule(t *testing.T, sdb *gorm.DB, programID int64, in models.EarningRuleInput) *models.EarningRule {
	t.Helper()
	r, err := models.SaveEarningRule(sdb, testActor, programID, 0, in)
	if err != nil {
		t.Fatalf("create earning rule %q: %v", in.Name, err)
	}
	return r
}

// rowCounts counts every configuration table and the audit log across all
// merchants, to prove a refused change wrote nothing.
type rowCounts map[string]int64

func countConfig(t *testing.T, db *gorm.DB) rowCounts {
	t.Helper()
	return rowCounts{
		"programs":      countRows(t, db, &models.Program{}),
		"tiers":         countRows(t, db, &models.Tier{}),
		"rewards":       countRows(t, db, &models.Reward{}),
		"earning_rules": countRows(t, db, &models.EarningRule{}),
		"campaigns":     countRows(t, db, &models.Campaign{}),
		"audit_entries": countRows(t, db, &models.AuditEntry{}),
	}
}

func wantNoWrites(t *testing.T, db *gorm.DB, before rowCounts) {
	t.Helper()
	after := countConfig(t, db)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows, want %d (a refused change wrote something)", table, after[table], n)
		}
	}
}

// wantWrites checks each named table grew by the given number of rows and
// every other stayed the same.
func wantWrites(t *testing.T, db *gorm.DB, before rowCounts, grown map[string]int64) {
	t.Helper()
	after := countConfig(t, db)
	for table, n := range before {
		if want := n + grown[table]; after[table] != want {
			t.Errorf("%s: %d rows, want %d", table, after[table], want)
		}
	}
}

// auditLog lists the scoped merchant's audit entries, newest first.
func auditLog(t *testing.T, sdb *gorm.DB, f models.AuditFilter) []models.AuditEntry {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 200
	}
	es, err := models.ListAudit(sdb, f)
	if err != nil {
		t.Fatalf("list audit: %v", err)
	}
	return es
}

// lastAudit is the scoped merchant's newest audit entry.
func lastAudit(t *testing.T, sdb *gorm.DB) models.AuditEntry {
	t.Helper()
	es := auditLog(t, sdb, models.AuditFilter{Limit: 1})
	if len(es) == 0 {
		t.Fatal("audit log is empty")
	}
	return es[0]
}

// wantAudit checks an entry's action, entity and actor.
func wantAudit(t *testing.T, e models.AuditEntry, action, entityType string, entityID int64) {
	t.Helper()
	if e.Action != action || e.EntityType != entityType || e.EntityID != entityID {
		t.Errorf("audit entry = %s %s #%d (%q), want %s %s #%d", e.Action, e.EntityType, e.EntityID, e.Summary, action, entityType, entityID)
	}
	if e.ActorName != testActor.Name {
		t.Errorf("audit actor = %q, want %q", e.ActorName, testActor.Name)
	}
}

// changed returns the fields an entry's Changes lists.
func changed(e models.AuditEntry) []string {
	var fields []string
	for _, c := range e.Changes() {
		fields = append(fields, c.Field)
	}
	return fields
}

// change returns one field's change in an entry, failing when absent.
func change(t *testing.T, e models.AuditEntry, field string) models.AuditChange {
	t.Helper()
	for _, c := range e.Changes() {
		if c.Field == field {
			return c
		}
	}
	t.Fatalf("audit entry %q has no change of %s; changes: %v", e.Summary, field, changed(e))
	return models.AuditChange{}
}

// reload reads a row straight from the database, across merchants.
func reload[T any](t *testing.T, db *gorm.DB, id int64) T {
	t.Helper()
	var v T
	if err := models.CrossTenant(db).Take(&v, id).Error; err != nil {
		t.Fatalf("reload %T %d: %v", v, id, err)
	}
	return v
}

// wantFieldMessage checks err names field with a message containing part.
func wantFieldMessage(t *testing.T, err error, field, part string) {
	t.Helper()
	wantField(t, err, field)
	if msg := models.FieldErrors(err)[field]; !strings.Contains(msg, part) {
		t.Errorf("%s error = %q, want it to mention %q", field, msg, part)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// wantSameRow checks two loads of a row are equal field by field, times
// compared as instants (drivers differ in the zone they read back).
func wantSameRow(t *testing.T, got, want any) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gt, ok := g.(time.Time); ok {
			if !gt.Equal(w.(time.Time)) {
				t.Errorf("%s = %v, want %v (the row changed)", name, gt, w)
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v (the row changed)", name, g, w)
		}
	}
}

// campaignNow is the day the campaign helpers save on, so their fixed
// dates stay in the future whatever the real date is.
var campaignNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
