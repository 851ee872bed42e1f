package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestAPIKeyLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "keys@example.com")
		other := newShop(t, db, "other-keys@example.com")
		now := time.Now().UTC().Truncate(time.Second)

		if _, _, err := models.CreateAPIKey(s.db, testActor, models.APIKeyInput{Name: " ", Scope: "admin"}, now); models.FieldErrors(err)["name"] == "" || models.FieldErrors(err)["scope"] == "" {
			t.Fatalf("blank name and unknown scope: %v, want both fields refused", err)
		}
		k, secret, err := models.CreateAPIKey(s.db, testActor, models.APIKeyInput{Name: "Web shop", Scope: "read-write"}, now)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if !strings.HasPrefix(secret, "rk_live_") || len(secret) != len("rk_live_")+52 || !strings.HasPrefix(secret, k.Prefix) {
			t.Errorf("secret %q (prefix %q): want rk_live_ and 52 base32 characters starting with the prefix", secret, k.Prefix)
		}
		if strings.Contains(k.SecretHash, secret) || k.SecretHash == "" {
			t.Errorf("stored %q: want only a hash", k.SecretHash)
		}
		wantAudit(t, lastAudit(t, s.db), models.AuditCreate, "api_key", k.ID)

		got, merchant, err := models.AuthenticateAPIKey(db, secret, now)
		if err != nil || got.ID != k.ID || got.MerchantID != s.m.ID || got.Scope != models.ScopeReadWrite {
			t.Fatalf("authenticate = %+v, %v; want key %d of merchant %d", got, err, k.ID, s.m.ID)
		}
		if merchant.ID != s.m.ID || merchant.Name != s.m.Name || merchant.Currency != s.m.Currency || merchant.TimeZone != s.m.TimeZone {
			t.Errorf("the key's merchant %+v, want %+v", merchant, s.m)
		}
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) {
			t.Errorf("last used = %v, want %v", got.LastUsedAt, now)
		}
		// Within a minute the stamp stays; after it, it moves.
		if _, _, err := models.AuthenticateAPIKey(db, secret, now.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if stored := reload[models.APIKey](t, db, k.ID); !stored.LastUsedAt.Equal(now) {
			t.Errorf("last used after 30 s = %v, want still %v", stored.LastUsedAt, now)
		}
		if _, _, err := models.AuthenticateAPIKey(db, secret, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if stored := reload[models.APIKey](t, db, k.ID); !stored.LastUsedAt.Equal(now.Add(2 * time.Minute)) {
			t.Errorf("last used after 2 min = %v, want %v", stored.LastUsedAt, now.Add(2*time.Minute))
		}

		for name, bad := range map[string]string{
			"empty": "", "malformed": "rk_live_nope", "unknown": "rk_live_" + strings.Repeat("A", 52),
			"tampered": secret[:len(secret)-1] + flip(secret[len(secret)-1]),
		} {
			if _, _, err := models.AuthenticateAPIKey(db, bad, now); models.ErrorCode(err) != models.EUNAUTHORIZED {
				t.Errorf("%s key: %v, want unauthorized", name, err)
			}
		}

		if _, err := models.RevokeAPIKey(other.db, testActor, k.ID, now); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("another merchant revoking: %v, want not found", err)
		}
		if _, _, err := models.AuthenticateAPIKey(db, secret, now); err != nil {
			t.Fatalf("after a foreign revoke the key must still work: %v", err)
		}
		if _, err := models.RevokeAPIKey(s.db, testActor, k.ID, now); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		wantAudit(t, lastAudit(t, s.db), models.AuditUpdate, "api_key", k.ID)
		if _, _, err := models.AuthenticateAPIKey(db, secret, now); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Errorf("revoked key: %v, want unauthorized", err)
		}
		keys, err := models.ListAPIKeys(s.db)
		if err != nil || len(keys) != 1 || !keys[0].Revoked() {
			t.Errorf("list = %+v, %v; want the one revoked key", keys, err)
		}
		if keys, _ := models.ListAPIKeys(other.db); len(keys) != 0 {
			t.Errorf("other merchant lists %d keys, want 0", len(keys))
		}
	})
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}
