package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Two app instances share one database: the one recording purchases keeps
// a copy of the configuration, the other changes it, and every change is
// in the very next purchase.
func TestConfigChangesReachEveryInstance(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := dbtest.DSN(t, d)
			open := func() *gorm.DB {
				db, err := models.Open(dsn, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if sqlDB, err := db.DB(); err == nil {
						_ = sqlDB.Close()
					}
				})
				return db
			}
			till := open()
			if _, err := models.Migrate(context.Background(), till); err != nil {
				t.Fatal(err)
			}
			office := open()
			s := newShop(t, till, "cache@example.com")
			other := newShop(t, till, "other-cache@example.com")
			there := models.ForMerchant(office, s.m.ID)
			p := createProgram(t, s.db, pointsInput("Coffee Club"))
			m := enrolNamed(t, s.db, "Cass Cache")
			now := time.Now()
			n := 0
			earns := func() *models.PurchaseResult {
				t.Helper()
				n++
				return buy(t, s.db, p.ID, m.ID, "10.00", "cache-"+itoa(int64(n)), now)
			}
			version := func(db *gorm.DB) int64 {
				t.Helper()
				mm, err := models.GetMerchant(db)
				if err != nil {
					t.Fatal(err)
				}
				return mm.ConfigVersion
			}
			if got := earns().Purchase.Earned; got != 10 {
				t.Fatalf("base earn %d", got)
			}
			before, otherBefore := version(s.db), version(other.db)

			c, err := models.SaveCampaign(there, testActor, p.ID, 0, models.CampaignInput{
				Name: "Double", StartsOn: now.AddDate(0, 0, -1).Format("2006-01-02"), EndsOn: now.AddDate(0, 0, 1).Format("2006-01-02"), Multiplier: "2"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := earns().Purchase.Earned; got != 20 {
				t.Errorf("after a campaign began elsewhere: earned %d, want 20", got)
			}
			if version(s.db) <= before || version(other.db) != otherBefore {
				t.Errorf("versions %d → %d; another merchant's %d → %d", before, version(s.db), otherBefore, version(other.db))
			}

			gold, err := models.CreateTier(there, testActor, p.ID, models.TierInput{Name: "Gold", Position: "1", Threshold: "0", EarnMultiplier: "1"})
			if err != nil {
				t.Fatal(err)
			}
			if a := earns().Account; a.TierID == nil || *a.TierID != gold.ID {
				t.Errorf("after a tier was added elsewhere: tier %v, want Gold", a.TierID)
			}

			hook, _, err := models.CreateWebhookEndpoint(there, testActor, models.WebhookInput{URL: "http://127.0.0.1:1/hooks", Events: []string{"purchase.recorded"}},
				models.WebhookTargets{AllowPrivate: true}, now)
			if err != nil {
				t.Fatal(err)
			}
			earns()
			var queued int64
			if err := s.db.Model(&models.WebhookDelivery{}).Where("endpoint_id = ?", hook.ID).Count(&queued).Error; err != nil || queued != 1 {
				t.Errorf("after an endpoint was added elsewhere: %d deliveries queued (%v), want 1", queued, err)
			}

			if err := models.DeleteCampaign(there, testActor, p.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			if got := earns().Purchase.Earned; got != 10 {
				t.Errorf("after the campaign was deleted elsewhere: earned %d, want 10", got)
			}

			paused := pointsInput("Coffee Club")
			paused.Status = "paused"
			if _, err := models.UpdateProgram(there, testActor, p.ID, paused); err != nil {
				t.Fatal(err)
			}
			_, err = models.RecordPurchase(s.db, testActor, purchase(p.ID, m.ID, "10.00", "cache-paused"), now)
			if models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("a purchase in a program paused elsewhere: %v, want a refusal", err)
			}
			wantBalanced(t, till)
		})
	}
}
