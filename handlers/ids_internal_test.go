package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// Every way of typing an id gets one reading: a positive whole number is
// that id, empty is none, and anything else names nothing (a 404), so no
// id typed into an address or a form can fail as a 500.
func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"42", 42, true},
		{" 42 ", 42, true},
		{"007", 7, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"", 0, true},
		{"   ", 0, true},
		{"0", 0, false},
		{"-1", 0, false},
		{"+5", 0, false},
		{"9223372036854775808", 0, false},
		{"99999999999999999999", 0, false},
		{"1e3", 0, false},
		{"0x1", 0, false},
		{"12abc", 0, false},
		{"abc", 0, false},
		{"4 2", 0, false},
		{"٤٢", 0, false}, // Arabic-Indic digits are not ours
	} {
		got, err := parseID(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseID(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("parseID(%q) error code %q, want %q", tc.in, models.ErrorCode(err), models.ENOTFOUND)
		}
		if status, _ := classify(nil, err); err != nil && status != http.StatusNotFound {
			t.Errorf("parseID(%q) answers %d, want 404", tc.in, status)
		}
	}
}

// A path always names an id, so an empty one is as unknown as a bad one;
// a form's unreadable id is 0, which the models refuse as naming nothing.
func TestIDParamAndFormID(t *testing.T) {
	e := echo.New()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{{"5", 5, true}, {"", 0, false}, {"-5", 0, false}, {"99999999999999999999", 0, false}} {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		c.SetParamNames("id")
		c.SetParamValues(tc.in)
		got, err := idParam(c, "id")
		if got != tc.want || (err == nil) != tc.ok || err != nil && models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("idParam(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		form := httptest.NewRequest(http.MethodGet, "/?id="+tc.in, nil)
		if got, want := formID(e.NewContext(form, httptest.NewRecorder()), "id"), tc.want; got != want {
			t.Errorf("formID(%q) = %d, want %d", tc.in, got, want)
		}
	}
}
