package pages

import (
	"math"
	"strconv"

	"github.com/regularshq/regulars/views/components"
)

// EngagementView is the engagement report of one program.
type EngagementView struct {
	Frame   ReportFrame
	Program string
	Figures []Figure
	// Each section: a chart, its table (also its CSV) and how it is
	// computed.
	Activity, Points, EarningRate EngagementSection
	Rules                         LinkedTable // the first cell opens a rule's weeks
	Rule                          *EngagementSection
	Referrals                     LinkedTable
	Adjustments                   EngagementSection
	Recognition                   *RecognitionUseView // nil while recognition is off
	NearTier, NearReward          GoalListView
	Programs                      []ProgramChoice
	Goals                         GoalForm
}

// GoalForm asks how near a goal a member must be to be listed; Keep are
// the page's other parameters, kept as hidden fields.
type GoalForm struct {
	Path                          string
	TierWithin, RewardWithin, Max string
	Keep                          []components.Option
}

// EngagementSection is a table of the page with its chart (nil for none).
type EngagementSection struct {
	Name    string // its CSV table
	Heading string
	Note    string
	Chart   *components.Chart
	Line    bool // the chart is a line, else bars
	Table   components.Table
}

// RecognitionUseView is recognition's participation: its figures and
// the pairs trading points back and forth.
type RecognitionUseView struct {
	Figures []Figure
	Pairs   EngagementSection
}

// LinkedTable is a table of the page whose rows may link somewhere from
// their first cell (components.Table.Links): a rule's weeks, a member's
// page.
type LinkedTable struct {
	Name    string // its CSV table
	Heading string
	Note    string
	Table   components.Table
}

// GoalListView is a goal-gradient list: a page of members near a goal.
type GoalListView struct {
	LinkedTable
	Unavailable string // why there is no list
	Summary     string // "12 members within 20 points, nearest first"
	Page        string // "Page 1 of 3"
	PrevURL     string
	NextURL     string
}

// Ratio writes n ÷ d with two decimals, "–" when d is 0.
func Ratio(n, d int64) string {
	if d == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(n)/float64(d), 'f', 2, 64)
}

// Share writes n ÷ d as a percentage with one decimal, "–" when d is 0.
func Share(n, d int64) string {
	if d == 0 {
		return "–"
	}
	return components.FormatBasisPoints(ShareBasisPoints(n, d))
}

// ShareBasisPoints is n ÷ d in basis points, rounded; 0 when d is 0.
func ShareBasisPoints(n, d int64) int64 {
	if d == 0 {
		return 0
	}
	return int64(math.Round(float64(n) * 10000 / float64(d)))
}
