package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The gRPC and Connect examples (examples/grpc, examples/connect), built
// and run as processes: each called with a valid, a forged, an expired and
// a scope-less token, their metrics and logs read, their walk-throughs run
// as printed, and copies of them built outside the repository.

// rpcTokens are the tokens the RPC examples are called with, minted with
// the apps' secret, issuer and audience: a valid one (scope read), one
// forged (signed with another secret), one expired, one without a scope.
type rpcTokens struct{ valid, forged, expired, scopeless string }

func mintRPCTokens(t *testing.T) rpcTokens {
	t.Helper()
	mint := func(key, sub, scope string, exp time.Time) string {
		c := jwt.MapClaims{"iss": "jwtgate-example", "aud": "jwtgate-example-api", "sub": sub, "jti": sub + "-jti",
			"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": exp.Unix()}
		if scope != "" {
			c["scope"] = scope
		}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(key))
		require.NoError(t, err)
		return tok
	}
	later, earlier := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	return rpcTokens{
		valid:     mint(secret, "carol", "read", later),
		forged:    mint("another-secret-0123456789abcdef-0123", "carol", "read", later),
		expired:   mint(secret, "carol", "read", earlier),
		scopeless: mint(secret, "dave", "", later),
	}
}

// startGRPC runs the gRPC example's binary bin as startBinary runs an HTTP
// app, with METRICS_ADDR on a free port too, and returns the process, the
// address it listens on and its metrics' URL.
func startGRPC(t *testing.T, name, bin string, env ...string) (*process, string, string) {
	t.Helper()
	p := &process{t: t, name: name, cmd: exec.Command(bin), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), "ADDR=127.0.0.1:0", "METRICS_ADDR=127.0.0.1:0", "JWT_SECRET="+secret), env...)
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.running() {
			assert.NoError(t, p.stop(), "%s stops cleanly on SIGTERM", name)
		}
	})
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
	lines := strings.SplitN(p.banner, "\n", 3)
	require.Len(t, lines, 3, "%s's banner: %q", name, p.banner)
	addr, ok := strings.CutPrefix(lines[0], "jwtgate example listening on grpc://127.0.0.1:")
	require.True(t, ok, "%s: the first line names the address: %q; stderr: %s", name, lines[0], p.stderr)
	metrics, ok := strings.CutPrefix(lines[1], "metrics on ")
	require.True(t, ok, "%s: the second line names the metrics' URL: %q", name, lines[1])
	return p, "127.0.0.1:" + addr, metrics
}

// grpcCall runs the gRPC example's client: bin call -addr addr [-token
// token] args…, and returns what it printed and its exit status.
func grpcCall(t *testing.T, bin, addr, token string, args ...string) (string, int) {
	t.Helper()
	argv := []string{"call", "-addr", addr}
	if token != "" {
		argv = append(argv, "-token", token)
	}
	cmd := exec.Command(bin, append(argv, args...)...)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// refusal is what the gRPC example's client prints for a refused call.
func refusal(code, message, challenge string) string {
	return "code: " + code + "\nmessage: " + message + "\nwww-authenticate: " + challenge + "\n"
}

const rpcRealm = `Bearer realm="jwtgate-example"`

// metricLines returns the lines of the Prometheus text at url that start
// with prefix.
func metricLines(t *testing.T, url, prefix string) string {
	t.Helper()
	res, err := httpClient.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out strings.Builder
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, prefix) {
			out.WriteString(line)
		}
	}
	return out.String()
}

// TestGRPCExample calls the gRPC example, through its own client, with each
// kind of token, and reads its metrics and logs.
func TestGRPCExample(t *testing.T) {
	t.Parallel()
	bin := binary(t, "examples/grpc")
	p, addr, metrics := startGRPC(t, "grpc", bin)
	tok := mintRPCTokens(t)

	out, code := grpcCall(t, bin, addr, tok.valid, "me")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, `{"scopes":["read"],"sub":"carol"}`+"\n", out)
	out, code = grpcCall(t, bin, addr, tok.valid, "ticks")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, "\"tick 1 for carol\"\n\"tick 2 for carol\"\n\"tick 3 for carol\"\n", out, "the stream's context carries the token to every message")

	for _, tc := range []struct{ name, token, method, want string }{
		{"forged", tok.forged, "me", refusal("Unauthenticated", "The access token signature is invalid",
			rpcRealm+`, error="invalid_token", error_description="The access token signature is invalid"`)},
		{"expired", tok.expired, "me", refusal("Unauthenticated", "The access token expired",
			rpcRealm+`, error="invalid_token", error_description="The access token expired"`)},
		{"expired stream", tok.expired, "ticks", refusal("Unauthenticated", "The access token expired",
			rpcRealm+`, error="invalid_token", error_description="The access token expired"`)},
		{"scope-less", tok.scopeless, "me", refusal("PermissionDenied", "The access token lacks a required scope",
			rpcRealm+`, error="insufficient_scope", scope="read"`)},
		{"valid, without admin", tok.valid, "admin", refusal("PermissionDenied", "The access token lacks a required scope",
			rpcRealm+`, error="insufficient_scope", scope="admin"`)},
		{"none", "", "me", refusal("Unauthenticated", "No access token was sent", rpcRealm)},
	} {
		out, code := grpcCall(t, bin, addr, tc.token, tc.method)
		assert.Equal(t, 1, code, "%s: %s", tc.name, out)
		assert.Equal(t, tc.want, out, tc.name)
	}
	out, code = grpcCall(t, bin, addr, "", "health")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, `{"status":"SERVING"}`+"\n", out, "the health service answers without a token")

	// The OpenTelemetry module counted each refusal with its reason.
	auth := metricLines(t, metrics, "jwtgate_auth_requests_total{")
	for reason, n := range map[string]string{"bad_signature": "1", "expired": "2", "missing_token": "1"} {
		assert.Regexp(t, `(?m)^jwtgate_auth_requests_total\{jwtgate_auth_outcome="refused",jwtgate_auth_reason="`+reason+`",[^}]*\} `+n+`$`, auth, reason)
	}
	assert.Regexp(t, `(?m)^jwtgate_auth_requests_total\{jwtgate_auth_outcome="accepted",[^}]*\} 4$`, auth)
	assert.Regexp(t, `(?m)^jwtgate_authz_requests_total\{jwtgate_auth_reason="insufficient_scope",jwtgate_authz_outcome="refused",[^}]*\} 2$`,
		metricLines(t, metrics, "jwtgate_authz_requests_total{"))

	// The logs: a line per call, the core's refusals with the full method
	// as their path; never a token.
	require.NoError(t, p.stop())
	logs := p.stderr.String()
	var refused []map[string]any
	for line := range strings.Lines(logs) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "one JSON object a line: %q", line)
		if rec["msg"] == "jwtgate: request refused" {
			refused = append(refused, rec)
		}
	}
	if assert.Len(t, refused, 6, logs) {
		assert.Equal(t, "bad_signature", refused[0]["reason"])
		assert.Equal(t, "/jwtgate.example.v1.Profile/Me", refused[0]["path"])
		assert.Equal(t, "/jwtgate.example.v1.Profile/Ticks", refused[2]["path"])
	}
	for _, tk := range []string{tok.valid, tok.forged, tok.expired, tok.scopeless} {
		assert.NotContains(t, logs, strings.Split(tk, ".")[2], "the logs hold no token")
	}
}

// connectCall posts {} to a procedure of the Connect example in the
// Connect protocol, as curl does, and returns the status, the challenge
// and the JSON body.
func connectCall(t *testing.T, base, procedure, token string) (int, string, map[string]any) {
	t.Helper()
	var header []string
	if token != "" {
		header = []string{"Authorization", "Bearer " + token}
	}
	status, h, body := client{t: t, base: base}.with("POST", "/jwtgate.example.v1.Profile/"+procedure, "{}", header...)
	return status, h.Get("WWW-Authenticate"), body
}

// TestConnectExample calls the Connect example in the Connect protocol
// (JSON over HTTP) and, through the gRPC example's client, in gRPC, with
// each kind of token, and reads its metrics.
func TestConnectExample(t *testing.T) {
	t.Parallel()
	p := start(t, "connect")
	tok := mintRPCTokens(t)

	status, challenge, body := connectCall(t, p.base, "Me", tok.valid)
	assert.Equal(t, 200, status)
	assert.Empty(t, challenge)
	assert.Equal(t, map[string]any{"sub": "carol", "scopes": []any{"read"}}, body)

	for _, tc := range []struct {
		name, token, procedure string
		status                 int
		code, message          string
		challenge              string
	}{
		{"forged", tok.forged, "Me", 401, "unauthenticated", "The access token signature is invalid",
			rpcRealm + `, error="invalid_token", error_description="The access token signature is invalid"`},
		{"expired", tok.expired, "Me", 401, "unauthenticated", "The access token expired",
			rpcRealm + `, error="invalid_token", error_description="The access token expired"`},
		{"scope-less", tok.scopeless, "Me", 403, "permission_denied", "The access token lacks a required scope",
			rpcRealm + `, error="insufficient_scope", scope="read"`},
		{"valid, without admin", tok.valid, "Admin", 403, "permission_denied", "The access token lacks a required scope",
			rpcRealm + `, error="insufficient_scope", scope="admin"`},
		{"none", "", "Me", 401, "unauthenticated", "No access token was sent", rpcRealm},
	} {
		status, challenge, body := connectCall(t, p.base, tc.procedure, tc.token)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.challenge, challenge, tc.name)
		assert.Equal(t, map[string]any{"code": tc.code, "message": tc.message}, body, tc.name)
	}

	// In gRPC, through the gRPC example's client: the same answers, in
	// gRPC's codes.
	bin := binary(t, "examples/grpc")
	addr := strings.TrimPrefix(p.base, "http://")
	out, code := grpcCall(t, bin, addr, tok.valid, "ticks")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, "\"tick 1 for carol\"\n\"tick 2 for carol\"\n\"tick 3 for carol\"\n", out)
	out, code = grpcCall(t, bin, addr, tok.forged, "me")
	assert.Equal(t, 1, code, out)
	assert.Equal(t, refusal("Unauthenticated", "The access token signature is invalid",
		rpcRealm+`, error="invalid_token", error_description="The access token signature is invalid"`), out)
	out, code = grpcCall(t, bin, addr, tok.scopeless, "ticks")
	assert.Equal(t, 1, code, out)
	assert.Equal(t, refusal("PermissionDenied", "The access token lacks a required scope", rpcRealm+`, error="insufficient_scope", scope="read"`), out)

	auth := metricLines(t, p.base+"/metrics", "jwtgate_auth_requests_total{")
	for reason, n := range map[string]string{"bad_signature": "2", "expired": "1", "missing_token": "1"} {
		assert.Regexp(t, `(?m)^jwtgate_auth_requests_total\{jwtgate_auth_outcome="refused",jwtgate_auth_reason="`+reason+`",[^}]*\} `+n+`$`, auth, reason)
	}
	assert.Regexp(t, `(?m)^jwtgate_authz_requests_total\{jwtgate_auth_reason="insufficient_scope",jwtgate_authz_outcome="refused",[^}]*\} 3$`,
		metricLines(t, p.base+"/metrics", "jwtgate_authz_requests_total{"))
}

// rpcWalkthroughMarker starts the line before a walk-through's copy in the
// README's gRPC and Connect section; the example's name follows it.
const rpcWalkthroughMarker = "<!-- rpc walk-through: "

// TestRPCWalkthroughs runs the walk-through each RPC example prints, as
// TestWalkthrough runs the HTTP apps', with the jwtgate CLI and the gRPC
// example's binary in place of go run, and checks that the README shows
// the same lines.
func TestRPCWalkthroughs(t *testing.T) {
	t.Parallel()
	cli := binary(t, "cmd/jwtgate")
	grpcBin := binary(t, "examples/grpc")
	const goRun = "go run ./examples/grpc"

	t.Run("grpc", func(t *testing.T) {
		t.Parallel()
		p, addr, _ := startGRPC(t, "grpc", grpcBin)
		walk := walkthrough(t, p.banner)
		assert.Equal(t, strings.ReplaceAll(walk, addr, "127.0.0.1:50051"), readmeWalkthrough(t, "../../README.md", rpcWalkthroughMarker+"grpc"),
			"README.md shows the walk-through the gRPC example prints")
		denied := refusal("PermissionDenied", "The access token lacks a required scope", rpcRealm+`, error="insufficient_scope", scope="admin"`)
		runWalkthrough(t, strings.ReplaceAll(walk, goRun, grpcBin), cli, []struct{ command, output string }{
			{"ACCESS_TOKEN=$(jwtgate mint -key-env JWT_SECRET ", ""},
			{grpcBin + " call -addr " + addr + ` -token "$ACCESS_TOKEN" me`, `{"scopes":["read"],"sub":"carol"}`},
			{grpcBin + " call -addr " + addr + ` -token "$ACCESS_TOKEN" ticks`, `"tick 1 for carol"`},
			{grpcBin + " call -addr " + addr + ` -token "$ACCESS_TOKEN" admin || echo "exit status $?"`, strings.SplitN(denied, "\n", 2)[0]},
			{grpcBin + " call -addr " + addr + ` me || echo "exit status $?"`, "code: Unauthenticated"},
			{grpcBin + " call -addr " + addr + " health", `{"status":"SERVING"}`},
		})
	})
	t.Run("connect", func(t *testing.T) {
		t.Parallel()
		p := start(t, "connect")
		walk := walkthrough(t, p.banner)
		addr := strings.TrimPrefix(p.base, "http://")
		assert.Equal(t, strings.ReplaceAll(walk, addr, "127.0.0.1:8090"), readmeWalkthrough(t, "../../README.md", rpcWalkthroughMarker+"connect"),
			"README.md shows the walk-through the Connect example prints")
		runWalkthrough(t, strings.ReplaceAll(walk, goRun, grpcBin), cli, []struct{ command, output string }{
			{"ACCESS_TOKEN=$(jwtgate mint -key-env JWT_SECRET ", ""},
			{"curl -s -w '\\n' " + p.base + "/jwtgate.example.v1.Profile/Me ", `{"scopes":["read"],"sub":"carol"}`},
			{"curl -si -w '\\n' " + p.base + "/jwtgate.example.v1.Profile/Admin ", "HTTP/1.1 403 Forbidden"},
			{"curl -si -w '\\n' " + p.base + "/jwtgate.example.v1.Profile/Me ", "HTTP/1.1 401 Unauthorized"},
			{grpcBin + " call -addr " + addr + ` -token "$ACCESS_TOKEN" ticks`, `"tick 1 for carol"`},
		})
	})
}

// TestCopiedRPCExamplesBuild copies each RPC example's main.go into an
// empty module outside the repository, builds it there as
// TestCopiedExamplesBuild builds the HTTP apps, runs it, and calls it with
// a valid and a forged token.
func TestCopiedRPCExamplesBuild(t *testing.T) {
	t.Parallel()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	tok := mintRPCTokens(t)
	t.Run("grpc", func(t *testing.T) {
		t.Parallel()
		bin, err := buildCopy(t, repo, "grpc")
		require.NoError(t, err)
		_, addr, _ := startGRPC(t, "grpc (copy)", bin)
		out, code := grpcCall(t, bin, addr, tok.valid, "me")
		assert.Equal(t, 0, code, out)
		out, code = grpcCall(t, bin, addr, tok.forged, "me")
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, "code: Unauthenticated")
	})
	t.Run("connect", func(t *testing.T) {
		t.Parallel()
		bin, err := buildCopy(t, repo, "connect")
		require.NoError(t, err)
		p := startBinary(t, "connect (copy)", bin)
		status, _, _ := connectCall(t, p.base, "Me", tok.valid)
		assert.Equal(t, http.StatusOK, status)
		status, _, _ = connectCall(t, p.base, "Me", tok.forged)
		assert.Equal(t, http.StatusUnauthorized, status)
	})
}

// TestRPCLogLevel: the gRPC and Connect servers read LOG_LEVEL as the HTTP
// apps do (TestLogLevel): a value that is not a level stops them at start,
// exit status 1 and one line naming the variable; at warn a refused call
// leaves no record in the log (at the default, info, TestGRPCExample and
// TestConnectExample find one).
func TestRPCLogLevel(t *testing.T) {
	t.Parallel()
	tok := mintRPCTokens(t)
	for _, name := range []string{"grpc", "connect"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bin := binary(t, "examples/"+name)
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "METRICS_ADDR=127.0.0.1:0", "JWT_SECRET="+secret, "LOG_LEVEL=loud")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "exits non-zero: %v", err)
			assert.Equal(t, 1, exit.ExitCode())
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), `LOG_LEVEL is "loud"`)

			var p *process
			if name == "grpc" {
				var addr string
				p, addr, _ = startGRPC(t, name, bin, "LOG_LEVEL=warn")
				out, code := grpcCall(t, bin, addr, tok.forged, "me")
				require.Equal(t, 1, code, out)
			} else {
				p = start(t, name, "LOG_LEVEL=warn")
				status, _, _ := connectCall(t, p.base, "Me", tok.forged)
				require.Equal(t, http.StatusUnauthorized, status)
			}
			require.NoError(t, p.stop())
			assert.NotContains(t, p.stderr.String(), "jwtgate: request refused")
		})
	}
}
