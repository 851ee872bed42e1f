package handlers

import (
	"bufio"
	"io"
	"regexp"
	"strings"
)

// csvWriter writes every CSV file the app sends (the member export, the
// rows to fix, the import template), so that opening one in a spreadsheet
// never runs anything in it:
//
//   - a cell starting with = + - @ TAB or CR is a formula to Excel,
//     LibreOffice and Google Sheets, so it gets a leading apostrophe,
//     which they show as text and our import strips again; a cell already
//     starting with an apostrophe gets one more, so that stripping one
//     gives it back as it was;
//   - except a sign and digits alone (+33612345678, -25, -1.5): a
//     spreadsheet reads them as a number at worst, which cannot call a
//     function or reach another cell, and phones and negative balances
//     must stay as they are for the import;
//   - a cell holding any separator a spreadsheet may split on (, ; TAB |),
//     a quote, a line break or an edge space is quoted whatever the
//     delimiter, so splitting on another separator than ours cannot leave
//     a formula at the start of a cell.
//
// The header row goes through the same path as every other row.
type csvWriter struct {
	w     *bufio.Writer
	comma rune
}

func newCSVWriter(w io.Writer, comma rune) *csvWriter {
	return &csvWriter{w: bufio.NewWriter(w), comma: comma}
}

// safeSigned is the sign-and-digits form left as it is.
var safeSigned = regexp.MustCompile(`^[+-][0-9]+(\.[0-9]+)?$`)

// neutraliseCell makes s inert as a spreadsheet cell.
func neutraliseCell(s string) string {
	if s == "" || safeSigned.MatchString(s) || !strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return s
	}
	return "'" + s
}

func (w *csvWriter) needsQuotes(s string) bool {
	return s != "" && (strings.ContainsAny(s, ",;\t|\"\r\n") || strings.ContainsRune(s, w.comma) ||
		s[0] == ' ' || s[len(s)-1] == ' ')
}

// Write writes one row.
func (w *csvWriter) Write(row []string) error {
	for i, cell := range row {
		if i > 0 {
			w.w.WriteRune(w.comma)
		}
		cell = neutraliseCell(cell)
		if w.needsQuotes(cell) {
			cell = `"` + strings.ReplaceAll(cell, `"`, `""`) + `"`
		}
		if _, err := w.w.WriteString(cell); err != nil {
			return err
		}
	}
	_, err := w.w.WriteString("\n")
	return err
}

// Flush sends what is buffered.
func (w *csvWriter) Flush() error { return w.w.Flush() }
