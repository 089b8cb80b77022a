package fiberjwt_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newAuth(t testing.TB, modify func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{Keys: jwtgate.HMAC(testSecret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"}}
	if modify != nil {
		modify(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}

func withExtractor(ex extractors.Extractor) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) { c.Extractor = ex }
}

// signed mints a token for sub with scope, valid for exp from now.
func signed(t testing.TB, sub, scope string, exp time.Duration) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtgate.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "iss", Subject: sub, Audience: jwt.ClaimStrings{"aud"}, ID: "jti-" + sub,
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(exp)),
		},
		Scope: jwtgate.ScopeClaim(scope),
	}).SignedString(testSecret)
	require.NoError(t, err)
	return s
}

// whoami answers the subject of the request's token, or "anonymous".
func whoami(c fiber.Ctx) error {
	if t, ok := fiberjwt.Token(c); ok {
		return c.SendString(t.Subject)
	}
	return c.SendString("anonymous")
}

// request is one request of a table and the answer it must get.
type request struct {
	method, target, body string
	headers              [][2]string
	status               int
	answer               string // the body; "" is not checked
}

func bearer(tok string) [][2]string { return [][2]string{{"Authorization", "Bearer " + tok}} }

func (rq request) build() *http.Request {
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(method, rq.target, body)
	for _, h := range rq.headers {
		if h[0] == "Host" {
			r.Host = h[1] // net/http keeps it out of the header map
			continue
		}
		r.Header.Add(h[0], h[1])
	}
	return r
}

// check sends rq through the app's real request parser (app.Test).
func check(t *testing.T, app *fiber.App, rq request) *http.Response {
	t.Helper()
	res, err := app.Test(rq.build(), fiber.TestConfig{}) // no timeout
	require.NoError(t, err)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, rq.status, res.StatusCode, "status; body %s", b)
	if rq.answer != "" {
		assert.Equal(t, rq.answer, string(b))
	}
	return res
}

// listen serves app on a free loopback port until the test ends.
func listen(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() {
		assert.NoError(t, app.ShutdownWithTimeout(5*time.Second))
		assert.NoError(t, <-done)
	})
	return "http://" + ln.Addr().String()
}

func TestConstructorsPanic(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "fiberjwt: New: Config.Authenticator is nil", func() { fiberjwt.New(fiberjwt.Config{}) })
	assert.PanicsWithValue(t, "fiberjwt: RequireScopes: Config.Authenticator is nil", func() { fiberjwt.RequireScopes(fiberjwt.Config{}, "a") })
	cfg := fiberjwt.Config{Authenticator: newAuth(t, nil)}
	assert.PanicsWithValue(t, `fiberjwt: RequireScopes: jwtgate: scope "a b" is empty or holds characters RFC 6750 §3 forbids`,
		func() { fiberjwt.RequireScopes(cfg, "a b") })
	assert.Panics(t, func() { fiberjwt.RequireScopes(cfg) })
}

func TestNext(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	skipHealth := func(c fiber.Ctx) bool { return c.Path() == "/healthz" }
	cfg := fiberjwt.Config{Next: skipHealth, Authenticator: auth}
	app := fiber.New()
	app.Use(fiberjwt.New(cfg), fiberjwt.RequireScopes(cfg, "read"))
	app.Get("/healthz", whoami)
	app.Get("/me", whoami)
	tok := signed(t, "alice", "read", time.Hour)
	tests := []struct {
		name string
		request
	}{
		{name: "skipped without a token", request: request{target: "/healthz", status: 200, answer: "anonymous"}},
		{name: "skipped: a bad token is not even read", request: request{target: "/healthz", headers: bearer("x.y.z"), status: 200, answer: "anonymous"}},
		{name: "skipped: a good token is not read either", request: request{target: "/healthz", headers: bearer(tok), status: 200, answer: "anonymous"}},
		{name: "not skipped, no token", request: request{target: "/me", status: 401}},
		{name: "not skipped, good token", request: request{target: "/me", headers: bearer(tok), status: 200, answer: "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, app, tt.request)
		})
	}
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	expired := signed(t, "alice", "read", -time.Hour)
	payFirst := fiber.NewError(fiber.StatusPaymentRequired, "pay first")
	tests := []struct {
		name string
		// answer is the ErrorHandler's: what it writes and returns.
		answer  func(c fiber.Ctx, err error) error
		headers [][2]string
		target  string
		kinds   []error // errors.Is targets of the error it gets
		status  int
		body    string
		appErr  error // errors.Is target of the error the app's ErrorHandler gets; nil: none
	}{
		{name: "missing token, custom answer", answer: teapot, target: "/me",
			kinds: []error{jwtgate.ErrTokenMissing}, status: http.StatusTeapot, body: "custom"},
		{name: "expired token: kind and golang-jwt cause", answer: teapot, target: "/me", headers: bearer(expired),
			kinds: []error{jwtgate.ErrInvalidToken, jwt.ErrTokenExpired}, status: http.StatusTeapot, body: "custom"},
		{name: "repeated header: kind and extractor cause", answer: teapot, target: "/me",
			headers: append(bearer(expired), bearer(expired)...),
			kinds:   []error{jwtgate.ErrInvalidRequest, extractors.ErrRepeated}, status: http.StatusTeapot, body: "custom"},
		{name: "a returned fiber error reaches the app's ErrorHandler", target: "/me",
			answer: func(fiber.Ctx, error) error { return payFirst },
			kinds:  []error{jwtgate.ErrTokenMissing}, status: http.StatusPaymentRequired, body: "app", appErr: payFirst},
		{name: "a returned jwtgate error reaches the app's ErrorHandler", target: "/me",
			answer: func(_ fiber.Ctx, err error) error { return err },
			kinds:  []error{jwtgate.ErrTokenMissing}, status: http.StatusInternalServerError, body: "app", appErr: jwtgate.ErrTokenMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got, gotByApp error
			app := fiber.New(fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
				gotByApp = err
				code := fiber.StatusInternalServerError
				if fe := (*fiber.Error)(nil); errors.As(err, &fe) {
					code = fe.Code
				}
				return c.Status(code).SendString("app")
			}})
			cfg := fiberjwt.Config{Authenticator: newAuth(t, nil), ErrorHandler: func(c fiber.Ctx, err error) error {
				got = err
				return tt.answer(c, err)
			}}
			app.Get("/me", fiberjwt.New(cfg), whoami)
			app.Get("/admin", fiberjwt.New(cfg), fiberjwt.RequireScopes(cfg, "admin"), whoami)
			res := check(t, app, request{target: tt.target, headers: tt.headers, status: tt.status, answer: tt.body})
			for _, kind := range tt.kinds {
				assert.ErrorIs(t, got, kind)
			}
			if tt.appErr != nil {
				assert.ErrorIs(t, gotByApp, tt.appErr)
			} else {
				assert.NoError(t, gotByApp, "a nil return is final")
			}
			assert.Empty(t, res.Header.Get("WWW-Authenticate"), "a custom ErrorHandler writes what it wants")
		})
	}
}

func teapot(c fiber.Ctx, _ error) error { return c.Status(http.StatusTeapot).SendString("custom") }

func TestDefaultErrorHandler(t *testing.T) {
	t.Parallel()
	cfg := fiberjwt.Config{Authenticator: newAuth(t, func(c *jwtgate.Config) { c.Realm = "api" })}
	app := fiber.New()
	app.Get("/me", fiberjwt.New(cfg), whoami)
	app.Get("/admin", fiberjwt.New(cfg), fiberjwt.RequireScopes(cfg, "admin"), whoami)
	tok := signed(t, "alice", "read", time.Hour)
	tests := []struct {
		name      string
		request   request
		challenge string
	}{
		{name: "missing", request: request{target: "/me", status: 401,
			answer: `{"error":"missing_token","error_description":"No access token was sent"}`},
			challenge: `Bearer realm="api"`},
		{name: "malformed", request: request{target: "/me", headers: bearer(tok + " x"), status: 400,
			answer: `{"error":"invalid_request","error_description":"The access token credential is malformed"}`},
			challenge: `Bearer realm="api", error="invalid_request", error_description="The access token credential is malformed"`},
		{name: "not a JWT", request: request{target: "/me", headers: bearer("abc.def"), status: 401,
			answer: `{"error":"invalid_token","error_description":"The access token is malformed"}`},
			challenge: `Bearer realm="api", error="invalid_token", error_description="The access token is malformed"`},
		{name: "expired", request: request{target: "/me", headers: bearer(signed(t, "alice", "read", -time.Hour)), status: 401,
			answer: `{"error":"invalid_token","error_description":"The access token expired"}`},
			challenge: `Bearer realm="api", error="invalid_token", error_description="The access token expired"`},
		{name: "scope", request: request{target: "/admin", headers: bearer(tok), status: 403,
			answer: `{"error":"insufficient_scope","error_description":"The access token lacks a required scope"}`},
			challenge: `Bearer realm="api", error="insufficient_scope", scope="admin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := check(t, app, tt.request)
			assert.Equal(t, []string{tt.challenge}, res.Header.Values("WWW-Authenticate"))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		})
	}
}

// TestContextStores: the rule of every adapter. The token is in
// c.Context(), where code written against the core finds it; in c.Locals
// only when Config.ContextKey is set, under that key and no other
// (fiber.Locals and fiber.ValueFromContext find it there); with
// PassLocalsToContext, c.Context() also holds it under the Locals key, as
// fiber.StoreInContext puts values there.
func TestContextStores(t *testing.T) {
	t.Parallel()
	optional := newAuth(t, func(c *jwtgate.Config) { c.CredentialsOptional = true })
	tok := signed(t, "alice", "read", time.Hour)
	tests := []struct {
		name      string
		key       string // Config.ContextKey
		pass      bool   // fiber.Config.PassLocalsToContext
		headers   [][2]string
		wantLocal string // the key under which Locals holds the token; "" none
	}{
		{name: "no key: not in Locals", headers: bearer(tok)},
		{name: "key user", key: "user", headers: bearer(tok), wantLocal: "user"},
		{name: "key jwtgate, the former default", key: "jwtgate", headers: bearer(tok), wantLocal: "jwtgate"},
		{name: "no token with CredentialsOptional", key: "user"},
		{name: "PassLocalsToContext, no key", pass: true, headers: bearer(tok)},
		{name: "PassLocalsToContext, key user", pass: true, key: "user", headers: bearer(tok), wantLocal: "user"},
		{name: "PassLocalsToContext, no token", pass: true, key: "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := fiber.New(fiber.Config{PassLocalsToContext: tt.pass})
			app.Get("/", fiberjwt.New(fiberjwt.Config{Authenticator: optional, ContextKey: tt.key}), func(c fiber.Ctx) error {
				byToken, okToken := fiberjwt.Token(c)
				byCore, okCore := jwtgate.FromContext(c.Context())
				claims, okClaims := fiberjwt.Claims[*jwtgate.Claims](c)
				_, okOther := fiberjwt.Claims[*jwt.RegisteredClaims](c)
				assert.False(t, okOther, "claims of another type")
				_, okFiberCtx := jwtgate.FromContext(c)
				assert.False(t, okFiberCtx, "c as a context.Context reads c.Locals: use c.Context()")
				for _, key := range []string{"user", "jwtgate", "token"} {
					if key != tt.wantLocal {
						assert.Nil(t, c.Locals(key), "Locals(%q)", key)
						assert.Nil(t, c.Context().Value(key), "c.Context().Value(%q)", key)
					}
				}
				if tt.headers == nil {
					assert.False(t, okToken || okCore || okClaims)
					return c.SendStatus(http.StatusNoContent)
				}
				require.True(t, okToken && okCore && okClaims)
				assert.Same(t, byToken, byCore)
				assert.Same(t, byToken.Claims, claims)
				if tt.wantLocal == "" {
					return c.SendString(claims.Subject)
				}
				assert.Same(t, byToken, fiber.Locals[*jwtgate.Token](c, tt.wantLocal), "Locals(%q)", tt.wantLocal)
				local, ok := fiber.ValueFromContext[*jwtgate.Token](c, tt.wantLocal)
				assert.True(t, ok)
				assert.Same(t, byToken, local)
				inContext, ok := fiber.ValueFromContext[*jwtgate.Token](c.Context(), tt.wantLocal)
				assert.Equal(t, tt.pass, ok, "in c.Context() under %q", tt.wantLocal)
				if tt.pass {
					assert.Same(t, byToken, inContext)
				}
				return c.SendString(claims.Subject)
			})
			want := request{target: "/", headers: tt.headers, status: 200, answer: "alice"}
			if tt.headers == nil {
				want.status, want.answer = http.StatusNoContent, ""
			}
			check(t, app, want)
		})
	}
}

// TestCacheControl: a token sent in the URL query makes the answer
// Cache-Control: private (RFC 6750 §2.3), cache hit or not; a token in the
// header adds nothing.
func TestCacheControl(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, withExtractor(extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Query("access_token"))))
	app := fiber.New()
	app.Get("/", fiberjwt.New(fiberjwt.Config{Authenticator: auth}), whoami)
	tok := signed(t, "alice", "", time.Hour)
	tests := []struct {
		name string
		request
		want string
	}{
		{name: "query", request: request{target: "/?access_token=" + tok, status: 200, answer: "alice"}, want: "private"},
		{name: "query again (a cache hit)", request: request{target: "/?access_token=" + tok, status: 200, answer: "alice"}, want: "private"},
		{name: "header", request: request{target: "/", headers: bearer(tok), status: 200, answer: "alice"}, want: ""},
	}
	for _, tt := range tests { // in order: the second request is a cache hit
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, app, tt.request)
			assert.Equal(t, tt.want, res.Header.Get("Cache-Control"))
		})
	}
}

// customCtx is an application's own context type (fiber.NewWithCustomCtx),
// which the middleware reads through the fiber.Ctx interface.
type customCtx struct {
	fiber.DefaultCtx
}

func (c *customCtx) Subject() string {
	if t, ok := fiberjwt.Token(c); ok {
		return t.Subject
	}
	return "anonymous"
}

func TestCustomCtx(t *testing.T) {
	t.Parallel()
	cfg := fiberjwt.Config{Authenticator: newAuth(t, nil)}
	download := fiberjwt.Config{Authenticator: newAuth(t, withExtractor(extractors.Param("token")))}
	app := fiber.NewWithCustomCtx(func(app *fiber.App) fiber.CustomCtx {
		return &customCtx{DefaultCtx: *fiber.NewDefaultCtx(app)}
	})
	subject := func(c fiber.Ctx) error { return c.SendString(c.(*customCtx).Subject()) }
	app.Get("/me", fiberjwt.New(cfg), fiberjwt.RequireScopes(cfg, "read"), subject)
	app.Get("/download/:token", fiberjwt.New(download), subject)
	alice := signed(t, "alice", "read", time.Hour)
	tests := []struct {
		name string
		request
	}{
		{name: "token", request: request{target: "/me", headers: bearer(alice), status: 200, answer: "alice"}},
		{name: "token again (a cache hit)", request: request{target: "/me", headers: bearer(alice), status: 200, answer: "alice"}},
		{name: "no token", request: request{target: "/me", status: 401}},
		{name: "scope missing", request: request{target: "/me", headers: bearer(signed(t, "bob", "", time.Hour)), status: 403}},
		{name: "path parameter", request: request{target: "/download/" + alice, status: 200, answer: "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, app, tt.request)
		})
	}
}

func TestSuccessHandler(t *testing.T) {
	t.Parallel()
	cfg := fiberjwt.Config{Authenticator: newAuth(t, nil), SuccessHandler: func(c fiber.Ctx) error {
		tok, _ := fiberjwt.Token(c)
		c.Set("X-Subject", tok.Subject)
		return c.Next()
	}}
	app := fiber.New()
	app.Get("/", fiberjwt.New(cfg), whoami)
	res := check(t, app, request{target: "/", headers: bearer(signed(t, "alice", "", time.Hour)), status: 200, answer: "alice"})
	assert.Equal(t, "alice", res.Header.Get("X-Subject"))
	res = check(t, app, request{target: "/", status: 401})
	assert.Empty(t, res.Header.Get("X-Subject"), "SuccessHandler runs only for a verified request")
}

// TestPerRouteAndGroup protects a group, one route, and a path-parameter
// route, next to public routes.
func TestPerRouteAndGroup(t *testing.T) {
	t.Parallel()
	cfg := fiberjwt.Config{Authenticator: newAuth(t, nil)}
	download := fiberjwt.Config{Authenticator: newAuth(t, withExtractor(extractors.Param("token")))}
	app := fiber.New()
	app.Get("/public", whoami)
	api := app.Group("/api", fiberjwt.New(cfg))
	api.Get("/me", whoami)
	api.Get("/admin", fiberjwt.RequireScopes(cfg, "admin"), whoami)
	app.Get("/orders", fiberjwt.New(cfg), whoami)
	app.Get("/download/:token", fiberjwt.New(download), whoami)
	app.Get("/after", whoami)

	alice, admin := signed(t, "alice", "read", time.Hour), signed(t, "admin", "read admin", time.Hour)
	tests := []struct {
		name string
		request
	}{
		{name: "public route", request: request{target: "/public", status: 200, answer: "anonymous"}},
		{name: "public route ignores a token", request: request{target: "/public", headers: bearer("x.y.z"), status: 200, answer: "anonymous"}},
		{name: "route registered after is public", request: request{target: "/after", status: 200, answer: "anonymous"}},
		{name: "group without token", request: request{target: "/api/me", status: 401}},
		{name: "group with token", request: request{target: "/api/me", headers: bearer(alice), status: 200, answer: "alice"}},
		{name: "scoped route, scope missing", request: request{target: "/api/admin", headers: bearer(alice), status: 403}},
		{name: "scoped route, scope granted", request: request{target: "/api/admin", headers: bearer(admin), status: 200, answer: "admin"}},
		{name: "one route without token", request: request{target: "/orders", status: 401}},
		{name: "one route with token", request: request{target: "/orders", headers: bearer(alice), status: 200, answer: "alice"}},
		{name: "path parameter token", request: request{target: "/download/" + alice, status: 200, answer: "alice"}},
		{name: "bad path parameter token", request: request{target: "/download/abc.def.ghi", status: 401}},
		{name: "path parameter with a character outside b64token", request: request{target: "/download/a%21b", status: 400}},
		{name: "path route reads no header", request: request{target: "/download/x", headers: bearer(alice), status: 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, app, tt.request)
		})
	}
}

// TestSources sends the token by every method through fasthttp's parser:
// header lines, raw Cookie lines, query and form arguments.
func TestSources(t *testing.T) {
	t.Parallel()
	all := extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token"),
		extractors.Query("access_token"), extractors.Form("access_token"))
	app := fiber.New()
	app.All("/", fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, withExtractor(all))}), whoami)
	tok := signed(t, "alice", "", time.Hour)
	form := [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}
	tests := []struct {
		name string
		request
	}{
		{name: "header", request: request{target: "/", headers: bearer(tok), status: 200, answer: "alice"}},
		{name: "header name in lower case", request: request{target: "/", headers: [][2]string{{"authorization", "Bearer " + tok}}, status: 200, answer: "alice"}},
		{name: "two header lines", request: request{target: "/", headers: append(bearer(tok), bearer(tok)...), status: 400}},
		{name: "cookie", request: request{target: "/", headers: [][2]string{{"Cookie", "a=b; access_token=" + tok + "; c=d"}}, status: 200, answer: "alice"}},
		{name: "quoted cookie", request: request{target: "/", headers: [][2]string{{"Cookie", `access_token="` + tok + `"`}}, status: 200, answer: "alice"}},
		{name: "cleared cookie", request: request{target: "/", headers: [][2]string{{"Cookie", "access_token="}}, status: 401}},
		{name: "two cookies on one line", request: request{target: "/", headers: [][2]string{{"Cookie", "access_token=" + tok + "; access_token=" + tok}}, status: 400}},
		{name: "two cookie lines", request: request{target: "/", headers: [][2]string{{"Cookie", "access_token=" + tok}, {"Cookie", "access_token=" + tok}}, status: 400}},
		{name: "cookie name trimmed as net/http trims it", request: request{target: "/", headers: [][2]string{{"Cookie", "access_token =" + tok}}, status: 200, answer: "alice"}},
		{name: "second cookie behind a space", request: request{target: "/", headers: [][2]string{{"Cookie", "access_token=" + tok + "; access_token =" + tok}}, status: 400}},
		{name: "query", request: request{target: "/?access_token=" + tok, status: 200, answer: "alice"}},
		{name: "query, escaped name", request: request{target: "/?access%5Ftoken=" + tok, status: 200, answer: "alice"}},
		{name: "query twice", request: request{target: "/?access_token=" + tok + "&access_token=" + tok, status: 400}},
		{name: "form POST", request: request{method: "POST", target: "/", body: "access_token=" + tok, headers: form, status: 200, answer: "alice"}},
		{name: "form PUT, media type in another case with a parameter", request: request{method: "PUT", target: "/", body: "x=1&access_token=" + tok,
			headers: [][2]string{{"Content-Type", "Application/X-WWW-Form-Urlencoded; charset=utf-8"}}, status: 200, answer: "alice"}},
		{name: "form field twice", request: request{method: "POST", target: "/", body: "access_token=" + tok + "&access_token=" + tok, headers: form, status: 400}},
		{name: "form GET is never read", request: request{method: "GET", target: "/", body: "access_token=" + tok, headers: form, status: 401}},
		{name: "form DELETE is not read (as net/http)", request: request{method: "DELETE", target: "/", body: "access_token=" + tok, headers: form, status: 401}},
		{name: "form of another content type", request: request{method: "POST", target: "/", body: "access_token=" + tok, headers: [][2]string{{"Content-Type", "text/plain"}}, status: 401}},
		{name: "header and cookie", request: request{target: "/", headers: append(bearer(tok), [2]string{"Cookie", "access_token=" + tok}), status: 400}},
		{name: "query and form", request: request{method: "POST", target: "/?access_token=" + tok, body: "access_token=" + tok, headers: form, status: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, app, tt.request)
		})
	}
}

// TestReadBufferSize: Fiber answers a request whose headers do not fit
// fiber.Config.ReadBufferSize with a bare 431 before any handler runs; raised,
// the core answers an oversized token itself.
func TestReadBufferSize(t *testing.T) {
	t.Parallel()
	tok8k := signed(t, "alice", strings.Repeat("s", 5900), time.Hour) // just under the core's 8 KiB limit
	require.Less(t, len(tok8k), defaultMaxTokenSize)
	require.Greater(t, len(tok8k), 4096)
	tests := []struct {
		name       string
		bufferSize int
		token      string
		status     int
		challenge  string
	}{
		{name: "default buffer, 8 KiB token", token: tok8k, status: http.StatusRequestHeaderFieldsTooLarge},
		{name: "32 KiB buffer, 8 KiB token", bufferSize: 32 << 10, token: tok8k, status: 200},
		{name: "32 KiB buffer, 16 KiB token", bufferSize: 32 << 10, token: strings.Repeat("a", 16<<10), status: 401,
			challenge: `Bearer realm="jwtgate", error="invalid_token", error_description="The access token is too large"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := fiber.New(fiber.Config{ReadBufferSize: tt.bufferSize})
			app.Get("/", fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, nil)}), whoami)
			base := listen(t, app)
			r, err := http.NewRequest(http.MethodGet, base+"/", nil)
			require.NoError(t, err)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			res, err := http.DefaultClient.Do(r)
			require.NoError(t, err)
			defer res.Body.Close()
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, tt.challenge, res.Header.Get("WWW-Authenticate"))
		})
	}
}

// TestTokenOutlivesHandler is TR-09: fasthttp reuses its request buffers as
// soon as a handler returns. 1,000 distinct tokens, each sent twice (the
// second time a cache hit, read through the borrowed view, except from a
// cookie), by every method over a few keep-alive connections to a real
// server with the default configuration (Immutable false), hand their
// *jwtgate.Token to a channel; the tokens are read only once every request
// is answered, so the buffers they came from have served later requests
// since.
func TestTokenOutlivesHandler(t *testing.T) {
	t.Parallel()
	// With the cache off too: a token read through the borrowed view is
	// copied by the core once verified, with or without the cache.
	t.Run("cache=on", func(t *testing.T) { testTokenOutlivesHandler(t, 0) })
	t.Run("cache=off", func(t *testing.T) { testTokenOutlivesHandler(t, -1) })
}

func testTokenOutlivesHandler(t *testing.T, cacheSize int) {
	t.Parallel()
	with := func(ex extractors.Extractor) func(*jwtgate.Config) {
		return func(c *jwtgate.Config) { c.Extractor, c.CacheSize = ex, cacheSize }
	}
	const n, rounds, workers = 1000, 2, 16
	all := extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token"),
		extractors.Query("access_token"), extractors.Form("access_token"))
	kept := make(chan *jwtgate.Token, n*rounds)
	keep := func(c fiber.Ctx) error {
		tok, ok := fiberjwt.Token(c)
		if !ok {
			return fiber.ErrInternalServerError
		}
		kept <- tok
		return c.SendString(tok.Subject)
	}
	app := fiber.New()
	app.All("/r", fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, with(all))}), keep)
	app.Get("/p/:token", fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, with(extractors.Param("token")))}), keep)
	base := listen(t, app)

	sent := make(map[string]string, n) // sub → token
	toks := make([]string, n)
	for i := range n {
		sub := "user-" + strconv.Itoa(i) + strings.Repeat("x", i%7)
		toks[i] = signed(t, sub, "", time.Hour)
		sent[sub] = toks[i]
	}
	requests := make([]*http.Request, 0, n*rounds)
	for j := range n * rounds {
		i, tok := j%n, toks[j%n]
		var r *http.Request
		switch i % 5 {
		case 0:
			r, _ = http.NewRequest(http.MethodGet, base+"/r", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
		case 1:
			r, _ = http.NewRequest(http.MethodGet, base+"/r", nil)
			r.Header.Set("Cookie", "access_token="+tok)
		case 2:
			r, _ = http.NewRequest(http.MethodGet, base+"/r?access_token="+url.QueryEscape(tok), nil)
		case 3:
			r, _ = http.NewRequest(http.MethodPost, base+"/r", strings.NewReader("access_token="+tok))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case 4:
			r, _ = http.NewRequest(http.MethodGet, base+"/p/"+tok, nil)
		}
		requests = append(requests, r)
	}

	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 4, MaxIdleConnsPerHost: 4}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	next := make(chan *http.Request)
	errs := make(chan error, n*rounds)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				res, err := client.Do(r)
				if err != nil {
					errs <- err
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs <- errors.New(res.Status + " " + string(b))
				}
			}
		}()
	}
	for _, r := range requests {
		next <- r
	}
	close(next)
	wg.Wait()
	close(errs)
	close(kept)
	for err := range errs {
		t.Error(err)
	}

	seen := make(map[string]int, n) // sub → times
	for tok := range kept {
		want, ok := sent[tok.Subject]
		require.True(t, ok, "unknown subject %q", tok.Subject)
		assert.Equal(t, want, tok.Raw, "Raw of %s, read after the handler returned", tok.Subject)
		assert.Equal(t, "jti-"+tok.Subject, tok.ID)
		seen[tok.Subject]++
	}
	assert.Len(t, seen, n, "tokens handed over")
	for sub, times := range seen {
		assert.Equal(t, rounds, times, sub)
	}
}

// TestRequest: the exported view is what the core reads, for the core's own
// functions that take one; Host is a header like any other.
func TestRequest(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	app := fiber.New()
	app.Post("/items/:id", func(c fiber.Ctx) error {
		r := fiberjwt.Request(c)
		tok, err := auth.Authenticate(c.Context(), r)
		require.NoError(t, err)
		host, n := r.Header("Host")
		assert.Equal(t, "api.example", host)
		assert.Equal(t, 1, n)
		origin, n := r.Header("origin")
		assert.Equal(t, "https://app.example", origin)
		assert.Equal(t, 1, n)
		assert.Equal(t, fiber.MethodPost, r.Method())
		assert.Equal(t, "7", r.Param("id"))
		return c.SendString(tok.Subject)
	})
	headers := append(bearer(signed(t, "alice", "", time.Hour)), [2]string{"Origin", "https://app.example"})
	// Origin form with a Host header, and absolute form, whose host wins over
	// any Host header (RFC 9112 §3.2.2).
	check(t, app, request{method: "POST", target: "/items/7", headers: append(headers, [2]string{"Host", "api.example"}), status: 200, answer: "alice"})
	check(t, app, request{method: "POST", target: "http://api.example/items/7", headers: headers, status: 200, answer: "alice"})
}

// TestScopeGuardCannotBeContinued: an ErrorHandler that lets a refused
// request go on (c.Next(), gofiber contrib's habit for optional
// authentication) does so past New only: RequireScopes answers its
// refusals itself, so a token without the scope is refused 403, and a
// request New refused and let go on is refused by the guard as New refused
// it (401), never taken for a wiring mistake (500) nor let through.
func TestScopeGuardCannotBeContinued(t *testing.T) {
	t.Parallel()
	cfg := fiberjwt.Config{Authenticator: newAuth(t, nil), ErrorHandler: func(c fiber.Ctx, _ error) error { return c.Next() }}
	app := fiber.New()
	app.Get("/me", fiberjwt.New(cfg), whoami)
	app.Get("/admin", fiberjwt.New(cfg), fiberjwt.RequireScopes(cfg, "admin"), whoami)
	check(t, app, request{target: "/me", status: 200, answer: "anonymous"})
	check(t, app, request{target: "/me", headers: bearer("a.b.c"), status: 200, answer: "anonymous"})
	check(t, app, request{target: "/admin", headers: bearer(signed(t, "alice", "read", time.Hour)), status: 403,
		answer: `{"error":"insufficient_scope","error_description":"The access token lacks a required scope"}`})
	check(t, app, request{target: "/admin", headers: bearer("a.b.c"), status: 401,
		answer: `{"error":"invalid_token","error_description":"The access token is malformed"}`})
	check(t, app, request{target: "/admin", status: 401,
		answer: `{"error":"missing_token","error_description":"No access token was sent"}`})
	check(t, app, request{target: "/admin", headers: bearer(signed(t, "alice", "admin", time.Hour)), status: 200, answer: "alice"})
}

// defaultMaxTokenSize is the core's default Config.MaxTokenSize: 8 KiB.
const defaultMaxTokenSize = 8 << 10
