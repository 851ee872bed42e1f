package handlers

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// churnReport is the churn page: monthly churn over the manager's
// inactivity window, today's members by last visit, negative churn, and
// the overdue members to win back.
func (a *App) churnReport(c echo.Context) error {
	return a.serveReport(c, "churn", "Churn", func(rq *reportRequest) (reportPage, error) {
		typed := c.QueryParam("window")
		window, err := models.ParseChurnWindow(typed)
		if err != nil {
			return reportPage{Body: pages.ChurnWindow(churnWindowForm(rq.Frame, typed, models.ErrorMessage(err)))}, err
		}
		rq.Frame.Query.Set("window", strconv.Itoa(window))
		after, err := afterParam(c)
		if err != nil {
			return reportPage{}, err
		}
		rep, err := models.Churn(rq.DB, models.ChurnQuery{Window: window, From: rq.Range.From, To: rq.Range.To, After: after}, rq.Now)
		if err != nil {
			return reportPage{}, err
		}
		programs, err := models.ListPrograms(rq.DB)
		if err != nil {
			return reportPage{}, err
		}
		return churnPage(rq, rep, programs, after), nil
	})
}

// afterParam is the overdue list's page: the member it continues after.
func afterParam(c echo.Context) (int64, error) {
	s := c.QueryParam("after")
	id, err := parseID(s)
	if err != nil {
		return 0, models.Errorf(models.EINVALID, "The overdue list's page %q is not one this page links to: start from the first page.", s)
	}
	return id, nil
}

func churnPage(rq *reportRequest, rep *models.ChurnReport, programs []models.Program, after int64) reportPage {
	d := pages.ChurnReport{Frame: *rq.Frame, Window: rep.Window,
		WindowForm: churnWindowForm(rq.Frame, strconv.Itoa(rep.Window), "")}
	d.Rate = churnRateChart(rep)
	months := churnMonths(rep.Months)
	d.Months = months.view("months-table")
	b := rep.Buckets
	buckets := churnBuckets(b)
	d.Buckets = components.Chart{ID: "churn-buckets", Title: "Members by last visit",
		Desc:   "Members today by how long ago they last bought.",
		Labels: []string{"Active", "At risk", "Lapsed", "Never bought"},
		Series: []components.Series{{Name: "Members", Values: []int64{b.Active, b.AtRisk, b.Lapsed, b.Never}}}}
	d.BucketsTable = buckets.view("buckets-table")
	expansion := churnExpansion(rep.Expansion, rq.Merchant.Currency)
	d.Expansion = expansion.view("expansion-table")
	d.Figures = churnFigures(rep)
	d.Overdue = overdueList(rq, rep.Overdue, programs, after)
	return reportPage{Body: pages.ChurnReportBody(d), Tables: map[string]reportTable{
		"months": months, "buckets": buckets, "expansion": expansion,
	}}
}

// churnRateChart draws each month's churn rate, in basis points.
func churnRateChart(rep *models.ChurnReport) components.Chart {
	c := components.Chart{ID: "churn-rate", Title: "Monthly churn rate",
		Desc:   fmt.Sprintf("Share of the members active at the start of each month who were inactive at its end, window %d days.", rep.Window),
		Format: components.FormatBasisPoints, Series: []components.Series{{Name: "Churn rate"}}}
	for _, m := range rep.Months {
		c.Labels = append(c.Labels, monthLabel(m.Month))
		bp, _ := basisPoints(m.Churned, m.ActiveAtStart)
		c.Series[0].Values = append(c.Series[0].Values, bp)
	}
	return c
}

// churnBuckets is today's members by last visit.
func churnBuckets(b models.ActivityBuckets) reportTable {
	return reportTable{Caption: "Members by last visit", Head: []string{"Last visit", "Last purchase", "Members"}, Rows: [][]reportCell{
		{textCell("Active"), textCell(fmt.Sprintf("within %d days", b.ActiveDays)), countCell(b.Active)},
		{textCell("At risk"), textCell(fmt.Sprintf("within %d days", b.Window)), countCell(b.AtRisk)},
		{textCell("Lapsed"), textCell(fmt.Sprintf("more than %d days ago", b.Window)), countCell(b.Lapsed)},
		{textCell("Never bought"), textCell("none"), countCell(b.Never)},
	}}
}

// churnExpansion is negative churn, each month against the one before;
// the CSV has the months as YYYY-MM and the retention unrounded.
func churnExpansion(months []models.MonthExpansion, currency string) reportTable {
	t := reportTable{Caption: "Negative churn, each month against the one before", Head: []string{"Month",
		"Spent the month before", "Bought again", "Spent more", "Moved up a tier", "Spent more or moved up",
		"Their spend the month before", "Their spend this month", "Net revenue retention"}}
	for _, m := range months {
		label := monthLabel(m.Month)
		if m.Partial {
			label += " (so far)"
		}
		t.Rows = append(t.Rows, []reportCell{{Text: label, CSV: m.Month}, countCell(m.Previous), countCell(m.Returned),
			countCell(m.SpentMore), countCell(m.MovedUp), countCell(m.Expanding),
			moneyCell(m.PreviousRevenueMinor, currency), moneyCell(m.RetainedRevenueMinor, currency), nrrCell(m.Expansion)})
	}
	return t
}

// nrrCell is a month's net revenue retention; – with nobody spending in
// the month before.
func nrrCell(e models.Expansion) reportCell {
	if r, ok := e.NetRevenueRetention(); ok {
		return reportCell{Text: shareText(r), CSV: strconv.FormatFloat(r, 'f', 6, 64)}
	}
	return reportCell{Text: "–", CSV: ""}
}

// churnWindowForm asks for the window, showing window (as typed when it
// was refused, with why) and keeping the page's other parameters.
func churnWindowForm(f *pages.ReportFrame, window, refused string) pages.ChurnWindowForm {
	form := pages.ChurnWindowForm{Path: f.Path, Window: window, Error: refused}
	for _, k := range slices.Sorted(maps.Keys(f.Query)) {
		if k != "window" {
			form.Keep = append(form.Keep, components.Option{Label: k, Value: f.Query.Get(k)})
		}
	}
	return form
}

// churnFigures are the page's headline numbers; churn and net revenue
// retention are the last full month's.
func churnFigures(rep *models.ChurnReport) []pages.Figure {
	b := rep.Buckets
	last, lastLabel := "–", "Churn, last full month"
	nrr, nrrLabel := "–", "Net revenue retention, last full month"
	for i := len(rep.Months) - 1; i >= 0; i-- {
		if m := rep.Months[i]; !m.Partial {
			lastLabel = "Churn in " + monthLabel(m.Month)
			if r, ok := m.Rate(); ok {
				last = shareText(r)
			}
			nrrLabel, nrr = "Net revenue retention in "+monthLabel(m.Month), nrrCell(rep.Expansion[i].Expansion).Text
			break
		}
	}
	return []pages.Figure{
		{Label: "Active members", Value: components.FormatCount(b.Active + b.AtRisk), TestID: "active",
			Note: fmt.Sprintf("A purchase in the last %d days, today included.", b.Window)},
		{Label: "At risk", Value: components.FormatCount(b.AtRisk), TestID: "at-risk",
			Note: fmt.Sprintf("Last purchase %d to %d days ago.", b.ActiveDays+1, b.Window)},
		{Label: lastLabel, Value: last, TestID: "last-churn",
			Note: "Of the members active at the month's start, the share inactive at its end (see Monthly churn)."},
		{Label: "Overdue", Value: components.FormatCount(rep.Overdue.Total), TestID: "overdue",
			Note: "Away twice their usual gap between visits or more (see the list)."},
		{Label: nrrLabel, Value: nrr, TestID: "nrr",
			Note: "What the members who spent in the month before spent in the month, over what they spent the month before, net of refunds."},
	}
}

// churnMonths is the monthly table; the CSV has the months as YYYY-MM
// and the rates unrounded.
func churnMonths(months []models.ChurnMonth) reportTable {
	t := reportTable{Caption: "Monthly churn", Head: []string{"Month", "Active at start", "Churned", "Churn rate"}}
	for _, m := range months {
		label, rate := monthLabel(m.Month), reportCell{Text: "–", CSV: ""}
		if m.Partial {
			label += " (so far)"
		}
		if r, ok := m.Rate(); ok {
			rate = reportCell{Text: shareText(r), CSV: strconv.FormatFloat(r, 'f', 6, 64)}
		}
		t.Rows = append(t.Rows, []reportCell{{Text: label, CSV: m.Month}, countCell(m.ActiveAtStart), countCell(m.Churned), rate})
	}
	return t
}

func overdueList(rq *reportRequest, page models.OverduePage, programs []models.Program, after int64) pages.OverdueList {
	loc := rq.Merchant.Location()
	o := pages.OverdueList{Total: components.FormatCount(page.Total) + " members", CSVURL: churnURL(rq, "/reports/churn/overdue.csv", 0)}
	if after != 0 {
		o.FirstURL = churnURL(rq, rq.Frame.Path, 0)
	}
	if page.Next != 0 {
		o.NextURL = churnURL(rq, rq.Frame.Path, page.Next)
	}
	for _, m := range page.Members {
		o.Rows = append(o.Rows, pages.OverdueRow{
			Href: fmt.Sprintf("/members/%d", m.ID), Name: m.Name, Email: m.Email, Phone: m.Phone,
			LastVisit: m.LastVisitAt.In(loc).Format("2 Jan 2006"), DaysAway: fmt.Sprint(m.DaysSince),
			UsualGap: quantity(fmt.Sprint(m.MedianGapDays), "days"), Ratio: strconv.FormatFloat(m.Ratio(), 'f', 1, 64),
			Balance: balances(m.Balances, programs, rq.Merchant.Currency),
		})
	}
	return o
}

// churnURL is path with the page's range and window, and the overdue
// page after (0 for the first).
func churnURL(rq *reportRequest, path string, after int64) string {
	q := url.Values{}
	for k, v := range rq.Frame.Query {
		q[k] = v
	}
	if after != 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	return path + "?" + q.Encode()
}

// balances words a member's balances: "120 points · 3 stamps".
func balances(bs []models.MemberBalance, programs []models.Program, currency string) string {
	var parts []string
	for _, b := range bs {
		for i := range programs {
			if programs[i].ID == b.ProgramID {
				parts = append(parts, units(&programs[i], b.Balance, currency))
			}
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " · ")
}

// exportOverdue streams every overdue member as CSV, for outreach.
func (a *App) exportOverdue(c echo.Context) error {
	db, m, now := a.tenant(c), currentMerchant(c), a.now()
	programs, err := models.ListPrograms(db)
	if err != nil {
		return err
	}
	loc := m.Location()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="churn-overdue-%s.csv"`, now.In(loc).Format("2006-01-02")))
	w := newCSVWriter(c.Response(), ',')
	header := []string{"name", "email", "phone", "last_visit", "days_away", "median_gap_days", "away_over_gap"}
	for _, p := range programs {
		header = append(header, "balance_"+p.Name)
	}
	if err := w.Write(header); err != nil {
		return err
	}
	return models.EachOverdue(db, now, func(ms []models.OverdueMember) error {
		for _, om := range ms {
			if err := w.Write(overdueCSVRow(om, programs, loc, m.Currency)); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// overdueCSVRow is one overdue member for a spreadsheet, with a balance
// per program (0 where they have no account).
func overdueCSVRow(om models.OverdueMember, programs []models.Program, loc *time.Location, currency string) []string {
	row := []string{om.Name, om.Email, om.Phone, om.LastVisitAt.In(loc).Format(time.DateOnly),
		fmt.Sprint(om.DaysSince), fmt.Sprint(om.MedianGapDays), strconv.FormatFloat(om.Ratio(), 'f', 2, 64)}
	for _, p := range programs {
		var n int64
		for _, b := range om.Balances {
			if b.ProgramID == p.ID {
				n = b.Balance
			}
		}
		cell := fmt.Sprint(n)
		if p.Type == models.ProgramCashback {
			cell = models.FormatMoney(n, currency)
		}
		row = append(row, cell)
	}
	return row
}

// basisPoints is n over d in hundredths of a percent, rounded.
func basisPoints(n, d int64) (int64, bool) {
	if d == 0 {
		return 0, false
	}
	return (n*10000 + d/2) / d, true
}
