// Package contract walks the HTTP contract of examples/README.md against a
// running example app. The in-process test of each example and the end-to-end
// test of the built binaries run the same walk, so the six apps answer alike.
package contract

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// App is a running example app.
type App struct {
	// Base is its URL, such as http://127.0.0.1:41234.
	Base string
	// Secret, Issuer and Audience are what it was started with, so the walk
	// can mint tokens "elsewhere".
	Secret, Issuer, Audience string
	// DPoP is its DPOP setting, "allowed" or "required", for WalkDPoP.
	DPoP string
	// PublicURL is its PUBLIC_URL, if set: the origin its DPoP proofs name.
	PublicURL string
}

// Answer is what one request got back, reduced to what the contract fixes.
type Answer struct {
	Status    int
	Challenge string
	// CacheControl and Allow are those header fields.
	CacheControl, Allow string
	Body                map[string]any
	// Cookies are the Set-Cookie lines, by cookie name.
	Cookies map[string]string
}

// Walk runs the contract's table against app and returns every answer by
// step name, so that callers can compare apps with each other.
func Walk(t *testing.T, app App) map[string]Answer {
	w := &walker{t: t, app: app, answers: map[string]Answer{}, client: &http.Client{Timeout: 10 * time.Second}}
	w.walk()
	return w.answers
}

// WalkDPoP runs the contract's DPoP steps against app, started with DPOP
// app.DPoP (and PUBLIC_URL app.PublicURL), and returns every answer by step
// name.
func WalkDPoP(t *testing.T, app App) map[string]Answer {
	w := &walker{t: t, app: app, answers: map[string]Answer{}, client: &http.Client{Timeout: 10 * time.Second}}
	w.walkDPoP()
	return w.answers
}

type walker struct {
	t       *testing.T
	app     App
	client  *http.Client
	answers map[string]Answer
}

type req struct {
	method, path, body string
	headers            [][2]string
}

func (w *walker) do(name string, r req) Answer {
	w.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, w.app.Base+r.path, body)
	require.NoError(w.t, err, name)
	ownType := false
	for _, h := range r.headers {
		if h[0] == "Content-Type" {
			ownType = true
			if h[1] == "" { // a body without Content-Type
				continue
			}
		}
		hr.Header.Add(h[0], h[1])
	}
	if r.body != "" && !ownType {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.client.Do(hr)
	require.NoError(w.t, err, name)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err, name)
	a := Answer{
		Status: resp.StatusCode, Challenge: resp.Header.Get("WWW-Authenticate"),
		CacheControl: resp.Header.Get("Cache-Control"), Allow: resp.Header.Get("Allow"), Cookies: map[string]string{},
	}
	for _, line := range resp.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(line, "=")
		a.Cookies[name] = line
	}
	if len(bytes.TrimSpace(raw)) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(w.t, json.Unmarshal(raw, &a.Body), "%s: body %q", name, raw)
	}
	assert.Less(w.t, a.Status, 500, "%s: no 5xx for what a client sends", name)
	w.answers[name] = a
	return a
}

const realm = `Bearer realm="jwtgate-example"`

func (w *walker) expect(name string, r req, status int, challenge, code string) Answer {
	w.t.Helper()
	a := w.do(name, r)
	assert.Equal(w.t, status, a.Status, "%s: status", name)
	assert.Equal(w.t, challenge, a.Challenge, "%s: WWW-Authenticate", name)
	if code != "" {
		assert.Equal(w.t, code, a.Body["error"], "%s: error code", name)
		assert.NotEmpty(w.t, a.Body["error_description"], "%s: error_description", name)
	}
	return a
}

// invalidGrant is the challenge of a refused refresh: RFC 6750's invalid_token
// (the body says invalid_grant, RFC 6749 §5.2).
var invalidGrant = invalidToken("The refresh token is invalid, expired, revoked or already used")

func invalidToken(desc string) string {
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}

func invalidRequest(desc string) string {
	return realm + `, error="invalid_request", error_description="` + desc + `"`
}

func bearer(tok string) [][2]string { return [][2]string{{"Authorization", "Bearer " + tok}} }

// contentType sends the body as ct instead of application/json ("": with no
// Content-Type at all).
func contentType(ct string) [][2]string { return [][2]string{{"Content-Type", ct}} }

func cookie(tok string) [][2]string { return [][2]string{{"Cookie", "access_token=" + tok}} }

func get(path string, headers [][2]string) req {
	return req{method: "GET", path: path, headers: headers}
}

func post(path, body string, headers [][2]string) req {
	return req{method: "POST", path: path, body: body, headers: headers}
}

func (w *walker) login(name, user, password string) map[string]any {
	w.t.Helper()
	a := w.expect(name, post("/login", `{"username":"`+user+`","password":"`+password+`"}`, nil), 200, "", "")
	require.Equal(w.t, 200, a.Status, name)
	for _, k := range []string{"access_token", "refresh_token"} {
		require.IsType(w.t, "", a.Body[k], "%s: %s", name, k)
	}
	assert.Equal(w.t, "Bearer", a.Body["token_type"], name)
	assert.Equal(w.t, float64(900), a.Body["expires_in"], name)
	assert.Equal(w.t, "no-store", a.CacheControl, "%s: token responses are not cached (RFC 6749 §5.1)", name)
	return a.Body
}

// refused expects one of the endpoints' own refusals of a request they
// cannot take: status, invalid_request, and Cache-Control: no-store.
func (w *walker) refused(name string, r req, status int) Answer {
	w.t.Helper()
	a := w.expect(name, r, status, "", "invalid_request")
	assert.Equal(w.t, "no-store", a.CacheControl, name)
	if status == http.StatusMethodNotAllowed {
		assert.Equal(w.t, "POST", a.Allow, "%s: Allow", name)
	}
	return a
}

func str(v any) string { s, _ := v.(string); return s }

const aliceBody = `{"username":"alice","password":"alice-password"}`

func (w *walker) walk() {
	t := w.t
	w.expect("healthz", get("/healthz", nil), 200, "", "")

	// Login. The body is one JSON object, read strictly: exact member names,
	// none repeated (not even in another case), strings, nothing after it.
	for _, bad := range []struct{ name, body string }{
		{"malformed JSON", `{"username":`},
		{"missing password", `{"username":"alice"}`},
		{"empty password", `{"username":"alice","password":""}`},
		{"a number as password", `{"username":"alice","password":1}`},
		{"an array", `[` + aliceBody + `]`},
		{"a repeated member", `{"username":"admin","username":"alice","password":"alice-password"}`},
		{"a member repeated in another case", `{"username":"alice","password":"alice-password","Password":"x"}`},
		{"a name in another case only", `{"Username":"alice","password":"alice-password"}`},
		{"data after the object", aliceBody + ` {}`},
	} {
		w.refused("login with "+bad.name, post("/login", bad.body, nil), 400)
	}
	w.expect("login wrong password", post("/login", `{"username":"alice","password":"nope"}`, nil), 401, realm, "invalid_credentials")
	w.expect("login unknown user", post("/login", `{"username":"mallory","password":"alice-password"}`, nil), 401, realm, "invalid_credentials")
	// Only application/json, which a cross-site form cannot send (login CSRF).
	w.refused("login as text/plain", post("/login", aliceBody, contentType("text/plain")), 415)
	w.refused("login as a form", post("/login", "username=alice&password=alice-password", contentType("application/x-www-form-urlencoded")), 415)
	w.refused("login as multipart", post("/login", "--x\r\n\r\n--x--\r\n", contentType("multipart/form-data; boundary=x")), 415)
	w.refused("login without Content-Type", post("/login", aliceBody, contentType("")), 415)
	w.expect("login as JSON with a charset", post("/login", aliceBody, contentType("Application/JSON; charset=utf-8")), 200, "", "")
	w.refused("login by GET", get("/login", nil), 405)
	w.refused("login by PUT", req{method: "PUT", path: "/login", body: aliceBody}, 405)
	w.refused("login body over 64 KiB", post("/login", `{"username":"alice","password":"`+strings.Repeat("a", 64<<10)+`"}`, nil), 413)
	w.refused("login with another mode", post("/login?mode=token", aliceBody, nil), 400)
	w.refused("login with mode twice", post("/login?mode=cookie&mode=cookie", aliceBody, nil), 400)
	alice := w.login("login alice", "alice", "alice-password")
	access, refresh := str(alice["access_token"]), str(alice["refresh_token"])

	// The tokens' shape: NumericDates in whole seconds, the client_id (the
	// issuer: the app logs its own users in), the login's family in sid.
	header, claims := decode(t, access)
	assert.Equal(t, "HS256", header["alg"])
	assert.Equal(t, "at+jwt", header["typ"])
	for _, c := range []string{"iss", "aud", "sub", "iat", "exp", "jti", "sid", "client_id", "scope"} {
		assert.Contains(t, claims, c, "access token claim %s", c)
	}
	assert.Equal(t, w.app.Issuer, claims["iss"])
	assert.Equal(t, w.app.Audience, claims["aud"])
	assert.Equal(t, w.app.Issuer, claims["client_id"])
	iat, _ := claims["iat"].(float64)
	assert.Equal(t, math.Trunc(iat), iat, "iat is whole seconds")
	assert.Equal(t, float64(900), claims["exp"].(float64)-iat, "access tokens live 15 minutes")
	rheader, rclaims := decode(t, refresh)
	assert.Equal(t, "refresh+jwt", rheader["typ"])
	assert.Equal(t, w.app.Issuer, rclaims["aud"], "a refresh token is addressed to the issuer")
	assert.Equal(t, claims["sid"], rclaims["sid"], "one family")
	assert.Equal(t, float64(7*24*3600), rclaims["exp"].(float64)-rclaims["iat"].(float64), "refresh tokens live 7 days")

	// Protected routes.
	w.expect("me without token", get("/api/me", nil), 401, realm, "missing_token")
	me := w.expect("me", get("/api/me", bearer(access)), 200, "", "")
	assert.Equal(t, "alice", me.Body["sub"])
	assert.Equal(t, "read", me.Body["scope"])
	w.expect("me by cookie", get("/api/me", cookie(access)), 200, "", "")
	w.expect("me with bearer in lower case", get("/api/me", [][2]string{{"Authorization", "bearer " + access}}), 200, "", "")
	w.expect("admin as alice", get("/api/admin", bearer(access)), 403, realm+`, error="insufficient_scope", scope="admin"`, "insufficient_scope")
	admin := w.login("login admin", "admin", "admin-password")
	w.expect("admin as admin", get("/api/admin", bearer(str(admin["access_token"]))), 200, "", "")

	// Presentation (RFC 6750 §2, §3.1).
	w.expect("header and cookie", get("/api/me", append(bearer(access), cookie(access)...)), 400, invalidRequest("The access token was sent by more than one method"), "invalid_request")
	w.expect("two Authorization headers", get("/api/me", append(bearer(access), bearer(access)...)), 400, invalidRequest("The access token credential is repeated"), "invalid_request")
	w.expect("two access_token cookies", get("/api/me", [][2]string{{"Cookie", "access_token=" + access + "; access_token=" + access}}), 400, invalidRequest("The access token credential is repeated"), "invalid_request")
	w.expect("Bearer without token", get("/api/me", [][2]string{{"Authorization", "Bearer"}}), 400, invalidRequest("The access token credential is malformed"), "invalid_request")
	w.expect("Bearer with a tab", get("/api/me", [][2]string{{"Authorization", "Bearer\t" + access}}), 400, invalidRequest("The access token credential is malformed"), "invalid_request")
	w.expect("Bearer with something after the token", get("/api/me", [][2]string{{"Authorization", "Bearer " + access + " x"}}), 400, invalidRequest("The access token credential is malformed"), "invalid_request")
	w.expect("Bearer with a quote", get("/api/me", [][2]string{{"Authorization", `Bearer "` + access + `"`}}), 400, invalidRequest("The access token credential is malformed"), "invalid_request")
	w.expect("query is not a token source", get("/api/me?access_token="+access, nil), 401, realm, "missing_token")
	w.expect("Basic is not a token method", get("/api/me", [][2]string{{"Authorization", "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="}}), 401, realm, "missing_token")
	w.expect("token over 8 KiB", get("/api/me", bearer(strings.Repeat("a", 9000)+"."+"b.c")), 401, invalidToken("The access token is too large"), "invalid_token")
	w.expect("token of 16 KiB", get("/api/me", bearer(strings.Repeat("a", 16<<10))), 401, invalidToken("The access token is too large"), "invalid_token")
	w.expect("two segments", get("/api/me", bearer("abc.def")), 401, invalidToken("The access token is malformed"), "invalid_token")
	w.expect("tampered token", get("/api/me", bearer(tamper(access))), 401, invalidToken("The access token signature is invalid"), "invalid_token")

	// Token kinds never mix.
	w.expect("refresh token as access token", get("/api/me", bearer(refresh)), 401, invalidToken("The access token type is not accepted"), "invalid_token")
	w.expect("access token to refresh", post("/refresh", `{"refresh_token":"`+access+`"}`, nil), 401, invalidGrant, "invalid_grant")

	// Tokens minted elsewhere with the same secret, issuer and audience,
	// issued a second from now (within the apps' leeway): an app started in
	// this very second counts a token of that second that no login of its
	// own issued as issued before it (its store's loss rule).
	now := time.Now().Unix()
	base := map[string]any{"iss": w.app.Issuer, "aud": w.app.Audience, "sub": "carol", "iat": now + 1, "exp": now + 300, "jti": randomID(), "scope": "read"}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for k2, v2 := range base {
			c[k2] = v2
		}
		c["jti"] = randomID()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hs := func(header string, c map[string]any) string { return w.mint("HS256", header, c) }
	w.expect("foreign token", get("/api/me", bearer(hs(`{"alg":"HS256","typ":"JWT"}`, base))), 200, "", "")
	w.expect("foreign token without typ", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("x", nil)))), 200, "", "")
	w.expect("foreign token typ application/at+jwt", get("/api/me", bearer(hs(`{"alg":"HS256","typ":"application/AT+JWT"}`, with("x", nil)))), 200, "", "")
	w.expect("foreign token aud array", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("aud", []string{"other", w.app.Audience})))), 200, "", "")
	w.expect("foreign token within leeway", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("exp", now-10)))), 200, "", "")
	w.expect("foreign token expired", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("exp", now-60)))), 401, invalidToken("The access token expired"), "invalid_token")
	w.expect("foreign token not yet valid", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("nbf", now+120)))), 401, invalidToken("The access token is not valid yet"), "invalid_token")
	w.expect("foreign token without jti", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("jti", nil)))), 401, invalidToken("The access token lacks a required claim"), "invalid_token")
	w.expect("foreign token without exp", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("exp", nil)))), 401, invalidToken("The access token lacks a required claim"), "invalid_token")
	w.expect("foreign token wrong issuer", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("iss", "someone-else")))), 401, invalidToken("The access token issuer is not accepted"), "invalid_token")
	w.expect("foreign token wrong audience", get("/api/me", bearer(hs(`{"alg":"HS256"}`, with("aud", "other-api")))), 401, invalidToken("The access token audience is not accepted"), "invalid_token")
	w.expect("foreign token typ refresh+jwt", get("/api/me", bearer(hs(`{"alg":"HS256","typ":"refresh+jwt"}`, with("x", nil)))), 401, invalidToken("The access token type is not accepted"), "invalid_token")
	w.expect("foreign token HS512 with the same secret", get("/api/me", bearer(w.mint("HS512", `{"alg":"HS512"}`, with("x", nil)))), 401, invalidToken("The access token algorithm is not accepted"), "invalid_token")
	w.expect("alg none", get("/api/me", bearer(enc(`{"alg":"none"}`)+"."+enc(mustJSON(base))+".")), 401, invalidToken("The access token algorithm is not accepted"), "invalid_token")

	// Refresh: rotation, and reuse revoking the family.
	w.refused("refresh without token", post("/refresh", `{}`, nil), 400)
	w.refused("refresh without body", post("/refresh", "", nil), 400)
	w.refused("refresh malformed", post("/refresh", `{"refresh_token":`, nil), 400)
	w.refused("refresh as text/plain", post("/refresh", `{"refresh_token":"`+refresh+`"}`, contentType("text/plain")), 415)
	w.refused("refresh by GET", get("/refresh", nil), 405)
	w.expect("refresh forged", post("/refresh", `{"refresh_token":"`+tamper(refresh)+`"}`, nil), 401, invalidGrant, "invalid_grant")
	a := w.expect("refresh", post("/refresh", `{"refresh_token":"`+refresh+`"}`, nil), 200, "", "")
	assert.Equal(t, "no-store", a.CacheControl, "refresh")
	access2, refresh2 := str(a.Body["access_token"]), str(a.Body["refresh_token"])
	require.NotEmpty(t, refresh2)
	assert.NotEqual(t, refresh, refresh2)
	w.expect("me after refresh", get("/api/me", bearer(access2)), 200, "", "")
	w.expect("refresh reused", post("/refresh", `{"refresh_token":"`+refresh+`"}`, nil), 401, invalidGrant, "invalid_grant")
	w.expect("refresh of the revoked family", post("/refresh", `{"refresh_token":"`+refresh2+`"}`, nil), 401, invalidGrant, "invalid_grant")
	w.expect("access token of the revoked family", get("/api/me", bearer(access2)), 401, invalidToken("The access token has been revoked"), "invalid_token")
	w.expect("first access token of the revoked family", get("/api/me", bearer(access)), 401, invalidToken("The access token has been revoked"), "invalid_token")

	// Logout.
	bob := w.login("login again", "alice", "alice-password")
	w.expect("logout without token", post("/logout", "", nil), 401, realm, "missing_token")
	// Refused before anything is revoked.
	w.refused("logout by GET", get("/logout", bearer(str(bob["access_token"]))), 405)
	w.refused("logout with a text/plain body", post("/logout", "x", append(bearer(str(bob["access_token"])), contentType("text/plain")...)), 415)
	w.expect("me after refused logouts", get("/api/me", bearer(str(bob["access_token"]))), 200, "", "")
	a = w.expect("logout", post("/logout", "", bearer(str(bob["access_token"]))), 204, "", "")
	assert.Equal(t, "no-store", a.CacheControl, "logout")
	assert.Empty(t, a.Cookies, "a logout by the Authorization header clears no cookie")
	w.expect("me after logout", get("/api/me", bearer(str(bob["access_token"]))), 401, invalidToken("The access token has been revoked"), "invalid_token")
	w.expect("refresh after logout", post("/refresh", `{"refresh_token":"`+str(bob["refresh_token"])+`"}`, nil), 401, invalidGrant, "invalid_grant")
	w.expect("admin unaffected by alice's logout", get("/api/admin", bearer(str(admin["access_token"]))), 200, "", "")

	w.cookieMode()
}

// cookieMode walks the contract's cookie mode. Cookies are sent by hand:
// they are Secure, and a cookie jar would not send them over plain http.
func (w *walker) cookieMode() {
	t := w.t
	origin := [2]string{"Origin", w.app.Base}
	login := func(name string) (access, refresh, csrf string) {
		a := w.expect(name, post("/login?mode=cookie", `{"username":"alice","password":"alice-password"}`, nil), 200, "", "")
		require.Equal(t, 200, a.Status)
		assert.Equal(t, float64(900), a.Body["expires_in"], name)
		assert.Equal(t, "no-store", a.CacheControl, name)
		csrf = str(a.Body["csrf_token"])
		require.NotEmpty(t, csrf, name)
		assert.NotContains(t, a.Body, "access_token", "%s: no token in the body", name)
		assert.NotContains(t, a.Body, "refresh_token", "%s: no token in the body", name)
		access, refresh = cookieValue(a.Cookies["access_token"]), cookieValue(a.Cookies["refresh_token"])
		require.NotEmpty(t, access, name)
		require.NotEmpty(t, refresh, name)
		assert.Equal(t, csrf, cookieValue(a.Cookies["csrf_token"]), "%s: the CSRF cookie holds the body's token", name)
		assertAttrs(t, a.Cookies["access_token"], "HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=900")
		assertAttrs(t, a.Cookies["refresh_token"], "HttpOnly", "Secure", "SameSite=Strict", "Path=/refresh", "Max-Age=604800")
		assertAttrs(t, a.Cookies["csrf_token"], "Secure", "SameSite=Lax", "Path=/", "Max-Age=604800")
		assert.NotContains(t, a.Cookies["csrf_token"], "HttpOnly", "the page reads the CSRF cookie")
		return access, refresh, csrf
	}
	access, refresh, csrf := login("cookie login")
	_, _, otherCSRF := login("cookie login again")
	withCookies := func(csrfHeader string, extra ...[2]string) [][2]string {
		h := [][2]string{{"Cookie", "access_token=" + access + "; csrf_token=" + csrf}}
		if csrfHeader != "" {
			h = append(h, [2]string{"X-CSRF-Token", csrfHeader})
		}
		return append(h, extra...)
	}
	csrfRefused := func(name string, r req) {
		t.Helper()
		a := w.expect(name, r, 403, "", "csrf")
		assert.Equal(t, "csrf", a.Body["error"], name)
	}

	w.expect("cookie GET needs no CSRF token", get("/api/me", withCookies("")), 200, "", "")
	csrfRefused("cookie POST without CSRF token", post("/logout", "", withCookies("", origin)))
	csrfRefused("cookie POST with a wrong CSRF token", post("/logout", "", withCookies(flip(csrf), origin)))
	csrfRefused("cookie POST with another login's CSRF token", post("/logout", "", withCookies(otherCSRF, origin)))
	csrfRefused("cookie POST from a foreign origin", post("/logout", "", withCookies(csrf, [2]string{"Origin", "http://evil.example"})))
	w.expect("cookie GET still works after refused POSTs", get("/api/me", withCookies("")), 200, "", "")

	refreshCookie := func(tok string) [][2]string {
		return [][2]string{{"Cookie", "refresh_token=" + tok + "; csrf_token=" + csrf}, {"X-CSRF-Token", csrf}, origin}
	}
	csrfRefused("cookie refresh without CSRF token", post("/refresh", "", [][2]string{{"Cookie", "refresh_token=" + refresh}, origin}))
	w.expect("refresh token in body and cookie", post("/refresh", `{"refresh_token":"`+refresh+`"}`, refreshCookie(refresh)), 400, "", "invalid_request")
	a := w.expect("cookie refresh", post("/refresh", "", refreshCookie(refresh)), 200, "", "")
	assert.Equal(t, csrf, str(a.Body["csrf_token"]), "the CSRF token stays across refreshes")
	access2, refresh2 := cookieValue(a.Cookies["access_token"]), cookieValue(a.Cookies["refresh_token"])
	require.NotEmpty(t, refresh2)
	assert.NotEqual(t, refresh, refresh2)
	w.expect("cookie refresh reused", post("/refresh", "", refreshCookie(refresh)), 401, invalidGrant, "invalid_grant")
	w.expect("access cookie of the revoked family", get("/api/me", [][2]string{{"Cookie", "access_token=" + access2}}), 401, invalidToken("The access token has been revoked"), "invalid_token")

	access, _, csrf = login("cookie login for logout")
	a = w.expect("cookie logout", post("/logout", "", withCookies(csrf, origin)), 204, "", "")
	for _, name := range []string{"access_token", "refresh_token", "csrf_token"} {
		assert.Contains(t, a.Cookies[name], "Max-Age=0", "logout clears %s", name)
	}
	w.expect("access cookie after logout", get("/api/me", withCookies("")), 401, invalidToken("The access token has been revoked"), "invalid_token")
	page := w.do("page", get("/", nil))
	assert.Equal(t, 200, page.Status, "GET / serves the page")
}

// flip returns s with its first character changed, so it is certainly wrong.
func flip(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}

func cookieValue(setCookie string) string {
	_, rest, _ := strings.Cut(setCookie, "=")
	v, _, _ := strings.Cut(rest, ";")
	return v
}

func assertAttrs(t *testing.T, setCookie string, attrs ...string) {
	t.Helper()
	parts := strings.Split(setCookie, "; ")
	for _, a := range attrs {
		assert.Contains(t, parts, a, "%s has %s", setCookie, a)
	}
}

func (w *walker) mint(alg, header string, claims map[string]any) string {
	si := enc(header) + "." + enc(mustJSON(claims))
	var m = hmac.New(sha256.New, []byte(w.app.Secret))
	if alg == "HS512" {
		m = hmac.New(sha512.New, []byte(w.app.Secret))
	}
	m.Write([]byte(si))
	return si + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tamper changes the payload, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	p = bytes.Replace(p, []byte(`"sub":"`), []byte(`"sub":"x`), 1)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
}

func decode(t *testing.T, tok string) (header, claims map[string]any) {
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, v), strconv.Itoa(i))
	}
	return header, claims
}
