package pages

import "github.com/regularshq/regulars/views/components"

// ImportFields is the import form as chosen.
type ImportFields struct {
	ProgramID   string
	CountryCode string
}

// HistoryFields is the purchase history form as chosen.
type HistoryFields struct {
	ProgramID string
	Earn      bool
}

// HistoryForm is the upload of past purchases, beside the member import.
type HistoryForm struct {
	Fields      HistoryFields
	Errors      components.Errors
	Message     string
	Programs    []components.Option // the merchant's active programs, the default chosen
	TemplateURL string
}

// ImportData is the import page: the upload forms (members, then their
// purchase history), what a file may hold, and the latest imports.
type ImportData struct {
	Fields      ImportFields
	Errors      components.Errors
	Message     string
	Programs    []components.Option // where the balance column goes; the first is "no balances"
	MaxRows     int
	MaxMB       int
	TemplateURL string
	History     HistoryForm
	Recent      []ImportSummary
}

// ImportSummary is one import in the list of the latest.
type ImportSummary struct {
	URL        string
	FileName   string
	Status     string // queued, running, done, failed
	History    bool   // a file of past purchases, not of members
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
	Unit         string // of the opening balances or the points history earned; empty when none
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
