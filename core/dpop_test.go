package jwtgate_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/extractors"
)

// The RFC 9449 examples, as the RFC prints them.
const (
	// §4.1, Figure 2: a proof for POST https://server.example.com/token.
	rfc9449Proof    = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfc9449ProofIat = 1562262616
	// §6.1: the thumbprint of that proof's key.
	rfc9449JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

// proofKey is a client's DPoP key. Its proofs are built here with
// crypto/ecdsa directly, not with jwtgate's or golang-jwt's signing code.
type proofKey struct {
	priv *ecdsa.PrivateKey
	jwk  string // the public JWK
	jkt  string
}

func newProofKey(t testing.TB) *proofKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	b := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.FillBytes(make([]byte, 32))) }
	x, y := b(priv.X), b(priv.Y)
	canonical := `{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`
	h := sha256.Sum256([]byte(canonical))
	return &proofKey{priv: priv, jwk: canonical, jkt: base64.RawURLEncoding.EncodeToString(h[:])}
}

// proof signs an ES256 proof of the raw header and claims JSON.
func (k *proofKey) proof(t testing.TB, header, claims string) string {
	t.Helper()
	si := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	h := sha256.Sum256([]byte(si))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, h[:])
	require.NoError(t, err)
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return si + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// standard is a correct proof for method and url, now, for accessToken.
func (k *proofKey) standard(t testing.TB, method, url string, iat time.Time, accessToken string, extra ...string) string {
	claims := `{"jti":"` + strconv.FormatInt(time.Now().UnixNano(), 36) + `","htm":"` + method + `","htu":"` + url + `","iat":` + strconv.FormatInt(iat.Unix(), 10)
	if accessToken != "" {
		h := sha256.Sum256([]byte(accessToken))
		claims += `,"ath":"` + base64.RawURLEncoding.EncodeToString(h[:]) + `"`
	}
	for _, e := range extra {
		claims += "," + e
	}
	return k.proof(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+k.jwk+`}`, claims+"}")
}

func dpopAuth(t testing.TB, modify func(*dpop.Config)) *jwtgate.Authenticator {
	d := &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return testNow })}
	if modify != nil {
		modify(d)
	}
	return testAuth(t, func(c *jwtgate.Config) { c.DPoP = d })
}

func dpopRequest(method, target, token, proof string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "DPoP "+token)
	if proof != "" {
		r.Header.Set("DPoP", proof)
	}
	return r
}

// TestRFC9449Proof: the RFC's example proof is accepted at its iat for its
// request, with the RFC's thumbprint; a second time it is a replay.
func TestRFC9449Proof(t *testing.T) {
	t.Parallel()
	at := time.Unix(rfc9449ProofIat, 0)
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Now = func() time.Time { return at }
		c.DPoP = &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return at })}
	})
	r := httptest.NewRequest(http.MethodPost, "https://server.example.com/token", nil)
	r.Header.Set("DPoP", rfc9449Proof)
	jkt, err := a.CheckDPoPProof(context.Background(), extractors.FromHTTP(r), "", "")
	require.NoError(t, err)
	assert.Equal(t, rfc9449JKT, jkt)
	_, err = a.CheckDPoPProof(context.Background(), extractors.FromHTTP(r), "", "")
	assert.ErrorIs(t, err, dpop.ErrInvalidProof, "replayed")

	r2 := httptest.NewRequest(http.MethodPost, "https://server.example.com/other", nil)
	r2.Header.Set("DPoP", rfc9449Proof)
	_, err = a.CheckDPoPProof(context.Background(), extractors.FromHTTP(r2), "", "")
	assert.ErrorIs(t, err, dpop.ErrInvalidProof, "another URL")
}

// TestDPoPRequests: a bound token with a proof of its key is accepted; each
// of RFC 9449 §4.3's checks, broken alone, refuses it.
func TestDPoPRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, other := newProofKey(t), newProofKey(t)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	unbound := mint(testSecret, goodHeader, claimsJSON(""))
	url := "http://example.com/api/me"
	good := func() string { return k.standard(t, "GET", url, testNow, bound) }
	for _, tc := range []struct {
		name   string
		req    *http.Request
		kind   error
		reason string
	}{
		{"valid", dpopRequest("GET", url, bound, good()), nil, ""},
		{"htu with a query and another case", dpopRequest("GET", url+"?q=1", bound, k.standard(t, "GET", "HTTP://EXAMPLE.COM:80/api/me?x=2#f", testNow, bound)), nil, ""},
		{"no proof", dpopRequest("GET", url, bound, ""), dpop.ErrInvalidProof, "dpop_proof"},
		{"another method", dpopRequest("POST", url, bound, good()), dpop.ErrInvalidProof, "dpop_proof"},
		{"another URL", dpopRequest("GET", "http://example.com/api/admin", bound, good()), dpop.ErrInvalidProof, "dpop_proof"},
		{"another key", dpopRequest("GET", url, bound, other.standard(t, "GET", url, testNow, bound)), dpop.ErrInvalidProof, "dpop_proof"},
		{"wrong ath", dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, unbound)), dpop.ErrInvalidProof, "dpop_proof"},
		{"no ath", dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, "")), dpop.ErrInvalidProof, "dpop_proof"},
		{"iat too old", dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow.Add(-61*time.Second), bound)), dpop.ErrInvalidProof, "dpop_proof"},
		{"iat ahead", dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow.Add(61*time.Second), bound)), dpop.ErrInvalidProof, "dpop_proof"},
		{"typ JWT", dpopRequest("GET", url, bound, k.proof(t, `{"typ":"JWT","alg":"ES256","jwk":`+k.jwk+`}`, `{"jti":"1","htm":"GET","htu":"`+url+`","iat":1795867200}`)), dpop.ErrInvalidProof, "dpop_proof"},
		{"private jwk", dpopRequest("GET", url, bound, k.proof(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+strings.Replace(k.jwk, `"kty":"EC"`, `"kty":"EC","d":"AAAA"`, 1)+`}`, `{"jti":"1","htm":"GET","htu":"`+url+`","iat":1795867200}`)), dpop.ErrInvalidProof, "dpop_proof"},
		{"forged signature", dpopRequest("GET", url, bound, good()[:len(good())-4]+"AAAA"), dpop.ErrInvalidProof, "dpop_proof"},
		{"a bound token as Bearer", bearerRequest(bound), jwtgate.ErrInvalidToken, "dpop_bound"},
		{"an unbound token with DPoP", dpopRequest("GET", url, unbound, k.standard(t, "GET", url, testNow, unbound)), jwtgate.ErrInvalidToken, "dpop_not_bound"},
		{"two proofs", func() *http.Request {
			r := dpopRequest("GET", url, bound, good())
			r.Header.Add("DPoP", good())
			return r
		}(), dpop.ErrInvalidProof, "dpop_proof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := dpopAuth(t, nil)
			tok, err := a.Authenticate(ctx, extractors.FromHTTP(tc.req))
			if tc.kind == nil {
				require.NoError(t, err)
				assert.Equal(t, k.jkt, tok.JKT)
				return
			}
			require.ErrorIs(t, err, tc.kind)
			assert.Equal(t, tc.reason, jwtgate.Reason(err))
			res := a.Response(err)
			assert.Equal(t, http.StatusUnauthorized, res.Status)
			assert.Contains(t, res.WWWAuthenticate, `DPoP realm="jwtgate", algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519"`)
		})
	}
}

// TestDPoPReplay: a proof is used once, whatever the request's order; the
// replay store failing refuses with 503.
func TestDPoPReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	a := dpopAuth(t, nil)
	proof := k.standard(t, "GET", "http://example.com/x", testNow, bound)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", "http://example.com/x", bound, proof))); err == nil {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, accepted, "one of eight concurrent uses of one proof")

	down := dpopAuth(t, func(d *dpop.Config) { d.Replay = failingReplay{} })
	_, err := down.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", "http://example.com/x", bound, k.standard(t, "GET", "http://example.com/x", testNow, bound))))
	assert.ErrorIs(t, err, jwtgate.ErrUnavailable)
	assert.Equal(t, http.StatusServiceUnavailable, down.Response(err).Status)
}

type failingReplay struct{}

func (failingReplay) Remember(context.Context, string, time.Time, time.Time) (bool, error) {
	return false, errors.New("replay store down")
}

// TestDPoPModesAndChallenges: the challenges of each mode, with the error
// in the scheme the request used (RFC 9449 §7.1, §7.2).
func TestDPoPModesAndChallenges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	unbound := mint(testSecret, goodHeader, claimsJSON(""))
	allowed := dpopAuth(t, func(d *dpop.Config) { d.Algorithms = []string{"ES256"} })
	required := dpopAuth(t, func(d *dpop.Config) { d.Algorithms = []string{"ES256"}; d.Mode = dpop.Required })

	_, err := allowed.Authenticate(ctx, extractors.FromHTTP(httptest.NewRequest("GET", "/", nil)))
	assert.Equal(t, `Bearer realm="jwtgate", DPoP realm="jwtgate", algs="ES256"`, allowed.Response(err).WWWAuthenticate, "no token, both accepted")
	tok, err := allowed.Authenticate(ctx, bearer(unbound))
	require.NoError(t, err, "an unbound Bearer token while DPoP is allowed")
	assert.Empty(t, tok.JKT)

	_, err = required.Authenticate(ctx, extractors.FromHTTP(httptest.NewRequest("GET", "/", nil)))
	assert.Equal(t, `DPoP realm="jwtgate", algs="ES256"`, required.Response(err).WWWAuthenticate, "no token, DPoP only")
	_, err = required.Authenticate(ctx, bearer(unbound))
	assert.ErrorIs(t, err, dpop.ErrRequired)
	assert.Equal(t, `DPoP realm="jwtgate", algs="ES256", error="invalid_token", error_description="The access token must be presented with DPoP"`, required.Response(err).WWWAuthenticate)

	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	_, err = allowed.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", "http://example.com/x", bound, "")))
	assert.Equal(t, `Bearer realm="jwtgate", DPoP realm="jwtgate", algs="ES256", error="invalid_dpop_proof", error_description="The DPoP proof is invalid"`, allowed.Response(err).WWWAuthenticate)

	// A route asks for what its Authenticator does not: per-route modes.
	tok, err = required.AuthenticateWith(ctx, bearer(unbound), jwtgate.Policy{DPoP: dpop.Allowed})
	require.NoError(t, err)
	assert.NotNil(t, tok)
	_, err = allowed.AuthenticateWith(ctx, bearer(unbound), jwtgate.Policy{DPoP: dpop.Required})
	assert.ErrorIs(t, err, dpop.ErrRequired)
	plain := testAuth(t, nil)
	assert.Error(t, plain.CheckPolicy(jwtgate.Policy{DPoP: dpop.Required}), "DPoP on a route of an Authenticator without it")
	tok, err = plain.AuthenticateWith(ctx, extractors.FromHTTP(httptest.NewRequest("GET", "/", nil)), jwtgate.Policy{CredentialsOptional: true})
	require.NoError(t, err, "optional credentials on one route")
	assert.Nil(t, tok)
	_, err = plain.Authenticate(ctx, bearer(bound))
	assert.ErrorIs(t, err, dpop.ErrTokenBound, "DPoP off: a bound token is still refused")
}

// TestDPoPNonces: with Nonces, a proof without the current nonce is
// answered use_dpop_nonce with one; with it, accepted, and the answer
// carries the nonce for the next proof.
func TestDPoPNonces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testNow
	nonces, err := dpop.NewNonces(testSecret, time.Minute, func() time.Time { return clock })
	require.NoError(t, err)
	a := dpopAuth(t, func(d *dpop.Config) { d.Nonces = nonces })
	k := newProofKey(t)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	url := "http://example.com/x"
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, bound))))
	require.ErrorIs(t, err, dpop.ErrUseNonce)
	res := a.Response(err)
	assert.Equal(t, http.StatusUnauthorized, res.Status)
	assert.Equal(t, "use_dpop_nonce", res.Code)
	require.NotEmpty(t, res.DPoPNonce)
	w := httptest.NewRecorder()
	a.WriteError(w, err)
	assert.Equal(t, res.DPoPNonce, w.Header().Get("DPoP-Nonce"))

	tok, err := a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, bound, `"nonce":"`+res.DPoPNonce+`"`))))
	require.NoError(t, err)
	h := http.Header{}
	a.AcceptedHeaders(tok, h)
	assert.Equal(t, nonces.Nonce(), h.Get("DPoP-Nonce"))

	clock = clock.Add(2 * time.Minute) // two periods later: stale
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, bound, `"nonce":"`+res.DPoPNonce+`"`))))
	assert.ErrorIs(t, err, dpop.ErrUseNonce)
}

// TestDPoPConfig: every mistake at once.
func TestDPoPConfig(t *testing.T) {
	t.Parallel()
	_, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(testSecret, "HS256"), SkipIssuerCheck: true, SkipAudienceCheck: true,
		DPoP: &dpop.Config{Algorithms: []string{"HS256", "none"}, Window: time.Hour, PublicURL: "https://api.example.com/v1"}})
	require.Error(t, err)
	for _, want := range []string{`"HS256" is not an asymmetric`, `"none" is not an asymmetric`, "Window must be", "Replay is required", "is not an origin"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = dpop.NewNonces([]byte("short"), time.Minute, nil)
	assert.Error(t, err)
}

func bearerRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

var _ = json.Valid

// TestPolicyMisconfigured: a route asking for DPoP of an Authenticator
// without Config.DPoP is refused by CheckPolicy; AuthenticateWith, given it
// anyway, answers 500 and never lets the request through, and says why
// once at Error.
func TestPolicyMisconfigured(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	})
	for _, p := range []jwtgate.Policy{{DPoP: dpop.Allowed}, {DPoP: dpop.Required}, {DPoP: 9}} {
		assert.Error(t, a.CheckPolicy(p), "%+v", p)
	}
	assert.NoError(t, a.CheckPolicy(jwtgate.Policy{DPoP: dpop.Off, CredentialsOptional: true}))
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	for range 3 {
		_, err := a.AuthenticateWith(context.Background(), extractors.FromHTTP(bearerRequest(tok)), jwtgate.Policy{DPoP: dpop.Required})
		require.ErrorIs(t, err, jwtgate.ErrMisconfigured)
		res := a.Response(err)
		assert.Equal(t, http.StatusInternalServerError, res.Status)
		assert.Empty(t, res.WWWAuthenticate, "no challenge names a DPoP the server cannot check")
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "level=ERROR"), "logged once: %s", logs.String())
	assert.Contains(t, logs.String(), "Config.DPoP is not set")
	assert.Equal(t, dpop.Off, a.DPoPMode())
	assert.Empty(t, a.DPoPNonce())
}

// TestAuthorizeDPoPWiring: a scope guard without the authenticating
// middleware, sent a DPoP request, is the wiring mistake it is (500), not
// "no token" (401).
func TestAuthorizeDPoPWiring(t *testing.T) {
	t.Parallel()
	k := newProofKey(t)
	a := dpopAuth(t, nil)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	url := "http://example.com/api/me"
	err := a.Authorize(context.Background(), extractors.FromHTTP(dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, bound))), nil, "read")
	require.ErrorIs(t, err, jwtgate.ErrMisconfigured)
	assert.Equal(t, dpop.Allowed, a.DPoPMode())
}

// syncWriter is an io.Writer safe for the logger's concurrent use.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestMemoryReplayStoreSuite: the in-memory store keeps the replay-store
// contract (jwtgatetest.RunReplayStore), its until inclusive.
func TestMemoryReplayStoreSuite(t *testing.T) {
	t.Parallel()
	jwtgatetest.RunReplayStore(t, func(_ *testing.T, now func() time.Time) dpop.ReplayStore {
		return dpop.NewMemoryReplayStore(now)
	})
}

// TestProofAtTheWindowsEdge: a proof whose iat is exactly Window ago is
// still taken, once: at that instant the store still remembers it.
func TestProofAtTheWindowsEdge(t *testing.T) {
	t.Parallel()
	k := newProofKey(t)
	a := dpopAuth(t, nil)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	url := "http://example.com/api/me"
	p := k.standard(t, "GET", url, testNow.Add(-60*time.Second), bound)
	_, err := a.Authenticate(context.Background(), extractors.FromHTTP(dpopRequest("GET", url, bound, p)))
	require.NoError(t, err, "at the edge of the window")
	_, err = a.Authenticate(context.Background(), extractors.FromHTTP(dpopRequest("GET", url, bound, p)))
	require.ErrorIs(t, err, dpop.ErrInvalidProof, "the same proof again, at the same instant")
}

// storeCalls is an Observer that keeps the ops of StoreCall.
type storeCalls struct {
	jwtgate.NopObserver
	mu  sync.Mutex
	ops []string
}

func (s *storeCalls) StoreCall(_ context.Context, c *jwtgate.StoreCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, c.Op)
}

// TestReplayStoreObserved: each replay check is a store call the Observer
// sees, as "remember_proof".
func TestReplayStoreObserved(t *testing.T) {
	t.Parallel()
	k := newProofKey(t)
	obs := &storeCalls{}
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Observer = obs
		c.DPoP = &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return testNow })}
	})
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	url := "http://example.com/api/me"
	_, err := a.Authenticate(context.Background(), extractors.FromHTTP(dpopRequest("GET", url, bound, k.standard(t, "GET", url, testNow, bound))))
	require.NoError(t, err)
	assert.Equal(t, []string{"remember_proof"}, obs.ops)
}

// TestVerifyRefusesBoundTokens: Verify has no request, so no proof can be
// checked: a token bound to a key is refused in every mode, cache on or
// off, as Authenticate refuses it sent as Bearer (RFC 9449 §7.2), and
// VerifyBound takes it only with the thumbprint of a proof of its key.
func TestVerifyRefusesBoundTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	unbound := mint(testSecret, goodHeader, claimsJSON(""))
	auths := map[string]*jwtgate.Authenticator{
		"DPoP allowed":  dpopAuth(t, nil),
		"DPoP required": dpopAuth(t, func(d *dpop.Config) { d.Mode = dpop.Required }),
		"no DPoP":       testAuth(t, nil),
		"no cache":      testAuth(t, func(c *jwtgate.Config) { c.CacheSize = -1 }),
	}
	for name, a := range auths {
		for range 2 { // the second time from the cache, where there is one
			_, err := a.Verify(ctx, bound)
			require.ErrorIs(t, err, dpop.ErrTokenBound, name)
			assert.Equal(t, http.StatusUnauthorized, a.Response(err).Status, name)
			_, err = a.VerifyBound(ctx, bound, "")
			require.ErrorIs(t, err, dpop.ErrTokenBound, name)
			_, err = a.VerifyBound(ctx, bound, strings.Repeat("A", 43))
			require.ErrorIs(t, err, dpop.ErrTokenBound, name+": another key")
			tok, err := a.VerifyBound(ctx, bound, k.jkt)
			require.NoError(t, err, name)
			assert.Equal(t, k.jkt, tok.JKT, name)
			_, err = a.VerifyBound(ctx, unbound, k.jkt)
			require.ErrorIs(t, err, dpop.ErrTokenNotBound, name+": a proof for a token bound to nothing")
			_, err = a.Verify(ctx, unbound)
			require.NoError(t, err, name)
		}
	}
}
