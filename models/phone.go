package models

import "strings"

// FormatPhone writes a stored phone (NormalisePhone's digits with their
// country code) for people to read: 33612345678 is "+33 6 12 34 56 78".
// The country code is told by callingCodeLength; the rest is
// grouped as that country writes it where we know, else in threes.
func FormatPhone(digits string) string {
	if digits == "" {
		return ""
	}
	cc := callingCodeLength(digits)
	if cc >= len(digits) {
		return "+" + digits
	}
	country, rest := digits[:cc], digits[cc:]
	var groups []int
	switch country {
	case "1": // North America: 415 555 0100
		groups = []int{3, 3}
	case "33", "32", "352": // France, Belgium, Luxembourg: 6 12 34 56 78
		groups = []int{1, 2, 2, 2, 2}
	case "44": // United Kingdom: 7700 900123
		groups = []int{4}
	case "49", "43", "41": // Germany, Austria, Switzerland: 151 23456789
		groups = []int{3}
	case "34", "39", "351": // Spain, Italy, Portugal: 612 345 678
		groups = []int{3, 3}
	case "31": // the Netherlands: 6 12345678
		groups = []int{1}
	}
	if groups == nil {
		for n := len(rest); n > 4; n -= 3 {
			groups = append(groups, 3)
		}
	}
	parts := []string{"+" + country}
	for _, g := range groups {
		if len(rest) <= g {
			break
		}
		parts, rest = append(parts, rest[:g]), rest[g:]
	}
	return strings.Join(append(parts, rest), " ")
}
