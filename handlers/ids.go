package handlers

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// An id arrives as text, in a path, a query or a form. Whatever is typed
// there, one that cannot name a row answers like one that names no row of
// this merchant's: nothing here, never a failed parse's 500.

// parseID reads an id: a whole number from 1 up, in decimal digits, with
// blanks around it ignored. Empty is 0, none given. Anything else (letters,
// a sign, 0, "1e3", a number past what an id holds) is ENOTFOUND, a 404.
func parseID(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(s, 10, 63)
	if err != nil || id == 0 {
		return 0, noSuchID()
	}
	return int64(id), nil
}

func noSuchID() error { return models.Errorf(models.ENOTFOUND, "There is nothing here.") }

// idParam reads the id in the path parameter name, which a path always
// gives: none at all is as unknown as a bad one.
func idParam(c echo.Context, name string) (int64, error) {
	id, err := parseID(c.Param(name))
	if err == nil && id == 0 {
		err = noSuchID()
	}
	return id, err
}

// formID reads an id a form names. One that cannot name anything is 0,
// which names nothing: the model then refuses it in its own words beside
// the field ("No such program."), as it refuses a well-formed unknown id.
func formID(c echo.Context, name string) int64 {
	id, _ := parseID(c.FormValue(name))
	return id
}
