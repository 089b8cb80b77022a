package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func testApp(t *testing.T) (settings, http.Handler) {
	t.Helper()
	s, err := loadSettings(func(k string) string {
		return map[string]string{"JWT_SECRET": "0123456789abcdef0123456789abcdef"}[k]
	})
	require.NoError(t, err)
	auth, err := newAuthenticator(s, func() time.Time { return testNow })
	require.NoError(t, err)
	return s, newHandler(auth)
}

func TestSettings(t *testing.T) {
	t.Parallel()
	_, err := loadSettings(func(k string) string { return map[string]string{"JWT_SECRET": "short"}[k] })
	assert.ErrorContains(t, err, "JWT_SECRET is 5 bytes")

	s, err := loadSettings(func(string) string { return "" })
	require.NoError(t, err)
	assert.True(t, s.RandomSecret)
	assert.Len(t, s.Secret, 32)
	assert.Equal(t, "127.0.0.1:8080", s.Addr)
	assert.Equal(t, "jwtgate-example", s.Issuer)
	assert.Equal(t, "jwtgate-example-api", s.Audience)
}

func TestApp(t *testing.T) {
	t.Parallel()
	s, h := testApp(t)
	alice, err := demoToken(s, "alice", "read", testNow)
	require.NoError(t, err)
	admin, err := demoToken(s, "admin", "read admin", testNow)
	require.NoError(t, err)
	expired, err := demoToken(s, "alice", "read", testNow.Add(-time.Hour))
	require.NoError(t, err)

	tests := []struct {
		name      string
		path      string
		header    string
		cookie    string
		status    int
		challenge string
		body      map[string]any
	}{
		{name: "healthz", path: "/healthz", status: 200, body: map[string]any{"status": "ok"}},
		{name: "me without token", path: "/api/me", status: 401, challenge: `Bearer realm="jwtgate-example"`, body: map[string]any{"error": "missing_token", "error_description": "No access token was sent"}},
		{name: "me", path: "/api/me", header: "Bearer " + alice, status: 200, body: map[string]any{"sub": "alice", "scope": "read"}},
		{name: "me by cookie", path: "/api/me", cookie: alice, status: 200, body: map[string]any{"sub": "alice", "scope": "read"}},
		{name: "both methods", path: "/api/me", header: "Bearer " + alice, cookie: alice, status: 400, challenge: `Bearer realm="jwtgate-example", error="invalid_request", error_description="The access token was sent by more than one method"`},
		{name: "expired", path: "/api/me", header: "Bearer " + expired, status: 401, challenge: `Bearer realm="jwtgate-example", error="invalid_token", error_description="The access token expired"`},
		{name: "admin as alice", path: "/api/admin", header: "Bearer " + alice, status: 403, challenge: `Bearer realm="jwtgate-example", error="insufficient_scope", scope="admin"`},
		{name: "admin", path: "/api/admin", header: "Bearer " + admin, status: 200, body: map[string]any{"message": "hello, admin"}},
		{name: "query is not a token source", path: "/api/me?access_token=" + alice, status: 401, challenge: `Bearer realm="jwtgate-example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "access_token", Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			if tt.body != nil {
				var got map[string]any
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
				assert.Equal(t, tt.body, got)
			}
		})
	}
}
