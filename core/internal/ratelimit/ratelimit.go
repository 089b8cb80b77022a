// Package ratelimit bounds how often a repeated log record is written: at
// most one a second, with the count of those left out since the last.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter lets one record through a second. The zero value is ready; it is
// safe for concurrent use.
type Limiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Allow reports whether a record may be written at now, and how many were
// left out since the last one written.
func (l *Limiter) Allow(now time.Time) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < time.Second && now.Sub(l.last) > -time.Second {
		l.suppressed++
		return 0, false
	}
	suppressed, l.suppressed, l.last = l.suppressed, 0, now
	return suppressed, true
}
