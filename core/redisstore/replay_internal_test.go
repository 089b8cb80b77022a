package redisstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPXUntil: a record's expiry is rounded up to the millisecond, never
// down, so that Redis keeps it as long as the verifier's window lasts.
func TestPXUntil(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d, want time.Duration
	}{
		{0, 0},
		{time.Nanosecond, time.Millisecond},
		{time.Microsecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{time.Millisecond + time.Nanosecond, 2 * time.Millisecond},
		{time.Minute, time.Minute},
		{time.Minute - time.Microsecond, time.Minute},
	} {
		assert.Equal(t, c.want, pxUntil(now.Add(c.d), now), "%v", c.d)
	}
}
