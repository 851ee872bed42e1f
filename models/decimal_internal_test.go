package models

import (
	"math"
	"testing"
)

func TestParseDecimalAccepts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    string
		scale int
		want  int64
	}{
		{"1", 2, 100},
		{"0.5", 2, 50},
		{"2.25", 2, 225},
		{"2,25", 2, 225}, // a decimal comma
		{".5", 2, 50},    // no whole part
		{"5.", 2, 500},   // a trailing point with no decimals
		{"5.", 0, 5},
		{" 2.5 ", 2, 250}, // surrounding spaces
		{"0", 2, 0},
		{"000", 2, 0},
		{"0.00", 2, 0},
		{".0", 2, 0},
		{"007", 2, 700},
		{"0.01", 2, 1},
		{"12.345", 3, 12345},
		{"1.25", 3, 1250},
		{"1234", 0, 1234},
		{"0000000000000000000000001", 0, 1}, // leading zeros do not count toward overflow
		{"9223372036854775", 0, math.MaxInt64 / 1000},  // the largest value with headroom
		{"92233720368547.75", 2, math.MaxInt64 / 1000}, // the same, scaled
		{"100000000000", 0, 100_000_000_000},           // maxMoneyMinor
		{"1000000000.00", 2, 100_000_000_000},          // maxMoneyMinor in EUR
		{"0.00001", 5, 1},                              // a point value in thousandths of a cent
		{"1000", 2, 100_000},                           // maxRateHundred
		{"10", 3, 10_000},                              // maxMultiplier
		{"1.5", 4, 15000},                              // fewer decimals than the scale
		{"9999999999999", 2, 999_999_999_999_900},      // fits with headroom
		{"3.14159", 5, 314159},                         // up to the scale
		{"1000000000000000", 0, 1_000_000_000_000_000}, // 10^15
	}
	for _, c := range cases {
		got, ok := parseDecimal(c.in, c.scale)
		if !ok || got != c.want {
			t.Errorf("parseDecimal(%q, %d) = %d, %v; want %d, true", c.in, c.scale, got, ok, c.want)
		}
	}
}

func TestParseDecimalRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    string
		scale int
	}{
		{"-1", 2},
		{"+1", 2},
		{"-0.5", 2},
		{"1e3", 2},
		{"1E3", 2},
		{"1.234", 2}, // more decimals than the scale
		{"1.0", 0},   // any decimal at scale 0, even a zero
		{"12.50", 0},
		{"", 2},
		{"   ", 2},
		{".", 2},
		{",", 2},
		{"abc", 2},
		{"1.2.3", 3},
		{"1,000.50", 2}, // a thousands separator becomes a second point
		{"1 000", 2},
		{"1_000", 2},
		{"0x10", 2},
		{"١٢", 2}, // digits of another script
		{"１", 2},  // a full-width digit
		{"NaN", 2},
		{"Inf", 2},
		{"9223372036854776", 0},    // one above MaxInt64/1000
		{"92233720368547.76", 2},   // the same, scaled
		{"9223372036854775807", 0}, // MaxInt64 leaves no headroom
		{"99999999999999999999", 0},
		{"99999999999999", 2}, // 9,999,999,999,999,900 leaves no headroom
		{"100000000000000000000000", 2},
	}
	for _, c := range cases {
		if got, ok := parseDecimal(c.in, c.scale); ok {
			t.Errorf("parseDecimal(%q, %d) = %d, true; want refused", c.in, c.scale, got)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v     int64
		scale int
		want  string
	}{
		{225, 2, "2.25"},
		{100, 2, "1"},
		{50, 2, "0.5"},
		{5, 2, "0.05"},
		{0, 2, "0"},
		{-50, 2, "-0.5"},
		{-225, 2, "-2.25"},
		{1250, 3, "1.25"},
		{1, 3, "0.001"},
		{10_000, 3, "10"},
		{7, 0, "7"},
		{0, 0, "0"},
		{100_000, 2, "1000"},
		{10, 5, "0.0001"},
		{math.MaxInt64 / 1000, 2, "92233720368547.75"},
	}
	for _, c := range cases {
		if got := formatDecimal(c.v, c.scale); got != c.want {
			t.Errorf("formatDecimal(%d, %d) = %q, want %q", c.v, c.scale, got, c.want)
		}
		if got := FormatRate(c.v, c.scale); got != c.want {
			t.Errorf("FormatRate(%d, %d) = %q, want %q", c.v, c.scale, got, c.want)
		}
	}
}

// Whatever a form shows, it reads back as the same number.
func TestFormatDecimalRoundTrips(t *testing.T) {
	t.Parallel()
	values := []int64{0, 1, 5, 9, 10, 11, 99, 100, 101, 125, 999, 1000, 1001, 1250, 12345, 100_000, 99_999_999, 100_000_000_000, math.MaxInt64 / 1000}
	for scale := 0; scale <= 5; scale++ {
		for _, v := range values {
			s := formatDecimal(v, scale)
			got, ok := parseDecimal(s, scale)
			if !ok || got != v {
				t.Errorf("parseDecimal(formatDecimal(%d, %d) = %q) = %d, %v; want %d", v, scale, s, got, ok, v)
			}
		}
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		minor    int64
		currency string
		want     string
	}{
		{1250, "EUR", "12.50"},
		{1200, "EUR", "12.00"},
		{1205, "EUR", "12.05"},
		{5, "EUR", "0.05"},
		{50, "EUR", "0.50"},
		{0, "EUR", "0.00"},
		{-1250, "EUR", "-12.50"},
		{-5, "EUR", "-0.05"},
		{100_000_000_000, "EUR", "1000000000.00"},
		{500, "JPY", "500"},
		{0, "JPY", "0"},
		{-500, "JPY", "-500"},
		{1234, "BHD", "1.234"},
		{1000, "BHD", "1.000"},
		{1230, "BHD", "1.230"},
		{1, "BHD", "0.001"},
		{1250, " eur ", "12.50"}, // codes are looked up loosely
	}
	for _, c := range cases {
		if got := FormatMoney(c.minor, c.currency); got != c.want {
			t.Errorf("FormatMoney(%d, %q) = %q, want %q", c.minor, c.currency, got, c.want)
		}
	}
}

// A money form field shows FormatMoney and reads it back with the
// currency's minor digits.
func TestFormatMoneyRoundTrips(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"EUR", "JPY", "BHD", "USD", "KWD", "CLP"} {
		c, ok := LookupCurrency(code)
		if !ok {
			t.Fatalf("currency %s unknown", code)
		}
		for _, minor := range []int64{0, 1, 9, 10, 99, 100, 101, 1234, 1250, 100_000, 100_000_000_000} {
			s := FormatMoney(minor, code)
			v := Validation{}
			got := moneyField(v, "amount", s, code, maxMoneyMinor)
			if len(v) != 0 || got != minor {
				t.Errorf("moneyField(FormatMoney(%d, %s) = %q) = %d, %v; want %d", minor, code, s, got, v, minor)
			}
			if p, ok := parseDecimal(s, c.MinorDigits); !ok || p != minor {
				t.Errorf("parseDecimal(%q, %d) = %d, %v; want %d", s, c.MinorDigits, p, ok, minor)
			}
		}
	}
}

func TestMoneyField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"12.50", "EUR", 1250, true},
		{"12,5", "EUR", 1250, true},
		{"", "EUR", 0, true}, // empty is 0
		{"  ", "EUR", 0, true},
		{"12.505", "EUR", 0, false},
		{"12.50", "JPY", 0, false}, // yen have no minor unit
		{"1250", "JPY", 1250, true},
		{"1.234", "BHD", 1234, true},
		{"1.2345", "BHD", 0, false},
		{"-1", "EUR", 0, false},
		{"1000000000.00", "EUR", 100_000_000_000, true},
		{"1000000000.01", "EUR", 0, false}, // above the cap
	}
	for _, c := range cases {
		v := Validation{}
		got := moneyField(v, "amount", c.in, c.currency, maxMoneyMinor)
		if ok := len(v) == 0; ok != c.ok || (ok && got != c.want) {
			t.Errorf("moneyField(%q, %s) = %d, errors %v; want %d, ok %v", c.in, c.currency, got, v, c.want, c.ok)
		}
	}
	v := Validation{}
	moneyField(v, "fee", "1.5", "JPY", maxMoneyMinor)
	if v["fee"] != "Enter a whole amount, or 0." {
		t.Errorf("JPY message = %q, want the whole-amount message", v["fee"])
	}
	v = Validation{}
	moneyField(v, "fee", "x", "EUR", maxMoneyMinor)
	if v["fee"] != "Enter an amount like 12.50, or 0." {
		t.Errorf("EUR message = %q, want the 12.50 example", v["fee"])
	}
}

func TestNumberAndDecimalFields(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5", 5, true}, {" 5 ", 5, true}, {"", 0, false}, {"1", 1, true}, {"100", 100, true},
		{"0", 0, false}, {"101", 0, false}, {"1.5", 0, false}, {"-3", 0, false}, {"abc", 0, false},
		{"99999999999999999999", 0, false},
	} {
		v := Validation{}
		got := numberField(v, "n", c.in, 1, 100, "msg")
		if ok := len(v) == 0; ok != c.ok || (ok && got != c.want) {
			t.Errorf("numberField(%q, 1..100) = %d, %v; want %d, ok %v", c.in, got, v, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 1000, true}, {"1.25", 1250, true}, {"10", 10_000, true}, {"", 0, false},
		{"0.999", 0, false}, {"10.001", 0, false}, {"1.2345", 0, false},
	} {
		v := Validation{}
		got := decimalField(v, "m", c.in, 3, 1000, 10_000, "msg")
		if ok := len(v) == 0; ok != c.ok || (ok && got != c.want) {
			t.Errorf("decimalField(%q, scale 3, 1..10) = %d, %v; want %d, ok %v", c.in, got, v, c.want, c.ok)
		}
	}
	if maxMoneyMinor != 100_000_000_000 {
		t.Errorf("maxMoneyMinor = %d, the earn overflow test assumes 100000000000", maxMoneyMinor)
	}
}
