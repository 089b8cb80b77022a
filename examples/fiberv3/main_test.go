package main

import (
	"bufio"
	"cmp"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// newTestApp is the app as run builds it, with JWT_SECRET testSecret and
// env, over an in-memory store.
func newTestApp(t *testing.T, env map[string]string) *fiber.App {
	t.Helper()
	s, err := loadSettings(func(k string) string { return cmp.Or(env[k], map[string]string{"JWT_SECRET": testSecret}[k]) })
	require.NoError(t, err)
	obs, metrics, err := newMetrics()
	require.NoError(t, err)
	e, err := newEndpoints(s, jwtgate.HMAC(s.secret, "HS256"), issuing.NewMemoryStore(nil), obs, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return newApp(e, metrics, slog.New(slog.DiscardHandler))
}

// listen serves the app on a free loopback port until the test ends.
func listen(t *testing.T, env map[string]string) (base string) {
	t.Helper()
	app := newTestApp(t, env)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() {
		assert.NoError(t, app.ShutdownWithTimeout(5*time.Second))
		assert.NoError(t, <-served)
	})
	return "http://" + ln.Addr().String()
}

// TestContract walks the contract against the app, through Fiber's own
// server and header parser.
func TestContract(t *testing.T) {
	t.Parallel()
	contract.Walk(t, contract.App{Base: listen(t, nil), Secret: testSecret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
}

// TestDPoP walks the contract's DPoP steps, DPoP allowed and required,
// PUBLIC_URL unset and set.
func TestDPoP(t *testing.T) {
	t.Parallel()
	for _, app := range []contract.App{{DPoP: "allowed"}, {DPoP: "required", PublicURL: "https://api.example.com"}} {
		t.Run(app.DPoP, func(t *testing.T) {
			t.Parallel()
			app.Base = listen(t, map[string]string{"DPOP": app.DPoP, "PUBLIC_URL": app.PublicURL})
			app.Secret, app.Issuer, app.Audience = testSecret, "jwtgate-example", "jwtgate-example-api"
			contract.WalkDPoP(t, app)
		})
	}
}

// TestFiberErrors: what Fiber refuses itself is answered in the contract's
// JSON shape, never with the request quoted back.
func TestFiberErrors(t *testing.T) {
	t.Parallel()
	base := listen(t, nil)
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
	app := newTestApp(t, nil)
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
			res, err := app.Test(r, fiber.TestConfig{})
			require.NoError(t, err)
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		})
	}
}

// TestUnknownMethodAndPath: Fiber's own answers for what the app does not
// route, in the contract's JSON shape; a method other than POST on an
// endpoint gets the endpoints' own 405.
func TestUnknownMethodAndPath(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, nil)
	for _, tt := range []struct {
		method, path string
		status       int
		code, desc   string
	}{
		{method: "GET", path: "/nope", status: http.StatusNotFound, code: "not_found", desc: "Not Found"},
		{method: "GET", path: "/api/nope", status: http.StatusNotFound, code: "not_found", desc: "Not Found"},
		{method: "GET", path: "/login", status: http.StatusMethodNotAllowed, code: "invalid_request", desc: "The method must be POST"},
		{method: "DELETE", path: "/api/me", status: http.StatusMethodNotAllowed, code: "method_not_allowed", desc: "Method Not Allowed"},
	} {
		res, err := app.Test(httptest.NewRequest(tt.method, tt.path, nil), fiber.TestConfig{})
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		assert.Equal(t, tt.status, res.StatusCode, "%s %s", tt.method, tt.path)
		assert.JSONEq(t, `{"error":"`+tt.code+`","error_description":"`+tt.desc+`"}`, string(body), "%s %s", tt.method, tt.path)
	}
}
