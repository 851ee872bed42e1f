package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/static"
)

// The line holds as many requests as the pool has connections, and none
// for a pool without a bound.
func TestAdmissionSizedFromPool(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := models.OpenPool(filepath.Join(t.TempDir(), "line.db"), log, models.Pool{MaxOpen: 3, MaxIdle: 3})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if got := cap(newAdmission(db)); got != 3 {
		t.Errorf("line for a pool of 3 holds %d", got)
	}
	sqlDB.SetMaxOpenConns(0)
	if line := newAdmission(db); line != nil {
		t.Errorf("a pool without a bound got a line of %d", cap(line))
	}
}

// With the line full, a database request waits (here until its client
// gives up, answered 503 without reaching its handler) while the liveness
// check and static files pass at once, even for a client that left. Once
// the requests inside finish, the next is let in: no place is lost to the
// one that gave up.
func TestAdmissionHoldsTheLine(t *testing.T) {
	const places = 2
	e := echo.New()
	e.Use(make(admission, places).admit)
	// Were the line to let a request by, it would answer at once, 200.
	entered, release := make(chan struct{}, places+1), make(chan struct{})
	e.GET("/work", func(c echo.Context) error {
		entered <- struct{}{}
		select {
		case <-release:
		case <-c.Request().Context().Done():
		}
		return c.NoContent(http.StatusOK)
	})
	e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.GET(static.Prefix+"*", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	get := func(ctx context.Context, path string) int {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil))
		return rec.Code
	}

	codes := make(chan int, places)
	for range places {
		go func() { codes <- get(context.Background(), "/work") }()
		<-entered
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if code := get(gone, "/work"); code != http.StatusServiceUnavailable {
		t.Errorf("a request past a full line whose client left: %d, want 503", code)
	}
	for _, path := range []string{"/healthz", static.Prefix + "app.css"} {
		if code := get(gone, path); code != http.StatusOK {
			t.Errorf("%s with the line full: %d", path, code)
		}
	}
	close(release)
	for range places {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("request inside the line: %d", code)
		}
	}
	go func() { codes <- get(context.Background(), "/work") }()
	<-entered
	if code := <-codes; code != http.StatusOK {
		t.Errorf("request after the line emptied: %d", code)
	}
}
