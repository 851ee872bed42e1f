package pages

import "github.com/regularshq/regulars/views/components"

// RetentionReport is the retention page's body.
type RetentionReport struct {
	Frame       ReportFrame
	Figures     []Figure
	Cohorts     components.HeatGrid
	CohortTable components.Table
	DropOff     components.Chart // in basis points
	RepeatTable components.Table
}

// The "how this is computed" notes of the retention page, worded as the
// models compute them (models/report_retention.go).

// CohortsNote explains the cohort heat map.
const CohortsNote = "A cohort is the members enrolled in one month (their joining date, imported or not), for every month " +
	"the range touches. Each cell is the share of the cohort with at least one purchase in that month since joining " +
	"(month 0 is the joining month), up to the current month, which is still running. A refunded purchase still counts; " +
	"purchases made before joining (history brought in) are not shown."

// RepeatNote explains the repeat rate and drop-off.
const RepeatNote = "Members who joined in the range (its exact days), by their number of purchases so far, refunded or not. " +
	"Repeat rate: those with 2 purchases or more over those with 1 or more. Drop-off after n: of the members who made n " +
	"purchases, the share who have not made purchase n + 1 yet (recent joiners may still come back)."
