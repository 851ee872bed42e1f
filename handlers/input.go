package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// checkInput refuses, before any handler reads them, query parameters and
// form values (url-encoded or multipart; not the contents of uploaded
// files) that no text column can hold: invalid UTF-8, NUL and other C0
// controls but TAB, LF and CR. PostgreSQL refuses such text with an error
// that would be a 500 wherever a handler stored or searched it; doing it
// here, once, covers every field, the login and sign-up forms included.
func (a *App) checkInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := checkValues(r.URL.Query()); err != nil {
			return err
		}
		// A body that cannot be read at all is for the CSRF check and the
		// handler to report.
		if parseBody(r) == nil {
			if err := checkValues(r.PostForm); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// multipartMemory is what net/http's FormFile uses, so the form parsed
// here is the one the handler reads.
const multipartMemory = 32 << 20

// parseBody parses a url-encoded or multipart form body once, for the
// checks that run before the handler; r.PostForm then holds its fields
// either way. A body over its limit comes back as echo's 413.
func parseBody(r *http.Request) error {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil
	}
	var err error
	if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		err = r.ParseMultipartForm(multipartMemory)
	} else {
		err = r.ParseForm()
	}
	var tooLarge *echo.HTTPError
	if errors.As(err, &tooLarge) && tooLarge.Code == http.StatusRequestEntityTooLarge {
		return tooLarge
	}
	return err
}

// checkValues names the first field, in name order, whose name or a value
// cannot be stored.
func checkValues(values url.Values) error {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if p := models.TextProblem(name); p != "" {
			return models.Errorf(models.EINVALID, "A field name %s. Remove it and try again.", p)
		}
		for _, v := range values[name] {
			if p := models.TextProblem(v); p != "" {
				return &models.Error{Code: models.EINVALID, Fields: map[string]string{name: "This " + p + "."},
					Message: fmt.Sprintf("The field “%s” %s. Remove it and try again.", name, p)}
			}
		}
	}
	return nil
}
