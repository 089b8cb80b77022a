package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/docs/migrate/internal/testtoken"
	echojwt "github.com/jwtgate/jwtgate/echo"
)

var secret = []byte("a test secret of at least 32 bytes")

func token(t *testing.T, extra map[string]any) string {
	return testtoken.Sign(t, "HS256", "", secret, testtoken.Claims("https://id.example.com", "orders-api", "alice", extra))
}

func TestEchoJWT(t *testing.T) {
	e, err := newApp(options{secret: secret, now: testtoken.Now})
	require.NoError(t, err)
	valid := token(t, map[string]any{"tenant": "acme", "scope": "orders:read"})
	writer := token(t, map[string]any{"scope": "orders:read orders:write"})

	tests := []struct {
		name         string
		method, path string
		bearer       string // the Authorization header's token
		cookie       string // the access_token cookie
		status       int
		challenge    string // the whole WWW-Authenticate header, when set
		body         map[string]any
		errorCode    string
	}{
		{name: "a valid token, read through ContextKey and MapClaims", method: "GET", path: "/api/me", bearer: valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "an echo-jwt handler, unchanged, with StoreJWTToken", method: "GET", path: "/legacy/me", bearer: valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "StoreJWTToken: no token, refused as ever", method: "GET", path: "/legacy/me",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "no token: 401 with the RFC 6750 challenge", method: "GET", path: "/api/me",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "the lookup string's cookie", method: "GET", path: "/api/me", cookie: valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "header and cookie at once: 400", method: "GET", path: "/api/me", bearer: valid, cookie: valid,
			status: 400, errorCode: "invalid_request"},
		{name: "expired, beyond the leeway", method: "GET", path: "/api/me",
			bearer: token(t, map[string]any{"exp": testtoken.Now().Add(-2 * time.Minute).Unix()}),
			status: 401, challenge: `Bearer realm="jwtgate", error="invalid_token", error_description="The access token expired"`, errorCode: "invalid_token"},
		{name: "another audience", method: "GET", path: "/api/me", bearer: token(t, map[string]any{"aud": "billing-api"}),
			status: 401, errorCode: "invalid_token"},
		{name: "no iss", method: "GET", path: "/api/me", bearer: token(t, map[string]any{"iss": nil}),
			status: 401, errorCode: "invalid_token"},
		{name: "the scope required", method: "DELETE", path: "/api/orders/7", bearer: writer, status: 204},
		{name: "the scope lacking: 403", method: "DELETE", path: "/api/orders/7", bearer: valid,
			status: 403, challenge: `Bearer realm="jwtgate", error="insufficient_scope", scope="orders:write"`, errorCode: "insufficient_scope"},
		{name: "a cookie on an unsafe method: 403 csrf", method: "DELETE", path: "/api/orders/7", cookie: writer,
			status: 403, errorCode: "csrf"},
		{name: "a public route", method: "GET", path: "/healthz", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "access_token", Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)

			assert.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			}
			if tt.status == 401 {
				assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"), "every 401 carries a challenge")
			}
			if tt.body != nil {
				var got map[string]any
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
				assert.Equal(t, tt.body, got)
			}
			if tt.errorCode != "" {
				var got struct{ Error string }
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got), w.Body.String())
				assert.Equal(t, tt.errorCode, got.Error)
			}
		})
	}
}

// The lookup string and the secret are checked when the service is built,
// not on the first request.
func TestEchoJWTConfiguration(t *testing.T) {
	_, err := newApp(options{secret: []byte("short")})
	assert.ErrorContains(t, err, "HS256")
}

// What the guide warns of: echo-jwt's habit for routes that also serve
// anonymous requests, an ErrorHandler returning nil with
// ContinueOnIgnoredError, lets every refused request through New: an expired
// token goes on as anonymous. A scope guard in the same Config still refuses
// (ContinueOnIgnoredError is New's only): a token without the scope gets
// 403, the expired token 401. Policy.CredentialsOptional lets only requests
// without a token through.
func TestEchoJWTContinueOnIgnoredError(t *testing.T) {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
		Now:      testtoken.Now,
	})
	require.NoError(t, err)
	habit := echojwt.Config{
		Authenticator:          auth,
		ErrorHandler:           func(echo.Context, error) error { return nil },
		ContinueOnIgnoredError: true,
	}
	optional := echojwt.Config{Authenticator: auth, Policy: jwtgate.Policy{CredentialsOptional: true}}
	reached := func(c echo.Context) error {
		sub := "anonymous"
		if tok, ok := echojwt.Token(c); ok {
			sub = tok.Subject
		}
		return c.String(http.StatusOK, sub)
	}
	e := echo.New()
	e.GET("/habit", reached, echojwt.New(habit))
	e.GET("/habit/admin", reached, echojwt.New(habit), echojwt.RequireScopes(habit, "admin"))
	e.GET("/optional", reached, echojwt.New(optional))

	send := func(path, bearer string) (int, string) {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	expired := token(t, map[string]any{"exp": testtoken.Now().Add(-time.Hour).Unix()})

	code, body := send("/habit", expired)
	assert.Equal(t, 200, code)
	assert.Equal(t, "anonymous", body, "an expired token passed New as anonymous")
	code, _ = send("/habit/admin", token(t, map[string]any{"scope": "orders:read"}))
	assert.Equal(t, 403, code, "a token without the scope is refused by the guard")
	code, _ = send("/habit/admin", expired)
	assert.Equal(t, 401, code, "the expired token New let go on is refused by the guard as New refused it")

	code, body = send("/optional", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, "anonymous", body)
	code, _ = send("/optional", expired)
	assert.Equal(t, 401, code, "a bad token is refused on an optional route")
}
