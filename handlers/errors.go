package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

// statusOf maps a domain error code to its HTTP status: the one place
// where the domain's words become the web's.
var statusOf = map[string]int{
	models.EINVALID:      http.StatusUnprocessableEntity,
	models.ENOTFOUND:     http.StatusNotFound,
	models.ECONFLICT:     http.StatusConflict,
	models.EFORBIDDEN:    http.StatusForbidden,
	models.EUNAUTHORIZED: http.StatusUnauthorized,
	models.EINTERNAL:     http.StatusInternalServerError,
}

var titles = map[int]string{
	http.StatusBadRequest:            "That request was not understood",
	http.StatusUnauthorized:          "Please log in",
	http.StatusForbidden:             "Not allowed",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Not allowed",
	http.StatusConflict:              "That cannot be done right now",
	http.StatusRequestEntityTooLarge: "That upload is too large",
	http.StatusUnprocessableEntity:   "Please check your input",
	http.StatusTooManyRequests:       "Too many attempts",
	http.StatusInternalServerError:   "Something went wrong",
}

// classify turns any error into a status and a message safe to show.
func classify(c echo.Context, err error) (int, string) {
	var (
		he   *echo.HTTPError
		tmr  *tooManyRequests
		derr *models.Error
	)
	switch {
	case errors.As(err, &tmr):
		return tmr.apply(c), tmr.Error()
	case errors.As(err, &derr):
		return statusOf[derr.Code], derr.Message
	case errors.As(err, &he):
		msg, ok := he.Message.(string)
		// echo's own errors carry only the status text; ours say more.
		if !ok || msg == http.StatusText(he.Code) || he.Code == http.StatusNotFound || he.Code >= 500 {
			msg = defaultMessage(he.Code)
		}
		return he.Code, msg
	}
	return http.StatusInternalServerError, defaultMessage(http.StatusInternalServerError)
}

// formRefusal says whether err is a refusal the person can fix on the form
// they sent: refused input (422) or a conflict (409), as classify maps it,
// with the status to send the form back with. Anything else, a 404
// included, goes to the error handler.
func formRefusal(c echo.Context, err error) (int, bool) {
	if err == nil {
		return 0, false
	}
	status, _ := classify(c, err)
	return status, status == http.StatusUnprocessableEntity || status == http.StatusConflict
}

func defaultMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "There is nothing here. It may have been removed, or the link is wrong."
	case http.StatusMethodNotAllowed:
		return "That action is not available here."
	case http.StatusRequestEntityTooLarge:
		return fmt.Sprintf("That upload is larger than Regulars accepts: a file of members may be up to %d MB. Split it and upload the parts.", models.MaxImportBytes>>20)
	case http.StatusInternalServerError:
		return "Something went wrong on our side. It has been logged; please try again."
	}
	return http.StatusText(status)
}

// handleError is echo's one error handler: an HTML page saying what
// went wrong, or the JSON API's problem details for its requests (those
// refused before reaching it, like a body over the server's limit).
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if ownedByAPI(c) {
		a.writeProblem(c, err)
		return
	}
	status, msg := classify(c, err)
	if status >= 500 {
		a.log.Error("request failed", "err", err, "request_id", requestID(c), "method", c.Request().Method, "path", c.Request().URL.Path)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	page := pages.Error(a.shell(c, title(status)), pages.ErrorData{
		Status: status, Title: title(status), Message: msg, RequestID: requestID(c),
	})
	if rerr := render(c, status, page); rerr != nil {
		a.log.Error("render error page", "err", rerr, "request_id", requestID(c))
	}
}

func title(status int) string {
	if t, ok := titles[status]; ok {
		return t
	}
	return http.StatusText(status)
}
