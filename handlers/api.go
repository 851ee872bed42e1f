package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// The JSON API lives under apiPrefix. It authenticates with API keys
// (Authorization: Bearer), never with the session cookie, so neither a
// browser session opens it nor does it need CSRF tokens.
const apiPrefix = "/api/v1"

const (
	ctxAPIKey = "regulars.api_key"
	// ctxTx is the transaction an idempotent request runs in.
	ctxTx = "regulars.tx"
)

// Per-key rate limit: a steady rate with a burst on top, one bucket per
// key in this instance's memory.
const (
	apiRatePerSecond = 20
	apiRateBurst     = 40
)

// apiRoute is one entry of the API's route table: the scope its key needs.
type apiRoute struct {
	Method  string
	Path    string // under apiPrefix
	Scope   models.APIScope
	handler echo.HandlerFunc
}

func (a *App) apiRoutes() []apiRoute {
	return []apiRoute{
		{"POST", "/members", models.ScopeReadWrite, a.apiEnrolMember},
		{"GET", "/members", models.ScopeRead, a.apiFindMembers},
		{"GET", "/members/:memberID", models.ScopeRead, a.apiGetMember},
		{"PATCH", "/members/:memberID", models.ScopeReadWrite, a.apiUpdateMember},
		{"GET", "/members/:memberID/balances", models.ScopeRead, a.apiBalances},
		{"GET", "/members/:memberID/entries", models.ScopeRead, a.apiEntries},
		{"POST", "/purchases", models.ScopeReadWrite, a.apiRecordPurchase},
		{"POST", "/purchases/:purchaseID/refunds", models.ScopeReadWrite, a.apiRefund},
		{"GET", "/rewards", models.ScopeRead, a.apiRewards},
		{"POST", "/redemptions", models.ScopeReadWrite, a.apiRedeem},
		{"GET", "/vouchers/:code", models.ScopeRead, a.apiGetVoucher},
		{"POST", "/vouchers/:code/use", models.ScopeReadWrite, a.apiUseVoucher},
		{"POST", "/vouchers/:code/cancel", models.ScopeReadWrite, a.apiCancelVoucher},
		{"POST", "/actions", models.ScopeReadWrite, a.apiAwardAction},
	}
}

// ownedByAPI reports whether a request is the API's to answer: its
// errors are problem details and it carries no CSRF token.
func ownedByAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/")
}

// registerAPI adds the API's routes. Every request but the OpenAPI
// document's, an unknown path included, is authenticated and
// rate-limited before anything else, and every error it ends in is
// written as problem details.
func (a *App) registerAPI(e *echo.Echo) {
	e.GET(openAPIPath, serveOpenAPI) // the one public path: no key, no limit
	g := e.Group(apiPrefix, a.apiProblems, a.apiAuth, a.apiRateLimit)
	for _, r := range a.apiRoutes() {
		mw := []echo.MiddlewareFunc{requireScope(r.Scope)}
		if r.Method == http.MethodPost || r.Method == http.MethodPatch {
			mw = append(mw, readAPIBody, a.idempotent)
		}
		g.Add(r.Method, r.Path, r.handler, mw...)
	}
}

// apiProblems writes any error of an API request as problem details.
func (a *App) apiProblems(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Answers carry members' details and balances: never cached.
		c.Response().Header().Set("Cache-Control", "no-store")
		if err := next(c); err != nil {
			a.writeProblem(c, err)
		}
		return nil
	}
}

var errNoBearer = &apiError{status: http.StatusUnauthorized,
	detail: "Send an API key from Settings → API as Authorization: Bearer <key>."}

// apiAuth opens the API to a live key and nothing else.
func (a *App) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, secret, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return errNoBearer
		}
		k, m, err := models.AuthenticateAPIKey(a.db.WithContext(c.Request().Context()), strings.TrimSpace(secret), a.now())
		if err != nil {
			return err
		}
		c.Set(ctxAPIKey, k)
		c.Set(ctxMerchant, m)
		return next(c)
	}
}

func apiKeyOf(c echo.Context) *models.APIKey {
	k, _ := c.Get(ctxAPIKey).(*models.APIKey)
	return k
}

// apiTenant is the database scoped to the key's merchant, bound to the
// request's context (or the request's transaction, when it has one): the
// API's only way to business data.
func (a *App) apiTenant(c echo.Context) *gorm.DB {
	if tx, ok := c.Get(ctxTx).(*gorm.DB); ok && tx != nil {
		return models.ForMerchant(tx, apiKeyOf(c).MerchantID)
	}
	return models.ForMerchant(a.db.WithContext(c.Request().Context()), apiKeyOf(c).MerchantID)
}

// apiActor names the key as the author of what the request changes.
func apiActor(c echo.Context) models.Actor { return apiKeyOf(c).Actor() }

// requireScope refuses a read key on a route that writes.
func requireScope(need models.APIScope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !apiKeyOf(c).Scope.Allows(need) {
				return models.Errorf(models.EFORBIDDEN, "This key may only read. Make a read-write key in Settings → API to change things.")
			}
			return next(c)
		}
	}
}

func (a *App) apiRateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wait := a.apiLimits.take(apiKeyOf(c).ID); wait > 0 {
			return &apiError{status: http.StatusTooManyRequests, retryAfter: wait, detail: fmt.Sprintf(
				"Too many requests with this API key: %d a second at most, in bursts of up to %d. Retry after Retry-After seconds.",
				apiRatePerSecond, apiRateBurst)}
		}
		return next(c)
	}
}

// tokenBuckets hands each key rate tokens a second, holding at most burst.
type tokenBuckets struct {
	mu          sync.Mutex
	rate, burst float64
	now         func() time.Time
	buckets     map[int64]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

func newTokenBuckets(rate, burst float64, now func() time.Time) *tokenBuckets {
	return &tokenBuckets{rate: rate, burst: burst, now: now, buckets: map[int64]*tokenBucket{}}
}

// take spends a token of id's bucket and returns 0, or how long until the
// next token when the bucket is empty.
func (l *tokenBuckets) take(id int64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[id]
	if !ok {
		b = &tokenBucket{tokens: l.burst, at: now}
		l.buckets[id] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
