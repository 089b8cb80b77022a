package jwtgatetest

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewReplayStore builds an empty dpop.ReplayStore whose clock is now.
type NewReplayStore func(t *testing.T, now func() time.Time) dpop.ReplayStore

// RunReplayStore is the contract every dpop.ReplayStore passes: an id is
// new once and a replay afterwards, whatever the until it is asked with,
// up to and including its until (the verifier still takes a proof at that
// instant); ids differing in one byte are different; an until already past
// records nothing; and of concurrent calls with one id exactly one is told
// it is new. The clock starts at 2026-11-28T12:00:00Z and moves only when
// the suite moves it.
func RunReplayStore(t *testing.T, newStore NewReplayStore) {
	t.Helper()
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	remember := func(t *testing.T, s dpop.ReplayStore, id string, issued, until time.Time) bool {
		t.Helper()
		fresh, err := s.Remember(context.Background(), id, issued, until)
		require.NoError(t, err)
		return fresh
	}
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		now := clock.Now()
		until := now.Add(time.Minute)
		assert.True(t, remember(t, s, "jkt.a", now, until), "first use")
		assert.False(t, remember(t, s, "jkt.a", now, until), "replay")
		assert.False(t, remember(t, s, "jkt.a", now, until.Add(time.Minute)), "replay, whatever its until")
		assert.True(t, remember(t, s, "jkt.b", now, until), "another id")
		assert.True(t, remember(t, s, "jkt.A", now, until), "ids are compared byte for byte")
		assert.True(t, remember(t, s, "other-jkt.a", now, until), "the same jti under another key")
		assert.False(t, remember(t, s, "jkt.a", now.Add(-2*time.Minute), now.Add(-time.Minute)), "an id still recorded, asked with an until past")
	})
	t.Run("until inclusive", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		now := clock.Now()
		until := now.Add(time.Minute)
		require.True(t, remember(t, s, "jkt.edge", now, until))
		clock.Set(until)
		assert.False(t, remember(t, s, "jkt.edge", now, until), "at its until, a proof is still a replay")
	})
	t.Run("until past", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		past := clock.Now().Add(-time.Second)
		assert.True(t, remember(t, s, "jkt.past", past.Add(-time.Minute), past))
		assert.True(t, remember(t, s, "jkt.past", past.Add(-time.Minute), past), "an until past is not recorded")
	})
	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		now := clock.Now()
		for round := range 3 {
			id := "jkt.race-" + strconv.Itoa(round)
			var fresh atomic.Int32
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.Remember(context.Background(), id, now, now.Add(time.Minute))
					if assert.NoError(t, err) && ok {
						fresh.Add(1)
					}
				}()
			}
			wg.Wait()
			assert.Equal(t, int32(1), fresh.Load(), "of 20 concurrent calls with one id, exactly one is told it is new")
		}
	})
	t.Run("long and odd ids", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		now := clock.Now()
		for _, id := range []string{"jkt." + string(make([]byte, 8<<10)), "jkt.\x00\xff\n\"'", "jkt.é"} {
			assert.True(t, remember(t, s, id, now, now.Add(time.Minute)))
			assert.False(t, remember(t, s, id, now, now.Add(time.Minute)))
		}
	})
}
