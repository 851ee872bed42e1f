package handlers

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// openAPIDocument describes every route of apiRoutes; TestOpenAPIDocument
// fails when the two part ways (a route, a method, a body's fields).
//
//go:embed openapi.json
var openAPIDocument []byte

const openAPIPath = apiPrefix + "/openapi.json"

// openAPIETag names this build's document, so a client revalidates
// instead of fetching it again.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// serveOpenAPI answers the document to anyone: it holds no business's
// data, so it needs no key and may be cached.
func serveOpenAPI(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", openAPIETag)
	http.ServeContent(c.Response(), c.Request(), "openapi.json", time.Time{}, bytes.NewReader(openAPIDocument))
	return nil
}
