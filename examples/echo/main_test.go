package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// TestContract drives the whole flow (login, calls, refresh, reuse, logout)
// against the app in-process.
func TestContract(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": testSecret}
	s, err := demo.LoadSettings(func(k string) string { return env[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	srv := httptest.NewServer(newApp(svc))
	defer srv.Close()
	contract.Walk(t, contract.App{Base: srv.URL, Secret: testSecret, Issuer: s.Issuer, Audience: s.Audience})
}

// TestTokenResponsesNotCached: login and refresh answers carry
// Cache-Control: no-store (RFC 6749 §5.1), as do refusals.
func TestTokenResponsesNotCached(t *testing.T) {
	t.Parallel()
	s, err := demo.LoadSettings(func(k string) string { return map[string]string{"JWT_SECRET": testSecret}[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	app := newApp(svc)
	post := func(path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		return w
	}
	login := post("/login", `{"username":"alice","password":"alice-password"}`)
	require.Equal(t, http.StatusOK, login.Code)
	var pair issuing.Pair
	require.NoError(t, json.Unmarshal(login.Body.Bytes(), &pair))
	refresh := post("/refresh", `{"refresh_token":"`+pair.RefreshToken+`"}`)
	require.Equal(t, http.StatusOK, refresh.Code)
	me := httptest.NewRecorder()
	app.ServeHTTP(me, httptest.NewRequest(http.MethodGet, "/api/me", nil))
	for name, w := range map[string]*httptest.ResponseRecorder{"login": login, "refresh": refresh, "me without token": me} {
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), name)
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"), name)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &out)
			assert.ErrorContains(t, err, tt.want)
			assert.Empty(t, out.String(), "nothing starts half-configured")
		})
	}
}

// TestRunServesAndStops starts the real server (its own header limits and
// timeouts) on a free port, walks the contract over it, and stops it cleanly
// when its context ends.
func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := map[string]string{"ADDR": "127.0.0.1:0", "JWT_SECRET": testSecret}
	out := &syncBuffer{ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, out) }()
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("run stopped early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no banner")
	}
	line := out.firstLine()
	base, ok := strings.CutPrefix(line, "jwtgate example listening on ")
	require.True(t, ok, "banner %q", line)
	s, err := demo.LoadSettings(func(k string) string { return env[k] })
	require.NoError(t, err)
	contract.Walk(t, contract.App{Base: base, Secret: testSecret, Issuer: s.Issuer, Audience: s.Audience})

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}

func TestRunStopsAtOnce(t *testing.T) {
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

// syncBuffer collects what run prints and closes ready once the first line
// (the banner's address) is complete.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	had := bytes.Contains(b.buf.Bytes(), []byte("\n"))
	n, err := b.buf.Write(p)
	if !had && bytes.Contains(b.buf.Bytes(), []byte("\n")) {
		close(b.ready)
	}
	return n, err
}

func (b *syncBuffer) firstLine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	line, _, _ := strings.Cut(b.buf.String(), "\n")
	return line
}
