package handlers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

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
	programs, err := models.ListPrograms(a.tenant(c))
	if err != nil {
		return err
	}
	program := currentMerchant(c).ListedProgram(programs, query.ProgramID)
	w := newCSVWriter(c.Response(), ',')
	// The columns the import reads keep its names, so an export imports
	// into another merchant as it is.
	header := []string{"card_code", "name", "email", "phone", "birthday", "marketing_opt_in", "blocked", "enrolled", "last_activity", "tags"}
	if program != nil {
		header = append(header, "balance")
	}
	if err := w.Write(header); err != nil {
		return err
	}
	return writeMemberBatches(a.tenant(c), w, query, program, loc)
}

// writeMemberBatches streams the members query matches, exportBatch at a
// time, flushing each batch so a long export starts arriving at once.
func writeMemberBatches(db *gorm.DB, w *csvWriter, query models.MemberQuery, program *models.Program, loc *time.Location) error {
	query.Limit = exportBatch
	for {
		batch, err := models.SearchMembers(db, query)
		if err != nil {
			return err
		}
		rows, err := exportRows(db, batch, program, loc)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if err := w.Write(row); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if len(batch) < exportBatch {
			return nil
		}
		query.After = batch[len(batch)-1].SearchCursor()
	}
}

// exportRows is a page of members as rows of the export, with their tags
// and their balance in program (none when program is nil).
func exportRows(db *gorm.DB, batch []models.Member, program *models.Program, loc *time.Location) ([][]string, error) {
	ids := make([]int64, len(batch))
	for i := range batch {
		ids[i] = batch[i].ID
	}
	tags, err := models.ExportTags(db, ids)
	if err != nil {
		return nil, err
	}
	var accounts map[int64]models.Account
	if program != nil {
		if accounts, err = models.MembersAccounts(db, program.ID, ids); err != nil {
			return nil, err
		}
	}
	rows := make([][]string, len(batch))
	for i := range batch {
		m := &batch[i]
		birthday, lastActivity, phone := "", "", ""
		if m.Birthday != nil {
			birthday = *m.Birthday
		}
		if m.LastActivityAt != nil {
			lastActivity = m.LastActivityAt.In(loc).Format("2006-01-02 15:04")
		}
		if m.Phone != "" {
			phone = "+" + m.Phone // stored as digits; the import wants the country code marked
		}
		rows[i] = []string{
			models.FormatCardCode(m.CardCode), m.Name, m.Email, phone, birthday,
			strconv.FormatBool(m.MarketingOptIn), strconv.FormatBool(m.Blocked),
			m.CreatedAt.In(loc).Format("2006-01-02"), lastActivity, tags[m.ID],
		}
		if program != nil {
			rows[i] = append(rows[i], strconv.FormatInt(accounts[m.ID].Balance, 10))
		}
	}
	return rows, nil
}
