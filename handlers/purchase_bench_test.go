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
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	// throughputMembers is how many members the shop has unless
	// BENCH_TP_MEMBERS says otherwise: the million, so that
	// every index is as deep as a busy merchant's. Each client buys for
	// its own share of them, in a shuffled order.
	throughputMembers = 1_000_000
	// throughputKeys is how many API keys the api path takes turns with:
	// the API allows a key 20 requests a second (bursts of 40), and the
	// benchmark measures the path, not that limit. A 429 fails the run.
	throughputKeys = 64
	// throughputAmount is every purchase's amount, below the program's
	// large-purchase threshold, in major and minor units.
	throughputAmount      = "12.50"
	throughputAmountMinor = 1250
	// rawStatements is how many statements the raw transaction
	// (testdata/raw_purchase.sql) sends per purchase, BEGIN and COMMIT
	// aside.
	rawStatements = 3
	// sqlStatements is how many the sql path replays: the api path's.
	sqlStatements = 6
	// modelStatements is how many the modelsql path replays
	// (testdata/model_purchase.sql): the model path's.
	modelStatements = 3
)

// replays maps a path of the app to the path that replays its SQL, and
// that path to how many statements it sends: the app path's × sql is what
// Go, GORM (and HTTP) add to its own database work, and the benchmark
// fails when the app path sends another number.
var (
	replays       = map[string]string{"api": "sql", "model": "modelsql"}
	replayedStmts = map[string]int{"sql": sqlStatements, "modelsql": modelStatements}
)

// BenchmarkPurchaseThroughput times recording purchases with 1, 8 and 32
// concurrent clients for BENCH_TP_SECONDS (default 5) each, down six
// paths side by side: raw (the minimal transaction,
// testdata/raw_purchase.sql, run by pgbench with prepared statements),
// sql (the api path's own transaction, statement for statement, through
// database/sql), modelsql (the model's, testdata/model_purchase.sql, run
// by pgbench), model (models.RecordPurchase), api (POST
// /api/v1/purchases over HTTP) and till (the till's purchase form over
// HTTP, signed in). It runs on a PostgreSQL database of its own with a
// million members, made on BENCH_DATABASE_URL's server and dropped after:
// the seeded one is left alone. Each client buys for its own members. It
// reports purchases/s (median and least of the rounds), p50, p95 and p99
// latency, the ratio to raw at the same number of clients (and the api
// and model paths' to their SQL replayed), SQL statements per purchase and
// the process's resident memory; with BENCH_TP_SOAK_SECONDS it then runs
// the api path on to show whether that memory grows. It fails if after
// any run a balance differs from its ledger or a purchase is missing, or
// if the api path no longer sends the statements the sql path replays, or
// the model path those modelsql does.
func BenchmarkPurchaseThroughput(b *testing.B) {
	dsn := os.Getenv("BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("BENCH_DATABASE_URL not set: run make bench")
	}
	if !models.IsPostgresURL(dsn) {
		b.Skip("BENCH_DATABASE_URL is not PostgreSQL")
	}
	wall := time.Duration(envWhole(b, "BENCH_TP_SECONDS", 5, 1, 60)) * time.Second
	rounds := envWhole(b, "BENCH_TP_ROUNDS", 3, 1, 20)
	members := envWhole(b, "BENCH_TP_MEMBERS", throughputMembers, 320, throughputMembers) // fewer, for a quick look
	// How long the api path then runs on, at the most clients, to show
	// whether memory grows; 0 skips it.
	soak := time.Duration(envWhole(b, "BENCH_TP_SOAK_SECONDS", 0, 0, 3600)) * time.Second
	f := newThroughputShop(b, dsn, members)
	paths := []tpPath{
		{name: "raw", alone: f.pgbenchPurchases(b, pgbenchScript{file: "testdata/raw_purchase.sql", statements: rawStatements})},
		{name: "sql", call: f.sqlPurchases(b)},
		{name: "modelsql", alone: f.pgbenchPurchases(b, pgbenchScript{file: "testdata/model_purchase.sql", statements: modelStatements, purchases: true})},
		{name: "model", call: f.modelPurchases(b)},
		{name: "api", call: f.apiPurchases(b)},
		{name: "till", call: f.tillPurchases(b)},
	}
	if s := os.Getenv("BENCH_TP_PATHS"); s != "" { // e.g. raw,api
		want := strings.Split(s, ",")
		paths = slices.DeleteFunc(paths, func(p tpPath) bool { return !slices.Contains(want, p.name) })
		if len(paths) == 0 {
			b.Fatalf("BENCH_TP_PATHS=%q names none of raw, sql, modelsql, model, api, till", s)
		}
	}
	if s := os.Getenv("BENCH_TP_POOLS"); s != "" { // e.g. 8,32
		paths = withPools(b, paths, s)
	}
	counts := throughputClients
	if s := os.Getenv("BENCH_TP_CLIENTS"); s != "" { // e.g. 32
		want := strings.Split(s, ",")
		counts = slices.DeleteFunc(slices.Clone(counts), func(n int) bool { return !slices.Contains(want, strconv.Itoa(n)) })
		if len(counts) == 0 {
			b.Fatalf("BENCH_TP_CLIENTS=%q names none of %v", s, throughputClients)
		}
	}
	for _, clients := range counts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			// Rounds alternate the paths (raw, sql, modelsql, model, …)
			// so that the machine's drift falls on all of them alike.
			runs := map[string][]tpResult{}
			for range rounds {
				for _, p := range paths {
					runs[p.label()] = append(runs[p.label()], f.run(b, p, clients, wall))
				}
			}
			rate := func(r tpResult) float64 { return r.rate }
			rateOf := func(path string) float64 { // 0 when it did not run
				if rs := runs[path]; rs != nil {
					return median(rs, rate)
				}
				return 0
			}
			raw := rateOf("raw")
			for path, replay := range replays {
				if rs := runs[path]; rs != nil && runs[replay] != nil {
					if sent, want := math.Round(median(rs, func(r tpResult) float64 { return r.statements })), replayedStmts[replay]; sent != float64(want) {
						b.Errorf("the %s path sends %v statements a purchase, the %s path replays %d: make it the %[1]s path's transaction again", path, sent, replay, want)
					}
				}
			}
			for _, p := range paths {
				b.Run(p.label(), func(b *testing.B) {
					rs := runs[p.label()]
					for b.Loop() { // the rounds ran above: this only reports them
						b.ReportMetric(0, "ns/op")
						b.ReportMetric(median(rs, rate), "purchases/s")
						b.ReportMetric(slices.MinFunc(rs, func(x, y tpResult) int { return cmp.Compare(x.rate, y.rate) }).rate, "min-purchases/s")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.p50 }), "p50-ms")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.p95 }), "p95-ms")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.p99 }), "p99-ms")
						b.ReportMetric(median(rs, func(r tpResult) float64 { return r.statements }), "stmts/purchase")
						b.ReportMetric(slices.MaxFunc(rs, func(x, y tpResult) int { return cmp.Compare(x.rssMB, y.rssMB) }).rssMB, "max-rss-MB")
						if p.name != "raw" && raw > 0 {
							b.ReportMetric(median(rs, rate)/raw, "ratio-to-raw")
						}
						if sql := rateOf(replays[p.name]); sql > 0 {
							b.ReportMetric(median(rs, rate)/sql, "ratio-to-sql")
						}
					}
				})
			}
		})
	}
	if soak > 0 {
		b.Run("soak", func(b *testing.B) {
			for b.Loop() {
				f.soak(b, paths, soak)
			}
		})
		f.checkLedger(b)
	}
}

// envWhole is the whole number the environment variable name holds,
// from least to most, or def when it is unset.
func envWhole(b *testing.B, name string, def, least, most int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < least || n > most {
		b.Fatalf("%s=%q: want a whole number from %d to %d", name, s, least, most)
	}
	return n
}

// soakSlices is how many parts a soak is timed in: resident memory is
// read after each.
const soakSlices = 10

// soak runs the api path with the most clients for d and reports the
// process's resident memory after its first and last tenth and the most
// it reached: a leak shows as growth from first to last.
func (f *throughputShop) soak(b *testing.B, paths []tpPath, d time.Duration) {
	b.Helper()
	i := slices.IndexFunc(paths, func(p tpPath) bool { return p.name == "api" })
	if i < 0 {
		b.Fatal("the soak runs the api path: add api to BENCH_TP_PATHS")
	}
	clients := throughputClients[len(throughputClients)-1]
	var rss []float64
	var purchases float64
	for range soakSlices {
		r := f.calls(b, paths[i], clients, d/soakSlices)
		purchases += r.rate * (d / soakSlices).Seconds()
		rss = append(rss, residentMB(b))
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(purchases/d.Seconds(), "purchases/s")
	b.ReportMetric(rss[0], "first-rss-MB")
	b.ReportMetric(rss[len(rss)-1], "last-rss-MB")
	b.ReportMetric(slices.Max(rss), "max-rss-MB")
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

// tpPath is a way of recording purchases, by name: one purchase at a
// time, timed by run, or a whole timed run on its own (pgbench). The app's
// paths may run with a pool of their own size.
type tpPath struct {
	name  string
	call  tpCall
	alone func(b *testing.B, clients int, wall time.Duration) tpResult
	pool  int // connections the app's pool opens at most; 0 leaves it
}

// label names the path in the report, with its pool size when it has one.
func (p tpPath) label() string {
	if p.pool == 0 {
		return p.name
	}
	return fmt.Sprintf("%s/pool=%d", p.name, p.pool)
}

// withPools runs each of the app's paths once for every pool size the
// comma-separated list names, side by side in the same rounds. The app's
// line of requests keeps the size of the pool it was built with (the
// default, 16), so over HTTP a smaller pool has requests waiting in it
// and a larger one is never full.
func withPools(b *testing.B, paths []tpPath, list string) []tpPath {
	b.Helper()
	var out []tpPath
	for _, p := range paths {
		if p.alone != nil {
			out = append(out, p)
			continue
		}
		for s := range strings.SplitSeq(list, ",") {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 256 {
				b.Fatalf("BENCH_TP_POOLS=%q: want pool sizes from 1 to 256", list)
			}
			p.pool = n
			out = append(out, p)
		}
	}
	return out
}

// tpCall records one purchase by client (0 to clients-1) for the member
// at index member of the shop's members, under a key no other call uses.
type tpCall func(client, member int, key string) error

// throughputShop is one merchant with a points program, members with
// accounts, API keys and signed-in staff, behind the real app.
type throughputShop struct {
	dsn        string // the shop's own database, for pgbench
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

func newThroughputShop(b *testing.B, admin string, members int) *throughputShop {
	b.Helper()
	db := dbtest.Throwaway(b, admin, "regulars_tp_")
	f := &throughputShop{transport: &http.Transport{MaxIdleConnsPerHost: 2 * throughputClients[len(throughputClients)-1]}}
	var name string
	if err := db.Raw("SELECT current_database()").Scan(&name).Error; err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	f.dsn = u.String()
	b.Cleanup(f.transport.CloseIdleConnections)
	dbtest.CountStatements(db, &f.statements)
	f.app = newTestApp(b, db)
	acct := f.app.signUp("Throughput Coffee", "owner@throughput.example")
	f.merchantID = acct.merchantID
	f.db = models.ForMerchant(db, acct.merchantID)
	actor := models.Actor{Name: "Benchmark"}
	f.program, err = models.CreateProgram(f.db, actor, models.ProgramInput{
		Name: "Coffee Points", Type: "points", EarnRate: "1", Status: "active"})
	if err != nil {
		b.Fatal(err)
	}
	f.addMembers(b, members)
	now := time.Now()
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

// addMembers enrols n members, each with an account in the program, in
// two set-based statements (a million through EnrolMember would take far
// longer than the benchmark), then vacuums, as after any seed. The
// clients take them in a shuffled order, as customers come in.
func (f *throughputShop) addMembers(b *testing.B, n int) {
	b.Helper()
	db := models.CrossTenant(f.app.db)
	err := db.Exec(`INSERT INTO members (merchant_id, name, name_key, email, card_code, created_at, updated_at)
		SELECT ?, 'Regular ' || g, 'regular ' || g, 'regular' || g || '@throughput.example', 'TP' || lpad(g::text, 9, '0'), now(), now()
		FROM generate_series(1, ?) AS g`, f.merchantID, n).Error
	if err == nil {
		err = db.Exec(`INSERT INTO accounts (merchant_id, program_id, member_id, last_activity_at, created_at, updated_at)
			SELECT merchant_id, ?, id, now(), now(), now() FROM members WHERE merchant_id = ?`, f.program.ID, f.merchantID).Error
	}
	if err == nil {
		err = f.db.Model(&models.Member{}).Order("id").Pluck("id", &f.members).Error
	}
	if err == nil {
		err = db.Exec("VACUUM (ANALYZE)").Error
	}
	if err != nil || len(f.members) != n || f.members[n-1]-f.members[0] != int64(n-1) {
		b.Fatalf("%d members, want %d with ids in a row: %v", len(f.members), n, err)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { f.members[i], f.members[j] = f.members[j], f.members[i] })
}

// tpResult is one timed run of a path.
type tpResult struct {
	rate, p50, p95, p99, statements, rssMB float64
}

// run times path p with clients for wall and checks the ledger after.
// Every run starts on a vacuumed database, as pgbench's do: with
// autovacuum off (as on this machine) each run would otherwise pay for the
// dead rows of all before it, and later paths would look slower for
// running later.
func (f *throughputShop) run(b *testing.B, p tpPath, clients int, wall time.Duration) tpResult {
	b.Helper()
	if err := f.app.db.Exec("VACUUM (ANALYZE)").Error; err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	if p.pool > 0 {
		pool, err := f.app.db.DB()
		if err != nil {
			b.Fatal(err)
		}
		pool.SetMaxOpenConns(p.pool)
		pool.SetMaxIdleConns(p.pool)
	}
	var r tpResult
	if p.alone != nil {
		r = p.alone(b, clients, wall)
	} else {
		r = f.calls(b, p, clients, wall)
	}
	r.rssMB = residentMB(b)
	f.checkLedger(b) // as regulars verify, after every run
	return r
}

// calls has clients call p concurrently for wall and measures them. Client
// c buys for the members at c, c+clients, c+2·clients… of the shuffled
// list, in turn: no two clients share an account. Each makes one purchase
// first, untimed, so that every run starts on open connections.
func (f *throughputShop) calls(b *testing.B, p tpPath, clients int, wall time.Duration) tpResult {
	b.Helper()
	path, call := p.name, p.call
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
	if path == "sql" { // sent past GORM, so not counted
		statements = sqlStatements * int64(len(all))
	}
	r := timed(all, float64(len(all))/elapsed.Seconds())
	r.statements = float64(statements) / float64(len(all))
	return r
}

// timed is a run's result from its purchases' latencies, in any order.
func timed(latencies []time.Duration, rate float64) tpResult {
	slices.Sort(latencies)
	n := len(latencies)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return tpResult{rate: rate, p50: ms(latencies[n/2]), p95: ms(latencies[n*95/100]), p99: ms(latencies[n*99/100])}
}

// residentMB is this process's resident memory now: the app's, with the
// benchmark's clients and fixtures on top.
func residentMB(b *testing.B) float64 {
	b.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatalf("resident memory: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 64)
			if err != nil {
				b.Fatalf("resident memory %q: %v", line, err)
			}
			return n / 1024
		}
	}
	b.Fatal("resident memory: no VmRSS in /proc/self/status")
	return 0
}

// pgbenchScript is a purchase's transaction for pgbench: its file, the
// statements it sends (BEGIN and COMMIT aside), and whether it stores
// purchases, which the ledger check then counts.
type pgbenchScript struct {
	file       string
	statements int
	purchases  bool
}

// pgbenchPurchases runs a script (the raw transaction, or the model's)
// with pgbench (prepared statements, a member drawn at random each time)
// for wall, logging every transaction's latency.
func (f *throughputShop) pgbenchPurchases(b *testing.B, script pgbenchScript) func(*testing.B, int, time.Duration) tpResult {
	b.Helper()
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		b.Fatalf("%s is run by pgbench (Debian's postgresql-client): %v", script.file, err)
	}
	tps := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	processed := regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
	return func(b *testing.B, clients int, wall time.Duration) tpResult {
		b.Helper()
		logs := filepath.Join(b.TempDir(), "tx")
		define := func(name string, v int64) string { return fmt.Sprintf("--define=%s=%d", name, v) }
		cmd := exec.Command(bin, "--no-vacuum", "--protocol=prepared", "--log", "--log-prefix="+logs,
			"--client="+strconv.Itoa(clients), "--jobs="+strconv.Itoa(min(clients, 2)),
			"--time="+strconv.Itoa(int(math.Ceil(wall.Seconds()))), "--file="+script.file,
			define("merchant", f.merchantID), define("program", f.program.ID), define("earned", f.earned),
			define("amount", throughputAmountMinor),
			define("first_member", slices.Min(f.members)), define("last_member", slices.Max(f.members)), f.dsn)
		out, err := cmd.CombinedOutput()
		m, n := tps.FindSubmatch(out), processed.FindSubmatch(out)
		if err != nil || m == nil || n == nil {
			b.Fatalf("pgbench %s with %d clients: %v\n%s", script.file, clients, err, out)
		}
		rate, _ := strconv.ParseFloat(string(m[1]), 64)
		if script.purchases {
			count, _ := strconv.ParseInt(string(n[1]), 10, 64)
			f.recorded.Add(count)
		}
		var latencies []time.Duration
		files, _ := filepath.Glob(logs + ".*")
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				b.Fatal(err)
			}
			// client, transaction, latency in µs, script, epoch s, µs
			for line := range strings.Lines(string(data)) {
				fields := strings.Fields(line)
				if len(fields) < 3 {
					b.Fatalf("pgbench log %s: %q", name, line)
				}
				us, err := strconv.ParseInt(fields[2], 10, 64)
				if err != nil {
					b.Fatalf("pgbench log %s: %q: %v", name, line, err)
				}
				latencies = append(latencies, time.Duration(us)*time.Microsecond)
			}
		}
		if len(latencies) == 0 {
			b.Fatalf("pgbench with %d clients logged no transaction\n%s", clients, out)
		}
		r := timed(latencies, rate)
		r.statements = float64(script.statements)
		return r
	}
}

// sqlPurchases is the api path's own transaction, statement for
// statement, as prepared statements through the app's pool, past echo,
// GORM and HTTP: what the database alone costs POST /api/v1/purchases,
// and so the yardstick of what the app adds. The statements are those
// PostgreSQL logs for one API purchase (log_statement = all): the key
// with its merchant, then in one transaction the Idempotency-Key's lock
// and look-up, the model's savepoint, the member with their account's
// lock and the purchase's id, the purchase with its posting (ledger entry,
// rollup mark, balance, the member's last activity) and the stored answer. The benchmark fails when
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
	lock := prepare(`SELECT m.*, a.id AS a_id, a.balance AS a_balance, a.lifetime_earned AS a_lifetime_earned, a.*,
		nextval(pg_get_serial_sequence('purchases', 'id')) AS purchase_id FROM members m
		LEFT JOIN LATERAL (SELECT * FROM accounts WHERE merchant_id = $1 AND program_id = $2 AND member_id = $3 FOR UPDATE) a ON true
		WHERE m.merchant_id = $4 AND m.id = $5`)
	posting := prepare(`WITH w0 AS (INSERT INTO "ledger_entries" ("merchant_id","program_id","account_id","member_id","kind","amount",
		"balance_after","expires_at","actor_user_id","actor_name","reason","note","purchase_id","voucher_id","corrects_id","idempotency_key","created_at")
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING "id"),
		w1 AS (INSERT INTO "rollup_marks" ("merchant_id","member_id","at") VALUES ($18,$19,$20) RETURNING "id"),
		w2 AS (UPDATE "accounts" SET "balance"=$21,"last_activity_at"=$22,"lifetime_earned"=$23,"updated_at"=$24
			WHERE "accounts"."merchant_id" = $25 AND ("id" = $26)),
		w3 AS (UPDATE "members" SET "last_activity_at"=$27,"updated_at"=$28 WHERE "members"."merchant_id" = $29 AND (id = $30)),
		w4 AS (INSERT INTO "purchases" ("id","merchant_id","program_id","kind","member_id","account_id","amount_minor","refunded_minor",
			"earned","clawed_back","order_ref","channel","occurred_at","idempotency_key","actor_name","created_at","updated_at")
			VALUES ($31,$32,$33,$34,$35,$36,$37,$38,$39,$40,$41,$42,$43,$44,$45,$46,$47) RETURNING "id")
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
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SAVEPOINT sp%d", savepoints.Add(1))); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		account, err := readRow(ctx, tx.StmtContext(ctx, lock), []string{"a_id", "a_balance", "a_lifetime_earned", "purchase_id"}, f.merchantID, f.program.ID, memberID, f.merchantID, memberID)
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		accountID, balance, lifetime := account[0].(int64), account[1].(int64)+f.earned, account[2].(int64)+f.earned
		purchaseID := account[3].(int64)
		var entryID int64
		if err := tx.StmtContext(ctx, posting).QueryRowContext(ctx,
			f.merchantID, f.program.ID, accountID, memberID, "purchase_earn", f.earned, balance, nil, nil, actor, "Purchase", "",
			purchaseID, nil, nil, fmt.Sprintf("purchase:%d:purchase_earn", purchaseID), now,
			f.merchantID, memberID, now,
			balance, now, lifetime, now, f.merchantID, accountID,
			now, now, f.merchantID, memberID,
			purchaseID, f.merchantID, f.program.ID, "sale", memberID, accountID,
			throughputAmountMinor, 0, f.earned, 0, key, "in_store", now, "order:"+key, actor, now, now).Scan(&entryID); err != nil {
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
