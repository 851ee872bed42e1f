package models

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// parseDecimal reads a non-negative decimal like "2.25" or "2,25" as an
// integer scaled by 10^scale (225 for scale 2). It refuses more decimals
// than scale, signs, exponents and anything that would overflow.
func parseDecimal(s string, scale int) (int64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") || len(frac) > scale {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	frac += strings.Repeat("0", scale-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v > math.MaxInt64/1000 { // headroom for the multiplications that follow
		return 0, false
	}
	return v, true
}

// formatDecimal writes v scaled by 10^scale without trailing zeros:
// 225 → "2.25", 100 → "1", 50 → "0.5".
func formatDecimal(v int64, scale int) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	p := int64(math.Pow10(scale))
	whole, frac := v/p, v%p
	if frac == 0 {
		return sign + strconv.FormatInt(whole, 10)
	}
	f := strconv.FormatInt(frac, 10)
	f = strings.Repeat("0", scale-len(f)) + f
	return sign + strconv.FormatInt(whole, 10) + "." + strings.TrimRight(f, "0")
}

// FormatMoney writes minor units in the currency's major unit, like 1250
// EUR → "12.50".
func FormatMoney(minor int64, currency string) string {
	c, _ := LookupCurrency(currency)
	if c.MinorDigits == 0 {
		return strconv.FormatInt(minor, 10)
	}
	s := formatDecimal(minor, c.MinorDigits)
	whole, frac, _ := strings.Cut(s, ".")
	return whole + "." + frac + strings.Repeat("0", c.MinorDigits-len(frac))
}

// FormatRate writes a value stored in hundredths, thousandths or basis
// points for a form: FormatRate(1250, 3) is "1.25".
func FormatRate(v int64, scale int) string { return formatDecimal(v, scale) }

// numberText is a number as typed, whatever its size.
var numberText = regexp.MustCompile(`^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$`)

// rangeMessage tells the bounds a number must lie within, scaled by
// 10^scale: "Enter a whole number from 1 to 100,000,000."
func rangeMessage(min, max int64, scale int) string {
	if scale == 0 {
		return fmt.Sprintf("Enter a whole number from %s to %s.", groupThousands(formatDecimal(min, 0)), groupThousands(formatDecimal(max, 0)))
	}
	return fmt.Sprintf("Enter a number from %s to %s.", groupThousands(formatDecimal(min, scale)), groupThousands(formatDecimal(max, scale)))
}

// groupThousands puts commas between the thousands of a number's whole
// part: "-1234567.5" → "-1,234,567.5".
func groupThousands(s string) string {
	sign, s := "", s
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasDot {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// numberField validates a whole number between min and max. A number
// beyond them, however large, is told them; msg is for anything else.
func numberField(v Validation, field, s string, min, max int64, msg string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "0"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n >= min && n <= max {
		return n
	}
	negative := strings.HasPrefix(s, "-")
	if numberText.MatchString(s) && !strings.ContainsAny(s, ".,") && (!negative || min < 0) && (err != nil || n > max || n < min && min < 0) {
		msg = withBounds(msg, min, max, 0)
	}
	v.Check(false, field, msg)
	return n
}

// withBounds is msg for a number beyond max (or a negative min), which
// the messages given for "not a number" or "below 0" do not always bound:
// msg when it states them, else the range.
func withBounds(msg string, min, max int64, scale int) string {
	states := func(b int64) bool {
		s := formatDecimal(b, scale)
		return strings.Contains(msg, s) || strings.Contains(msg, groupThousands(s))
	}
	if states(max) && (min >= 0 || states(min)) {
		return msg
	}
	return rangeMessage(min, max, scale)
}

// decimalField validates a decimal with up to scale decimals between min
// and max (both scaled). A number above max, however large, is told the
// range; msg is for anything else.
func decimalField(v Validation, field, s string, scale int, min, max int64, msg string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "0"
	}
	n, ok := parseDecimal(s, scale)
	if ok && n >= min && n <= max {
		return n
	}
	if _, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", "."), "."); (!ok || n > max) && numberText.MatchString(s) && len(frac) <= scale && !strings.HasPrefix(s, "-") {
		msg = withBounds(msg, min, max, scale)
	}
	v.Check(false, field, msg)
	return n
}

// moneyField validates an amount of money in the merchant's currency and
// returns it in minor units.
func moneyField(v Validation, field, s, currency string, max int64) int64 {
	c, _ := LookupCurrency(currency)
	msg := "Enter an amount like 12.50, or 0."
	if c.MinorDigits == 0 {
		msg = "Enter a whole amount, or 0."
	}
	return decimalField(v, field, s, c.MinorDigits, 0, max, msg)
}
