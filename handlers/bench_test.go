package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// BenchmarkDashboard measures one signed-in page through the whole stack:
// cookie session, user lookup, a tenant-scoped query and the templ render.
func BenchmarkDashboard(b *testing.B) {
	for _, d := range dbtest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			app := newTestApp(b, dbtest.Open(b, d))
			owner := app.signUp("Corner Café", "olive@example.com").owner
			for b.Loop() {
				if r := owner.get("/dashboard"); r.status != http.StatusOK {
					b.Fatalf("status %d", r.status)
				}
			}
		})
	}
}

// scaleReportPages are the report pages BenchmarkScaleReports times.
var scaleReportPages = []string{"/dashboard"}

// scaleReportRanges are the ranges each page is timed for: its default
// and all time.
var scaleReportRanges = []struct{ name, query string }{{"default", ""}, {"all", "range=all"}}

// scaleReportCalls is how many times each page and range is requested.
const scaleReportCalls = 30

// BenchmarkScaleReports signs in as the manager of the merchant `make
// bench` seeded (BENCH_DATABASE_URL) and reports each report page's
// server time, p50 and p95 over scaleReportCalls requests, per range:
// the request goes straight to the echo handler, so the figures leave out
// the network and the client.
func BenchmarkScaleReports(b *testing.B) {
	dsn := os.Getenv("BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("BENCH_DATABASE_URL not set: run make bench")
	}
	db, err := models.Open(dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	var manager models.User
	err = models.CrossTenant(db).Where("role = ? AND merchant_id = (SELECT MIN(id) FROM merchants WHERE name = ?)",
		models.RoleManager, "Seed Coffee").Order("id").Take(&manager).Error
	if err != nil {
		b.Fatalf("no seeded manager: %v", err)
	}
	app := newTestApp(b, db)
	c := app.client()
	if r := c.post("/login", url.Values{"email": {manager.Email}, "password": {models.SeedPassword}}); r.status != http.StatusSeeOther {
		b.Fatalf("manager login: status %d", r.status)
	}
	site, _ := url.Parse(app.srv.URL)
	cookies := c.http.Jar.Cookies(site)
	for _, page := range scaleReportPages {
		for _, rg := range scaleReportRanges {
			path := page
			if rg.query != "" {
				path += "?" + rg.query
			}
			b.Run(strings.Trim(page, "/")+"/"+rg.name, func(b *testing.B) {
				for b.Loop() {
					serverTimes(b, scaleReportCalls, func() int {
						req := httptest.NewRequest(http.MethodGet, path, nil)
						for _, k := range cookies {
							req.AddCookie(k)
						}
						rec := httptest.NewRecorder()
						app.e.ServeHTTP(rec, req)
						return rec.Code
					})
				}
			})
		}
	}
}

// serverTimes calls serve n times after one warm-up call, fails on any
// status but 200, and reports p50 and p95 in milliseconds.
func serverTimes(b *testing.B, n int, serve func() int) {
	b.Helper()
	if code := serve(); code != http.StatusOK {
		b.Fatalf("status %d", code)
	}
	d := make([]time.Duration, n)
	for i := range d {
		start := time.Now()
		code := serve()
		d[i] = time.Since(start)
		if code != http.StatusOK {
			b.Fatalf("status %d", code)
		}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[n*95/100].Microseconds())/1000, "p95-ms")
}
