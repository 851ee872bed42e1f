package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	key := strings.Repeat("k", 32)
	cases := []struct {
		name    string
		vars    map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", vars: map[string]string{}, check: func(t *testing.T, c Config) {
			if c.Addr != ":8080" || c.DatabaseURL != "data/regulars.db" || c.Production || c.DataDir() != "data" || !c.webhookTargets().AllowPrivate {
				t.Fatalf("defaults %+v", c)
			}
		}},
		{name: "production needs keys", vars: map[string]string{"APP_ENV": "production"}, wantErr: "SESSION_KEYS is required"},
		{name: "production with keys", vars: map[string]string{"APP_ENV": "production", "SESSION_KEYS": key + ", " + key + "2", "BASE_URL": "https://loyalty.example.com"}, check: func(t *testing.T, c Config) {
			if !c.Production || len(c.SessionKeys) != 2 || c.webhookTargets().AllowPrivate {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "short key", vars: map[string]string{"SESSION_KEYS": "short"}, wantErr: "at least 32"},
		{name: "bad env", vars: map[string]string{"APP_ENV": "staging"}, wantErr: "APP_ENV"},
		{name: "bad level", vars: map[string]string{"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
		{name: "bad base url", vars: map[string]string{"BASE_URL": "example.com"}, wantErr: "BASE_URL"},
		{name: "bad proxy", vars: map[string]string{"TRUSTED_PROXIES": "10.0.0.1"}, wantErr: "TRUSTED_PROXIES"},
		{name: "postgres data dir", vars: map[string]string{"DATABASE_URL": "postgres://u@h/db", "LOG_LEVEL": "debug", "TRUSTED_PROXIES": "10.0.0.0/8"}, check: func(t *testing.T, c Config) {
			if c.DataDir() != "data" || len(c.TrustedProxies) != 1 || c.LogLevel.String() != "DEBUG" {
				t.Fatalf("%+v", c)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig(env(tc.vars))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestDevelopmentSessionKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	c, err := LoadConfig(env(map[string]string{"DATABASE_URL": filepath.Join(dir, "r.db")}))
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.devSessionKeys(c.logger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.devSessionKeys(c.logger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0] != second[0] || len(first[0]) < 32 {
		t.Fatalf("keys %v then %v", first, second)
	}
	info, err := os.Stat(filepath.Join(dir, "session.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", info, err)
	}
}

func TestCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(nil), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "regulars ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, env(nil), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown: %d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"serve"}, env(map[string]string{"APP_ENV": "production"}), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "SESSION_KEYS") {
		t.Fatalf("production without keys: %d %q", code, errOut.String())
	}
}

// migrate runs the migrations alone, on both dialects.
func TestMigrateCommand(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := dbtest.DSN(t, d)
			var out, errOut bytes.Buffer
			vars := map[string]string{"DATABASE_URL": dsn, "LOG_LEVEL": "error"}
			if d == models.SQLite {
				vars["DATABASE_URL"] = filepath.Join(t.TempDir(), "sub", "r.db")
			}
			if code := run(context.Background(), []string{"migrate"}, env(vars), &out, &errOut); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, errOut.String())
			}
			db, err := models.Open(vars["DATABASE_URL"], nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeDB(db)
			if !db.Migrator().HasTable("users") {
				t.Fatal("migrate did not create users")
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serve answers, then stops cleanly when its context ends (SIGTERM).
func TestServeShutsDownGracefully(t *testing.T) {
	addr := freeAddr(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, nil, env(map[string]string{"ADDR": addr, "DATABASE_URL": filepath.Join(dir, "r.db"), "LOG_LEVEL": "error"}), &out, &errOut)
	}()
	var res *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if res, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz %d", res.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "session.key")); err != nil {
		t.Fatalf("development session key not kept in the data directory: %v", err)
	}
}

// verify passes on a healthy ledger and fails, naming the account, when a
// balance has been tampered with.
func TestVerifyAndRollupCommands(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := dbtest.DSN(t, d)
			ctx := context.Background()
			db, err := models.Open(dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeDB(db)
			if _, err := models.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			_, u, err := models.SignUp(ctx, db, models.SignUpInput{
				MerchantInput: models.MerchantInput{Name: "Shop", Currency: "EUR", TimeZone: "UTC"},
				OwnerName:     "Olive", Email: "olive@example.com", Password: "long enough password",
			})
			if err != nil {
				t.Fatal(err)
			}
			scoped := models.ForMerchant(db, u.MerchantID)
			actor := models.ActorOf(u)
			p, err := models.CreateProgram(scoped, actor, models.ProgramInput{Name: "Club", Type: "points", EarnRate: "1", Status: "active"})
			if err != nil {
				t.Fatal(err)
			}
			m, err := models.EnrolMember(scoped, actor, models.MemberInput{Name: "Mo"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.RecordPurchase(scoped, actor, models.PurchaseInput{ProgramID: p.ID, MemberID: m.ID, Amount: "10", IdempotencyKey: "k"}, time.Now()); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"DATABASE_URL": dsn, "LOG_LEVEL": "error"}
			var out, errOut bytes.Buffer
			if code := run(ctx, []string{"verify"}, env(vars), &out, &errOut); code != 0 || !strings.Contains(out.String(), "every balance") {
				t.Fatalf("healthy verify: %d %q %q", code, out.String(), errOut.String())
			}
			if err := db.Exec("UPDATE accounts SET balance = balance + 7").Error; err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if code := run(ctx, []string{"verify"}, env(vars), &out, &errOut); code != 1 || !strings.Contains(out.String(), "difference 7") {
				t.Fatalf("tampered verify: %d %q", code, out.String())
			}
			// The reports' aggregates: a rebuild recomputes a tampered
			// rollup from the purchases; a bad flag is refused.
			if code := run(ctx, []string{"rollup"}, env(vars), &out, &errOut); code != 0 {
				t.Fatalf("rollup: %d %q", code, errOut.String())
			}
			if res := db.Exec("UPDATE daily_sales SET revenue_minor = 1"); res.Error != nil || res.RowsAffected != 1 {
				t.Fatalf("tamper with the rollup: %v, %d rows", res.Error, res.RowsAffected)
			}
			out.Reset()
			if code := run(ctx, []string{"rollup", "--rebuild"}, env(vars), &out, &errOut); code != 0 || !strings.Contains(out.String(), "up to date") {
				t.Fatalf("rollup --rebuild: %d %q %q", code, out.String(), errOut.String())
			}
			var revenue int64
			if err := db.Raw("SELECT sum(revenue_minor) FROM daily_sales").Scan(&revenue).Error; err != nil || revenue != 1000 {
				t.Fatalf("rebuilt revenue = %d, %v", revenue, err)
			}
			if code := run(ctx, []string{"rollup", "--everything"}, env(vars), &out, &errOut); code != 2 {
				t.Fatalf("rollup with a bad flag: %d", code)
			}
		})
	}
}

// Links handed to people need a trusted origin: production must name it,
// development uses the address it listens on.
func TestBaseURLConfig(t *testing.T) {
	key := strings.Repeat("k", 32)
	cases := []struct {
		vars    map[string]string
		want    string
		wantErr string
	}{
		{vars: map[string]string{"APP_ENV": "production", "SESSION_KEYS": key}, wantErr: "BASE_URL is required"},
		{vars: map[string]string{"APP_ENV": "production", "SESSION_KEYS": key, "BASE_URL": "https://loyalty.example.com/"}, want: "https://loyalty.example.com"},
		{vars: map[string]string{}, want: "http://localhost:8080"},
		{vars: map[string]string{"ADDR": "0.0.0.0:9000"}, want: "http://localhost:9000"},
		{vars: map[string]string{"ADDR": "[::]:9000"}, want: "http://localhost:9000"},
		{vars: map[string]string{"ADDR": "127.0.0.1:8104"}, want: "http://127.0.0.1:8104"},
		{vars: map[string]string{"ADDR": "8080"}, wantErr: "ADDR must be host:port"},
	}
	for _, tc := range cases {
		c, err := LoadConfig(env(tc.vars))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err %v, want %q", tc.vars, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.BaseURL != tc.want {
			t.Errorf("%v: BaseURL %q (%v), want %q", tc.vars, c.BaseURL, err, tc.want)
		}
	}
}

func TestPoolConfig(t *testing.T) {
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Pool != models.DefaultPool || c.Pool.MaxIdle != c.Pool.MaxOpen {
		t.Fatalf("default pool %+v, want %+v with idle = open", c.Pool, models.DefaultPool)
	}
	c, err = LoadConfig(env(map[string]string{"DB_MAX_OPEN_CONNS": "20", "DB_CONN_MAX_LIFETIME": "5m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Pool != (models.Pool{MaxOpen: 20, MaxIdle: 20, MaxLifetime: 5 * time.Minute}) {
		t.Fatalf("pool %+v: idle must follow open", c.Pool)
	}
	for name, vars := range map[string]map[string]string{
		"DB_MAX_OPEN_CONNS":    {"DB_MAX_OPEN_CONNS": "0"},
		"cannot exceed":        {"DB_MAX_OPEN_CONNS": "4", "DB_MAX_IDLE_CONNS": "5"},
		"DB_MAX_IDLE_CONNS":    {"DB_MAX_IDLE_CONNS": "many"},
		"DB_CONN_MAX_LIFETIME": {"DB_CONN_MAX_LIFETIME": "soon"},
	} {
		if _, err := LoadConfig(env(vars)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err %v, want %q", vars, err, name)
		}
	}
}

// A busy address stops serve at once with the error and a non-zero exit,
// before it claims to listen.
func TestServeFailsFastOnABusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"serve"}, env(map[string]string{
			"ADDR": l.Addr().String(), "DATABASE_URL": filepath.Join(t.TempDir(), "r.db"), "LOG_LEVEL": "info",
		}), &out, &errOut)
	}()
	select {
	case code := <-done:
		if code == 0 {
			t.Fatalf("exit 0 on a busy address")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve kept running on a busy address")
	}
	log := errOut.String()
	if !strings.Contains(log, "address already in use") || strings.Contains(log, "msg=listening") || strings.Contains(log, "daily job") {
		t.Fatalf("log:\n%s", log)
	}
}
