package redisstore_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var lossStart = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// TestDataLossKeepsRevokedTokensRevoked: after Redis loses its data (FLUSHALL,
// or a restart without persistence) no token revoked before is ever reported
// as not revoked, whichever way it was revoked; logins and refreshes work at
// once.
func TestDataLossKeepsRevokedTokensRevoked(t *testing.T) {
	t.Parallel()
	losses := []struct {
		name string
		lose func(*redistest.Server)
	}{
		{"FLUSHALL", (*redistest.Server).Flush},
		{"restart without persistence", (*redistest.Server).Restart},
	}
	for _, loss := range losses {
		t.Run(loss.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv := redistest.Start(t)
			// The store is in use from an hour before: the tokens below
			// are issued after its first login.
			clock := jwtgatetest.NewClock(lossStart.Add(-time.Hour))
			s := newStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Now: clock.Now, Timeout: time.Second})
			until := lossStart.Add(time.Hour)
			require.NoError(t, s.StartFamily(ctx, "fam-first", "r-first", until))
			clock.Set(lossStart)

			// Tokens issued before the loss (the latest one second before it,
			// since iat has whole seconds), each revoked one way or another.
			var revoked []*jwtgate.Token
			for i, iat := range []time.Time{lossStart.Add(-30 * time.Minute), lossStart.Add(-time.Second), lossStart.Add(-time.Millisecond)} {
				n := strconv.Itoa(i)
				require.NoError(t, s.StartFamily(ctx, "fam-"+n, "r-"+n, until))
				require.NoError(t, s.RevokeToken(ctx, "jti-"+n, until))
				require.NoError(t, s.RevokeFamily(ctx, "fam-rev-"+n, until))
				require.NoError(t, s.RotateFamily(ctx, "fam-"+n, "r-"+n, "r-"+n+"-next", until))
				require.ErrorIs(t, s.RotateFamily(ctx, "fam-"+n, "r-"+n, "r-"+n+"-thief", until), issuing.ErrRefreshReused)
				require.NoError(t, s.RevokeSubject(ctx, "sub-"+n, lossStart, until))
				revoked = append(revoked,
					&jwtgate.Token{ID: "jti-" + n, Subject: "alice", IssuedAt: iat},
					&jwtgate.Token{ID: "a-" + n, SessionID: "fam-rev-" + n, Subject: "alice", IssuedAt: iat},
					&jwtgate.Token{ID: "b-" + n, SessionID: "fam-" + n, Subject: "alice", IssuedAt: iat},
					&jwtgate.Token{ID: "c-" + n, Subject: "sub-" + n, IssuedAt: iat},
					&jwtgate.Token{ID: "d-" + n, Subject: "sub-" + n},
				)
			}
			// A token nobody revoked, issued before the loss too.
			innocent := &jwtgate.Token{ID: "e", Subject: "bob", IssuedAt: lossStart.Add(-time.Minute)}
			check := func(when string) {
				t.Helper()
				for _, tok := range revoked {
					r, err := s.IsRevoked(ctx, tok)
					if assert.NoError(t, err) {
						assert.True(t, r, "%s: %+v", when, tok)
					}
				}
			}
			check("before the loss")
			r, err := s.IsRevoked(ctx, innocent)
			require.NoError(t, err)
			require.False(t, r)

			loss.lose(srv)
			clock.Advance(2 * time.Second)
			check("after the loss")
			r, err = s.IsRevoked(ctx, innocent)
			require.NoError(t, err)
			assert.True(t, r, "every token issued before the loss is refused: the store cannot tell which were revoked")

			// A login and a refresh after the loss work at once, and so do
			// the tokens they issue.
			require.NoError(t, s.StartFamily(ctx, "fam-new", "r-new", until))
			require.NoError(t, s.RotateFamily(ctx, "fam-new", "r-new", "r-new-2", until))
			r, err = s.IsRevoked(ctx, &jwtgate.Token{ID: "f", SessionID: "fam-new", Subject: "alice", IssuedAt: clock.Now()})
			require.NoError(t, err)
			assert.False(t, r)
			check("after a new login")
		})
	}
}

// TestStoreLossSuite: the shared suite of a store that loses its data, with
// FLUSHALL and with a restart without persistence, each case on a server of
// its own.
func TestStoreLossSuite(t *testing.T) {
	t.Parallel()
	losses := map[string]func(*redistest.Server){
		"FLUSHALL":                    (*redistest.Server).Flush,
		"restart without persistence": (*redistest.Server).Restart,
	}
	for name, lose := range losses {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			jwtgatetest.RunStoreLoss(t, func(t *testing.T, now func() time.Time) (issuing.Store, func() issuing.Store) {
				srv := redistest.Start(t)
				if !srv.Managed() {
					t.Skip("needs a redis-server this test empties, not the one REDIS_URL names")
				}
				s := newStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Now: now, Timeout: 5 * time.Second})
				return s, func() issuing.Store { lose(srv); return s }
			})
		})
	}
}

// TestLossMarkerBoundary: the marker holds the millisecond it was created
// at. A token issued in an earlier second, or without iat, is refused; one
// issued in a later second, or with an iat whose fraction is after the
// marker, is accepted; one issued in the marker's own second (whole seconds,
// as NumericDates are issued) is accepted only when its family started at
// or after the marker: a login after the loss. A brand-new Redis counts as a
// loss; the marker is created by a check as by a login.
func TestLossMarkerBoundary(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	ctx := context.Background()
	created := lossStart.Add(500 * time.Millisecond) // the clock when the marker is created
	cases := []struct {
		name    string
		sid     string
		iat     time.Time
		revoked bool
	}{
		{"issued after the marker, with a fraction", "", lossStart.Add(700 * time.Millisecond), false},
		{"issued in the marker's second, of a family started at the marker", "fam-1", lossStart, false},
		{"issued in the marker's second, of a family started after it", "fam-2", lossStart, false},
		{"issued in the marker's second, of no family", "", lossStart, true},
		{"issued in the marker's second, of a family unknown", "fam-unknown", lossStart, true},
		{"issued before the marker, with a fraction", "fam-2", lossStart.Add(300 * time.Millisecond), true},
		{"issued in the next second", "", lossStart.Add(time.Second), false},
		{"issued a millisecond before the marker's second", "fam-2", lossStart.Add(-time.Millisecond), true},
		{"issued an hour before", "", lossStart.Add(-time.Hour), true},
		{"without iat", "fam-2", time.Time{}, true},
	}
	firsts := map[string]func(s *redisstore.Store) error{
		"created by a login": func(s *redisstore.Store) error {
			return s.StartFamily(ctx, "fam-1", "r-1", created.Add(time.Hour))
		},
		"created by a check": func(s *redisstore.Store) error {
			_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: created})
			return err
		},
	}
	for name, first := range firsts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prefix := redistest.Prefix()
			clock := jwtgatetest.NewClock(created)
			s := newStore(t, client, redisstore.Options{Prefix: prefix, Now: clock.Now})
			require.NoError(t, first(s))
			if name == "created by a check" {
				require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", created.Add(time.Hour))) // at the marker
			}

			v, err := client.Get(ctx, prefix+"epoch").Int64()
			require.NoError(t, err)
			assert.Equal(t, created.UnixMilli(), v, "milliseconds")
			ttl, err := client.PTTL(ctx, prefix+"epoch").Result()
			require.NoError(t, err)
			assert.Equal(t, time.Duration(-1), ttl, "the marker never expires")

			clock.Set(lossStart.Add(800 * time.Millisecond))
			require.NoError(t, s.StartFamily(ctx, "fam-2", "r-2", created.Add(time.Hour)))
			clock.Advance(2 * time.Second)
			for _, c := range cases {
				r, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "a", SessionID: c.sid, Subject: "alice", IssuedAt: c.iat})
				require.NoError(t, err)
				assert.Equal(t, c.revoked, r, c.name)
			}
		})
	}
}

// TestLossMarkerInSeconds: a marker an earlier version wrote, in unix
// seconds, is read as the start of that second, in milliseconds, under the
// same rule.
func TestLossMarkerInSeconds(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	ctx := context.Background()
	prefix := redistest.Prefix()
	require.NoError(t, client.Set(ctx, prefix+"epoch", lossStart.Unix(), 0).Err())
	clock := jwtgatetest.NewClock(lossStart.Add(200 * time.Millisecond))
	s := newStore(t, client, redisstore.Options{Prefix: prefix, Now: clock.Now})
	require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", lossStart.Add(time.Hour)))
	for _, c := range []struct {
		name    string
		sid     string
		iat     time.Time
		revoked bool
	}{
		{"in its second, of a family started since", "fam-1", lossStart, false},
		{"in its second, of no family", "", lossStart, true},
		{"in an earlier second", "fam-1", lossStart.Add(-time.Second), true},
		{"in a later second", "", lossStart.Add(time.Second), false},
	} {
		r, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "a", SessionID: c.sid, IssuedAt: c.iat})
		require.NoError(t, err)
		assert.Equal(t, c.revoked, r, c.name)
	}
	v, err := client.Get(ctx, prefix+"epoch").Int64()
	require.NoError(t, err)
	assert.Equal(t, lossStart.Unix(), v, "the marker is read, not rewritten")
}

// TestInstancesAgreeOnTheMarker: instances whose clocks differ, finding the
// marker missing at once, all keep the one value the first of them set.
func TestInstancesAgreeOnTheMarker(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	ctx := context.Background()
	prefix := redistest.Prefix()
	var stores []*redisstore.Store
	for i := range 8 {
		clock := jwtgatetest.NewClock(lossStart.Add(time.Duration(i) * time.Second))
		stores = append(stores, newStore(t, client, redisstore.Options{Prefix: prefix, Now: clock.Now}))
	}
	tok := &jwtgate.Token{ID: "a", Subject: "alice", IssuedAt: lossStart.Add(3 * time.Second)}
	answers := make([]bool, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			r, err := s.IsRevoked(ctx, tok)
			assert.NoError(t, err)
			answers[i] = r
		})
	}
	wg.Wait()
	v, err := client.Get(ctx, prefix+"epoch").Int64()
	require.NoError(t, err)
	require.Zero(t, v%1000, "one of the instances' clocks, in milliseconds: %d", v)
	assert.True(t, v >= lossStart.UnixMilli() && v < lossStart.Add(8*time.Second).UnixMilli(), "one of the instances' clocks: %d", v)
	for i, r := range answers {
		// Whole seconds: the token is revoked in the marker's second too, as
		// it has no family.
		assert.Equal(t, tok.IssuedAt.UnixMilli() <= v, r, "instance %d decided by the stored marker", i)
	}
}
