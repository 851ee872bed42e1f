package pages

import (
	"fmt"

	"github.com/regularshq/regulars/views/components"
)

// ChurnReport is the churn page's body.
type ChurnReport struct {
	Frame        ReportFrame
	Window       int
	WindowForm   ChurnWindowForm
	Figures      []Figure
	Rate         components.Chart // monthly churn rate, in basis points
	Months       components.Table
	Buckets      components.Chart
	BucketsTable components.Table
	Expansion    components.Table
	Overdue      OverdueList
}

// ChurnWindowForm asks for the inactivity window, keeping the range.
type ChurnWindowForm struct {
	Path, Window string
	Error        string // why Window was refused; "" when it was not
	Keep         []components.Option
}

// OverdueList is a page of the overdue members.
type OverdueList struct {
	Total    string
	Rows     []OverdueRow
	FirstURL string // "" on the first page
	NextURL  string // "" on the last page
	CSVURL   string // every overdue member
}

// OverdueRow is one overdue member, for outreach.
type OverdueRow struct {
	Href, Name, Email, Phone      string
	LastVisit, DaysAway, UsualGap string
	Ratio, Balance                string
}

// The "how this is computed" notes of the churn page, worded as the
// models compute them (models/report_churn.go).

// ChurnRateNote explains the monthly churn rate.
func ChurnRateNote(window int) string {
	return fmt.Sprintf("Of the members active at the start of a month (a purchase in the %d days before its first day), "+
		"the share inactive at its end (no purchase in the %d days up to its last day; for the running month, up to today). "+
		"A purchase counts whether or not it was refunded; purchases without a member do not count. "+
		"Months are those the range touches, in the business's time zone.", window, window)
}

// BucketsNote explains the activity buckets.
func BucketsNote(window int) string {
	return fmt.Sprintf("Every member today, by their last purchase: active within the last %d days (half the window, today included), "+
		"at risk within the last %d, lapsed before that, never bought: no purchase yet. Active and at risk together are "+
		"the members active by the churn definition.", window/2, window)
}

// ExpansionNote explains negative churn and net revenue retention.
const ExpansionNote = "Each month the range touches is compared with the month before it, in the business's time zone. " +
	"Spent the month before: members whose purchases in the month before came to more than nothing, net of refunds (a refund " +
	"counts in the month of its purchase). Bought again: of them, those who spent in this month; spent more: those who spent " +
	"more in this month than in the one before. Moved up: members who entered a higher tier in the month (from no tier, an " +
	"earned or paid tier other than the base one). Net revenue retention is what the members who spent the month before spent " +
	"in this month over what they spent the month before. The running month counts up to today."

// OverdueNote explains the overdue list.
const OverdueNote = "A member is overdue when the days since their last visit are at least twice their usual gap: the median " +
	"number of days between the days they bought on (members with two such days or more). The most recently overdue come " +
	"first. Balance is what they hold in each program, what they would lose if their points expire."
