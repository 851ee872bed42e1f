package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/layouts"
)

const (
	sessionCookie = "regulars_session"
	// IdleTimeout ends a session nobody has used for this long.
	IdleTimeout = 12 * time.Hour
	// seenResolution is how stale the last-seen stamp may get before a
	// request rewrites the cookie; it spares a Set-Cookie on every click.
	seenResolution = time.Minute

	keyUserID     = "uid"
	keyMerchantID = "mid"
	keyEpoch      = "epoch"
	keySeen       = "seen"
	keyCSRF       = "csrf"
	keyLink       = "link"
	keySession    = "sid"

	// maxFlashes bounds the messages waiting in the cookie: POSTs that are
	// never followed by a page would otherwise grow it past its 4 KB.
	maxFlashes = 3

	ctxUser     = "regulars.user"
	ctxMerchant = "regulars.merchant"
)

// deriveKey stretches one secret into a key for a purpose, so that a single
// SESSION_KEYS entry yields both the signing and the encryption key.
func deriveKey(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("regulars session " + purpose))
	return m.Sum(nil)
}

func newSessionStore(secrets []string, production bool) *sessions.CookieStore {
	pairs := make([][]byte, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, deriveKey(s, "hash"), deriveKey(s, "block"))
	}
	store := sessions.NewCookieStore(pairs...)
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(IdleTimeout / time.Second),
		HttpOnly: true,
		Secure:   production,
		SameSite: http.SameSiteLaxMode,
	}
	return store
}

// session returns the request's session; a cookie that no longer decodes
// (rotated keys, tampering) yields a fresh, empty one.
func (a *App) session(c echo.Context) *sessions.Session {
	s, err := a.store.Get(c.Request(), sessionCookie)
	if err != nil {
		s, _ = a.store.New(c.Request(), sessionCookie)
		s.IsNew = true
	}
	return s
}

func (a *App) saveSession(c echo.Context, s *sessions.Session) error {
	return s.Save(c.Request(), c.Response())
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfToken returns the session's CSRF token, making one if needed; the
// second value tells whether the session must be saved.
func csrfToken(s *sessions.Session) (string, bool) {
	if t, ok := s.Values[keyCSRF].(string); ok && t != "" {
		return t, false
	}
	t := randomToken()
	s.Values[keyCSRF] = t
	return t, true
}

// startSession replaces whatever the session held with a fresh one for u:
// a new server-side session, new CSRF token, new epoch binding, so nothing
// from before login carries over. A flash, when given, greets them on the
// next page.
func (a *App) startSession(c echo.Context, u *models.User, flash string) error {
	token, err := models.StartSession(c.Request().Context(), a.db, u)
	if err != nil {
		return err
	}
	s := a.session(c)
	for k := range s.Values {
		delete(s.Values, k)
	}
	s.Values[keyUserID] = u.ID
	s.Values[keyMerchantID] = u.MerchantID
	s.Values[keyEpoch] = u.SessionEpoch
	s.Values[keySession] = token
	s.Values[keySeen] = a.now().Unix()
	s.Values[keyCSRF] = randomToken()
	if flash != "" {
		addFlash(s, "success", flash)
	}
	return a.saveSession(c, s)
}

// endSession revokes the signed-in session on the server, so a copy of
// the cookie opens nothing, then keeps a fresh anonymous session so a
// message can follow the redirect.
func (a *App) endSession(c echo.Context, flashKind, flash string) error {
	s := a.session(c)
	mid, _ := s.Values[keyMerchantID].(int64)
	if token, _ := s.Values[keySession].(string); token != "" && mid != 0 {
		if err := models.RevokeSession(c.Request().Context(), a.db, mid, token); err != nil {
			return err
		}
	}
	for k := range s.Values {
		delete(s.Values, k)
	}
	s.Values[keyCSRF] = randomToken()
	if flash != "" {
		addFlash(s, flashKind, flash)
	}
	return a.saveSession(c, s)
}

// addFlash queues a message, keeping only the newest maxFlashes.
func addFlash(s *sessions.Session, kind, message string) {
	s.AddFlash(kind + "|" + message)
	if f, ok := s.Values["_flash"].([]any); ok && len(f) > maxFlashes {
		s.Values["_flash"] = f[len(f)-maxFlashes:]
	}
}

// flash queues a message for the next page the user sees. It runs after
// the change it reports was committed, so a failed save only loses the
// message: it is logged, and the request still succeeds.
func (a *App) flash(c echo.Context, kind, message string) {
	s := a.session(c)
	addFlash(s, kind, message)
	a.saveAfterWrite(c, s)
}

// saveAfterWrite saves a session once the request's change is committed:
// failing the request then would report a saved change as failed.
func (a *App) saveAfterWrite(c echo.Context, s *sessions.Session) {
	if err := a.saveSession(c, s); err != nil {
		a.log.Error("session save failed after a committed change", "err", err, "request_id", requestID(c))
	}
}

// requireUser lets a request through only with a live session: a known,
// active user whose epoch matches and who was seen within the idle timeout.
func (a *App) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s := a.session(c)
		uid, _ := s.Values[keyUserID].(int64)
		mid, _ := s.Values[keyMerchantID].(int64)
		epoch, _ := s.Values[keyEpoch].(int64)
		seen, _ := s.Values[keySeen].(int64)
		token, _ := s.Values[keySession].(string)
		if uid == 0 || mid == 0 || token == "" {
			return a.toLogin(c, "")
		}
		idle := a.now().Sub(time.Unix(seen, 0))
		if idle > IdleTimeout {
			return a.toLogin(c, "You were logged out after 12 hours without activity.")
		}
		u, m, err := models.SessionUser(c.Request().Context(), a.db, mid, uid, epoch, token)
		if err != nil {
			if code := models.ErrorCode(err); code == models.EUNAUTHORIZED || code == models.ENOTFOUND {
				return a.toLogin(c, "Your session has ended. Please log in again.")
			}
			return err
		}
		if idle > seenResolution {
			s.Values[keySeen] = a.now().Unix()
			if err := a.saveSession(c, s); err != nil {
				return err
			}
		}
		// Signed-in pages show members' details: Back after logout, or a
		// shared computer, must not replay them from a cache.
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Set(ctxUser, u)
		c.Set(ctxMerchant, m)
		return next(c)
	}
}

// toLogin sends an anonymous or expired visitor to the login page, back to
// where they were going afterwards. htmx requests get a full-page redirect.
func (a *App) toLogin(c echo.Context, message string) error {
	if message != "" {
		if err := a.endSession(c, "info", message); err != nil {
			return err
		}
	}
	target := "/login"
	if c.Request().Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
	}
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// requireRole refuses users below min; it runs after requireUser.
func requireRole(min models.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !currentUser(c).Role.Includes(min) {
				return models.Errorf(models.EFORBIDDEN, "Your role does not allow this. Ask an owner if you need it.")
			}
			return next(c)
		}
	}
}

func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

func currentMerchant(c echo.Context) *models.Merchant {
	m, _ := c.Get(ctxMerchant).(*models.Merchant)
	return m
}

// tenant is the only way handlers reach business data: the database scoped
// to the signed-in user's merchant, bound to the request's context.
func (a *App) tenant(c echo.Context) *gorm.DB {
	return models.ForMerchant(a.db.WithContext(c.Request().Context()), currentUser(c).MerchantID)
}

// localPath accepts a post-login destination only when it is a clean path
// on this site, so a crafted ?next= cannot send people elsewhere: browsers
// drop tabs and newlines and read a backslash as a slash, so "/\t/evil"
// or "/\\evil" would leave the site. Encoded forms are checked decoded too.
func localPath(next string) string {
	const fallback = "/dashboard"
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return fallback
	}
	for _, p := range []string{next, u.Path} {
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsFunc(p, unsafeInPath) {
			return fallback
		}
	}
	return next
}

// unsafeInPath reports characters a clean redirect path never holds.
func unsafeInPath(r rune) bool {
	return r == '\\' || unicode.IsControl(r) || r == utf8.RuneError
}

// shell builds the page frame for a request: the CSRF token, pending
// flashes and, when signed in, the user and navigation.
func (a *App) shell(c echo.Context, title string) layouts.Shell {
	s := a.session(c)
	token, dirty := csrfToken(s)
	sh := layouts.Shell{Title: title, CSRF: token}
	for _, f := range s.Flashes() {
		dirty = true
		if text, ok := f.(string); ok {
			kind, msg, _ := strings.Cut(text, "|")
			sh.Flashes = append(sh.Flashes, layouts.Flash{Kind: kind, Message: msg})
		}
	}
	if dirty {
		if err := a.saveSession(c, s); err != nil {
			a.log.Error("session save failed", "err", err, "request_id", requestID(c))
		}
	}
	if u, m := currentUser(c), currentMerchant(c); u != nil && m != nil {
		sh.UserName, sh.Role, sh.BusinessName = u.Name, string(u.Role), m.Name
		sh.Nav = navFor(u.Role, c.Path())
	}
	return sh
}

// navFor lists the sections a role may open; later features add theirs.
func navFor(role models.Role, path string) []layouts.NavItem {
	items := []struct {
		label, href string
		min         models.Role
	}{
		{"Dashboard", "/dashboard", models.RoleStaff},
		{"Till", "/till", models.RoleStaff},
		{"Members", "/members", models.RoleStaff},
		{"Programs", "/programs", models.RoleStaff},
		{"Rewards", "/rewards", models.RoleStaff},
		{"Recognition", "/recognition", models.RoleStaff},
		{"Reports", "/reports", models.RoleManager},
		{"Settings", "/settings/business", models.RoleOwner},
	}
	var nav []layouts.NavItem
	for _, it := range items {
		if !role.Includes(it.min) {
			continue
		}
		section := it.href
		if i := strings.Index(section[1:], "/"); i >= 0 {
			section = section[:i+1]
		}
		nav = append(nav, layouts.NavItem{Label: it.label, Href: it.href, Active: strings.HasPrefix(path, section)})
	}
	return nav
}
