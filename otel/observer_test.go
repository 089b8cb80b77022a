package jwtgateotel_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwks"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// Attribute keys as the package doc names them.
var (
	outcome   = attribute.Key("jwtgate.auth.outcome")
	reason    = attribute.Key("jwtgate.auth.reason")
	cacheHit  = attribute.Key("jwtgate.cache.hit")
	result    = attribute.Key("jwtgate.cache.result")
	storeOp   = attribute.Key("jwtgate.store.operation")
	issuingOp = attribute.Key("jwtgate.issuing.operation")
	errorType = attribute.Key("error.type")
)

// A token is verified on its first two requests (the cache takes it in the
// second time) and answered from the cache on the third.
func TestAccepted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, nil)})(http.HandlerFunc(ok))
	tok := r.token(t, secretKey, time.Now().Add(time.Hour))
	var parents []trace.SpanContext
	for range 3 {
		code, parent := r.get(h, tok)
		require.Equal(t, http.StatusNoContent, code)
		parents = append(parents, parent)
	}

	ms := r.metrics(t)
	assert.Equal(t, int64(3), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")))
	assert.Equal(t, int64(2), count(t, ms, "jwtgate.cache.lookups", result.String("miss")))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.cache.lookups", result.String("hit")))
	miss := histogram(t, ms, "jwtgate.auth.duration", outcome.String("accepted"), cacheHit.Bool(false))
	hit := histogram(t, ms, "jwtgate.auth.duration", outcome.String("accepted"), cacheHit.Bool(true))
	assert.Equal(t, uint64(2), miss.Count)
	assert.Equal(t, uint64(1), hit.Count)
	outcomes := r.obs.outcomes
	require.Len(t, outcomes, 3)
	assert.Equal(t, []bool{false, false, true}, []bool{outcomes[0].Cached, outcomes[1].Cached, outcomes[2].Cached})
	assert.InDelta(t, outcomes[0].Duration.Seconds()+outcomes[1].Duration.Seconds(), miss.Sum, 1e-12, "the durations recorded, in seconds")
	assert.InDelta(t, outcomes[2].Duration.Seconds(), hit.Sum, 1e-12)

	spans := r.ended("jwtgate.authenticate")
	require.Len(t, spans, 3)
	for i, s := range spans {
		assertChild(t, s, parents[i])
		assertTimes(t, s, outcomes[i].Start, outcomes[i].Duration)
		assert.Equal(t, map[attribute.Key]attribute.Value{
			outcome:                               attribute.StringValue("accepted"),
			cacheHit:                              attribute.BoolValue(i == 2),
			attribute.Key("jwtgate.token.alg"):    attribute.StringValue("HS256"),
			attribute.Key("jwtgate.token.source"): attribute.StringValue("header:Authorization"),
		}, attrs(s))
		assert.Equal(t, codes.Unset, s.Status().Code)
	}
	// The measurements were made in jwtgate's span: an exemplar points at it.
	if assert.Len(t, hit.Exemplars, 1) {
		id := spans[2].SpanContext().SpanID()
		assert.Equal(t, id[:], hit.Exemplars[0].SpanID, "the cache hit's exemplar is its jwtgate.authenticate span")
	}
}

// Every refusal is counted under its reason, and its span is an error
// whose description is the reason.
func TestRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	store := issuing.NewMemoryStore(nil)
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, func(c *jwtgate.Config) { c.Revoker = store })})(http.HandlerFunc(ok))

	revoked := r.token(t, secretKey, time.Now().Add(time.Hour))
	tok, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secretKey, "HS256"), Issuer: []string{testIssuer}, Audience: []string{testAudience}})
	require.NoError(t, err)
	parsed, err := tok.Verify(context.Background(), revoked)
	require.NoError(t, err)
	require.NoError(t, store.RevokeToken(context.Background(), parsed.ID, parsed.ExpiresAt))

	cases := []struct {
		reason, token string
		alg           bool // the alg was read
	}{
		{"expired", r.token(t, secretKey, time.Now().Add(-time.Hour)), true},
		{"bad_signature", r.token(t, []byte("another secret, of 32 bytes or more"), time.Now().Add(time.Hour)), true},
		{"missing_token", "", false},
		{"revoked", revoked, true},
	}
	var parents []trace.SpanContext
	for _, c := range cases {
		code, parent := r.get(h, c.token)
		assert.Equal(t, http.StatusUnauthorized, code, c.reason)
		parents = append(parents, parent)
	}

	ms := r.metrics(t)
	for _, c := range cases {
		assert.Equal(t, int64(1), count(t, ms, "jwtgate.auth.requests", outcome.String("refused"), reason.String(c.reason)), c.reason)
	}
	assert.Equal(t, int64(0), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")))
	assert.Equal(t, uint64(4), histogram(t, ms, "jwtgate.auth.duration", outcome.String("refused"), cacheHit.Bool(false)).Count)
	assert.Equal(t, int64(3), count(t, ms, "jwtgate.cache.lookups", result.String("miss")), "every token read was looked up; none was sent once")
	// Only the revoked token, verified, reached the store; it answered.
	assert.Equal(t, uint64(1), histogram(t, ms, "jwtgate.store.duration", storeOp.String("is_revoked")).Count)

	spans := r.ended("jwtgate.authenticate")
	require.Len(t, spans, len(cases))
	for i, s := range spans {
		c := cases[i]
		assertChild(t, s, parents[i])
		assertTimes(t, s, r.obs.outcomes[i].Start, r.obs.outcomes[i].Duration)
		assert.Equal(t, codes.Error, s.Status().Code, c.reason)
		assert.Equal(t, c.reason, s.Status().Description)
		want := map[attribute.Key]attribute.Value{
			outcome:  attribute.StringValue("refused"),
			reason:   attribute.StringValue(c.reason),
			cacheHit: attribute.BoolValue(false),
		}
		if c.alg {
			want["jwtgate.token.alg"] = attribute.StringValue("HS256")
		}
		if c.token != "" {
			want["jwtgate.token.source"] = attribute.StringValue("header:Authorization")
		}
		assert.Equal(t, want, attrs(s), c.reason)
		assert.Empty(t, s.Events(), "no error event: its message could quote the token's claims")
	}
	stores := r.ended("jwtgate.store.is_revoked")
	require.Len(t, stores, 1)
	assertChild(t, stores[0], parents[3])
	call := r.obs.storeCalls("is_revoked")[0]
	assertTimes(t, stores[0], call.start, call.d)
	assert.Equal(t, codes.Unset, stores[0].Status().Code)
	assert.Equal(t, map[attribute.Key]attribute.Value{storeOp: attribute.StringValue("is_revoked")}, attrs(stores[0]))
}

// storeDown is a store's failure, with a type of its own: error.type names it.
type storeDown struct{}

func (storeDown) Error() string { return "store down" }

type revokerFunc func(context.Context, *jwtgate.Token) (bool, error)

func (f revokerFunc) IsRevoked(ctx context.Context, t *jwtgate.Token) (bool, error) { return f(ctx, t) }

// A store that cannot answer: 503, refused as store_unavailable, and the
// store call is a failure named by its error's type.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	errs := []error{storeDown{}, fmt.Errorf("redis: %w", context.DeadlineExceeded)}
	var calls atomic.Int32
	down := revokerFunc(func(context.Context, *jwtgate.Token) (bool, error) { return false, errs[calls.Add(1)-1] })
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, func(c *jwtgate.Config) { c.Revoker = down })})(http.HandlerFunc(ok))
	tok := r.token(t, secretKey, time.Now().Add(time.Hour))
	_, parent := r.get(h, tok)
	code, _ := r.get(h, tok)
	assert.Equal(t, http.StatusServiceUnavailable, code)

	ms := r.metrics(t)
	assert.Equal(t, int64(2), count(t, ms, "jwtgate.auth.requests", outcome.String("refused"), reason.String("store_unavailable")))
	const typ = "github.com/jwtgate/jwtgate/otel_test.storeDown"
	assert.Equal(t, uint64(1), histogram(t, ms, "jwtgate.store.duration", storeOp.String("is_revoked"), errorType.String(typ)).Count)
	assert.Equal(t, uint64(1), histogram(t, ms, "jwtgate.store.duration", storeOp.String("is_revoked"), errorType.String("timeout")).Count)
	assert.Equal(t, uint64(0), histogram(t, ms, "jwtgate.store.duration", storeOp.String("is_revoked")).Count, "no call answered")

	spans := r.ended("jwtgate.store.is_revoked")
	require.Len(t, spans, 2)
	assertChild(t, spans[0], parent)
	assertTimes(t, spans[0], r.obs.stores[0].start, r.obs.stores[0].d)
	assert.Equal(t, codes.Error, spans[0].Status().Code)
	assert.Equal(t, typ, spans[0].Status().Description, "the error's type, not its text")
	assert.Equal(t, map[attribute.Key]attribute.Value{storeOp: attribute.StringValue("is_revoked"), errorType: attribute.StringValue(typ)}, attrs(spans[0]))
	auth := r.ended("jwtgate.authenticate")
	require.Len(t, auth, 2)
	assert.Equal(t, "store_unavailable", auth[0].Status().Description)
}

// A request without a token that CredentialsOptional lets through is
// anonymous, and looks nothing up.
func TestAnonymous(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, func(c *jwtgate.Config) { c.CredentialsOptional = true })})(http.HandlerFunc(ok))
	code, _ := r.get(h, "")
	require.Equal(t, http.StatusNoContent, code)
	ms := r.metrics(t)
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.auth.requests", outcome.String("anonymous")))
	assert.Equal(t, int64(0), count(t, ms, "jwtgate.cache.lookups", result.String("miss")))
	spans := r.ended("jwtgate.authenticate")
	require.Len(t, spans, 1)
	assert.Equal(t, map[attribute.Key]attribute.Value{outcome: attribute.StringValue("anonymous"), cacheHit: attribute.BoolValue(false)}, attrs(spans[0]))
}

// A full cache evicts: each eviction the core reports is counted.
func TestCacheEvictions(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// One entry per shard (16): 40 tokens verified twice each, which takes
	// each in, must evict at least 24 times.
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, func(c *jwtgate.Config) { c.CacheSize = 1 })})(http.HandlerFunc(ok))
	for range 40 {
		tok := r.token(t, secretKey, time.Now().Add(time.Hour))
		for range 2 {
			code, _ := r.get(h, tok)
			require.Equal(t, http.StatusNoContent, code)
		}
	}
	require.GreaterOrEqual(t, r.obs.evictions, 24)
	assert.Equal(t, int64(r.obs.evictions), count(t, r.metrics(t), "jwtgate.cache.evictions"))
}

// A remote JWK Set: its fetches, a failed one, and its key count, which
// after a failure stays the last good set's.
func TestKeyFetch(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set := jwks.Handler(time.Minute, &jwtgate.Key{ID: "k1", Algorithm: "ES256", VerifyKey: &ec.PublicKey})
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		set.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	server := []attribute.KeyValue{attribute.String("server.address", u.Hostname()), attribute.Int("server.port", port)}

	ctx, parent := r.tp.Tracer("test").Start(context.Background(), "startup")
	remote, err := jwks.NewRemote(ctx, jwks.RemoteOptions{
		URL: srv.URL + "/jwks.json", AllowHTTPLoopback: true, Observer: r.obs, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, remote.Close()) })
	failing.Store(true)
	require.Error(t, remote.Refresh(ctx))
	parent.End()

	ms := r.metrics(t)
	assert.Equal(t, uint64(1), histogram(t, ms, "jwtgate.jwks.fetch.duration", server...).Count)
	failed := append(append([]attribute.KeyValue(nil), server...), errorType.String("*errors.errorString"))
	assert.Equal(t, uint64(1), histogram(t, ms, "jwtgate.jwks.fetch.duration", failed...).Count)
	keys, found := gauge(t, ms, "jwtgate.jwks.key.count", server...)
	assert.True(t, found)
	assert.Equal(t, int64(1), keys, "the last good set's, after a failure")

	spans := r.ended("jwtgate.jwks.fetch")
	require.Len(t, spans, 2)
	fetches := r.obs.fetches
	require.Len(t, fetches, 2)
	for i, s := range spans {
		assertChild(t, s, parent.SpanContext())
		assertTimes(t, s, fetches[i].Start, fetches[i].Duration)
		a := attrs(s)
		assert.Equal(t, srv.URL+"/jwks.json", a["url.full"].AsString())
		assert.Equal(t, u.Hostname(), a["server.address"].AsString())
		assert.Equal(t, int64(port), a["server.port"].AsInt64())
		assert.Equal(t, int64(1), a["jwtgate.jwks.keys"].AsInt64())
		assert.Equal(t, int64(0), a["jwtgate.jwks.keys.refused"].AsInt64())
	}
	assert.True(t, attrs(spans[0])["jwtgate.jwks.changed"].AsBool(), "the first set is new")
	assert.Equal(t, codes.Unset, spans[0].Status().Code)
	assert.Equal(t, codes.Error, spans[1].Status().Code)
	assert.Equal(t, "*errors.errorString", spans[1].Status().Description)
	assert.Equal(t, "*errors.errorString", attrs(spans[1])["error.type"].AsString())
}

// A key set that never answers well: its key count is 0.
func TestKeyFetchNeverGood(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	remote, err := jwks.NewRemote(context.Background(), jwks.RemoteOptions{
		URL: srv.URL + "/keys?tenant=t-1", AllowHTTPLoopback: true, Observer: r.obs, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, remote.Close()) })
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	keys, found := gauge(t, r.metrics(t), "jwtgate.jwks.key.count", attribute.String("server.address", u.Hostname()), attribute.Int("server.port", port))
	assert.True(t, found)
	assert.Equal(t, int64(0), keys)
	spans := r.ended("jwtgate.jwks.fetch")
	require.Len(t, spans, 1)
	assert.False(t, spans[0].Parent().IsValid(), "a fetch outside any request is a root span")
	assert.Equal(t, srv.URL+"/keys?tenant=REDACTED", attrs(spans[0])["url.full"].AsString(), "query values are redacted")
}

// The issuing side through the net/http endpoints: two logins, a refresh, a
// spent refresh token presented again, a logout, and RevokeSubject.
func TestIssuing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	store := issuing.NewMemoryStore(nil)
	key := jwtgate.HMAC(secretKey, "HS256")
	issuer, err := issuing.New(issuing.Config{Key: key, Issuer: testIssuer, Audience: []string{testAudience}, Store: store, Observer: r.obs})
	require.NoError(t, err)
	sub, password := random("sub-"), random("pw-")
	r.secret(sub, password)
	e := &issuing.Endpoints{
		Issuer:        issuer,
		Authenticator: r.auth(t, func(c *jwtgate.Config) { c.Keys, c.Revoker = key, store }),
		CheckCredentials: func(_ context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
			if l.Password != password {
				return issuing.Grant{}, issuing.ErrBadCredentials
			}
			return issuing.Grant{Subject: sub, Scope: "read"}, nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	mux := http.NewServeMux()
	mux.Handle("/login", httpjwt.LoginHandler(e))
	mux.Handle("/refresh", httpjwt.RefreshHandler(e))
	mux.Handle("/logout", httpjwt.LogoutHandler(e))

	post := func(path, body, bearer string) (int, issuing.Pair, trace.SpanContext) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		ctx, span := r.tp.Tracer("test").Start(req.Context(), "request", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req.WithContext(ctx))
		var p issuing.Pair
		if w.Code == http.StatusOK {
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			r.tokenClaims(t, p.AccessToken)
			r.tokenClaims(t, p.RefreshToken)
		}
		return w.Code, p, span.SpanContext()
	}
	login := `{"username":"u","password":"` + password + `"}`

	code, first, loginParent := post("/login", login, "")
	require.Equal(t, http.StatusOK, code)
	code, _, refreshParent := post("/refresh", `{"refresh_token":"`+first.RefreshToken+`"}`, "")
	require.Equal(t, http.StatusOK, code)
	code, _, reuseParent := post("/refresh", `{"refresh_token":"`+first.RefreshToken+`"}`, "")
	require.Equal(t, http.StatusUnauthorized, code, "a spent refresh token: invalid_grant")
	code, second, _ := post("/login", login, "")
	require.Equal(t, http.StatusOK, code)
	code, _, logoutParent := post("/logout", "", second.AccessToken)
	require.Equal(t, http.StatusNoContent, code)
	require.NoError(t, issuer.RevokeSubject(context.Background(), sub))

	ms := r.metrics(t)
	op := func(name string, kv ...attribute.KeyValue) uint64 {
		return histogram(t, ms, "jwtgate.issuing.duration", append([]attribute.KeyValue{issuingOp.String(name)}, kv...)...).Count
	}
	assert.Equal(t, uint64(2), op("login"))
	assert.Equal(t, uint64(1), op("refresh"))
	assert.Equal(t, uint64(1), op("refresh", errorType.String("refresh_reused")))
	assert.Equal(t, uint64(1), op("logout"))
	assert.Equal(t, uint64(1), op("revoke_subject"))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.issuing.refresh.reuses"))
	store1 := func(name string, kv ...attribute.KeyValue) uint64 {
		return histogram(t, ms, "jwtgate.store.duration", append([]attribute.KeyValue{storeOp.String(name)}, kv...)...).Count
	}
	assert.Equal(t, uint64(2), store1("start_family"))
	assert.Equal(t, uint64(2), store1("rotate_family"), "a reuse is the store's answer, not its failure")
	assert.Equal(t, uint64(1), store1("revoke_token"))
	assert.Equal(t, uint64(1), store1("revoke_family"))
	assert.Equal(t, uint64(1), store1("revoke_subject"))
	assert.Equal(t, uint64(1), store1("is_revoked"), "the logout's access token, checked by the Authenticator")
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")), "the logout's authentication")

	issued := r.obs.issued
	require.Len(t, issued, 6)
	names := []string{"login", "refresh", "refresh", "login", "logout", "revoke_subject"}
	parents := []trace.SpanContext{loginParent, refreshParent, reuseParent, {}, logoutParent, {}}
	var spans []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if strings.HasPrefix(s.Name(), "jwtgate.issuing.") {
			spans = append(spans, s)
		}
	}
	require.Len(t, spans, 6)
	for i, s := range spans {
		assert.Equal(t, "jwtgate.issuing."+names[i], s.Name())
		assert.Equal(t, names[i], issued[i].op)
		assertTimes(t, s, issued[i].start, issued[i].d)
		if parents[i].IsValid() {
			assertChild(t, s, parents[i])
		}
		want := map[attribute.Key]attribute.Value{issuingOp: attribute.StringValue(names[i])}
		if i == 2 {
			want[errorType] = attribute.StringValue("refresh_reused")
			assert.Equal(t, codes.Error, s.Status().Code)
			assert.Equal(t, "refresh_reused", s.Status().Description)
		} else {
			assert.Equal(t, codes.Unset, s.Status().Code, names[i])
		}
		assert.Equal(t, want, attrs(s), names[i])
	}
	rotations := r.ended("jwtgate.store.rotate_family")
	require.Len(t, rotations, 2)
	assertChild(t, rotations[1], reuseParent)
	assert.Equal(t, codes.Unset, rotations[1].Status().Code)
	calls := r.obs.storeCalls("rotate_family")
	assert.ErrorIs(t, calls[1].err, issuing.ErrRefreshReused)
	assertTimes(t, rotations[1], calls[1].start, calls[1].d)
}

// A request whose span is not sampled gets no jwtgate span, but is counted.
func TestNotSampled(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, nil)})(http.HandlerFunc(ok))
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, Remote: true})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(trace.ContextWithRemoteSpanContext(req.Context(), parent)))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Empty(t, r.spans.Ended())
	assert.Equal(t, int64(1), count(t, r.metrics(t), "jwtgate.auth.requests", outcome.String("refused"), reason.String("missing_token")))
}

// WithAttributes adds to every measurement and span; the Observer's own
// attributes win over an extra one of the same key.
func TestWithAttributes(t *testing.T) {
	t.Parallel()
	service := attribute.String("jwtgate.name", "api")
	r := newRig(t, jwtgateotel.WithAttributes(service, outcome.String("spoofed")))
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, nil)})(http.HandlerFunc(ok))
	r.get(h, "")
	r.obs.CacheEvicted(context.Background(), &jwtgate.Eviction{})
	ms := r.metrics(t)
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.auth.requests", service, outcome.String("refused"), reason.String("missing_token")))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.cache.evictions", service, outcome.String("spoofed")), "an extra attribute the instrument has no own of")
	spans := r.ended("jwtgate.authenticate")
	require.Len(t, spans, 1)
	assert.Equal(t, "api", attrs(spans[0])["jwtgate.name"].AsString())
	assert.Equal(t, "refused", attrs(spans[0])[outcome].AsString())
}

// New without options uses the global providers.
func TestGlobalProviders(t *testing.T) {
	mp, tp := otel.GetMeterProvider(), otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetMeterProvider(mp); otel.SetTracerProvider(tp) })
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	obs, err := jwtgateotel.New()
	require.NoError(t, err)
	obs.Issued(context.Background(), &issuing.Issue{Op: "login", Start: time.Now(), Duration: time.Millisecond})
	r := &rig{reader: reader}
	assert.Equal(t, uint64(1), histogram(t, r.metrics(t), "jwtgate.issuing.duration", issuingOp.String("login")).Count)
	require.Len(t, spans.Ended(), 1)
	assert.Equal(t, "jwtgate.issuing.login", spans.Ended()[0].Name())
}

// However many reasons and error types come, the series stay bounded:
// past a few hundred, they share "_OTHER".
func TestBoundedSeries(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, now := context.Background(), time.Now()
	for i := range 1000 {
		r.obs.Observer.Authenticated(ctx, &jwtgate.Outcome{Start: now, Err: errors.New("x"), Reason: "reason-" + strconv.Itoa(i)})
		r.obs.Observer.Issued(ctx, &issuing.Issue{Op: "login", Reason: "reason-" + strconv.Itoa(i), Start: now, Duration: 0, Err: errors.New("x")})
	}
	ms := r.metrics(t)
	requests := ms["jwtgate.auth.requests"].Data.(metricdata.Sum[int64])
	assert.Less(t, len(requests.DataPoints), 300)
	assert.Positive(t, count(t, ms, "jwtgate.auth.requests", outcome.String("refused"), reason.String("_OTHER")))
	issued := ms["jwtgate.issuing.duration"].Data.(metricdata.Histogram[float64])
	assert.Less(t, len(issued.DataPoints), 300)
	assert.Positive(t, histogram(t, ms, "jwtgate.issuing.duration", issuingOp.String("login"), errorType.String("_OTHER")).Count)
}

// No recorded value, of a metric or a span, holds a token, a sub or a jti:
// every test checks it of what it recorded when it ends (newRig); here all
// the kinds of events at once, and the check itself, which must find a sub
// where one is.
func TestNoTokenSubOrJTIInAnyAttribute(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	store := issuing.NewMemoryStore(nil)
	auth := r.auth(t, func(c *jwtgate.Config) { c.Revoker = store })
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(ok))
	good := r.token(t, secretKey, time.Now().Add(time.Hour))
	for range 3 {
		r.get(h, good)
	}
	r.get(h, r.token(t, secretKey, time.Now().Add(-time.Hour)))
	r.get(h, r.token(t, []byte("another secret, of 32 bytes or more"), time.Now().Add(time.Hour)))

	issuer, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(secretKey, "HS256"), Issuer: testIssuer, Audience: []string{testAudience}, Store: store, Observer: r.obs})
	require.NoError(t, err)
	ctx := context.Background()
	sub := random("sub-")
	r.secret(sub)
	pair, err := issuer.Login(ctx, issuing.Grant{Subject: sub})
	require.NoError(t, err)
	r.tokenClaims(t, pair.AccessToken)
	r.tokenClaims(t, pair.RefreshToken)
	next, err := issuer.Refresh(ctx, pair.RefreshToken)
	require.NoError(t, err)
	r.tokenClaims(t, next.AccessToken)
	r.tokenClaims(t, next.RefreshToken)
	_, err = issuer.Refresh(ctx, pair.RefreshToken)
	require.ErrorIs(t, err, issuing.ErrRefreshReused)
	code, _ := r.get(h, next.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, code, "revoked with its family")
	require.NoError(t, issuer.RevokeSubject(ctx, sub))

	assert.Greater(t, len(r.values(t)), 100, "values scanned")
	assert.Empty(t, r.leaks(t))

	// The check finds a secret wherever it is: an extra attribute of every
	// measurement and span.
	bad := newRig(t, jwtgateotel.WithAttributes(attribute.String("user", "the sub is "+sub)))
	bad.obs.CacheEvicted(ctx, &jwtgate.Eviction{})
	bad.obs.Issued(ctx, &issuing.Issue{Op: "login", Start: time.Now(), Duration: time.Millisecond})
	bad.secret(sub)
	assert.Len(t, bad.leaks(t), 3, "the counter's point, the histogram's, the span's")
	bad.mu.Lock()
	bad.secrets = nil // found: its own end-of-test check has nothing left to find
	bad.mu.Unlock()
}

// A no-op TracerProvider: metrics alone, and no span reaches any provider.
func TestNoopTracer(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	reader := sdkmetric.NewManualReader()
	obs, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		jwtgateotel.WithTracerProvider(noop.NewTracerProvider()))
	require.NoError(t, err)
	a, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secretKey, "HS256"), Issuer: []string{testIssuer}, Audience: []string{testAudience}, Observer: obs})
	require.NoError(t, err)
	h := httpjwt.New(httpjwt.Config{Authenticator: a})(http.HandlerFunc(ok))
	code, _ := r.get(h, r.token(t, secretKey, time.Now().Add(time.Hour)))
	require.Equal(t, http.StatusNoContent, code)
	obs.StoreCall(context.Background(), &jwtgate.StoreCall{Op: "is_revoked", Start: time.Now(), Duration: time.Millisecond})
	obs.KeysFetched(context.Background(), &jwks.KeyFetch{URL: "https://idp.example/keys", Start: time.Now(), Keys: 1})
	obs.Issued(context.Background(), &issuing.Issue{Op: "login", Start: time.Now(), Duration: time.Millisecond})

	noSpans := (&rig{reader: reader}).metrics(t)
	assert.Equal(t, int64(1), count(t, noSpans, "jwtgate.auth.requests", outcome.String("accepted")))
	assert.Equal(t, uint64(1), histogram(t, noSpans, "jwtgate.store.duration", storeOp.String("is_revoked")).Count)
	v, _ := gauge(t, noSpans, "jwtgate.jwks.key.count", attribute.String("server.address", "idp.example"), attribute.Int("server.port", 443))
	assert.Equal(t, int64(1), v)
	assert.Len(t, r.spans.Ended(), 1, "the test's own request span alone")
}

// A key set URL's credentials and query values never reach an attribute;
// its host and port do.
func TestKeyFetchURLRedacted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.secret("s3cr3t-pass", "k3y-value")
	start := time.Now()
	r.obs.KeysFetched(context.Background(), &jwks.KeyFetch{
		URL: "https://user:s3cr3t-pass@idp.example:8443/tenant/keys?key=k3y-value#frag", Start: start, Duration: time.Millisecond, Keys: 2,
	})
	keys, found := gauge(t, r.metrics(t), "jwtgate.jwks.key.count", attribute.String("server.address", "idp.example"), attribute.Int("server.port", 8443))
	assert.True(t, found)
	assert.Equal(t, int64(2), keys)
	spans := r.ended("jwtgate.jwks.fetch")
	require.Len(t, spans, 1)
	assertTimes(t, spans[0], start, time.Millisecond)
	assert.Equal(t, "https://REDACTED:REDACTED@idp.example:8443/tenant/keys?key=REDACTED", attrs(spans[0])["url.full"].AsString())
}

// The duration histograms have the documented buckets, from 1 µs to 10 s.
func TestDurationBuckets(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.obs.StoreCall(context.Background(), &jwtgate.StoreCall{Op: "is_revoked", Start: time.Now(), Duration: 3 * time.Microsecond})
	dp := histogram(t, r.metrics(t), "jwtgate.store.duration", storeOp.String("is_revoked"))
	assert.Equal(t, jwtgateotel.DurationBuckets(), dp.Bounds)
	assert.Equal(t, 1e-6, dp.Bounds[0])
	assert.Equal(t, 10.0, dp.Bounds[len(dp.Bounds)-1])
	assert.Equal(t, uint64(1), dp.BucketCounts[2], "3 µs: in (2.5 µs, 5 µs]")
	b := jwtgateotel.DurationBuckets()
	b[0] = 42
	assert.Equal(t, 1e-6, jwtgateotel.DurationBuckets()[0], "a copy")
}

// Every scope check of RequireScopes is counted, granted or refused with
// its reason, apart from the authentication before it.
func TestScopeChecks(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	cfg := httpjwt.Config{Authenticator: r.auth(t, func(c *jwtgate.Config) { c.CredentialsOptional = true })}
	read := httpjwt.New(cfg)(httpjwt.RequireScopes(cfg, "read")(http.HandlerFunc(ok)))
	admin := httpjwt.New(cfg)(httpjwt.RequireScopes(cfg, "admin")(http.HandlerFunc(ok)))
	sub, jti := random("sub-"), random("jti-")
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": testIssuer, "sub": sub, "aud": testAudience, "jti": jti, "scope": "read",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secretKey)
	require.NoError(t, err)
	r.secret(tok, sub, jti)
	code, _ := r.get(read, tok)
	require.Equal(t, http.StatusNoContent, code)
	code, _ = r.get(admin, tok)
	require.Equal(t, http.StatusForbidden, code)
	code, _ = r.get(admin, "")
	require.Equal(t, http.StatusUnauthorized, code)

	ms := r.metrics(t)
	authz := attribute.Key("jwtgate.authz.outcome")
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.authz.requests", authz.String("granted")))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.authz.requests", authz.String("refused"), reason.String("insufficient_scope")))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.authz.requests", authz.String("refused"), reason.String("missing_token")))
	assert.Equal(t, int64(2), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")), "the authentications, counted apart")
	r.assertNoSecrets(t)
}

// Without a cache nothing is looked up in one: no lookup is counted.
func TestNoCacheNoLookups(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	h := httpjwt.New(httpjwt.Config{Authenticator: r.auth(t, func(c *jwtgate.Config) { c.CacheSize = -1 })})(http.HandlerFunc(ok))
	tok := r.token(t, secretKey, time.Now().Add(time.Hour))
	for range 3 {
		code, _ := r.get(h, tok)
		require.Equal(t, http.StatusNoContent, code)
	}
	ms := r.metrics(t)
	assert.Equal(t, int64(3), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")))
	assert.Equal(t, int64(0), count(t, ms, "jwtgate.cache.lookups", result.String("miss")))
	assert.Equal(t, int64(0), count(t, ms, "jwtgate.cache.lookups", result.String("hit")))
}

// The counters of every request (jwtgate.auth.requests,
// jwtgate.cache.lookups, jwtgate.authz.requests) are counted in the process
// and observed at collection: they must read as synchronous counters would.
// Two Observers on one MeterProvider with the same attributes add into one
// series; told apart by WithAttributes, into two.
func TestTalliesAcrossObservers(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { assert.NoError(t, mp.Shutdown(context.Background())) })
	newObs := func(opts ...jwtgateotel.Option) *jwtgateotel.Observer {
		obs, err := jwtgateotel.New(append([]jwtgateotel.Option{jwtgateotel.WithMeterProvider(mp), jwtgateotel.WithTracerProvider(noop.NewTracerProvider())}, opts...)...)
		require.NoError(t, err)
		return obs
	}
	a, b, c := newObs(), newObs(), newObs(jwtgateotel.WithAttributes(attribute.String("api", "c")))
	ctx, now := context.Background(), time.Now()
	accept := &jwtgate.Outcome{Start: now, Token: &jwtgate.Token{}, Cached: true, CacheLookup: true}
	for _, o := range []*jwtgateotel.Observer{a, a, b, c} {
		o.Authenticated(ctx, accept)
	}
	b.Authorized(ctx, &jwtgate.Outcome{Start: now})
	r := &rig{reader: reader}
	ms := r.metrics(t)
	assert.Equal(t, int64(3), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted"), attribute.String("api", "c")))
	assert.Equal(t, int64(3), count(t, ms, "jwtgate.cache.lookups", result.String("hit")))
	assert.Equal(t, int64(0), count(t, ms, "jwtgate.cache.lookups", result.String("miss")), "no miss: no series")
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.authz.requests", attribute.Key("jwtgate.authz.outcome").String("granted")))
	// Collected again, the counts are cumulative, as a counter's.
	a.Authenticated(ctx, accept)
	ms = r.metrics(t)
	assert.Equal(t, int64(4), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted")))
	requests := ms["jwtgate.auth.requests"].Data.(metricdata.Sum[int64])
	assert.Equal(t, metricdata.CumulativeTemporality, requests.Temporality)
	assert.Len(t, requests.DataPoints, 2, "a series for each set that counted, none for the others")
}

// A reader that asks for deltas gets, at each collection, what was counted
// since the last one; counting while the metrics are collected loses
// nothing (and, under -race, races with nothing).
func TestTalliesDeltaAndConcurrent(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
		return metricdata.DeltaTemporality
	}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { assert.NoError(t, mp.Shutdown(context.Background())) })
	obs, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(mp), jwtgateotel.WithTracerProvider(noop.NewTracerProvider()))
	require.NoError(t, err)
	r := &rig{reader: reader}
	ctx, now := context.Background(), time.Now()
	refuse := func(i int) *jwtgate.Outcome {
		return &jwtgate.Outcome{Start: now, Err: errors.New("x"), Reason: "reason-" + strconv.Itoa(i%500)}
	}

	const workers, each = 4, 500
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				obs.Authenticated(ctx, refuse(w*each+i))
			}
		}()
	}
	var total int64
	sum := func(ms map[string]metricdata.Metrics) (n int64) {
		m, found := ms["jwtgate.auth.requests"]
		if !found {
			return 0
		}
		data := m.Data.(metricdata.Sum[int64])
		assert.Equal(t, metricdata.DeltaTemporality, data.Temporality)
		for _, dp := range data.DataPoints {
			n += dp.Value
		}
		return n
	}
	for finished := 0; finished < workers; {
		select {
		case <-done:
			finished++
		default:
			total += sum(r.metrics(t))
		}
	}
	total += sum(r.metrics(t))
	assert.Equal(t, int64(workers*each), total, "every refusal counted once across the collections")
	assert.Zero(t, sum(r.metrics(t)), "nothing since the last collection")
	obs.Authenticated(ctx, refuse(1))
	assert.Equal(t, int64(1), sum(r.metrics(t)))
}

// An Observer built on the global MeterProvider before the application sets
// one counts into the one set later, as OpenTelemetry's global delegation
// promises of instruments. The global provider delegates once per process,
// so the test runs itself in a process of its own.
func TestTalliesGlobalProviderSetLater(t *testing.T) {
	if os.Getenv("JWTGATE_OTEL_FRESH_PROCESS") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTalliesGlobalProviderSetLater$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "JWTGATE_OTEL_FRESH_PROCESS=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "--- PASS: TestTalliesGlobalProviderSetLater")
		return
	}
	obs, err := jwtgateotel.New(jwtgateotel.WithTracerProvider(noop.NewTracerProvider()))
	require.NoError(t, err)
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { assert.NoError(t, sdk.Shutdown(context.Background())) })
	otel.SetMeterProvider(sdk)
	obs.Authenticated(context.Background(), &jwtgate.Outcome{Start: time.Now(), Token: &jwtgate.Token{}})
	r := &rig{reader: reader}
	assert.Equal(t, int64(1), count(t, r.metrics(t), "jwtgate.auth.requests", outcome.String("accepted")))
}

// A span that records nothing (not sampled; or the global TracerProvider
// with no SDK behind it) costs what starting it costs, four allocations
// (the start options, the span, the context holding it), and is ended
// without the end-time option, which it would not keep. Metrics alone
// allocate nothing here.
func TestUnrecordedSpanAllocations(t *testing.T) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() {
		assert.NoError(t, mp.Shutdown(context.Background()))
		assert.NoError(t, never.Shutdown(context.Background()))
	})
	metricsOnly, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(mp), jwtgateotel.WithTracerProvider(noop.NewTracerProvider()))
	require.NoError(t, err)
	unsampled, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(mp), jwtgateotel.WithTracerProvider(never))
	require.NoError(t, err)
	ctx := context.Background()
	accepted := &jwtgate.Outcome{Start: time.Now(), Token: &jwtgate.Token{}, Cached: true, CacheLookup: true}
	check := &jwtgate.StoreCall{Op: "is_revoked", Start: time.Now()}
	assert.Zero(t, testing.AllocsPerRun(200, func() { metricsOnly.Authenticated(ctx, accepted) }))
	assert.Zero(t, testing.AllocsPerRun(200, func() { metricsOnly.StoreCall(ctx, check) }))
	assert.LessOrEqual(t, testing.AllocsPerRun(200, func() { unsampled.Authenticated(ctx, accepted) }), 4.0)
	assert.LessOrEqual(t, testing.AllocsPerRun(200, func() { unsampled.StoreCall(ctx, check) }), 4.0)
}

// An Observer the application drops is not kept alive by the MeterProvider
// its tallies' callback is registered with: once it is collected, the
// callback is unregistered and its series are no longer reported, while a
// live Observer's still are.
func TestDroppedObserverUnregisters(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { assert.NoError(t, sdk.Shutdown(context.Background())) })
	var unregistered atomic.Int32
	mp := countingProvider{MeterProvider: sdk, unregistered: &unregistered}
	newObs := func(api string) *jwtgateotel.Observer {
		obs, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(mp), jwtgateotel.WithTracerProvider(noop.NewTracerProvider()),
			jwtgateotel.WithAttributes(attribute.String("api", api)))
		require.NoError(t, err)
		obs.Authenticated(context.Background(), &jwtgate.Outcome{Start: time.Now(), Token: &jwtgate.Token{}})
		return obs
	}
	kept := newObs("kept")
	func() { _ = newObs("dropped") }()
	r := &rig{reader: reader}
	for i := 0; i < 1000 && unregistered.Load() == 0; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	assert.Equal(t, int32(1), unregistered.Load(), "the dropped Observer's callback, and only it, is unregistered")
	ms := r.metrics(t)
	assert.Zero(t, count(t, ms, "jwtgate.auth.requests", outcome.String("accepted"), attribute.String("api", "dropped")))
	assert.Equal(t, int64(1), count(t, ms, "jwtgate.auth.requests", outcome.String("accepted"), attribute.String("api", "kept")))
	runtime.KeepAlive(kept)
}

// countingProvider counts the callback registrations its Meters' users
// unregister.
type countingProvider struct {
	metric.MeterProvider
	unregistered *atomic.Int32
}

func (p countingProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return countingMeter{Meter: p.MeterProvider.Meter(name, opts...), unregistered: p.unregistered}
}

type countingMeter struct {
	metric.Meter
	unregistered *atomic.Int32
}

func (m countingMeter) RegisterCallback(f metric.Callback, insts ...metric.Observable) (metric.Registration, error) {
	reg, err := m.Meter.RegisterCallback(f, insts...)
	if reg == nil {
		return nil, err
	}
	return countingRegistration{Registration: reg, unregistered: m.unregistered}, err
}

type countingRegistration struct {
	metric.Registration
	unregistered *atomic.Int32
}

func (r countingRegistration) Unregister() error {
	r.unregistered.Add(1)
	return r.Registration.Unregister()
}
