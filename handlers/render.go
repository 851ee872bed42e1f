package handlers

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes a templ component with a status. It renders into a buffer
// first so a failing template yields a clean error page, not half a page.
func render(c echo.Context, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// ok renders a page with 200.
func ok(c echo.Context, page templ.Component) error { return render(c, http.StatusOK, page) }

// redirect answers a successful form post: 303 so a reload does not post
// again.
func redirect(c echo.Context, to string) error { return c.Redirect(http.StatusSeeOther, to) }
