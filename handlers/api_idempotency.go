package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// The Idempotency-Key header of a POST or PATCH, and the header a replayed
// answer carries.
const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	maxIdempotencyKey = 255
)

// validIdempotencyKey: 1 to 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > maxIdempotencyKey {
		return false
	}
	for i := range len(k) {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestHash is what makes two requests the same one: method, path,
// query and body.
func requestHash(c echo.Context) string {
	r := c.Request()
	h := sha256.New()
	for _, part := range [][]byte{[]byte(r.Method), []byte(r.URL.Path), []byte(r.URL.RawQuery), apiBody(c)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent runs a request with an Idempotency-Key at most once per
// merchant and API key: the first claims the key and stores its answer; a
// retry of the same request gets that answer again, marked as a replay;
// the key reused for another request is a 422, and a retry while the
// first still runs a 409. Refusals of the request as sent (validation,
// body, type) and failures on our side are not stored, so the client may
// fix the request, or just retry, under the same key.
func (a *App) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get(idempotencyHeader)
		if key == "" {
			return next(c)
		}
		if !validIdempotencyKey(key) {
			return &apiError{status: http.StatusUnprocessableEntity, detail: "Please correct the Idempotency-Key header.",
				fields: map[string]string{idempotencyHeader: "Use 1 to 255 printable ASCII characters."}}
		}
		apiKey := apiKeyOf(c)
		// The answer is stored even when the client has hung up meanwhile.
		db := models.ForMerchant(a.db.WithContext(context.WithoutCancel(c.Request().Context())), apiKey.MerchantID)
		stored, err := models.ClaimIdempotencyKey(db, apiKey.ID, key, requestHash(c), a.now())
		if models.ErrorCode(err) == models.EINVALID {
			return &apiError{status: http.StatusUnprocessableEntity, kind: "idempotency-key-reused", detail: models.ErrorMessage(err)}
		}
		if err != nil {
			return err
		}
		if stored != nil {
			c.Response().Header().Set(replayedHeader, "true")
			return c.Blob(stored.Status, answerType(stored.Status), []byte(stored.ResponseBody))
		}
		settled := false
		defer func() { // a panic leaves nothing claimed
			if !settled {
				_ = models.ReleaseIdempotencyKey(db, apiKey.ID, key)
			}
		}()
		capture := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = capture
		if err := next(c); err != nil {
			a.writeProblem(c, err)
		}
		status := c.Response().Status
		if keepsAnswer(status) {
			err = models.CompleteIdempotencyKey(db, apiKey.ID, key, status, capture.body.Bytes())
		} else {
			err = models.ReleaseIdempotencyKey(db, apiKey.ID, key)
		}
		settled = err == nil
		if err != nil {
			a.log.Error("idempotency key not settled", "err", err, "request_id", requestID(c))
		}
		return nil
	}
}

// keepsAnswer says whether an answer is final for its request: not a
// refusal of what was sent, nor a failure on our side.
func keepsAnswer(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return false
	}
	return status < 500
}

func answerType(status int) string {
	if status >= 400 {
		return "application/problem+json"
	}
	return echo.MIMEApplicationJSON
}

// teeWriter keeps a copy of the body it writes.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}
