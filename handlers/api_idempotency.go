package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

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
// merchant and API key: its work and its answer commit in one
// transaction (models.RunIdempotent), and a retry of the same request
// gets that answer again, marked as a replay; the key reused for another
// request is a 422, and a retry while the first still runs a 409.
// Refusals of the request as sent (validation, body, type) and failures
// on our side are rolled back and not stored, so the client may fix the
// request, or just retry, under the same key. The answer is held back
// until the transaction commits: a client never hears of work that did
// not happen.
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
		// The work is finished even when the client has hung up meanwhile.
		db := models.ForMerchant(a.db.WithContext(context.WithoutCancel(c.Request().Context())), apiKey.MerchantID)
		res := c.Response()
		held := newHeldAnswer(res)
		ans, replayed, err := models.RunIdempotent(db, apiKey.ID, key, requestHash(c), a.now(), func(tx *gorm.DB) (models.Answer, bool) {
			c.Set(ctxTx, tx)
			defer c.Set(ctxTx, nil)
			res.Writer = held
			defer held.release()
			defer func() {
				if p := recover(); p != nil { // rolled back: the recovery answers afresh
					held.discard()
					panic(p)
				}
			}()
			if err := next(c); err != nil {
				a.writeProblem(c, err)
			}
			return models.Answer{Status: res.Status, Body: held.body.Bytes()}, keepsAnswer(res.Status)
		})
		if err != nil || replayed { // whatever the handler wrote did not commit
			held.discard()
		}
		switch {
		case models.ErrorCode(err) == models.EINVALID:
			return &apiError{status: http.StatusUnprocessableEntity, kind: "idempotency-key-reused", detail: models.ErrorMessage(err)}
		case err != nil:
			return err
		case replayed:
			res.Header().Set(replayedHeader, "true")
			return c.Blob(ans.Status, answerType(ans.Status), ans.Body)
		}
		return held.send()
	}
}

// heldAnswer keeps a handler's answer (its status, headers and body)
// from the client until the transaction it describes has committed.
type heldAnswer struct {
	res    *echo.Response
	out    http.ResponseWriter // the client's
	before http.Header         // the headers set before the handler ran
	body   bytes.Buffer
}

func newHeldAnswer(res *echo.Response) *heldAnswer {
	return &heldAnswer{res: res, out: res.Writer, before: res.Header().Clone()}
}

func (h *heldAnswer) Header() http.Header         { return h.out.Header() }
func (h *heldAnswer) WriteHeader(int)             {} // the response keeps the status
func (h *heldAnswer) Write(b []byte) (int, error) { return h.body.Write(b) }

// release gives the response its own writer back, the answer still held.
func (h *heldAnswer) release() { h.res.Writer = h.out }

// send writes the held answer to the client.
func (h *heldAnswer) send() error {
	h.release()
	h.out.WriteHeader(h.res.Status)
	_, err := h.out.Write(h.body.Bytes())
	return err
}

// discard forgets the held answer, headers included, so that another can
// be written in its place.
func (h *heldAnswer) discard() {
	h.release()
	header := h.out.Header()
	clear(header)
	for k, v := range h.before {
		header[k] = v
	}
	h.res.Committed, h.res.Status, h.res.Size = false, http.StatusOK, 0
	h.body.Reset()
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
