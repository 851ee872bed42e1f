package models

import (
	"context"
	"encoding/csv"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A batch of rows is one short transaction: short transactions keep the
// till responsive during an import (SQLite has one writer at a time).
// Rows written together take a few statements a batch; rows that each go
// through the till's path take a transaction's worth each, in a savepoint
// each, so fewer of them make a batch (PostgreSQL also slows sharply past
// 64 savepoints in one transaction).
const (
	importBatchRows = 500
	earnBatchRows   = 25
)

// importRow is one row of a file on its way in: what it credited, or the
// issue that keeps it out.
type importRow struct {
	line  int64
	rec   []string
	units int64 // an opening balance, or what a purchase earned
	issue *ImportIssue
}

func (r *importRow) row() *importRow { return r }

type rowOf interface{ row() *importRow }

// importer is what one kind of import does with its rows. Around it the
// run is the same for every kind: the lock on the job, the position in
// the file, the issues and the progress.
type importer[R rowOf] interface {
	// prepare loads what the batch's rows are checked against.
	prepare(tx *gorm.DB, job *ImportJob, m *Merchant) error
	// check reads and validates one row, touching no database.
	check(rec []string, line int64, now time.Time) R
	// skip sees a row an earlier batch committed, as a run reads the file
	// up to its position.
	skip(rec []string, line int64, now time.Time)
	// write saves the rows that passed, turning any that are already
	// here into duplicates.
	write(tx *gorm.DB, rows []R, now time.Time) error
	// grows is the table the import makes grow.
	grows() string
	// batchRows is how many rows a batch takes.
	batchRows() int
}

// importRun is one worker's pass over a job: the file, read once, and the
// position reached.
type importRun[R rowOf] struct {
	jobID   int64
	content []byte
	layout  *importLayout
	reader  *csv.Reader
	read    int64 // rows read so far (blank lines not counted)
	kind    importer[R]
	newKind func() importer[R] // a fresh importer, for reading the file again from its start
}

// ProcessImport runs an import of the scoped merchant to its end, one
// short transaction per batch, and returns early when ctx ends (the next
// run resumes after the last committed row). A row that cannot be
// imported becomes an issue, never a half-made member or purchase.
func ProcessImport(ctx context.Context, db *gorm.DB, id int64, clock func() time.Time) error {
	job, err := GetImport(db, id)
	if err != nil || job.Status.Finished() {
		return err
	}
	var upload ImportUpload
	if err := db.Take(&upload, "import_id = ?", id).Error; err != nil {
		return fmt.Errorf("import %d: load file: %w", id, err)
	}
	layout, err := readImportLayout(upload.Content, job.format())
	if err != nil {
		return fmt.Errorf("import %d: read file: %w", id, err)
	}
	if job.Kind == ImportHistory {
		run := &importRun[*historyRow]{jobID: id, content: upload.Content, layout: layout,
			newKind: func() importer[*historyRow] { return &historyImport{layout: layout} }}
		return run.process(ctx, db, clock)
	}
	run := &importRun[*memberRow]{jobID: id, content: upload.Content, layout: layout,
		newKind: func() importer[*memberRow] { return &memberImport{layout: layout} }}
	return run.process(ctx, db, clock)
}

func (run *importRun[R]) process(ctx context.Context, db *gorm.DB, clock func() time.Time) error {
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
			return fmt.Errorf("import %d: %w", run.jobID, err)
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
func (run *importRun[R]) batch(tx *gorm.DB, clock func() time.Time) (finished bool, err error) {
	var job ImportJob
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&job, "id = ?", run.jobID).Error; err != nil {
		return false, fmt.Errorf("lock job: %w", err)
	}
	if job.Status.Finished() {
		return true, nil
	}
	now := clock()
	if err := run.prepare(tx, &job, now); err != nil {
		return false, err
	}
	if err := refreshStatistics(tx, &job, run.kind.grows()); err != nil {
		return false, err
	}
	var rows []R
	for len(rows) < run.kind.batchRows() && job.ProcessedRows < job.TotalRows {
		rec, line, err := run.next()
		if err != nil {
			return false, err
		}
		rows = append(rows, run.kind.check(rec, line, now))
		job.ProcessedRows++
	}
	if err := run.kind.write(tx, rows, now); err != nil {
		return false, err
	}
	var issues []ImportIssue
	for _, r := range rows {
		r := r.row()
		switch {
		case r.issue == nil:
			job.CreatedCount++
			job.OpeningTotal += r.units
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

// refreshStatistics lets PostgreSQL's planner see the table grow.
// Planned on statistics from before the import, the duplicate checks scan
// the whole table per batch and an import slows to a crawl; autovacuum
// catches up too late, if it runs at all. Each time the import has
// doubled is often enough, and ANALYZE of a large table is not free.
func refreshStatistics(tx *gorm.DB, job *ImportJob, table string) error {
	batch := job.ProcessedRows / importBatchRows
	if DialectOf(tx) != Postgres || job.ProcessedRows%importBatchRows != 0 || batch&(batch-1) != 0 {
		return nil
	}
	if err := tx.Exec("ANALYZE " + table).Error; err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}

// prepare loads what the rows are checked against and puts the reader at
// the job's committed position, which another worker may have moved.
func (run *importRun[R]) prepare(tx *gorm.DB, job *ImportJob, now time.Time) error {
	if run.reader == nil || run.read > job.ProcessedRows {
		run.reader, run.read, run.kind = run.layout.reader(run.content), 0, run.newKind()
		if _, err := run.reader.Read(); err != nil {
			return fmt.Errorf("header: %w", err)
		}
	}
	m, err := GetMerchant(tx)
	if err != nil {
		return err
	}
	if err := run.kind.prepare(tx, job, m); err != nil {
		return err
	}
	for run.read < job.ProcessedRows {
		rec, line, err := run.next()
		if err != nil {
			return err
		}
		run.kind.skip(rec, line, now)
	}
	return nil
}

// next reads the next row that is not blank, with its line in the file.
func (run *importRun[R]) next() ([]string, int64, error) {
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
