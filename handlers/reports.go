package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// The Reports section. Every report page is served by serveReport, which
// reads the range once, draws the shared frame, and answers
// ?format=csv&table=<name> with one of the page's tables; a page only
// loads its figures (see dashboardReport).

// reportTable is one table of a report page: drawn with
// components.DataTable and sent as CSV from the same cells.
type reportTable struct {
	Caption string
	Head    []string
	Rows    [][]reportCell
}

// reportCell is one cell as the page shows it (grouped, with units) and
// as the CSV has it (plain, for a spreadsheet to compute with). Words
// cells are not numbers: a column of them is left-aligned and wraps.
type reportCell struct {
	Text, CSV string
	Words     bool
}

func textCell(s string) reportCell { return reportCell{s, s, true} }

func countCell(n int64) reportCell {
	return reportCell{Text: components.FormatCount(n), CSV: strconv.FormatInt(n, 10)}
}

func moneyCell(minor int64, currency string) reportCell {
	return reportCell{Text: money(minor, currency), CSV: models.FormatMoney(minor, currency)}
}

// view is the table for components.DataTable; id names it on the page.
func (t reportTable) view(id string) components.Table {
	out := components.Table{ID: id, Caption: t.Caption, Head: t.Head, TextCols: t.wordColumns()}
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = c.Text
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}

// wordColumns are the columns after the first whose every cell is words.
func (t reportTable) wordColumns() []int {
	var cols []int
	for i := 1; i < len(t.Head) && len(t.Rows) > 0; i++ {
		words := true
		for _, row := range t.Rows {
			words = words && i < len(row) && row[i].Words
		}
		if words {
			cols = append(cols, i)
		}
	}
	return cols
}

// reportPage is what a report page's loader hands back: the body drawn
// inside the frame, and its tables by the name their CSV links use.
type reportPage struct {
	Body   templ.Component
	Tables map[string]reportTable
}

// reportRequest is what a report page's loader works from.
type reportRequest struct {
	DB       *gorm.DB // scoped to the merchant
	Merchant *models.Merchant
	Range    models.ReportRange
	Now      time.Time
	// CSV is the table asked for as CSV ("" for the page): a loader may
	// skip drawing what the table does not need.
	CSV string
	// Frame is the page's frame: a loader adds its own parameters to
	// Frame.Query, which the range form and the CSV links then keep.
	Frame *pages.ReportFrame
}

// reportLoader computes one report page. Bad input of the page's own
// (an EINVALID error) is shown in the frame like a bad range, over the
// page's Body when the loader returns one with the error: its own form,
// redrawn with what was typed.
type reportLoader func(rq *reportRequest) (reportPage, error)

// serveReport serves the report page tab (a ReportTabs TestID) at the
// request's path, as HTML or as one table's CSV.
func (a *App) serveReport(c echo.Context, tab, title string, load reportLoader) error {
	m := currentMerchant(c)
	format, table := c.QueryParam("format"), c.QueryParam("table")
	if format != "" && format != "csv" {
		return echo.ErrNotFound
	}
	if format == "" {
		table = ""
	}
	q := models.RangeQuery{Range: c.QueryParam("range"), From: c.QueryParam("from"), To: c.QueryParam("to")}
	frame := &pages.ReportFrame{
		Title: title, Tab: tab, Path: c.Request().URL.Path, BusinessName: m.Name, TimeZone: m.TimeZone,
		Range: pages.RangeForm{Preset: q.Range, From: q.From, To: q.To, Presets: rangePresets()},
		Query: url.Values{},
	}
	now := a.now()
	rng, err := models.ParseReportRange(a.tenant(c), q, now, m.Location())
	if err != nil {
		return a.reportRefusal(c, frame, err, nil)
	}
	frame.Range = rangeForm(rng)
	frame.Query = rangeQuery(rng)
	rq := &reportRequest{DB: a.tenant(c), Merchant: m, Range: rng, Now: now, CSV: table, Frame: frame}
	page, err := load(rq)
	if err != nil {
		return a.reportRefusal(c, frame, err, page.Body)
	}
	if format == "csv" {
		t, ok := page.Tables[table]
		if !ok {
			return echo.ErrNotFound
		}
		return sendReportCSV(c, fmt.Sprintf("%s-%s-%s-to-%s.csv", tab, table, rng.FromDay, rng.ToDay), t)
	}
	return ok(c, pages.Report(a.shell(c, title), *frame, page.Body))
}

// reportRefusal shows bad input in the frame with 422, over body (nil for
// none); other errors go to the error handler (an unknown program is a
// 404).
func (a *App) reportRefusal(c echo.Context, frame *pages.ReportFrame, err error, body templ.Component) error {
	status, refused := formRefusal(c, err)
	if !refused {
		return err
	}
	frame.Error = models.ErrorMessage(err)
	return render(c, status, pages.Report(a.shell(c, frame.Title), *frame, body))
}

func rangePresets() []components.Option {
	opts := make([]components.Option, len(models.RangePresets))
	for i, p := range models.RangePresets {
		opts[i] = components.Option{Value: p.Value, Label: p.Label}
	}
	return opts
}

func rangeForm(r models.ReportRange) pages.RangeForm {
	return pages.RangeForm{Preset: r.Preset, From: r.FromDay, To: r.ToDay, Label: r.Label(), Presets: rangePresets()}
}

// rangeQuery is the address that asks for r again: its preset, which
// moves with the calendar, or its dates.
func rangeQuery(r models.ReportRange) url.Values {
	if r.Preset != "" {
		return url.Values{"range": {r.Preset}}
	}
	return url.Values{"from": {r.FromDay}, "to": {r.ToDay}}
}

func sendReportCSV(c echo.Context, filename string, t reportTable) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	c.Response().WriteHeader(http.StatusOK)
	w := newCSVWriter(c.Response(), ',')
	if err := w.Write(t.Head); err != nil {
		return err
	}
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = c.CSV
		}
		if err := w.Write(cells); err != nil {
			return err
		}
	}
	return w.Flush()
}
