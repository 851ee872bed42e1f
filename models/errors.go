package models

import (
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Error codes shared by the whole application. Handlers map them to HTTP
// statuses in one place; the domain never speaks HTTP.
const (
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
)

// Error is a domain error: a machine-readable code, a message fit for the
// person at the screen, and per-field messages for forms.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// notFound words a failed lookup: no such row is ENOTFOUND with msg, the
// same answer an id of another merchant's gets; any other failure is
// wrapped with what was looked up (context, formatted with args).
func notFound(err error, msg, context string, args ...any) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return &Error{Code: ENOTFOUND, Message: msg}
	}
	return fmt.Errorf(context+": %w", append(args, err)...)
}

// ErrorCode unwraps err to its domain code; anything else is internal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage unwraps err to its human message; internal errors stay hidden.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}

// FieldErrors unwraps err to its per-field messages, if any.
func FieldErrors(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects per-field messages while checking a form.
type Validation map[string]string

// Check records msg against field when ok is false, keeping the first message.
func (v Validation) Check(ok bool, field, msg string) {
	if !ok {
		if _, seen := v[field]; !seen {
			v[field] = msg
		}
	}
}

// Err returns an EINVALID error carrying the messages, or nil when none.
func (v Validation) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Please correct the highlighted fields.", Fields: v}
}
