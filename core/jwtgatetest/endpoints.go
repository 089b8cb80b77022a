package jwtgatetest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
)

// NewEndpointsServer builds an adapter's login, refresh and logout handlers
// over e, mounted at /login, /refresh and /logout for every method (the
// handlers refuse what is not POST themselves), as one http.Handler. It
// must panic when e is nil or e.Validate fails.
type NewEndpointsServer func(t *testing.T, e *issuing.Endpoints) http.Handler

// RunEndpoints is the suite of issuing.Endpoints behind an adapter's
// wrappers: every case sends one request and requires one exact answer —
// status, Content-Type, Cache-Control, WWW-Authenticate, Allow, every
// Set-Cookie line with its attributes, and the body byte for byte (tokens
// and CSRF tokens replaced by placeholders once checked) — so the adapters
// that pass it answer identically. Each case has its own store, Issuer and
// Authenticator, at a fixed clock, in cookie mode unless it says
// otherwise; the requests go to https://api.example.
func RunEndpoints(t *testing.T, newServer NewEndpointsServer) {
	t.Helper()
	t.Run("invalid Endpoints panic", func(t *testing.T) {
		for name, e := range map[string]*issuing.Endpoints{"nil": nil, "zero": {}} {
			var msg any
			func() {
				defer func() { msg = recover() }()
				newServer(t, e)
			}()
			require.NotNil(t, msg, "%s *Endpoints: the wrappers must panic", name)
			assert.Contains(t, fmt.Sprint(msg), "endpoints", "%s: the panic says what is wrong", name)
		}
	})
	cases := endpointCases()
	seen := map[string]bool{}
	for _, tc := range cases {
		require.False(t, seen[tc.name], "two cases are named %q", tc.name)
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runEndpointCase(t, newServer, tc)
		})
	}
}

// EndpointsCaseCount returns the number of cases RunEndpoints runs.
func EndpointsCaseCount() int { return len(endpointCases()) }

const (
	epHost   = "api.example"
	epOrigin = "https://" + epHost

	// The descriptions the endpoints and the core answer with.
	descMalformedBody = "The request body is malformed or incomplete"
	descMediaType     = "The request body must be application/json"
	descBodyTooLarge  = "The request body is too large"
	descMethod        = "The method must be POST"
	descNoRefresh     = "No refresh token was sent"
	descTwoRefresh    = "The refresh token was sent in the body and in a cookie"
	descInvalidGrant  = "The refresh token is invalid, expired, revoked or already used"
	descCSRF          = "The request failed the CSRF check"
	descStoreDown     = "The token store is unavailable; try again later"
	descServiceDown   = "The service is unavailable; try again later"

	// failureText is in the error the credentials check returns: it must
	// never reach the answer.
	failureText = "password table corrupt at row 7"
)

// epWorld is one case's server side, and what its request built.
type epWorld struct {
	now     time.Time
	secret  []byte
	cookies *jwtgate.Cookies
	store   *faultyStore
	issuer  *issuing.Issuer
	auth    *jwtgate.Authenticator
	logs    *lockedWriter

	sent []string // tokens the request carries, for the leak check
	// pair and pair2 are what the request's setup minted, for after.
	pair, pair2 *issuing.Pair
	// jkt is the cnf.jkt of the access token the answer carries, if any.
	jkt string
}

func (w *epWorld) remember(tok string) string {
	w.sent = append(w.sent, tok)
	return tok
}

// login starts a family directly with the Issuer.
func (w *epWorld) login() *issuing.Pair {
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice", Scope: "read"})
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return p
}

func (w *epWorld) csrf(p *issuing.Pair) string { return w.cookies.CSRFToken(p.Family) }

// faultyStore is a store whose reads (IsRevoked) or writes fail on demand.
type faultyStore struct {
	issuing.Store
	readsDown, writesDown atomic.Bool
}

var errEndpointsStore = errors.New("jwtgatetest: store down")

func (s *faultyStore) IsRevoked(ctx context.Context, t *jwtgate.Token) (bool, error) {
	if s.readsDown.Load() {
		return false, errEndpointsStore
	}
	return s.Store.IsRevoked(ctx, t)
}

func (s *faultyStore) write() error {
	if s.writesDown.Load() {
		return errEndpointsStore
	}
	return nil
}

func (s *faultyStore) RevokeToken(ctx context.Context, id string, until time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	return s.Store.RevokeToken(ctx, id, until)
}

func (s *faultyStore) RevokeFamily(ctx context.Context, f string, until time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	return s.Store.RevokeFamily(ctx, f, until)
}

func (s *faultyStore) StartFamily(ctx context.Context, f, id string, until time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	return s.Store.StartFamily(ctx, f, id, until)
}

func (s *faultyStore) RotateFamily(ctx context.Context, f, p, n string, until time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	return s.Store.RotateFamily(ctx, f, p, n, until)
}

// endpointCase is one request and its answer.
type endpointCase struct {
	name string
	// noCookieMode builds the Issuer without Cookies.
	noCookieMode bool
	// maxBody is Endpoints.MaxBody.
	maxBody int64
	// dpop, when not zero, is the Authenticator's DPoP mode (Config.DPoP
	// with PublicURL https://api.example, a replay store of the case's
	// own); nonces gives it DPoP nonces.
	dpop    dpop.Mode
	nonces  bool
	request func(w *epWorld) *http.Request
	want    epWant
	// after checks what the answer did to the store.
	after func(t *testing.T, w *epWorld)
}

// epWant is an exact answer. Bodies and Set-Cookie lines are compared after
// normalize: access and refresh tokens become <access> and <refresh>, the
// CSRF token of their family <csrf>.
type epWant struct {
	status    int
	challenge string
	allow     string
	body      string   // "" for none (204)
	cookies   []string // Set-Cookie lines, in order
	// logged is a substring the Endpoints' Logger must have received.
	logged string
	// nonce: the answer carries a DPoP-Nonce header.
	nonce bool
}

func epFail(status int, code, desc string) epWant {
	return epWant{status: status, body: `{"error":"` + code + `","error_description":"` + desc + `"}`}
}

func (w epWant) with(challenge string) epWant { w.challenge = challenge; return w }

func epChallenge(code, desc string) string {
	return bareChallenge + `, error="` + code + `", error_description="` + desc + `"`
}

const (
	pairBody   = `{"access_token":"<access>","refresh_token":"<refresh>","token_type":"Bearer","expires_in":900}`
	cookieBody = `{"csrf_token":"<csrf>","expires_in":900}`
)

var (
	setCookies = []string{
		"access_token=<access>; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
		"refresh_token=<refresh>; Path=/refresh; Max-Age=604800; HttpOnly; Secure; SameSite=Strict",
		"csrf_token=<csrf>; Path=/; Max-Age=604800; Secure; SameSite=Lax",
	}
	clearCookies = []string{
		"access_token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax",
		"refresh_token=; Path=/refresh; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
		"csrf_token=; Path=/; Max-Age=0; Secure; SameSite=Lax",
	}
	tokensOK      = epWant{status: http.StatusOK, body: pairBody}
	cookiesOK     = epWant{status: http.StatusOK, body: cookieBody, cookies: setCookies}
	loggedOut     = epWant{status: http.StatusNoContent}
	malformed     = epFail(http.StatusBadRequest, "invalid_request", descMalformedBody)
	mediaType     = epFail(http.StatusUnsupportedMediaType, "invalid_request", descMediaType)
	tooLarge      = epFail(http.StatusRequestEntityTooLarge, "invalid_request", descBodyTooLarge)
	notPost       = epWant{status: http.StatusMethodNotAllowed, allow: "POST", body: epFail(0, "invalid_request", descMethod).body}
	badGrant      = epFail(http.StatusUnauthorized, "invalid_grant", descInvalidGrant).with(epChallenge("invalid_token", descInvalidGrant))
	csrfFail      = epFail(http.StatusForbidden, "csrf", descCSRF)
	badCreds      = epFail(http.StatusUnauthorized, "invalid_credentials", "Wrong username or password").with(bareChallenge)
	noRefresh     = epFail(http.StatusBadRequest, "invalid_request", descNoRefresh)
	revokedAccess = epFail(http.StatusUnauthorized, "invalid_token", descRevoked).with(epChallenge("invalid_token", descRevoked))
)

// req builds a request to https://api.example; headers are name, value
// pairs, added as they are.
func req(method, path, contentType, body string, headers ...string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, epOrigin+path, nil)
	} else {
		r = httptest.NewRequest(method, epOrigin+path, strings.NewReader(body))
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

const (
	jsonType    = "application/json"
	aliceBody   = `{"username":"alice","password":"alice-password"}`
	formBody    = "username=alice&password=alice-password"
	multipartCT = "multipart/form-data; boundary=XyZ"
)

func multipartBody(fields ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(fields); i += 2 {
		b.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i+1] + "\r\n")
	}
	b.WriteString("--XyZ--\r\n")
	return b.String()
}

func refreshBody(tok string) string { return `{"refresh_token":"` + tok + `"}` }

// login is POST /login with body as JSON.
func login(body string) func(*epWorld) *http.Request {
	return func(*epWorld) *http.Request { return req("POST", "/login", jsonType, body) }
}

// refreshCookie is a cookie-mode refresh as the page sends it: the refresh
// and CSRF cookies, the X-CSRF-Token header, its own Origin.
func (w *epWorld) refreshCookie(p *issuing.Pair, extra ...string) *http.Request {
	h := append([]string{"Cookie", "refresh_token=" + w.remember(p.RefreshToken) + "; csrf_token=" + w.csrf(p), "X-CSRF-Token", w.csrf(p), "Origin", epOrigin}, extra...)
	return req("POST", "/refresh", "", "", h...)
}

// cookieLogout is a cookie-mode logout as the page sends it.
func (w *epWorld) cookieLogout(method string, p *issuing.Pair, csrf, origin string) *http.Request {
	h := []string{"Cookie", "access_token=" + w.remember(p.AccessToken) + "; csrf_token=" + w.csrf(p)}
	if csrf != "" {
		h = append(h, "X-CSRF-Token", csrf)
	}
	if origin != "" {
		h = append(h, "Origin", origin)
	}
	return req(method, "/logout", "", "", h...)
}

// forge changes a token's subject, keeping its signature.
func forge(tok string) string {
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	payload = []byte(strings.Replace(string(payload), `"sub":"alice"`, `"sub":"admin"`, 1))
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

// Checks for after.

func accessRevoked(t *testing.T, w *epWorld, tok string) {
	t.Helper()
	_, err := w.auth.VerifyBound(context.Background(), tok, cnfJKT(tok))
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "the access token is revoked")
}

func accessValid(t *testing.T, w *epWorld, tok string) {
	t.Helper()
	_, err := w.auth.VerifyBound(context.Background(), tok, cnfJKT(tok))
	assert.NoError(t, err, "the access token is still valid")
}

// cnfJKT is the cnf.jkt of a token the suite's issuer minted ("" when it
// has none): the check that a token is valid or revoked is not the check of
// its binding, which DPOP- cases make with a proof.
func cnfJKT(tok string) string {
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(b, &claims) != nil {
		return ""
	}
	return claims.Cnf.JKT
}

func refreshRefused(t *testing.T, w *epWorld, tok string) {
	t.Helper()
	_, err := w.issuer.Refresh(context.Background(), tok)
	assert.ErrorIs(t, err, issuing.ErrInvalidGrant, "the refresh token is refused")
}

func refreshWorks(t *testing.T, w *epWorld, tok string) {
	t.Helper()
	_, err := w.issuer.Refresh(context.Background(), tok)
	assert.NoError(t, err, "the refresh token was not spent")
}

func endpointCases() []endpointCase {
	var cases []endpointCase
	cases = append(cases, loginCases()...)
	cases = append(cases, refreshCases()...)
	cases = append(cases, logoutCases()...)
	cases = append(cases, dpopEndpointCases()...)
	return cases
}

func loginCases() []endpointCase {
	withType := func(ct, body string) func(*epWorld) *http.Request {
		return func(*epWorld) *http.Request { return req("POST", "/login", ct, body) }
	}
	return []endpointCase{
		{name: "LOGIN/tokens", request: login(aliceBody), want: tokensOK},
		{name: "LOGIN/charset parameter", request: withType("application/json; charset=utf-8", aliceBody), want: tokensOK},
		{name: "LOGIN/media type in upper case", request: withType("Application/JSON", aliceBody), want: tokensOK},
		{name: "LOGIN/members of the application's own", request: login(`{"username":"alice","password":"alice-password","otp":"123456"}`), want: tokensOK},
		{name: "LOGIN/cookie mode", request: func(*epWorld) *http.Request { return req("POST", "/login?mode=cookie", jsonType, aliceBody) }, want: cookiesOK},
		{name: "LOGIN/body of exactly MaxBody", maxBody: 64, request: login(aliceBody + strings.Repeat(" ", 64-len(aliceBody))), want: tokensOK},

		// Login CSRF: what an HTML form can send across sites.
		{name: "LOGIN/text/plain", request: withType("text/plain", aliceBody), want: mediaType},
		{name: "LOGIN/form-urlencoded", request: withType("application/x-www-form-urlencoded", formBody), want: mediaType},
		{name: "LOGIN/multipart", request: withType(multipartCT, multipartBody("username", "alice", "password", "alice-password")), want: mediaType},
		{name: "LOGIN/cookie mode, text/plain", request: func(*epWorld) *http.Request {
			return req("POST", "/login?mode=cookie", "text/plain", aliceBody)
		}, want: mediaType},
		{name: "LOGIN/no Content-Type", request: withType("", aliceBody), want: mediaType},
		{name: "LOGIN/Unicode look-alike of application/json", request: withType("application/j\u017fon", aliceBody), want: mediaType},
		{name: "LOGIN/application/json-seq", request: withType("application/json-seq", aliceBody), want: mediaType},
		{name: "LOGIN/text/json", request: withType("text/json", aliceBody), want: mediaType},

		{name: "LOGIN/empty body", request: login(""), want: malformed},
		{name: "LOGIN/malformed JSON", request: login(`{"username":`), want: malformed},
		{name: "LOGIN/missing password", request: login(`{"username":"alice"}`), want: malformed},
		{name: "LOGIN/empty username", request: login(`{"username":"","password":"alice-password"}`), want: malformed},
		{name: "LOGIN/password not a string", request: login(`{"username":"alice","password":123}`), want: malformed},
		{name: "LOGIN/array", request: login(`[` + aliceBody + `]`), want: malformed},
		{name: "LOGIN/null", request: login(`null`), want: malformed},
		{name: "LOGIN/trailing data", request: login(aliceBody + `{}`), want: malformed},
		{name: "LOGIN/duplicate username", request: login(`{"username":"mallory","username":"alice","password":"alice-password"}`), want: malformed},
		{name: "LOGIN/names equal under case folding", request: login(`{"username":"alice","USERNAME":"mallory","password":"alice-password"}`), want: malformed},
		{name: "LOGIN/names in another case", request: login(`{"Username":"alice","Password":"alice-password"}`), want: malformed},
		{name: "LOGIN/invalid UTF-8", request: login("{\"username\":\"alice\xff\",\"password\":\"alice-password\"}"), want: malformed},
		{name: "LOGIN/body over MaxBody", maxBody: 64, request: login(aliceBody + strings.Repeat(" ", 65-len(aliceBody))), want: tooLarge},
		{name: "LOGIN/body over the default MaxBody", request: login(aliceBody + strings.Repeat(" ", issuing.DefaultMaxBody)), want: tooLarge},

		{name: "LOGIN/wrong password", request: login(`{"username":"alice","password":"nope"}`), want: badCreds},
		{name: "LOGIN/unknown user", request: login(`{"username":"mallory","password":"alice-password"}`), want: badCreds},
		{name: "LOGIN/unknown mode", request: func(*epWorld) *http.Request { return req("POST", "/login?mode=cookies", jsonType, aliceBody) },
			want: epFail(http.StatusBadRequest, "invalid_request", "The mode parameter must be cookie, or absent")},
		{name: "LOGIN/mode repeated", request: func(*epWorld) *http.Request {
			return req("POST", "/login?mode=cookie&mode=cookie", jsonType, aliceBody)
		}, want: epFail(http.StatusBadRequest, "invalid_request", "The mode parameter must be cookie, or absent")},
		{name: "LOGIN/cookie mode not enabled", noCookieMode: true, request: func(*epWorld) *http.Request {
			return req("POST", "/login?mode=cookie", jsonType, aliceBody)
		}, want: epFail(http.StatusBadRequest, "invalid_request", "Cookie mode is not enabled")},
		{name: "LOGIN/store down", request: func(w *epWorld) *http.Request {
			w.store.writesDown.Store(true)
			return req("POST", "/login", jsonType, aliceBody)
		}, want: func() epWant {
			w := epFail(http.StatusServiceUnavailable, "temporarily_unavailable", descStoreDown)
			w.logged = errEndpointsStore.Error()
			return w
		}()},
		{name: "LOGIN/credentials check cannot answer", request: login(`{"username":"unavailable","password":"x"}`), want: func() epWant {
			w := epFail(http.StatusServiceUnavailable, "temporarily_unavailable", descServiceDown)
			w.logged = "user database down"
			return w
		}()},
		{name: "LOGIN/credentials check fails", request: login(`{"username":"broken","password":"x"}`), want: func() epWant {
			w := epFail(http.StatusInternalServerError, "server_error", "Internal error")
			w.logged = failureText
			return w
		}()},
		{name: "LOGIN/grant without subject", request: login(`{"username":"nobody","password":"x"}`), want: func() epWant {
			w := epFail(http.StatusInternalServerError, "server_error", "Internal error")
			w.logged = "Grant.Subject is empty"
			return w
		}()},
		{name: "LOGIN/GET", request: func(*epWorld) *http.Request { return req("GET", "/login", "", "") }, want: notPost},
		{name: "LOGIN/PUT", request: func(*epWorld) *http.Request { return req("PUT", "/login", jsonType, aliceBody) }, want: notPost},
	}
}

func refreshCases() []endpointCase {
	byBody := func(ct string, body func(p *issuing.Pair) string) func(*epWorld) *http.Request {
		return func(w *epWorld) *http.Request {
			w.pair = w.login()
			w.remember(w.pair.RefreshToken)
			return req("POST", "/refresh", ct, body(w.pair))
		}
	}
	token := func(p *issuing.Pair) string { return refreshBody(p.RefreshToken) }
	spent := func(t *testing.T, w *epWorld) { refreshRefused(t, w, w.pair.RefreshToken) }
	unspent := func(t *testing.T, w *epWorld) { refreshWorks(t, w, w.pair.RefreshToken) }
	return []endpointCase{
		{name: "REFRESH/body", request: byBody(jsonType, token), want: tokensOK, after: spent},
		{name: "REFRESH/body with extra members", request: byBody(jsonType, func(p *issuing.Pair) string {
			return `{"grant_type":"refresh_token","refresh_token":"` + p.RefreshToken + `"}`
		}), want: tokensOK, after: spent},
		{name: "REFRESH/reuse revokes the family", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			var err error
			if w.pair2, err = w.issuer.Refresh(context.Background(), w.pair.RefreshToken); err != nil {
				panic("jwtgatetest: " + err.Error())
			}
			return req("POST", "/refresh", jsonType, refreshBody(w.remember(w.pair.RefreshToken)))
		}, want: badGrant, after: func(t *testing.T, w *epWorld) {
			accessRevoked(t, w, w.pair2.AccessToken)
			refreshRefused(t, w, w.pair2.RefreshToken)
		}},
		{name: "REFRESH/forged", request: byBody(jsonType, func(p *issuing.Pair) string { return refreshBody(forge(p.RefreshToken)) }), want: badGrant, after: unspent},
		{name: "REFRESH/an access token", request: byBody(jsonType, func(p *issuing.Pair) string { return refreshBody(p.AccessToken) }), want: badGrant, after: unspent},
		{name: "REFRESH/no token in the body", request: byBody(jsonType, func(*issuing.Pair) string { return `{}` }), want: noRefresh},
		{name: "REFRESH/no body", request: func(*epWorld) *http.Request { return req("POST", "/refresh", "", "") }, want: noRefresh},
		{name: "REFRESH/malformed", request: byBody(jsonType, func(*issuing.Pair) string { return `{"refresh_token":` }), want: malformed},
		{name: "REFRESH/token not a string", request: byBody(jsonType, func(*issuing.Pair) string { return `{"refresh_token":["a"]}` }), want: malformed},
		{name: "REFRESH/duplicate refresh_token", request: byBody(jsonType, func(p *issuing.Pair) string {
			return `{"refresh_token":"x","refresh_token":"` + p.RefreshToken + `"}`
		}), want: malformed, after: unspent},
		{name: "REFRESH/text/plain", request: byBody("text/plain", token), want: mediaType, after: unspent},
		{name: "REFRESH/form-urlencoded", request: byBody("application/x-www-form-urlencoded", func(p *issuing.Pair) string {
			return "refresh_token=" + p.RefreshToken
		}), want: mediaType, after: unspent},
		{name: "REFRESH/multipart", request: byBody(multipartCT, func(p *issuing.Pair) string {
			return multipartBody("refresh_token", p.RefreshToken)
		}), want: mediaType, after: unspent},
		{name: "REFRESH/no Content-Type", request: byBody("", token), want: mediaType, after: unspent},
		{name: "REFRESH/body over MaxBody", maxBody: 64, request: byBody(jsonType, token), want: tooLarge, after: unspent},
		{name: "REFRESH/GET", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Method = "GET"
			return r
		}, want: notPost, after: unspent},
		{name: "REFRESH/store down", request: func(w *epWorld) *http.Request {
			r := byBody(jsonType, token)(w)
			w.store.readsDown.Store(true)
			return r
		}, want: func() epWant {
			w := epFail(http.StatusServiceUnavailable, "temporarily_unavailable", descUnavailable)
			w.logged = errEndpointsStore.Error()
			return w
		}()},

		// Cookie mode.
		{name: "REFRESH/cookie", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.refreshCookie(w.pair)
		}, want: cookiesOK, after: spent},
		{name: "REFRESH/cookie with an empty text/plain body", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, want: cookiesOK, after: spent},
		{name: "REFRESH/cookie with an empty JSON object", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Set("Content-Type", jsonType)
			r.Body = io.NopCloser(strings.NewReader("{}"))
			r.ContentLength = 2
			return r
		}, want: cookiesOK, after: spent},
		{name: "REFRESH/cookie without CSRF token", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Del("X-CSRF-Token")
			return r
		}, want: csrfFail, after: unspent},
		{name: "REFRESH/cookie with another login's CSRF token", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Set("X-CSRF-Token", w.csrf(w.login()))
			return r
		}, want: csrfFail, after: unspent},
		{name: "REFRESH/cookie from a foreign origin", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Set("Origin", "https://evil.example")
			return r
		}, want: csrfFail, after: unspent},
		{name: "REFRESH/cookie with a text/plain body", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Set("Content-Type", "text/plain")
			r.Body = io.NopCloser(strings.NewReader("x=y"))
			r.ContentLength = 3
			return r
		}, want: mediaType, after: unspent},
		{name: "REFRESH/token in the body and the cookie", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Set("Content-Type", jsonType)
			body := refreshBody(w.pair.RefreshToken)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
			return r
		}, want: epFail(http.StatusBadRequest, "invalid_request", descTwoRefresh), after: unspent},
		{name: "REFRESH/cookie repeated", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.refreshCookie(w.pair)
			r.Header.Add("Cookie", "refresh_token="+w.pair.RefreshToken)
			return r
		}, want: epFail(http.StatusBadRequest, "invalid_request", "The refresh token cookie is repeated").with(epChallenge("invalid_request", "The refresh token cookie is repeated")), after: unspent},
		{name: "REFRESH/cookie reused", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			var err error
			if w.pair2, err = w.issuer.Refresh(context.Background(), w.pair.RefreshToken); err != nil {
				panic("jwtgatetest: " + err.Error())
			}
			return w.refreshCookie(w.pair)
		}, want: badGrant, after: func(t *testing.T, w *epWorld) {
			accessRevoked(t, w, w.pair2.AccessToken)
			refreshRefused(t, w, w.pair2.RefreshToken)
		}},
		{name: "REFRESH/cookie without cookie mode", noCookieMode: true, request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return req("POST", "/refresh", "", "", "Cookie", "refresh_token="+w.remember(w.pair.RefreshToken), "Origin", epOrigin)
		}, want: noRefresh, after: unspent},
	}
}

func logoutCases() []endpointCase {
	bearer := func(extra ...string) func(*epWorld) *http.Request {
		return func(w *epWorld) *http.Request {
			w.pair = w.login()
			h := append([]string{"Authorization", "Bearer " + w.remember(w.pair.AccessToken)}, extra...)
			return req("POST", "/logout", "", "", h...)
		}
	}
	withBody := func(ct, body string) func(*epWorld) *http.Request {
		return func(w *epWorld) *http.Request {
			r := bearer()(w)
			r.Header.Set("Content-Type", ct)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
			return r
		}
	}
	familyRevoked := func(t *testing.T, w *epWorld) {
		accessRevoked(t, w, w.pair.AccessToken)
		refreshRefused(t, w, w.pair.RefreshToken)
	}
	untouched := func(t *testing.T, w *epWorld) {
		accessValid(t, w, w.pair.AccessToken)
		refreshWorks(t, w, w.pair.RefreshToken)
	}
	cleared := loggedOut
	cleared.cookies = clearCookies
	return []endpointCase{
		{name: "LOGOUT/bearer", request: bearer(), want: loggedOut, after: familyRevoked},
		{name: "LOGOUT/bearer with a JSON body", request: withBody(jsonType, `{}`), want: loggedOut, after: familyRevoked},
		{name: "LOGOUT/bearer with the CSRF cookie clears the cookies", request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			r.Header.Set("Cookie", "csrf_token="+w.csrf(w.pair))
			return r
		}, want: cleared, after: familyRevoked},
		{name: "LOGOUT/cookie", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.cookieLogout("POST", w.pair, w.csrf(w.pair), epOrigin)
		}, want: cleared, after: familyRevoked},
		{name: "LOGOUT/cookie without CSRF token", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.cookieLogout("POST", w.pair, "", epOrigin)
		}, want: csrfFail, after: untouched},
		{name: "LOGOUT/cookie with another login's CSRF token", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.cookieLogout("POST", w.pair, w.csrf(w.login()), epOrigin)
		}, want: csrfFail, after: untouched},
		{name: "LOGOUT/cookie from a foreign origin", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.cookieLogout("POST", w.pair, w.csrf(w.pair), "https://evil.example")
		}, want: csrfFail, after: untouched},
		{name: "LOGOUT/cookie, cross-site form", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.cookieLogout("POST", w.pair, "", "https://evil.example")
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader("x=1")), 3
			return r
		}, want: csrfFail, after: untouched},
		{name: "LOGOUT/cookie, text/plain body", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			r := w.cookieLogout("POST", w.pair, w.csrf(w.pair), epOrigin)
			r.Header.Set("Content-Type", "text/plain")
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader("x")), 1
			return r
		}, want: mediaType, after: untouched},
		{name: "LOGOUT/cookie GET", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.cookieLogout("GET", w.pair, "", "")
		}, want: notPost, after: untouched},
		{name: "LOGOUT/bearer GET", request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			r.Method = "GET"
			return r
		}, want: notPost, after: untouched},
		{name: "LOGOUT/text/plain body", request: withBody("text/plain", "x"), want: mediaType, after: untouched},
		{name: "LOGOUT/form-urlencoded body", request: withBody("application/x-www-form-urlencoded", "a=b"), want: mediaType, after: untouched},
		{name: "LOGOUT/multipart body", request: withBody(multipartCT, multipartBody("a", "b")), want: mediaType, after: untouched},
		{name: "LOGOUT/body over MaxBody", maxBody: 8, request: withBody(jsonType, `{"a":"123456789"}`), want: tooLarge, after: untouched},
		{name: "LOGOUT/without token, text/plain body", request: func(*epWorld) *http.Request { return req("POST", "/logout", "text/plain", "x") },
			want: epFail(http.StatusUnauthorized, "missing_token", descMissing).with(bareChallenge)},
		{name: "LOGOUT/without token", request: func(*epWorld) *http.Request { return req("POST", "/logout", "", "") },
			want: epFail(http.StatusUnauthorized, "missing_token", descMissing).with(bareChallenge)},
		{name: "LOGOUT/revoked token", request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			if err := w.issuer.Logout(context.Background(), &jwtgate.Token{SessionID: w.pair.Family, ExpiresAt: w.pair.AccessExpiresAt}); err != nil {
				panic("jwtgatetest: " + err.Error())
			}
			return r
		}, want: revokedAccess},
		{name: "LOGOUT/refresh token", request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return req("POST", "/logout", "", "", "Authorization", "Bearer "+w.remember(w.pair.RefreshToken))
		}, want: epFail(http.StatusUnauthorized, "invalid_token", descType).with(epChallenge("invalid_token", descType)), after: untouched},
		{name: "LOGOUT/token in the header and the cookie", request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			r.Header.Set("Cookie", "access_token="+w.pair.AccessToken)
			return r
		}, want: epFail(http.StatusBadRequest, "invalid_request", descMultiple).with(epChallenge("invalid_request", descMultiple)), after: untouched},
		{name: "LOGOUT/store down", request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			w.store.readsDown.Store(true)
			return r
		}, want: epFail(http.StatusServiceUnavailable, "temporarily_unavailable", descUnavailable)},
		{name: "LOGOUT/store cannot write", request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			w.store.writesDown.Store(true)
			return r
		}, want: func() epWant {
			w := epFail(http.StatusServiceUnavailable, "temporarily_unavailable", descStoreDown)
			w.logged = errEndpointsStore.Error()
			return w
		}()},
		{name: "LOGOUT/bearer without cookie mode", noCookieMode: true, request: func(w *epWorld) *http.Request {
			r := bearer()(w)
			r.Header.Set("Cookie", "csrf_token=x")
			return r
		}, want: loggedOut, after: familyRevoked},
	}
}

// newEPWorld builds a case's server side.
func newEPWorld(tc endpointCase) (*epWorld, *issuing.Endpoints) {
	w := &epWorld{
		now:     time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		secret:  randomBytes(32),
		cookies: &jwtgate.Cookies{CSRFKey: randomBytes(32)},
		logs:    &lockedWriter{b: &strings.Builder{}},
	}
	now := func() time.Time { return w.now }
	w.store = &faultyStore{Store: issuing.NewMemoryStore(now)}
	key := jwtgate.HMAC(w.secret, "HS256")
	cfg := issuing.Config{Key: key, Issuer: issuer, Audience: []string{audience}, Store: w.store, Now: now, Cookies: w.cookies}
	if tc.noCookieMode {
		cfg.Cookies = nil
	}
	var err error
	if w.issuer, err = issuing.New(cfg); err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	acfg := jwtgate.Config{
		Keys: key, Issuer: []string{issuer}, Audience: []string{audience}, RequiredClaims: []string{"jti"},
		Extractor: extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
		Revoker:   w.store, Realm: realm, Now: now, Cookies: cfg.Cookies,
	}
	if tc.dpop != 0 {
		// The endpoints' requests go to https://api.example; PublicURL
		// says so for every adapter, whether or not its test requests
		// look as if they came over TLS.
		acfg.DPoP = &dpop.Config{Mode: tc.dpop, Replay: dpop.NewMemoryReplayStore(now), PublicURL: epOrigin}
		if tc.nonces {
			acfg.DPoP.Nonces, _ = dpop.NewNonces(nonceKey, time.Minute, now)
		}
	}
	if w.auth, err = jwtgate.New(acfg); err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	e := &issuing.Endpoints{
		Issuer: w.issuer, Authenticator: w.auth, MaxBody: tc.maxBody,
		Logger:           slog.New(slog.NewTextHandler(w.logs, nil)),
		CheckCredentials: checkCredentials,
	}
	return w, e
}

// checkCredentials knows alice, and users whose names say how to fail.
func checkCredentials(_ context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
	switch l.Username {
	case "alice":
		if l.Password == "alice-password" {
			return issuing.Grant{Subject: "alice", Scope: "read"}, nil
		}
	case "broken":
		return issuing.Grant{}, errors.New("jwtgatetest: " + failureText)
	case "unavailable":
		return issuing.Grant{}, fmt.Errorf("jwtgatetest: user database down: %w", jwtgate.ErrUnavailable)
	case "nobody":
		return issuing.Grant{}, nil // a Grant the Issuer refuses
	}
	return issuing.Grant{}, issuing.ErrBadCredentials
}

// lockedWriter is the log's writer: handlers may run on another goroutine.
type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func runEndpointCase(t *testing.T, newServer NewEndpointsServer, tc endpointCase) {
	w, e := newEPWorld(tc)
	h := newServer(t, e)
	require.NotNil(t, h, "NewEndpointsServer returned nil")
	r := tc.request(w)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	body := rec.Body.Bytes()
	want := tc.want

	assert.Equal(t, want.status, res.StatusCode, "status; body %s", body)
	headers := func(name, value string) {
		t.Helper()
		var want []string
		if value != "" {
			want = []string{value}
		}
		assert.Equal(t, want, res.Header.Values(name), name)
	}
	contentType := "application/json"
	if want.status == http.StatusNoContent {
		contentType = ""
	}
	headers("Content-Type", contentType)
	headers("Cache-Control", "no-store")
	headers("WWW-Authenticate", want.challenge)
	headers("Allow", want.allow)
	if want.nonce {
		assert.Len(t, res.Header.Values("DPoP-Nonce"), 1, "DPoP-Nonce")
	} else {
		assert.Empty(t, res.Header.Values("DPoP-Nonce"), "DPoP-Nonce")
	}

	checkEndpointsLeak(t, w, res.Header, body)

	n := &normalizer{t: t, w: w, families: map[string]bool{}}
	gotCookies := []string{}
	for _, line := range res.Header.Values("Set-Cookie") {
		gotCookies = append(gotCookies, n.tokens(line))
	}
	gotBody := n.csrf(n.tokens(string(body)))
	for i, line := range gotCookies {
		gotCookies[i] = n.csrf(line)
	}
	wantCookies := want.cookies
	if wantCookies == nil {
		wantCookies = []string{}
	}
	assert.Equal(t, wantCookies, gotCookies, "Set-Cookie lines")
	assert.Equal(t, want.body, gotBody, "body")
	assert.LessOrEqual(t, len(n.families), 1, "the tokens of one answer are of one family")
	if want.logged != "" {
		assert.Contains(t, w.logs.String(), want.logged, "the Logger got the error")
	}
	if tc.after != nil {
		w.store.readsDown.Store(false)
		w.store.writesDown.Store(false)
		tc.after(t, w)
	}
}

// checkEndpointsLeak: no answer carries a token the request sent, the key,
// or the text of an internal error.
func checkEndpointsLeak(t *testing.T, w *epWorld, h http.Header, body []byte) {
	t.Helper()
	var hay strings.Builder
	hay.Write(body)
	for name, vals := range h {
		hay.WriteString("\n" + name + ": " + strings.Join(vals, ", "))
	}
	s := hay.String()
	for _, tok := range w.sent {
		// The header segment is every token's of its type; the payload (its
		// jti) and the signature are the token's own.
		for _, seg := range strings.Split(tok, ".")[1:] {
			if len(seg) >= 8 {
				assert.False(t, strings.Contains(s, seg), "the answer echoes a token the request sent")
			}
		}
	}
	for _, k := range [][]byte{w.secret, w.cookies.CSRFKey} {
		for _, enc := range []string{string(k), base64.RawURLEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(k)} {
			assert.False(t, strings.Contains(s, enc), "the answer contains a key")
		}
	}
	assert.NotContains(t, s, failureText, "the answer carries an internal error's text")
	assert.NotContains(t, s, "jwtgatetest:", "the answer carries an internal error's text")
}

// normalizer replaces the tokens of an answer by placeholders, once it has
// checked them: an access token must verify, a refresh token be of the
// Issuer's type, and a CSRF token be its family's.
type normalizer struct {
	t        *testing.T
	w        *epWorld
	families map[string]bool
}

var jwtShape = regexp.MustCompile(`[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// tokens replaces the access and refresh tokens in s, and notes their
// families.
func (n *normalizer) tokens(s string) string {
	return jwtShape.ReplaceAllStringFunc(s, func(tok string) string {
		var header struct {
			Typ string `json:"typ"`
		}
		var claims struct {
			Sid string `json:"sid"`
			Cnf struct {
				JKT string `json:"jkt"`
			} `json:"cnf"`
		}
		parts := strings.Split(tok, ".")
		for i, v := range []any{&header, &claims} {
			b, err := base64.RawURLEncoding.DecodeString(parts[i])
			if err != nil || json.Unmarshal(b, v) != nil {
				return tok
			}
		}
		n.families[claims.Sid] = true
		switch header.Typ {
		case issuing.AccessTokenType:
			_, err := n.w.auth.VerifyBound(context.Background(), tok, claims.Cnf.JKT)
			assert.NoError(n.t, err, "the answer's access token verifies")
			n.w.jkt = claims.Cnf.JKT
			return "<access>"
		case issuing.RefreshTokenType:
			return "<refresh>"
		}
		return tok
	})
}

// csrf replaces the CSRF tokens of the families seen in s.
func (n *normalizer) csrf(s string) string {
	for f := range n.families {
		if f != "" {
			s = strings.ReplaceAll(s, n.w.cookies.CSRFToken(f), "<csrf>")
		}
	}
	return s
}
