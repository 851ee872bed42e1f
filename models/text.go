package models

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextProblem says what in s no text column may hold, or "" when nothing
// does: invalid UTF-8 and NUL are refused by PostgreSQL (SQLite would
// store them), and the other C0 controls but TAB, LF and CR are never
// typed by a person.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			if r == 0 {
				return "contains a NUL character"
			}
			return "contains a control character"
		}
	}
	return ""
}

// bidiControl is the direction overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which make a name display as something else than it is.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// checkName refuses invalid UTF-8, control characters (NUL, TAB and line
// breaks included) and direction overrides in a name: names are shown in
// lists, receipts and exports, where these hide or disguise what was
// typed. Every kind of name (member, user, business, program, tier,
// reward, rule, campaign, tag) is checked here.
func checkName(v Validation, field, name string) {
	if !utf8.ValidString(name) {
		v.Check(false, field, "Use valid UTF-8 text.")
		return
	}
	v.Check(strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || bidiControl(r) }) < 0,
		field, "Remove the control or text-direction characters.")
}

// storableText turns s into text every dialect stores, for keeping what
// was uploaded (a row to fix) rather than refusing it: invalid bytes and
// NULs become U+FFFD.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
