package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// problemTypes names each kind of API error by a stable type URI (RFC
// 9457), by status; apiError.kind names the few that share a status.
var problemTypes = map[int]string{
	http.StatusBadRequest:            "malformed-json",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not-found",
	http.StatusMethodNotAllowed:      "method-not-allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "payload-too-large",
	http.StatusUnsupportedMediaType:  "unsupported-media-type",
	http.StatusUnprocessableEntity:   "validation",
	http.StatusTooManyRequests:       "rate-limited",
	http.StatusInternalServerError:   "internal",
}

// apiError is a refusal only the API makes (of a body, a header, a rate).
type apiError struct {
	status     int
	kind       string // the type's last segment when not the status's own
	detail     string
	fields     map[string]string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return fmt.Sprintf("api: %d %s", e.status, e.detail) }

// problemDetails is an RFC 9457 problem details body.
type problemDetails struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []fieldProblem `json:"errors,omitempty"`
}

type fieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemOf turns any error of an API request into problem details: the
// API's own refusals, domain errors by their code, echo's by status.
func problemOf(c echo.Context, err error) (problemDetails, time.Duration) {
	var (
		ae   *apiError
		derr *models.Error
		he   *echo.HTTPError
	)
	p := problemDetails{Status: http.StatusInternalServerError, Instance: c.Request().URL.Path}
	var fields map[string]string
	var wait time.Duration
	kind := ""
	switch {
	case errors.As(err, &ae):
		p.Status, p.Detail, fields, kind, wait = ae.status, ae.detail, ae.fields, ae.kind, ae.retryAfter
	case errors.As(err, &derr):
		p.Status, p.Detail, fields = statusOf[derr.Code], derr.Message, derr.Fields
	case errors.As(err, &he) && he.Code < 500:
		p.Status, p.Detail = he.Code, apiDefaultDetail(he.Code)
	}
	if p.Status >= 500 || p.Status == 0 {
		p.Status, p.Detail, fields = http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please retry.", nil
	}
	if kind == "" {
		kind = problemTypes[p.Status]
	}
	p.Type, p.Title = "/errors/"+kind, http.StatusText(p.Status)
	for f, msg := range fields {
		p.Errors = append(p.Errors, fieldProblem{Field: f, Message: msg})
	}
	sort.Slice(p.Errors, func(i, j int) bool { return p.Errors[i].Field < p.Errors[j].Field })
	return p, wait
}

func apiDefaultDetail(status int) string {
	switch status {
	case http.StatusNotFound:
		return "There is no such resource. Check the path and the id."
	case http.StatusMethodNotAllowed:
		return "That method is not available on this path."
	case http.StatusRequestEntityTooLarge:
		return fmt.Sprintf("The body is larger than the %d MiB the API accepts.", apiBodyLimit>>20)
	}
	return http.StatusText(status)
}

// writeProblem answers an API request with the problem details of err.
func (a *App) writeProblem(c echo.Context, err error) {
	if c.Response().Committed {
		return
	}
	p, wait := problemOf(c, err)
	if p.Status >= 500 {
		a.log.Error("api request failed", "err", err, "request_id", requestID(c), "method", c.Request().Method, "path", c.Request().URL.Path)
	}
	h := c.Response().Header()
	switch p.Status {
	case http.StatusUnauthorized:
		h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="regulars"`)
	case http.StatusTooManyRequests:
		h.Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
	}
	body, jerr := json.Marshal(p)
	if jerr != nil {
		a.log.Error("encode problem", "err", jerr)
		return
	}
	if werr := c.Blob(p.Status, "application/problem+json", body); werr != nil {
		a.log.Error("write problem", "err", werr, "request_id", requestID(c))
	}
}
