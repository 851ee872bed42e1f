package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// apiBodyLimit is the largest body the API reads.
const apiBodyLimit = 1 << 20

const ctxAPIBody = "regulars.api_body"

var (
	errNotJSON = &apiError{status: http.StatusUnsupportedMediaType,
		detail: "Send the body as JSON, with Content-Type: application/json."}
	errTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, detail: apiDefaultDetail(http.StatusRequestEntityTooLarge)}
)

// readAPIBody reads a JSON body whole, once, before the idempotency check
// hashes it and the handler decodes it: any other content type is a 415,
// more than apiBodyLimit a 413. No body at all needs no type (a voucher's
// use or cancel has nothing to say); a route that needs one refuses it
// as empty.
func readAPIBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 && r.Header.Get(echo.HeaderContentType) == "" {
			return next(c)
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json") {
			return errNotJSON
		}
		if r.ContentLength > apiBodyLimit {
			return errTooLarge
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, apiBodyLimit+1))
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) {
				return he // the server-wide limit, for a body without a length
			}
			return &apiError{status: http.StatusBadRequest, detail: "The body could not be read."}
		}
		if len(body) > apiBodyLimit {
			return errTooLarge
		}
		c.Set(ctxAPIBody, body)
		return next(c)
	}
}

func apiBody(c echo.Context) []byte {
	b, _ := c.Get(ctxAPIBody).([]byte)
	return b
}

// decodeJSON decodes the request's body into v strictly: one JSON object
// in UTF-8, no unknown fields, every value of its field's type and every
// text storable. A refusal names the field, as models.FieldErrors would.
func decodeJSON(c echo.Context, v any) error {
	body := apiBody(c)
	// encoding/json would quietly turn invalid bytes into U+FFFD, storing
	// text the client never sent (and two different order references as one).
	if !utf8.Valid(body) {
		return malformed("it is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonRefusal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("the body holds more than one JSON value")
	}
	return checkText(reflect.ValueOf(v).Elem())
}

// decodeNothing refuses a body on a route that takes none, but for an
// empty object.
func decodeNothing(c echo.Context) error {
	if len(apiBody(c)) == 0 {
		return nil
	}
	return decodeJSON(c, &struct{}{})
}

func malformed(why string) error {
	return &apiError{status: http.StatusBadRequest, detail: "The body is not a JSON object: " + why + "."}
}

func invalidField(field, msg string) error {
	return &models.Error{Code: models.EINVALID, Message: "Please correct the fields named.", Fields: map[string]string{field: msg}}
}

// jsonRefusal words a decoding error: bad JSON is a 400; JSON that is
// fine but does not fit (a wrong type, a number past int64, a field we
// do not know) is a 422 naming the field.
func jsonRefusal(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return malformed("the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("it ends too soon")
	case errors.As(err, &syntax):
		return malformed(fmt.Sprintf("%s (at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return malformed("the body must be an object")
		}
		return invalidField(typ.Field, typeMessage(typ))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalidField(strings.Trim(name, `"`), "This field is not known here. Check its spelling against the documentation.")
	}
	return malformed(strings.TrimPrefix(err.Error(), "json: "))
}

// typeMessage says what a field takes.
func typeMessage(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind() {
	case reflect.Int64, reflect.Int, reflect.Int32:
		if strings.HasPrefix(e.Value, "number") {
			return "Must be a whole number from -9223372036854775808 to 9223372036854775807."
		}
		return "Must be a whole number."
	case reflect.String:
		return "Must be a string."
	case reflect.Bool:
		return "Must be true or false."
	}
	return "Has the wrong type."
}

// checkText refuses text no column can hold (NUL, other controls, invalid
// UTF-8), as handlers/input.go does for forms, naming the JSON field.
func checkText(v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		if f.Kind() != reflect.String {
			continue
		}
		if p := models.TextProblem(f.String()); p != "" {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			return invalidField(name, "This "+p+".")
		}
	}
	return nil
}
