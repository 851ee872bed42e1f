package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// TestIdempotencyKeys proves a keyed request's work and its answer commit
// together: once, replayed after, undone with an answer not kept or a
// crash, and refused while the first still runs or for another request.
func TestIdempotencyKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newShop(t, db, "idem@example.com")
		now := time.Now().UTC()
		k, _, err := models.CreateAPIKey(s.db, testActor, models.APIKeyInput{Name: "POS", Scope: "read-write"}, now)
		if err != nil {
			t.Fatal(err)
		}
		runs := 0
		enrol := func(name string, status int, keep bool) func(tx *gorm.DB) (models.Answer, bool) {
			return func(tx *gorm.DB) (models.Answer, bool) {
				runs++
				if _, err := models.EnrolMember(tx, testActor, models.MemberInput{Name: name}, now); err != nil {
					t.Errorf("enrol %s: %v", name, err)
				}
				return models.Answer{Status: status, Body: []byte(`{"name":"` + name + `"}`)}, keep
			}
		}
		members := func(name string) int64 { return countWhere(t, s.db, &models.Member{}, "name = ?", name) }

		ans, replayed, err := models.RunIdempotent(s.db, k.ID, "abc", "h1", now, enrol("Ada", 201, true))
		if err != nil || replayed || ans.Status != 201 || runs != 1 || members("Ada") != 1 {
			t.Fatalf("first run = %+v, %v, %v after %d runs, %d Adas; want it run once and kept", ans, replayed, err, runs, members("Ada"))
		}
		ans, replayed, err = models.RunIdempotent(s.db, k.ID, "abc", "h1", now, enrol("Ada", 201, true))
		if err != nil || !replayed || ans.Status != 201 || string(ans.Body) != `{"name":"Ada"}` || runs != 1 || members("Ada") != 1 {
			t.Fatalf("retry = %+v %s, %v, %v after %d runs; want the stored 201 replayed, nothing run", ans, ans.Body, replayed, err, runs)
		}
		if _, _, err := models.RunIdempotent(s.db, k.ID, "abc", "h2", now, enrol("Bob", 201, true)); models.ErrorCode(err) != models.EINVALID || runs != 1 {
			t.Errorf("the key for another request: %v after %d runs, want invalid and nothing run", err, runs)
		}

		// An answer not kept (a refusal of what was sent) undoes its work
		// and leaves the key free for the corrected request.
		ans, replayed, err = models.RunIdempotent(s.db, k.ID, "fix-me", "h1", now, enrol("Cleo", 422, false))
		if err != nil || replayed || ans.Status != 422 || members("Cleo") != 0 {
			t.Fatalf("refused run = %+v, %v, %v, %d Cleos; want the 422 answered and its work undone", ans, replayed, err, members("Cleo"))
		}
		if ans, replayed, err = models.RunIdempotent(s.db, k.ID, "fix-me", "h3", now, enrol("Cleo", 201, true)); err != nil || replayed || members("Cleo") != 1 {
			t.Fatalf("corrected run = %+v, %v, %v; want it run", ans, replayed, err)
		}

		// A crash in the middle of the work leaves neither work nor key.
		func() {
			defer func() { _ = recover() }()
			_, _, _ = models.RunIdempotent(s.db, k.ID, "crash", "h1", now, func(tx *gorm.DB) (models.Answer, bool) {
				enrol("Dora", 201, true)(tx)
				panic("the process dies")
			})
		}()
		if members("Dora") != 0 {
			t.Fatalf("%d Doras after a crash, want 0", members("Dora"))
		}
		if _, replayed, err := models.RunIdempotent(s.db, k.ID, "crash", "h1", now, enrol("Dora", 201, true)); err != nil || replayed || members("Dora") != 1 {
			t.Fatalf("retry after a crash: %v, %v, %d Doras; want it run", replayed, err, members("Dora"))
		}

		// A retry while the first runs: refused at once on PostgreSQL;
		// on SQLite it waits for the first to commit and replays it.
		inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			_, _, err := models.RunIdempotent(s.db, k.ID, "slow", "h1", now, func(tx *gorm.DB) (models.Answer, bool) {
				close(inside)
				<-release
				if _, err := models.EnrolMember(tx, testActor, models.MemberInput{Name: "Eve"}, now); err != nil {
					return models.Answer{Status: 500}, false
				}
				return models.Answer{Status: 201, Body: []byte(`{"name":"Eve"}`)}, true
			})
			done <- err
		}()
		<-inside
		if models.DialectOf(db) == models.Postgres {
			if _, _, err := models.RunIdempotent(s.db, k.ID, "slow", "h1", now, enrol("Eve", 201, true)); models.ErrorCode(err) != models.ECONFLICT {
				t.Errorf("retry while the first runs: %v, want conflict", err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		} else {
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if ans, replayed, err := models.RunIdempotent(s.db, k.ID, "slow", "h1", now, enrol("Eve", 201, true)); err != nil || !replayed || ans.Status != 201 {
				t.Errorf("retry after the first = %+v, %v, %v; want its replay", ans, replayed, err)
			}
		}
		if members("Eve") != 1 {
			t.Errorf("%d Eves, want 1", members("Eve"))
		}

		if models.DialectOf(db) == models.Postgres {
			// An answer stored under the key while this request ran (the
			// lock missed it) wins: this request's work is undone and the
			// stored answer is replayed.
			ans, replayed, err := models.RunIdempotent(s.db, k.ID, "raced", "h1", now, func(tx *gorm.DB) (models.Answer, bool) {
				enrol("Fay", 201, true)(tx)
				if err := s.db.Create(&models.IdempotencyKey{APIKeyID: k.ID, Key: "raced", RequestHash: "h1", Status: 200,
					ResponseBody: `{"first":true}`, CreatedAt: now}).Error; err != nil {
					t.Fatal(err)
				}
				return models.Answer{Status: 201}, true
			})
			if err != nil || !replayed || ans.Status != 200 || members("Fay") != 0 {
				t.Errorf("raced run = %+v, %v, %v, %d Fays; want the first answer replayed and this work undone", ans, replayed, err, members("Fay"))
			}
		}

		stored := countWhere(t, s.db, &models.IdempotencyKey{}, "api_key_id = ?", k.ID)
		rep, err := models.RunDaily(db, now.Add(models.IdempotencyKeyLifetime-time.Hour))
		if err != nil || rep.IdempotencySwept != 0 {
			t.Fatalf("daily within a day swept %d (%v), want 0", rep.IdempotencySwept, err)
		}
		rep, err = models.RunDaily(db, now.Add(models.IdempotencyKeyLifetime+time.Hour))
		if err != nil || rep.IdempotencySwept != stored || stored < 4 {
			t.Fatalf("daily after a day swept %d (%v), want all %d", rep.IdempotencySwept, err, stored)
		}
	})
}
