package models

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// APIScope is what an API key may do: read, or read and write.
type APIScope string

const (
	ScopeRead      APIScope = "read"
	ScopeReadWrite APIScope = "read-write"
)

// APIScopes lists the scopes for forms.
var APIScopes = []APIScope{ScopeRead, ScopeReadWrite}

// Allows reports whether a key of scope s may call a route needing need.
func (s APIScope) Allows(need APIScope) bool { return s == ScopeReadWrite || need == ScopeRead }

// An API secret is "rk_live_" and 32 random bytes in base32: 52 letters
// and digits, safe in a header and a shell without quoting.
const (
	apiSecretPrefix = "rk_live_"
	apiSecretBytes  = 32
	// apiKeyPrefixShown is how much of a secret the settings page shows.
	apiKeyPrefixShown = len(apiSecretPrefix) + 6
	// apiKeyTouchEvery bounds how often a key's last use is written: one
	// update a minute, not one per request.
	apiKeyTouchEvery = time.Minute
)

var apiSecretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// APIKey is one merchant's key to the JSON API. Only the secret's SHA-256
// is stored; the secret itself is shown once, when the key is made.
type APIKey struct {
	ID         int64
	MerchantID int64
	Name       string
	Scope      APIScope
	Prefix     string
	SecretHash string `json:"-"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Actor names the key as the author of what its requests change, in the
// ledger and the audit log.
func (k *APIKey) Actor() Actor { return Actor{Name: "API key " + k.Name + " (" + k.Prefix + "…)"} }

// Revoked reports whether the key no longer opens the API.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }

func newAPISecret() (string, error) {
	raw := make([]byte, apiSecretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("api key: random: %w", err)
	}
	return apiSecretPrefix + apiSecretEncoding.EncodeToString(raw), nil
}

// wellFormedSecret reports whether s could be a secret we issued, so a
// malformed one is refused without a query.
func wellFormedSecret(s string) bool {
	body, ok := strings.CutPrefix(s, apiSecretPrefix)
	if !ok {
		return false
	}
	raw, err := apiSecretEncoding.DecodeString(body)
	return err == nil && len(raw) == apiSecretBytes
}

// APIKeyInput is the new-key form as typed.
type APIKeyInput struct {
	Name, Scope string
}

// CreateAPIKey makes a key for the scoped merchant and returns it with its
// secret, which is not stored and cannot be shown again.
func CreateAPIKey(db *gorm.DB, actor Actor, in APIKeyInput, now time.Time) (*APIKey, string, error) {
	k := &APIKey{Name: strings.TrimSpace(in.Name), Scope: APIScope(in.Scope), CreatedAt: now.UTC()}
	v := Validation{}
	v.Check(k.Name != "", "name", "Name the key after what uses it, like Web shop.")
	v.Check(utf8.RuneCountInString(k.Name) <= 80, "name", "Use at most 80 characters.")
	checkName(v, "name", k.Name)
	v.Check(oneOf(k.Scope, APIScopes), "scope", "Choose read or read-write.")
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	secret, err := newAPISecret()
	if err != nil {
		return nil, "", err
	}
	k.Prefix, k.SecretHash = secret[:apiKeyPrefixShown], hashToken(secret)
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(k).Error; err != nil {
			return fmt.Errorf("api key: create: %w", err)
		}
		return recordAudit(tx, actor, AuditCreate, "api_key", k.ID, "Created API key "+k.Name, nil, k)
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// ListAPIKeys returns the scoped merchant's keys, newest first, revoked
// ones too.
func ListAPIKeys(db *gorm.DB) ([]APIKey, error) {
	var ks []APIKey
	if err := db.Order("id DESC").Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("api key: list: %w", err)
	}
	return ks, nil
}

// RevokeAPIKey ends a key at once; revoking it again changes nothing.
func RevokeAPIKey(db *gorm.DB, actor Actor, id int64, now time.Time) (*APIKey, error) {
	var k APIKey
	err := db.Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&k, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Errorf(ENOTFOUND, "No such API key.")
		}
		if err != nil {
			return fmt.Errorf("api key: revoke %d: %w", id, err)
		}
		if k.Revoked() {
			return nil
		}
		before := k
		at := now.UTC()
		k.RevokedAt = &at
		if err := tx.Model(&k).Update("revoked_at", at).Error; err != nil {
			return fmt.Errorf("api key: revoke %d: %w", id, err)
		}
		return recordAudit(tx, actor, AuditUpdate, "api_key", k.ID, "Revoked API key "+k.Name, before, k)
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

var errBadAPIKey = Errorf(EUNAUTHORIZED, "This API key is unknown, revoked or malformed. Send Authorization: Bearer <key> with a key from Settings → API.")

// AuthenticateAPIKey finds the live key a secret belongs to, across
// merchants, with its merchant, and notes its use at most once a minute. The lookup is by the
// secret's hash, so how long it takes says nothing about the secret.
func AuthenticateAPIKey(db *gorm.DB, secret string, now time.Time) (*APIKey, *Merchant, error) {
	if !wellFormedSecret(secret) {
		return nil, nil, errBadAPIKey
	}
	hash := hashToken(secret)
	q, err := withMerchant(CrossTenant(db).Model(&APIKey{}), "api_keys")
	if err != nil {
		return nil, nil, err
	}
	var row struct {
		APIKey   `gorm:"embedded"`
		Merchant Merchant `gorm:"embedded;embeddedPrefix:m_"`
	}
	err = q.Where("api_keys.secret_hash = ?", hash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, errBadAPIKey
	}
	if err != nil {
		return nil, nil, fmt.Errorf("api key: authenticate: %w", err)
	}
	k, m := row.APIKey, row.Merchant
	if subtle.ConstantTimeCompare([]byte(k.SecretHash), []byte(hash)) != 1 || k.Revoked() {
		return nil, nil, errBadAPIKey
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= apiKeyTouchEvery {
		at := now.UTC()
		stale := at.Add(-apiKeyTouchEvery)
		if err := ForMerchant(db, k.MerchantID).Model(&APIKey{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", k.ID, stale).
			Update("last_used_at", at).Error; err != nil {
			return nil, nil, fmt.Errorf("api key: note use: %w", err)
		}
		k.LastUsedAt = &at
	}
	return &k, &m, nil
}
