package handlers

import (
	"encoding/csv"
	"strings"
	"testing"
)

func TestCSVWriterNeutralisesAndQuotes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cell, written string }{
		{"Ada", "Ada"},
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+1+1", "'+1+1"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1+1", "\"'\t=1+1\""},
		{"\r=1+1", "\"'\r=1+1\""},
		{"'quoted", "''quoted"}, // the import strips one apostrophe, giving it back
		{"Semi;=1+1", `"Semi;=1+1"`},
		{"Tab\t=1+1", "\"Tab\t=1+1\""},
		{"Pipe|=1+1", `"Pipe|=1+1"`},
		{"Comma,=1+1", `"Comma,=1+1"`},
		{`Say "hi"`, `"Say ""hi"""`},
		{"two\nlines", "\"two\nlines\""},
		{" edge", `" edge"`},
		{"=cmd|' /C calc'!A0", `"'=cmd|' /C calc'!A0"`},
		// Safe as they are: a sign and digits cannot call anything.
		{"+33612345678", "+33612345678"},
		{"-25", "-25"},
		{"-1.5", "-1.5"},
		{"+33 6 12", "'+33 6 12"},
		{"-1e3", "'-1e3"},
	} {
		for _, comma := range []rune{',', ';', '\t'} {
			var b strings.Builder
			w := newCSVWriter(&b, comma)
			if err := w.Write([]string{c.cell, "x"}); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			written := c.written
			if comma != ',' && c.cell == "Comma,=1+1" {
				written = `"Comma,=1+1"`
			}
			if want := written + string(comma) + "x\n"; b.String() != want {
				t.Errorf("comma %q: %q written as %q, want %q", comma, c.cell, b.String(), want)
			}
			r := csv.NewReader(strings.NewReader(b.String()))
			r.Comma = comma
			rec, err := r.Read()
			if err != nil || len(rec) != 2 || strings.TrimPrefix(rec[0], "'") != strings.TrimPrefix(c.cell, "'") && rec[0] != "'"+c.cell {
				t.Errorf("comma %q: %q reads back as %q, %v", comma, c.cell, rec, err)
			}
		}
	}
}
