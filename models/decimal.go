package models

import (
	"math"
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

// numberField validates a whole number between min and max.
func numberField(v Validation, field, s string, min, max int64, msg string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "0"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	v.Check(err == nil && n >= min && n <= max, field, msg)
	return n
}

// decimalField validates a decimal with up to scale decimals between min
// and max (both scaled).
func decimalField(v Validation, field, s string, scale int, min, max int64, msg string) int64 {
	if strings.TrimSpace(s) == "" {
		s = "0"
	}
	n, ok := parseDecimal(s, scale)
	v.Check(ok && n >= min && n <= max, field, msg)
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
