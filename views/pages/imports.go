package pages

import "github.com/regularshq/regulars/views/components"

// ImportFields is the import form as chosen.
type ImportFields struct {
	ProgramID   string
	CountryCode string
}

// ImportData is the import page: the upload form, what the file may hold,
// and the latest imports.
type ImportData struct {
	Fields      ImportFields
	Errors      components.Errors
	Message     string
	Programs    []components.Option // where the balance column goes; the first is "no balances"
	MaxRows     int
	MaxMB       int
	TemplateURL string
	Recent      []ImportSummary
}

// ImportSummary is one import in the list of the latest.
type ImportSummary struct {
	URL        string
	FileName   string
	Status     string // queued, running, done, failed
	Who        string
	When       string
	Percent    int
	Created    int64
	Duplicates int64
	Errors     int64
}

// ImportProgressData is one import: its progress while it runs, then
// what it did and the rows it left out.
type ImportProgressData struct {
	ImportSummary
	Finished     bool
	Processed    int64
	Total        int64
	OpeningTotal int64
	Unit         string // of the opening balances; empty when the file had none
	Failure      string
	Ignored      []string // columns nothing read
	Issues       []ImportIssueRow
	MoreURL      string // the next page of issues, when there is one
	ErrorsCSVURL string // the rows with errors, to fix and upload again
}

// ImportIssueRow is a row the import left out, and why.
type ImportIssueRow struct {
	Line      int64
	Duplicate bool
	Message   string
	Raw       string
}
