package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

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

// problem is an RFC 9457 problem details body for the JSON API.
type problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// classify turns any error into a status and a message safe to show.
func classify(c echo.Context, err error) (int, string, map[string]string) {
	var (
		he   *echo.HTTPError
		tmr  *tooManyRequests
		derr *models.Error
	)
	switch {
	case errors.As(err, &tmr):
		return tmr.apply(c), tmr.Error(), nil
	case errors.As(err, &derr):
		return statusOf[derr.Code], derr.Message, derr.Fields
	case errors.As(err, &he):
		msg, ok := he.Message.(string)
		// echo's own errors carry only the status text; ours say more.
		if !ok || msg == http.StatusText(he.Code) || he.Code == http.StatusNotFound || he.Code >= 500 {
			msg = defaultMessage(he.Code)
		}
		return he.Code, msg, nil
	}
	return http.StatusInternalServerError, defaultMessage(http.StatusInternalServerError), nil
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

// handleError is echo's one error handler: HTML pages for people, problem
// details for /api/.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg, fields := classify(c, err)
	if status >= 500 {
		a.log.Error("request failed", "err", err, "request_id", requestID(c), "method", c.Request().Method, "path", c.Request().URL.Path)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		body := problem{
			Type: "about:blank", Title: title(status), Status: status,
			Detail: msg, Instance: c.Request().URL.Path, Errors: fields,
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		c.Response().WriteHeader(status)
		if werr := jsonEncode(c, body); werr != nil {
			a.log.Error("write problem", "err", werr)
		}
		return
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
