package models_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

var devTargets = models.WebhookTargets{AllowPrivate: true}

// receiver is a webhook endpoint that checks every request's signature
// the way the Standard Webhooks spec tells receivers to, written here from
// the spec rather than by calling the signer.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret []string // the secrets a signature may be made with
	codes  []int    // answers to give, in order; 200 once used up
	got    []received
}

type received struct {
	id, timestamp string
	valid         int // how many of the header's signatures verify
	sigs          int
	body          map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	got := received{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp")}
	signed := got.id + "." + got.timestamp + "." + string(body)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sig := range strings.Fields(req.Header.Get("webhook-signature")) {
		got.sigs++
		version, b64, _ := strings.Cut(sig, ",")
		for _, secret := range r.secret {
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
			if err != nil {
				r.t.Errorf("secret %q is not whsec_ and base64", secret)
			}
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(signed))
			want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			if version == "v1" && hmac.Equal([]byte(b64), []byte(want)) {
				got.valid++
			}
		}
	}
	if err := json.Unmarshal(body, &got.body); err != nil {
		r.t.Errorf("body %q is not JSON: %v", body, err)
	}
	r.got = append(r.got, got)
	code := http.StatusOK
	if len(r.codes) > 0 {
		code, r.codes = r.codes[0], r.codes[1:]
	}
	w.WriteHeader(code)
	fmt.Fprint(w, strings.Repeat("x", 100_000)) // longer than the worker reads
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newWorker(db *gorm.DB, clock *testClock, targets models.WebhookTargets) *models.WebhookWorker {
	return models.NewWebhookWorker(db, slog.New(slog.NewTextHandler(io.Discard, nil)), models.WebhookWorkerOptions{
		Clock: clock.now, Backoff: func(int) time.Duration { return time.Minute }, Targets: targets,
	})
}

func register(t *testing.T, sdb *gorm.DB, url string, events ...models.WebhookEvent) (*models.WebhookEndpoint, string) {
	t.Helper()
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	ep, secret, err := models.CreateWebhookEndpoint(sdb, testActor, models.WebhookInput{URL: url, Events: names}, devTargets, day0)
	if err != nil {
		t.Fatalf("register %s: %v", url, err)
	}
	return ep, secret
}

func deliveries(t *testing.T, sdb *gorm.DB) []models.WebhookDelivery {
	t.Helper()
	var ds []models.WebhookDelivery
	if err := sdb.Order("id").Find(&ds).Error; err != nil {
		t.Fatal(err)
	}
	return ds
}

func deliverDue(t *testing.T, w *models.WebhookWorker) int {
	t.Helper()
	n, err := w.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return n
}

func TestWebhookSignedRetriedAndFailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "hooks@example.com", pointsInput("Beans"))
		rcv := newReceiver(t)
		ep, secret := register(t, l.db, rcv.srv.URL+"/hooks", models.EventPurchaseRecorded, models.EventMemberCreated)
		rcv.secret = []string{secret}
		rcv.codes = []int{http.StatusInternalServerError}
		if !strings.HasPrefix(secret, "whsec_") || ep.Secret != secret {
			t.Fatalf("secret %q: want whsec_…", secret)
		}
		wantAudit(t, lastAudit(t, l.db), models.AuditCreate, "webhook_endpoint", ep.ID)
		if a := lastAudit(t, l.db); strings.Contains(a.AfterJSON, secret) {
			t.Fatal("the audit log holds the secret")
		}

		m := enrolNamed(t, l.db, "Ada")
		res := buy(t, l.db, l.p.ID, m.ID, "12.50", "hook-1", day0)
		// points.adjusted is not subscribed: no row for it.
		if _, err := models.Adjust(l.db, testActor, models.RoleOwner, models.AdjustInput{MemberID: m.ID, ProgramID: l.p.ID, Amount: "5", Reason: "Goodwill"}, day0); err != nil {
			t.Fatal(err)
		}
		ds := deliveries(t, l.db)
		if len(ds) != 2 || ds[0].Event != models.EventMemberCreated || ds[1].Event != models.EventPurchaseRecorded {
			t.Fatalf("outbox = %+v, want member.created and purchase.recorded only", ds)
		}

		clock := &testClock{t: day0}
		w := newWorker(db, clock, devTargets)
		if n := deliverDue(t, w); n != 2 {
			t.Fatalf("first pass attempted %d, want 2", n)
		}
		first := reload[models.WebhookDelivery](t, db, ds[0].ID)
		if first.Status != models.DeliveryPending || first.Attempts != 1 || first.ResponseCode != 500 || !strings.Contains(first.LastError, "500") ||
			!first.NextAttemptAt.Equal(day0.Add(time.Minute)) {
			t.Fatalf("after a 500: %+v, want pending, 1 attempt, 500, retry in the backoff's minute", first)
		}
		if len(first.LastError) > 250 {
			t.Errorf("logged error is %d characters, want it short", len(first.LastError))
		}
		if second := reload[models.WebhookDelivery](t, db, ds[1].ID); second.Status != models.DeliveryDelivered || second.Attempts != 1 || second.ResponseCode != 200 {
			t.Fatalf("second: %+v, want delivered at once", second)
		}
		if n := deliverDue(t, w); n != 0 {
			t.Fatalf("before the backoff ends %d were attempted", n)
		}
		clock.add(time.Minute)
		if n := deliverDue(t, w); n != 1 {
			t.Fatalf("after the backoff %d were attempted, want the retry", n)
		}
		if first = reload[models.WebhookDelivery](t, db, ds[0].ID); first.Status != models.DeliveryDelivered || first.Attempts != 2 || first.ResponseCode != 200 || first.LastError != "" {
			t.Fatalf("after the retry: %+v, want delivered on attempt 2", first)
		}

		got := rcv.requests()
		if len(got) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(got))
		}
		for _, g := range got {
			ts, _ := strconv.ParseInt(g.timestamp, 10, 64)
			if g.valid != 1 || g.sigs != 1 || !strings.HasPrefix(g.id, "msg_") || ts < day0.Unix() {
				t.Errorf("request %+v: want one valid v1 signature, a msg_ id and the attempt's timestamp", g)
			}
		}
		if got[0].id != got[2].id {
			t.Error("a retry must keep the message id")
		}
		body := got[1].body
		if got[1].id == got[0].id {
			body = got[0].body // the member.created retry came last
		}
		for _, g := range got {
			if g.body["type"] == string(models.EventPurchaseRecorded) {
				body = g.body
			}
		}
		data, _ := body["data"].(map[string]any)
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(body["timestamp"])); err != nil || data["purchase_id"] != float64(res.Purchase.ID) ||
			data["amount"] != float64(1250) || data["member_id"] != float64(m.ID) || data["currency"] != "EUR" ||
			data["points_earned"] != float64(res.Purchase.Earned) || data["balance"] != float64(res.Account.Balance) {
			t.Errorf("purchase.recorded body = %v", body)
		}

		// A receiver down for good: retried for a day, then failed.
		rcv.mu.Lock()
		rcv.codes = []int{503, 503, 503}
		rcv.mu.Unlock()
		buy(t, l.db, l.p.ID, m.ID, "3.00", "hook-2", clock.now())
		deliverDue(t, w)
		clock.add(2 * time.Minute)
		deliverDue(t, w)
		clock.add(25 * time.Hour)
		deliverDue(t, w)
		last := deliveries(t, l.db)
		if d := last[len(last)-1]; d.Status != models.DeliveryFailed || d.Attempts != 3 || d.ResponseCode != 503 {
			t.Fatalf("after a day of 503s: %+v, want failed after 3 attempts", d)
		}
		clock.add(time.Hour)
		if n := deliverDue(t, w); n != 0 {
			t.Fatalf("a failed delivery was attempted again (%d)", n)
		}

		// Resend queues a copy with the same message and a new day.
		copied, err := models.ResendWebhookDelivery(l.db, testActor, ep.ID, last[len(last)-1].ID, clock.now())
		if err != nil {
			t.Fatal(err)
		}
		if copied.ID == last[len(last)-1].ID || copied.MessageID != last[len(last)-1].MessageID || copied.Status != models.DeliveryPending {
			t.Fatalf("resent %+v", copied)
		}
		if n := deliverDue(t, w); n != 1 || reload[models.WebhookDelivery](t, db, copied.ID).Status != models.DeliveryDelivered {
			t.Fatalf("resend not delivered (%d attempted)", n)
		}

		// The daily job sweeps what is done with after 30 days, and
		// leaves what is still pending.
		buy(t, l.db, l.p.ID, m.ID, "4.00", "hook-3", clock.now()) // queued, never attempted
		all := len(deliveries(t, l.db))
		rep, err := models.RunDaily(db, day0.Add(29*24*time.Hour)) // everything was queued on or after day0
		if err != nil || rep.WebhooksSwept != 0 {
			t.Fatalf("daily before 30 days swept %d (%v)", rep.WebhooksSwept, err)
		}
		rep, err = models.RunDaily(db, clock.now().Add(31*24*time.Hour))
		if left := deliveries(t, l.db); err != nil || rep.WebhooksSwept != int64(all-1) || len(left) != 1 || left[0].Status != models.DeliveryPending {
			t.Fatalf("daily after 30 days swept %d of %d (%v), left %+v; want all but the pending one", rep.WebhooksSwept, all, err, left)
		}
	})
}

func TestWebhookEveryEventIsQueued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := pointsInput("Beans")
		in.ExpiryPolicy, in.ExpiryMonths, in.ReminderDays = "after_earning", "1", "0"
		l := newLoyal(t, db, "every-event@example.com", in)
		ladder(t, l.db, l.p.ID, []string{"Base", "Gold"}, []int{0, 10})
		reward := createReward(t, l.db, l.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "5"})
		rcv := newReceiver(t)
		register(t, l.db, rcv.srv.URL, models.WebhookEvents...)
		paused, _ := register(t, l.db, rcv.srv.URL+"/paused", models.WebhookEvents...)
		if _, err := models.SetWebhookDisabled(l.db, testActor, paused.ID, true, day0); err != nil {
			t.Fatal(err)
		}

		m := enrolNamed(t, l.db, "Ada")
		res := buy(t, l.db, l.p.ID, m.ID, "30.00", "every-1", day0)
		if _, err := models.RefundPurchase(l.db, testActor, res.Purchase.ID, "5.00", "refund-1", day0); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Adjust(l.db, testActor, models.RoleOwner, models.AdjustInput{MemberID: m.ID, ProgramID: l.p.ID, Amount: "5", Reason: "Goodwill"}, day0); err != nil {
			t.Fatal(err)
		}
		used, err := models.Redeem(l.db, testActor, models.RedeemInput{MemberID: m.ID, ProgramID: l.p.ID, RewardID: reward.ID}, day0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.MarkVoucherUsed(l.db, testActor, used.ID, day0); err != nil {
			t.Fatal(err)
		}
		cancelled, err := models.Redeem(l.db, testActor, models.RedeemInput{MemberID: m.ID, ProgramID: l.p.ID, RewardID: reward.ID}, day0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.CancelVoucher(l.db, testActor, cancelled.ID, day0); err != nil {
			t.Fatal(err)
		}
		if _, err := models.RunDaily(db, day0.AddDate(0, 2, 0)); err != nil {
			t.Fatal(err)
		}
		seen := map[models.WebhookEvent]int{}
		for _, d := range deliveries(t, l.db) {
			if d.EndpointID == paused.ID {
				t.Errorf("%s queued for a disabled endpoint", d.Event)
			}
			seen[d.Event]++
			var body struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal([]byte(d.Payload), &body); err != nil || body.Type != string(d.Event) || body.Data["member_id"] != float64(m.ID) {
				t.Errorf("%s payload %s", d.Event, d.Payload)
			}
		}
		for _, ev := range models.WebhookEvents {
			if seen[ev] == 0 {
				t.Errorf("no %s in the outbox; got %v", ev, seen)
			}
		}
	})
}

// The changes made in bulk or by the ledger itself are heard too: each
// imported member is a member.created, and a full stamp card's reward a
// redemption.created, with the member and the balance after the card.
func TestWebhookImportsAndStampCardsAreHeard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "bulk-events@example.com", stampsInput("Stamps"))
		coffee := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Coffee", Type: "free_item", Cost: "1"})
		in := s.p.FormInput("EUR")
		in.StampsPerCard, in.CardRewardID = "3", itoa(coffee.ID)
		if _, err := models.UpdateProgram(s.db, testActor, s.p.ID, in); err != nil {
			t.Fatal(err)
		}
		register(t, s.db, newReceiver(t).srv.URL, models.EventMemberCreated, models.EventRedemptionCreated)

		job := runImport(t, s.db, startImport(t, s.db, models.RoleOwner, models.ImportInput{
			Content: []byte("name,email\nAnn,ann@bulk.test\nBo,bo@bulk.test\nAnn again,ann@bulk.test\n"), ProgramID: s.p.ID,
		}).ID)
		if job.CreatedCount != 2 {
			t.Fatalf("import created %d, want 2", job.CreatedCount)
		}
		ann := memberByEmail(t, s.db, "ann@bulk.test")
		var full *models.PurchaseResult
		for i := range 3 {
			full = buy(t, s.db, s.p.ID, ann.ID, "4", fmt.Sprint("card", i), day0)
		}
		if len(full.Vouchers) != 1 {
			t.Fatalf("the third stamp issued %d vouchers, want 1", len(full.Vouchers))
		}
		created, redeemed := map[float64]bool{}, 0
		for _, d := range deliveries(t, s.db) {
			var body struct {
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal([]byte(d.Payload), &body); err != nil {
				t.Fatal(err)
			}
			switch d.Event {
			case models.EventMemberCreated:
				created[body.Data["member_id"].(float64)] = true
			case models.EventRedemptionCreated:
				redeemed++
				if body.Data["member_id"] != float64(ann.ID) || body.Data["code"] != models.FormatCardCode(full.Vouchers[0].Code) && body.Data["code"] != full.Vouchers[0].Code {
					t.Errorf("card redemption payload %s", d.Payload)
				}
			}
		}
		if len(created) != 2 || !created[float64(ann.ID)] || redeemed != 1 {
			t.Errorf("member.created for %v (want Ann and Bo), %d redemption.created (want 1)", created, redeemed)
		}
	})
}

func TestWebhookRolledBackChangeQueuesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "rollback@example.com", pointsInput("Beans"))
		register(t, l.db, "http://127.0.0.1:1/hooks", models.WebhookEvents...)
		m := enrolNamed(t, l.db, "Ada")
		before := len(deliveries(t, l.db))
		errUndo := errors.New("undo")
		err := l.db.Transaction(func(tx *gorm.DB) error {
			if _, err := models.RecordPurchase(tx, testActor, purchase(l.p.ID, m.ID, "10.00", "undone"), day0); err != nil {
				return err
			}
			if n := len(deliveries(t, tx)); n != before+1 {
				t.Errorf("inside the transaction %d deliveries, want the purchase's queued", n)
			}
			return errUndo
		})
		if !errors.Is(err, errUndo) {
			t.Fatal(err)
		}
		if n := len(deliveries(t, l.db)); n != before {
			t.Fatalf("%d deliveries after the rollback, want %d", n, before)
		}
		var purchases int64
		l.db.Model(&models.Purchase{}).Count(&purchases)
		if purchases != 0 {
			t.Fatal("the purchase survived the rollback")
		}
	})
}

func TestWebhookTwoWorkersDeliverOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "two-workers@example.com", pointsInput("Beans"))
		rcv := newReceiver(t)
		_, secret := register(t, l.db, rcv.srv.URL, models.EventMemberCreated)
		rcv.secret = []string{secret}
		const events = 40
		for i := range events {
			enrolNamed(t, l.db, fmt.Sprint("Member ", i))
		}
		clock := &testClock{t: day0}
		start := make(chan struct{})
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i := range counts {
			w := newWorker(db, clock, devTargets)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				n, err := w.DeliverDue(context.Background())
				if err != nil {
					t.Errorf("worker %d: %v", i, err)
				}
				counts[i] = n
			}()
		}
		close(start)
		wg.Wait()
		if counts[0]+counts[1] != events {
			t.Errorf("workers attempted %v, want %d in all", counts, events)
		}
		byID := map[string]int{}
		for _, g := range rcv.requests() {
			byID[g.id]++
			if g.valid != 1 {
				t.Errorf("request %s: signature does not verify", g.id)
			}
		}
		if len(byID) != events {
			t.Errorf("%d distinct messages received, want %d", len(byID), events)
		}
		for id, n := range byID {
			if n != 1 {
				t.Errorf("message %s delivered %d times", id, n)
			}
		}
		for _, d := range deliveries(t, l.db) {
			if d.Status != models.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("delivery %d: %s after %d attempts, want delivered after 1", d.ID, d.Status, d.Attempts)
			}
		}
	})
}

// TestWebhookClaimLapses: a worker that claimed a delivery and died holds
// it only for the lease; then another worker delivers it.
func TestWebhookClaimLapses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "lease@example.com", pointsInput("Beans"))
		rcv := newReceiver(t)
		register(t, l.db, rcv.srv.URL, models.EventMemberCreated)
		enrolNamed(t, l.db, "Ada")
		clock := &testClock{t: day0}
		// A claim whose worker died before it reported back: attempted
		// once, leased for three minutes.
		d := deliveries(t, l.db)[0]
		models.CrossTenant(db).Model(&d).Updates(map[string]any{"attempts": 1, "next_attempt_at": day0.Add(3 * time.Minute)})
		w := newWorker(db, clock, devTargets)
		if n := deliverDue(t, w); n != 0 {
			t.Fatal("a claimed delivery was attempted while its lease holds")
		}
		clock.add(4 * time.Minute)
		if n := deliverDue(t, w); n != 1 || reload[models.WebhookDelivery](t, db, d.ID).Status != models.DeliveryDelivered {
			t.Fatal("a lapsed claim was not taken over")
		}
	})
}

func TestWebhookSecretRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "rotate@example.com", pointsInput("Beans"))
		rcv := newReceiver(t)
		ep, old := register(t, l.db, rcv.srv.URL, models.EventMemberCreated)
		rotated, fresh, err := models.RotateWebhookSecret(l.db, testActor, ep.ID, day0)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == old || !strings.HasPrefix(fresh, "whsec_") || rotated.Secret != fresh {
			t.Fatalf("rotated to %q from %q", fresh, old)
		}
		if a := lastAudit(t, l.db); !strings.Contains(a.Summary, "Rotated") || strings.Contains(a.AfterJSON+a.BeforeJSON, "whsec_") {
			t.Errorf("audit %q leaks or misses the rotation", a.Summary)
		}
		clock := &testClock{t: day0.Add(time.Hour)}
		w := newWorker(db, clock, devTargets)
		check := func(name string, wantSigs int, secrets ...string) {
			t.Helper()
			rcv.mu.Lock()
			rcv.secret, rcv.got = secrets, nil
			rcv.mu.Unlock()
			enrolNamed(t, l.db, name)
			deliverDue(t, w)
			got := rcv.requests()
			if len(got) != 1 || got[0].sigs != wantSigs || got[0].valid != 1 {
				t.Fatalf("%s: %+v, want %d signatures, one valid with %d secret(s) given", name, got, wantSigs, len(secrets))
			}
		}
		check("within the day, old", 2, old)
		check("within the day, new", 2, fresh)
		clock.add(24 * time.Hour)
		check("after the day, new", 1, fresh)
		check("after the day, old", 1, old, fresh)
		rcv.mu.Lock()
		rcv.secret = []string{old}
		rcv.got = nil
		rcv.mu.Unlock()
		enrolNamed(t, l.db, "old only")
		deliverDue(t, w)
		if got := rcv.requests(); len(got) != 1 || got[0].valid != 0 {
			t.Fatalf("a day after rotation the old secret still signs: %+v", got)
		}
	})
}

func TestWebhookTargetsRefusedInProduction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "ssrf@example.com")
		other := newShop(t, db, "ssrf-other@example.com")
		prod := models.WebhookTargets{}
		for _, url := range []string{
			"http://127.0.0.1/hooks", "http://10.1.2.3/hooks", "http://169.254.169.254/latest/meta-data",
			"http://[::1]:8080/hooks", "https://localhost/x", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
		} {
			_, _, err := models.CreateWebhookEndpoint(s.db, testActor, models.WebhookInput{URL: url, Events: []string{"member.created"}}, prod, day0)
			wantFieldMessage(t, err, "url", "private or local network")
		}
		long := "https://example.com/" + strings.Repeat("a", 2000)
		for url, part := range map[string]string{
			"": "Enter the URL", "ftp://example.com/x": "http or https", "not a url": "http or https",
			"https://": "http or https", long: "at most 2000", "https://user:pw@example.com/": "user name",
		} {
			_, _, err := models.CreateWebhookEndpoint(s.db, testActor, models.WebhookInput{URL: url, Events: []string{"member.created"}}, devTargets, day0)
			wantFieldMessage(t, err, "url", part)
		}
		_, _, err := models.CreateWebhookEndpoint(s.db, testActor, models.WebhookInput{URL: "https://example.com/h"}, devTargets, day0)
		wantFieldMessage(t, err, "events", "at least one")
		_, _, err = models.CreateWebhookEndpoint(s.db, testActor, models.WebhookInput{URL: "https://example.com/h", Events: []string{"member.deleted"}}, devTargets, day0)
		wantFieldMessage(t, err, "events", "from the list")
		if eps, _ := models.ListWebhookEndpoints(s.db); len(eps) != 0 {
			t.Fatalf("%d endpoints after refusals", len(eps))
		}

		// Allowed in development; refused at dial time in production, so
		// a name that later resolves inside gets nowhere.
		rcv := newReceiver(t)
		ep, _ := register(t, s.db, rcv.srv.URL, models.EventMemberCreated)
		enrolNamed(t, s.db, "Ada")
		clock := &testClock{t: day0}
		deliverDue(t, newWorker(db, clock, prod))
		d := deliveries(t, s.db)[0]
		if len(rcv.requests()) != 0 || d.Status != models.DeliveryPending || d.ResponseCode != 0 || !strings.Contains(d.LastError, "private or local network") {
			t.Fatalf("production dial to 127.0.0.1: %+v, %d requests; want refused", d, len(rcv.requests()))
		}

		// Another merchant sees none of it and changes nothing.
		if _, err := models.GetWebhookEndpoint(other.db, ep.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("other merchant reads the endpoint: %v", err)
		}
		for name, f := range map[string]func() error{
			"rotate":  func() error { _, _, err := models.RotateWebhookSecret(other.db, testActor, ep.ID, day0); return err },
			"disable": func() error { _, err := models.SetWebhookDisabled(other.db, testActor, ep.ID, true, day0); return err },
			"delete":  func() error { _, err := models.DeleteWebhookEndpoint(other.db, testActor, ep.ID); return err },
			"resend": func() error {
				_, err := models.ResendWebhookDelivery(other.db, testActor, ep.ID, d.ID, day0)
				return err
			},
		} {
			if err := f(); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("other merchant's %s: %v, want not found", name, err)
			}
		}
		wantSameRow(t, reload[models.WebhookEndpoint](t, db, ep.ID), *ep)
		if n := len(deliveries(t, s.db)); n != 1 {
			t.Fatalf("%d deliveries, want 1", n)
		}
		if _, err := models.DeleteWebhookEndpoint(s.db, testActor, ep.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(deliveries(t, s.db)); n != 0 {
			t.Fatalf("%d deliveries of a deleted endpoint", n)
		}
	})
}

func TestWebhookBackoff(t *testing.T) {
	for attempt := 1; attempt <= 40; attempt++ {
		want := min(10*time.Second<<min(attempt-1, 20), time.Hour)
		for range 20 {
			if d := models.WebhookBackoff(attempt); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
}

// The Standard Webhooks spec's own example: this secret, id, timestamp
// and body sign to exactly this header.
func TestSignWebhookSpecVector(t *testing.T) {
	sig, err := models.SignWebhook([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; err != nil || sig != want {
		t.Fatalf("signature %q, %v; want %q", sig, err, want)
	}
}
