package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// runMainEnv makes the test binary run main() instead of the tests, so that
// the process-level behaviour (stdout, stderr, exit status, signals) is
// tested without building the app separately.
const runMainEnv = "JWTGATE_EXAMPLE_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
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
	svc, err := demo.NewService(s, jwtgate.NewMemoryStore(nil), nil)
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
	svc, err := demo.NewService(s, jwtgate.NewMemoryStore(nil), nil)
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
	svc, err := demo.NewService(s, jwtgate.NewMemoryStore(nil), nil)
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

// mainProcess is the test binary running main() with env (and without
// GIN_MODE, so that main chooses the mode).
func mainProcess(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, gin.EnvGinMode+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append([]string{runMainEnv + "=1"}, env...)...)
	return cmd
}

// TestProcessBadConfiguration: one line on stderr naming the variable, exit 1,
// nothing on stdout.
func TestProcessBadConfiguration(t *testing.T) {
	t.Parallel()
	cmd := mainProcess(t, "ADDR=127.0.0.1:0", "JWT_SECRET=too-short")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Empty(t, stdout.String())
	assert.Equal(t, "gin: JWT_SECRET is 9 bytes; it must be at least 32 (RFC 7518 §3.2)\n", stderr.String())
}

// TestProcessServesAndStopsOnSIGTERM: the banner is the first line on stdout
// (no Gin debug output before it), the app answers, and SIGTERM stops it with
// exit status 0.
func TestProcessServesAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	cmd := mainProcess(t, "ADDR=127.0.0.1:0", "JWT_SECRET="+testSecret)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		for sc.Scan() { // drain
		}
	}()
	var base string
	select {
	case line := <-first:
		const prefix = "jwtgate example listening on "
		require.True(t, strings.HasPrefix(line, prefix), "first stdout line %q", line)
		base = strings.TrimPrefix(line, prefix)
	case <-time.After(30 * time.Second):
		t.Fatalf("no banner; stderr: %s", stderr.String())
	}

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status after SIGTERM; stderr: %s", stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop within 15 s of SIGTERM")
	}
	assert.Empty(t, stderr.String())
}
