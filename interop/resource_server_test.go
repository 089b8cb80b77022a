package interop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildExample compiles examples/jwks, from the repository root as a user
// would, into dir. GOWORK and GOFLAGS are the workspace's: a GOWORK=off
// from this module's own tidy or test run would hide the examples module.
func buildExample(t *testing.T, dir string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the example")
	bin := filepath.Join(dir, "jwks-example")
	cmd := exec.Command(goBin, "build", "-o", bin, "./examples/jwks")
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOWORK=") && !strings.HasPrefix(kv, "GOFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./examples/jwks: %s", out)
	return bin
}

// startExample runs the example on a free loopback port (ADDR
// 127.0.0.1:0) and returns its base URL, read from its banner.
func startExample(t *testing.T, bin string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0"}, env...)...)
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
			assert.NoError(t, err, "the example stops cleanly on SIGTERM; stderr: %s", stderr.String())
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("the example did not stop within 15 s of SIGTERM")
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
		require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "banner: %s", base)
		return base
	case <-time.After(30 * time.Second):
		t.Fatalf("the example did not start; stderr: %s", stderr.String())
		return ""
	}
}

// TestResourceServer: the examples/jwks resource server, given each
// library's JWK Set as JWKS_URL, answers GET /api/me 200 to the library's
// tokens of every asymmetric algorithm it has, and 401 to a forged, an
// expired and a wrong-audience one. The example runs on the real clock
// with its own 30 s leeway, so these tokens are minted on the real clock.
func TestResourceServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/jwks")
	}
	t.Parallel()
	bin := buildExample(t, t.TempDir())
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ms := asymmetric(t, p.algorithms())
			set, err := p.publish(ms)
			require.NoError(t, err)
			keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/jwk-set+json")
				_, _ = w.Write(set)
			}))
			t.Cleanup(keys.Close)
			base := startExample(t, bin, "JWKS_URL="+keys.URL, "JWT_ISSUER="+issuer, "JWT_AUDIENCE="+audience)

			for _, m := range ms {
				t.Run(m.alg, func(t *testing.T) {
					now := time.Now().Truncate(time.Second)
					sign := func(claims map[string]any) string {
						tok, err := p.sign(m, claims)
						require.NoError(t, err)
						return tok
					}
					good := sign(claimsAt(now, audience))
					expired := sign(claimsAt(now.Add(-accessTTL-time.Minute), audience)) // past exp by a minute, beyond the example's leeway
					wrongAud := sign(claimsAt(now, "https://api.example.com/another"))

					status, body := getMe(t, base, good)
					if assert.Equal(t, http.StatusOK, status, "%s", body) {
						var me map[string]any
						require.NoError(t, json.Unmarshal(body, &me))
						assert.Equal(t, subject, me["sub"])
						assert.Equal(t, scope, me["scope"])
					}
					for name, tok := range map[string]string{"forged": tamper(good), "expired": expired, "wrong audience": wrongAud} {
						status, body := getMe(t, base, tok)
						assert.Equal(t, http.StatusUnauthorized, status, "%s: %s", name, body)
					}
				})
			}
		})
	}
}

func getMe(t *testing.T, base, tok string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/me", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body bytes.Buffer
	_, err = body.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body.Bytes()
}
