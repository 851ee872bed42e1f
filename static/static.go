// Package static holds the browser assets, embedded in the binary. Vendored
// libraries live in vendor/ with their version in the file name (see
// VENDORED.md); our own small stylesheet and script sit in css/ and js/.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"strings"
	"sync"
)

//go:embed vendor css js img
var files embed.FS

// FS is the tree of assets.
var FS fs.FS = files

// Prefix is where assets are served; a content hash follows it, so every
// asset URL changes when its bytes do and can be cached for a year.
const Prefix = "/static/"

var hashes = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[path] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return m
})

// Path returns the versioned URL of an asset, like
// /static/1a2b3c4d5e6f/css/app.css.
func Path(name string) string {
	return Prefix + hashes()[name] + "/" + name
}

// Resolve splits a versioned URL path (without Prefix) into the asset name
// and whether its hash is the current one.
func Resolve(versioned string) (name string, current bool) {
	hash, name, ok := strings.Cut(versioned, "/")
	if !ok {
		return versioned, false
	}
	return name, hashes()[name] == hash
}
