package main

import (
	"encoding/json"
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

// TestChiJwtauth: the answers of the service moved from jwtauth.
func TestChiJwtauth(t *testing.T) {
	h, err := newApp(options{secret: secret, now: testtoken.Now})
	require.NoError(t, err)
	valid := token(t, map[string]any{"tenant": "acme"})
	tests := []struct {
		name, method, path string
		bearer, cookie     string
		status             int
		challenge          string
		body               map[string]any
		errorCode          string
	}{
		{name: "a valid token in the header, its claims as a map", method: "GET", path: "/api/me", bearer: valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "the jwt cookie, as jwtauth.Verifier read it", method: "GET", path: "/api/me", cookie: valid,
			status: 200, body: map[string]any{"sub": "alice", "tenant": "acme"}},
		{name: "the jwt cookie on a POST: 403 csrf, where jwtauth accepted it", method: "POST", path: "/api/orders", cookie: valid,
			status: 403, errorCode: "csrf"},
		{name: "the header on a POST", method: "POST", path: "/api/orders", bearer: valid, status: 201},
		{name: "no token: 401 with the challenge, where jwtauth.Authenticator answered text", method: "GET", path: "/api/me",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "header and cookie at once: 400, where jwtauth took the header", method: "GET", path: "/api/me", bearer: valid, cookie: valid,
			status: 400, errorCode: "invalid_request"},
		{name: "expired, beyond the leeway", method: "GET", path: "/api/me",
			bearer: token(t, map[string]any{"exp": testtoken.Now().Add(-2 * time.Minute).Unix()}),
			status: 401, challenge: `Bearer realm="jwtgate", error="invalid_token", error_description="The access token expired"`, errorCode: "invalid_token"},
		{name: "another audience, which jwtauth accepted unless told", method: "GET", path: "/api/me", bearer: token(t, map[string]any{"aud": "billing-api"}),
			status: 401, errorCode: "invalid_token"},
		{name: "a public route", method: "GET", path: "/healthz", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://orders.example"+tt.path, nil)
			if tt.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "jwt", Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			}
			if tt.body != nil || tt.errorCode != "" {
				var body map[string]any
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
				if tt.body != nil {
					assert.Equal(t, tt.body, body)
				}
				if tt.errorCode != "" {
					assert.Equal(t, tt.errorCode, body["error"])
				}
			}
		})
	}
}
