package handlers_test

import (
	"net/http"
	"testing"

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
