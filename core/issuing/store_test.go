package issuing_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	jwtgatetest.RunStore(t, func(t *testing.T, now func() time.Time) issuing.Store {
		return issuing.NewMemoryStore(now)
	})
}

// TestMemoryStoreLoss: a restart is a new MemoryStore, which may be made in
// the very second a token was issued and revoked in.
func TestMemoryStoreLoss(t *testing.T) {
	t.Parallel()
	jwtgatetest.RunStoreLoss(t, func(t *testing.T, now func() time.Time) (issuing.Store, func() issuing.Store) {
		return issuing.NewMemoryStore(now), func() issuing.Store { return issuing.NewMemoryStore(now) }
	})
}

func TestMemoryStoreForgetsExpiredEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := jwtgatetest.NewClock(testNow)
	s := issuing.NewMemoryStore(clock.Now)
	for i := range 1000 {
		require.NoError(t, s.RevokeToken(ctx, "t-"+strconv.Itoa(i), testNow.Add(15*time.Minute)))
	}
	require.NoError(t, s.StartFamily(ctx, "f", "r", testNow.Add(time.Hour)))
	require.NoError(t, s.RevokeSubject(ctx, "alice", testNow, testNow.Add(2*time.Hour)))
	assert.Equal(t, 1002, s.Len())

	clock.Advance(15 * time.Minute)
	require.NoError(t, s.RevokeToken(ctx, "late", testNow.Add(3*time.Hour))) // a write sweeps
	assert.Equal(t, 1003, s.Len(), "at their exp, a verifier's leeway still accepts the tokens: kept")

	clock.Advance(jwtgate.MaxLeeway)
	s.Sweep()
	assert.Equal(t, 3, s.Len(), "revoked tokens MaxLeeway past their exp are gone")

	clock.Set(testNow.Add(3*time.Hour + jwtgate.MaxLeeway - time.Millisecond))
	s.Sweep()
	assert.Equal(t, 1, s.Len(), "the last revocation lasts until its until + MaxLeeway")
	clock.Advance(time.Millisecond)
	s.Sweep()
	assert.Equal(t, 0, s.Len())
}

// TestMemoryStoreSize measures what a revoked token and a login (a refresh
// family) cost in memory, for the figures in the README. It reports; the
// bounds it asserts are loose on purpose.
func TestMemoryStoreSize(t *testing.T) {
	const n = 100_000
	ctx := context.Background()
	until := testNow.Add(time.Hour)
	// IDs as the Issuer mints them: 22 characters of base64url.
	id := func(prefix string, i int) string {
		return prefix + "AAAAAAAAA" + strconv.FormatInt(int64(1_000_000_000+i), 10)
	}
	measure := func(fill func(s *issuing.MemoryStore, i int)) float64 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := issuing.NewMemoryStore(func() time.Time { return testNow })
		for i := range n {
			fill(s, i)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(s)
		return float64(after.HeapAlloc-before.HeapAlloc) / n
	}
	token := measure(func(s *issuing.MemoryStore, i int) { require.NoError(t, s.RevokeToken(ctx, id("t", i), until)) })
	family := measure(func(s *issuing.MemoryStore, i int) {
		require.NoError(t, s.StartFamily(ctx, id("f", i), id("r", i), until))
	})
	t.Logf("%d entries: %.0f bytes per revoked token, %.0f bytes per refresh family", n, token, family)
	assert.Less(t, token, 200.0)
	assert.Less(t, family, 300.0)
}

// TestIssuedBeforeLoss: the rule every store reads a loss by, at its edges.
func TestIssuedBeforeLoss(t *testing.T) {
	t.Parallel()
	sec := testNow                           // 12:00:00
	epoch := sec.Add(400 * time.Millisecond) // the loss marker
	after, before := epoch.Add(time.Millisecond), epoch.Add(-time.Millisecond)
	for _, c := range []struct {
		name         string
		iat, started time.Time
		want         bool
	}{
		{"no iat", time.Time{}, after, true},
		{"an earlier second", sec.Add(-time.Second), after, true},
		{"the marker's second, a family started after", sec, after, false},
		{"the marker's second, a family started at the marker", sec, epoch, false},
		{"the marker's second, a family started before", sec, before, true},
		{"the marker's second, no family", sec, time.Time{}, true},
		{"a fraction before the marker", sec.Add(300 * time.Millisecond), after, true},
		{"a fraction at the marker", epoch, after, true},
		{"a fraction after the marker", after, time.Time{}, false},
		{"the next second", sec.Add(time.Second), time.Time{}, false},
	} {
		assert.Equal(t, c.want, issuing.IssuedBeforeLoss(c.iat, epoch, c.started), c.name)
	}
}
