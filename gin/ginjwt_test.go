package ginjwt_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

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
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "iss", Subject: "alice", Audience: jwt.ClaimStrings{"aud"}, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		Scope:            jwtgate.ScopeClaim(scope),
	}).SignedString(testSecret)
	require.NoError(t, err)
	return s
}

func request(method, target, tok string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// ok answers the subject of the token in the request, or "anonymous".
func ok(c *gin.Context) {
	if t, found := ginjwt.Token(c); found {
		c.String(http.StatusOK, t.Subject)
		return
	}
	c.String(http.StatusOK, "anonymous")
}

// The middleware is a plain gin.HandlerFunc: it goes into Use, Group and
// per-route handler lists.
var _ gin.HandlerFunc = ginjwt.New(ginjwt.Config{Authenticator: &jwtgate.Authenticator{}})

func TestConstructorsPanic(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "ginjwt: New: Config.Authenticator is nil", func() { ginjwt.New(ginjwt.Config{}) })
	assert.PanicsWithValue(t, "ginjwt: RequireScopes: Config.Authenticator is nil", func() { ginjwt.RequireScopes(ginjwt.Config{}, "a") })
	cfg := ginjwt.Config{Authenticator: newAuth(t, nil)}
	assert.PanicsWithValue(t, `ginjwt: RequireScopes: jwtgate: scope "a b" is empty or holds characters RFC 6750 §3 forbids`,
		func() { ginjwt.RequireScopes(cfg, "a b") })
	assert.Panics(t, func() { ginjwt.RequireScopes(cfg) }, "no scopes")
	assert.Panics(t, func() { ginjwt.RequireScopes(cfg, "") }, "empty scope")
}

// seen is what an outer middleware, registered first, finds in the
// gin.Context once the chain has run.
type seen struct {
	aborted bool
	errs    []error
	later   bool // the handler behind the middleware ran
}

// recorder returns an engine whose chain is: a recorder of the gin.Context,
// then mw, then a handler that marks seen.later and answers ok.
func recorder(s *seen, mw ...gin.HandlerFunc) *gin.Engine {
	e := gin.New()
	e.Use(func(c *gin.Context) {
		c.Next()
		s.aborted = c.IsAborted()
		for _, err := range c.Errors {
			s.errs = append(s.errs, err.Err)
		}
	})
	e.Use(mw...)
	e.GET("/", func(c *gin.Context) {
		s.later = true
		ok(c)
	})
	return e
}

// TestDefaultErrorHandler checks the Gin side of a refusal: the error in
// c.Errors (errors.Is its kind), the chain aborted, the handler behind not
// run, and the answer exactly the core's Response.
func TestDefaultErrorHandler(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	cfg := ginjwt.Config{Authenticator: auth}
	tests := []struct {
		name   string
		scopes []string
		header []string // Authorization field lines
		kind   error
		status int
	}{
		{name: "no token", kind: jwtgate.ErrTokenMissing, status: http.StatusUnauthorized},
		{name: "bad token", header: []string{"Bearer " + token(t, "") + "x"}, kind: jwtgate.ErrInvalidToken, status: http.StatusUnauthorized},
		{name: "repeated header", header: []string{"Bearer " + token(t, ""), "Bearer " + token(t, "")}, kind: jwtgate.ErrInvalidRequest, status: http.StatusBadRequest},
		{name: "missing scope", scopes: []string{"admin"}, header: []string{"Bearer " + token(t, "read")}, kind: jwtgate.ErrInsufficientScope, status: http.StatusForbidden},
		{name: "scope held", scopes: []string{"read"}, header: []string{"Bearer " + token(t, "read")}, status: http.StatusOK},
		{name: "valid token", header: []string{"Bearer " + token(t, "")}, status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s seen
			mw := []gin.HandlerFunc{ginjwt.New(cfg)}
			if tt.scopes != nil {
				mw = append(mw, ginjwt.RequireScopes(cfg, tt.scopes...))
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Authorization"] = tt.header
			w := serve(recorder(&s, mw...), r)

			assert.Equal(t, tt.status, w.Code)
			if tt.kind == nil {
				assert.True(t, s.later, "the handler behind runs")
				assert.False(t, s.aborted)
				assert.Empty(t, s.errs)
				assert.Equal(t, "alice", w.Body.String())
				return
			}
			assert.False(t, s.later, "the handler behind must not run")
			assert.True(t, s.aborted, "c.IsAborted()")
			require.Len(t, s.errs, 1, "c.Errors")
			assert.ErrorIs(t, s.errs[0], tt.kind)
			want := auth.Response(s.errs[0])
			assert.Equal(t, want.Status, w.Code)
			assert.Equal(t, want.WWWAuthenticate, w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"), "as every adapter sends it")
			assert.Equal(t, string(want.Body()), w.Body.String(), "the core's body, byte for byte")
		})
	}
}

func TestCustomErrorHandler(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	tests := []struct {
		name    string
		handler func(c *gin.Context, err error)
		scopes  []string
		tok     string
		status  int
		body    string
	}{
		{
			name:    "aborts itself",
			handler: func(c *gin.Context, err error) { c.AbortWithStatusJSON(http.StatusTeapot, gin.H{"msg": "go away"}) },
			status:  http.StatusTeapot, body: `{"msg":"go away"}`,
		},
		{
			name:    "does not abort: the middleware does",
			handler: func(c *gin.Context, err error) { c.String(http.StatusTeapot, "go away") },
			status:  http.StatusTeapot, body: "go away",
		},
		{
			name:    "in RequireScopes",
			handler: func(c *gin.Context, err error) { c.String(http.StatusTeapot, "not yours") },
			scopes:  []string{"admin"}, tok: token(t, "read"),
			status: http.StatusTeapot, body: "not yours",
		},
		{
			// A handler that tries to let the request go on: the chain was
			// aborted before it ran, so c.Next() runs nothing behind.
			name:    "calls c.Next()",
			handler: func(c *gin.Context, err error) { c.Next(); c.String(http.StatusTeapot, "no entry") },
			status:  http.StatusTeapot, body: "no entry",
		},
		{
			name:    "calls c.Next() in RequireScopes",
			handler: func(c *gin.Context, err error) { c.Next(); c.String(http.StatusTeapot, "no entry") },
			scopes:  []string{"admin"}, tok: token(t, "read"),
			status: http.StatusTeapot, body: "no entry",
		},
		{
			// The Gin pattern of one error-rendering middleware around the
			// chain: the handler only records the error.
			name:    "leaves the answer to an outer middleware",
			handler: func(c *gin.Context, err error) { _ = c.Error(err) },
			status:  http.StatusUnauthorized, body: `{"outer":"missing_token"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got error
			cfg := ginjwt.Config{Authenticator: auth, ErrorHandler: func(c *gin.Context, err error) {
				got = err
				tt.handler(c, err)
			}}
			var later bool
			e := gin.New()
			e.Use(func(c *gin.Context) { // renders c.Errors if nobody answered
				c.Next()
				if !c.Writer.Written() && len(c.Errors) > 0 {
					r := auth.Response(c.Errors.Last().Err)
					c.JSON(r.Status, gin.H{"outer": r.Code})
				}
			})
			mw := []gin.HandlerFunc{ginjwt.New(cfg)}
			if tt.scopes != nil {
				mw = append(mw, ginjwt.RequireScopes(cfg, tt.scopes...))
			}
			e.GET("/", append(mw, func(c *gin.Context) { later = true })...)

			w := serve(e, request(http.MethodGet, "/", tt.tok))
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body, w.Body.String())
			assert.False(t, later, "the handler behind must not run")
			var e2 *jwtgate.Error
			assert.True(t, errors.As(got, &e2), "the handler gets a *jwtgate.Error")
		})
	}
}

// TestPerRoute protects a group, a single route and a path-parameter route
// of one engine, leaving the rest public.
func TestPerRoute(t *testing.T) {
	t.Parallel()
	cfg := ginjwt.Config{Authenticator: newAuth(t, nil)}
	download := ginjwt.Config{Authenticator: newAuth(t, func(c *jwtgate.Config) { c.Extractor = extractors.Param("token") })}

	e := gin.New()
	e.GET("/public", ok)
	api := e.Group("/api", ginjwt.New(cfg))
	api.GET("/me", ok)
	api.GET("/admin", ginjwt.RequireScopes(cfg, "admin"), ok)
	e.GET("/single", ginjwt.New(cfg), ok)
	e.GET("/download/:token", ginjwt.New(download), ok)

	tests := []struct {
		name   string
		path   string
		tok    string
		status int
		body   string
	}{
		{name: "public route", path: "/public", status: 200, body: "anonymous"},
		{name: "public route ignores a bad token", path: "/public", tok: "x.y.z", status: 200, body: "anonymous"},
		{name: "group without token", path: "/api/me", status: 401},
		{name: "group with token", path: "/api/me", tok: token(t, ""), status: 200, body: "alice"},
		{name: "scoped route without scope", path: "/api/admin", tok: token(t, "read"), status: 403},
		{name: "scoped route with scope", path: "/api/admin", tok: token(t, "admin"), status: 200, body: "alice"},
		{name: "single route without token", path: "/single", status: 401},
		{name: "single route with token", path: "/single", tok: token(t, ""), status: 200, body: "alice"},
		{name: "path parameter token", path: "/download/" + token(t, ""), status: 200, body: "alice"},
		{name: "bad path parameter token", path: "/download/abc.def.ghi", status: 401},
		{name: "header is not the path route's source", path: "/download/x", tok: token(t, ""), status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := serve(e, request(http.MethodGet, tt.path, tt.tok))
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
		})
	}
}

// TestContextWithFallback: the token is found through the request's context,
// the accessors and c.Get whatever the engine's ContextWithFallback; through
// the gin.Context as a context.Context only with it.
func TestContextWithFallback(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	tests := []struct {
		name     string
		fallback bool
		key      string // Config.ContextKey
	}{
		{name: "fallback off", fallback: false},
		{name: "fallback on", fallback: true},
		{name: "fallback off, own key", fallback: false, key: "user"},
		{name: "fallback on, own key", fallback: true, key: "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := gin.New()
			e.ContextWithFallback = tt.fallback
			var ran bool
			e.GET("/", ginjwt.New(ginjwt.Config{Authenticator: auth, ContextKey: tt.key}), func(c *gin.Context) {
				ran = true
				tok, found := ginjwt.Token(c)
				require.True(t, found, "ginjwt.Token")
				assert.Equal(t, "alice", tok.Subject)

				claims, found := ginjwt.Claims[*jwtgate.Claims](c)
				require.True(t, found, "ginjwt.Claims")
				assert.Equal(t, "alice", claims.Subject)
				_, found = ginjwt.Claims[*jwt.RegisteredClaims](c)
				assert.False(t, found, "ginjwt.Claims of another type")

				fromReq, found := jwtgate.FromContext(c.Request.Context())
				assert.True(t, found, "jwtgate.FromContext(c.Request.Context())")
				assert.Same(t, tok, fromReq)

				if tt.key != "" {
					v, found := c.Get(tt.key)
					assert.True(t, found, "c.Get(%q)", tt.key)
					assert.Same(t, tok, v)
					assert.Len(t, c.Keys, 1, "the token under ContextKey, and under no other key")
				} else {
					assert.Empty(t, c.Keys, "no ContextKey: nothing in c.Keys")
				}

				fromGin, found := jwtgate.FromContext(c)
				assert.Equal(t, tt.fallback, found, "jwtgate.FromContext(c) works only with ContextWithFallback")
				if tt.fallback {
					assert.Same(t, tok, fromGin)
				}
				c.Status(http.StatusNoContent)
			})
			w := serve(e, request(http.MethodGet, "/", token(t, "")))
			assert.Equal(t, http.StatusNoContent, w.Code)
			assert.True(t, ran)
		})
	}
}

func TestCredentialsOptional(t *testing.T) {
	t.Parallel()
	cfg := ginjwt.Config{Authenticator: newAuth(t, func(c *jwtgate.Config) { c.CredentialsOptional = true }), ContextKey: "jwtgate"}
	e := gin.New()
	e.GET("/", ginjwt.New(cfg), func(c *gin.Context) {
		_, stored := c.Get("jwtgate")
		_, claims := ginjwt.Claims[*jwtgate.Claims](c)
		if t, found := ginjwt.Token(c); found {
			c.String(http.StatusOK, "%s %v %v", t.Subject, stored, claims)
			return
		}
		c.String(http.StatusOK, "anonymous %v %v", stored, claims)
	})
	e.GET("/admin", ginjwt.New(cfg), ginjwt.RequireScopes(cfg, "admin"), ok)

	tests := []struct {
		name   string
		path   string
		tok    string
		status int
		body   string
	}{
		{name: "no token", path: "/", status: 200, body: "anonymous false false"},
		{name: "valid token", path: "/", tok: token(t, ""), status: 200, body: "alice true true"},
		{name: "bad token is still refused", path: "/", tok: token(t, "") + "x", status: 401},
		{name: "no token on a scoped route", path: "/admin", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := serve(e, request(http.MethodGet, tt.path, tt.tok))
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
		})
	}
}
