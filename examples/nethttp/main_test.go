package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// newTestServer serves the app's routes as run builds them, with
// JWT_SECRET testSecret and env, over an in-memory store.
func newTestServer(t *testing.T, env map[string]string) *httptest.Server {
	t.Helper()
	s, err := loadSettings(func(k string) string { return cmp.Or(env[k], map[string]string{"JWT_SECRET": testSecret}[k]) })
	require.NoError(t, err)
	obs, metrics, err := newMetrics()
	require.NoError(t, err)
	e, err := newEndpoints(s, jwtgate.HMAC(s.secret, "HS256"), issuing.NewMemoryStore(nil), obs, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	srv := httptest.NewServer(logRequests(slog.New(slog.DiscardHandler), newHandler(e, metrics, nil)))
	t.Cleanup(srv.Close)
	return srv
}

// TestContract walks the contract against the app's routes in-process.
func TestContract(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, nil)
	contract.Walk(t, contract.App{Base: srv.URL, Secret: testSecret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
}

// TestDPoP walks the contract's DPoP steps in-process, DPoP allowed and
// required, PUBLIC_URL unset and set.
func TestDPoP(t *testing.T) {
	t.Parallel()
	for _, app := range []contract.App{{DPoP: "allowed"}, {DPoP: "required", PublicURL: "https://api.example.com"}} {
		t.Run(app.DPoP, func(t *testing.T) {
			t.Parallel()
			app.Base = newTestServer(t, map[string]string{"DPOP": app.DPoP, "PUBLIC_URL": app.PublicURL}).URL
			app.Secret, app.Issuer, app.Audience = testSecret, "jwtgate-example", "jwtgate-example-api"
			contract.WalkDPoP(t, app)
		})
	}
}

// writeKey writes a PEM file of key (private, or public when public is set).
func writeKey(t *testing.T, key *ecdsa.PrivateKey, public bool) string {
	t.Helper()
	der, block := []byte(nil), "PRIVATE KEY"
	var err error
	if public {
		der, err = x509.MarshalPKIXPublicKey(&key.PublicKey)
		block = "PUBLIC KEY"
	} else {
		der, err = x509.MarshalPKCS8PrivateKey(key)
	}
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: block, Bytes: der}), 0o600))
	return path
}

// TestBadConfigurationStops: a wrong setting is an error naming its
// variable, before anything listens or is printed.
func TestBadConfigurationStops(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	public := writeKey(t, key, true)
	notPEM := filepath.Join(t.TempDir(), "key.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a key"), 0o600))
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
		{name: "JWT_ALG alone", env: map[string]string{"JWT_ALG": "PS256"}, want: "JWT_ALG is set without JWT_SIGNING_KEY"},
		{name: "JWT_SIGNING_KEY missing", env: map[string]string{"JWT_SIGNING_KEY": filepath.Join(t.TempDir(), "none.pem")}, want: "JWT_SIGNING_KEY"},
		{name: "JWT_SIGNING_KEY not PEM", env: map[string]string{"JWT_SIGNING_KEY": notPEM}, want: "JWT_SIGNING_KEY"},
		{name: "JWT_SIGNING_KEY public", env: map[string]string{"JWT_SIGNING_KEY": public}, want: "JWT_SIGNING_KEY holds a public key"},
		{name: "JWT_ALG the key does not allow", env: map[string]string{"JWT_SIGNING_KEY": writeKey(t, key, false), "JWT_ALG": "RS256"}, want: "JWT_SIGNING_KEY"},
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

// TestSigningKey: with JWT_SIGNING_KEY the tokens are signed with the key
// (ES256 for a P-256 key, its kid derived from the public key) and the public
// key is served as a JWK Set; without it, /.well-known/jwks.json is not
// there, since a secret is never published.
func TestSigningKey(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, _ := startRun(t, ctx, map[string]string{"JWT_SIGNING_KEY": writeKey(t, key, false)})

	get := func(path string) (int, map[string]any) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	status, set := get("/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, set["keys"], 1)
	jwk := set["keys"].([]any)[0].(map[string]any)
	assert.Equal(t, "ES256", jwk["alg"])
	assert.Len(t, jwk["kid"], 16)
	assert.NotContains(t, jwk, "d", "the private key is not published")

	res, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"alice-password"}`))
	require.NoError(t, err)
	var pair issuing.Pair
	require.NoError(t, json.NewDecoder(res.Body).Decode(&pair))
	res.Body.Close()
	seg, _, _ := strings.Cut(pair.AccessToken, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	var header map[string]any
	require.NoError(t, json.Unmarshal(raw, &header))
	assert.Equal(t, "ES256", header["alg"])
	assert.Equal(t, jwk["kid"], header["kid"])

	res, err = http.Get(newTestServer(t, nil).URL + "/.well-known/jwks.json")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}
