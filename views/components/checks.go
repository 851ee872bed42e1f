package components

import "slices"

// Check describes one labelled checkbox that posts "on" when ticked.
type Check struct {
	Label   string
	Name    string
	Checked bool
	Error   string
	Hint    string
}

func (ch Check) id() string { return "f-" + ch.Name }

// CheckGroup is a set of checkboxes posting the same name once per ticked
// option, like the days of the week.
type CheckGroup struct {
	Legend  string
	Name    string
	Options []Option
	Checked []string
	Error   string
	Hint    string
}

func (g CheckGroup) id() string { return "f-" + g.Name }

func (g CheckGroup) optionID(o Option) string { return g.id() + "-" + o.Value }

func (g CheckGroup) isChecked(o Option) bool { return slices.Contains(g.Checked, o.Value) }
