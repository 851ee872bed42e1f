package handlers

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// csrf refuses every state-changing request that does not carry the
// session's token, from a form field or htmx's X-CSRF-Token header. The
// JSON API authenticates with keys instead of cookies, so it is exempt.
func (a *App) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			return next(c)
		}
		want, _ := a.session(c).Values[keyCSRF].(string)
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden,
				"This form has expired or did not come from Regulars. Go back, reload the page and try again.")
		}
		return next(c)
	}
}
