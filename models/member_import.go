package models

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// memberFormat reads a file of members. The names of our own export are
// among its columns, so a Regulars export imports as it is.
var memberFormat = importFormat{
	columns: map[string]string{
		"name": "name", "full name": "name", "customer": "name", "customer name": "name",
		"first name": "first_name", "firstname": "first_name", "given name": "first_name",
		"last name": "last_name", "lastname": "last_name", "surname": "last_name", "family name": "last_name",
		"email": "email", "e mail": "email", "email address": "email",
		"phone": "phone", "mobile": "phone", "phone number": "phone", "telephone": "phone",
		"birthday": "birthday", "date of birth": "birthday", "birth date": "birthday", "dob": "birthday",
		"marketing opt in": "marketing", "marketing": "marketing", "opt in": "marketing", "accepts marketing": "marketing",
		"tags": "tags", "tag": "tags",
		"balance": "balance", "points": "balance", "opening balance": "balance", "stamps": "balance", "credit": "balance",
		"joined": "joined", "enrolled": "joined", "member since": "joined", "joined at": "joined", "enrolled at": "joined",
		"enrolment date": "joined", "enrollment date": "joined", "signup date": "joined", "sign up date": "joined", "created at": "joined",
	},
	order: []string{"name", "email", "phone", "birthday", "joined", "marketing", "tags", "balance"},
	missing: func(l *importLayout) string {
		if !l.has("name") && !l.has("first_name") && !l.has("last_name") {
			return "No name column: the first line must name the columns, and one must be name (or first name and last name)."
		}
		return ""
	},
}

// ImportInput is the member import form: the file and how to read it.
type ImportInput struct {
	FileName    string
	Content     []byte
	ProgramID   int64  // program of the balance column; 0 for none
	CountryCode string // digits, like 33; optional
}

// StartImport checks an uploaded file of members and queues it.
func StartImport(db *gorm.DB, actor Actor, role Role, in ImportInput, now time.Time) (*ImportJob, error) {
	v := Validation{}
	in.CountryCode = NormalisePhone(in.CountryCode)
	v.Check(len(in.CountryCode) <= 3, "country_code", "Enter a country calling code of 1 to 3 digits, like 33, or leave it empty.")
	layout, rows, err := readUpload(in.Content, memberFormat, "members")
	if fe := FieldErrors(err); len(fe) > 0 {
		for f, msg := range fe {
			v.Check(false, f, msg)
		}
	} else if err != nil {
		return nil, err
	}
	hasBalance := layout != nil && layout.has("balance")
	v.Check(!hasBalance || in.ProgramID != 0, "program_id", "The file has a balance column: choose the program the balances are in.")
	if err := v.Err(); err != nil {
		return nil, err
	}
	job, err := newImportJob(ImportMembers, actor, role, importFileName(in.FileName, "members.csv"), layout, rows)
	if err != nil {
		return nil, err
	}
	job.CountryCode = in.CountryCode
	err = db.Transaction(func(tx *gorm.DB) error {
		if hasBalance {
			p, err := GetProgram(tx, in.ProgramID)
			if err != nil {
				return fieldError("program_id", "Choose one of your programs.")
			}
			if !p.TakesActivity() {
				return fieldError("program_id", fmt.Sprintf("%s is %s: it takes no balances.", p.Name, p.Status))
			}
			job.ProgramID = &p.ID
		}
		return queueImport(tx, job, in.Content)
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// memberImport makes members of a file's rows.
type memberImport struct {
	layout  *importLayout
	job     *ImportJob // as locked by the current batch
	program *Program
	loc     *time.Location
	limit   int64 // the largest opening balance allowed; -1 for none
	// monthFirst reads 01/02/1980 as January 2 (the merchant's locale)
	monthFirst bool
}

// memberRow is one row of a member file: the member it makes.
type memberRow struct {
	importRow
	member *Member
	tags   []string
}

func (imp *memberImport) grows() string { return "members" }

func (imp *memberImport) batchRows() int { return importBatchRows }

// skip has nothing to learn from a committed row: each member row stands
// alone.
func (imp *memberImport) skip([]string, int64, time.Time) {}

func (imp *memberImport) prepare(tx *gorm.DB, job *ImportJob, m *Merchant) error {
	imp.job, imp.loc, imp.limit, imp.monthFirst = job, m.Location(), -1, MonthFirst(m.TimeZone)
	if limit, limited := m.AdjustLimit(job.ActorRole); limited {
		imp.limit = limit
	}
	imp.program = nil
	if job.ProgramID != nil {
		var err error
		if imp.program, err = GetProgram(tx, *job.ProgramID); err != nil {
			return err
		}
	}
	return nil
}

// check reads and validates one row, as the enrolment form would.
func (imp *memberImport) check(rec []string, line int64, now time.Time) *memberRow {
	row := &memberRow{importRow: importRow{line: line, rec: rec}}
	l := imp.layout
	if row.issue = l.textIssue(rec); row.issue != nil {
		return row
	}
	cell := func(field string) string { return l.cell(rec, field) }
	birthday, problem := importDate(cell("birthday"), imp.monthFirst)
	in := MemberInput{
		Name:     cell("name"),
		Email:    cell("email"),
		Phone:    withCountryCode(cell("phone"), imp.job.CountryCode),
		Birthday: birthday,
	}
	if in.Name == "" {
		in.Name = strings.TrimSpace(cell("first_name") + " " + cell("last_name"))
	}
	m := &Member{}
	v := Validation{}
	v.Check(problem == "", "birthday", problem)
	for f, msg := range in.apply(m, now) {
		v.Check(false, f, msg)
	}
	m.BirthdayChangedAt = nil // a birthday brought over is not an edit
	if joined := cell("joined"); joined != "" {
		// Enrolled before the move: the reports count them from then.
		at, problem := readMoment(joined, imp.loc)
		if problem == "" {
			problem = checkMoment(at, now)
		}
		v.Check(problem == "", "joined", problem)
		m.CreatedAt = at.UTC()
	}
	var ok bool
	if m.MarketingOptIn, ok = parseYesNo(cell("marketing")); !ok {
		v.Check(false, "marketing", "Write yes or no in the marketing column.")
	}
	row.tags = parseTags(cell("tags"), v)
	if imp.program != nil {
		row.units = numberField(v, "balance", strings.ReplaceAll(cell("balance"), " ", ""), 0, maxUnits,
			fmt.Sprintf("Write the balance as a whole number of %s, 0 or more.", imp.program.UnitLabel))
		v.Check(imp.limit < 0 || row.units <= imp.limit, "balance",
			fmt.Sprintf("A balance over %d is above your role's adjustment limit; an owner can import this row.", imp.limit))
	}
	if len(v) > 0 {
		row.issue = rowError(memberFormat.fieldSentence(v))
		return row
	}
	row.member = m
	return row
}

// write saves the members of the rows that passed their checks, with
// their tags and opening balances. A member whose email or phone is
// already here, or on an earlier row, is a duplicate instead.
func (imp *memberImport) write(tx *gorm.DB, rows []*memberRow, now time.Time) error {
	if err := markDuplicates(tx, rows); err != nil {
		return err
	}
	var members []*Member
	for _, r := range rows {
		if r.issue == nil {
			members = append(members, r.member)
		}
	}
	if len(members) == 0 {
		return nil
	}
	if err := giveCardCodes(tx, members); err != nil {
		return err
	}
	at := now.UTC()
	for _, m := range members {
		m.LastActivityAt = &at
		if m.CreatedAt.IsZero() {
			m.CreatedAt = at // no joined column: they join now
		}
	}
	// A member enrolled at the till since markDuplicates looked fails the
	// whole batch here; the worker's next try reports them as duplicates.
	if err := createMembers(tx, members); err != nil {
		return fmt.Errorf("insert members: %w", err)
	}
	created := make([]any, len(members))
	for i, m := range members {
		created[i] = memberCreated(m)
	}
	if err := enqueueEvents(tx, EventMemberCreated, created, now); err != nil {
		return err
	}
	var tags []MemberTag
	var openings []opening
	for _, r := range rows {
		if r.issue != nil {
			continue
		}
		for _, t := range r.tags {
			tags = append(tags, MemberTag{MemberID: r.member.ID, Tag: t})
		}
		if r.units > 0 {
			openings = append(openings, opening{memberID: r.member.ID, amount: r.units,
				note: fmt.Sprintf("Imported from %s, line %d", imp.job.FileName, r.line),
				key:  fmt.Sprintf("import:%d:%d", imp.job.ID, r.line)})
		}
	}
	if len(tags) > 0 {
		if err := tx.Create(&tags).Error; err != nil {
			return fmt.Errorf("insert tags: %w", err)
		}
	}
	if len(openings) > 0 {
		return openAccounts(tx, imp.program, imp.job.actor(), openings, now)
	}
	return nil
}

// markDuplicates turns rows whose email or phone belongs to a member, or
// to an earlier row, into duplicates naming who has it.
func markDuplicates(tx *gorm.DB, rows []*memberRow) error {
	for _, f := range []struct {
		col, what string
		of        func(*Member) string
	}{
		{"email", "email address", func(m *Member) string { return m.Email }},
		{"phone", "phone number", func(m *Member) string { return m.Phone }},
	} {
		var values []string
		for _, r := range rows {
			if r.issue == nil && f.of(r.member) != "" {
				values = append(values, f.of(r.member))
			}
		}
		if len(values) == 0 {
			continue
		}
		var found []Member
		if err := tx.Where(f.col+" IN ?", values).Find(&found).Error; err != nil {
			return fmt.Errorf("find duplicates by %s: %w", f.col, err)
		}
		holder := map[string]string{}
		for _, m := range found {
			holder[f.of(&m)] = fmt.Sprintf("%s (%s)", m.Name, FormatCardCode(m.CardCode))
		}
		for _, r := range rows {
			if r.issue != nil || f.of(r.member) == "" {
				continue
			}
			v := f.of(r.member)
			if who, ok := holder[v]; ok {
				r.issue = &ImportIssue{Kind: IssueDuplicate, Message: fmt.Sprintf("Already a member: %s has this %s.", who, f.what)}
				continue
			}
			holder[v] = fmt.Sprintf("%s (line %d of this file)", r.member.Name, r.line)
		}
	}
	return nil
}

// giveCardCodes draws card codes for new members, drawing again for any
// that clash with a member's or with each other.
func giveCardCodes(tx *gorm.DB, members []*Member) error {
	taken := map[string]bool{}
	todo := members
	for len(todo) > 0 {
		codes := make([]string, 0, len(todo))
		for _, m := range todo {
			code, err := newCardCode()
			if err != nil {
				return err
			}
			for taken[code] {
				if code, err = newCardCode(); err != nil {
					return err
				}
			}
			m.CardCode, taken[code] = code, true
			codes = append(codes, code)
		}
		var clash []string
		if err := tx.Model(&Member{}).Where("card_code IN ?", codes).Pluck("card_code", &clash).Error; err != nil {
			return fmt.Errorf("check card codes: %w", err)
		}
		var again []*Member
		for _, m := range todo {
			if slices.Contains(clash, m.CardCode) {
				again = append(again, m)
			}
		}
		todo = again
	}
	return nil
}

// withCountryCode completes a phone number written without its country
// code, dropping the trunk 0 that national numbers start with: with 33,
// "06 12 34 56 78" becomes +33612345678.
func withCountryCode(phone, countryCode string) string {
	if phone == "" || countryCode == "" || strings.HasPrefix(phone, "+") || strings.HasPrefix(phone, "00") {
		return phone
	}
	return "+" + countryCode + strings.TrimPrefix(NormalisePhone(phone), "0")
}

// parseYesNo reads a spreadsheet's ways of saying yes or no; empty is no.
func parseYesNo(s string) (yes, ok bool) {
	switch strings.ToLower(s) {
	case "", "no", "n", "false", "0", "off":
		return false, true
	case "yes", "y", "true", "1", "x", "on", "opted in", "subscribed":
		return true, true
	}
	return false, false
}
