package main

import (
	"bufio"
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// newTestHandler is the app as run builds it, with JWT_SECRET testSecret
// and env, over an in-memory store.
func newTestHandler(t *testing.T, env map[string]string) http.Handler {
	t.Helper()
	s, err := loadSettings(func(k string) string { return cmp.Or(env[k], map[string]string{"JWT_SECRET": testSecret}[k]) })
	require.NoError(t, err)
	obs, metrics, err := newMetrics()
	require.NoError(t, err)
	e, err := newEndpoints(s, jwtgate.HMAC(s.secret, "HS256"), issuing.NewMemoryStore(nil), obs, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	return logRequests(log, newApp(e, metrics, log))
}

// TestContract walks the contract against the app's routes in-process.
func TestContract(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newTestHandler(t, nil))
	t.Cleanup(srv.Close)
	contract.Walk(t, contract.App{Base: srv.URL, Secret: testSecret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
}

// TestDPoP walks the contract's DPoP steps in-process, DPoP allowed and
// required, PUBLIC_URL unset and set.
func TestDPoP(t *testing.T) {
	t.Parallel()
	for _, app := range []contract.App{{DPoP: "allowed"}, {DPoP: "required", PublicURL: "https://api.example.com"}} {
		t.Run(app.DPoP, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(newTestHandler(t, map[string]string{"DPOP": app.DPoP, "PUBLIC_URL": app.PublicURL}))
			t.Cleanup(srv.Close)
			app.Base, app.Secret, app.Issuer, app.Audience = srv.URL, testSecret, "jwtgate-example", "jwtgate-example-api"
			contract.WalkDPoP(t, app)
		})
	}
}

// TestBadConfigurationStops: a wrong setting is an error naming its
// variable, before anything listens or is printed.
func TestBadConfigurationStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "short secret", env: map[string]string{"JWT_SECRET": "short"}, want: "JWT_SECRET is 5 bytes"},
		{name: "bad address", env: map[string]string{"ADDR": "256.0.0.1:x"}, want: "ADDR"},
		{name: "REDIS_URL of another scheme", env: map[string]string{"REDIS_URL": "http://127.0.0.1:6379"}, want: "REDIS_URL"},
		{name: "REDIS_URL with a bad port", env: map[string]string{"REDIS_URL": "redis://user:hunter2@127.0.0.1:x/0"}, want: "REDIS_URL"},
		{name: "ALLOWED_ORIGINS with a path", env: map[string]string{"ALLOWED_ORIGINS": "https://app.example.com/login"}, want: "ALLOWED_ORIGINS"},
		{name: "DPOP neither off, allowed nor required", env: map[string]string{"DPOP": "on"}, want: `DPOP is "on"`},
		{name: "PUBLIC_URL with a path", env: map[string]string{"PUBLIC_URL": "https://api.example.com/v1"}, want: "PUBLIC_URL"},
		{name: "PUBLIC_URL without a scheme", env: map[string]string{"PUBLIC_URL": "api.example.com"}, want: "PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &out, io.Discard)
			require.ErrorContains(t, err, tt.want)
			assert.NotContains(t, err.Error(), "hunter2", "a password in REDIS_URL is never repeated")
			assert.Empty(t, out.String(), "nothing printed")
		})
	}
}

// startRun runs the app as main does, on a free port, and returns its URL
// (from the banner's first line) and what run returned once ctx ends.
func startRun(t *testing.T, ctx context.Context, env map[string]string) (base string, done <-chan error) {
	t.Helper()
	env["ADDR"] = "127.0.0.1:0"
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, func(k string) string { return env[k] }, pw, io.Discard)
		_ = pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "jwtgate example listening on ")
	require.True(t, ok, "banner %q", line)
	return base, errc
}

// TestRunServesAndStops walks the contract over the server run builds (its
// limits and timeouts), and stops it by ending its context.
func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startRun(t, ctx, map[string]string{"JWT_SECRET": testSecret})
	contract.Walk(t, contract.App{Base: base, Secret: testSecret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}

// TestRunStopsAtOnce: a context that ended before the server got going
// still stops it.
func TestRunStopsAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return map[string]string{"ADDR": "127.0.0.1:0"}[k] }, io.Discard, io.Discard)
	}()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}

// TestTokenResponsesAreNotCached: a token pair is answered with
// Cache-Control: no-store (RFC 6749 §5.1), and so is every refusal.
func TestTokenResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, nil)
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
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		})
	}
}
