package jwtgatetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// Run runs every case of the suite against the adapter that newServer builds,
// each as a parallel subtest named after its catalogue ID (docs/security-cases.md),
// e.g. "ALG-01/alg none".
func Run(t *testing.T, newServer NewServer) {
	t.Helper()
	fx := newFixture()
	cases := buildCases(fx)
	seen := make(map[string]bool, len(cases))
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("jwtgatetest: two cases are named %q", tc.name)
		}
		seen[tc.name] = true
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, fx, newServer, tc)
		})
	}
}

// CaseCount returns the number of cases Run runs.
func CaseCount() int { return len(buildCases(newFixture())) }

// ServerCount returns the number of handlers Run asks its NewServer for: one
// per case, and one more for each case that also sends a request to another
// instance of the app. An adapter's test counts its builds against it, to
// show it ran the whole table.
func ServerCount() int {
	n := 0
	for _, tc := range buildCases(newFixture()) {
		n++
		for _, s := range tc.before {
			if s.other {
				n++
				break
			}
		}
	}
	return n
}

// testCase is one request and the answer every adapter must give.
type testCase struct {
	name string
	// config changes the suite's base Config (see baseConfig).
	config func(*jwtgate.Config)
	// scopes, when set, are required by the adapter's RequireScopes.
	scopes []string
	// token, when set, is sent as "Authorization: Bearer <token>" on
	// GET /protected.
	token func(e *env) string
	// request, when set, builds the whole request instead of token; it must
	// pass every token it sends through e.sent for the leak checks.
	request func(e *env) *http.Request
	// rev, when set, installs a fake Revoker (before config runs) and checks
	// how often it was asked.
	rev *revokerSpec
	// miswired mounts the scope guard without the authenticating middleware
	// (Route.Miswired).
	miswired bool
	// outbound starts a loopback listener whose URL the token gets as e.url;
	// the case fails if anything connects to it (jku, x5u).
	outbound bool
	// policy is the route's Policy (Route.Policy).
	policy jwtgate.Policy
	// before are requests sent, in order, before the case's own: to this
	// app, or to another instance of it (its own Authenticator and handler,
	// the same Config: the same DPoP replay store, as two instances sharing
	// Redis). Only their status is checked.
	before []step
	want   want
	// path, when set, is the path the refusal's log record names
	// (RunTokens: the RPC's full method name); default "/protected".
	path string
}

// step is a request of testCase.before.
type step struct {
	other   bool // to the other instance
	request func(e *env) *http.Request
	status  int
}

// env is what a case's token and request functions see.
type env struct {
	*fixture
	url  string   // the outbound listener, when testCase.outbound
	sent []string // tokens sent, for the leak checks
	// last is the answer to the last request of testCase.before.
	last *http.Response
	// token is one access token the case's requests share, proof a DPoP
	// proof they share (dpopCases).
	token, proof string
}

// remember records a token that the request carries and returns it.
func (e *env) remember(tok string) string {
	e.sent = append(e.sent, tok)
	return tok
}

// want is the expected answer.
type want struct {
	status int
	// challenge is the exact WWW-Authenticate value; "" means no header.
	challenge string
	// code and desc are the JSON body of a failure.
	code, desc string

	// accepted: the protected handler must run once.
	accepted bool
	// noToken: accepted without a token in the context (CredentialsOptional).
	noToken bool
	// claimsType is the dynamic type of the claims; default "*jwtgate.Claims".
	claimsType string
	// scopes, when not nil, are the token's scopes as the handler sees them.
	scopes []string
	// private: the answer must carry Cache-Control: private (RFC 6750 §2.3).
	private bool
	// role, when not nil, is tenantClaims' org.role as the handler sees it.
	role *string
	// nonce: the answer carries a DPoP-Nonce header (RFC 9449 §8, §9).
	nonce bool
}

const (
	bareChallenge = `Bearer realm="` + realm + `"`

	descSignature     = "The access token signature is invalid"
	descMalformed     = "The access token is malformed"
	descTooLarge      = "The access token is too large"
	descExpired       = "The access token expired"
	descNotYetValid   = "The access token is not valid yet"
	descFuture        = "The access token was issued in the future"
	descIssuer        = "The access token issuer is not accepted"
	descAudience      = "The access token audience is not accepted"
	descSubject       = "The access token subject is not accepted"
	descParty         = "The access token was issued to another client"
	descRequiredClaim = "The access token lacks a required claim"
	descClaims        = "The access token claims are not accepted"
	descAlgorithm     = "The access token algorithm is not accepted"
	descUnknownKey    = "The access token key is unknown"
	descHeader        = "The access token header is not accepted"
	descType          = "The access token type is not accepted"
	descCritical      = "The access token has an unsupported critical header"
	descRevoked       = "The access token has been revoked"
	descCredential    = "The access token credential is malformed"
	descRepeated      = "The access token credential is repeated"
	descMultiple      = "The access token was sent by more than one method"
	descMissing       = "No access token was sent"
	descScope         = "The access token lacks a required scope"
	descUnavailable   = "The token could not be checked; try again later"
)

func accept() want { return want{status: http.StatusOK, accepted: true} }

// invalidToken is 401 invalid_token (RFC 6750 §3.1).
func invalidToken(desc string) want {
	return want{
		status:    http.StatusUnauthorized,
		challenge: bareChallenge + `, error="invalid_token", error_description="` + desc + `"`,
		code:      "invalid_token",
		desc:      desc,
	}
}

// invalidRequest is 400 invalid_request (RFC 6750 §3.1).
func invalidRequest(desc string) want {
	return want{
		status:    http.StatusBadRequest,
		challenge: bareChallenge + `, error="invalid_request", error_description="` + desc + `"`,
		code:      "invalid_request",
		desc:      desc,
	}
}

// missingToken is 401 with a bare challenge: no credentials, or an unsupported
// scheme (RFC 6750 §3.1: no error code).
func missingToken() want {
	return want{status: http.StatusUnauthorized, challenge: bareChallenge, code: "missing_token", desc: descMissing}
}

// insufficientScope is 403 insufficient_scope naming the required scopes.
func insufficientScope(scopes ...string) want {
	return want{
		status:    http.StatusForbidden,
		challenge: bareChallenge + `, error="insufficient_scope", scope="` + strings.Join(scopes, " ") + `"`,
		code:      "insufficient_scope",
		desc:      descScope,
	}
}

// unavailable is 503 without a challenge: the revocation store failed.
func unavailable() want {
	return want{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: descUnavailable}
}

// baseConfig is the Config every case starts from.
func baseConfig(fx *fixture) jwtgate.Config {
	k := jwtgate.HMAC(fx.khs, "HS256")
	k.ID = kidHS
	now := fx.now
	return jwtgate.Config{
		Keys:     k,
		Issuer:   []string{issuer},
		Audience: []string{audience},
		Leeway:   jwtgate.NoLeeway, // the time cases are exact; TIME-11 takes the default
		Now:      func() time.Time { return now },
		Realm:    realm,
	}
}

// report is what the protected handler answers: what it found in the
// request's context.
type report struct {
	Token      bool     `json:"token"`
	Sub        string   `json:"sub"`
	JTI        string   `json:"jti"`
	Scopes     []string `json:"scopes"`
	ClaimsType string   `json:"claims_type"`
	ClaimsSub  string   `json:"claims_sub"`
	ClaimsJTI  string   `json:"claims_jti"`
	// ClaimsRole is tenantClaims' org.role (FMT-13).
	ClaimsRole string `json:"claims_role"`
}

// protected is Route.Handler: it counts its calls and reports the token it
// finds with jwtgate.FromContext and jwtgate.ClaimsFromContext.
func protected(calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		ctx := r.Context()
		var rep report
		if t, ok := jwtgate.FromContext(ctx); ok {
			rep.Token = true
			rep.Sub, rep.JTI, rep.Scopes = t.Subject, t.ID, t.Scopes()
			if c, ok := jwtgate.ClaimsFromContext[*jwtgate.Claims](ctx); ok {
				rep.ClaimsType = "*jwtgate.Claims"
				rep.ClaimsSub, rep.ClaimsJTI = c.Subject, c.ID
			} else if c, ok := jwtgate.ClaimsFromContext[*tenantClaims](ctx); ok {
				rep.ClaimsType = "*jwtgatetest.tenantClaims"
				rep.ClaimsSub, rep.ClaimsJTI, rep.ClaimsRole = c.Subject, c.ID, c.Org.Role
			} else {
				rep.ClaimsType = "unknown"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	})
}

// tenantClaims is a claims type of the application's own, embedding
// jwtgate.Claims, with its own validation (jwt.ClaimsValidator).
type tenantClaims struct {
	jwtgate.Claims
	Tenant string `json:"tid"`
	Org    struct {
		Role string `json:"role"`
	} `json:"org"`
}

var errWrongTenant = errors.New("jwtgatetest: wrong tenant")

// Validate implements jwt.ClaimsValidator.
func (c *tenantClaims) Validate() error {
	if c.Tenant != "acme" {
		return errWrongTenant
	}
	return nil
}

var _ jwt.ClaimsValidator = (*tenantClaims)(nil)

// revokerSpec configures the fake Revoker of a case.
type revokerSpec struct {
	revoked   []string // jti values revoked for the suite's issuer
	fail      bool     // every call fails
	failOpen  bool     // Config.RevocationFailOpen
	wantCalls int32    // exact number of calls expected
}

// fakeRevoker is an in-memory jwtgate.Revoker keyed by (iss, jti).
type fakeRevoker struct {
	revoked map[[2]string]bool
	fail    bool
	calls   atomic.Int32
}

var errStoreDown = errors.New("jwtgatetest: revocation store down")

// IsRevoked implements jwtgate.Revoker.
func (r *fakeRevoker) IsRevoked(_ context.Context, t *jwtgate.Token) (bool, error) {
	r.calls.Add(1)
	if r.fail {
		return false, errStoreDown
	}
	return r.revoked[[2]string{t.Issuer, t.ID}], nil
}

// outboundListener counts every request that reaches it.
type outboundListener struct {
	srv  *httptest.Server
	hits atomic.Int32
}

func startListener(t *testing.T) *outboundListener {
	l := &outboundListener{}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		l.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// challengeSyntax is RFC 6750 §3: Bearer, then auth-params whose quoted values
// use only %x20-21 / %x23-5B / %x5D-7E; and RFC 9449 §7.1's DPoP challenge,
// alone or after the Bearer one, with its algs.
var challengeSyntax = regexp.MustCompile(`^(Bearer realm="[\x20\x21\x23-\x5b\x5d-\x7e]*"(, (error|error_description|scope)="[\x20\x21\x23-\x5b\x5d-\x7e]*")*(, )?)?(DPoP realm="[\x20\x21\x23-\x5b\x5d-\x7e]*", algs="[A-Za-z0-9 ]+"(, (error|error_description|scope)="[\x20\x21\x23-\x5b\x5d-\x7e]*")*)?$`)

var errorParam = regexp.MustCompile(`(^|[ ,])error=`)

func runCase(t *testing.T, fx *fixture, newServer NewServer, tc testCase) {
	e := &env{fixture: fx}
	var listener *outboundListener
	if tc.outbound {
		listener = startListener(t)
		e.url = listener.srv.URL
	}

	cfg := baseConfig(fx)
	var rev *fakeRevoker
	if tc.rev != nil {
		rev = &fakeRevoker{revoked: map[[2]string]bool{}, fail: tc.rev.fail}
		for _, jti := range tc.rev.revoked {
			rev.revoked[[2]string{issuer, jti}] = true
		}
		cfg.Revoker = rev
		cfg.RevocationFailOpen = tc.rev.failOpen
	}
	obs := &recorder{}
	cfg.Logger, cfg.Observer = slog.New(obs), obs
	if tc.config != nil {
		tc.config(&cfg)
	}
	observed := cfg.Observer == obs // a case may install its own
	auth, err := jwtgate.New(cfg)
	require.NoError(t, err, "jwtgate.New")

	var calls atomic.Int32
	h := newServer(t, Route{Authenticator: auth, Scopes: tc.scopes, Handler: protected(&calls), Miswired: tc.miswired, Policy: tc.policy})
	require.NotNil(t, h, "NewServer returned nil")

	if len(tc.before) > 0 {
		var other http.Handler
		for i, s := range tc.before {
			target := h
			if s.other {
				if other == nil {
					oc := cfg
					oc.Logger, oc.Observer = slog.New(slog.DiscardHandler), nil
					oa, err := jwtgate.New(oc)
					require.NoError(t, err, "jwtgate.New (the other instance)")
					var otherCalls atomic.Int32
					other = newServer(t, Route{Authenticator: oa, Scopes: tc.scopes, Handler: protected(&otherCalls), Policy: tc.policy})
				}
				target = other
			}
			rec := httptest.NewRecorder()
			target.ServeHTTP(rec, s.request(e))
			e.last = rec.Result()
			require.Equal(t, s.status, e.last.StatusCode, "status of request %d before the case's; body %s", i+1, rec.Body.Bytes())
		}
		calls.Store(0)
		obs.reset()
	}

	var req *http.Request
	switch {
	case tc.request != nil:
		req = tc.request(e)
	case tc.token != nil:
		req = bearer(e, tc.token(e))
	default:
		t.Fatal("jwtgatetest: case has neither token nor request")
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body := rec.Body.Bytes()
	w := tc.want

	assert.Equal(t, w.status, res.StatusCode, "status; body %s", body)

	// WWW-Authenticate: exactly the expected value, at most one field line,
	// and always well-formed (RSP-02: exactly one error attribute, only the
	// characters RFC 6750 §3 allows, nothing taken from the token).
	challenges := res.Header.Values("WWW-Authenticate")
	assert.LessOrEqual(t, len(challenges), 1, "WWW-Authenticate lines")
	assert.Equal(t, w.challenge, res.Header.Get("WWW-Authenticate"), "WWW-Authenticate")
	for _, c := range challenges {
		assert.Regexp(t, challengeSyntax, c, "WWW-Authenticate syntax (RFC 6750 §3, RFC 9449 §7.1)")
		assert.LessOrEqual(t, len(errorParam.FindAllString(c, -1)), 1, "error attributes in %q", c)
		for _, one := range strings.SplitN(c, ", DPoP ", 2) {
			assert.LessOrEqual(t, strings.Count(one, "realm="), 1, "realm attributes in one challenge of %q", c)
		}
	}
	if res.StatusCode == http.StatusUnauthorized {
		assert.NotEmpty(t, challenges, "every 401 carries a challenge (RFC 9110 §15.5.2, RSP-03)")
	}
	if w.nonce {
		assert.Len(t, res.Header.Values("DPoP-Nonce"), 1, "DPoP-Nonce")
		assert.Regexp(t, `^[\x21\x23-\x5b\x5d-\x7e]+$`, res.Header.Get("DPoP-Nonce"), "DPoP-Nonce syntax (RFC 9449 §8.1: NQCHAR)")
	} else {
		assert.Empty(t, res.Header.Values("DPoP-Nonce"), "DPoP-Nonce")
	}

	// RSP-01: neither the body nor any header echoes a token, a token segment
	// or a key.
	checkNoLeak(t, fx, e.sent, res.Header, body)

	// The protected handler ran iff the request was accepted.
	if w.accepted {
		assert.Equal(t, int32(1), calls.Load(), "protected handler calls")
		checkAccepted(t, e, w, res, body)
	} else {
		assert.Equal(t, int32(0), calls.Load(), "the protected handler must not run")
		checkFailureBody(t, w, res, body)
	}

	if observed {
		checkObserved(t, fx, e, obs, tc)
	}
	if rev != nil {
		assert.Equal(t, tc.rev.wantCalls, rev.calls.Load(), "Revoker calls")
	}
	if listener != nil {
		assert.Zero(t, listener.hits.Load(), "requests to the URL in the token header (nothing may be fetched)")
	}
}

func checkFailureBody(t *testing.T, w want, res *http.Response, body []byte) {
	t.Helper()
	mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	assert.NoError(t, err, "Content-Type")
	assert.Equal(t, "application/json", mt, "Content-Type")
	var got map[string]any
	if assert.NoError(t, json.Unmarshal(body, &got), "JSON body %q", body) {
		assert.Equal(t, map[string]any{"error": w.code, "error_description": w.desc}, got, "body")
	}
	// The core's body byte for byte on every adapter: compact, and no
	// newline after it (Echo v4's default error handler would add one).
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		assert.Equal(t, compact.String(), string(body), "the body is compact JSON with nothing after it")
	}
}

func checkAccepted(t *testing.T, e *env, w want, res *http.Response, body []byte) {
	t.Helper()
	var rep report
	if !assert.NoError(t, json.Unmarshal(body, &rep), "handler report %q", body) {
		return
	}
	if w.noToken {
		assert.False(t, rep.Token, "no token may be in the context")
		return
	}
	if !assert.True(t, rep.Token, "the token must be in the request's context") {
		return
	}
	// The sub and jti the handler sees are the ones minted.
	var minted struct {
		Sub string `json:"sub"`
		JTI string `json:"jti"`
	}
	if assert.NotEmpty(t, e.sent) {
		tok := e.sent[len(e.sent)-1]
		parts := strings.Split(tok, ".")
		if assert.Len(t, parts, 3) {
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if assert.NoError(t, err) {
				assert.NoError(t, json.Unmarshal(payload, &minted))
			}
		}
	}
	assert.Equal(t, minted.Sub, rep.Sub, "Token.Subject")
	assert.Equal(t, minted.Sub, rep.ClaimsSub, "claims sub (ClaimsFromContext)")
	assert.Equal(t, minted.JTI, rep.JTI, "Token.ID")
	assert.Equal(t, minted.JTI, rep.ClaimsJTI, "claims jti (ClaimsFromContext)")
	wantType := w.claimsType
	if wantType == "" {
		wantType = "*jwtgate.Claims"
	}
	assert.Equal(t, wantType, rep.ClaimsType, "claims type")
	if w.scopes != nil {
		assert.Equal(t, w.scopes, rep.Scopes, "scopes")
	}
	if w.role != nil {
		assert.Equal(t, *w.role, rep.ClaimsRole, "the claims type's org.role")
	}
	if w.private {
		assert.Contains(t, cacheDirectives(res.Header), "private", "Cache-Control of a 2xx answer to a query token (RFC 6750 §2.3)")
	}
}

func cacheDirectives(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(line, ",") {
			out = append(out, strings.ToLower(strings.TrimSpace(d)))
		}
	}
	return out
}

// checkNoLeak asserts that nothing in the answer contains a token that was
// sent, one of its segments, or a key, in any usual encoding.
func checkNoLeak(t *testing.T, fx *fixture, sent []string, h http.Header, body []byte) {
	t.Helper()
	var hay strings.Builder
	hay.Write(body)
	for name, vals := range h {
		hay.WriteString("\n" + name + ": " + strings.Join(vals, ", "))
	}
	s := hay.String()
	// Short pieces ("x", "") occur in any text; a segment of 8 characters or
	// more does not by chance.
	const minLen = 8
	for _, tok := range sent {
		if len(tok) >= minLen {
			assert.NotContains(t, s, tok, "the answer echoes the token")
		}
		for seg := range strings.SplitSeq(tok, ".") {
			if len(seg) >= minLen {
				assert.False(t, strings.Contains(s, seg), "the answer echoes a token segment")
			}
		}
	}
	for _, k := range fx.secrets() {
		for _, enc := range []string{
			string(k),
			hex.EncodeToString(k),
			base64.StdEncoding.EncodeToString(k),
			base64.RawStdEncoding.EncodeToString(k),
			base64.RawURLEncoding.EncodeToString(k),
		} {
			assert.False(t, strings.Contains(s, enc), "the answer contains a key")
		}
	}
}

// bearer is GET /protected with "Authorization: Bearer <tok>".
func bearer(e *env, tok string) *http.Request {
	return authorization(e, "Bearer "+e.remember(tok))
}

// authorization is GET /protected with the given Authorization field lines,
// set as they are (no validation, so odd bytes go through).
func authorization(_ *env, lines ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/protected", nil)
	r.Header["Authorization"] = lines
	return r
}
