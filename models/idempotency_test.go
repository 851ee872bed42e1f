package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestIdempotencyKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "idem@example.com")
		now := time.Now().UTC()
		k, _, err := models.CreateAPIKey(s.db, testActor, models.APIKeyInput{Name: "POS", Scope: "read-write"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if first, err := models.ClaimIdempotencyKey(s.db, k.ID, "abc", "h1", now); first != nil || err != nil {
			t.Fatalf("first claim = %+v, %v; want it to run", first, err)
		}
		if _, err := models.ClaimIdempotencyKey(s.db, k.ID, "abc", "h1", now); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("claim while running: %v, want conflict", err)
		}
		if _, err := models.ClaimIdempotencyKey(s.db, k.ID, "abc", "h2", now); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("claim for another request: %v, want invalid", err)
		}
		// A claim left running past any request's time is taken over, once.
		later := now.Add(models.IdempotencyAbandonedAfter + time.Minute)
		if first, err := models.ClaimIdempotencyKey(s.db, k.ID, "abc", "h1", later); first != nil || err != nil {
			t.Fatalf("claim of an abandoned key = %+v, %v; want it to run", first, err)
		}
		if _, err := models.ClaimIdempotencyKey(s.db, k.ID, "abc", "h1", later); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("claim right after a takeover: %v, want conflict", err)
		}
		if err := models.CompleteIdempotencyKey(s.db, k.ID, "abc", 201, []byte(`{"id":1}`)); err != nil {
			t.Fatal(err)
		}
		stored, err := models.ClaimIdempotencyKey(s.db, k.ID, "abc", "h1", now)
		if err != nil || stored == nil || stored.Status != 201 || stored.ResponseBody != `{"id":1}` {
			t.Fatalf("replay = %+v, %v; want the stored 201", stored, err)
		}
		// A released claim may be taken again.
		if _, err := models.ClaimIdempotencyKey(s.db, k.ID, "refused", "h1", now); err != nil {
			t.Fatal(err)
		}
		if err := models.ReleaseIdempotencyKey(s.db, k.ID, "refused"); err != nil {
			t.Fatal(err)
		}
		if first, err := models.ClaimIdempotencyKey(s.db, k.ID, "refused", "h3", now); first != nil || err != nil {
			t.Errorf("claim after release = %+v, %v; want it to run", first, err)
		}

		rep, err := models.RunDaily(db, now.Add(models.IdempotencyKeyLifetime-time.Hour))
		if err != nil || rep.IdempotencySwept != 0 {
			t.Fatalf("daily within a day swept %d (%v), want 0", rep.IdempotencySwept, err)
		}
		rep, err = models.RunDaily(db, now.Add(models.IdempotencyKeyLifetime+time.Hour))
		if err != nil || rep.IdempotencySwept != 2 {
			t.Fatalf("daily after a day swept %d (%v), want 2", rep.IdempotencySwept, err)
		}
	})
}
