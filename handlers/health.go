package handlers

import (
	"context"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/static"
)

// healthz answers while the process is alive.
func (a *App) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers once the database does.
func (a *App) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := models.Ping(ctx, a.db); err != nil {
		a.log.Warn("not ready", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// serveStatic serves embedded assets; a URL whose hash is current may be
// cached for a year, since its content can never change.
func serveStatic(c echo.Context) error {
	name, current := static.Resolve(c.Param("*"))
	if info, err := fs.Stat(static.FS, name); err != nil || info.IsDir() {
		return echo.ErrNotFound
	}
	if current {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(c.Response(), c.Request(), static.FS, name)
	return nil
}

// home sends visitors to the dashboard or the login page.
func (a *App) home(c echo.Context) error {
	if uid, _ := a.session(c).Values[keyUserID].(int64); uid != 0 {
		return redirect(c, "/dashboard")
	}
	return redirect(c, "/login")
}
