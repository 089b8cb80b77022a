package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerify mints tokens that break one rule each and checks that verify
// refuses them as the middleware would, with the description and the cause.
func TestVerify(t *testing.T) {
	t.Parallel()
	base := []string{"-key-env", "JWT_SECRET", "-iss", "iss-1", "-aud", "api"}
	tests := []struct {
		name   string
		mint   []string // besides base
		verify []string // besides the key
		code   int
		stderr []string
	}{
		{name: "accepted", verify: []string{"-iss", "iss-1", "-aud", "api"}, code: 0},
		{name: "one of several issuers and audiences", verify: []string{"-iss", "other", "-iss", "iss-1", "-aud", "x", "-aud", "api"}, code: 0},
		{name: "one of the token's audiences", mint: []string{"-aud", "web"}, verify: []string{"-iss", "iss-1", "-aud", "web"}, code: 0},
		{name: "skip iss and aud", verify: []string{"-skip-iss", "-skip-aud"}, code: 0},
		{name: "required claims present", mint: []string{"-sub", "alice"}, verify: []string{"-iss", "iss-1", "-aud", "api", "-require", "sub", "-require", "jti"}, code: 0},
		{name: "accepted type", verify: []string{"-iss", "iss-1", "-aud", "api", "-typ", "at+jwt"}, code: 0},
		{name: "no typ accepted with -typ=", mint: []string{"-typ="}, verify: []string{"-iss", "iss-1", "-aud", "api", "-typ="}, code: 0},
		{name: "expired within leeway", mint: []string{"-ttl", "-20s"}, verify: []string{"-iss", "iss-1", "-aud", "api", "-leeway", "1m"}, code: 0},

		{name: "expired", mint: []string{"-ttl", "-1m"}, verify: []string{"-iss", "iss-1", "-aud", "api"}, code: 1,
			stderr: []string{"refused: 401 invalid_token: The access token expired", "cause: jwtgate: invalid token: token has invalid claims: token is expired"}},
		{name: "not yet valid", mint: []string{"-nbf", "10m"}, verify: []string{"-iss", "iss-1", "-aud", "api"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "token is not valid yet"}},
		{name: "no exp", mint: []string{"-ttl", "0"}, verify: []string{"-iss", "iss-1", "-aud", "api"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "cause: "}},
		{name: "wrong issuer", verify: []string{"-iss", "iss-2", "-aud", "api"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "token has invalid issuer"}},
		{name: "wrong audience", verify: []string{"-iss", "iss-1", "-aud", "other"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "token has invalid audience"}},
		{name: "required claim missing", verify: []string{"-iss", "iss-1", "-aud", "api", "-require", "sub"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "token is missing required claim"}},
		{name: "jti required, none", mint: []string{"-jti="}, verify: []string{"-iss", "iss-1", "-aud", "api", "-require", "jti"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "token is missing required claim"}},
		{name: "type not accepted", mint: []string{"-typ", "refresh+jwt"}, verify: []string{"-iss", "iss-1", "-aud", "api"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "token type not allowed"}},
		{name: "type not in -typ", mint: []string{"-typ", "JWT"}, verify: []string{"-iss", "iss-1", "-aud", "api", "-typ", "at+jwt"}, code: 1,
			stderr: []string{"token type not allowed"}},
		{name: "HS384 token, HS256 key", mint: []string{"-alg", "HS384"}, verify: []string{"-iss", "iss-1", "-aud", "api"}, code: 1,
			stderr: []string{"refused: 401 invalid_token", "algorithm"}},

		{name: "no iss", verify: []string{"-aud", "api"}, code: 2, stderr: []string{"-iss, or -skip-iss", "Usage: jwtgate verify"}},
		{name: "no aud", verify: []string{"-iss", "iss-1"}, code: 2, stderr: []string{"-aud, or -skip-aud"}},
		{name: "iss and skip-iss", verify: []string{"-iss", "iss-1", "-skip-iss", "-aud", "api"}, code: 2, stderr: []string{"contradict"}},
		{name: "aud and skip-aud", verify: []string{"-iss", "iss-1", "-aud", "api", "-skip-aud"}, code: 2, stderr: []string{"contradict"}},
		{name: "empty iss", verify: []string{"-iss", "", "-aud", "api"}, code: 2, stderr: []string{"Issuer contains an empty string"}},
		{name: "leeway too large", verify: []string{"-iss", "iss-1", "-aud", "api", "-leeway", "1h"}, code: 2, stderr: []string{"Leeway must be between 0 and 5m0s"}},
		{name: "alg none", verify: []string{"-iss", "iss-1", "-aud", "api", "-alg", "none"}, code: 2, stderr: []string{`-alg "none" is not supported`}},
		{name: "loopback flag without url", verify: []string{"-iss", "iss-1", "-aud", "api", "-allow-http-loopback"}, code: 2, stderr: []string{"-jwks-url only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := mustMint(t, secretEnv, append(append([]string{}, base...), tt.mint...)...)
			r := cli(t, secretEnv, "", append(append([]string{"verify", "-key-env", "JWT_SECRET"}, tt.verify...), token)...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			for _, s := range tt.stderr {
				assert.Contains(t, r.stderr, s)
			}
			assert.NotContains(t, r.stderr, testSecret[:20], "no secret is printed")
			assert.NotContains(t, r.stderr, token, "the token is not echoed")
			if tt.code != 0 {
				assert.Empty(t, r.stdout)
				return
			}
			assert.Empty(t, r.stderr)
			var claims map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &claims))
			assert.Equal(t, "iss-1", claims["iss"])
			assert.Equal(t, decodePart(t, token, 1)["jti"], claims["jti"])
		})
	}
}

func TestVerifyInput(t *testing.T) {
	t.Parallel()
	token := mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-iss", "i", "-aud", "a", "-claim", "big=12345678901234567890")
	flags := []string{"verify", "-key-env", "JWT_SECRET", "-iss", "i", "-aud", "a"}
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
	}{
		{name: "argument last", args: append(append([]string{}, flags...), token), code: 0},
		{name: "argument first", args: []string{"verify", token, "-key-env", "JWT_SECRET", "-iss", "i", "-aud", "a"}, code: 0},
		{name: "dash", args: append(append([]string{}, flags...), "-"), stdin: token + "\n", code: 0},
		{name: "standard input", args: flags, stdin: token, code: 0},
		{name: "Bearer", args: append(append([]string{}, flags...), "Bearer "+token), code: 0},
		{name: "no token", args: flags, stdin: "\n", code: 2},
		{name: "garbage", args: append(append([]string{}, flags...), "not-a-token"), code: 1},
		{name: "tampered", args: append(append([]string{}, flags...), token[:len(token)-2]+"AA"), code: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, secretEnv, tt.stdin, tt.args...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			if tt.code == 0 {
				assert.Contains(t, r.stdout, `"big": 12345678901234567890`, "the claims as signed, pretty-printed")
			} else {
				assert.Empty(t, r.stdout)
			}
		})
	}
}

func TestVerifyKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	private, public := writePEM(t, dir, "ps", keyPair("PS256", 0))
	secret := writeFile(t, dir, "secret", []byte(testSecret))
	ps256 := mustMint(t, nil, "-key", private, "-alg", "PS256", "-iss", "i", "-aud", "a", "-kid", "ps-1")

	// The key published by the jwks command, as a file and at a URL.
	r := cli(t, nil, "", "jwks", "-key", private, "-alg", "PS256", "-kid", "ps-1")
	require.Equal(t, 0, r.code, r.stderr)
	set := writeFile(t, dir, "jwks.json", []byte(r.stdout))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write([]byte(r.stdout))
	}))
	t.Cleanup(srv.Close)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	httpsURL := strings.Replace(srv.URL, "http://", "https://", 1)

	tests := []struct {
		name   string
		key    []string
		code   int
		stderr []string
	}{
		{name: "public PEM with -alg", key: []string{"-key", public, "-alg", "PS256"}, code: 0},
		{name: "public PEM without -alg is RS256", key: []string{"-key", public}, code: 1, stderr: []string{"algorithm"}},
		{name: "JWK Set file", key: []string{"-key", set}, code: 0},
		{name: "JWK Set file with -alg", key: []string{"-key", set, "-alg", "PS256"}, code: 2, stderr: []string{"-alg does not apply to a JWK Set"}},
		{name: "JWK Set URL", key: []string{"-jwks-url", srv.URL, "-allow-http-loopback"}, code: 0},
		{name: "JWK Set URL over http", key: []string{"-jwks-url", srv.URL}, code: 2, stderr: []string{"is not https"}},
		{name: "JWK Set URL with -alg", key: []string{"-jwks-url", srv.URL, "-alg", "PS256", "-allow-http-loopback"}, code: 2, stderr: []string{"-alg does not apply to -jwks-url"}},
		{name: "JWK Set URL failing", key: []string{"-jwks-url", broken.URL, "-allow-http-loopback"}, code: 1, stderr: []string{"500 Internal Server Error", "refused: 401 invalid_token"}},
		{name: "JWK Set URL not answering TLS", key: []string{"-jwks-url", httpsURL}, code: 1, stderr: []string{"refused: 401 invalid_token", "no key for token"}},
		{name: "HMAC secret for an RSA token", key: []string{"-secret-file", secret}, code: 1, stderr: []string{"refused: 401 invalid_token"}},
		{name: "HMAC secret as -key", key: []string{"-key", secret}, code: 1, stderr: []string{"an HMAC secret in a file is given with -secret-file"}},
		{name: "two keys", key: []string{"-key", public, "-jwks-url", srv.URL}, code: 2, stderr: []string{"one of -key, -secret-file, -key-env and -jwks-url"}},
		{name: "no key", key: nil, code: 2, stderr: []string{"one of -key, -secret-file, -key-env and -jwks-url"}},
		{name: "missing file", key: []string{"-key", dir + "/nope"}, code: 1, stderr: []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", append(append([]string{"verify"}, tt.key...), "-iss", "i", "-aud", "a", ps256)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			for _, s := range tt.stderr {
				assert.Contains(t, r.stderr, s)
			}
			if tt.code == 0 {
				assert.Contains(t, r.stdout, `"iss": "i"`)
			} else {
				assert.Empty(t, r.stdout)
			}
		})
	}
}

// TestVerifyPrivateJWKSet: a local JWK Set file is the operator's own: it
// may hold private and symmetric keys, which verify.
func TestVerifyPrivateJWKSet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "private-set.json", []byte(`{"keys":[{"kty":"oct","alg":"HS256","kid":"s1","k":"`+b64([]byte(testSecret))+`"}]}`))
	token := mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-kid", "s1", "-iss", "i", "-aud", "a")
	v := cli(t, nil, "", "verify", "-key", path, "-iss", "i", "-aud", "a", token)
	assert.Equal(t, 0, v.code, v.stderr)
	other := mustMint(t, secretEnv, "-key-env", "JWT_SECRET", "-kid", "s2", "-iss", "i", "-aud", "a")
	v = cli(t, nil, "", "verify", "-key", path, "-iss", "i", "-aud", "a", other)
	assert.Equal(t, 1, v.code)
	assert.Contains(t, v.stderr, "no key for token")
}

// TestVerifyBoundToken: a token bound to a DPoP key (cnf.jkt) is refused:
// the proof that its holder has the key belongs to an HTTP request, which
// verify has not. Otherwise the token is valid, signed with a secret or an
// RSA key.
func TestVerifyBoundToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	private, public := writePEM(t, dir, "rs", keyPair("RS256", 0))
	jkt := jwkThumbprintOf(t)
	cnf := `cnf={"jkt":"` + jkt + `"}`
	for _, tt := range []struct {
		name       string
		mint, keys []string
	}{
		{name: "HS256, -key-env", mint: []string{"-key-env", "JWT_SECRET"}, keys: []string{"-key-env", "JWT_SECRET"}},
		{name: "RS256, a PEM key", mint: []string{"-key", private}, keys: []string{"-key", public}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{}, tt.mint...), "-iss", "i", "-aud", "a", "-sub", "alice")
			bearer := mustMint(t, secretEnv, args...)
			v := cli(t, secretEnv, "", append(append([]string{"verify"}, tt.keys...), "-iss", "i", "-aud", "a", bearer)...)
			require.Equal(t, 0, v.code, "the same token without cnf verifies: %s", v.stderr)

			bound := mustMint(t, secretEnv, append(args, "-claim", cnf)...)
			v = cli(t, secretEnv, "", append(append([]string{"verify"}, tt.keys...), "-iss", "i", "-aud", "a", bound)...)
			assert.Equal(t, 1, v.code, v.stdout)
			assert.Empty(t, v.stdout, "no claims printed")
			assert.Contains(t, v.stderr, "refused: 401 invalid_token")
			assert.Contains(t, v.stderr, "bound to a key")
			assert.Contains(t, v.stderr, "bound to a DPoP key (cnf.jkt "+jkt+")")
			assert.Contains(t, v.stderr, "a DPoP proof belongs to an HTTP request")
		})
	}

	r := cli(t, nil, "", "help", "verify")
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "bound to a DPoP key")
}

// jwkThumbprintOf is the RFC 7638 thumbprint of a fresh DPoP key: 43
// base64url characters, as a cnf.jkt holds.
func jwkThumbprintOf(t *testing.T) string {
	t.Helper()
	r := cli(t, nil, "", "dpop-key")
	require.Equal(t, 0, r.code, r.stderr)
	jkt := printedJKT(t, r.stderr)
	require.Len(t, jkt, 43)
	return jkt
}
