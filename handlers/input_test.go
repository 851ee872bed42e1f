package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/regularshq/regulars/handlers"
	"github.com/regularshq/regulars/models"
)

// badText is what PostgreSQL cannot store as text: a NUL and bytes that
// are not UTF-8.
var badText = []string{"a\x00b", "Jos\xe9"}

// formFields lists every form field and query parameter the handlers
// read, from their source, so a new field is walked without editing
// this test.
func formFields(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	read := regexp.MustCompile(`(?:FormValue\(|QueryParam\(|formID\(c, |form\.Get\(|form\[)"([a-z_]+)"`)
	var fields []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(src), -1) {
			if m[1] != "_csrf" && !slices.Contains(fields, m[1]) {
				fields = append(fields, m[1])
			}
		}
	}
	slices.Sort(fields)
	if len(fields) < 50 {
		t.Fatalf("found only %d fields in the handlers: %v", len(fields), fields)
	}
	return fields
}

// rowCounts counts the rows of every table.
func (app *testApp) rowCounts() map[string]int64 {
	app.t.Helper()
	counts := map[string]int64{}
	for _, m := range models.Models() {
		counts[fmt.Sprintf("%T", m)] = app.count(m)
	}
	return counts
}

// validForm is a form every handler would accept, with one field bad:
// if the bad value got past decoding, the rest could change something,
// which the row counts would show.
func validForm(fields []string, bad, value, path string) url.Values {
	form := url.Values{
		"name": {"Valid Name"}, "email": {"x@example.com"}, "type": {"points"}, "earn_rate": {"1"},
		"position": {"9"}, "threshold": {"99999"}, "cost": {"10"}, "kind": {"action"}, "points": {"5"},
		"cap": {"once"}, "starts_on": {"2026-01-01"}, "ends_on": {"2026-01-31"}, "multiplier": {"2"},
		"amount": {"5"}, "reason": {"Goodwill"}, "idempotency_key": {"k-" + path}, "role": {"staff"},
		"business_name": {"Shop"}, "currency": {"EUR"}, "time_zone": {"Europe/Paris"}, "password": {testPassword},
	}
	for _, f := range fields {
		if !form.Has(f) {
			form.Set(f, "1")
		}
	}
	form.Set(bad, value)
	return form
}

func expectBadTextRefused(t *testing.T, r *response, what, field string) {
	t.Helper()
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.text(`main`), "“"+field+"”") {
		t.Errorf("%s with bad %s: %d, want 422 naming the field; body:\n%.300s", what, field, r.status, r.text("main"))
	}
}

// Every route, each field in turn, both kinds of bad text: 422 naming the
// field, and nothing written anywhere.
func TestBadTextIsRefusedAtDecoding(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		staffID := app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		ids := app.fixtures(acct, staffID)
		ids["token"] = 1
		fields := formFields(t)
		before := app.rowCounts()
		anonymous := app.client()

		next := 0
		for _, r := range handlers.Routes() {
			if strings.HasSuffix(r.Path, "*") {
				continue // static files
			}
			c := acct.owner
			if r.MinRole == "" {
				c = anonymous
			}
			path := pathFor(t, r, ids)
			for _, bad := range badText {
				field := fields[next%len(fields)]
				next++
				form := validForm(fields, field, bad, path)
				var res *response
				if r.Method == http.MethodGet {
					res = c.get(path + "?" + form.Encode())
				} else {
					res = c.post(path, form)
				}
				expectBadTextRefused(t, res, r.Method+" "+path, field)
			}
		}
		if next < len(fields) {
			t.Fatalf("only %d requests for %d fields", next, len(fields))
		}

		// Each field on its own: signed out at login and sign-up, signed
		// in on a search and a form.
		for _, field := range fields {
			for _, bad := range badText {
				for _, path := range []string{"/login", "/signup"} {
					expectBadTextRefused(t, anonymous.post(path, validForm(fields, field, bad, path)), "POST "+path, field)
				}
				expectBadTextRefused(t, acct.owner.get("/members?"+validForm(fields, field, bad, "").Encode()), "GET /members", field)
				expectBadTextRefused(t, acct.owner.post("/members", validForm(fields, field, bad, "/members")), "POST /members", field)
			}
		}
		// A multipart form is checked too, but not the file it carries.
		res := acct.owner.upload("/members/import", url.Values{"country_code": {"3\x003"}}, "m.csv", []byte("name\nAda\n"))
		expectBadTextRefused(t, res, "upload", "country_code")
		if after := app.rowCounts(); !reflect.DeepEqual(before, after) {
			t.Fatalf("bad text changed rows:\nbefore %v\nafter  %v", before, after)
		}
		res = acct.owner.upload("/members/import", url.Values{}, "m.csv", []byte("name\nA\x00da\n"))
		if res.status != http.StatusSeeOther {
			t.Fatalf("a file with a NUL inside: %d, want it queued (the row is reported); body:\n%.300s", res.status, res.body)
		}
	})
}
