package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// asCLI, set to 1 in its environment, makes the test binary the jwtgate
// command: the walk-through's shell lines call it by that name, and so run
// the code under test without a build of their own.
const asCLI = "JWTGATE_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// The example app's settings and demo account, as examples/nethttp prints
// them in its banner.
const (
	exampleIssuer   = "jwtgate-example"
	exampleAudience = "jwtgate-example-api"
	exampleUser     = "alice"
	examplePassword = "alice-password"
	exampleBase     = "http://127.0.0.1:8080" // the walk-through's address, the app's default
)

// exampleServer is the example app as DPOP=allowed starts it, as far as the
// walk-through reaches: POST /login and POST /refresh are issuing.Endpoints
// behind httpjwt, which bind tokens to the key of a login's DPoP proof;
// GET /api/me takes Bearer tokens and DPoP-bound ones with their proof.
// HS256, iss, aud, jti required and 30 s of leeway as the app has them; its
// clock is fixed at now.
func exampleServer(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	clock := func() time.Time { return now }
	key := jwtgate.HMAC([]byte(testSecret), "HS256")
	store := issuing.NewMemoryStore(clock)
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:           key,
		Issuer:         []string{exampleIssuer},
		Audience:       []string{exampleAudience},
		RequiredClaims: []string{"jti"},
		Leeway:         30 * time.Second,
		Revoker:        store,
		Realm:          exampleIssuer,
		Now:            clock,
		DPoP:           &dpop.Config{Mode: dpop.Allowed, Replay: dpop.NewMemoryReplayStore(clock)},
	})
	require.NoError(t, err)
	issuer, err := issuing.New(issuing.Config{Key: key, Issuer: exampleIssuer, Audience: []string{exampleAudience}, Store: store, Leeway: 30 * time.Second, Now: clock})
	require.NoError(t, err)
	endpoints := &issuing.Endpoints{
		Issuer:        issuer,
		Authenticator: auth,
		CheckCredentials: func(_ context.Context, req issuing.LoginRequest) (issuing.Grant, error) {
			if req.Username != exampleUser || req.Password != examplePassword {
				return issuing.Grant{}, issuing.ErrBadCredentials
			}
			return issuing.Grant{Subject: exampleUser, Scope: "read"}, nil
		},
	}
	mux := http.NewServeMux()
	mux.Handle("POST /login", httpjwt.LoginHandler(endpoints))
	mux.Handle("POST /refresh", httpjwt.RefreshHandler(endpoints))
	mux.Handle("GET /api/me", httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := jwtgate.FromContext(r.Context())
		// Without a line break at the end, as the example answers: the
		// walk-through's curl -w '\n' adds one.
		b, _ := json.Marshal(map[string]string{"sub": tok.Subject, "scope": strings.Join(tok.Scopes(), " ")})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestDPoPWalkthrough runs the walk-through of the docs against a server
// configured as the example app with DPoP allowed: once as Go code, step by
// step, and once as the very shell lines the docs print, with this test
// binary as jwtgate. Each server's clock is fixed when it starts; the
// proofs, made now by the CLI, are within its window of a minute.
func TestDPoPWalkthrough(t *testing.T) {
	t.Parallel()

	t.Run("steps", func(t *testing.T) {
		t.Parallel()
		base := exampleServer(t, time.Now()).URL
		dir := t.TempDir()
		key := filepath.Join(dir, "client.jwk")

		// jwtgate dpop-key -out client.jwk
		r := cli(t, nil, "", "dpop-key", "-out", key)
		require.Equal(t, 0, r.code, r.stderr)
		jkt := printedJKT(t, r.stderr)

		// curl -s -X POST …/login -H 'Content-Type: application/json' -H "DPoP: $(jwtgate dpop-proof …)" -d '{…}'
		proof := mustProof(t, "-key", key, "-htm", "POST", "-htu", base+"/login")
		req, err := http.NewRequest("POST", base+"/login", strings.NewReader(`{"username":"`+exampleUser+`","password":"`+examplePassword+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("DPoP", proof)
		status, body := do(t, req)
		require.Equal(t, http.StatusOK, status, body)
		var pair struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &pair))
		assert.Equal(t, "DPoP", pair.TokenType)
		assert.Equal(t, &dpopKeys{CnfJKT: jkt}, inspectDPoP(t, pair.AccessToken), "bound to the key dpop-key made")

		// curl -s …/api/me -H "Authorization: DPoP $ACCESS_TOKEN" -H "DPoP: $(jwtgate dpop-proof … -token "$ACCESS_TOKEN")"
		req, err = http.NewRequest("GET", base+"/api/me", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "DPoP "+pair.AccessToken)
		req.Header.Set("DPoP", mustProof(t, "-key", key, "-htm", "GET", "-htu", base+"/api/me", "-token", pair.AccessToken))
		status, body = do(t, req)
		require.Equal(t, http.StatusOK, status, body)
		assert.Equal(t, dpopWalkthroughAnswer, body)

		// The login's proof was spent: a second login with it is refused.
		req, err = http.NewRequest("POST", base+"/login", strings.NewReader(`{"username":"`+exampleUser+`","password":"`+examplePassword+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("DPoP", proof)
		status, body = do(t, req)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, `"error":"invalid_dpop_proof"`)
	})

	t.Run("shell", func(t *testing.T) {
		t.Parallel()
		var missing []string
		for _, tool := range []string{"bash", "curl", "sed"} {
			if _, err := exec.LookPath(tool); err != nil {
				missing = append(missing, tool)
			}
		}
		if len(missing) > 0 {
			t.Skipf("the walk-through's shell lines need %s", strings.Join(missing, ", "))
		}
		base := exampleServer(t, time.Now()).URL
		self, err := os.Executable()
		require.NoError(t, err)
		bin := t.TempDir()
		writeExecutable(t, filepath.Join(bin, "jwtgate"), "#!/bin/sh\n"+asCLI+"=1 exec '"+self+"' \"$@\"\n")

		work := t.TempDir()
		script := "set -euo pipefail\n" + strings.ReplaceAll(dpopWalkthrough, exampleBase, base) + "\n"
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
		assert.Equal(t, dpopWalkthroughAnswer+"\n", stdout.String(), "stderr: %s", stderr.String())
		assert.Contains(t, stderr.String(), "jwtgate dpop-key: thumbprint (jkt): ")

		info, err := os.Stat(filepath.Join(work, "client.jwk"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	})
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func writeExecutable(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o700))
}

// TestDPoPWalkthroughDocumented: the package doc and README.md show the
// walk-through the test runs, and it logs in with the account the example
// app's banner names.
func TestDPoPWalkthroughDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("main.go")
	require.NoError(t, err)
	assert.Contains(t, string(doc), "//\t"+strings.ReplaceAll(dpopWalkthrough, "\n", "\n//\t")+"\n", "main.go's package doc")
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "\n"+dpopWalkthrough+"\n", "README.md")

	r := cli(t, nil, "", "help", "dpop-proof")
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "\n  "+strings.ReplaceAll(dpopWalkthrough, "\n", "\n  ")+"\n")

	// The example app's banner logs in as the walk-through does, and it
	// listens where the walk-through calls it. Its sources are
	// examples/nethttp, with examples/internal/demo where that still holds
	// what the apps share.
	var sources strings.Builder
	for _, dir := range []string{"nethttp", filepath.Join("internal", "demo")} {
		files, err := filepath.Glob(filepath.Join(repoRoot(t), "examples", dir, "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				sources.Write(must(os.ReadFile(f)))
			}
		}
	}
	login := `{"username":"` + exampleUser + `","password":"` + examplePassword + `"}`
	assert.Contains(t, sources.String(), "-d '"+login+"'", "the example app's banner no longer logs in as %s: update the walk-through, exampleUser and examplePassword", login)
	assert.Contains(t, dpopWalkthrough, "-d '"+login+"'")
	assert.Contains(t, sources.String(), `"`+strings.TrimPrefix(exampleBase, "http://")+`"`, "the example app's default address is no longer the walk-through's")
}
