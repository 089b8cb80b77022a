package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault tests use a short Options.Timeout and allow a generous margin on
// top of it, since the machine running them may be shared and slow; the
// faults they guard against last seconds (5 s with Redis frozen).
const (
	faultTimeout = 200 * time.Millisecond
	faultMargin  = 800 * time.Millisecond
)

// call is one kind of store call, as a fault test makes it.
type call struct {
	name string
	fn   func(ctx context.Context, s *redisstore.Store, i int) error
}

// calls are every method of the store. i makes each call's ids its own.
var calls = []call{
	{"IsRevoked", func(ctx context.Context, s *redisstore.Store, i int) error {
		_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: id("jti", i), SessionID: id("fam", i), Subject: "alice", IssuedAt: time.Now()})
		return err
	}},
	{"RevokeToken", func(ctx context.Context, s *redisstore.Store, i int) error {
		return s.RevokeToken(ctx, id("jti", i), time.Now().Add(time.Hour))
	}},
	{"RevokeFamily", func(ctx context.Context, s *redisstore.Store, i int) error {
		return s.RevokeFamily(ctx, id("fam", i), time.Now().Add(time.Hour))
	}},
	{"RevokeSubject", func(ctx context.Context, s *redisstore.Store, i int) error {
		return s.RevokeSubject(ctx, id("sub", i), time.Now(), time.Now().Add(time.Hour))
	}},
	{"StartFamily", func(ctx context.Context, s *redisstore.Store, i int) error {
		return s.StartFamily(ctx, id("new", i), "r-0", time.Now().Add(time.Hour))
	}},
	{"RotateFamily", func(ctx context.Context, s *redisstore.Store, i int) error {
		err := s.RotateFamily(ctx, id("fam", i), "r-0", "r-1", time.Now().Add(time.Hour))
		if errors.Is(err, issuing.ErrFamilyUnknown) {
			return nil // an answer: the family was never started
		}
		return err
	}},
	{"Remember", func(ctx context.Context, s *redisstore.Store, i int) error {
		_, err := s.Remember(ctx, id("jkt.jti", i), time.Now(), time.Now().Add(time.Minute))
		return err
	}},
}

func id(kind string, i int) string { return kind + "-" + strconv.Itoa(i) }

// seq numbers the calls of a test binary, so that no two share ids.
var seq atomic.Int64

// result is one call's outcome.
type result struct {
	name string
	err  error
	took time.Duration
}

// callAll makes every kind of call n times at once (with n = 8, more calls
// than the client's pool has connections) and returns their outcomes.
func callAll(s *redisstore.Store, n int) []result {
	var mu sync.Mutex
	var out []result
	var wg sync.WaitGroup
	for _, c := range calls {
		for range n {
			i := int(seq.Add(1))
			wg.Go(func() {
				start := time.Now()
				err := c.fn(context.Background(), s, i)
				r := result{c.name, err, time.Since(start)}
				mu.Lock()
				defer mu.Unlock()
				out = append(out, r)
			})
		}
	}
	wg.Wait()
	return out
}

// succeeded reports whether every call succeeded.
func succeeded(rs []result) bool {
	for _, r := range rs {
		if r.err != nil {
			return false
		}
	}
	return true
}

// requireSucceeded fails the test unless every call succeeded.
func requireSucceeded(t *testing.T, rs []result) {
	t.Helper()
	for _, r := range rs {
		require.NoError(t, r.err, r.name)
	}
}

// assertBounded checks that every call failed, within the timeout.
func assertBounded(t *testing.T, rs []result) {
	t.Helper()
	var worst time.Duration
	for _, r := range rs {
		assert.Error(t, r.err, "%s answered while Redis could not", r.name)
		assert.Less(t, r.took, faultTimeout+faultMargin, "%s took %v", r.name, r.took)
		worst = max(worst, r.took)
	}
	t.Logf("%d calls, Timeout %v: the slowest took %v", len(rs), faultTimeout, worst)
}

// TestTimeoutBoundsEveryCall: with Redis frozen or busy, every call of the
// store fails within Options.Timeout (plus a margin), even with more calls
// than the client has connections; once Redis answers again, the same store
// and client work again.
func TestTimeoutBoundsEveryCall(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name   string
		inject func(srv *redistest.Server) (undo func())
	}{
		{"paused (SIGSTOP)", func(srv *redistest.Server) func() {
			srv.Pause()
			return srv.Resume
		}},
		{"slow (DEBUG SLEEP)", func(srv *redistest.Server) func() {
			done := srv.Sleep(1500 * time.Millisecond)
			return func() { <-done }
		}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t)
			s := newStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Timeout: faultTimeout})
			requireSucceeded(t, callAll(s, 1))

			undo := f.inject(srv)
			assertBounded(t, callAll(s, 8))
			undo()

			require.Eventually(t, func() bool {
				return succeeded(callAll(s, 1))
			}, 5*time.Second, 50*time.Millisecond, "the store works again without a new client")
		})
	}
}

// opaqueClient is a redis.UniversalClient New cannot inspect: a wrapper, as
// an application might write one.
type opaqueClient struct{ redis.UniversalClient }

// TestTimeoutWithAClientThatIgnoresDeadlines: the store's own deadline
// bounds the calls of a client New cannot inspect, even one that would wait
// for a frozen Redis until its read timeout (5 s).
func TestTimeoutWithAClientThatIgnoresDeadlines(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts, err := redis.ParseURL(srv.URL())
	require.NoError(t, err)
	client := redis.NewClient(opts) // ContextTimeoutEnabled false
	t.Cleanup(func() { _ = client.Close() })
	s := newStore(t, opaqueClient{client}, redisstore.Options{Prefix: redistest.Prefix(), Timeout: faultTimeout})
	requireSucceeded(t, callAll(s, 1))

	srv.Pause()
	assertBounded(t, callAll(s, 1))
	srv.Resume()
	require.Eventually(t, func() bool {
		return succeeded(callAll(s, 1))
	}, 10*time.Second, 50*time.Millisecond)
}

func TestNewChecksTheClient(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:1" // never dialled: New does no I/O
	cases := []struct {
		name   string
		client redis.UniversalClient
		ok     bool
	}{
		{"nil", nil, false},
		{"typed nil", (*redis.Client)(nil), false},
		{"Client", redis.NewClient(&redis.Options{Addr: addr}), false},
		{"Client with ContextTimeoutEnabled", redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true}), true},
		{"ClusterClient", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}}), false},
		{"ClusterClient with ContextTimeoutEnabled", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true}), true},
		{"Ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": addr}}), false},
		{"Ring with ContextTimeoutEnabled", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": addr}, ContextTimeoutEnabled: true}), true},
		{"failover Client", redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "m", SentinelAddrs: []string{addr}}), false},
		{"failover Client with ContextTimeoutEnabled", redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "m", SentinelAddrs: []string{addr}, ContextTimeoutEnabled: true}), true},
		{"universal Cluster", redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr, addr}}), false},
		{"universal Cluster with ContextTimeoutEnabled", redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr, addr}, ContextTimeoutEnabled: true}), true},
		{"an implementation New cannot inspect", opaqueClient{redis.NewClient(&redis.Options{Addr: addr})}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.client != nil && c.name != "typed nil" {
				t.Cleanup(func() { _ = c.client.Close() })
			}
			s, err := redisstore.New(c.client, redisstore.Options{})
			if c.ok {
				require.NoError(t, err)
				assert.NotNil(t, s)
				return
			}
			require.Error(t, err)
			assert.Nil(t, s)
			if c.client != nil && c.name != "typed nil" {
				assert.ErrorContains(t, err, "ContextTimeoutEnabled", "the error names the option")
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	c, err := redisstore.NewClient("redis://127.0.0.1:1/2?read_timeout=3s")
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	assert.True(t, c.Options().ContextTimeoutEnabled)
	assert.Equal(t, 2, c.Options().DB, "the URL's settings are kept")
	assert.Equal(t, 3*time.Second, c.Options().ReadTimeout)
	_, err = redisstore.New(c, redisstore.Options{})
	require.NoError(t, err)

	_, err = redisstore.NewClient("http://example")
	assert.Error(t, err)
}

// TestFrozenRedisAnswers503: through the verifier and the net/http adapter, a
// request whose revocation check cannot be answered is refused with 503
// within the store's timeout, and served again once Redis is back.
func TestFrozenRedisAnswers503(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	store := newStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Timeout: faultTimeout})
	secret := []byte("0123456789abcdef0123456789abcdef")
	issuer, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(secret, "HS256"), Issuer: "iss", Audience: []string{"aud"}, Store: store})
	require.NoError(t, err)
	pair, err := issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	auth, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"}, Revoker: store})
	require.NoError(t, err)
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	get := func() (int, time.Duration) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, r)
		return w.Code, time.Since(start)
	}
	code, _ := get()
	require.Equal(t, http.StatusOK, code)

	srv.Pause()
	code, took := get()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Less(t, took, faultTimeout+faultMargin)
	t.Logf("503 after %v with Redis frozen (Timeout %v)", took, faultTimeout)
	srv.Resume()
	require.Eventually(t, func() bool { code, _ := get(); return code == http.StatusOK }, 5*time.Second, 50*time.Millisecond)
}
