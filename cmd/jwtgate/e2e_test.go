package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// e2eSecret is the example app's JWT_SECRET in the end-to-end test.
const e2eSecret = "e2e-cli-secret-0123456789abcdef-0123456789"

// repoRoot is the repository's root, two directories up from this module.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "examples", "nethttp", "main.go"))
	require.NoError(t, err, "the end-to-end test runs in a checkout of the repository, which holds examples/nethttp")
	return root
}

// startApp builds ./examples/nethttp, starts it on a free loopback port with
// env, and returns its base URL once it listens.
func startApp(t *testing.T, env ...string) string {
	t.Helper()
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "app")
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the example app")
	build := exec.Command(goBin, "build", "-o", bin, "./examples/nethttp")
	build.Dir = root
	build.Env = withoutGOWORK(os.Environ()) // the repository's go.work, whatever the caller's
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/nethttp: %s", out)

	cmd := exec.Command(bin)
	// ADDR=127.0.0.1:0: the app listens on a free port and prints it first.
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "the app stops cleanly; stderr: %s", stderr.String())
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("the app did not stop within 15 s of an interrupt")
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line, _ := strings.CutPrefix(sc.Text(), "jwtgate example listening on ")
			found <- line
		}
		for sc.Scan() { // drain
		}
	}()
	select {
	case base := <-found:
		require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "the first line is the banner: %s", base)
		return base
	case <-time.After(30 * time.Second):
		t.Fatalf("the app did not start; stderr: %s", stderr.String())
		return ""
	}
}

func withoutGOWORK(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOWORK=") {
			out = append(out, kv)
		}
	}
	return out
}

// get calls GET base+path with the token and returns the status and the
// decoded JSON body.
func get(t *testing.T, url, token string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(b, &body), "%s", b)
	return resp.StatusCode, body, resp.Header
}

// TestExampleApp mints tokens with the CLI for the real example app (built
// from ./examples/nethttp) and checks that the app and the CLI's verify agree.
func TestExampleApp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the example app")
	}
	t.Parallel()
	base := startApp(t, "JWT_SECRET="+e2eSecret)
	// Minted once the app is up, and in a later second than the one it
	// started in: its revocation store counts a token issued before it
	// started as revoked, and one of its first second too unless a login of
	// its own issued it. The mint sets iat to now, so wait for the second to
	// turn (a boundary, not a timing: at most a second).
	for up := time.Now().Unix(); time.Now().Unix() == up; {
		time.Sleep(10 * time.Millisecond)
	}
	env := map[string]string{"JWT_SECRET": e2eSecret, "OTHER_SECRET": strings.ToUpper(e2eSecret)}
	mint := func(keyEnv string, extra ...string) string {
		return mustMint(t, env, append([]string{"-key-env", keyEnv, "-iss", "jwtgate-example", "-aud", "jwtgate-example-api", "-sub", "alice", "-scope", "read"}, extra...)...)
	}

	t.Run("minted token accepted", func(t *testing.T) {
		status, body, _ := get(t, base+"/api/me", mint("JWT_SECRET"))
		assert.Equal(t, http.StatusOK, status, "%v", body)
		assert.Equal(t, map[string]any{"sub": "alice", "scope": "read"}, body)
	})
	t.Run("admin scope", func(t *testing.T) {
		status, _, _ := get(t, base+"/api/admin", mint("JWT_SECRET"))
		assert.Equal(t, http.StatusForbidden, status, "read is not admin")
		status, body, _ := get(t, base+"/api/admin", mint("JWT_SECRET", "-scope", "read admin"))
		assert.Equal(t, http.StatusOK, status, "%v", body)
	})

	refused := []struct {
		name  string
		token string
		cause string // in the CLI's verify
	}{
		{name: "another secret", token: mint("OTHER_SECRET"), cause: "signature is invalid"},
		{name: "expired", token: mint("JWT_SECRET", "-ttl", "-1m"), cause: "token is expired"},
		{name: "without jti", token: mint("JWT_SECRET", "-jti="), cause: "missing required claim"},
		{name: "another audience", token: mustMint(t, env, "-key-env", "JWT_SECRET", "-iss", "jwtgate-example", "-aud", "another-api"), cause: "invalid audience"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			status, body, header := get(t, base+"/api/me", tt.token)
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Equal(t, "invalid_token", body["error"])
			assert.Contains(t, header.Get("WWW-Authenticate"), `error="invalid_token"`)

			// The CLI refuses it too, with the app's rules, and the same
			// description.
			r := cli(t, env, "", "verify", "-key-env", "JWT_SECRET", "-iss", "jwtgate-example", "-aud", "jwtgate-example-api", "-require", "jti", "-leeway", "30s", tt.token)
			assert.Equal(t, 1, r.code, r.stderr)
			assert.Contains(t, r.stderr, "refused: 401 invalid_token: "+body["error_description"].(string))
			assert.Contains(t, r.stderr, tt.cause)
		})
	}

	t.Run("the app's own token verifies", func(t *testing.T) {
		resp, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"alice-password"}`))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var pair struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&pair))
		r := cli(t, env, pair.AccessToken+"\n", "verify", "-key-env", "JWT_SECRET", "-iss", "jwtgate-example", "-aud", "jwtgate-example-api", "-require", "jti", "-typ", "at+jwt")
		require.Equal(t, 0, r.code, r.stderr)
		var claims map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &claims))
		assert.Equal(t, "alice", claims["sub"])
		assert.Equal(t, "read", claims["scope"])
	})
}
