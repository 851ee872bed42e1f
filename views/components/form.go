// Package components holds the small pieces pages are built from.
package components

// Errors maps a form field's name to the message shown beside it.
type Errors map[string]string

// Input describes one labelled form input.
type Input struct {
	Label        string
	Name         string
	Type         string // text when empty
	Value        string
	Error        string
	Hint         string
	Autocomplete string
	Required     bool
	Autofocus    bool
	List         string // id of a datalist
	Detect       string // "timezone" fills the browser's zone when empty
}

func (in Input) inputType() string {
	if in.Type == "" {
		return "text"
	}
	return in.Type
}

func (in Input) id() string { return "f-" + in.Name }

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Select describes one labelled select.
type Select struct {
	Label    string
	Name     string
	Options  []Option
	Selected string
	Error    string
	Hint     string
}

func (s Select) id() string { return "f-" + s.Name }
