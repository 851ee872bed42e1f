package handlers_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
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
	// sqlStatements is how many the sql path replays: the api path's.
	sqlStatements = 8
)

// BenchmarkPurchaseThroughput times recording purchases with 1, 8 and 32
// concurrent clients for BENCH_TP_SECONDS (default 5) each, down five
// paths side by side: raw (the minimal transaction through database/sql),
// sql (the api path's own transaction, statement for statement, through
// database/sql), model (models.RecordPurchase), api (POST
// /api/v1/purchases over HTTP) and till (the till's purchase form over
// HTTP, signed in). It runs on a PostgreSQL database of its own, made on
// BENCH_DATABASE_URL's server and dropped after: the seeded one is left
// alone. Each client buys for its own members. It reports purchases/s,
// p50 and p95 latency, the ratio to raw at the same number of clients
// (and the api path's to sql), and SQL statements per purchase; it fails
// if any balance then differs from its ledger, or if the api path no
// longer sends the statements the sql path replays.
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
		{"sql", f.sqlPurchases(b)},
		{"model", f.modelPurchases(b)},
		{"api", f.apiPurchases(b)},
		{"till", f.tillPurchases(b)},
	}
	if s := os.Getenv("BENCH_TP_PATHS"); s != "" { // e.g. raw,api
		want := strings.Split(s, ",")
		paths = slices.DeleteFunc(paths, func(p tpPath) bool { return !slices.Contains(want, p.name) })
		if len(paths) == 0 {
			b.Fatalf("BENCH_TP_PATHS=%q names none of raw, sql, model, api, till", s)
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
			rate := func(r tpResult) float64 { return r.rate }
			var raw, sql float64
			if rs := runs["raw"]; rs != nil {
				raw = median(rs, rate)
			}
			if rs := runs["sql"]; rs != nil {
				sql = median(rs, rate)
			}
			if rs := runs["api"]; rs != nil && sql > 0 {
				if sent := math.Round(median(rs, func(r tpResult) float64 { return r.statements })); sent != sqlStatements {
					b.Errorf("the api path sends %v statements a purchase, the sql path replays %d: make sqlPurchases the API's transaction again", sent, sqlStatements)
				}
			}
			for _, p := range paths {
				b.Run(p.name, func(b *testing.B) {
					rs := runs[p.name]
					for b.Loop() { // the rounds ran above: this only reports them
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
						if p.name == "api" && sql > 0 {
							b.ReportMetric(median(rs, rate)/sql, "ratio-to-sql")
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
	switch path { // sent past GORM, so not counted
	case "raw":
		statements = rawStatements * int64(len(all))
	case "sql":
		statements = sqlStatements * int64(len(all))
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
	prepare := func(query string) *sql.Stmt { return prepared(b, pool, query) }
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

// sqlPurchases is the api path's own transaction, statement for
// statement, as prepared statements through the app's pool, past echo,
// GORM and HTTP: what the database alone costs POST /api/v1/purchases,
// and so the yardstick of what the app adds. The statements are those
// PostgreSQL logs for one API purchase (log_statement = all): the key
// with its merchant, then in one transaction the Idempotency-Key's lock
// and look-up, the member, the model's savepoint, the account's lock,
// the purchase, its posting (ledger entry, rollup mark, balance, the
// member's last activity) and the stored answer. The benchmark fails when
// the api path sends another number of statements. (The key's last use,
// written at most once a minute, is left out.)
func (f *throughputShop) sqlPurchases(b *testing.B) tpCall {
	b.Helper()
	pool, err := f.app.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	var hashes []string
	if err := f.db.Model(&models.APIKey{}).Order("id").Pluck("secret_hash", &hashes).Error; err != nil || len(hashes) == 0 {
		b.Fatalf("%d key hashes: %v", len(hashes), err)
	}
	ctx := context.Background()
	prepare := func(query string) *sql.Stmt { return prepared(b, pool, query) }
	auth := prepare(`SELECT api_keys.*, merchants.id AS m_id, merchants.name AS m_name, merchants.currency AS m_currency,
		merchants.time_zone AS m_time_zone, merchants.staff_adjust_limit AS m_staff_adjust_limit,
		merchants.manager_adjust_limit AS m_manager_adjust_limit, merchants.default_program_id AS m_default_program_id,
		merchants.config_version AS m_config_version, merchants.created_at AS m_created_at, merchants.updated_at AS m_updated_at
		FROM "api_keys" JOIN merchants ON merchants.id = api_keys.merchant_id WHERE api_keys.secret_hash = $1 LIMIT $2`)
	lookUp := prepare(`SELECT pg_try_advisory_xact_lock($1) AS free, k.* FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM "idempotency_keys"
		WHERE "idempotency_keys"."merchant_id" = $2 AND ("idempotency_keys"."api_key_id" = $3 AND "idempotency_keys"."key" = $4) LIMIT $5) AS k ON true`)
	member := prepare(`SELECT * FROM "members" WHERE "members"."merchant_id" = $1 AND ("members"."id" = $2) LIMIT $3`)
	lock := prepare(`SELECT * FROM "accounts" WHERE "accounts"."merchant_id" = $1 AND (program_id = $2 AND member_id = $3) LIMIT $4 FOR UPDATE`)
	purchase := prepare(`INSERT INTO "purchases" ("merchant_id","program_id","kind","member_id","account_id","amount_minor","refunded_minor",
		"earned","clawed_back","order_ref","channel","occurred_at","idempotency_key","actor_name","created_at","updated_at")
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT DO NOTHING RETURNING "id"`)
	posting := prepare(`WITH w0 AS (INSERT INTO "ledger_entries" ("merchant_id","program_id","account_id","member_id","kind","amount",
		"balance_after","expires_at","actor_user_id","actor_name","reason","note","purchase_id","voucher_id","corrects_id","idempotency_key","created_at")
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING "id"),
		w1 AS (INSERT INTO "rollup_marks" ("merchant_id","member_id","at") VALUES ($18,$19,$20) RETURNING "id"),
		w2 AS (UPDATE "accounts" SET "balance"=$21,"last_activity_at"=$22,"lifetime_earned"=$23,"updated_at"=$24
			WHERE "accounts"."merchant_id" = $25 AND ("id" = $26)),
		w3 AS (UPDATE "members" SET "last_activity_at"=$27,"updated_at"=$28 WHERE "members"."merchant_id" = $29 AND (id = $30))
		SELECT * FROM w0`)
	answer := prepare(`INSERT INTO "idempotency_keys" ("merchant_id","api_key_id","key","request_hash","status","response_body","created_at")
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING RETURNING "id"`)
	var savepoints atomic.Int64
	return func(_, i int, key string) error {
		keyRow, err := readRow(ctx, auth, []string{"id", "name"}, hashes[int(f.nextKey.Add(1))%len(hashes)], 1)
		if err != nil {
			return fmt.Errorf("authenticate: %w", err)
		}
		apiKeyID, actor := keyRow[0].(int64), "API key "+keyRow[1].(string)+" (rk_live_ABCDEF…)"
		tx, err := pool.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		memberID, now := f.members[i], time.Now().UTC()
		if _, err := readRow(ctx, tx.StmtContext(ctx, lookUp), nil, advisoryLock(key), f.merchantID, apiKeyID, key, 1); err != nil {
			return fmt.Errorf("look up key: %w", err)
		}
		if _, err := readRow(ctx, tx.StmtContext(ctx, member), nil, f.merchantID, memberID, 1); err != nil {
			return fmt.Errorf("read member: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SAVEPOINT sp%d", savepoints.Add(1))); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		account, err := readRow(ctx, tx.StmtContext(ctx, lock), []string{"id", "balance", "lifetime_earned"}, f.merchantID, f.program.ID, memberID, 1)
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		accountID, balance, lifetime := account[0].(int64), account[1].(int64)+f.earned, account[2].(int64)+f.earned
		var purchaseID int64
		if err := tx.StmtContext(ctx, purchase).QueryRowContext(ctx, f.merchantID, f.program.ID, "sale", memberID, accountID,
			throughputAmountMinor, 0, f.earned, 0, key, "in_store", now, "order:"+key, actor, now, now).Scan(&purchaseID); err != nil {
			return fmt.Errorf("insert purchase: %w", err)
		}
		var entryID int64
		if err := tx.StmtContext(ctx, posting).QueryRowContext(ctx,
			f.merchantID, f.program.ID, accountID, memberID, "purchase_earn", f.earned, balance, nil, nil, actor, "Purchase", "",
			purchaseID, nil, nil, fmt.Sprintf("purchase:%d:purchase_earn", purchaseID), now,
			f.merchantID, memberID, now,
			balance, now, lifetime, now, f.merchantID, accountID,
			now, now, f.merchantID, memberID).Scan(&entryID); err != nil {
			return fmt.Errorf("post: %w", err)
		}
		body := fmt.Sprintf(`{"id":%d,"program_id":%d,"member_id":%d,"amount":%d,"refunded_amount":0,"currency":"EUR",`+
			`"order_reference":%q,"channel":"in_store","occurred_at":%q,"points_earned":%d,"breakdown":{"base":%[7]d,`+
			`"tier_multiplier_milli":1000,"campaign_multiplier_milli":1000,"campaign_bonus":0,"total":%[7]d},"balance":%[8]d,`+
			`"tier":null,"vouchers":[],"replayed":false}`,
			purchaseID, f.program.ID, memberID, throughputAmountMinor, key, now.Format(time.RFC3339Nano), f.earned, balance)
		var answerID int64
		if err := tx.StmtContext(ctx, answer).QueryRowContext(ctx, f.merchantID, apiKeyID, key, fmt.Sprintf("%064x", purchaseID),
			http.StatusCreated, body, now).Scan(&answerID); err != nil {
			return fmt.Errorf("store answer: %w", err)
		}
		return tx.Commit()
	}
}

// readRow runs a prepared query and reads its one row whole, as GORM
// reads SELECT *, returning the named columns' values.
func readRow(ctx context.Context, s *sql.Stmt, names []string, args ...any) ([]any, error) {
	rows, err := s.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, errors.Join(sql.ErrNoRows, rows.Err())
	}
	values := make([]any, len(columns))
	into := make([]any, len(columns))
	for i := range values {
		into[i] = &values[i]
	}
	if err := rows.Scan(into...); err != nil {
		return nil, err
	}
	named := make([]any, len(names))
	for i, name := range names {
		c := slices.Index(columns, name)
		if c < 0 {
			return nil, fmt.Errorf("no column %s", name)
		}
		named[i] = values[c]
	}
	return named, rows.Err()
}

// advisoryLock is a lock number for key, as the app makes one.
func advisoryLock(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// prepared prepares query on pool until the benchmark ends.
func prepared(b *testing.B, pool *sql.DB, query string) *sql.Stmt {
	b.Helper()
	s, err := pool.PrepareContext(context.Background(), query)
	if err != nil {
		b.Fatalf("prepare %.40s…: %v", query, err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
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
