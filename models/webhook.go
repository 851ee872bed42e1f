package models

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// WebhookEvent names something that happened, as the payload's "type".
type WebhookEvent string

const (
	EventMemberCreated     WebhookEvent = "member.created"
	EventPurchaseRecorded  WebhookEvent = "purchase.recorded"
	EventPurchaseRefunded  WebhookEvent = "purchase.refunded"
	EventPointsAdjusted    WebhookEvent = "points.adjusted"
	EventRedemptionCreated WebhookEvent = "redemption.created"
	EventVoucherUsed       WebhookEvent = "voucher.used"
	EventVoucherCancelled  WebhookEvent = "voucher.cancelled"
	EventTierChanged       WebhookEvent = "tier.changed"
	EventPointsExpired     WebhookEvent = "points.expired"
)

// WebhookEvents lists every event, in the order forms show them. An
// endpoint stores its subscriptions as a bit mask of positions in this
// list, so the outbox finds the subscribers of an event in one indexed
// read: never reorder it, only append.
var WebhookEvents = []WebhookEvent{
	EventMemberCreated, EventPurchaseRecorded, EventPurchaseRefunded, EventPointsAdjusted,
	EventRedemptionCreated, EventVoucherUsed, EventVoucherCancelled, EventTierChanged, EventPointsExpired,
}

func (ev WebhookEvent) bit() int64 {
	for i, e := range WebhookEvents {
		if e == ev {
			return 1 << i
		}
	}
	return 0
}

const (
	// webhookSecretPrefix and its 32 random bytes follow the Standard
	// Webhooks secret format (whsec_ and base64), which its libraries read.
	webhookSecretPrefix = "whsec_"
	webhookSecretBytes  = 32
	// webhookRotationOverlap is how long a rotated secret keeps signing
	// beside the new one, so a receiver can switch without losing events.
	webhookRotationOverlap = 24 * time.Hour
	maxWebhookURL          = 2000
	maxWebhookEndpoints    = 20
)

// WebhookEndpoint is where one merchant's events are sent. The secrets
// never leave in JSON, the audit log included.
type WebhookEndpoint struct {
	ID                  int64
	MerchantID          int64
	URL                 string `gorm:"column:url"`
	Events              int64
	Secret              string `json:"-"`
	PreviousSecret      string `json:"-"`
	PreviousSecretUntil *time.Time
	DisabledAt          *time.Time
	CreatedAt           time.Time
}

// Subscribes reports whether the endpoint is sent ev.
func (e *WebhookEndpoint) Subscribes(ev WebhookEvent) bool { return e.Events&ev.bit() != 0 }

// Disabled reports whether the endpoint is paused: nothing new is queued
// for it and what is queued waits.
func (e *WebhookEndpoint) Disabled() bool { return e.DisabledAt != nil }

// EventList is the endpoint's subscriptions, in WebhookEvents order.
func (e *WebhookEndpoint) EventList() []WebhookEvent {
	var out []WebhookEvent
	for _, ev := range WebhookEvents {
		if e.Subscribes(ev) {
			out = append(out, ev)
		}
	}
	return out
}

// signingSecrets are the secrets that sign a delivery at now: the current
// one, and the previous one for a day after a rotation.
func (e *WebhookEndpoint) signingSecrets(now time.Time) []string {
	s := []string{e.Secret}
	if e.PreviousSecret != "" && e.PreviousSecretUntil != nil && now.Before(*e.PreviousSecretUntil) {
		s = append(s, e.PreviousSecret)
	}
	return s
}

func newWebhookSecret() (string, error) {
	raw := make([]byte, webhookSecretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("webhook: random: %w", err)
	}
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(raw), nil
}

// SignWebhook is the webhook-signature header of a message per the
// Standard Webhooks spec: for each secret, "v1," and the base64 HMAC-SHA256
// of "id.timestamp.body" keyed by the secret's decoded bytes, separated by
// spaces.
func SignWebhook(secrets []string, msgID string, timestamp int64, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, webhookSecretPrefix))
		if err != nil {
			return "", fmt.Errorf("webhook: secret is not base64: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// WebhookInput is the endpoint form as typed.
type WebhookInput struct {
	URL    string
	Events []string
}

// WebhookTargets says which addresses endpoints may have: in development
// anything (tests and local receivers listen on 127.0.0.1); in production
// only public ones.
type WebhookTargets struct {
	AllowPrivate bool
}

// CreateWebhookEndpoint registers an endpoint for the scoped merchant and
// returns it with its secret, shown once.
func CreateWebhookEndpoint(db *gorm.DB, actor Actor, in WebhookInput, targets WebhookTargets, now time.Time) (*WebhookEndpoint, string, error) {
	ep := &WebhookEndpoint{URL: strings.TrimSpace(in.URL), CreatedAt: now.UTC()}
	v := Validation{}
	if msg := checkWebhookURL(ep.URL, targets); msg != "" {
		v.Check(false, "url", msg)
	}
	for _, name := range in.Events {
		bit := WebhookEvent(name).bit()
		v.Check(bit != 0, "events", "Choose events from the list.")
		ep.Events |= bit
	}
	v.Check(ep.Events != 0, "events", "Choose at least one event to send.")
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return nil, "", err
	}
	ep.Secret = secret
	err = db.Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&WebhookEndpoint{}).Count(&n).Error; err != nil {
			return fmt.Errorf("webhook: count endpoints: %w", err)
		}
		if n >= maxWebhookEndpoints {
			return fieldError("url", fmt.Sprintf("A business can have at most %d endpoints; delete one first.", maxWebhookEndpoints))
		}
		if err := tx.Create(ep).Error; err != nil {
			return fmt.Errorf("webhook: create endpoint: %w", err)
		}
		return recordAudit(tx, actor, AuditCreate, "webhook_endpoint", ep.ID, "Added webhook endpoint "+ep.URL, nil, ep)
	})
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// ListWebhookEndpoints returns the scoped merchant's endpoints, newest first.
func ListWebhookEndpoints(db *gorm.DB) ([]WebhookEndpoint, error) {
	var eps []WebhookEndpoint
	if err := db.Order("id DESC").Find(&eps).Error; err != nil {
		return nil, fmt.Errorf("webhook: list endpoints: %w", err)
	}
	return eps, nil
}

// GetWebhookEndpoint finds one of the scoped merchant's endpoints.
func GetWebhookEndpoint(db *gorm.DB, id int64) (*WebhookEndpoint, error) {
	var ep WebhookEndpoint
	if err := db.Take(&ep, id).Error; err != nil {
		return nil, notFound(err, "No such webhook endpoint.", "webhook: endpoint %d", id)
	}
	return &ep, nil
}

// changeEndpoint runs change on a locked endpoint and audits it with
// summary, in one transaction.
func changeEndpoint(db *gorm.DB, actor Actor, id int64, summary string, change func(tx *gorm.DB, ep *WebhookEndpoint) error) (*WebhookEndpoint, error) {
	var ep *WebhookEndpoint
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if ep, err = GetWebhookEndpoint(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		before := *ep
		if err := change(tx, ep); err != nil {
			return fmt.Errorf("webhook: %s endpoint %d: %w", summary, id, err)
		}
		return recordAudit(tx, actor, AuditUpdate, "webhook_endpoint", ep.ID, summary+" webhook endpoint "+ep.URL, before, ep)
	})
	if err != nil {
		return nil, err
	}
	return ep, nil
}

// RotateWebhookSecret gives an endpoint a new secret, returned to show
// once; the old one keeps signing beside it for a day.
func RotateWebhookSecret(db *gorm.DB, actor Actor, id int64, now time.Time) (*WebhookEndpoint, string, error) {
	secret, err := newWebhookSecret()
	if err != nil {
		return nil, "", err
	}
	ep, err := changeEndpoint(db, actor, id, "Rotated the secret of", func(tx *gorm.DB, ep *WebhookEndpoint) error {
		until := now.UTC().Add(webhookRotationOverlap)
		ep.PreviousSecret, ep.PreviousSecretUntil, ep.Secret = ep.Secret, &until, secret
		return tx.Model(ep).Updates(map[string]any{"previous_secret": ep.PreviousSecret, "previous_secret_until": until, "secret": secret}).Error
	})
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// SetWebhookDisabled pauses or resumes an endpoint. A paused endpoint is
// queued nothing new; what was queued waits until it resumes.
func SetWebhookDisabled(db *gorm.DB, actor Actor, id int64, disabled bool, now time.Time) (*WebhookEndpoint, error) {
	summary := "Enabled"
	if disabled {
		summary = "Disabled"
	}
	return changeEndpoint(db, actor, id, summary, func(tx *gorm.DB, ep *WebhookEndpoint) error {
		if ep.Disabled() == disabled {
			return nil
		}
		ep.DisabledAt = nil
		if disabled {
			at := now.UTC()
			ep.DisabledAt = &at
		}
		return tx.Model(ep).Update("disabled_at", ep.DisabledAt).Error
	})
}

// DeleteWebhookEndpoint removes an endpoint with its delivery log; what
// was still queued for it is not sent.
func DeleteWebhookEndpoint(db *gorm.DB, actor Actor, id int64) (*WebhookEndpoint, error) {
	var ep *WebhookEndpoint
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if ep, err = GetWebhookEndpoint(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		if err := tx.Where("endpoint_id = ?", ep.ID).Delete(&WebhookDelivery{}).Error; err != nil {
			return fmt.Errorf("webhook: delete deliveries of %d: %w", id, err)
		}
		if err := tx.Delete(ep).Error; err != nil {
			return fmt.Errorf("webhook: delete endpoint %d: %w", id, err)
		}
		return recordAudit(tx, actor, AuditDelete, "webhook_endpoint", ep.ID, "Deleted webhook endpoint "+ep.URL, ep, nil)
	})
	if err != nil {
		return nil, err
	}
	return ep, nil
}

// DeliveryStatus is where a delivery is in its life.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// WebhookDelivery is one event on its way to one endpoint: the outbox row
// and its log line. MessageID is the webhook-id header, the same for every
// endpoint and every resend of the event, so receivers can drop repeats.
type WebhookDelivery struct {
	ID            int64
	MerchantID    int64
	EndpointID    int64
	MessageID     string
	Event         WebhookEvent
	Payload       string
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	LastAttemptAt *time.Time
	ResponseCode  int
	LastError     string
	CreatedAt     time.Time
}

// webhookPayload is the body of every delivery.
type webhookPayload struct {
	Type      WebhookEvent `json:"type"`
	Timestamp string       `json:"timestamp"`
	Data      any          `json:"data"`
}

func newMessageID() (string, error) {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("webhook: random: %w", err)
	}
	return "msg_" + hex.EncodeToString(raw), nil
}

// enqueueEvent writes ev to the outbox for every live endpoint of the
// scoped merchant that subscribes to it, in tx: the delivery commits or
// rolls back with the change it reports. With no subscriber it costs one
// indexed read.
func enqueueEvent(tx *gorm.DB, ev WebhookEvent, data any, now time.Time) error {
	return enqueueEvents(tx, ev, []any{data}, now)
}

// subscribersOf is the ids of the enabled endpoints sent ev, in order.
func subscribersOf(tx *gorm.DB, ev WebhookEvent) ([]int64, error) {
	var ids []int64
	if cfg := cachedConfig(tx); cfg != nil {
		eps, err := cfg.webhookSubscribers(tx)
		for _, ep := range eps {
			if !ep.Disabled() && ep.Subscribes(ev) {
				ids = append(ids, ep.ID)
			}
		}
		return ids, err
	}
	if err := tx.Model(&WebhookEndpoint{}).Where("disabled_at IS NULL AND events & ? <> 0", ev.bit()).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("webhook: subscribers of %s: %w", ev, err)
	}
	return ids, nil
}

// enqueueEvents is enqueueEvent for many changes of one kind at once (an
// import batch's members), reading the subscribers once.
func enqueueEvents(tx *gorm.DB, ev WebhookEvent, data []any, now time.Time) error {
	ids, err := subscribersOf(tx, ev)
	if err != nil {
		return err
	}
	if len(ids) == 0 || len(data) == 0 {
		return nil
	}
	now = now.UTC()
	rows := make([]WebhookDelivery, 0, len(ids)*len(data))
	for _, d := range data {
		body, err := json.Marshal(webhookPayload{Type: ev, Timestamp: now.Format(time.RFC3339), Data: d})
		if err != nil {
			return fmt.Errorf("webhook: payload of %s: %w", ev, err)
		}
		msgID, err := newMessageID()
		if err != nil {
			return err
		}
		for _, id := range ids {
			rows = append(rows, WebhookDelivery{EndpointID: id, MessageID: msgID, Event: ev, Payload: string(body),
				Status: DeliveryPending, NextAttemptAt: now, CreatedAt: now})
		}
	}
	if err := tx.CreateInBatches(&rows, memberBatch).Error; err != nil {
		return fmt.Errorf("webhook: queue %s: %w", ev, err)
	}
	return nil
}

// WebhookDeliveryLifetime is how long a delivered or failed delivery stays
// in the log; the daily job sweeps older ones. Pending ones stay until
// they are done with.
const WebhookDeliveryLifetime = 30 * 24 * time.Hour

// SweepWebhookDeliveries deletes, across merchants, the deliveries done
// with (delivered or failed) and queued before their lifetime.
func SweepWebhookDeliveries(db *gorm.DB, now time.Time) (int64, error) {
	res := CrossTenant(db).Where("created_at < ? AND status <> ?", now.Add(-WebhookDeliveryLifetime).UTC(), DeliveryPending).
		Delete(&WebhookDelivery{})
	if res.Error != nil {
		return 0, fmt.Errorf("webhook: sweep: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// maxDeliveryLog bounds an endpoint's delivery log on its page.
const maxDeliveryLog = 50

// ListWebhookDeliveries is an endpoint's most recent deliveries, newest first.
func ListWebhookDeliveries(db *gorm.DB, endpointID int64) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	if err := db.Where("endpoint_id = ?", endpointID).Order("id DESC").Limit(maxDeliveryLog).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("webhook: deliveries of %d: %w", endpointID, err)
	}
	return ds, nil
}

// ResendWebhookDelivery queues a copy of a delivery to its endpoint, with
// the same message id and body and a fresh day of retries.
func ResendWebhookDelivery(db *gorm.DB, actor Actor, endpointID, deliveryID int64, now time.Time) (*WebhookDelivery, error) {
	var copied WebhookDelivery
	err := db.Transaction(func(tx *gorm.DB) error {
		var d WebhookDelivery
		if err := tx.Where("endpoint_id = ?", endpointID).Take(&d, deliveryID).Error; err != nil {
			return notFound(err, "No such delivery.", "webhook: delivery %d", deliveryID)
		}
		now = now.UTC()
		copied = WebhookDelivery{EndpointID: d.EndpointID, MessageID: d.MessageID, Event: d.Event, Payload: d.Payload,
			Status: DeliveryPending, NextAttemptAt: now, CreatedAt: now}
		if err := tx.Create(&copied).Error; err != nil {
			return fmt.Errorf("webhook: resend %d: %w", deliveryID, err)
		}
		return recordAudit(tx, actor, AuditCreate, "webhook_delivery", copied.ID, fmt.Sprintf("Resent %s (delivery %d)", d.Event, d.ID), nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return &copied, nil
}
