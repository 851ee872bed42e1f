package handlers

import (
	"fmt"
	"strconv"

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
	grid, cohorts := cohortGrid(rep.Cohorts)
	d.Cohorts, d.CohortTable = grid, cohorts.view("cohorts-table")
	r := rep.Repeat
	repeat := "–"
	if rate, ok := r.RepeatRate(); ok {
		repeat = shareText(rate)
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
	repeatTable := reportTable{Caption: "Repeat drop-off", Head: []string{"Purchases made", "Members", "Stopped there", "Drop-off"}}
	for n := 1; n <= models.RepeatDepth; n++ {
		bp, _ := basisPoints(r.ByCount[n], r.AtLeast(n))
		d.DropOff.Labels = append(d.DropOff.Labels, fmt.Sprintf("%d → %d", n, n+1))
		d.DropOff.Series[0].Values = append(d.DropOff.Series[0].Values, bp)
		drop := reportCell{Text: "–", CSV: ""}
		if share, ok := r.DropOff(n); ok {
			drop = reportCell{Text: shareText(share), CSV: strconv.FormatFloat(share, 'f', 6, 64)}
		}
		repeatTable.Rows = append(repeatTable.Rows, []reportCell{
			textCell(strconv.Itoa(n)), countCell(r.AtLeast(n)), countCell(r.ByCount[n]), drop})
	}
	d.RepeatTable = repeatTable.view("repeat-table")
	return reportPage{Body: pages.RetentionReportBody(d), Tables: map[string]reportTable{
		"cohorts": cohorts, "repeat": repeatTable,
	}}
}

// cohortGrid is the heat map of the cohorts (a cohort nobody joined has no
// data) and its table: the cohort's size, then the share who bought in
// each month since joining (unrounded in the CSV).
func cohortGrid(cohorts []models.Cohort) (components.HeatGrid, reportTable) {
	g := components.HeatGrid{ID: "cohorts", Title: "Monthly cohorts",
		Desc: "Share of each month's new members who bought in each month since joining; month 0 is the joining month."}
	width := 0
	for _, c := range cohorts {
		width = max(width, len(c.Active))
	}
	t := reportTable{Caption: "Monthly cohorts", Head: []string{"Cohort", "Members"}}
	for k := range width {
		g.Cols = append(g.Cols, "M"+strconv.Itoa(k))
		t.Head = append(t.Head, "M"+strconv.Itoa(k))
	}
	for _, c := range cohorts {
		g.Rows = append(g.Rows, fmt.Sprintf("%s · %s", monthLabel(c.Month), components.FormatCount(c.Size)))
		cells := make([]*int64, len(c.Active))
		row := []reportCell{{Text: monthLabel(c.Month), CSV: c.Month}, countCell(c.Size)}
		for k := range width {
			cell := reportCell{}
			if k < len(c.Active) {
				cell = reportCell{Text: "–", CSV: ""}
				if bp, ok := basisPoints(c.Active[k], c.Size); ok {
					cells[k] = &bp
					share, _ := c.Share(k)
					cell = reportCell{Text: components.FormatBasisPoints(bp), CSV: strconv.FormatFloat(share, 'f', 6, 64)}
				}
			}
			row = append(row, cell)
		}
		g.Cells = append(g.Cells, cells)
		t.Rows = append(t.Rows, row)
	}
	return g, t
}
