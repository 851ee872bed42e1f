package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ImportStatus is where a CSV import stands.
type ImportStatus string

const (
	ImportQueued  ImportStatus = "queued"
	ImportRunning ImportStatus = "running"
	ImportDone    ImportStatus = "done"
	ImportFailed  ImportStatus = "failed"
)

// Finished reports whether the job will not move any more.
func (s ImportStatus) Finished() bool { return s == ImportDone || s == ImportFailed }

// ImportKind is what a file brings in.
type ImportKind string

const (
	ImportMembers ImportKind = "members"
	ImportHistory ImportKind = "history" // purchases made before the move
)

// ImportJob is a CSV import, run in the background a batch at a time.
// ProcessedRows is committed with each batch's rows, so a restart
// resumes after the last committed row.
type ImportJob struct {
	ID          int64
	MerchantID  int64
	Kind        ImportKind
	ProgramID   *int64 // where opening balances or purchases go; nil when a member file has no balances
	Earn        bool   // history earns points as purchases at the till do
	ActorID     *int64
	ActorName   string
	ActorRole   Role // opening balances stay within this role's adjustment limit
	FileName    string
	CountryCode string // for phone numbers written without one
	Header      string // the file's first line, for the rows-to-fix download
	Delimiter   string
	Status      ImportStatus
	TotalRows   int64
	// ProcessedRows are read; CreatedCount imported (members or
	// purchases); DuplicateCount already here; OpeningTotal the units
	// credited (opening balances, or what history earned).
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
// duplicate of what is already here. Raw is the row as uploaded.
type ImportIssue struct {
	ID         int64
	MerchantID int64
	ImportID   int64
	Line       int64
	Kind       string
	Message    string
	Raw        string
}

func (j *ImportJob) format() importFormat {
	if j.Kind == ImportHistory {
		return historyFormat
	}
	return memberFormat
}

// Ignored lists the columns of a file nothing reads, for the import page.
func (j *ImportJob) Ignored() []string {
	f := j.format()
	f.missing = func(*importLayout) string { return "" }
	l, err := readImportLayout([]byte(j.Header+"\n"), f)
	if err != nil {
		return nil
	}
	return l.ignored
}

// newImportJob is a job for a checked upload, by actor.
func newImportJob(kind ImportKind, actor Actor, role Role, fileName string, layout *importLayout, rows int64) (*ImportJob, error) {
	header, err := encodeRecord(layout.header, layout.delimiter)
	if err != nil {
		return nil, err
	}
	job := &ImportJob{
		Kind: kind, ActorName: actor.Name, ActorRole: role, FileName: fileName,
		Header: header, Delimiter: string(layout.delimiter), Status: ImportQueued, TotalRows: rows,
	}
	if actor.UserID != 0 {
		job.ActorID = &actor.UserID
	}
	return job, nil
}

// queueImport stores a job and its file for the worker.
func queueImport(tx *gorm.DB, job *ImportJob, content []byte) error {
	if err := tx.Create(job).Error; err != nil {
		return fmt.Errorf("import: create job: %w", err)
	}
	if err := tx.Create(&ImportUpload{ImportID: job.ID, Content: content}).Error; err != nil {
		return fmt.Errorf("import: store file: %w", err)
	}
	return nil
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
		return nil, notFound(err, "No such import.", "import: get %d", id)
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
	after := map[string]any{"File": job.FileName, "Rows": job.TotalRows, "Imported": job.CreatedCount,
		"Duplicates": job.DuplicateCount, "Errors": job.ErrorCount}
	summary := fmt.Sprintf("Imported %d members from %s (%d duplicates skipped, %d rows with errors)",
		job.CreatedCount, job.FileName, job.DuplicateCount, job.ErrorCount)
	if job.Kind == ImportHistory {
		summary = fmt.Sprintf("Imported %d past purchases from %s (%d already imported, %d rows with errors)",
			job.CreatedCount, job.FileName, job.DuplicateCount, job.ErrorCount)
		after["Earn points"], after["Points earned"] = job.Earn, job.OpeningTotal
	} else {
		after["Opening balances"] = job.OpeningTotal
	}
	if status == ImportFailed {
		summary = fmt.Sprintf("Import of %s stopped after %d of %d rows: %s", job.FileName, job.ProcessedRows, job.TotalRows, failure)
	}
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
