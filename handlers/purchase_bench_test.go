package handlers_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// throughputClients are the numbers of concurrent clients each path is
// timed with.
var throughputClients = []int{1, 8, 32}

const (
	// throughputMembers is how many members the clients share out: ten
	// each at the most clients, so account locks never collide.
	throughputMembers = 320
	// throughputKeys is how many API keys the api path takes turns with:
	// the API allows a key 20 requests a second (bursts of 40), and the
	// benchmark measures the path, not that limit. A 429 fails the run.
	throughputKeys = 64
	// throughputAmount is every purchase's amount, below the program's
	// large-purchase threshold, in major and minor units.
	throughputAmount      = "12.50"
	throughputAmountMinor = 1250
	// rawStatements is how many statements the raw path sends per
	// purchase, BEGIN and COMMIT aside.
	rawStatements = 4
)

// BenchmarkPurchaseThroughput times recording purchases with 1, 8 and 32
// concurrent clients for BENCH_TP_SECONDS (default 5) each, down four
// paths side by side: raw (the minimal transaction through database/sql),
// model (models.RecordPurchase), api (POST /api/v1/purchases over HTTP)
// and till (the till's purchase form over HTTP, signed in). It runs on a
// PostgreSQL database of its own, made on BENCH_DATABASE_URL's server and
// dropped after: the seeded one is left alone. Each client buys for its
// own members. It reports purchases/s, p50 and p95 latency, the ratio to
// raw at the same number of clients, and SQL statements per purchase; it
// fails if any balance then differs from its ledger.
func BenchmarkPurchaseThroughput(b *testing.B) {
	dsn := os.Getenv("BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("BENCH_DATABASE_URL not set: run make bench")
	}
	if !models.IsPostgresURL(dsn) {
		b.Skip("BENCH_DATABASE_URL is not PostgreSQL")
	}
	wall := 5 * time.Second
	if s := os.Getenv("BENCH_TP_SECONDS"); s != "" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_TP_SECONDS=%q: want a number of seconds above 0", s)
		}
		wall = time.Duration(n * float64(time.Second))
	}
	rounds := 3
	if s := os.Getenv("BENCH_TP_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 20 {
			b.Fatalf("BENCH_TP_ROUNDS=%q: want a whole number from 1 to 20", s)
		}
		rounds = n
	}
	f := newThroughputShop(b, dbtest.Throwaway(b, dsn, "regulars_tp_"))
	paths := []tpPath{
		{"raw", f.rawPurchases(b)},
		{"model", f.modelPurchases(b)},
		{"api", f.apiPurchases(b)},
		{"till", f.tillPurchases(b)},
	}
	if s := os.Getenv("BENCH_TP_PATHS"); s != "" { // e.g. raw,api
		want := strings.Split(s, ",")
		paths = slices.DeleteFunc(paths, func(p tpPath) bool { return !slices.Contains(want, p.name) })
		if len(paths) == 0 {
			b.Fatalf("BENCH_TP_PATHS=%q names none of raw, model, api, till", s)
		}
	}
	for _, clients := range throughputClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			// Rounds alternate the paths (raw, model, api, till, raw, …)
			// so that the machine's drift falls on all of them alike.
			runs := map[string][]tpResult{}
			for range rounds {
				for _, p := range paths {
					runs[p.name] = append(runs[p.name], f.run(b, p.name, clients, wall, p.call))
				}
			}
			var raw float64
			if rs := runs["raw"]; rs != nil {
				raw = median(rs, func(r tpResult) float64 { return r.rate })
			}
			for _, p := range paths {
				b.Run(p.name, func(b *testing.B) {
					rs := runs[p.name]
					for b.Loop() { // the rounds ran above: this only reports them
						rate := func(r tpResult) float64 { return r.rate }
						b.ReportMetric(0, "ns/op")
						b.ReportMetric(median(rs, rate), "purchases/s")
						b.ReportMetric(slices.MinFunc(rs, func(x, y tpResult) int { return cmp.Compare(x.rate, y.rate) }).rate, "min-purchases/s")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.p50 }), "p50-ms")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.p95 }), "p95-ms")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.p99 }), "p99-ms")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.statements }), "stmts/purchase")
						if p.name != "raw" && raw > 0 {
							b.ReportMetric(median(rs, rate)/raw, "ratio-to-raw")
						}
					}
				})
			}
		})
	}
	f.checkLedger(b)
}

// median is the middle of what of the results (the upper middle of an
// even number).
func median(rs []tpResult, what func(tpResult) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = what(r)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// tpPath is a way of recording purchases, by name.
type tpPath struct {
	name string
	call tpCall
}

// tpCall records one purchase by client (0 to clients-1) for the member
// at index member of the shop's members, under a key no other call uses.
type tpCall func(client, member int, key string) error

// throughputShop is one merchant with a points program, members with
// accounts, API keys and signed-in staff, behind the real app.
type throughputShop struct {
	app        *testApp
	db         *gorm.DB // scoped to the merchant
	merchantID int64
	program    *models.Program
	members    []int64
	earned     int64 // what a purchase of throughputAmount credits
	keys       []string
	nextKey    atomic.Int64
	tills      []*client // one staff session per client
	transport  *http.Transport
	statements atomic.Int64 // every statement sent through GORM
	recorded   atomic.Int64 // purchases recorded, warm-ups included
	runs       atomic.Int64
}

func newThroughputShop(b *testing.B, db *gorm.DB) *throughputShop {
	b.Helper()
	f := &throughputShop{transport: &http.Transport{MaxIdleConnsPerHost: 2 * throughputClients[len(throughputClients)-1]}}
	b.Cleanup(f.transport.CloseIdleConnections)
	dbtest.CountStatements(db, &f.statements)
	f.app = newTestApp(b, db)
	acct := f.app.signUp("Throughput Coffee", "owner@throughput.example")
	f.merchantID = acct.merchantID
	f.db = models.ForMerchant(db, acct.merchantID)
	actor := models.Actor{Name: "Benchmark"}
	var err error
	// The sign-up bonus opens every member's account as they enrol.
	f.program, err = models.CreateProgram(f.db, actor, models.ProgramInput{
		Name: "Coffee Points", Type: "points", EarnRate: "1", Status: "active", SignUpBonus: "10"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range throughputMembers {
		m, err := models.EnrolMember(f.db, actor, models.MemberInput{Name: fmt.Sprintf("Regular %d", i+1)}, now)
		if err != nil {
			b.Fatal(err)
		}
		f.members = append(f.members, m.ID)
	}
	accounts, err := models.MembersAccounts(f.db, f.program.ID, f.members)
	if err != nil || len(accounts) != len(f.members) {
		b.Fatalf("%d accounts for %d members: %v", len(accounts), len(f.members), err)
	}
	preview, err := models.PreviewPurchase(f.db, f.program.ID, f.members[0], throughputAmount, now)
	if err != nil || preview.Total <= 0 {
		b.Fatalf("preview %+v: %v", preview, err)
	}
	f.earned = preview.Total
	for i := range throughputKeys {
		_, secret, err := models.CreateAPIKey(f.db, actor, models.APIKeyInput{Name: fmt.Sprintf("Till %d", i+1), Scope: "read-write"}, now)
		if err != nil {
			b.Fatal(err)
		}
		f.keys = append(f.keys, secret)
	}
	f.app.addUser(acct, "Sam Staff", "sam@throughput.example", models.RoleStaff)
	for range throughputClients[len(throughputClients)-1] {
		f.tills = append(f.tills, f.app.login("sam@throughput.example"))
	}
	return f
}

// tpResult is one timed run of a path.
type tpResult struct {
	rate, p50, p95, p99, statements float64
}

// run has clients call concurrently for wall and measures them. Client c
// buys for the members at c, c+clients, c+2·clients…, in turn: no two
// clients share an account. Each makes one purchase first, untimed, so
// that every run starts on open connections. Every run starts on a
// vacuumed database, as pgbench's do: with autovacuum off (as on this
// machine) each run would otherwise pay for the dead rows of all before
// it, and later paths would look slower for running later.
func (f *throughputShop) run(b *testing.B, path string, clients int, wall time.Duration, call tpCall) tpResult {
	b.Helper()
	if err := f.app.db.Exec("VACUUM (ANALYZE)").Error; err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	runID := f.runs.Add(1)
	per := len(f.members) / clients
	latencies := make([][]time.Duration, clients)
	errs := make([]error, clients)
	var failed atomic.Bool
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	var deadline time.Time // written before start is closed
	ready.Add(clients)
	done.Add(clients)
	for c := range clients {
		go func() {
			defer done.Done()
			member := func(n int) int { return c + (n%per)*clients }
			key := func(n int) string { return fmt.Sprintf("tp-%d-%s-%d-%d", runID, path, c, n) }
			errs[c] = call(c, member(0), key(0))
			ready.Done()
			<-start
			for n := 1; errs[c] == nil && !failed.Load(); n++ {
				began := time.Now()
				if !began.Before(deadline) {
					break
				}
				if errs[c] = call(c, member(n), key(n)); errs[c] != nil {
					failed.Store(true)
					break
				}
				latencies[c] = append(latencies[c], time.Since(began))
			}
		}()
	}
	ready.Wait()
	statements := f.statements.Load()
	began := time.Now()
	deadline = began.Add(wall)
	close(start)
	done.Wait()
	elapsed := time.Since(began)
	statements = f.statements.Load() - statements
	if err := errors.Join(errs...); err != nil {
		b.Fatalf("%s with %d clients: %v", path, clients, err)
	}
	all := slices.Concat(latencies...)
	f.recorded.Add(int64(len(all) + clients))
	if len(all) == 0 {
		b.Fatalf("%s with %d clients: no purchase finished in %s", path, clients, wall)
	}
	slices.Sort(all)
	if path == "raw" { // sent past GORM, so not counted
		statements = rawStatements * int64(len(all))
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return tpResult{
		rate:       float64(len(all)) / elapsed.Seconds(),
		p50:        ms(all[len(all)/2]),
		p95:        ms(all[len(all)*95/100]),
		p99:        ms(all[len(all)*99/100]),
		statements: float64(statements) / float64(len(all)),
	}
}

// rawPurchases is the minimal transaction of a purchase, sent through the
// app's own pool as prepared statements: lock the account, record the
// purchase, append its ledger entry, move the balance.
func (f *throughputShop) rawPurchases(b *testing.B) tpCall {
	b.Helper()
	pool, err := f.app.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	prepare := func(query string) *sql.Stmt {
		s, err := pool.PrepareContext(ctx, query)
		if err != nil {
			b.Fatalf("prepare %.40s…: %v", query, err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
	lock := prepare(`SELECT id, balance, lifetime_earned FROM accounts
		WHERE merchant_id = $1 AND program_id = $2 AND member_id = $3 FOR UPDATE`)
	purchase := prepare(`INSERT INTO purchases (merchant_id, program_id, kind, member_id, account_id, amount_minor,
		earned, order_ref, channel, occurred_at, idempotency_key, actor_name, created_at, updated_at)
		VALUES ($1, $2, 'sale', $3, $4, $5, $6, '', 'in_store', $7, $8, 'Benchmark', $7, $7) RETURNING id`)
	entry := prepare(`INSERT INTO ledger_entries (merchant_id, program_id, account_id, member_id, kind, amount,
		balance_after, actor_name, reason, purchase_id, idempotency_key, created_at)
		VALUES ($1, $2, $3, $4, 'purchase_earn', $5, $6, 'Benchmark', 'Purchase', $7, $8, $9)`)
	move := prepare(`UPDATE accounts SET balance = $1, lifetime_earned = $2, last_activity_at = $3, updated_at = $3
		WHERE merchant_id = $4 AND id = $5`)
	return func(_, i int, key string) error {
		tx, err := pool.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		memberID, now := f.members[i], time.Now().UTC()
		var accountID, balance, lifetime, purchaseID int64
		if err := tx.StmtContext(ctx, lock).QueryRowContext(ctx, f.merchantID, f.program.ID, memberID).
			Scan(&accountID, &balance, &lifetime); err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if err := tx.StmtContext(ctx, purchase).QueryRowContext(ctx, f.merchantID, f.program.ID, memberID, accountID,
			throughputAmountMinor, f.earned, now, key).Scan(&purchaseID); err != nil {
			return fmt.Errorf("insert purchase: %w", err)
		}
		balance, lifetime = balance+f.earned, lifetime+f.earned
		if _, err := tx.StmtContext(ctx, entry).ExecContext(ctx, f.merchantID, f.program.ID, accountID, memberID,
			f.earned, balance, purchaseID, fmt.Sprintf("purchase:%d:purchase_earn", purchaseID), now); err != nil {
			return fmt.Errorf("insert entry: %w", err)
		}
		if _, err := tx.StmtContext(ctx, move).ExecContext(ctx, balance, lifetime, now, f.merchantID, accountID); err != nil {
			return fmt.Errorf("move balance: %w", err)
		}
		return tx.Commit()
	}
}

// modelPurchases calls the model as the till and the API do.
func (f *throughputShop) modelPurchases(*testing.B) tpCall {
	actor := models.Actor{Name: "Benchmark"}
	return func(_, i int, key string) error {
		_, err := models.RecordPurchase(f.db, actor, models.PurchaseInput{
			ProgramID: f.program.ID, MemberID: f.members[i], Amount: throughputAmount, IdempotencyKey: key}, time.Now())
		return err
	}
}

// apiPurchases posts to the JSON API as a web shop does, each request
// with its own order reference and Idempotency-Key, the keys in turn.
func (f *throughputShop) apiPurchases(*testing.B) tpCall {
	hc := &http.Client{Transport: f.transport}
	return func(_, i int, key string) error {
		body := fmt.Sprintf(`{"member_id":%d,"program_id":%d,"amount":%d,"order_reference":%q}`,
			f.members[i], f.program.ID, throughputAmountMinor, key)
		req, err := http.NewRequest(http.MethodPost, f.app.srv.URL+"/api/v1/purchases", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+f.keys[int(f.nextKey.Add(1))%len(f.keys)])
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		return sendExpect(hc, req, http.StatusCreated, "")
	}
}

// tillPurchases submits the till's purchase form, each client signed in
// as staff in a session of its own with that session's CSRF token. The
// answer is the redirect to the receipt, which is not followed.
func (f *throughputShop) tillPurchases(*testing.B) tpCall {
	clients := make([]*http.Client, len(f.tills))
	for i, c := range f.tills {
		clients[i] = &http.Client{Transport: f.transport, Jar: c.http.Jar, CheckRedirect: c.http.CheckRedirect}
	}
	return func(c, i int, key string) error {
		form := url.Values{
			"_csrf": {f.tills[c].csrf}, "program_id": {strconv.FormatInt(f.program.ID, 10)},
			"member_id": {strconv.FormatInt(f.members[i], 10)}, "amount": {throughputAmount}, "idempotency_key": {key},
		}
		req, err := http.NewRequest(http.MethodPost, f.app.srv.URL+"/till/purchase", strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return sendExpect(clients[c], req, http.StatusSeeOther, "/till")
	}
}

// sendExpect sends req and refuses any answer but status, redirecting to
// a location starting with prefix when one is given. It reads the whole
// body so that the connection is reused.
func sendExpect(hc *http.Client, req *http.Request, status int, prefix string) error {
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != status || !strings.HasPrefix(res.Header.Get("Location"), prefix) {
		return fmt.Errorf("%s %s: status %d to %q, want %d; body: %.300s",
			req.Method, req.URL.Path, res.StatusCode, res.Header.Get("Location"), status, body)
	}
	return nil
}

// checkLedger fails unless every purchase the runs counted is stored and
// every account's balance is still the sum of its entries.
func (f *throughputShop) checkLedger(b *testing.B) {
	b.Helper()
	var stored int64
	if err := f.db.Model(&models.Purchase{}).Count(&stored).Error; err != nil {
		b.Fatal(err)
	}
	if stored != f.recorded.Load() {
		b.Errorf("%d purchases stored, %d recorded", stored, f.recorded.Load())
	}
	bad, err := models.VerifyBalances(models.CrossTenant(f.app.db))
	if err != nil {
		b.Fatal(err)
	}
	if len(bad) > 0 {
		b.Fatalf("%d accounts differ from their ledger, first %+v", len(bad), bad[0])
	}
}
