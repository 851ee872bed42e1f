package handlers

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Login limits: attempts from one address, and failures against one
// account, within a sliding window.
const (
	loginWindow          = 15 * time.Minute
	loginAttemptsPerIP   = 20
	loginFailuresPerUser = 5
	signUpsPerIP         = 10
)

// limiter counts events per key in a sliding window. It lives in memory:
// one instance's count, which is what throttling guessing needs.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	events map[string][]time.Time
}

func newLimiter(limit int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: window, now: now, events: map[string][]time.Time{}}
}

// prune drops events older than the window; callers hold mu.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	ev := l.events[key]
	i := 0
	for i < len(ev) && now.Sub(ev[i]) >= l.window {
		i++
	}
	ev = ev[i:]
	if len(ev) == 0 {
		delete(l.events, key)
	} else {
		l.events[key] = ev
	}
	return ev
}

// wait returns how long key must wait before its next event is allowed;
// zero means now.
func (l *limiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ev := l.prune(key, now)
	if len(ev) < l.limit {
		return 0
	}
	return ev[len(ev)-l.limit].Add(l.window).Sub(now)
}

func (l *limiter) record(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.events[key] = append(l.prune(key, now), now)
	if len(l.events) > 100_000 { // under a flood, forget the stale keys
		for k := range l.events {
			l.prune(k, now)
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.events, key)
}

type loginLimiters struct {
	byIP, byAccount, signUpByIP *limiter
}

func newLoginLimiters(now func() time.Time) loginLimiters {
	return loginLimiters{
		byIP:       newLimiter(loginAttemptsPerIP, loginWindow, now),
		byAccount:  newLimiter(loginFailuresPerUser, loginWindow, now),
		signUpByIP: newLimiter(signUpsPerIP, time.Hour, now),
	}
}

// tooManyRequests is answered with a 429 page that says when to retry.
type tooManyRequests struct {
	retryAfter time.Duration
	what       string
}

func (e *tooManyRequests) Error() string {
	return fmt.Sprintf("Too many %s. Try again in %s.", e.what, humanWait(e.retryAfter))
}

func (e *tooManyRequests) apply(c echo.Context) int {
	c.Response().Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(e.retryAfter.Seconds()))))
	return http.StatusTooManyRequests
}

func humanWait(d time.Duration) string {
	if d <= time.Minute {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
}
