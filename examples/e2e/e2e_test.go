// Package e2e builds the example apps, starts each on a free loopback port,
// and walks the contract of examples/README.md over real HTTP.
package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examples lists the apps that answer the contract.
var examples = []string{"nethttp", "echo", "gin", "fiber"}

const secret = "e2e-secret-0123456789abcdef-0123456789"

// build compiles ./examples/<name> into dir.
func build(t *testing.T, dir, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the examples")
	cmd := exec.Command(goBin, "build", "-o", bin, "./examples/"+name)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", name, out)
	return bin
}

// start runs bin on a free port and returns its base URL once it listens.
func start(t *testing.T, bin string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "JWT_SECRET=" + secret}, env...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "%s stops cleanly on SIGTERM; stderr: %s", bin, stderr.String())
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within 15 s of SIGTERM", bin)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			// The banner comes first: no framework output before it.
			line, ok := strings.CutPrefix(sc.Text(), "jwtgate example listening on ")
			if !ok {
				line = "first stdout line is not the banner: " + sc.Text()
			}
			found <- line
		}
		for sc.Scan() { // drain
		}
	}()
	select {
	case base := <-found:
		require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "%s: %s", bin, base)
		return base
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start; stderr: %s", bin, stderr.String())
		return ""
	}
}

// TestContractOverHTTP walks the contract against every example binary and
// then checks that they all answered every request alike: the same status,
// challenge, error code and description, and the same body fields.
func TestContractOverHTTP(t *testing.T) {
	dir := t.TempDir()
	answers := map[string]map[string]contract.Answer{}
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			bin := build(t, dir, name)
			base := start(t, bin)
			answers[name] = contract.Walk(t, contract.App{Base: base, Secret: secret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
		})
	}
	ref := answers[examples[0]]
	require.NotEmpty(t, ref)
	for _, name := range examples[1:] {
		got := answers[name]
		require.Len(t, got, len(ref), "%s answered as many requests as %s", name, examples[0])
		for step, want := range ref {
			assert.Equal(t, shape(want), shape(got[step]), "%s vs %s: %s", name, examples[0], step)
		}
	}
}

// shape is what must be identical across apps: everything but the values of
// tokens and other per-run fields.
func shape(a contract.Answer) map[string]any {
	keys := make([]string, 0, len(a.Body))
	for k := range a.Body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return map[string]any{
		"status": a.Status, "challenge": a.Challenge, "cache-control": a.CacheControl, "allow": a.Allow, "keys": keys,
		"error": a.Body["error"], "error_description": a.Body["error_description"],
		"sub": a.Body["sub"], "scope": a.Body["scope"], "token_type": a.Body["token_type"], "expires_in": a.Body["expires_in"],
	}
}

func TestBadConfigurationStopsAtStart(t *testing.T) {
	dir := t.TempDir()
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			bin := build(t, dir, name)
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "JWT_SECRET=too-short")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "exits non-zero")
			assert.Equal(t, 1, exit.ExitCode())
			assert.Empty(t, stdout.String(), "nothing on stdout")
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			assert.Len(t, lines, 1, "one line on stderr: %q", stderr.String())
			assert.Contains(t, stderr.String(), "JWT_SECRET")
		})
	}
}
