package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func newTestApp(t *testing.T) *fiber.App {
	t.Helper()
	s, err := demo.LoadSettings(func(k string) string { return map[string]string{"JWT_SECRET": testSecret}[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	return newApp(svc)
}

// serve starts the app on a free loopback port until the test ends.
func serve(t *testing.T) (base string, s demo.Settings) {
	t.Helper()
	env := map[string]string{"JWT_SECRET": testSecret}
	s, err := demo.LoadSettings(func(k string) string { return env[k] })
	require.NoError(t, err)
	svc, err := demo.NewService(s, issuing.NewMemoryStore(nil), nil)
	require.NoError(t, err)
	app := newApp(svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		assert.NoError(t, app.ShutdownWithTimeout(5*time.Second))
		assert.NoError(t, <-served)
	})
	return "http://" + ln.Addr().String(), s
}

// TestContract drives the whole flow (login, calls, refresh, reuse, logout)
// against the app, through Fiber's own server and header parser.
func TestContract(t *testing.T) {
	t.Parallel()
	base, s := serve(t)
	contract.Walk(t, contract.App{Base: base, Secret: testSecret, Issuer: s.Issuer, Audience: s.Audience})
}

// TestFiberErrors: what Fiber refuses itself is answered in the contract's
// JSON shape, never with the request quoted back.
func TestFiberErrors(t *testing.T) {
	t.Parallel()
	base, _ := serve(t)
	const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2VjcmV0LXNpZ25hdHVyZQ"
	tests := []struct {
		name   string
		raw    string // the request as sent
		status int
		code   string
	}{
		{name: "unknown route", raw: "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", status: 404, code: "not_found"},
		{name: "headers over ReadBufferSize", raw: "GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + strings.Repeat("a", 40<<10) + "\r\n\r\n",
			status: 431, code: "request_header_fields_too_large"},
		{name: "unparsable request with a token", raw: "GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nContent-Length: abc\r\n\r\n",
			status: 400, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
			_, err = io.WriteString(conn, tt.raw)
			require.NoError(t, err)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
			assert.Contains(t, string(body), `"error":"`+tt.code+`"`)
			assert.NotContains(t, string(body), "Bearer")
			for _, seg := range strings.Split(token, ".") {
				assert.NotContains(t, string(body), seg)
			}
		})
	}
}

// TestTokenResponsesAreNotCached: a token pair is answered with
// Cache-Control: no-store (RFC 6749 §5.1), and so is every refusal.
func TestTokenResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
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
			res, err := app.Test(httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)), -1)
			require.NoError(t, err)
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		})
	}
}

// TestUnknownMethodAndPath: Fiber's own answers for routes the app does not
// have, as net/http's ServeMux gives them, in JSON.
func TestUnknownMethodAndPath(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{method: "GET", path: "/nope", status: http.StatusNotFound, code: "not_found"},
		{method: "GET", path: "/api/nope", status: http.StatusNotFound, code: "not_found"},
		{method: "GET", path: "/login", status: http.StatusMethodNotAllowed, code: "method_not_allowed"},
		{method: "DELETE", path: "/api/me", status: http.StatusMethodNotAllowed, code: "method_not_allowed"},
	} {
		res, err := app.Test(httptest.NewRequest(tt.method, tt.path, nil), -1)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		assert.Equal(t, tt.status, res.StatusCode, "%s %s", tt.method, tt.path)
		assert.JSONEq(t, `{"error":"`+tt.code+`","error_description":"`+http.StatusText(tt.status)+`"}`, string(body), "%s %s", tt.method, tt.path)
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
			err := run(context.Background(), func(k string) string { return tt.env[k] }, io.Discard)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// TestRunServesAndStops starts the app as main does, on ADDR 127.0.0.1:0,
// finds the real port in the banner, asks it something, and stops it.
func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return map[string]string{"ADDR": "127.0.0.1:0"}[k] }, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "jwtgate example listening on ")
	require.True(t, ok, "banner %q", line)
	assert.NotContains(t, base, ":0", "the banner names the real port")

	res, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}

// TestRunStopsAtOnce: a context that ends before the server got going still
// stops it.
func TestRunStopsAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return map[string]string{"ADDR": "127.0.0.1:0"}[k] }, io.Discard)
	}()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}
