package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cacheLag is the local caches' MaxLag in these tests.
const cacheLag = 100 * time.Millisecond

// cachedStore is a store with a local cache, closed when the test ends.
func cachedStore(t testing.TB, client redis.UniversalClient, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	if opts.LocalCache == nil {
		opts.LocalCache = &redisstore.LocalCache{MaxLag: cacheLag}
	}
	s := newStore(t, client, opts)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// warm checks tok until the store answers it from memory (its tracking
// connection is up and tok's keys are cached), and returns the answer.
func warm(t testing.TB, s *redisstore.Store, tok *jwtgate.Token) bool {
	t.Helper()
	var revoked bool
	require.Eventually(t, func() bool {
		hits := s.CacheStats().Hits
		var err error
		revoked, err = s.IsRevoked(context.Background(), tok)
		return err == nil && s.CacheStats().Hits > hits
	}, 10*time.Second, time.Millisecond, "the local cache answers")
	return revoked
}

// TestLocalCacheSuite: the shared suites (the store's, and a store that loses
// its data by FLUSHALL or a restart without persistence) with the local cache
// on. A loss reaches the cache as an invalidation of every key (FLUSHALL) or
// as the tracking connection's end (restart); the suite's checks after the
// loss come MaxLag after it, the bound the cache promises.
func TestLocalCacheSuite(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test empties, not the one REDIS_URL names")
	}
	client := srv.Client()
	t.Run("store", func(t *testing.T) {
		jwtgatetest.RunStore(t, func(t *testing.T, now func() time.Time) issuing.Store {
			return cachedStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), Now: now})
		})
	})
	for name, lose := range map[string]func(*redistest.Server){
		"FLUSHALL":                    (*redistest.Server).Flush,
		"restart without persistence": (*redistest.Server).Restart,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			jwtgatetest.RunStoreLoss(t, func(t *testing.T, now func() time.Time) (issuing.Store, func() issuing.Store) {
				srv := redistest.Start(t)
				s := cachedStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Now: now, Timeout: 5 * time.Second})
				return s, func() issuing.Store { lose(srv); time.Sleep(cacheLag); return s }
			})
		})
	}
}

// TestLocalCacheNoRoundTrip: at steady state a check reads nothing from
// Redis; a write on the same instance is seen by its next check at once.
func TestLocalCacheNoRoundTrip(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	var sent atomic.Int64
	client.AddHook(countHook{&sent})
	s := cachedStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), LocalCache: &redisstore.LocalCache{MaxLag: time.Second}})
	ctx := context.Background()
	tok := &jwtgate.Token{ID: "jti-1", SessionID: "fam-1", Subject: "alice", IssuedAt: time.Now().Add(time.Second)}
	require.False(t, warm(t, s, tok))

	before, hits := sent.Load(), s.CacheStats().Hits
	for range 1000 {
		revoked, err := s.IsRevoked(ctx, tok)
		require.NoError(t, err)
		require.False(t, revoked)
	}
	assert.Equal(t, before, sent.Load(), "no command sent to Redis")
	assert.Equal(t, hits+1000, s.CacheStats().Hits)

	require.NoError(t, s.RevokeToken(ctx, "jti-1", time.Now().Add(time.Hour)))
	revoked, err := s.IsRevoked(ctx, tok)
	require.NoError(t, err)
	assert.True(t, revoked, "the instance's own logout, at its next check")
}

// countHook counts the commands a client sends, pipelined or not.
type countHook struct{ n *atomic.Int64 }

func (countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// watch checks tok on s in a loop from the moment it is called, and returns
// a func that stops it and reports, for each answer after acked (set by the
// caller once the logout was acknowledged), when it began and what it was.
type answer struct {
	at      time.Time
	revoked bool
	err     error
}

func watch(s *redisstore.Store, tok *jwtgate.Token) (stop func() []answer) {
	var answers []answer
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
			}
			at := time.Now()
			revoked, err := s.IsRevoked(context.Background(), tok)
			answers = append(answers, answer{at, revoked, err})
			time.Sleep(100 * time.Microsecond) // about a request every 0.1 ms
		}
	}()
	return func() []answer { close(done); <-finished; return answers }
}

// TestLocalCachePropagation: a logout (of a token, a family, a subject) on
// instance A reaches instance B's memory as Redis's invalidation: B refuses
// the token soon after A acknowledged the logout. It measures how soon, for
// 200 logouts (the figures are logged: p99 10 ms on loopback, under the race
// detector and the other tests), holds p99 to MaxLag, the bound the store
// promises, and every answer B began more than MaxLag after the
// acknowledgement to a refusal. Without the invalidations B would never
// refuse the token (its tracking connection stays fresh).
func TestLocalCachePropagation(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix()
	a := cachedStore(t, srv.Client(), redisstore.Options{Prefix: prefix})
	b := cachedStore(t, srv.Client(), redisstore.Options{Prefix: prefix})
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	require.NoError(t, a.StartFamily(ctx, "fam-0", "r-0", until)) // the loss marker
	iat := time.Now().Truncate(time.Second).Add(2 * time.Second)  // whole seconds, as issued

	logouts := []func(i int) (*jwtgate.Token, func() error){
		func(i int) (*jwtgate.Token, func() error) {
			id := fmt.Sprint("jti-", i)
			return &jwtgate.Token{ID: id, IssuedAt: iat}, func() error { return a.RevokeToken(ctx, id, until) }
		},
		func(i int) (*jwtgate.Token, func() error) {
			fam := fmt.Sprint("fam-", i)
			return &jwtgate.Token{ID: fmt.Sprint("f-jti-", i), SessionID: fam, IssuedAt: iat}, func() error { return a.RevokeFamily(ctx, fam, until) }
		},
		func(i int) (*jwtgate.Token, func() error) {
			sub := fmt.Sprint("sub-", i)
			return &jwtgate.Token{ID: fmt.Sprint("s-jti-", i), Subject: sub, IssuedAt: iat}, func() error {
				return a.RevokeSubject(ctx, sub, iat, until)
			}
		},
	}
	var delays []time.Duration
	stale := 0
	for i := range 200 {
		tok, logout := logouts[i%len(logouts)](i)
		require.False(t, warm(t, b, tok))
		stop := watch(b, tok)
		require.NoError(t, logout())
		acked := time.Now()
		var refused time.Time
		require.Eventually(t, func() bool {
			revoked, err := b.IsRevoked(ctx, tok)
			if err == nil && revoked {
				refused = time.Now()
				return true
			}
			return false
		}, 5*time.Second, 100*time.Microsecond)
		delays = append(delays, refused.Sub(acked))
		for _, ans := range stop() {
			if ans.at.After(acked) && ans.err == nil && !ans.revoked {
				stale++
				assert.Less(t, ans.at.Sub(acked), cacheLag, "B let the token through more than MaxLag after the logout")
			}
		}
	}
	slices.Sort(delays)
	p50, p99, most := delays[len(delays)/2], delays[len(delays)*99/100], delays[len(delays)-1]
	t.Logf("logout on A to refusal on B, %d logouts: p50 %s, p99 %s, max %s; %d answers of B after A's acknowledgement still let the token through",
		len(delays), p50, p99, most, stale)
	assert.Less(t, p99, cacheLag)
}

// TestLocalCacheTrackingKilled: B's tracking connection killed (CLIENT
// KILL): B drops its memory and reads Redis until it tracks again, so a token
// revoked meanwhile is refused; then B answers from memory again.
func TestLocalCacheTrackingKilled(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix()
	a := newStore(t, srv.Client(), redisstore.Options{Prefix: prefix})
	admin := srv.Client()
	b := cachedStore(t, srv.Client(), redisstore.Options{Prefix: prefix})
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	require.NoError(t, a.StartFamily(ctx, "fam-0", "r-0", until))
	iat := time.Now().Add(time.Second)

	for i := range 5 {
		tok := &jwtgate.Token{ID: fmt.Sprint("jti-", i), IssuedAt: iat}
		require.False(t, warm(t, b, tok))
		drops := b.CacheStats().Drops
		stop := watch(b, tok)
		killTracking(t, admin)
		require.NoError(t, a.RevokeToken(ctx, tok.ID, until))
		acked := time.Now()
		time.Sleep(2 * cacheLag)
		stale := 0
		for _, ans := range stop() {
			if ans.at.After(acked) && ans.err == nil && !ans.revoked {
				stale++
				assert.Less(t, ans.at.Sub(acked), cacheLag, "B let the token through more than MaxLag after the logout")
			}
		}
		t.Logf("logout %d: %d answers of B let the token through after the logout, within MaxLag", i, stale)
		assert.True(t, warm(t, b, tok), "B tracks again, and its memory has the logout")
		stats := b.CacheStats()
		assert.Equal(t, drops+1, stats.Drops, "the killed connection emptied memory once")
		assert.True(t, stats.Live)
	}
}

// killTracking kills every tracking connection of the server.
func killTracking(t *testing.T, admin *redis.Client) {
	t.Helper()
	list, err := admin.ClientList(context.Background()).Result()
	require.NoError(t, err)
	killed := 0
	for line := range strings.SplitSeq(list, "\n") {
		if !strings.Contains(line, " name=jwtgate-tracking ") {
			continue
		}
		for f := range strings.SplitSeq(line, " ") {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				require.NoError(t, admin.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err())
				killed++
			}
		}
	}
	require.Equal(t, 1, killed, "one tracking connection")
}

// TestLocalCacheTrackingLags: B's tracking connection delivers nothing for
// a while (the network, or Redis's output to it, lagging; the connection
// stays up): B stops answering from memory once no PING has been answered for
// MaxLag, so a token revoked meanwhile is refused from then on; when the
// connection catches up, B answers from memory again, with the logout.
func TestLocalCacheTrackingLags(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix()
	a := newStore(t, srv.Client(), redisstore.Options{Prefix: prefix})
	opts, err := redis.ParseURL(srv.URL())
	require.NoError(t, err)
	opts.ContextTimeoutEnabled = true
	var hold atomic.Bool
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &holdConn{Conn: c, hold: &hold}, nil
	}
	bc := redis.NewClient(opts)
	t.Cleanup(func() { _ = bc.Close() })
	b := cachedStore(t, bc, redisstore.Options{Prefix: prefix})
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	require.NoError(t, a.StartFamily(ctx, "fam-0", "r-0", until))
	iat := time.Now().Add(time.Second)

	tok := &jwtgate.Token{ID: "jti-lag", IssuedAt: iat}
	require.False(t, warm(t, b, tok))
	stop := watch(b, tok)
	hold.Store(true)
	require.NoError(t, a.RevokeToken(ctx, tok.ID, until))
	acked := time.Now()
	time.Sleep(3 * cacheLag)
	misses := b.CacheStats().Misses
	time.Sleep(cacheLag)
	assert.Greater(t, b.CacheStats().Misses, misses, "while the connection lags, B reads Redis")
	hold.Store(false)
	answers := stop()
	stale := 0
	for _, ans := range answers {
		if ans.at.After(acked) && ans.err == nil && !ans.revoked {
			stale++
			assert.Less(t, ans.at.Sub(acked), cacheLag, "B let the token through more than MaxLag after the logout")
		}
	}
	t.Logf("%d answers while the tracking connection lagged, %d of them let the token through within MaxLag of the logout", len(answers), stale)
	assert.True(t, warm(t, b, tok), "the connection caught up: B answers from memory, with the logout")
}

// holdConn is a connection whose reads wait while hold is set, once it has
// sent CLIENT TRACKING: the tracking connection lagging, the others not.
type holdConn struct {
	net.Conn
	hold     *atomic.Bool
	tracking atomic.Bool
}

func (c *holdConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("TRACKING")) {
		c.tracking.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *holdConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for c.tracking.Load() && c.hold.Load() {
		time.Sleep(time.Millisecond) // the lag the test injects: what arrived waits
	}
	return n, err
}

// TestLocalCacheRedisFrozen: Redis frozen, B answers from memory for at most
// MaxLag, then every check fails within the timeout (503), never a stale
// answer for long; Redis back, B answers from memory again.
func TestLocalCacheRedisFrozen(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test freezes, not the one REDIS_URL names")
	}
	b := cachedStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Timeout: faultTimeout})
	ctx := context.Background()
	tok := &jwtgate.Token{ID: "jti-frozen", IssuedAt: time.Now().Add(time.Second)}
	require.NoError(t, b.StartFamily(ctx, "fam-0", "r-0", time.Now().Add(time.Hour)))
	require.False(t, warm(t, b, tok))
	srv.Pause()
	paused := time.Now()
	var once sync.Once
	defer once.Do(srv.Resume)
	time.Sleep(2 * cacheLag) // a PING sent as it froze may have been answered
	for range 3 {
		start := time.Now()
		_, err := b.IsRevoked(ctx, tok)
		assert.Error(t, err, "an answer from memory %s after Redis froze", start.Sub(paused))
		assert.Less(t, time.Since(start), faultTimeout+faultMargin)
	}
	once.Do(srv.Resume)
	assert.False(t, warm(t, b, tok), "B answers from memory again")
}

// TestLocalCacheAuth: the tracking connection authenticates as the client
// does (HELLO 3 AUTH with the client's user and password), so a Redis that
// requires a password is tracked too.
func TestLocalCacheAuth(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test sets a password on, not the one REDIS_URL names")
	}
	require.NoError(t, srv.Client().ConfigSet(context.Background(), "requirepass", "s3cret-pass").Err())
	opts, err := redis.ParseURL(srv.URL())
	require.NoError(t, err)
	opts.ContextTimeoutEnabled, opts.Password = true, "s3cret-pass"
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	s := cachedStore(t, client, redisstore.Options{Prefix: redistest.Prefix()})
	ctx := context.Background()
	require.NoError(t, s.StartFamily(ctx, "fam-0", "r-0", time.Now().Add(time.Hour)))
	tok := &jwtgate.Token{ID: "jti-auth", IssuedAt: time.Now().Truncate(time.Second).Add(2 * time.Second)}
	assert.False(t, warm(t, s, tok), "tracked with the client's password")
	assert.True(t, s.CacheStats().Live)
}
