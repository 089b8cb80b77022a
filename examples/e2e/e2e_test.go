// Package e2e builds the example apps, starts each on a free loopback port,
// and walks shared/CONTRACT.md over real HTTP.
package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examples lists the apps that answer the contract.
var examples = []string{"nethttp"}

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
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "listening on "); i >= 0 {
				found <- strings.TrimSpace(sc.Text()[i+len("listening on "):])
			}
		}
	}()
	select {
	case base := <-found:
		return base
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start; stderr: %s", bin, stderr.String())
		return ""
	}
}

func TestContractOverHTTP(t *testing.T) {
	dir := t.TempDir()
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			bin := build(t, dir, name)
			base := start(t, bin)
			contract.Walk(t, contract.App{Base: base, Secret: secret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
		})
	}
}

func TestBadConfigurationStopsAtStart(t *testing.T) {
	dir := t.TempDir()
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			bin := build(t, dir, name)
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "JWT_SECRET=too-short")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "exits non-zero")
			assert.NotEqual(t, 0, exit.ExitCode())
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			assert.Len(t, lines, 1, "one line: %q", out)
			assert.Contains(t, string(out), "JWT_SECRET")
		})
	}
}
