package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// TestContract drives the whole flow (login, calls, refresh, reuse, logout)
// against the app in-process.
func TestContract(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": testSecret}
	s, err := demo.LoadSettings(func(k string) string { return env[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	srv := httptest.NewServer(newEngine(svc))
	defer srv.Close()
	contract.Walk(t, contract.App{Base: srv.URL, Secret: testSecret, Issuer: s.Issuer, Audience: s.Audience})
}

// TestTokenResponsesAreNotCached: a token pair is answered with
// Cache-Control: no-store (RFC 6749 §5.1), and so is every refusal.
func TestTokenResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	s, err := demo.LoadSettings(func(k string) string { return map[string]string{"JWT_SECRET": testSecret}[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	h := newEngine(svc)
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{name: "login", method: "POST", path: "/login", body: `{"username":"alice","password":"alice-password"}`, status: 200},
		{name: "bad login", method: "POST", path: "/login", body: `{"username":"alice","password":"x"}`, status: 401},
		{name: "bad refresh", method: "POST", path: "/refresh", body: `{"refresh_token":"a.b.c"}`, status: 401},
		{name: "no token", method: "GET", path: "/api/me", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		})
	}
}

// TestUnknownMethodAndPath: Gin's own answers for routes the app does not
// have, which must not be 5xx.
func TestUnknownMethodAndPath(t *testing.T) {
	t.Parallel()
	s, err := demo.LoadSettings(func(k string) string { return map[string]string{"JWT_SECRET": testSecret}[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	h := newEngine(svc)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{method: "GET", path: "/nope", status: http.StatusNotFound},
		{method: "GET", path: "/login", status: http.StatusMethodNotAllowed},
		{method: "DELETE", path: "/api/me", status: http.StatusMethodNotAllowed},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		assert.Equal(t, tt.status, w.Code, "%s %s", tt.method, tt.path)
	}
}

func TestBadConfigurationStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "short secret", env: map[string]string{"JWT_SECRET": "short"}, want: "JWT_SECRET is 5 bytes"},
		{name: "bad address", env: map[string]string{"ADDR": "256.0.0.1:x"}, want: "ADDR"},
		{name: "bad REDIS_URL", env: map[string]string{"REDIS_URL": "http://127.0.0.1:6379"}, want: "REDIS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &out)
			assert.ErrorContains(t, err, tt.want)
			assert.Empty(t, out.String(), "nothing printed before failing")
		})
	}
}

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return map[string]string{"ADDR": "127.0.0.1:0"}[k] }, &out)
	}()
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}
