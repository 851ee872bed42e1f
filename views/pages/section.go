package pages

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ProgramCrumb names the program a rewards, rules or campaigns page
// belongs to, for its heading and links.
type ProgramCrumb struct {
	ID       int64
	Name     string
	Unit     string // what the program counts: points, stamps, credit…
	Type     string
	Status   string
	Currency string // the merchant's, for money fields' labels
}

// URL is the program's overview.
func (p ProgramCrumb) URL() string { return fmt.Sprintf("/programs/%d", p.ID) }

// Path is a section of the program, like "rewards", or one item of it.
func (p ProgramCrumb) Path(section string, id ...int64) string {
	path := p.URL() + "/" + section
	for _, i := range id {
		path += fmt.Sprintf("/%d", i)
	}
	return path
}

// UnitTitle is the unit as a label starts: "Points".
func (p ProgramCrumb) UnitTitle() string {
	r, n := utf8.DecodeRuneInString(p.Unit)
	return string(unicode.ToUpper(r)) + p.Unit[n:]
}

// moneyLabel adds the currency to a money field's label.
func (p ProgramCrumb) moneyLabel(label string) string { return label + " (" + p.Currency + ")" }

// orNone shows a placeholder for an empty value.
func orNone(v, none string) string {
	if v == "" {
		return none
	}
	return v
}
