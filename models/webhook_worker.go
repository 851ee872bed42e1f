package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

const (
	// webhookRetryFor is how long a delivery is retried before it is
	// marked failed.
	webhookRetryFor = 24 * time.Hour
	// webhookTimeout bounds one attempt, connection to last byte.
	webhookTimeout = 10 * time.Second
	// webhookBatch deliveries are claimed at once; webhookLease is how
	// long the claim holds. It outlasts a whole batch of timed-out
	// attempts, so no claim lapses while its worker is still sending; a
	// crashed worker's claim lapses after it and another worker retries.
	webhookBatch = 10
	webhookLease = webhookBatch*webhookTimeout + time.Minute
	// webhookPollEvery is how often an idle worker looks for due deliveries.
	webhookPollEvery = 2 * time.Second
	// Answers are read up to maxWebhookAnswer bytes (so a huge or endless
	// body cannot hold the worker) and logged up to maxWebhookError characters.
	maxWebhookAnswer = 64 << 10
	maxWebhookError  = 200
	backoffBase      = 10 * time.Second
	backoffCap       = time.Hour
)

// WebhookBackoff is the wait after the attempt-th failed attempt:
// exponential from 10 seconds, capped at an hour, with jitter (half to the
// whole of it), so receivers coming back up are not hit by every sender at
// once.
func WebhookBackoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 20 { // 10 s × 2^19 is far past the cap
		d = min(backoffBase<<max(attempt-1, 0), backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}

// WebhookWorkerOptions configure a WebhookWorker; the zero value is
// production's: the real clock, WebhookBackoff, internal addresses refused.
type WebhookWorkerOptions struct {
	Clock   func() time.Time
	Backoff func(attempt int) time.Duration
	Targets WebhookTargets
}

// WebhookWorker sends the outbox's deliveries. Any number may run, in one
// process or many: each delivery is claimed by one at a time.
type WebhookWorker struct {
	db      *gorm.DB
	log     *slog.Logger
	clock   func() time.Time
	backoff func(int) time.Duration
	client  *http.Client
	done    sync.WaitGroup
}

// NewWebhookWorker returns a worker; Start sets it going.
func NewWebhookWorker(db *gorm.DB, log *slog.Logger, o WebhookWorkerOptions) *WebhookWorker {
	w := &WebhookWorker{db: db, log: log, clock: o.Clock, backoff: o.Backoff}
	if w.clock == nil {
		w.clock = time.Now
	}
	if w.backoff == nil {
		w.backoff = WebhookBackoff
	}
	dialer := &net.Dialer{Timeout: webhookTimeout}
	if !o.Targets.AllowPrivate {
		dialer.Control = guardDial
	}
	w.client = &http.Client{
		Timeout: webhookTimeout,
		// No proxy (it would be dialled instead of the target, past the
		// guard) and no redirects (a 3xx could point inside): a 3xx is a
		// failed attempt.
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: webhookTimeout,
			MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return w
}

// Start delivers in the background until ctx ends.
func (w *WebhookWorker) Start(ctx context.Context) {
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		ticker := time.NewTicker(webhookPollEvery)
		defer ticker.Stop()
		for {
			if _, err := w.DeliverDue(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("webhooks: deliver", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
}

// Wait returns once the worker has stopped.
func (w *WebhookWorker) Wait() { w.done.Wait() }

// DeliverDue attempts every delivery due now, batch by batch, and returns
// how many it attempted.
func (w *WebhookWorker) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		batch, err := w.claim(ctx)
		if err != nil || len(batch) == 0 {
			return total, err
		}
		for i := range batch {
			if err := w.attempt(ctx, &batch[i]); err != nil {
				return total, err
			}
			total++
		}
	}
	return total, nil
}

// claim takes up to webhookBatch due deliveries of live endpoints, across
// merchants, by pushing their next attempt a lease ahead and counting the
// attempt, in one statement. On PostgreSQL the rows are locked with SKIP
// LOCKED, so concurrent workers take different rows without waiting; on
// SQLite the statement holds the only write lock. Raw SQL: it filters no
// merchant because it serves them all.
func (w *WebhookWorker) claim(ctx context.Context) ([]WebhookDelivery, error) {
	now := w.clock().UTC()
	lock := ""
	if DialectOf(w.db) == Postgres {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	var ids []int64
	err := w.db.WithContext(ctx).Raw(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_attempt_at = ?
		WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.merchant_id = d.merchant_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND e.disabled_at IS NULL
			ORDER BY d.next_attempt_at, d.id LIMIT ?`+lock+`)
		RETURNING id`, now.Add(webhookLease), now, now, webhookBatch).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("webhook: claim: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var ds []WebhookDelivery
	if err := CrossTenant(w.db.WithContext(ctx)).Where("id IN ?", ids).Order("id").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("webhook: load claimed: %w", err)
	}
	return ds, nil
}

// attempt sends one claimed delivery and records how it went. An error is
// the database's; the receiver's failures are recorded, not returned.
func (w *WebhookWorker) attempt(ctx context.Context, d *WebhookDelivery) error {
	db := ForMerchant(w.db.WithContext(ctx), d.MerchantID)
	ep, err := GetWebhookEndpoint(db, d.EndpointID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil // deleted meanwhile, with its deliveries
		}
		return err
	}
	now := w.clock()
	code, sendErr := w.send(ctx, ep, d, now)
	if ctx.Err() != nil {
		return nil // shutting down: the lease lapses and the attempt is made again
	}
	set := map[string]any{"response_code": code, "last_error": ""}
	switch {
	case sendErr == nil:
		set["status"] = DeliveryDelivered
	case now.Sub(d.CreatedAt) >= webhookRetryFor:
		set["status"], set["last_error"] = DeliveryFailed, shortError(sendErr)
	default:
		set["next_attempt_at"], set["last_error"] = now.UTC().Add(w.backoff(d.Attempts)), shortError(sendErr)
	}
	// Only the claim that made this attempt may record it: if its lease
	// lapsed and another worker claimed the row, attempts has moved on.
	res := db.Model(&WebhookDelivery{}).Where("id = ? AND attempts = ? AND status = ?", d.ID, d.Attempts, DeliveryPending).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("webhook: record delivery %d: %w", d.ID, res.Error)
	}
	return nil
}

// send makes one attempt; it returns the answer's status (0 for none) and
// why it was not a success.
func (w *WebhookWorker) send(ctx context.Context, ep *WebhookEndpoint, d *WebhookDelivery, now time.Time) (int, error) {
	body := []byte(d.Payload)
	ts := now.Unix()
	sig, err := SignWebhook(ep.signingSecrets(now), d.MessageID, ts, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Regulars-Webhooks/1")
	req.Header.Set("webhook-id", d.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxWebhookAnswer))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %d %s", resp.StatusCode, strings.TrimSpace(string(answer)))
	}
	return resp.StatusCode, nil
}

// shortError words a failed attempt for the delivery log.
func shortError(err error) string {
	msg := err.Error()
	if errors.Is(err, errInternalTarget) {
		msg = errInternalTarget.Error()
	}
	if r := []rune(msg); len(r) > maxWebhookError {
		msg = string(r[:maxWebhookError-1]) + "…"
	}
	return msg
}
