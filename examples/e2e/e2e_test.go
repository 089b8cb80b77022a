// Package e2e builds the example apps, runs them as processes on free
// loopback ports, and holds them to examples/README.md over real HTTP: the
// contract walk with the same answers from every app, bad configuration,
// shutdown and slow clients, Redis faults, the JWKS resource server, the
// banner's walk-through, and copies of the examples built outside the
// repository.
package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// app is an example app that issues tokens and answers the whole contract.
// Adding one to every table here is adding its line to apps.
type app struct {
	name string
	// netHTTP says it is served by net/http's server, whose serve function
	// the apps share; the others bring their own server.
	netHTTP bool
	// headerTimeout is how long it waits for a request's headers.
	headerTimeout time.Duration
}

var apps = []app{
	{name: "nethttp", netHTTP: true, headerTimeout: 5 * time.Second},
	{name: "echo", netHTTP: true, headerTimeout: 5 * time.Second},
	{name: "echov5", netHTTP: true, headerTimeout: 5 * time.Second},
	{name: "gin", netHTTP: true, headerTimeout: 5 * time.Second},
	{name: "fiber", headerTimeout: 10 * time.Second}, // fasthttp's ReadTimeout: headers and body together
	{name: "fiberv3", headerTimeout: 10 * time.Second},
}

const secret = "e2e-secret-0123456789abcdef-0123456789"

// binDir holds the binaries built for this run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jwtgate-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// binaries are the commands the tests run, by package (relative to the
// repository's root): every app, the JWKS server and the jwtgate CLI.
func binaries() []string {
	pkgs := []string{"examples/jwks", "cmd/jwtgate", "examples/grpc", "examples/connect"}
	for _, a := range apps {
		pkgs = append(pkgs, "examples/"+a.name)
	}
	return pkgs
}

var (
	buildOnce sync.Once
	buildErr  error
)

// binary returns the path of the command at pkg, one of binaries(). The
// first call builds them all, in one go build in the workspace, which
// compiles what they share once and links them side by side: each is built
// once per run.
func binary(t *testing.T, pkg string) string {
	t.Helper()
	require.Contains(t, binaries(), pkg, "a command the tests build")
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command builds the examples: %w", err)
			return
		}
		args := []string{"build", "-o", binDir + string(filepath.Separator)}
		for _, p := range binaries() {
			args = append(args, "./"+p)
		}
		cmd := exec.Command(goBin, args...)
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, filepath.Base(pkg))
}

// process is a running example app.
type process struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	// base is its URL, http://127.0.0.1:port, from the banner's first line.
	base string
	// banner is everything it printed at start.
	banner string
	stderr *lockedBuffer
	exited chan struct{} // closed when it has exited; then err is its end
	err    error
}

// start runs the example ./examples/<name> with ADDR=127.0.0.1:0 and
// JWT_SECRET=secret, then env, and returns once it printed its banner. At
// cleanup it gets SIGTERM, and must exit 0, unless the test stopped it.
func start(t *testing.T, name string, env ...string) *process {
	t.Helper()
	return startBinary(t, name, binary(t, "examples/"+name), env...)
}

func startBinary(t *testing.T, name, bin string, env ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, cmd: exec.Command(bin), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "JWT_SECRET=" + secret}, env...)...)
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
			return // the test saw to it
		default:
		}
		assert.NoError(t, p.stop(), "%s stops cleanly on SIGTERM", name)
	})

	// The banner is one write, ending with a blank line; the apps print
	// nothing else on standard output.
	banner := make(chan string, 1)
	go func() {
		var b []byte
		buf := make([]byte, 64<<10)
		for !bytes.HasSuffix(b, []byte("\n\n")) {
			n, err := stdout.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		banner <- string(b)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p.banner = <-banner:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s printed no banner within 30 s; stderr: %s", name, p.stderr)
	}
	first, _, _ := strings.Cut(p.banner, "\n")
	base, ok := strings.CutPrefix(first, "jwtgate example listening on ")
	require.True(t, ok, "%s: the first line is the banner's: %q; stderr: %s", name, first, p.stderr)
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "%s listens on loopback: %s", name, base)
	p.base = base
	return p
}

// stop sends SIGTERM and returns how the app ended (nil: exit 0).
func (p *process) stop() error {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(20 * time.Second)
}

// wait returns how the app ended, killing it after d.
func (p *process) wait(d time.Duration) error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s still running %v later; killed; stderr: %s", p.name, d, p.stderr)
	}
}

// running reports whether the app has not exited yet.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// lockedBuffer is a bytes.Buffer that a process's output goroutine can
// write while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// client is a test's view of an app: JSON requests and answers.
type client struct {
	t    *testing.T
	base string
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// do sends a request, as JSON when there is a body, with token as a Bearer
// token if set, and returns the status and the JSON body.
func (c client) do(method, path, body, token string) (int, map[string]any) {
	c.t.Helper()
	var header []string
	if token != "" {
		header = []string{"Authorization", "Bearer " + token}
	}
	status, _, m := c.with(method, path, body, header...)
	return status, m
}

// with sends a request, as JSON when there is a body, with the header
// fields of header (name, value, name, value…), and returns the status, the
// answer's header and the JSON body.
func (c client) with(method, path, body string, header ...string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, resp.Header, m
}

const aliceLogin = `{"username":"alice","password":"alice-password"}`

func (c client) login() (access, refresh string) {
	c.t.Helper()
	status, m := c.do("POST", "/login", aliceLogin, "")
	require.Equal(c.t, 200, status, "login: %v", m)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func (c client) refresh(tok string) (int, map[string]any) {
	c.t.Helper()
	return c.do("POST", "/refresh", `{"refresh_token":"`+tok+`"}`, "")
}

func (c client) me(tok string) int {
	c.t.Helper()
	status, _ := c.do("GET", "/api/me", "", tok)
	return status
}

func (p *process) client() client { return client{p.t, p.base} }

// TestContractOverHTTP walks the contract against every app's binary, and
// its DPoP steps against the app started with DPOP=allowed, and with
// DPOP=required and a PUBLIC_URL; then it checks that they all answered
// every request alike: the same status, challenge, Cache-Control, Allow,
// error code and description, and the same body fields.
func TestContractOverHTTP(t *testing.T) {
	t.Parallel()
	const publicURL = "https://api.example.com"
	var mu sync.Mutex
	answers := map[string]map[string]contract.Answer{} // by app and walk, then by step
	t.Run("walk", func(t *testing.T) {
		for _, a := range apps {
			t.Run(a.name, func(t *testing.T) {
				t.Parallel()
				app := contract.App{Secret: secret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"}
				app.Base = start(t, a.name).base
				walk := contract.Walk(t, app)
				app.DPoP = "allowed"
				app.Base = start(t, a.name, "DPOP=allowed").base
				allowed := contract.WalkDPoP(t, app)
				app.DPoP, app.PublicURL = "required", publicURL
				app.Base = start(t, a.name, "DPOP=required", "PUBLIC_URL="+publicURL).base
				required := contract.WalkDPoP(t, app)
				mu.Lock()
				answers[a.name] = walk
				answers[a.name+" DPOP=allowed"] = allowed
				answers[a.name+" DPOP=required"] = required
				mu.Unlock()
			})
		}
	})
	for _, walk := range []string{"", " DPOP=allowed", " DPOP=required"} {
		ref := answers[apps[0].name+walk]
		require.NotEmpty(t, ref, "%s%s", apps[0].name, walk)
		for _, a := range apps[1:] {
			got := answers[a.name+walk]
			require.Len(t, got, len(ref), "%s%s answered as many requests as %s", a.name, walk, apps[0].name)
			for step, want := range ref {
				assert.Equal(t, shape(want), shape(got[step]), "%s vs %s%s: %s", a.name, apps[0].name, walk, step)
			}
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

// TestBadConfigurationStopsAtStart: a wrong setting stops the binary before
// it listens: exit status 1, nothing on standard output, one line on
// standard error naming the variable.
func TestBadConfigurationStopsAtStart(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	cases := []struct {
		name, only string // only: the app that has the variable
		env        []string
		variable   string
	}{
		{name: "short secret", env: []string{"JWT_SECRET=too-short"}, variable: "JWT_SECRET"},
		{name: "REDIS_URL of another scheme", env: []string{"REDIS_URL=http://user:hunter2@127.0.0.1:6379"}, variable: "REDIS_URL"},
		{name: "ALLOWED_ORIGINS not an origin", env: []string{"ALLOWED_ORIGINS=https://app.example.com,app.example.com"}, variable: "ALLOWED_ORIGINS"},
		{name: "ADDR not an address", env: []string{"ADDR=256.0.0.1:80"}, variable: "ADDR"},
		{name: "DPOP not a mode", env: []string{"DPOP=yes"}, variable: "DPOP"},
		{name: "LOG_LEVEL not a level", env: []string{"LOG_LEVEL=loud"}, variable: "LOG_LEVEL"},
		{name: "PUBLIC_URL not an origin", env: []string{"DPOP=allowed", "PUBLIC_URL=https://api.example.com/v1"}, variable: "PUBLIC_URL"},
		{name: "JWT_ALG the key cannot do", only: "nethttp", env: []string{"JWT_SIGNING_KEY=" + keyFile, "JWT_ALG=RS256"}, variable: "JWT_SIGNING_KEY"},
	}
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			bin := binary(t, "examples/"+a.name)
			for _, tt := range cases {
				if tt.only != "" && tt.only != a.name {
					continue
				}
				cmd := exec.Command(bin)
				cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "JWT_SECRET=" + secret}, tt.env...)...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				require.True(t, errors.As(err, &exit), "%s: exits non-zero: %v", tt.name, err)
				assert.Equal(t, 1, exit.ExitCode(), tt.name)
				assert.Empty(t, stdout.String(), "%s: nothing on stdout", tt.name)
				line := strings.TrimSuffix(stderr.String(), "\n")
				assert.NotContains(t, line, "\n", "%s: one line on stderr", tt.name)
				assert.Contains(t, line, tt.variable, tt.name)
				assert.NotContains(t, line, "hunter2", "%s: a password in REDIS_URL is never repeated", tt.name)
			}
		})
	}
}
