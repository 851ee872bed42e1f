// Package handlers is the web layer: it parses requests, authorizes them,
// calls the models and picks a view. Echo's types stay in this package.
package handlers

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// Options configure the web app; cmd/regulars fills them from the
// environment.
type Options struct {
	DB             *gorm.DB
	Logger         *slog.Logger
	SessionKeys    []string // newest first; older ones still open old cookies
	Production     bool     // Secure cookies and HSTS
	BaseURL        string   // origin of links handed to people, like set-password links; never the request's Host
	TrustedProxies []*net.IPNet
	Clock          func() time.Time     // time.Now when nil; tests move it forward
	Imports        *models.ImportWorker // runs uploaded imports; without one they wait for the next start
}

// App holds what the handlers share.
type App struct {
	db       *gorm.DB
	log      *slog.Logger
	store    *sessions.CookieStore
	baseURL  string
	prod     bool
	now      func() time.Time
	limiters loginLimiters
	imports  *models.ImportWorker
	// apiLimits is the JSON API's per-key rate limit.
	apiLimits *tokenBuckets
}

// New builds the echo application with every middleware and route.
func New(o Options) *echo.Echo {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	now := o.Clock
	if now == nil {
		now = time.Now
	}
	a := &App{
		db:        o.DB,
		log:       log,
		store:     newSessionStore(o.SessionKeys, o.Production),
		baseURL:   strings.TrimRight(o.BaseURL, "/"),
		prod:      o.Production,
		now:       now,
		limiters:  newLoginLimiters(now),
		imports:   o.Imports,
		apiLimits: newTokenBuckets(apiRatePerSecond, apiRateBurst, now),
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(o.TrustedProxies)
	e.HTTPErrorHandler = a.handleError
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(
		middleware.RequestID(),
		a.logRequests(),
		a.recoverPanics(),
		a.securityHeaders,
		// Forms are small; a CSV upload of members is not.
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "2M", Skipper: isUpload}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: uploadLimit, Skipper: func(c echo.Context) bool { return !isUpload(c) }}),
		a.checkInput,
		a.csrf,
		// Last, so that a form's body is read before its request takes
		// a place in line.
		newAdmission(o.DB).admit,
	)
	a.register(e)
	a.registerAPI(e)
	return e
}

// uploadLimit is the largest CSV file plus room for the rest of the form,
// in bytes: a file just over MaxImportBytes still reaches the import page
// and its message, while a far larger body is refused at once with a 413.
var uploadLimit = strconv.Itoa(models.MaxImportBytes + uploadFormMargin)

const uploadFormMargin = 64 << 10

func isUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == importPath
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies, so
// a client cannot forge its address to dodge the login limits.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
