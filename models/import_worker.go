package models

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"
)

// importAttempts is how often a job that hits an error is tried before it
// is marked failed: a busy database should not end an import.
const importAttempts = 3

// ImportWorker runs uploaded imports in the background, one at a time, so
// an upload answers at once and its page polls for progress.
type ImportWorker struct {
	db    *gorm.DB
	log   *slog.Logger
	clock func() time.Time
	wake  chan struct{}
	done  sync.WaitGroup
}

// NewImportWorker returns a worker; Start sets it going.
func NewImportWorker(db *gorm.DB, log *slog.Logger, clock func() time.Time) *ImportWorker {
	if clock == nil {
		clock = time.Now
	}
	return &ImportWorker{db: db, log: log, clock: clock, wake: make(chan struct{}, 1)}
}

// Start works in the background until ctx ends: first the jobs an earlier
// run left (a restart resumes them), then each upload Wake announces.
func (w *ImportWorker) Start(ctx context.Context) {
	w.done.Add(1)
	go w.run(ctx)
}

func (w *ImportWorker) run(ctx context.Context) {
	defer w.done.Done()
	for {
		w.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
	}
}

// Wait returns once the worker has stopped, so a server can stop cleanly.
func (w *ImportWorker) Wait() { w.done.Wait() }

// Wake tells the worker a job is waiting. A nil worker does nothing: the
// job then waits for the next start.
func (w *ImportWorker) Wake() {
	if w == nil {
		return
	}
	select {
	case w.wake <- struct{}{}:
	default: // already woken; the pass it starts will see this job too
	}
}

func (w *ImportWorker) drain(ctx context.Context) {
	for ctx.Err() == nil {
		jobs, err := PendingImports(w.db.WithContext(ctx))
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("imports: list pending", "err", err)
			}
			return
		}
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			w.process(ctx, j)
		}
	}
}

func (w *ImportWorker) process(ctx context.Context, j ImportJob) {
	db := ForMerchant(w.db, j.MerchantID)
	var err error
	for try := 1; try <= importAttempts && ctx.Err() == nil; try++ {
		if err = ProcessImport(ctx, db, j.ID, w.clock); err == nil || ctx.Err() != nil {
			return
		}
		w.log.Warn("import: batch failed", "import", j.ID, "merchant", j.MerchantID, "try", try, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(try) * time.Second):
		}
	}
	if ctx.Err() != nil {
		return
	}
	w.log.Error("import: failed", "import", j.ID, "merchant", j.MerchantID, "err", err)
	if err := FailImport(db, j.ID, "Something went wrong on our side; the rows before this point are imported.", w.clock()); err != nil {
		w.log.Error("import: mark failed", "import", j.ID, "err", err)
	}
}
