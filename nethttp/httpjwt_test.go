package httpjwt_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "iss", Subject: "alice", Audience: jwt.ClaimStrings{"aud"}, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		Scope:            jwtgate.ScopeClaim(scope),
	}).SignedString(testSecret)
	require.NoError(t, err)
	return s
}

func ok(w http.ResponseWriter, r *http.Request) {
	if t, found := jwtgate.FromContext(r.Context()); found {
		_, _ = w.Write([]byte(t.Subject))
		return
	}
	_, _ = w.Write([]byte("anonymous"))
}

// The middleware is a plain func(http.Handler) http.Handler: the type of
// chi's Use, gorilla/mux's MiddlewareFunc and alice's Constructor.
var _ func(http.Handler) http.Handler = httpjwt.New(httpjwt.Config{Authenticator: &jwtgate.Authenticator{}})

func TestConstructorsPanicWithoutAuthenticator(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "httpjwt: New: Config.Authenticator is nil", func() { httpjwt.New(httpjwt.Config{}) })
	assert.PanicsWithValue(t, "httpjwt: RequireScopes: Config.Authenticator is nil", func() { httpjwt.RequireScopes(httpjwt.Config{}, "a") })
	cfg := httpjwt.Config{Authenticator: newAuth(t, nil)}
	assert.Panics(t, func() { httpjwt.RequireScopes(cfg, "a b") })
	assert.Panics(t, func() { httpjwt.RequireScopes(cfg) })
}

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	var got error
	cfg := httpjwt.Config{
		Authenticator: newAuth(t, nil),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			http.Error(w, "go away", http.StatusTeapot)
		},
	}
	h := httpjwt.New(cfg)(http.HandlerFunc(ok))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusTeapot, w.Code)
	assert.ErrorIs(t, got, jwtgate.ErrTokenMissing)

	scoped := httpjwt.New(cfg)(httpjwt.RequireScopes(cfg, "admin")(http.HandlerFunc(ok)))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+token(t, "read"))
	w = httptest.NewRecorder()
	scoped.ServeHTTP(w, r)
	assert.Equal(t, http.StatusTeapot, w.Code)
	assert.True(t, errors.Is(got, jwtgate.ErrInsufficientScope))
}

func TestServeMuxPerRoute(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, func(c *jwtgate.Config) { c.Extractor = extractors.Param("token") })
	protect := httpjwt.New(httpjwt.Config{Authenticator: auth})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /public", ok)
	mux.Handle("GET /download/{token}", protect(http.HandlerFunc(ok)))

	tests := []struct {
		name   string
		path   string
		status int
		body   string
	}{
		{name: "public route is not protected", path: "/public", status: 200, body: "anonymous"},
		{name: "path parameter token", path: "/download/" + token(t, ""), status: 200, body: "alice"},
		{name: "bad path parameter token", path: "/download/abc.def.ghi", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, w.Body.String())
			}
		})
	}
}

func TestCredentialsOptional(t *testing.T) {
	t.Parallel()
	cfg := httpjwt.Config{Authenticator: newAuth(t, func(c *jwtgate.Config) { c.CredentialsOptional = true })}
	h := httpjwt.New(cfg)(http.HandlerFunc(ok))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "anonymous", w.Body.String())

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+token(t, "")+"x")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
}
