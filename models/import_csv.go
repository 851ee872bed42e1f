package models

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// MaxImportBytes and MaxImportRows bound one upload; a bigger file is
	// split into several.
	MaxImportBytes = 32 << 20
	MaxImportRows  = 200_000
)

// importFormat is what one kind of import reads from a file: the column
// names people use for each field, matched lower-cased with _ and - read
// as spaces, and the order a row's messages are told in.
type importFormat struct {
	columns map[string]string
	order   []string
	// missing says which required column a layout lacks; "" when none.
	missing func(l *importLayout) string
}

// importLayout is how to read one uploaded file.
type importLayout struct {
	delimiter rune
	header    []string
	columns   map[string]int // field → column index
	ignored   []string       // header names nothing reads
}

func (l *importLayout) has(field string) bool {
	_, ok := l.columns[field]
	return ok
}

// readImportLayout reads the header of a file and finds its columns.
func readImportLayout(content []byte, f importFormat) (*importLayout, error) {
	first := firstLine(content)
	l := &importLayout{delimiter: ',', columns: map[string]int{}}
	// Spreadsheets in much of Europe write semicolons; tabs come from
	// copying cells.
	best := bytes.Count(first, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(d))); n > best {
			l.delimiter, best = d, n
		}
	}
	r := l.reader(content)
	header, err := r.Read()
	if err != nil {
		return nil, fieldError("file", "The first line must name the columns, like name,email,phone.")
	}
	l.header = header
	for i, h := range header {
		h = importCell(h)
		name := strings.ToLower(strings.Join(strings.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), " "))
		field, known := f.columns[name]
		if _, taken := l.columns[field]; !known || taken {
			if strings.TrimSpace(h) != "" {
				l.ignored = append(l.ignored, strings.TrimSpace(h))
			}
			continue
		}
		l.columns[field] = i
	}
	if msg := f.missing(l); msg != "" {
		return nil, fieldError("file", msg)
	}
	return l, nil
}

func firstLine(content []byte) []byte {
	first, _, _ := bytes.Cut(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")), []byte("\n"))
	return first
}

// importCell is a cell as the import reads it: trimmed, and without the
// apostrophe our CSV files put before a cell a spreadsheet would take
// for a formula, so the rows-to-fix file and exports upload as they are.
func importCell(s string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "'"))
}

func (l *importLayout) reader(content []byte) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")))) // Excel's "CSV UTF-8" starts with a BOM
	r.Comma = l.delimiter
	r.FieldsPerRecord = -1 // a short row is read and reported, not fatal
	return r
}

// cell is a row's value of a field; "" when the file has no such column.
func (l *importLayout) cell(rec []string, field string) string {
	if i, ok := l.columns[field]; ok && i < len(rec) {
		return importCell(rec[i])
	}
	return ""
}

// textIssue refuses a row the layout cannot read: more cells than
// columns, or a cell that is not text.
func (l *importLayout) textIssue(rec []string) *ImportIssue {
	if len(rec) > len(l.header) {
		return rowError(fmt.Sprintf("This row has %d cells but the first line names %d columns.", len(rec), len(l.header)))
	}
	for i, c := range rec {
		if p := TextProblem(c); p != "" {
			return rowError(fmt.Sprintf("The cell under %q %s; if many rows are like this, save the file as “CSV UTF-8”.", strings.ToValidUTF8(l.header[i], "?"), p))
		}
	}
	return nil
}

// readUpload checks an uploaded file as a whole: what it is, its columns
// and its rows, counted now so the progress bar knows its end. A file it
// cannot read whole is refused rather than imported by half.
func readUpload(content []byte, f importFormat, what string) (*importLayout, int64, error) {
	v := Validation{}
	switch {
	case len(content) == 0:
		v.Check(false, "file", "Choose a CSV file to import.")
	case len(content) > MaxImportBytes:
		v.Check(false, "file", fmt.Sprintf("The file is over %d MB; split it into smaller files.", MaxImportBytes>>20))
	case TextProblem(string(firstLine(content))) != "":
		// A bad row is that row's issue; a bad header spoils every row.
		v.Check(false, "file", "The first line is not UTF-8 text. In your spreadsheet, save the file as “CSV UTF-8”.")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	layout, err := readImportLayout(content, f)
	if err != nil {
		return nil, 0, err
	}
	rows, err := layout.countRows(content)
	if err != nil {
		return nil, 0, err
	}
	v.Check(rows > 0, "file", "The file names its columns but has no "+what+" below them.")
	v.Check(rows <= MaxImportRows, "file", fmt.Sprintf("The file has %d rows; import at most %d at a time.", rows, MaxImportRows))
	return layout, rows, v.Err()
}

func importFileName(name, fallback string) string {
	name = strings.TrimSpace(name[strings.LastIndexAny(name, `/\`)+1:])
	if name == "" {
		return fallback
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return name
}

// countRows reads the whole file once, so a broken one is refused at
// upload with the line to look at.
func (l *importLayout) countRows(content []byte) (int64, error) {
	r := l.reader(content)
	if _, err := r.Read(); err != nil {
		return 0, fmt.Errorf("import: header: %w", err)
	}
	var rows int64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return 0, fieldError("file", fmt.Sprintf("Line %d cannot be read as CSV: check its quotation marks (a quote inside a cell is written twice, \"\").", line))
		}
		if !blankRecord(rec) {
			rows++
		}
		if rows > MaxImportRows {
			return rows, nil
		}
	}
}

// blankRecord is an empty line or a row of empty cells, as spreadsheets
// leave at the end of a file; it is not a row to import.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func encodeRecord(rec []string, delimiter rune) (string, error) {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Comma = delimiter
	if err := w.Write(rec); err != nil {
		return "", fmt.Errorf("import: encode row: %w", err)
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n"), w.Error()
}

func rowError(msg string) *ImportIssue { return &ImportIssue{Kind: IssueError, Message: msg} }

// fieldSentence puts a row's field messages in one line, each after the
// column it is about, in the format's order.
func (f importFormat) fieldSentence(fields map[string]string) string {
	var parts []string
	for _, name := range f.order {
		if msg, ok := fields[name]; ok {
			label := strings.ReplaceAll(name, "_", " ")
			parts = append(parts, strings.ToUpper(label[:1])+label[1:]+": "+msg)
		}
	}
	return strings.Join(parts, " ")
}

// importTimeLayouts are the ISO forms a moment is written in, most
// specific first; fractional seconds are read after any of them.
var importTimeLayouts = []string{
	"2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00",
	"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04",
}

// Dates an import takes: none before 1970, none in the future.
var importEpoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// readMoment reads when something happened: an ISO date (the start of
// that day) or date and time, in loc unless it carries its own offset.
func readMoment(s string, loc *time.Location) (time.Time, string) {
	const example = "Write the date like 2024-03-31, or with the time like 2024-03-31 14:30."
	if d, err := time.Parse(dateLayout, s); err == nil {
		t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		// Where a clock change skips midnight, the day starts at the
		// first moment it has.
		for t.Day() != d.Day() {
			t = t.Add(time.Hour)
		}
		return t, ""
	}
	for _, l := range importTimeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, ""
		}
	}
	if len(s) >= len(dateLayout) {
		if p := dateProblem(s[:len(dateLayout)]); p != "" && !strings.HasPrefix(p, "Enter") {
			return time.Time{}, p // a day that is not in the calendar, said so
		}
	}
	return time.Time{}, example
}

// checkMoment refuses a moment before 1970 or after now (a few minutes
// of clock drift allowed, as at the till).
func checkMoment(t, now time.Time) string {
	switch {
	case t.Before(importEpoch):
		return "Dates before 1970 cannot be imported."
	case t.After(now.Add(5 * time.Minute)):
		return "The date is in the future."
	}
	return ""
}
