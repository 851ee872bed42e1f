package handlers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// retentionReport is the retention page: monthly cohorts of the members
// who joined in the range, and how many purchases they got to.
func (a *App) retentionReport(c echo.Context) error {
	return a.serveReport(c, "retention", "Retention", func(rq *reportRequest) (reportPage, error) {
		rep, err := models.Retention(rq.DB, rq.Range.From, rq.Range.To, rq.Now)
		if err != nil {
			return reportPage{}, err
		}
		return retentionPage(rq, rep), nil
	})
}

func retentionPage(rq *reportRequest, rep *models.RetentionReport) reportPage {
	d := pages.RetentionReport{Frame: *rq.Frame}
	grid, cohortsCSV := cohortGrid(rep.Cohorts)
	d.Cohorts, d.CohortTable = grid, grid.Table("Cohort")
	r := rep.Repeat
	repeat := "–"
	if rate, ok := r.RepeatRate(); ok {
		repeat = percent(rate)
	}
	d.Figures = []pages.Figure{
		{Label: "Joined in the range", Value: components.FormatCount(r.Members()), TestID: "joined",
			Note: "Members whose enrolment date is in the range."},
		{Label: "Bought at least once", Value: components.FormatCount(r.AtLeast(1)), TestID: "buyers",
			Note: "Of them, members with one purchase or more so far."},
		{Label: "Repeat rate", Value: repeat, TestID: "repeat-rate",
			Note: "Of those who bought, the share with 2 purchases or more."},
	}
	d.DropOff = components.Chart{ID: "repeat-drop-off", Title: "Repeat drop-off",
		Desc:   "Of the members who made n purchases, the share who never made the next one, for n from 1 to 5.",
		Format: components.FormatBasisPoints, Series: []components.Series{{Name: "Drop-off"}}}
	d.RepeatTable = components.Table{ID: "repeat-table", Caption: "Repeat drop-off",
		Head: []string{"Purchases made", "Members", "Stopped there", "Drop-off"}}
	repeatCSV := reportTable{Header: []string{"purchases", "members_with_at_least", "members_with_exactly", "drop_off"}}
	for n := 1; n <= models.RepeatDepth; n++ {
		label := fmt.Sprintf("%d → %d", n, n+1)
		bp, _ := basisPoints(r.ByCount[n], r.AtLeast(n))
		d.DropOff.Labels = append(d.DropOff.Labels, label)
		d.DropOff.Series[0].Values = append(d.DropOff.Series[0].Values, bp)
		shown, exact := "–", ""
		if share, ok := r.DropOff(n); ok {
			shown, exact = percent(share), strconv.FormatFloat(share, 'f', 6, 64)
		}
		d.RepeatTable.Rows = append(d.RepeatTable.Rows, []string{
			strconv.Itoa(n), components.FormatCount(r.AtLeast(n)), components.FormatCount(r.ByCount[n]), shown})
		repeatCSV.Rows = append(repeatCSV.Rows, []string{
			strconv.Itoa(n), fmt.Sprint(r.AtLeast(n)), fmt.Sprint(r.ByCount[n]), exact})
	}
	return reportPage{Body: pages.RetentionReportBody(d), Tables: map[string]reportTable{
		"cohorts": cohortsCSV, "repeat": repeatCSV,
	}}
}

// cohortGrid is the heat map of the cohorts (a cohort nobody joined has no
// data) and its CSV, one row per cohort and month since joining.
func cohortGrid(cohorts []models.Cohort) (components.HeatGrid, reportTable) {
	g := components.HeatGrid{ID: "cohorts", Title: "Monthly cohorts",
		Desc: "Share of each month's new members who bought in each month since joining; month 0 is the joining month."}
	csv := reportTable{Header: []string{"cohort", "members", "months_since_joining", "month", "buyers", "share"}}
	width := 0
	for _, c := range cohorts {
		width = max(width, len(c.Active))
		g.Rows = append(g.Rows, fmt.Sprintf("%s · %s", monthLabel(c.Month), components.FormatCount(c.Size)))
		row := make([]*int64, len(c.Active))
		for k, n := range c.Active {
			share := ""
			if bp, ok := basisPoints(n, c.Size); ok {
				row[k] = &bp
				s, _ := c.Share(k)
				share = strconv.FormatFloat(s, 'f', 6, 64)
			}
			csv.Rows = append(csv.Rows, []string{c.Month, fmt.Sprint(c.Size), strconv.Itoa(k), monthAfter(c.Month, k), fmt.Sprint(n), share})
		}
		g.Cells = append(g.Cells, row)
	}
	for k := range width {
		g.Cols = append(g.Cols, "M"+strconv.Itoa(k))
	}
	return g, csv
}

// monthAfter is the YYYY-MM month k months after month.
func monthAfter(month string, k int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.AddDate(0, k, 0).Format("2006-01")
}
