package models

import "testing"

func TestQuestionMarks(t *testing.T) {
	for in, want := range map[string]string{
		`INSERT INTO "a" ("x","y") VALUES ($1,$2) RETURNING "id"`: `INSERT INTO "a" ("x","y") VALUES (?,?) RETURNING "id"`,
		`UPDATE "a" SET "x"=$10 WHERE "id" = $11`:                 `UPDATE "a" SET "x"=? WHERE "id" = ?`,
		`SELECT $`:  `SELECT $`,
		`SELECT $x`: `SELECT $x`,
		``:          ``,
	} {
		if got := questionMarks(in); got != want {
			t.Errorf("questionMarks(%q) = %q, want %q", in, got, want)
		}
	}
}
