package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJWKSResourceServer: the net/http example signs with an ECDSA key and
// publishes it; the jwks example verifies its tokens from that JWK Set, and
// those of another signer of the same key without jti (it keeps no
// revocation store); its /metrics counts the key set's fetch, its one key
// and the refusals by reason; it logs one JSON line per request and the
// refusals with their request's ID, never a token; and it stops cleanly on
// SIGTERM.
func TestJWKSResourceServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "issuer.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))

	issuer := start(t, "nethttp", "JWT_SIGNING_KEY="+keyFile).client()
	server := start(t, "jwks", "JWKS_URL="+issuer.base+"/.well-known/jwks.json")
	api := server.client()

	status, set := issuer.do("GET", "/.well-known/jwks.json", "", "")
	require.Equal(t, 200, status)
	require.Len(t, set["keys"], 1)
	assert.Equal(t, "ES256", set["keys"].([]any)[0].(map[string]any)["alg"])

	access, _ := issuer.login()
	status, me := api.do("GET", "/api/me", "", access)
	assert.Equal(t, 200, status)
	assert.Equal(t, "alice", me["sub"])
	status, _ = api.do("GET", "/api/me", "", tamperSignature(access))
	assert.Equal(t, 401, status)
	status, _ = api.do("GET", "/api/me", "", "")
	assert.Equal(t, 401, status)

	noJTI := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "jwtgate-example", "aud": "jwtgate-example-api", "sub": "carol", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
	})
	signed, err := noJTI.SignedString(priv)
	require.NoError(t, err)
	status, me = api.do("GET", "/api/me", "", signed)
	assert.Equal(t, 200, status, "no jti needed: %v", me)
	assert.Equal(t, "carol", me["sub"])
	status, _ = issuer.do("GET", "/api/me", "", signed)
	assert.Equal(t, 401, status, "the issuer, which can revoke, requires jti")

	samples := scrape(t, api.base)
	assert.Equal(t, float64(1), sum(samples, "jwtgate_jwks_key_count", `server_address="127.0.0.1"`), "one key in the set")
	assert.GreaterOrEqual(t, sum(samples, "jwtgate_jwks_fetch_duration_seconds_count", `server_address="127.0.0.1"`), float64(1), "fetches")
	assert.Equal(t, float64(2), sum(samples, "jwtgate_auth_requests_total", `jwtgate_auth_outcome="accepted"`))
	assert.Equal(t, float64(1), sum(samples, "jwtgate_auth_requests_total", `jwtgate_auth_reason="bad_signature"`))
	assert.Equal(t, float64(1), sum(samples, "jwtgate_auth_requests_total", `jwtgate_auth_reason="missing_token"`))
	require.NoError(t, server.stop())
	assert.Zero(t, checkLogs(t, server.stderr.String(), []string{access, tamperSignature(access), signed}, []sent{
		{"GET", "/api/me", 200, ""}, {"GET", "/api/me", 401, ""}, {"GET", "/api/me", 401, ""}, {"GET", "/api/me", 200, ""}, {"GET", "/metrics", 200, ""},
	}), "no refresh token here")
}

// tamperSignature changes a character early in the signature, so the token is
// certainly forged (not only its unused trailing bits).
func tamperSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
