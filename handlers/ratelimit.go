package handlers

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Login limits: failures from one address, and failures against one
// account, within a sliding window. Successes never count, so a shop's
// staff behind one address are not locked out by logging in.
const (
	loginWindow          = 15 * time.Minute
	loginFailuresPerIP   = 20
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
// zero means now. Callers hold mu.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	ev := l.prune(key, now)
	if len(ev) < l.limit {
		return 0
	}
	return ev[len(ev)-l.limit].Add(l.window).Sub(now)
}

// reserve checks the limit and counts an event in one step, so parallel
// attempts cannot all pass the check before any of them is counted. It
// returns how long to wait when the limit is reached, or the event's
// stamp, which release takes back when the event turns out not to count.
func (l *limiter) reserve(key string) (time.Duration, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if wait := l.wait(key, now); wait > 0 {
		return wait, time.Time{}
	}
	l.events[key] = append(l.events[key], now)
	if len(l.events) > 100_000 { // under a flood, forget the stale keys
		for k := range l.events {
			l.prune(k, now)
		}
	}
	return 0, now
}

// release takes back one event reserved at stamp.
func (l *limiter) release(key string, stamp time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := l.events[key]
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Equal(stamp) {
			l.events[key] = append(ev[:i:i], ev[i+1:]...)
			break
		}
	}
	if len(l.events[key]) == 0 {
		delete(l.events, key)
	}
}

type loginLimiters struct {
	byIP, byAccount, signUpByIP *limiter
}

func newLoginLimiters(now func() time.Time) loginLimiters {
	return loginLimiters{
		byIP:       newLimiter(loginFailuresPerIP, loginWindow, now),
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
