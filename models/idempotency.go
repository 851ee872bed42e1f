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

// IdempotencyKey is the answer to one API request, kept per merchant and
// API key under the client's Idempotency-Key, so that a retry gets the
// first answer instead of a second execution. It is written in the
// transaction of the request's own work: the work and its answer commit
// together, or neither does (a refusal not worth keeping, a crash, a
// lost connection), so no key is ever left half done.
type IdempotencyKey struct {
	ID           int64
	MerchantID   int64
	APIKeyID     int64 `gorm:"column:api_key_id"`
	Key          string
	RequestHash  string
	Status       int
	ResponseBody string
	CreatedAt    time.Time
}

// Answer is a request's answer as a retry gets it again.
type Answer struct {
	Status int
	Body   []byte
}

// Refusals of a key.
var (
	errIdempotencyReused = Errorf(EINVALID, "This Idempotency-Key was already used for a different request. Use a new key for a new request.")
	errIdempotencyBusy   = Errorf(ECONFLICT, "A request with this Idempotency-Key is still running. Retry in a moment to get its answer.")
)

// Why an idempotent transaction is rolled back without failing.
var (
	errAnswerNotKept = errors.New("idempotency: answer not kept")
	errAnswerRaced   = errors.New("idempotency: another request stored its answer first")
)

// RunIdempotent runs a request at most once per merchant, API key and
// key. run does the request's work in tx and says whether its answer is
// final (not a refusal of what was sent, which the client may fix and
// retry under the same key); a final answer is stored in the same
// transaction, anything else is rolled back with the work. It returns
// the answer and whether it replays the first one. The key of another
// request is EINVALID; a retry while the first still runs is ECONFLICT,
// at once on PostgreSQL, where the first holds a lock on the key.
func RunIdempotent(db *gorm.DB, apiKeyID int64, key, requestHash string, now time.Time, run func(tx *gorm.DB) (Answer, bool)) (Answer, bool, error) {
	var ans Answer
	var first *IdempotencyKey
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if first, err = lookUpKey(tx, apiKeyID, key); err != nil || first != nil {
			return err
		}
		var keep bool
		if ans, keep = run(tx); !keep {
			return errAnswerNotKept
		}
		stored := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&IdempotencyKey{APIKeyID: apiKeyID, Key: key,
			RequestHash: requestHash, Status: ans.Status, ResponseBody: string(ans.Body), CreatedAt: now.UTC()})
		switch {
		case stored.Error != nil:
			return fmt.Errorf("idempotency: store answer: %w", stored.Error)
		case stored.RowsAffected == 0:
			return errAnswerRaced // its work is rolled back: the first one's stands
		}
		return nil
	})
	switch {
	case errors.Is(err, errAnswerNotKept):
		return ans, false, nil
	case errors.Is(err, errAnswerRaced):
		if first, err = lookUpKey(db, apiKeyID, key); err == nil && first == nil {
			err = errIdempotencyBusy // swept in between: as good as busy
		}
	}
	if err != nil {
		return Answer{}, false, err
	}
	if first == nil {
		return ans, false, nil
	}
	if first.RequestHash != requestHash {
		return Answer{}, false, errIdempotencyReused
	}
	return Answer{Status: first.Status, Body: []byte(first.ResponseBody)}, true, nil
}

// lookUpKey returns the answer stored under key, or nil when there is
// none yet. On PostgreSQL it also takes a transaction lock on the key in
// the same statement, and refuses as busy when another request holds it:
// that one is running and its answer is not committed yet. (Concurrent
// transactions on SQLite wait for each other, so the first has committed
// by the time a retry reads.) The unique key settles any race the lock
// does not see: the later answer is not stored, and its work is undone.
func lookUpKey(tx *gorm.DB, apiKeyID int64, key string) (*IdempotencyKey, error) {
	query := func(q *gorm.DB, into *[]IdempotencyKey) *gorm.DB {
		return q.Where(&IdempotencyKey{APIKeyID: apiKeyID, Key: key}).Limit(1).Find(into)
	}
	if DialectOf(tx) != Postgres {
		var rows []IdempotencyKey
		if err := query(tx, &rows).Error; err != nil {
			return nil, fmt.Errorf("idempotency: look up: %w", err)
		}
		if len(rows) == 0 {
			return nil, nil
		}
		return &rows[0], nil
	}
	q, err := dry(tx, func(d *gorm.DB) *gorm.DB { return query(d, &[]IdempotencyKey{}) })
	if err != nil {
		return nil, fmt.Errorf("idempotency: look up: %w", err)
	}
	merchantID, _ := MerchantOf(tx)
	lock := advisoryKey(fmt.Sprintf("idempotency:%d:%s", merchantID, key), apiKeyID)
	var found []keyLookup
	err = tx.Raw("SELECT pg_try_advisory_xact_lock(?) AS free, k.* FROM (SELECT 1) AS one LEFT JOIN ("+
		questionMarks(q.sql)+") AS k ON true", append([]any{lock}, q.vars...)...).Find(&found).Error
	switch {
	case err != nil:
		return nil, fmt.Errorf("idempotency: look up: %w", err)
	case len(found) == 1 && found[0].ID != 0:
		return &found[0].IdempotencyKey, nil
	case len(found) == 1 && !found[0].Free:
		return nil, errIdempotencyBusy
	}
	return nil, nil
}

// keyLookup is a stored answer (or none: a zero ID) and whether the
// key's lock was free, as PostgreSQL's look-up reads them.
type keyLookup struct {
	Free bool
	IdempotencyKey
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
