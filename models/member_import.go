package models

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ImportStatus is where a CSV import of members stands.
type ImportStatus string

const (
	ImportQueued  ImportStatus = "queued"
	ImportRunning ImportStatus = "running"
	ImportDone    ImportStatus = "done"
	ImportFailed  ImportStatus = "failed"
)

// Finished reports whether the job will not move any more.
func (s ImportStatus) Finished() bool { return s == ImportDone || s == ImportFailed }

// ImportJob is a CSV import of members, run in the background a batch at
// a time. ProcessedRows is committed with each batch's members, so a
// restart resumes after the last committed row.
type ImportJob struct {
	ID             int64
	MerchantID     int64
	ProgramID      *int64 // where opening balances go; nil when the file has none
	ActorID        *int64
	ActorName      string
	ActorRole      Role // opening balances stay within this role's adjustment limit
	FileName       string
	CountryCode    string // for phone numbers written without one
	Header         string // the file's first line, for the rows-to-fix download
	Delimiter      string
	Status         ImportStatus
	TotalRows      int64
	ProcessedRows  int64
	CreatedCount   int64
	DuplicateCount int64
	ErrorCount     int64
	OpeningTotal   int64
	Failure        string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
}

// Percent is how far the job has got, 0 to 100.
func (j *ImportJob) Percent() int {
	if j.TotalRows == 0 {
		return 100
	}
	return int(j.ProcessedRows * 100 / j.TotalRows)
}

// ImportUpload holds an uploaded file until its job finishes.
type ImportUpload struct {
	ImportID   int64 `gorm:"primaryKey;autoIncrement:false"`
	MerchantID int64
	Content    []byte
}

// Kinds of ImportIssue.
const (
	IssueError     = "error"
	IssueDuplicate = "duplicate"
)

// ImportIssue is a row that was not imported: an error to fix, or a
// duplicate of a member who is already here. Raw is the row as uploaded.
type ImportIssue struct {
	ID         int64
	MerchantID int64
	ImportID   int64
	Line       int64
	Kind       string
	Message    string
	Raw        string
}

const (
	// MaxImportBytes and MaxImportRows bound one upload; a bigger list is
	// split into several files.
	MaxImportBytes = 32 << 20
	MaxImportRows  = 200_000
	// A batch of rows is one short transaction: short transactions keep
	// the till responsive during an import (SQLite has one writer at a
	// time).
	importBatchRows = 500
)

// importColumns maps the column names people use to the fields they
// fill; a header is matched lower-cased, with _ and - read as spaces.
// The names of our own export are among them, so a Regulars export
// imports as it is.
var importColumns = map[string]string{
	"name": "name", "full name": "name", "customer": "name", "customer name": "name",
	"first name": "first_name", "firstname": "first_name", "given name": "first_name",
	"last name": "last_name", "lastname": "last_name", "surname": "last_name", "family name": "last_name",
	"email": "email", "e mail": "email", "email address": "email",
	"phone": "phone", "mobile": "phone", "phone number": "phone", "telephone": "phone",
	"birthday": "birthday", "date of birth": "birthday", "birth date": "birthday", "dob": "birthday",
	"marketing opt in": "marketing", "marketing": "marketing", "opt in": "marketing", "accepts marketing": "marketing",
	"tags": "tags", "tag": "tags",
	"balance": "balance", "points": "balance", "opening balance": "balance", "stamps": "balance", "credit": "balance",
}

// ImportInput is the import form: the file and how to read it.
type ImportInput struct {
	FileName    string
	Content     []byte
	ProgramID   int64  // program of the balance column; 0 for none
	CountryCode string // digits, like 33; optional
}

// importLayout is how to read one uploaded file.
type importLayout struct {
	delimiter rune
	header    []string
	columns   map[string]int // field → column index
	ignored   []string       // header names nothing reads
}

// readImportLayout reads the header of a file and finds its columns.
func readImportLayout(content []byte) (*importLayout, error) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")) // Excel's "CSV UTF-8" starts with a BOM
	first := firstLine(content)
	l := &importLayout{delimiter: ',', columns: map[string]int{}}
	// Spreadsheets in much of Europe write semicolons; tabs come from
	// copying cells.
	best := bytes.Count(first, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(d))); n > best {
			l.delimiter, best = d, n
		}
	}
	r := l.reader(content)
	header, err := r.Read()
	if err != nil {
		return nil, fieldError("file", "The first line must name the columns, like name,email,phone.")
	}
	l.header = header
	for i, h := range header {
		h = importCell(h)
		name := strings.ToLower(strings.Join(strings.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), " "))
		field, known := importColumns[name]
		if _, taken := l.columns[field]; !known || taken {
			if strings.TrimSpace(h) != "" {
				l.ignored = append(l.ignored, strings.TrimSpace(h))
			}
			continue
		}
		l.columns[field] = i
	}
	_, hasName := l.columns["name"]
	_, hasFirst := l.columns["first_name"]
	_, hasLast := l.columns["last_name"]
	if !hasName && !hasFirst && !hasLast {
		return nil, fieldError("file", "No name column: the first line must name the columns, and one must be name (or first name and last name).")
	}
	return l, nil
}

func firstLine(content []byte) []byte {
	first, _, _ := bytes.Cut(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")), []byte("\n"))
	return first
}

// importCell is a cell as the import reads it: trimmed, and without the
// apostrophe our CSV files put before a cell a spreadsheet would take
// for a formula, so the rows-to-fix file and exports upload as they are.
func importCell(s string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "'"))
}

func (l *importLayout) reader(content []byte) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))))
	r.Comma = l.delimiter
	r.FieldsPerRecord = -1 // a short row is read and reported, not fatal
	return r
}

// Ignored lists the columns of a file nothing reads, for the import page.
func (j *ImportJob) Ignored() []string {
	l, err := readImportLayout([]byte(j.Header + "\n"))
	if err != nil {
		return nil
	}
	return l.ignored
}

// StartImport checks an uploaded file and queues it. It counts the rows
// now, so the progress bar knows its end, and refuses a file it cannot
// read as a whole rather than importing half of it.
func StartImport(db *gorm.DB, actor Actor, role Role, in ImportInput, now time.Time) (*ImportJob, error) {
	v := Validation{}
	in.CountryCode = NormalisePhone(in.CountryCode)
	v.Check(len(in.CountryCode) <= 3, "country_code", "Enter a country calling code of 1 to 3 digits, like 33, or leave it empty.")
	switch {
	case len(in.Content) == 0:
		v.Check(false, "file", "Choose a CSV file to import.")
	case len(in.Content) > MaxImportBytes:
		v.Check(false, "file", fmt.Sprintf("The file is over %d MB; split it into smaller files.", MaxImportBytes>>20))
	case TextProblem(string(firstLine(in.Content))) != "":
		// A bad row is that row's issue; a bad header spoils every row.
		v.Check(false, "file", "The first line is not UTF-8 text. In your spreadsheet, save the file as “CSV UTF-8”.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	layout, err := readImportLayout(in.Content)
	if err != nil {
		return nil, err
	}
	rows, err := layout.countRows(in.Content)
	if err != nil {
		return nil, err
	}
	_, hasBalance := layout.columns["balance"]
	v.Check(!hasBalance || in.ProgramID != 0, "program_id", "The file has a balance column: choose the program the balances are in.")
	v.Check(rows > 0, "file", "The file names its columns but has no members below them.")
	v.Check(rows <= MaxImportRows, "file", fmt.Sprintf("The file has %d rows; import at most %d at a time.", rows, MaxImportRows))
	if err := v.Err(); err != nil {
		return nil, err
	}
	header, err := encodeRecord(layout.header, layout.delimiter)
	if err != nil {
		return nil, err
	}
	job := &ImportJob{
		ActorName: actor.Name, ActorRole: role, FileName: importFileName(in.FileName),
		CountryCode: in.CountryCode, Header: header, Delimiter: string(layout.delimiter),
		Status: ImportQueued, TotalRows: rows,
	}
	if actor.UserID != 0 {
		job.ActorID = &actor.UserID
	}
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
		if err := tx.Create(job).Error; err != nil {
			return fmt.Errorf("import: create job: %w", err)
		}
		if err := tx.Create(&ImportUpload{ImportID: job.ID, Content: in.Content}).Error; err != nil {
			return fmt.Errorf("import: store file: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

func importFileName(name string) string {
	name = strings.TrimSpace(name[strings.LastIndexAny(name, `/\`)+1:])
	if name == "" {
		return "members.csv"
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return name
}

// countRows reads the whole file once, so a broken one is refused at
// upload with the line to look at.
func (l *importLayout) countRows(content []byte) (int64, error) {
	r := l.reader(content)
	if _, err := r.Read(); err != nil {
		return 0, fmt.Errorf("import: header: %w", err)
	}
	var rows int64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return 0, fieldError("file", fmt.Sprintf("Line %d cannot be read as CSV: check its quotation marks (a quote inside a cell is written twice, \"\").", line))
		}
		if !blankRecord(rec) {
			rows++
		}
		if rows > MaxImportRows {
			return rows, nil
		}
	}
}

// blankRecord is an empty line or a row of empty cells, as spreadsheets
// leave at the end of a file; it is not a member.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func encodeRecord(rec []string, delimiter rune) (string, error) {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Comma = delimiter
	if err := w.Write(rec); err != nil {
		return "", fmt.Errorf("import: encode row: %w", err)
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n"), w.Error()
}

// PendingImports lists the jobs not finished yet, of every merchant, in
// the order they were uploaded: what a background worker has to do.
func PendingImports(db *gorm.DB) ([]ImportJob, error) {
	var jobs []ImportJob
	err := CrossTenant(db).Where("status IN ?", []ImportStatus{ImportQueued, ImportRunning}).Order("id").Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("import: pending: %w", err)
	}
	return jobs, nil
}

// GetImport loads one of the scoped merchant's imports.
func GetImport(db *gorm.DB, id int64) (*ImportJob, error) {
	var j ImportJob
	if err := db.Take(&j, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, Errorf(ENOTFOUND, "No such import.")
		}
		return nil, fmt.Errorf("import: get %d: %w", id, err)
	}
	return &j, nil
}

// ListImports returns the scoped merchant's latest imports, newest first.
func ListImports(db *gorm.DB, limit int) ([]ImportJob, error) {
	var jobs []ImportJob
	if err := db.Order("id DESC").Limit(limit).Find(&jobs).Error; err != nil {
		return nil, fmt.Errorf("import: list: %w", err)
	}
	return jobs, nil
}

// ListImportIssues returns an import's issues in line order, a page at a
// time (after the given line); kind "" means both kinds.
func ListImportIssues(db *gorm.DB, importID int64, kind string, afterLine int64, limit int) ([]ImportIssue, error) {
	q := db.Where("import_id = ? AND line > ?", importID, afterLine).Order("line").Limit(limit)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var issues []ImportIssue
	if err := q.Find(&issues).Error; err != nil {
		return nil, fmt.Errorf("import: issues: %w", err)
	}
	return issues, nil
}

// importRun is one worker's pass over a job: the file, read once, and the
// position reached.
type importRun struct {
	jobID   int64
	content []byte
	layout  *importLayout
	reader  *csv.Reader
	read    int64      // rows read so far (blank lines not counted)
	job     *ImportJob // as locked by the current batch
	program *Program
	loc     *time.Location
	limit   int64 // the largest opening balance allowed; -1 for none
	// monthFirst reads 01/02/1980 as January 2 (the merchant's locale)
	monthFirst bool
}

// ProcessImport runs an import of the scoped merchant to its end, one
// short transaction per batch, and returns early when ctx ends (the next
// run resumes after the last committed row). A row that cannot be
// imported becomes an issue, never a half-made member.
func ProcessImport(ctx context.Context, db *gorm.DB, id int64, clock func() time.Time) error {
	job, err := GetImport(db, id)
	if err != nil || job.Status.Finished() {
		return err
	}
	var upload ImportUpload
	if err := db.Take(&upload, "import_id = ?", id).Error; err != nil {
		return fmt.Errorf("import %d: load file: %w", id, err)
	}
	layout, err := readImportLayout(upload.Content)
	if err != nil {
		return fmt.Errorf("import %d: read file: %w", id, err)
	}
	run := &importRun{jobID: id, content: upload.Content, layout: layout}
	// A batch is not cut short by ctx: it is brief, and ending it cleanly
	// beats rolling it back.
	batchDB := db.WithContext(context.WithoutCancel(db.Statement.Context))
	for ctx.Err() == nil {
		finished := false
		err := batchDB.Transaction(func(tx *gorm.DB) error {
			var err error
			finished, err = run.batch(tx, clock)
			return err
		})
		if err != nil {
			run.reader = nil // what was read is rolled back: read again from the committed position
			return fmt.Errorf("import %d: %w", id, err)
		}
		if finished {
			return nil
		}
	}
	return ctx.Err()
}

// batch imports the next rows of the job under a lock on the job, so two
// workers (two app instances) never import the same row. The rows are
// checked one by one, then written together: a few statements per batch
// rather than per row is what makes 100,000 rows a matter of seconds.
func (run *importRun) batch(tx *gorm.DB, clock func() time.Time) (finished bool, err error) {
	var job ImportJob
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&job, "id = ?", run.jobID).Error; err != nil {
		return false, fmt.Errorf("lock job: %w", err)
	}
	if job.Status.Finished() {
		return true, nil
	}
	if err := run.prepare(tx, &job); err != nil {
		return false, err
	}
	if err := run.refreshStatistics(tx, &job); err != nil {
		return false, err
	}
	now := clock()
	var rows []*importRow
	for len(rows) < importBatchRows && job.ProcessedRows < job.TotalRows {
		rec, line, err := run.next()
		if err != nil {
			return false, err
		}
		rows = append(rows, run.check(rec, line, now))
		job.ProcessedRows++
	}
	if err := run.write(tx, rows, now); err != nil {
		return false, err
	}
	var issues []ImportIssue
	for _, r := range rows {
		switch {
		case r.issue == nil:
			job.CreatedCount++
			job.OpeningTotal += r.opening
			continue
		case r.issue.Kind == IssueDuplicate:
			job.DuplicateCount++
		default:
			job.ErrorCount++
		}
		is := *r.issue
		is.ImportID, is.Line = job.ID, r.line
		if is.Raw, err = encodeRecord(r.rec, run.layout.delimiter); err != nil {
			return false, err
		}
		is.Raw = storableText(is.Raw) // the row said why; its bad bytes cannot be stored

		issues = append(issues, is)
	}
	if len(issues) > 0 {
		if err := tx.Create(&issues).Error; err != nil {
			return false, fmt.Errorf("record issues: %w", err)
		}
	}
	job.Status = ImportRunning
	if job.ProcessedRows >= job.TotalRows {
		finished = true
		if err := finishImport(tx, &job, ImportDone, "", now); err != nil {
			return false, err
		}
	}
	if err := tx.Save(&job).Error; err != nil {
		return false, fmt.Errorf("save progress: %w", err)
	}
	return finished, nil
}

// analyzeEvery is how many batches pass between refreshing PostgreSQL's
// statistics of the members table during an import.
const analyzeEvery = 5

// refreshStatistics lets PostgreSQL's planner see the members table grow.
// Planned on statistics from before the import, the duplicate checks scan
// every member per batch and an import slows to a crawl; autovacuum
// catches up too late, if it runs at all.
func (run *importRun) refreshStatistics(tx *gorm.DB, job *ImportJob) error {
	if DialectOf(tx) != Postgres || job.ProcessedRows/importBatchRows%analyzeEvery != 0 {
		return nil
	}
	if err := tx.Exec("ANALYZE members").Error; err != nil {
		return fmt.Errorf("analyze members: %w", err)
	}
	return nil
}

// prepare loads what the rows are checked against and puts the reader at
// the job's committed position, which another worker may have moved.
func (run *importRun) prepare(tx *gorm.DB, job *ImportJob) error {
	m, err := GetMerchant(tx)
	if err != nil {
		return err
	}
	run.job, run.loc, run.limit, run.monthFirst = job, m.Location(), -1, MonthFirst(m.TimeZone)
	if limit, limited := m.AdjustLimit(job.ActorRole); limited {
		run.limit = limit
	}
	run.program = nil
	if job.ProgramID != nil {
		if run.program, err = GetProgram(tx, *job.ProgramID); err != nil {
			return err
		}
	}
	if run.reader == nil || run.read > job.ProcessedRows {
		run.reader, run.read = run.layout.reader(run.content), 0
		if _, err := run.reader.Read(); err != nil {
			return fmt.Errorf("header: %w", err)
		}
	}
	for run.read < job.ProcessedRows {
		if _, _, err := run.next(); err != nil {
			return err
		}
	}
	return nil
}

// next reads the next row that is not blank, with its line in the file.
func (run *importRun) next() ([]string, int64, error) {
	for {
		rec, err := run.reader.Read()
		if err != nil {
			return nil, 0, fmt.Errorf("read row %d: %w", run.read+1, err)
		}
		if blankRecord(rec) {
			continue
		}
		line, _ := run.reader.FieldPos(0)
		run.read++
		return rec, int64(line), nil
	}
}

// importRow is one row of the file on its way in: the member it makes,
// or the issue that keeps it out.
type importRow struct {
	line    int64
	rec     []string
	member  *Member
	tags    []string
	opening int64
	issue   *ImportIssue
}

// check reads and validates one row, as the enrolment form would.
func (run *importRun) check(rec []string, line int64, now time.Time) *importRow {
	row := &importRow{line: line, rec: rec}
	l := run.layout
	if len(rec) > len(l.header) {
		row.issue = rowError(fmt.Sprintf("This row has %d cells but the first line names %d columns.", len(rec), len(l.header)))
		return row
	}
	for i, c := range rec {
		if p := TextProblem(c); p != "" {
			row.issue = rowError(fmt.Sprintf("The cell under %q %s; if many rows are like this, save the file as “CSV UTF-8”.", strings.ToValidUTF8(l.header[i], "?"), p))
			return row
		}
	}
	cell := func(field string) string {
		if i, ok := l.columns[field]; ok && i < len(rec) {
			return importCell(rec[i])
		}
		return ""
	}
	birthday, problem := importDate(cell("birthday"), run.monthFirst)
	in := MemberInput{
		Name:     cell("name"),
		Email:    cell("email"),
		Phone:    withCountryCode(cell("phone"), run.job.CountryCode),
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
	var ok bool
	if m.MarketingOptIn, ok = parseYesNo(cell("marketing")); !ok {
		v.Check(false, "marketing", "Write yes or no in the marketing column.")
	}
	row.tags = parseTags(cell("tags"), v)
	if run.program != nil {
		row.opening = numberField(v, "balance", strings.ReplaceAll(cell("balance"), " ", ""), 0, maxUnits,
			fmt.Sprintf("Write the balance as a whole number of %s, 0 or more.", run.program.UnitLabel))
		v.Check(run.limit < 0 || row.opening <= run.limit, "balance",
			fmt.Sprintf("A balance over %d is above your role's adjustment limit; an owner can import this row.", run.limit))
	}
	if len(v) > 0 {
		row.issue = rowError(fieldSentence(v))
		return row
	}
	row.member = m
	return row
}

// write saves the members of the rows that passed their checks, with
// their tags and opening balances. A member whose email or phone is
// already here, or on an earlier row, is a duplicate instead.
func (run *importRun) write(tx *gorm.DB, rows []*importRow, now time.Time) error {
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
	}
	// A member enrolled at the till since markDuplicates looked fails the
	// whole batch here; the worker's next try reports them as duplicates.
	if err := createMembers(tx, members); err != nil {
		return fmt.Errorf("insert members: %w", err)
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
		if r.opening > 0 {
			openings = append(openings, opening{memberID: r.member.ID, amount: r.opening,
				note: fmt.Sprintf("Imported from %s, line %d", run.job.FileName, r.line),
				key:  fmt.Sprintf("import:%d:%d", run.job.ID, r.line)})
		}
	}
	if len(tags) > 0 {
		if err := tx.Create(&tags).Error; err != nil {
			return fmt.Errorf("insert tags: %w", err)
		}
	}
	if len(openings) > 0 {
		return openAccounts(tx, run.program, run.job.actor(), openings, now)
	}
	return nil
}

// markDuplicates turns rows whose email or phone belongs to a member, or
// to an earlier row, into duplicates naming who has it.
func markDuplicates(tx *gorm.DB, rows []*importRow) error {
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

func rowError(msg string) *ImportIssue { return &ImportIssue{Kind: IssueError, Message: msg} }

// importFieldOrder is the order a row's messages are told in.
var importFieldOrder = []string{"name", "email", "phone", "birthday", "marketing", "tags", "balance"}

// fieldSentence puts a row's field messages in one line, each after the
// column it is about.
func fieldSentence(fields map[string]string) string {
	var parts []string
	for _, f := range importFieldOrder {
		if msg, ok := fields[f]; ok {
			parts = append(parts, strings.ToUpper(f[:1])+f[1:]+": "+msg)
		}
	}
	return strings.Join(parts, " ")
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

func (j *ImportJob) actor() Actor {
	a := Actor{Name: j.ActorName}
	if j.ActorID != nil {
		a.UserID = *j.ActorID
	}
	return a
}

// finishImport closes a job: the file is let go and the audit log says
// what the import did.
func finishImport(tx *gorm.DB, job *ImportJob, status ImportStatus, failure string, now time.Time) error {
	job.Status, job.Failure = status, failure
	t := now.UTC()
	job.FinishedAt = &t
	if err := tx.Where("import_id = ?", job.ID).Delete(&ImportUpload{}).Error; err != nil {
		return fmt.Errorf("import: drop file: %w", err)
	}
	summary := fmt.Sprintf("Imported %d members from %s (%d duplicates skipped, %d rows with errors)",
		job.CreatedCount, job.FileName, job.DuplicateCount, job.ErrorCount)
	if status == ImportFailed {
		summary = fmt.Sprintf("Import of %s stopped after %d of %d rows: %s", job.FileName, job.ProcessedRows, job.TotalRows, failure)
	}
	after := map[string]any{"File": job.FileName, "Rows": job.TotalRows, "Imported": job.CreatedCount,
		"Duplicates": job.DuplicateCount, "Errors": job.ErrorCount, "Opening balances": job.OpeningTotal}
	return recordAudit(tx, job.actor(), AuditCreate, "import", job.ID, summary, nil, after)
}

// FailImport stops a job that cannot go on; the rows committed so far
// stay imported and the page says where it stopped.
func FailImport(db *gorm.DB, id int64, reason string, now time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		var job ImportJob
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&job, "id = ?", id).Error; err != nil {
			return fmt.Errorf("import %d: lock to fail: %w", id, err)
		}
		if job.Status.Finished() {
			return nil
		}
		if err := finishImport(tx, &job, ImportFailed, reason, now); err != nil {
			return err
		}
		if err := tx.Save(&job).Error; err != nil {
			return fmt.Errorf("import %d: fail: %w", id, err)
		}
		return nil
	})
}
