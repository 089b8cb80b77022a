package jwtgatetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Clock is a settable clock for store tests; its Now is safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's time, in UTC.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Set sets the clock.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// storeKey signs RunStore's tokens.
var storeKey = randomBytes(32)

// NewStore builds an empty store whose clock is now. Each call must return a
// store that shares nothing with the others (a fresh key prefix will do).
type NewStore func(t *testing.T, now func() time.Time) issuing.Store

// RunStore is the suite every [issuing.Store] passes: the in-memory store and
// the shared ones run the same cases.
func RunStore(t *testing.T, newStore NewStore) {
	t.Helper()
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	token := func(id, sid, sub string, iat time.Time) *jwtgate.Token {
		return &jwtgate.Token{ID: id, SessionID: sid, Subject: sub, IssuedAt: iat}
	}
	revoked := func(t *testing.T, s issuing.Store, tok *jwtgate.Token) bool {
		t.Helper()
		r, err := s.IsRevoked(ctx, tok)
		require.NoError(t, err)
		return r
	}
	// inUse is a store in use since an hour before start (its loss marker
	// is set then), and a clock at start.
	inUse := func(t *testing.T) (*Clock, issuing.Store) {
		t.Helper()
		clock := NewClock(start.Add(-time.Hour))
		s := newStore(t, clock.Now)
		revoked(t, s, token("first", "", "", clock.Now()))
		clock.Set(start)
		return clock, s
	}
	// mint signs an access token with the suite's store key; verifier checks
	// it, asking s, on clock, with leeway (0: jwtgate.DefaultLeeway).
	mint := func(jti, sid, sub string, iat, exp time.Time) string {
		payload := `{"iss":` + str(issuer) + `,"aud":` + str(audience) + `,"sub":` + str(sub) + `,"jti":` + str(jti) +
			`,"iat":` + num(iat.Unix()) + `,"exp":` + num(exp.Unix())
		if sid != "" {
			payload += `,"sid":` + str(sid)
		}
		return jws("HS256", storeKey, hdrHS256, payload+"}")
	}
	verifier := func(t *testing.T, s issuing.Store, clock *Clock, leeway time.Duration) *jwtgate.Authenticator {
		t.Helper()
		key := jwtgate.HMAC(storeKey, "HS256")
		key.ID = kidHS
		a, err := jwtgate.New(jwtgate.Config{
			Keys: key, Issuer: []string{issuer}, Audience: []string{audience},
			Leeway: leeway, Revoker: s, Now: clock.Now, CacheSize: -1,
		})
		require.NoError(t, err)
		return a
	}
	accepted := func(t *testing.T, a *jwtgate.Authenticator, tok, msg string) {
		t.Helper()
		_, err := a.Verify(ctx, tok)
		assert.NoError(t, err, msg)
	}
	refused := func(t *testing.T, a *jwtgate.Authenticator, tok, msg string) {
		t.Helper()
		_, err := a.Verify(ctx, tok)
		assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, msg)
	}

	t.Run("a token from before the store, or without iat, counts as revoked", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		assert.True(t, revoked(t, s, token("jti-old", "", "alice", start.Add(-time.Hour))), "issued before the store began")
		assert.True(t, revoked(t, s, token("jti-none", "", "alice", time.Time{})), "without iat")
		clock.Advance(100 * time.Millisecond)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", start.Add(time.Hour)))
		// NumericDates are whole seconds: an iat of the store's first second
		// may be of a token revoked just before a loss in that second.
		assert.True(t, revoked(t, s, token("jti-now", "", "alice", start)), "issued in the store's first second, of no family")
		assert.True(t, revoked(t, s, token("jti-now-2", "fam-unknown", "alice", start)), "issued in the store's first second, of a family it does not know")
		assert.False(t, revoked(t, s, token("jti-fam", "fam-1", "alice", start)), "issued in the store's first second, of a family started since")
		assert.False(t, revoked(t, s, token("jti-frac", "", "alice", start.Add(50*time.Millisecond))), "an iat with a fraction after the store began")
		clock.Advance(time.Hour)
		assert.False(t, revoked(t, s, token("jti-next", "", "alice", start.Add(time.Second))), "issued in the next second")
		assert.False(t, revoked(t, s, token("jti-later", "", "alice", start.Add(30*time.Minute))), "issued since")
	})

	t.Run("token revoked until its exp and MaxLeeway after", func(t *testing.T) {
		t.Parallel()
		clock, s := inUse(t)
		tok := token("jti-1", "", "alice", start)
		assert.False(t, revoked(t, s, tok))
		require.NoError(t, s.RevokeToken(ctx, "jti-1", start.Add(time.Minute)))
		assert.True(t, revoked(t, s, tok))
		assert.False(t, revoked(t, s, token("jti-2", "", "alice", start)), "another jti")
		clock.Advance(59 * time.Second)
		assert.True(t, revoked(t, s, tok))
		clock.Advance(time.Second)
		assert.True(t, revoked(t, s, tok), "at its exp: a verifier's leeway still accepts the token")
		clock.Advance(jwtgate.MaxLeeway - time.Millisecond)
		assert.True(t, revoked(t, s, tok), "the largest leeway's last millisecond")
		clock.Advance(time.Millisecond)
		assert.False(t, revoked(t, s, tok), "the entry ends MaxLeeway after the token's exp")
	})

	// The verifier accepts a token until exp + its leeway (RFC 7519 §4.1.4):
	// a revocation must last as long, whatever the leeway of the verifiers
	// reading the store.
	t.Run("a revoked token stays refused through the verifier's leeway", func(t *testing.T) {
		t.Parallel()
		clock, s := inUse(t)
		iat := clock.Now()
		exp := iat.Add(15 * time.Minute)
		tok, other := mint("jti-leeway", "", "alice", iat, exp), mint("jti-other", "", "alice", iat, exp)
		byDefault, widest := verifier(t, s, clock, 0), verifier(t, s, clock, jwtgate.MaxLeeway)
		accepted(t, byDefault, tok, "before its revocation")
		require.NoError(t, s.RevokeToken(ctx, "jti-leeway", exp))

		clock.Set(exp.Add(jwtgate.DefaultLeeway - time.Second))
		refused(t, byDefault, tok, "exp + 59 s, the default leeway")
		accepted(t, byDefault, other, "exp + 59 s: the default leeway still accepts a token nobody revoked")
		clock.Set(exp.Add(jwtgate.MaxLeeway - time.Millisecond))
		refused(t, widest, tok, "exp + MaxLeeway - 1 ms, the largest leeway")
		accepted(t, widest, other, "exp + MaxLeeway - 1 ms: the largest leeway still accepts a token nobody revoked")
	})
	t.Run("a revoked family and a subject mark last through the verifier's leeway", func(t *testing.T) {
		t.Parallel()
		clock, s := inUse(t)
		iat := clock.Now()
		until := iat.Add(time.Hour)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", until))
		require.NoError(t, s.StartFamily(ctx, "fam-2", "r-2", until))
		fam := mint("a-1", "fam-1", "bob", iat, until)
		sub := mint("a-2", "", "alice", iat, until)
		other := mint("a-3", "fam-2", "carol", iat, until)
		require.NoError(t, s.RevokeFamily(ctx, "fam-1", until))
		require.NoError(t, s.RevokeSubject(ctx, "alice", iat, until))

		widest := verifier(t, s, clock, jwtgate.MaxLeeway)
		clock.Set(until.Add(jwtgate.MaxLeeway - time.Millisecond))
		refused(t, widest, fam, "a token of the revoked family")
		refused(t, widest, sub, "a token of the subject logged out everywhere")
		accepted(t, widest, other, "a token nobody revoked, within the leeway")
		assert.ErrorIs(t, s.RotateFamily(ctx, "fam-2", "r-2", "r-3", until.Add(time.Hour)), issuing.ErrFamilyUnknown,
			"a family past its own until is not renewed: only revocations outlive it")
	})
	t.Run("log out everywhere outlives an identity provider's 30-day token", func(t *testing.T) {
		t.Parallel()
		clock, s := inUse(t)
		key := jwtgate.HMAC(storeKey, "HS256")
		key.ID = kidHS
		iss, err := issuing.New(issuing.Config{Key: key, Issuer: issuer, Audience: []string{audience}, Store: s, Now: clock.Now})
		require.NoError(t, err)
		auth := verifier(t, s, clock, 0)
		iat := clock.Now()
		long := mint("idp-1", "", "alice", iat, iat.Add(30*24*time.Hour))
		other := mint("idp-2", "", "bob", iat, iat.Add(30*24*time.Hour))
		accepted(t, auth, long, "before log out everywhere")
		clock.Advance(time.Hour)
		require.NoError(t, iss.RevokeSubject(ctx, "alice"))
		for _, day := range []int{8, 29} {
			clock.Set(iat.Add(time.Duration(day) * 24 * time.Hour))
			refused(t, auth, long, "day "+strconv.Itoa(day))
			accepted(t, auth, other, "day "+strconv.Itoa(day)+": another subject's")
		}
	})
	t.Run("family revoked", func(t *testing.T) {
		t.Parallel()
		_, s := inUse(t)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", start.Add(time.Hour)))
		tok := token("a-1", "fam-1", "alice", start)
		assert.False(t, revoked(t, s, tok))
		require.NoError(t, s.RevokeFamily(ctx, "fam-1", start.Add(time.Hour)))
		assert.True(t, revoked(t, s, tok))
		assert.True(t, revoked(t, s, token("a-2", "fam-1", "alice", start)), "every token of the family")
		assert.False(t, revoked(t, s, token("a-3", "fam-2", "alice", start)), "another family")
		assert.ErrorIs(t, s.RotateFamily(ctx, "fam-1", "r-1", "r-2", start.Add(time.Hour)), issuing.ErrFamilyUnknown)
	})
	t.Run("family revoked without being started", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, NewClock(start).Now)
		require.NoError(t, s.RevokeFamily(ctx, "fam-x", start.Add(time.Hour)))
		assert.True(t, revoked(t, s, token("a-1", "fam-x", "alice", start)))
	})
	t.Run("subject revoked before a time", func(t *testing.T) {
		t.Parallel()
		clock, s := inUse(t)
		before := start.Add(10 * time.Second)
		require.NoError(t, s.RevokeSubject(ctx, "alice", before, before.Add(time.Hour)))
		assert.True(t, revoked(t, s, token("a-1", "", "alice", start)))
		assert.True(t, revoked(t, s, token("a-2", "", "alice", before.Add(-time.Millisecond))))
		assert.True(t, revoked(t, s, token("a-3", "", "alice", before)), "issued at the mark")
		assert.False(t, revoked(t, s, token("a-4", "", "alice", before.Add(time.Millisecond))), "issued after")
		assert.True(t, revoked(t, s, token("a-5", "", "alice", time.Time{})), "no iat: cannot be told apart")
		assert.False(t, revoked(t, s, token("b-1", "", "bob", start)), "another subject")
		clock.Set(before.Add(time.Hour))
		assert.True(t, revoked(t, s, token("a-1", "", "alice", start)), "at its until: a verifier's leeway still accepts the tokens")
		clock.Set(before.Add(time.Hour + jwtgate.MaxLeeway))
		assert.False(t, revoked(t, s, token("a-1", "", "alice", start)), "the mark ends MaxLeeway after its until")
	})
	t.Run("subject mark in the second of a login: the family tells", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start.Add(100 * time.Millisecond))
		s := newStore(t, clock.Now)
		require.NoError(t, s.StartFamily(ctx, "fam-before", "r-1", start.Add(time.Hour)))
		clock.Set(start.Add(500 * time.Millisecond))
		require.NoError(t, s.RevokeSubject(ctx, "alice", clock.Now(), start.Add(time.Hour)))
		clock.Set(start.Add(700 * time.Millisecond))
		require.NoError(t, s.StartFamily(ctx, "fam-after", "r-2", start.Add(time.Hour)))
		// iat is whole seconds: every one of these tokens says start.
		assert.True(t, revoked(t, s, token("a-1", "fam-before", "alice", start)), "a login before the mark, in its second")
		assert.False(t, revoked(t, s, token("a-2", "fam-after", "alice", start)), "a login after the mark, in its second")
		assert.True(t, revoked(t, s, token("a-3", "", "alice", start)), "no family: counted as before")
		assert.True(t, revoked(t, s, token("a-4", "fam-unknown", "alice", start)), "an unknown family: counted as before")
		assert.False(t, revoked(t, s, token("a-5", "", "alice", start.Add(time.Second))), "the next second")
	})

	t.Run("a later subject mark extends an earlier one", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, NewClock(start).Now)
		require.NoError(t, s.RevokeSubject(ctx, "alice", start.Add(time.Minute), start.Add(time.Hour)))
		require.NoError(t, s.RevokeSubject(ctx, "alice", start.Add(30*time.Second), start.Add(30*time.Minute)))
		assert.True(t, revoked(t, s, token("a-1", "", "alice", start.Add(45*time.Second))))
	})
	t.Run("rotation", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", start.Add(time.Hour)))
		require.NoError(t, s.RotateFamily(ctx, "fam-1", "r-1", "r-2", start.Add(2*time.Hour)))
		require.NoError(t, s.RotateFamily(ctx, "fam-1", "r-2", "r-3", start.Add(3*time.Hour)))
		clock.Advance(90 * time.Minute)
		require.NoError(t, s.RotateFamily(ctx, "fam-1", "r-3", "r-4", start.Add(4*time.Hour)), "rotation extends the family")
		assert.False(t, revoked(t, s, token("a-1", "fam-1", "alice", start)))
	})
	t.Run("reuse revokes the family", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, NewClock(start).Now)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", start.Add(time.Hour)))
		require.NoError(t, s.RotateFamily(ctx, "fam-1", "r-1", "r-2", start.Add(time.Hour)))
		assert.ErrorIs(t, s.RotateFamily(ctx, "fam-1", "r-1", "r-x", start.Add(time.Hour)), issuing.ErrRefreshReused)
		assert.ErrorIs(t, s.RotateFamily(ctx, "fam-1", "r-2", "r-3", start.Add(time.Hour)), issuing.ErrFamilyUnknown, "the victim's token is dead too")
		assert.True(t, revoked(t, s, token("a-1", "fam-1", "alice", start)), "and the family's access tokens")
	})
	t.Run("unknown and expired families", func(t *testing.T) {
		t.Parallel()
		clock := NewClock(start)
		s := newStore(t, clock.Now)
		assert.ErrorIs(t, s.RotateFamily(ctx, "nope", "r-1", "r-2", start.Add(time.Hour)), issuing.ErrFamilyUnknown)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", start.Add(time.Hour)))
		clock.Advance(time.Hour)
		assert.ErrorIs(t, s.RotateFamily(ctx, "fam-1", "r-1", "r-2", start.Add(2*time.Hour)), issuing.ErrFamilyUnknown)
	})
	t.Run("a family starts once", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, NewClock(start).Now)
		require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", start.Add(time.Hour)))
		assert.Error(t, s.StartFamily(ctx, "fam-1", "r-9", start.Add(time.Hour)))
		require.NoError(t, s.RotateFamily(ctx, "fam-1", "r-1", "r-2", start.Add(time.Hour)), "the first start stands")
	})
	t.Run("empty ids are refused", func(t *testing.T) {
		t.Parallel()
		_, s := inUse(t)
		until := start.Add(time.Hour)
		assert.Error(t, s.RevokeToken(ctx, "", until))
		assert.Error(t, s.RevokeFamily(ctx, "", until))
		assert.Error(t, s.RevokeSubject(ctx, "", start, until))
		assert.Error(t, s.StartFamily(ctx, "", "r", until))
		assert.Error(t, s.StartFamily(ctx, "f", "", until))
		assert.Error(t, s.RotateFamily(ctx, "f", "", "n", until))
		assert.False(t, revoked(t, s, token("", "", "", start)))
	})
	t.Run("concurrent rotation of one token: exactly one wins", func(t *testing.T) {
		t.Parallel()
		for round := range 50 {
			s := newStore(t, NewClock(start).Now)
			require.NoError(t, s.StartFamily(ctx, "fam", "r-0", start.Add(time.Hour)))
			var wins, reused, unknown atomic.Int32
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := s.RotateFamily(ctx, "fam", "r-0", "r-next-"+string(rune('a'+g)), start.Add(time.Hour))
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, issuing.ErrRefreshReused):
						reused.Add(1)
					case errors.Is(err, issuing.ErrFamilyUnknown):
						unknown.Add(1)
					default:
						t.Errorf("unexpected error %v", err)
					}
				}()
			}
			wg.Wait()
			// The first rotation wins; the next one is a reuse and revokes the
			// family; the rest find it revoked.
			require.Equal(t, int32(1), wins.Load(), "round %d", round)
			require.Equal(t, int32(1), reused.Load(), "round %d", round)
			require.Equal(t, int32(6), unknown.Load(), "round %d", round)
		}
	})
	t.Run("concurrent revocations are never lost", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, NewClock(start).Now)
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					id := string(rune('a'+g)) + "-" + string(rune('A'+i))
					assert.NoError(t, s.RevokeToken(ctx, id, start.Add(time.Hour)))
				}
			}()
		}
		wg.Wait()
		for g := range 16 {
			for i := range 50 {
				id := string(rune('a'+g)) + "-" + string(rune('A'+i))
				assert.True(t, revoked(t, s, token(id, "", "x", start)), id)
			}
		}
	})
}

// NewLosingStore builds an empty store whose clock is now, and lose, which
// makes it lose every entry as a restart of the process, a FLUSHALL or a
// Redis restarted without its data does, and returns the store to use from
// then on: the same one, or a new one with the same clock, as a restarted
// process builds it. Each call must return a store that shares nothing with
// the others.
type NewLosingStore func(t *testing.T, now func() time.Time) (s issuing.Store, lose func() issuing.Store)

// RunStoreLoss is the suite of a store that loses its entries: no token
// revoked before the loss is ever let through after it, not even one
// issued, revoked and lost all within one second (NumericDates are whole
// seconds), and logins after the loss work at once, those of that very
// second included. The clock starts at 2026-11-28T12:00:00Z and moves only
// when the suite moves it.
func RunStoreLoss(t *testing.T, newStore NewLosingStore) {
	t.Helper()
	sec := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) // the second of it all
	ctx := context.Background()
	token := func(id, sid string, iat time.Time) *jwtgate.Token {
		return &jwtgate.Token{ID: id, SessionID: sid, Subject: "alice", IssuedAt: iat}
	}
	revoked := func(t *testing.T, s issuing.Store, tok *jwtgate.Token) bool {
		t.Helper()
		r, err := s.IsRevoked(ctx, tok)
		require.NoError(t, err)
		return r
	}
	// After the loss, the store's first call is a check or a login: either
	// may be the one that finds the loss.
	firsts := map[string]func(t *testing.T, s issuing.Store){
		"a check first": func(t *testing.T, s issuing.Store) {
			revoked(t, s, token("first", "", sec))
		},
		"a login first": func(t *testing.T, s issuing.Store) {
			require.NoError(t, s.StartFamily(ctx, "fam-first", "r-first", sec.Add(time.Hour)))
		},
	}
	for name, first := range firsts {
		t.Run("login, logout and loss in one second, "+name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock(sec.Add(-time.Hour))
			s, lose := newStore(t, clock.Now)
			revoked(t, s, token("in-use", "", clock.Now())) // in use since an hour
			until := sec.Add(time.Hour)

			clock.Set(sec.Add(100 * time.Millisecond))
			require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", until)) // a login: its tokens' iat is sec
			require.NoError(t, s.StartFamily(ctx, "fam-2", "r-2", until))
			byFamily, byJTI, bySubject := token("a-1", "fam-1", sec), token("b-1", "", sec), &jwtgate.Token{ID: "c-1", SessionID: "fam-2", Subject: "bob", IssuedAt: sec}
			innocent := token("d-1", "fam-2", sec) // of a family nobody revoked
			for _, tok := range []*jwtgate.Token{byFamily, byJTI, bySubject, innocent} {
				require.False(t, revoked(t, s, tok))
			}
			clock.Set(sec.Add(200 * time.Millisecond))
			require.NoError(t, s.RevokeFamily(ctx, "fam-1", until)) // its logout
			require.NoError(t, s.RevokeToken(ctx, "b-1", until))
			require.NoError(t, s.RevokeSubject(ctx, "bob", clock.Now(), until))
			for _, tok := range []*jwtgate.Token{byFamily, byJTI, bySubject} {
				require.True(t, revoked(t, s, tok))
			}

			clock.Set(sec.Add(300 * time.Millisecond))
			s = lose()
			clock.Set(sec.Add(400 * time.Millisecond))
			first(t, s)
			assert.True(t, revoked(t, s, byFamily), "logged out, then lost, in the second it was issued in")
			assert.True(t, revoked(t, s, byJTI), "revoked by jti, then lost, in the second it was issued in")
			assert.True(t, revoked(t, s, bySubject), "its subject logged out everywhere, then lost, in its second")
			assert.True(t, revoked(t, s, innocent), "of a family the loss took: the store cannot tell")
			assert.True(t, revoked(t, s, token("e-1", "", sec.Add(50*time.Millisecond))), "an iat with a fraction before the loss")
			assert.ErrorIs(t, s.RotateFamily(ctx, "fam-2", "r-2", "r-3", until), issuing.ErrFamilyUnknown, "a family the loss took")

			// A login after the loss, in the same second, works at once.
			clock.Set(sec.Add(500 * time.Millisecond))
			require.NoError(t, s.StartFamily(ctx, "fam-new", "r-new", until))
			assert.False(t, revoked(t, s, token("f-1", "fam-new", sec)), "a login after the loss, in its second")
			require.NoError(t, s.RotateFamily(ctx, "fam-new", "r-new", "r-new-2", until), "and its refresh")
			assert.False(t, revoked(t, s, token("f-2", "fam-new", sec)), "the refreshed token, in that second still")
			assert.False(t, revoked(t, s, token("g-1", "", sec.Add(900*time.Millisecond))), "an iat with a fraction after the loss")
			assert.True(t, revoked(t, s, token("h-1", "", sec)), "no family, in the loss's second: the store cannot tell")
			clock.Set(sec.Add(1100 * time.Millisecond))
			assert.False(t, revoked(t, s, token("h-2", "", sec.Add(time.Second))), "the next second")
			assert.True(t, revoked(t, s, byFamily), "and the lost revocation holds")
		})
	}
}
