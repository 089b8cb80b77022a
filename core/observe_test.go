package jwtgate_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/extractors"
)

// outcomes is an Observer that keeps what it is told of authentications
// and scope checks.
type outcomes struct {
	jwtgate.NopObserver
	mu         sync.Mutex
	auth, scop []jwtgate.Outcome
}

func (o *outcomes) Authenticated(_ context.Context, out *jwtgate.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.auth = append(o.auth, *out)
}

func (o *outcomes) Authorized(_ context.Context, out *jwtgate.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scop = append(o.scop, *out)
}

// TestOutcomeCacheLookup: an Outcome says whether the cache was asked and
// whether it answered, so that a metric of cache misses does not count
// Authenticators without a cache, nor requests refused before a token was
// read.
func TestOutcomeCacheLookup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	type flags struct{ lookup, cached bool }
	for _, tc := range []struct {
		name  string
		cache int
		reqs  []*http.Request
		want  []flags
	}{
		{"cache on: miss, miss (admitted), hit", 0, []*http.Request{bearerRequest(tok), bearerRequest(tok), bearerRequest(tok)},
			[]flags{{true, false}, {true, false}, {true, true}}},
		{"cache off", -1, []*http.Request{bearerRequest(tok), bearerRequest(tok)}, []flags{{false, false}, {false, false}}},
		{"no token read", 0, []*http.Request{bearerRequest("")}, []flags{{false, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &outcomes{}
			a := testAuth(t, func(c *jwtgate.Config) { c.Observer, c.CacheSize = obs, tc.cache })
			for _, r := range tc.reqs {
				_, _ = a.Authenticate(ctx, extractors.FromHTTP(r))
			}
			require.Len(t, obs.auth, len(tc.want))
			for i, w := range tc.want {
				assert.Equal(t, w, flags{obs.auth[i].CacheLookup, obs.auth[i].Cached}, "request %d", i+1)
			}
		})
	}
}

// TestOutcomeAuthorized: every scope check is observed, granted or
// refused, with its reason; the authentication before it is observed
// apart.
func TestOutcomeAuthorized(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	obs := &outcomes{}
	a := testAuth(t, func(c *jwtgate.Config) { c.Observer = obs })
	r := bearerRequest(mint(testSecret, goodHeader, claimsJSON("")))
	tok, err := a.Authenticate(ctx, extractors.FromHTTP(r))
	require.NoError(t, err)
	require.NoError(t, a.Authorize(ctx, extractors.FromHTTP(r), tok, "read"))
	require.Error(t, a.Authorize(ctx, extractors.FromHTTP(r), tok, "admin"))
	require.Error(t, a.Authorize(ctx, extractors.FromHTTP(httptest.NewRequest("GET", "/", nil)), nil, "read"))
	require.Len(t, obs.auth, 1)
	require.Len(t, obs.scop, 3)
	assert.Equal(t, []string{"", "insufficient_scope", "missing_token"}, []string{obs.scop[0].Reason, obs.scop[1].Reason, obs.scop[2].Reason})
	assert.Same(t, tok, obs.scop[0].Token)
	assert.False(t, obs.scop[0].Start.IsZero())
	assert.GreaterOrEqual(t, obs.scop[1].Duration, time.Duration(0))
}

// TestOutcomeDPoP: an Outcome says the request used DPoP.
func TestOutcomeDPoP(t *testing.T) {
	t.Parallel()
	k := newProofKey(t)
	obs := &outcomes{}
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Observer = obs
		c.DPoP = &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return testNow })}
	})
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	url := "http://example.com/api/me"
	_, err := a.Authenticate(context.Background(), extractors.FromHTTP(dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, bound))))
	require.NoError(t, err)
	_, err = a.Authenticate(context.Background(), extractors.FromHTTP(bearerRequest(bound)))
	require.Error(t, err)
	require.Len(t, obs.auth, 2)
	assert.True(t, obs.auth[0].DPoP)
	assert.False(t, obs.auth[1].DPoP)
	assert.Equal(t, "dpop_bound", obs.auth[1].Reason)
}

// TestAuthorizeAfterAnIgnoredRefusal: a request whose authentication was
// refused and let go on (WithRefusal) is refused by the scope guard with
// that refusal, not taken for a wiring mistake and never let through.
func TestAuthorizeAfterAnIgnoredRefusal(t *testing.T) {
	t.Parallel()
	obs := &outcomes{}
	a := testAuth(t, func(c *jwtgate.Config) { c.Observer = obs })
	r := bearerRequest(mint(testSecret, goodHeader, `{"iss":"https://issuer.example","sub":"u","aud":"api://svc","exp":1}`))
	_, refusal := a.Authenticate(context.Background(), extractors.FromHTTP(r))
	require.ErrorIs(t, refusal, jwtgate.ErrInvalidToken)
	ctx := adapt.WithRefusal(context.Background(), refusal)
	err := a.Authorize(ctx, extractors.FromHTTP(r), nil, "read")
	require.ErrorIs(t, err, jwt.ErrTokenExpired, "the guard refuses as authentication did")
	assert.NotErrorIs(t, err, jwtgate.ErrMisconfigured)
	assert.Equal(t, http.StatusUnauthorized, a.Response(err).Status)
	require.Len(t, obs.scop, 1)
	assert.Equal(t, "expired", obs.scop[0].Reason)
	assert.Equal(t, ctx, adapt.WithRefusal(ctx, errors.New("not jwtgate's")), "another error marks nothing")
}

// TestReasonInOnError: an OnError hook may hand the error to another
// goroutine, which reads its Reason while the core goes on to log the
// refusal and tell the Observer: the reason is noted before the hook runs,
// so nothing writes the error after (the race detector, which the test
// command runs, would see it).
func TestReasonInOnError(t *testing.T) {
	read := make(chan string, 1)
	var logs strings.Builder
	a := testAuth(t, func(c *jwtgate.Config) {
		c.CacheSize = -1
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.OnError = func(_ context.Context, err error) { go func() { read <- jwtgate.Reason(err) }() }
	})
	forged := mint(testSecret, goodHeader, claimsJSON(""))
	forged = forged[:len(forged)-2] + "AA"
	_, err := a.Verify(context.Background(), forged)
	require.Error(t, err)
	assert.Equal(t, "bad_signature", <-read)
	assert.Equal(t, "bad_signature", jwtgate.Reason(err))
	assert.Contains(t, logs.String(), `"reason":"bad_signature"`)

	// The scope guard's refusal too.
	tok, err := a.Verify(context.Background(), mint(testSecret, goodHeader, claimsJSON(""))) // scope "read write"
	require.NoError(t, err)
	r := httptest.NewRequest("GET", "/", nil)
	require.Error(t, a.Authorize(context.Background(), extractors.FromHTTP(r), tok, "admin"))
	assert.Equal(t, "insufficient_scope", <-read)
	assert.Contains(t, logs.String(), `"reason":"insufficient_scope"`)
}
