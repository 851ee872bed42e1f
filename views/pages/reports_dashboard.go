package pages

import "github.com/regularshq/regulars/views/components"

// DashboardReportData is the report dashboard's body.
type DashboardReportData struct {
	Compare  string // what the changes compare with
	Programs []ProgramChoice
	// Program names the program of the points figures; "" when the
	// merchant has none yet.
	Program      string
	CanCreate    bool // an owner, who can create the first program
	Groups       []FigureGroup
	RevenueChart components.Chart
	Tiers        components.Table
	Rewards      components.Table
	Figures      components.Table
	Trend        components.Table
	Notes        DashboardNotes
}

// DashboardNotes say how the tables are computed.
type DashboardNotes struct{ Tiers, Rewards, Trend string }

// FigureGroup is a row of figures under a heading.
type FigureGroup struct {
	Title   string
	TestID  string
	Figures []Figure
}

// ProgramChoice is a link to the dashboard for one program.
type ProgramChoice struct {
	Name   string
	URL    string
	Active bool
}
