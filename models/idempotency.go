package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IdempotencyKeyLifetime is how long an API request's answer is kept for
// retries; the daily job sweeps older ones.
const IdempotencyKeyLifetime = 24 * time.Hour

// IdempotencyAbandonedAfter is how long a claim may stay running before a
// retry takes it over: its request died with its process, or its answer
// could not be stored. (The purchase behind it has its own key, so a
// takeover never credits twice.)
const IdempotencyAbandonedAfter = 10 * time.Minute

// Idempotency states: a request is running until its answer is stored.
const (
	IdempotencyRunning = "running"
	IdempotencyDone    = "done"
)

// IdempotencyKey is the answer to one API request, kept per merchant and
// API key under the client's Idempotency-Key, so that a retry gets the
// first answer instead of a second execution.
type IdempotencyKey struct {
	ID           int64
	MerchantID   int64
	APIKeyID     int64 `gorm:"column:api_key_id"`
	Key          string
	RequestHash  string
	State        string
	Status       int
	ResponseBody string
	CreatedAt    time.Time
}

// Refusals of a claimed key.
var (
	errIdempotencyReused = Errorf(EINVALID, "This Idempotency-Key was already used for a different request. Use a new key for a new request.")
	errIdempotencyBusy   = Errorf(ECONFLICT, "A request with this Idempotency-Key is still running. Retry in a moment to get its answer.")
)

// ClaimIdempotencyKey claims key for a request with the given hash. It
// returns nil when the request is the first (or takes over an abandoned
// claim) and may run; the stored
// answer when the same request already ran; and an error when the key
// names another request (EINVALID) or the first is still running
// (ECONFLICT). The claim is an insert that only one of any number of
// concurrent requests can win.
func ClaimIdempotencyKey(db *gorm.DB, apiKeyID int64, key, requestHash string, now time.Time) (*IdempotencyKey, error) {
	claim := &IdempotencyKey{APIKeyID: apiKeyID, Key: key, RequestHash: requestHash, State: IdempotencyRunning, CreatedAt: now.UTC()}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(claim)
	if res.Error != nil {
		return nil, fmt.Errorf("idempotency: claim: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var first IdempotencyKey
	err := db.Where(&IdempotencyKey{APIKeyID: apiKeyID, Key: key}).Take(&first).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Released between the insert and the read: the first request was
		// refused, so this one may run in its place.
		return ClaimIdempotencyKey(db, apiKeyID, key, requestHash, now)
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency: read claim: %w", err)
	}
	switch {
	case first.RequestHash != requestHash:
		return nil, errIdempotencyReused
	case first.State != IdempotencyDone:
		return nil, takeOverAbandoned(db, &first, now)
	}
	return &first, nil
}

// takeOverAbandoned claims a running key afresh once it has run for
// longer than any request does; only one of concurrent retries wins it.
// It returns nil when the caller may run, else the busy refusal.
func takeOverAbandoned(db *gorm.DB, claim *IdempotencyKey, now time.Time) error {
	abandoned := now.Add(-IdempotencyAbandonedAfter).UTC()
	if !claim.CreatedAt.Before(abandoned) {
		return errIdempotencyBusy
	}
	res := db.Model(&IdempotencyKey{}).Where("id = ? AND state = ? AND created_at < ?", claim.ID, IdempotencyRunning, abandoned).
		Update("created_at", now.UTC())
	if res.Error != nil {
		return fmt.Errorf("idempotency: take over: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errIdempotencyBusy
	}
	return nil
}

// CompleteIdempotencyKey stores the answer of the request that claimed key.
func CompleteIdempotencyKey(db *gorm.DB, apiKeyID int64, key string, status int, body []byte) error {
	err := db.Model(&IdempotencyKey{}).Where(&IdempotencyKey{APIKeyID: apiKeyID, Key: key}).
		Updates(map[string]any{"state": IdempotencyDone, "status": status, "response_body": string(body)}).Error
	if err != nil {
		return fmt.Errorf("idempotency: complete: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a claim whose request was refused before
// it changed anything, so the client may fix the request and retry with
// the same key.
func ReleaseIdempotencyKey(db *gorm.DB, apiKeyID int64, key string) error {
	if err := db.Where(&IdempotencyKey{APIKeyID: apiKeyID, Key: key}).Delete(&IdempotencyKey{}).Error; err != nil {
		return fmt.Errorf("idempotency: release: %w", err)
	}
	return nil
}

// SweepIdempotencyKeys deletes every merchant's keys older than their
// lifetime and returns how many went.
func SweepIdempotencyKeys(db *gorm.DB, now time.Time) (int64, error) {
	res := CrossTenant(db).Where("created_at < ?", now.Add(-IdempotencyKeyLifetime).UTC()).Delete(&IdempotencyKey{})
	if res.Error != nil {
		return 0, fmt.Errorf("idempotency: sweep: %w", res.Error)
	}
	return res.RowsAffected, nil
}
