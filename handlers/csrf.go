package handlers

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// csrf refuses every state-changing request that does not carry the
// session's token, from a form field or htmx's X-CSRF-Token header. The
// JSON API is left to its own key check: it reads no cookie, so a forged
// cross-site request carries nothing it accepts.
func (a *App) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if ownedByAPI(c) {
			return next(c)
		}
		want, _ := a.session(c).Values[keyCSRF].(string)
		got, err := submittedToken(c.Request())
		if err != nil {
			return err
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden,
				"This form has expired or did not come from Regulars. Go back, reload the page and try again.")
		}
		return next(c)
	}
}

// submittedToken reads the CSRF token from the header or the form body,
// never the query string: a token in a URL leaks through logs, history
// and Referer. A body over its limit is reported as such rather than as a
// missing token.
func submittedToken(r *http.Request) (string, error) {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t, nil
	}
	if err := parseBody(r); err != nil {
		var tooLarge *echo.HTTPError
		if errors.As(err, &tooLarge) {
			return "", tooLarge
		}
	}
	return r.PostForm.Get("_csrf"), nil
}
