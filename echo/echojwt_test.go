package echojwt_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
	"github.com/jwtgate/jwtgate/extractors"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newAuth(t *testing.T, modify func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{Keys: jwtgate.HMAC(testSecret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"}}
	if modify != nil {
		modify(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}

func token(t *testing.T, scope string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtgate.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "iss", Subject: "alice", Audience: jwt.ClaimStrings{"aud"}, ID: "jti-1", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		Scope:            jwtgate.ScopeClaim(scope),
	}).SignedString(testSecret)
	require.NoError(t, err)
	return s
}

// whoami answers the subject of the token it finds through the package's
// accessor, the core's context functions and c.Get (when a ContextKey
// "jwtgate" put it there), or "anonymous".
func whoami(c echo.Context) error {
	t, ok := echojwt.Token(c)
	if !ok {
		return c.String(http.StatusOK, "anonymous")
	}
	claims, _ := echojwt.Claims[*jwtgate.Claims](c)
	core, _ := jwtgate.FromContext(c.Request().Context())
	stored, isStored := c.Get("jwtgate").(*jwtgate.Token)
	if claims.Subject != t.Subject || core != t || isStored && stored != t {
		return c.String(http.StatusOK, "inconsistent")
	}
	return c.String(http.StatusOK, t.Subject)
}

func serve(h http.Handler, method, target, tok string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The constructors take the types echo's own middleware uses.
var _ echo.MiddlewareFunc = echojwt.New(echojwt.Config{Authenticator: &jwtgate.Authenticator{}})

func TestConstructors(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "echojwt: New: Config.Authenticator is nil", func() { echojwt.New(echojwt.Config{}) })
	assert.PanicsWithValue(t, "echojwt: RequireScopes: Config.Authenticator is nil", func() { echojwt.RequireScopes(echojwt.Config{}, "a") })
	cfg := echojwt.Config{Authenticator: newAuth(t, nil)}
	assert.PanicsWithValue(t, `echojwt: RequireScopes: jwtgate: scope "a b" is empty or holds characters RFC 6750 §3 forbids`,
		func() { echojwt.RequireScopes(cfg, "a b") })
	assert.Panics(t, func() { echojwt.RequireScopes(cfg) })

	mw, err := echojwt.Config{}.ToMiddleware()
	assert.Nil(t, mw)
	assert.EqualError(t, err, "echojwt: ToMiddleware: Config.Authenticator is nil")
	mw, err = cfg.ToMiddleware()
	assert.NoError(t, err)
	assert.NotNil(t, mw)
}

// TestDefaultErrorRendering: echo's default HTTPErrorHandler, in normal and
// Debug mode, renders the core's answer exactly: status, challenge,
// Content-Type, Cache-Control and the JSON body, never wrapped in "message"
// and never with the error's text.
func TestDefaultErrorRendering(t *testing.T) {
	t.Parallel()
	down := newAuth(t, func(c *jwtgate.Config) { c.Revoker = failingRevoker{} })
	auth := newAuth(t, nil)
	const realm = `Bearer realm="jwtgate"`
	tests := []struct {
		name      string
		auth      *jwtgate.Authenticator
		header    string
		scopes    []string
		status    int
		challenge string
		code      string
		desc      string
	}{
		{name: "no token", auth: auth, status: 401, challenge: realm, code: "missing_token", desc: "No access token was sent"},
		{name: "bad token", auth: auth, header: "Bearer a.b.c", status: 401,
			challenge: realm + `, error="invalid_token", error_description="The access token is malformed"`, code: "invalid_token", desc: "The access token is malformed"},
		{name: "malformed credential", auth: auth, header: "Bearer", status: 400,
			challenge: realm + `, error="invalid_request", error_description="The access token credential is malformed"`, code: "invalid_request", desc: "The access token credential is malformed"},
		{name: "missing scope", auth: auth, header: "Bearer " + token(t, "read"), scopes: []string{"admin"}, status: 403,
			challenge: realm + `, error="insufficient_scope", scope="admin"`, code: "insufficient_scope", desc: "The access token lacks a required scope"},
		{name: "revocation store down: 503 without challenge", auth: down, header: "Bearer " + token(t, ""), status: 503,
			code: "temporarily_unavailable", desc: "The token could not be checked; try again later"},
	}
	for _, tt := range tests {
		for _, debug := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e := echo.New()
				e.Debug = debug
				cfg := echojwt.Config{Authenticator: tt.auth}
				mw := []echo.MiddlewareFunc{echojwt.New(cfg)}
				if tt.scopes != nil {
					mw = append(mw, echojwt.RequireScopes(cfg, tt.scopes...))
				}
				e.GET("/", whoami, mw...)
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				if tt.header != "" {
					r.Header.Set("Authorization", tt.header)
				}
				w := httptest.NewRecorder()
				e.ServeHTTP(w, r)

				assert.Equal(t, tt.status, w.Code)
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
				assert.Len(t, w.Header().Values("WWW-Authenticate"), min(len(tt.challenge), 1))
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
				var body map[string]any
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), "body %q", w.Body)
				assert.Equal(t, map[string]any{"error": tt.code, "error_description": tt.desc}, body)
			})
		}
	}
}

type failingRevoker struct{}

func (failingRevoker) IsRevoked(context.Context, *jwtgate.Token) (bool, error) {
	return false, errors.New("store down")
}

// recorder records the order in which the hooks and the handler ran.
type recorder struct {
	mu    sync.Mutex
	steps []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, s)
}

// TestHooks: Skipper skips everything (no authentication is attempted),
// BeforeFunc runs first, SuccessHandler runs only after a verified token.
func TestHooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		optional bool
		token    string
		skip     bool
		status   int
		body     string
		steps    []string
	}{
		{name: "valid token", token: token(t, ""), status: 200, body: "alice",
			steps: []string{"skipper", "before", "core:success", "success", "handler"}},
		{name: "no token", status: 401, steps: []string{"skipper", "before", "core:error"}},
		{name: "bad token", token: "a.b.c", status: 401, steps: []string{"skipper", "before", "core:error"}},
		{name: "no token, optional: no SuccessHandler", optional: true, status: 200, body: "anonymous",
			steps: []string{"skipper", "before", "handler"}},
		{name: "skipped without token", skip: true, status: 200, body: "anonymous", steps: []string{"skipper", "handler"}},
		{name: "skipped with a valid token: not authenticated", skip: true, token: token(t, ""), status: 200, body: "anonymous",
			steps: []string{"skipper", "handler"}},
		{name: "skipped with a bad token", skip: true, token: "a.b.c", status: 200, body: "anonymous", steps: []string{"skipper", "handler"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			auth := newAuth(t, func(c *jwtgate.Config) {
				c.CredentialsOptional = tt.optional
				c.OnSuccess = func(context.Context, *jwtgate.Token) { rec.add("core:success") }
				c.OnError = func(context.Context, error) { rec.add("core:error") }
			})
			cfg := echojwt.Config{
				Skipper:        func(echo.Context) bool { rec.add("skipper"); return tt.skip },
				Authenticator:  auth,
				BeforeFunc:     func(echo.Context) { rec.add("before") },
				SuccessHandler: func(c echo.Context) { rec.add("success") },
			}
			e := echo.New()
			e.GET("/", func(c echo.Context) error { rec.add("handler"); return whoami(c) }, echojwt.New(cfg))
			w := serve(e, http.MethodGet, "/", tt.token)
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
			assert.Equal(t, tt.steps, rec.steps)
		})
	}
}

// TestSuccessHandlerSeesToken: the token is stored before SuccessHandler runs.
func TestSuccessHandlerSeesToken(t *testing.T) {
	t.Parallel()
	var sub string
	cfg := echojwt.Config{
		Authenticator:  newAuth(t, nil),
		SuccessHandler: func(c echo.Context) { tok, _ := echojwt.Token(c); sub = tok.Subject },
	}
	e := echo.New()
	e.GET("/", whoami, echojwt.New(cfg))
	assert.Equal(t, "alice", serve(e, http.MethodGet, "/", token(t, "")).Body.String())
	assert.Equal(t, "alice", sub)
}

// TestErrorHandler: a custom ErrorHandler sees the jwtgate error; its return
// value decides what happens.
func TestErrorHandler(t *testing.T) {
	t.Parallel()
	errCustom := echo.NewHTTPError(http.StatusTeapot, "go away")
	tests := []struct {
		name    string
		token   string
		scopes  []string
		handler func(c echo.Context, err error) error
		kind    error
		status  int
		body    string
		// carryOn sets ContinueOnIgnoredError; challenge: the default answer
		// (with its challenge) was sent.
		carryOn, challenge bool
	}{
		{name: "missing token, error returned", handler: func(echo.Context, error) error { return errCustom },
			kind: jwtgate.ErrTokenMissing, status: http.StatusTeapot, body: `{"message":"go away"}` + "\n"},
		{name: "bad token, error returned", token: "a.b.c", handler: func(echo.Context, error) error { return errCustom },
			kind: jwtgate.ErrInvalidToken, status: http.StatusTeapot, body: `{"message":"go away"}` + "\n"},
		{name: "missing scope, error returned", token: token(t, "read"), scopes: []string{"admin"},
			handler: func(echo.Context, error) error { return errCustom }, kind: jwtgate.ErrInsufficientScope, status: http.StatusTeapot},
		{name: "nil returned: the default answer, never the handler", token: "a.b.c", handler: func(echo.Context, error) error { return nil },
			kind: jwtgate.ErrInvalidToken, status: 401, challenge: true},
		{name: "nil returned for a scope: the default answer", token: token(t, "read"), scopes: []string{"admin"},
			handler: func(echo.Context, error) error { return nil }, kind: jwtgate.ErrInsufficientScope, status: 403, challenge: true},
		{name: "nil returned with ContinueOnIgnoredError: continue without token", token: "a.b.c", carryOn: true,
			handler: func(echo.Context, error) error { return nil }, kind: jwtgate.ErrInvalidToken, status: 200, body: "anonymous"},
		// A scope guard never lets a refusal go on: ContinueOnIgnoredError is New's.
		{name: "nil returned for a scope with ContinueOnIgnoredError: still refused", token: token(t, "read"), scopes: []string{"admin"}, carryOn: true,
			handler: func(echo.Context, error) error { return nil }, kind: jwtgate.ErrInsufficientScope, status: 403, challenge: true},
		{name: "a refusal New let go on reaching a scope guard: refused as New refused it", token: "a.b.c", scopes: []string{"read"}, carryOn: true,
			handler: func(echo.Context, error) error { return nil }, kind: jwtgate.ErrInvalidToken, status: 401, challenge: true},
		{name: "answer written and nil returned: stop", token: "a.b.c",
			handler: func(c echo.Context, _ error) error { return c.String(http.StatusForbidden, "written") },
			kind:    jwtgate.ErrInvalidToken, status: http.StatusForbidden, body: "written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got error
			cfg := echojwt.Config{
				Authenticator:          newAuth(t, nil),
				ErrorHandler:           func(c echo.Context, err error) error { got = err; return tt.handler(c, err) },
				ContinueOnIgnoredError: tt.carryOn,
			}
			mw := []echo.MiddlewareFunc{echojwt.New(cfg)}
			if tt.scopes != nil {
				mw = append(mw, echojwt.RequireScopes(cfg, tt.scopes...))
			}
			e := echo.New()
			e.GET("/", whoami, mw...)
			w := serve(e, http.MethodGet, "/", tt.token)
			assert.ErrorIs(t, got, tt.kind)
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
			if tt.challenge {
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer realm=", "the default answer")
			} else {
				assert.Empty(t, w.Header().Get("WWW-Authenticate"), "a custom ErrorHandler answers alone")
			}
		})
	}
}

// TestAppErrorHandler: the refusal reaches the app's own HTTPErrorHandler as
// an *echo.HTTPError whose Internal is the jwtgate error.
func TestAppErrorHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		scopes []string
		status int
		kind   error
		cause  error
	}{
		{name: "missing token", status: 401, kind: jwtgate.ErrTokenMissing},
		{name: "expired token", status: 401, kind: jwtgate.ErrInvalidToken, cause: jwt.ErrTokenExpired,
			token: func() string {
				s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Issuer: "iss", Audience: jwt.ClaimStrings{"aud"},
					ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Hour))}).SignedString(testSecret)
				return s
			}()},
		{name: "malformed credential", status: 400, kind: jwtgate.ErrInvalidRequest, token: "a b"},
		{name: "missing scope", status: 403, kind: jwtgate.ErrInsufficientScope, token: token(t, "read"), scopes: []string{"admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got error
			e := echo.New()
			e.HTTPErrorHandler = func(err error, c echo.Context) {
				got = err
				_ = c.String(http.StatusTeapot, "app")
			}
			cfg := echojwt.Config{Authenticator: newAuth(t, nil)}
			mw := []echo.MiddlewareFunc{echojwt.New(cfg)}
			if tt.scopes != nil {
				mw = append(mw, echojwt.RequireScopes(cfg, tt.scopes...))
			}
			e.GET("/", whoami, mw...)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			assert.Equal(t, http.StatusTeapot, w.Code)

			var he *echo.HTTPError
			require.ErrorAs(t, got, &he)
			assert.Equal(t, tt.status, he.Code)
			assert.ErrorIs(t, got, tt.kind, "errors.Is through HTTPError.Unwrap")
			assert.ErrorIs(t, he.Internal, tt.kind)
			if tt.cause != nil {
				assert.ErrorIs(t, he.Internal, tt.cause)
			}
			var je *jwtgate.Error
			assert.ErrorAs(t, got, &je)
			b, err := json.Marshal(he.Message)
			require.NoError(t, err)
			assert.JSONEq(t, string(cfg.Authenticator.Response(he.Internal).Body()), string(b))
		})
	}
}

// TestPerRoute: a group and a single route are protected, the rest is not; a
// token in a path parameter is read through echo's router.
func TestPerRoute(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	byParam := newAuth(t, func(c *jwtgate.Config) { c.Extractor = extractors.Param("token") })
	e := echo.New()
	e.GET("/public", whoami)
	e.GET("/single", whoami, echojwt.New(echojwt.Config{Authenticator: auth}))
	e.GET("/download/:token", whoami, echojwt.New(echojwt.Config{Authenticator: byParam}))
	api := e.Group("/api", echojwt.New(echojwt.Config{Authenticator: auth, ContextKey: "jwtgate"}))
	api.GET("/me", whoami)
	admin := api.Group("/admin", echojwt.RequireScopes(echojwt.Config{Authenticator: auth}, "admin"))
	admin.GET("", whoami)

	tests := []struct {
		name   string
		path   string
		token  string
		status int
		body   string
	}{
		{name: "public route without token", path: "/public", status: 200, body: "anonymous"},
		{name: "public route ignores a bad token", path: "/public", token: "a.b.c", status: 200, body: "anonymous"},
		{name: "single route without token", path: "/single", status: 401},
		{name: "single route with token", path: "/single", token: token(t, ""), status: 200, body: "alice"},
		{name: "group without token", path: "/api/me", status: 401},
		{name: "group with token", path: "/api/me", token: token(t, ""), status: 200, body: "alice"},
		{name: "nested group without the scope", path: "/api/admin", token: token(t, "read"), status: 403},
		{name: "nested group with the scope", path: "/api/admin", token: token(t, "read admin"), status: 200, body: "alice"},
		{name: "path parameter token", path: "/download/" + token(t, ""), status: 200, body: "alice"},
		{name: "bad path parameter token", path: "/download/abc.def.ghi", status: 401},
		{name: "path parameter route ignores the header", path: "/download/x", token: token(t, ""), status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := serve(e, http.MethodGet, tt.path, tt.token)
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
		})
	}
}

// TestContextKey: the rule of every adapter. Without a ContextKey nothing
// is stored in echo's per-request map (the token is in the request's
// context); with one, the *jwtgate.Token is stored under it, and under no
// other key.
func TestContextKey(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	for _, tt := range []struct{ key, want string }{
		{key: "", want: "stored under: "},
		{key: "user", want: "stored under: user"},
		{key: "jwtgate", want: "stored under: jwtgate"},
	} {
		t.Run("key "+tt.key, func(t *testing.T) {
			t.Parallel()
			e := echo.New()
			e.GET("/", func(c echo.Context) error {
				tok, ok := echojwt.Token(c)
				if !ok {
					return c.String(http.StatusOK, "no token")
				}
				var under []string
				for _, key := range []string{"user", "jwtgate", "token"} {
					switch v := c.Get(key).(type) {
					case nil:
						continue
					case *jwtgate.Token:
						if v != tok {
							return c.String(http.StatusOK, "another token under "+key)
						}
					default:
						return c.String(http.StatusOK, "another type under "+key)
					}
					under = append(under, key)
				}
				return c.String(http.StatusOK, "stored under: "+strings.Join(under, " "))
			}, echojwt.New(echojwt.Config{Authenticator: auth, ContextKey: tt.key}))
			assert.Equal(t, tt.want, serve(e, http.MethodGet, "/", token(t, "")).Body.String())
		})
	}
}

func TestCredentialsOptional(t *testing.T) {
	t.Parallel()
	cfg := echojwt.Config{Authenticator: newAuth(t, func(c *jwtgate.Config) { c.CredentialsOptional = true })}
	e := echo.New()
	e.GET("/", whoami, echojwt.New(cfg))
	e.GET("/scoped", whoami, echojwt.New(cfg), echojwt.RequireScopes(cfg, "read"))

	assert.Equal(t, "anonymous", serve(e, http.MethodGet, "/", "").Body.String())
	assert.Equal(t, "alice", serve(e, http.MethodGet, "/", token(t, "")).Body.String())
	assert.Equal(t, http.StatusUnauthorized, serve(e, http.MethodGet, "/", token(t, "")+"x").Code)
	w := serve(e, http.MethodGet, "/scoped", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code, "RequireScopes without a token")
	assert.Equal(t, `Bearer realm="jwtgate"`, w.Header().Get("WWW-Authenticate"))
}

func TestAccessorsWithoutMiddleware(t *testing.T) {
	t.Parallel()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	tok, ok := echojwt.Token(c)
	assert.False(t, ok)
	assert.Nil(t, tok)
	claims, ok := echojwt.Claims[*jwtgate.Claims](c)
	assert.False(t, ok)
	assert.Nil(t, claims)
}

// TestMiswired: RequireScopes without New in front of it answers a request
// that sends a token 500, wherever the token is read from (a path parameter
// too: the guard reads the request through New's view; it read a bare
// net/http one, found no token and answered 401 where Echo v5 answered
// 500), and one that sends none 401.
func TestMiswired(t *testing.T) {
	t.Parallel()
	byParam := newAuth(t, func(c *jwtgate.Config) { c.Extractor = extractors.Param("token") })
	e := echo.New()
	e.GET("/header", whoami, echojwt.RequireScopes(echojwt.Config{Authenticator: newAuth(t, nil)}, "read"))
	e.GET("/download/:token", whoami, echojwt.RequireScopes(echojwt.Config{Authenticator: byParam}, "read"))
	tests := []struct {
		name, path, token string
		status            int
	}{
		{name: "header token", path: "/header", token: token(t, "read"), status: 500},
		{name: "no token", path: "/header", status: 401},
		{name: "path parameter token", path: "/download/" + token(t, "read"), status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.status, serve(e, http.MethodGet, tt.path, tt.token).Code)
		})
	}
}
