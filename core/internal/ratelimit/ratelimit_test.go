package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLimiter(t *testing.T) {
	var l Limiter
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	n, ok := l.Allow(t0)
	assert.True(t, ok)
	assert.Zero(t, n)
	for i := range 5 {
		_, ok := l.Allow(t0.Add(time.Duration(i+1) * 100 * time.Millisecond))
		assert.False(t, ok, "within the second")
	}
	n, ok = l.Allow(t0.Add(time.Second))
	assert.True(t, ok)
	assert.Equal(t, 5, n, "the records left out")
	_, ok = l.Allow(t0.Add(-time.Hour))
	assert.True(t, ok, "a clock that went back does not silence it")
}
