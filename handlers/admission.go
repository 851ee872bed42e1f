package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/static"
)

// admission lets as many requests at once use the database as its pool
// has connections; the rest wait their turn, first come first served.
// Without it they wait in the pool, and database/sql hands a freed
// connection to a waiting request at random: a purchase takes a
// connection two or three times (its key or session, then its
// transaction), so under more clients than connections some lose the draw
// again and again, and the slowest twentieth take several times the
// mean. A request let in here finds a connection free.
type admission chan struct{}

// newAdmission sizes the line from db's pool; a pool without a bound
// needs none.
func newAdmission(db *gorm.DB) admission {
	sqlDB, err := db.DB()
	if err != nil {
		return nil
	}
	n := sqlDB.Stats().MaxOpenConnections
	if n <= 0 {
		return nil
	}
	return make(admission, n)
}

// admit is the middleware. Static files and the liveness check never
// touch the database, so they pass by the line.
func (line admission) admit(next echo.HandlerFunc) echo.HandlerFunc {
	if line == nil {
		return next
	}
	return func(c echo.Context) error {
		if p := c.Path(); p == "/healthz" || strings.HasPrefix(p, static.Prefix) {
			return next(c)
		}
		select {
		case line <- struct{}{}: // a channel's blocked senders go in the order they came
		case <-c.Request().Context().Done():
			return echo.NewHTTPError(http.StatusServiceUnavailable, "gave up waiting for the database")
		}
		defer func() { <-line }()
		return next(c)
	}
}
