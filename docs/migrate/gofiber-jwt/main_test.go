package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/docs/migrate/internal/testtoken"
)

var secret = []byte("a test secret of at least 32 bytes")

func token(t *testing.T, extra map[string]any) string {
	return testtoken.Sign(t, "HS256", "", secret, testtoken.Claims("https://id.example.com", "orders-api", "alice", extra))
}

func TestGofiberJWT(t *testing.T) {
	app, err := newApp(options{secret: secret, now: testtoken.Now})
	require.NoError(t, err)
	valid := token(t, map[string]any{"tenant": "acme"})

	tests := []struct {
		name          string
		path          string
		authorization string
		status        int
		challenge     string
		body          map[string]any
		errorCode     string
	}{
		{name: "a valid token, read through ContextKey and the claims type", path: "/api/me", authorization: "Bearer " + valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "a jwtware handler, unchanged, with StoreJWTToken", path: "/legacy/me", authorization: "Bearer " + valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "StoreJWTToken: no token, refused as ever", path: "/legacy/me",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "the scheme in any case, as jwtware read it", path: "/api/me", authorization: "bearer " + valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "no token: 401 with the RFC 6750 challenge, where jwtware answered 400", path: "/api/me",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "another scheme is no bearer token", path: "/api/me", authorization: "Basic YWxpY2U6cGFzc3dvcmQ=",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "Bearer and nothing else: 400", path: "/api/me", authorization: "Bearer ",
			status: 400, errorCode: "invalid_request"},
		{name: "expired, beyond the leeway", path: "/api/me",
			authorization: "Bearer " + token(t, map[string]any{"exp": testtoken.Now().Add(-2 * time.Minute).Unix()}),
			status:        401,
			challenge:     `Bearer realm="jwtgate", error="invalid_token", error_description="The access token expired"`,
			errorCode:     "invalid_token"},
		{name: "signed with HS512 under the HS256 key", path: "/api/me",
			authorization: "Bearer " + testtoken.Sign(t, "HS512", "", secret, testtoken.Claims("https://id.example.com", "orders-api", "alice", nil)),
			status:        401,
			errorCode:     "invalid_token"},
		{name: "a public route registered before the middleware", path: "/healthz", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			resp, err := app.Test(r, -1)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, tt.status, resp.StatusCode, string(body))
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, resp.Header.Get("WWW-Authenticate"))
			}
			if tt.body != nil {
				var got map[string]any
				require.NoError(t, json.Unmarshal(body, &got))
				assert.Equal(t, tt.body, got)
			}
			if tt.errorCode != "" {
				var got struct{ Error string }
				require.NoError(t, json.Unmarshal(body, &got), string(body))
				assert.Equal(t, tt.errorCode, got.Error)
			}
		})
	}
}

func TestGofiberJWTConfiguration(t *testing.T) {
	_, err := newApp(options{secret: []byte("short")})
	assert.ErrorContains(t, err, "HS256")
}
