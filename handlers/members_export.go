package handlers

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// exportBatch is how many members one query of the export reads.
const exportBatch = 100

// exportMembers streams the member list, filtered by the same search as
// the page, as CSV, a page of the search at a time.
func (a *App) exportMembers(c echo.Context) error {
	query, err := memberFilterOf(c).query(a.now())
	if err != nil {
		return err
	}
	loc := currentMerchant(c).Location()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="members-%s.csv"`, a.now().In(loc).Format("2006-01-02")))
	w := csv.NewWriter(c.Response())
	if err := w.Write([]string{"card_code", "name", "email", "phone", "birthday", "marketing_opt_in", "blocked", "enrolled", "last_activity"}); err != nil {
		return err
	}
	query.Limit = exportBatch
	for {
		batch, err := models.SearchMembers(a.tenant(c), query)
		if err != nil {
			return err
		}
		for i := range batch {
			if err := w.Write(memberCSV(&batch[i], loc)); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		if len(batch) < exportBatch {
			return nil
		}
		query.After = batch[len(batch)-1].SearchCursor()
	}
}

func memberCSV(m *models.Member, loc *time.Location) []string {
	birthday, lastActivity := "", ""
	if m.Birthday != nil {
		birthday = *m.Birthday
	}
	if m.LastActivityAt != nil {
		lastActivity = m.LastActivityAt.In(loc).Format("2006-01-02 15:04")
	}
	row := []string{
		models.FormatCardCode(m.CardCode), m.Name, m.Email, m.Phone, birthday,
		strconv.FormatBool(m.MarketingOptIn), strconv.FormatBool(m.Blocked),
		m.CreatedAt.In(loc).Format("2006-01-02"), lastActivity,
	}
	for i := range row {
		row[i] = neutraliseCell(row[i])
	}
	return row
}

// neutraliseCell stops a spreadsheet from running a cell as a formula: a
// member named "=HYPERLINK(…)" must stay text when an owner opens the file.
func neutraliseCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
