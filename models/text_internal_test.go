package models

import (
	"strings"
	"testing"
	"time"
)

func TestTextProblem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Ada":            "",
		"Tab\tLF\nCR\r":  "",
		"Émilie Ümit 東京": "",
		"a\x00b":         "NUL",
		"Jos\xe9":        "UTF-8",
		"bell\x07":       "control",
		"esc\x1b[31m":    "control",
	} {
		got := TextProblem(in)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("TextProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckNameRefusesControlAndDirectionCharacters(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		"Marie Curie":            true,
		"Ümit Özdemir":           true,
		"محمد":                   true,
		"O'Brien & Sons":         true,
		"a\tb":                   false,
		"line\nbreak":            false,
		"nul\x00":                false,
		"del\x7f":                false,
		"c1\u0085":               false,
		"Jos\xe9":                false,
		"evil\u202Egnp.exe":      false, // RIGHT-TO-LEFT OVERRIDE
		"\u202Aembed":            false,
		"iso\u2066late\u2069":    false,
		"first strong \u2068iso": false,
	} {
		v := Validation{}
		checkName(v, "name", in)
		if (len(v) == 0) != ok {
			t.Errorf("checkName(%q) = %v, want ok %v", in, v, ok)
		}
	}
}

func TestMonthFirst(t *testing.T) {
	t.Parallel()
	for tz, want := range map[string]bool{
		"America/New_York": true, "America/Chicago": true, "America/Denver": true, "America/Phoenix": true,
		"America/Los_Angeles": true, "America/Anchorage": true, "Pacific/Honolulu": true, "US/Eastern": true,
		"America/Indiana/Indianapolis": true, "America/Kentucky/Louisville": true, "America/Boise": true,
		"America/North_Dakota/Center": true, "America/Detroit": true, "America/Puerto_Rico": true,
		"Europe/Paris": false, "Europe/London": false, "America/Toronto": false, "America/Mexico_City": false,
		"America/Sao_Paulo": false, "Asia/Tokyo": false, "UTC": false, "": false,
	} {
		if got := MonthFirst(tz); got != want {
			t.Errorf("MonthFirst(%q) = %v, want %v", tz, got, want)
		}
	}
}

func TestImportDate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in         string
		monthFirst bool
		want, msg  string
	}{
		{"", false, "", ""},
		{"1980-12-31", false, "1980-12-31", ""},
		{"1980-12-31", true, "1980-12-31", ""},
		{"1980-2-3", false, "1980-02-03", ""},
		{"31/12/1980", false, "1980-12-31", ""},
		{"31.12.1980", false, "1980-12-31", ""},
		{"31-12-1980", false, "1980-12-31", ""},
		{"31/12/1980", true, "1980-12-31", ""}, // only one reading is a date
		{"12/31/1980", false, "1980-12-31", ""},
		{"12/31/1980", true, "1980-12-31", ""},
		{"01/02/1980", false, "1980-02-01", ""}, // day first outside the US
		{"01/02/1980", true, "1980-01-02", ""},  // month first in the US
		{"1.2.1980", false, "1980-02-01", ""},
		{"29/02/1980", false, "1980-02-29", ""},
		{"29/02/1981", false, "", "is not a date"},
		{"31/02/1990", false, "", "is not a date"},
		{"13/13/1980", false, "", "is not a date"},
		{"1990-02-31", false, "", "is not a date"},
		{"31/12-1980", false, "", "Write the date like 1980-12-31 or 31/12/1980"},
		{"yesterday", true, "", "Write the date like 1980-12-31 or 12/31/1980"},
		{"31/12/80", false, "", "Write the date like"},
	} {
		got, msg := importDate(c.in, c.monthFirst)
		if got != c.want || c.msg == "" && msg != "" || c.msg != "" && !strings.Contains(msg, c.msg) {
			t.Errorf("importDate(%q, monthFirst %v) = %q, %q; want %q, %q", c.in, c.monthFirst, got, msg, c.want, c.msg)
		}
	}
}

func TestBirthdayMessages(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"1990-02-31": "1990-02-31 does not exist: February 1990 has 28 days.",
		"1992-02-30": "1992-02-30 does not exist: February 1992 has 29 days.",
		"1990-04-31": "1990-04-31 does not exist: April 1990 has 30 days.",
		"1990-13-01": "1990-13-01 does not exist: there is no month 13.",
		"1990-5-17":  "Enter a date like 1990-05-17.",
		"17/05/1990": "Enter a date like 1990-05-17.",
		"2030-01-01": "Enter a past date like 1990-05-17, or leave it empty.",
		"1850-01-01": "Enter a past date like 1990-05-17, or leave it empty.",
		"1990-05-17": "",
	} {
		v := MemberInput{Name: "Ada", Birthday: in}.apply(&Member{}, now)
		if v["birthday"] != want {
			t.Errorf("birthday %q: message %q, want %q", in, v["birthday"], want)
		}
	}
}

func TestNumberMessagesStateTheRealBound(t *testing.T) {
	t.Parallel()
	cost := func(s string) string {
		v := Validation{}
		numberField(v, "cost", s, 1, maxUnits, "Enter a cost of 1 or more.")
		return v["cost"]
	}
	for in, want := range map[string]string{
		"9999999999999999999":  "Enter a whole number from 1 to 100,000,000.",
		"-9999999999999999999": "Enter a cost of 1 or more.",
		"100000001":            "Enter a whole number from 1 to 100,000,000.",
		"0":                    "Enter a cost of 1 or more.",
		"-1":                   "Enter a cost of 1 or more.",
		"abc":                  "Enter a cost of 1 or more.",
		"1.5":                  "Enter a cost of 1 or more.",
		"100000000":            "",
	} {
		if got := cost(in); got != want {
			t.Errorf("cost %q: %q, want %q", in, got, want)
		}
	}
	// A message that already states the bound is kept.
	v := Validation{}
	numberField(v, "months", "99999999999999999999", 1, 120, "Enter 1 to 120 months.")
	if v["months"] != "Enter 1 to 120 months." {
		t.Errorf("months message = %q", v["months"])
	}
	v = Validation{}
	numberField(v, "amount", "-100000001", -maxUnits, maxUnits, "Enter a whole number: positive to credit, negative to debit.")
	if v["amount"] != "Enter a whole number from -100,000,000 to 100,000,000." {
		t.Errorf("adjustment message = %q", v["amount"])
	}
	money := func(s, currency string) string {
		v := Validation{}
		moneyField(v, "amount", s, currency, maxMoneyMinor)
		return v["amount"]
	}
	for _, c := range []struct{ in, currency, want string }{
		{"99999999999999999999.99", "EUR", "Enter a number from 0 to 1,000,000,000."},
		{"1000000000.01", "EUR", "Enter a number from 0 to 1,000,000,000."},
		{"100000000001", "JPY", "Enter a whole number from 0 to 100,000,000,000."},
		{"12.505", "EUR", "Enter an amount like 12.50, or 0."},
		{"x", "EUR", "Enter an amount like 12.50, or 0."},
		{"1000000000", "EUR", ""},
	} {
		if got := money(c.in, c.currency); got != c.want {
			t.Errorf("money %q %s: %q, want %q", c.in, c.currency, got, c.want)
		}
	}
	v = Validation{}
	decimalField(v, "percent", "1000", 2, 1, 10_000, "Enter a percentage above 0 and at most 100.")
	if v["percent"] != "Enter a percentage above 0 and at most 100." {
		t.Errorf("percent message = %q", v["percent"])
	}
	v = Validation{}
	decimalField(v, "m", "99999999999999999999", 3, 1000, maxMultiplier, "Enter a multiplier like 1.5.")
	if v["m"] != "Enter a number from 1 to 10." {
		t.Errorf("multiplier message = %q", v["m"])
	}
}
