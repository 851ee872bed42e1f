package handlers

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

const (
	importPath         = "/members/import"
	importIssuesPage   = 100
	recentImportsShown = 10
)

func importURL(id int64) string { return fmt.Sprintf("/members/imports/%d", id) }

func (a *App) importPage(c echo.Context) error {
	return a.renderImportPage(c, http.StatusOK, pages.ImportData{})
}

func (a *App) renderImportPage(c echo.Context, status int, d pages.ImportData) error {
	programs, err := models.ListPrograms(a.tenant(c))
	if err != nil {
		return err
	}
	d.Programs = []components.Option{{Value: "", Label: "No balances in this file"}}
	for _, p := range programs {
		if p.TakesActivity() {
			opt := components.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.UnitLabel + ")"}
			d.Programs = append(d.Programs, opt)
			d.History.Programs = append(d.History.Programs, opt)
		}
	}
	if p := currentMerchant(c).PreferredProgram(programs); p != nil && d.History.Fields.ProgramID == "" {
		d.History.Fields.ProgramID = strconv.FormatInt(p.ID, 10)
	}
	d.MaxRows, d.MaxMB, d.TemplateURL = models.MaxImportRows, models.MaxImportBytes>>20, importPath+"/template.csv"
	d.History.TemplateURL = d.TemplateURL + "?kind=history"
	jobs, err := models.ListImports(a.tenant(c), recentImportsShown)
	if err != nil {
		return err
	}
	for i := range jobs {
		d.Recent = append(d.Recent, importSummary(c, &jobs[i]))
	}
	return render(c, status, pages.ImportMembers(a.shell(c, "Import members and purchases"), d))
}

func importSummary(c echo.Context, j *models.ImportJob) pages.ImportSummary {
	return pages.ImportSummary{
		URL: importURL(j.ID), FileName: j.FileName, Status: string(j.Status), Percent: j.Percent(),
		History: j.Kind == models.ImportHistory,
		Who:     j.ActorName, When: j.CreatedAt.In(currentMerchant(c).Location()).Format("2 Jan 2006 15:04"),
		Created: j.CreatedCount, Duplicates: j.DuplicateCount, Errors: j.ErrorCount,
	}
}

// startImport takes the upload of either form, queues it for the
// background worker and shows its progress page at once.
func (a *App) startImport(c echo.Context) error {
	if c.FormValue("kind") == string(models.ImportHistory) {
		return a.startHistoryImport(c)
	}
	fields := pages.ImportFields{ProgramID: c.FormValue("program_id"), CountryCode: c.FormValue("country_code")}
	refuse := func(err error) error {
		return a.answer(c, err, func(status int) error {
			return a.renderImportPage(c, status, pages.ImportData{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)})
		}, nil, "")
	}
	in := models.ImportInput{CountryCode: fields.CountryCode}
	var err error
	if in.ProgramID, err = optionalProgramID(fields.ProgramID); err != nil {
		return refuse(err)
	}
	if in.FileName, in.Content, err = importUpload(c); err != nil {
		return refuse(err)
	}
	job, err := models.StartImport(a.tenant(c), actor(c), currentUser(c).Role, in, a.now())
	return a.queued(c, job, refuse, err)
}

// startHistoryImport takes a file of past purchases.
func (a *App) startHistoryImport(c echo.Context) error {
	fields := pages.HistoryFields{ProgramID: c.FormValue("history_program_id"), Earn: c.FormValue("earn") != ""}
	refuse := func(err error) error {
		return a.answer(c, err, func(status int) error {
			return a.renderImportPage(c, status, pages.ImportData{History: pages.HistoryForm{
				Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}})
		}, nil, "")
	}
	in := models.HistoryInput{Earn: fields.Earn}
	var err error
	if in.ProgramID, err = optionalProgramID(fields.ProgramID); err != nil {
		return refuse(err)
	}
	if in.FileName, in.Content, err = importUpload(c); err != nil {
		return refuse(err)
	}
	job, err := models.StartHistoryImport(a.tenant(c), actor(c), currentUser(c).Role, in, a.now())
	return a.queued(c, job, refuse, err)
}

// queued answers an upload: its progress page, or the form again.
func (a *App) queued(c echo.Context, job *models.ImportJob, refuse func(error) error, err error) error {
	if err != nil {
		return refuse(err)
	}
	a.imports.Wake()
	return a.answer(c, nil, nil, func() string {
		return fmt.Sprintf("Importing %d rows of %s.", job.TotalRows, job.FileName)
	}, importURL(job.ID))
}

func optionalProgramID(s string) (int64, error) {
	id, err := parseID(s)
	if err != nil {
		return 0, models.Validation{"program_id": "Choose one of your programs."}.Err()
	}
	return id, nil
}

// importUpload reads the form's file, at most one byte over the limit so
// the model can say it is too big; none is an empty file.
func importUpload(c echo.Context) (name string, content []byte, err error) {
	fh, err := c.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, models.Validation{"file": "The upload did not arrive whole; try again."}.Err()
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, fmt.Errorf("import: open upload: %w", err)
	}
	defer f.Close()
	if content, err = io.ReadAll(io.LimitReader(f, models.MaxImportBytes+1)); err != nil {
		return "", nil, fmt.Errorf("import: read upload: %w", err)
	}
	return fh.Filename, content, nil
}

// importTemplate is an example file with every column an import reads.
func (a *App) importTemplate(c echo.Context) error {
	name, rows := "members-import-example.csv", [][]string{
		{"name", "email", "phone", "birthday", "marketing", "tags", "balance"},
		{"Ada Lovelace", "ada@example.com", "+442079460001", "1985-12-10", "yes", "vip, mornings", "120"},
		{"Bob Marley", "", "+33612345678", "", "no", "", "0"},
	}
	if c.QueryParam("kind") == string(models.ImportHistory) {
		name, rows = "purchase-history-example.csv", [][]string{
			{"member", "date", "amount", "order reference", "channel"},
			{"ada@example.com", "2024-11-03", "12.50", "T-1041", "in_store"},
			{"+33612345678", "2024-11-04 18:30", "42.00", "", "online"},
		}
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	w := newCSVWriter(c.Response(), ',')
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			return err
		}
	}
	return w.Flush()
}

// importJob loads the import named by the path; another merchant's id is
// a 404 like any unknown one.
func (a *App) importJob(c echo.Context) (*models.ImportJob, error) {
	id, err := idParam(c, "importID")
	if err != nil {
		return nil, err
	}
	return models.GetImport(a.tenant(c), id)
}

// importProgressPage shows an import; htmx's poll gets the changing part
// alone.
func (a *App) importProgressPage(c echo.Context) error {
	job, err := a.importJob(c)
	if err != nil {
		return err
	}
	after, _ := parseID(c.QueryParam("after"))
	d := pages.ImportProgressData{
		ImportSummary: importSummary(c, job), Finished: job.Status.Finished(),
		Processed: job.ProcessedRows, Total: job.TotalRows, OpeningTotal: job.OpeningTotal,
		Failure: job.Failure, Ignored: job.Ignored(), ErrorsCSVURL: importURL(job.ID) + "/errors.csv",
	}
	if job.ProgramID != nil && (job.Kind != models.ImportHistory || job.Earn) {
		if p, err := models.GetProgram(a.tenant(c), *job.ProgramID); err == nil {
			d.Unit = p.UnitLabel
		}
	}
	issues, err := models.ListImportIssues(a.tenant(c), job.ID, "", max(after, 0), importIssuesPage+1)
	if err != nil {
		return err
	}
	if len(issues) > importIssuesPage {
		issues = issues[:importIssuesPage]
		d.MoreURL = fmt.Sprintf("%s?after=%d", importURL(job.ID), issues[len(issues)-1].Line)
	}
	for _, is := range issues {
		d.Issues = append(d.Issues, pages.ImportIssueRow{Line: is.Line, Duplicate: is.Kind == models.IssueDuplicate, Message: is.Message, Raw: is.Raw})
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") == "true" {
		return ok(c, pages.ImportProgress(d))
	}
	return ok(c, pages.ImportProgressPage(a.shell(c, "Import of "+job.FileName), d))
}

// importErrorsCSV is the rows with errors as uploaded, with the reason in
// a last column, so they can be fixed in the spreadsheet and uploaded
// again (the import ignores that column).
func (a *App) importErrorsCSV(c echo.Context) error {
	job, err := a.importJob(c)
	if err != nil {
		return err
	}
	comma := []rune(job.Delimiter)[0]
	name := strings.TrimSuffix(job.FileName, ".csv") + "-errors.csv"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	w := newCSVWriter(c.Response(), comma)
	header, err := parseCSVLine(job.Header, comma)
	if err != nil {
		return err
	}
	if err := w.Write(append(header, "error")); err != nil {
		return err
	}
	var after int64
	for {
		issues, err := models.ListImportIssues(a.tenant(c), job.ID, models.IssueError, after, exportBatch)
		if err != nil {
			return err
		}
		for _, is := range issues {
			rec, err := parseCSVLine(is.Raw, comma)
			if err != nil {
				return err
			}
			if err := w.Write(append(rec, is.Message)); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil || len(issues) < exportBatch {
			return err
		}
		after = issues[len(issues)-1].Line
	}
}

func parseCSVLine(line string, comma rune) ([]string, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.Comma, r.FieldsPerRecord = comma, -1
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("import: stored row: %w", err)
	}
	return rec, nil
}
