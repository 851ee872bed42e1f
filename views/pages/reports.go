package pages

import (
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/regularshq/regulars/views/components"
)

// ReportFrame is what every report page shares: the section's tabs, the
// range form, the time zone, the print header and the CSV links.
type ReportFrame struct {
	Title        string // the page's name, "Dashboard"
	Tab          string // its entry in ReportTabs
	Path         string // where the range form and the CSV links go
	BusinessName string
	TimeZone     string
	Range        RangeForm
	// Query is the page's address parameters: the range and the page's
	// own (program=…). The tabs keep the range; the range form (as hidden
	// fields), With and the CSV links keep them all.
	Query url.Values
	// Error says what is wrong with the address (a bad date); it is shown
	// instead of the report.
	Error string
}

// RangeForm is the date range as the form shows it.
type RangeForm struct {
	Preset  string // the chosen preset, "" for custom dates
	From    string // YYYY-MM-DD, both ends included
	To      string
	Label   string // "1 Nov 2026 – 30 Nov 2026", for the heading and print
	Presets []components.Option
}

// ReportTabs lists the report pages; active is the TestID of the current
// one.
func ReportTabs(active string, rangeQuery url.Values) []components.Tab {
	tabs := []components.Tab{
		{Label: "Dashboard", Href: "/reports", TestID: "dashboard"},
		{Label: "Churn", Href: "/reports/churn", TestID: "churn"},
		{Label: "Retention", Href: "/reports/retention", TestID: "retention"},
		{Label: "Engagement", Href: "/reports/engagement", TestID: "engagement"},
		{Label: "Economics", Href: "/reports/economics", TestID: "economics"},
	}
	if q := rangeQuery.Encode(); q != "" {
		for i := range tabs {
			tabs[i].Href += "?" + q
		}
	}
	for i := range tabs {
		tabs[i].Active = tabs[i].TestID == active
	}
	return tabs
}

// rangeKeys are the parameters that say the range, which every report
// page shares.
var rangeKeys = []string{"range", "from", "to"}

func rangeOnly(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range rangeKeys {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// pageParams are the page's own parameters, which the range form keeps as
// hidden fields.
func (f ReportFrame) pageParams() []components.Option {
	var out []components.Option
	for k := range f.Query {
		if !slices.Contains(rangeKeys, k) {
			out = append(out, components.Option{Value: f.Query.Get(k), Label: k})
		}
	}
	slices.SortFunc(out, func(a, b components.Option) int { return strings.Compare(a.Label, b.Label) })
	return out
}

// With is the address of the page with the same range and parameters but
// key set to value ("" removes it): a program choice, a window.
func (f ReportFrame) With(pairs ...string) string {
	q := url.Values{}
	for k, v := range f.Query {
		q[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			q.Del(pairs[i])
		} else {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	return f.Path + "?" + q.Encode()
}

// CSVURL is the address of a table of the page as CSV: the same range and
// parameters, with format=csv&table=name.
func (f ReportFrame) CSVURL(table string) string { return f.With("format", "csv", "table", table) }

// Figure is one number of a report: its value, its change against the
// previous period and how it is computed.
type Figure struct {
	Label  string
	Value  string
	Change string // "+12% vs previous 30 days"; empty when there is nothing to compare
	Trend  string // up, down or flat: the change's direction, for its arrow
	Note   string // how this is computed, as computed
	TestID string
	Chart  templ.Component // a small trend chart; nil for none
}
