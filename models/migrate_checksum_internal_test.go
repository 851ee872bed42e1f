package models

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// checksumsFile lists the SHA-256 of every committed migration, as
// sha256sum writes it, paths relative to migrations/.
const checksumsFile = "migrations/checksums.txt"

// A committed migration is never edited, renamed or removed: a database
// that ran it would never run it again, so production and a fresh install
// would differ. Every migration the binary embeds is checked against the
// list, without a database.
func TestMigrationsAreUnchanged(t *testing.T) {
	listed, err := os.ReadFile(checksumsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(listed))
	for n := 1; sc.Scan(); n++ {
		sum, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != sha256.Size*2 {
			t.Fatalf("%s:%d: want %q, as sha256sum writes it: %q", checksumsFile, n, "<sha256>  <dialect>/<file>.sql", sc.Text())
		}
		want[path] = sum
	}
	embedded := map[string]bool{}
	err = fs.WalkDir(migrationFiles, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded[strings.TrimPrefix(path, "migrations/")] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, sum := range want {
		if !embedded[path] {
			t.Errorf("migration %s is listed in %s but gone: a committed migration is never renamed or removed", path, checksumsFile)
			continue
		}
		content, err := migrationFiles.ReadFile("migrations/" + path)
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(content); hex.EncodeToString(got[:]) != sum {
			t.Errorf("migration %s changed since it was committed: never edit a committed migration, write a new one that changes what it made", path)
		}
	}
	for path := range embedded {
		if _, ok := want[path]; !ok {
			t.Errorf("migration %s is not in %s: new migrations are welcome, but add their sums to the list in the same commit "+
				"(cd models/migrations && sha256sum %s >> checksums.txt)", path, checksumsFile, path)
		}
	}
}
