package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJWKS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ed := keyPair("EdDSA", 0).(ed25519.PrivateKey)
	edJWK := writeFile(t, dir, "ed.jwk", fmt.Appendf(nil, `{"kty":"OKP","crv":"Ed25519","kid":"ed-1","x":%q,"d":%q}`, b64(ed.Public().(ed25519.PublicKey)), b64(ed.Seed())))
	tests := []struct {
		name     string
		key      any // the private key
		args     []string
		pub      bool // -key is the public PEM
		jwk      string
		kid, alg string
	}{
		{name: "RSA", key: keyPair("RS256", 0), alg: "RS256"},
		{name: "RSA for PS384", key: keyPair("RS256", 0), args: []string{"-alg", "PS384", "-kid", "r1"}, kid: "r1", alg: "PS384"},
		{name: "RSA public", key: keyPair("RS256", 0), pub: true, args: []string{"-kid", "r2"}, kid: "r2", alg: "RS256"},
		{name: "P-256", key: keyPair("ES256", 0), alg: "ES256"},
		{name: "P-384", key: keyPair("ES384", 0), args: []string{"-kid", "e"}, kid: "e", alg: "ES384"},
		{name: "P-521 public", key: keyPair("ES512", 0), pub: true, alg: "ES512"},
		{name: "Ed25519", key: keyPair("EdDSA", 0), args: []string{"-kid", "ed"}, kid: "ed", alg: "EdDSA"},
		{name: "Ed25519 JWK", key: ed, jwk: edJWK, kid: "ed-1", alg: "EdDSA"},
		{name: "Ed25519 JWK, -kid", key: ed, jwk: edJWK, args: []string{"-kid", "other"}, kid: "other", alg: "EdDSA"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.jwk
			if path == "" {
				private, public := writePEM(t, dir, fmt.Sprint("key", i), keyPair(tt.alg, 0))
				path = private
				if tt.pub {
					path = public
				}
			}
			r := cli(t, nil, "", append([]string{"jwks", "-key", path}, tt.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			assert.Contains(t, r.stdout, "\n  \"keys\": [\n", "pretty-printed")
			assert.NotContains(t, r.stdout, `"d"`, "no private member")
			assert.NotContains(t, r.stdout, `"p"`)

			set, err := jwks.ParseSet([]byte(r.stdout))
			require.NoError(t, err, r.stdout)
			kid := tt.kid
			if kid == "" { // RFC 7638's thumbprint, computed here from the key
				kid = rfc7638(t, tt.key)
			}
			k, err := set.Key(context.Background(), jwtgate.KeyQuery{KeyID: kid, Algorithm: tt.alg})
			require.NoError(t, err)
			assert.Equal(t, kid, k.ID)
			assert.Equal(t, tt.alg, k.Algorithm)
			assert.Nil(t, k.SignKey)
			switch priv := tt.key.(type) {
			case *rsa.PrivateKey:
				assert.True(t, priv.PublicKey.Equal(k.VerifyKey))
			case *ecdsa.PrivateKey:
				assert.True(t, priv.PublicKey.Equal(k.VerifyKey))
			case ed25519.PrivateKey:
				assert.True(t, priv.Public().(ed25519.PublicKey).Equal(k.VerifyKey))
			}
		})
	}
}

func TestJWKSRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := writeFile(t, dir, "secret", []byte(testSecret+"\n"))
	oct := writeFile(t, dir, "oct.jwk", []byte(`{"kty":"oct","alg":"HS256","k":"`+b64([]byte(testSecret))+`"}`))
	set := writeFile(t, dir, "set.json", []byte(`{"keys":[]}`))
	private, _ := writePEM(t, dir, "ec", keyPair("ES256", 0))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "no key", args: nil, code: 2, want: "give the key with -key"},
		{name: "HMAC secret file", args: []string{"-key", secret}, code: 1, want: "holds neither a PEM key nor a JWK; if it holds an HMAC secret, that is never published"},
		{name: "oct JWK", args: []string{"-key", oct}, code: 1, want: "an HMAC secret, which is never published"},
		{name: "HMAC alg", args: []string{"-key", private, "-alg", "HS256"}, code: 2, want: "an HMAC secret is never published"},
		{name: "wrong alg", args: []string{"-key", private, "-alg", "RS256"}, code: 1, want: "RS256 needs an *rsa.PublicKey"},
		{name: "JWK Set", args: []string{"-key", set}, code: 1, want: "already a JWK Set"},
		{name: "missing file", args: []string{"-key", dir + "/nope"}, code: 1, want: "no such file"},
		{name: "argument", args: []string{"-key", private, "extra"}, code: 2, want: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, nil, "", append([]string{"jwks"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
			assert.NotContains(t, r.stderr, testSecret[:20])
			assert.NotContains(t, r.stderr, b64([]byte(testSecret))[:20])
		})
	}
}

// rfc7638 is the RFC 7638 thumbprint of priv's public key, from its
// numbers: the SHA-256 of the required members in lexicographic order.
func rfc7638(t *testing.T, priv any) string {
	t.Helper()
	var canonical string
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		canonical = `{"e":"` + b64(big.NewInt(int64(k.E)).Bytes()) + `","kty":"RSA","n":"` + b64(k.N.Bytes()) + `"}`
	case *ecdsa.PrivateKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		canonical = `{"crv":"` + k.Curve.Params().Name + `","kty":"EC","x":"` + b64(k.X.FillBytes(make([]byte, size))) + `","y":"` + b64(k.Y.FillBytes(make([]byte, size))) + `"}`
	case ed25519.PrivateKey:
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(k.Public().(ed25519.PublicKey)) + `"}`
	default:
		t.Fatalf("no thumbprint for %T", priv)
	}
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:])
}

// TestJWKSRotation: several -key are published together, for a rotation,
// each under its -kid or else its RFC 7638 thumbprint (RFC 7638 §3.1's
// example key gives the RFC's); a token of either key verifies against the
// set; a -kid count that is not the -key count, one kid for two keys, and
// -alg with several keys are refused.
func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	current, _ := writePEM(t, dir, "current", keyPair("ES256", 0))
	next, _ := writePEM(t, dir, "next", keyPair("ES256", 1))
	rfc := writeFile(t, dir, "rfc7638.jwk", []byte(`{"kty":"RSA","alg":"RS256","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}`))

	r := cli(t, nil, "", "jwks", "-key", current, "-key", next, "-key", rfc)
	require.Equal(t, 0, r.code, r.stderr)
	set, err := jwks.ParseSet([]byte(r.stdout))
	require.NoError(t, err, r.stdout)
	for i, name := range []string{"current", "next"} {
		kid := rfc7638(t, keyPair("ES256", i))
		k, err := set.Key(context.Background(), jwtgate.KeyQuery{KeyID: kid, Algorithm: "ES256"})
		require.NoError(t, err, name)
		assert.True(t, keyPair("ES256", i).(*ecdsa.PrivateKey).PublicKey.Equal(k.VerifyKey), name)
	}
	_, err = set.Key(context.Background(), jwtgate.KeyQuery{KeyID: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", Algorithm: "RS256"})
	assert.NoError(t, err, "RFC 7638 §3.1's thumbprint")

	r = cli(t, nil, "", "jwks", "-key", current, "-key", next, "-kid", "a", "-kid", "b")
	require.Equal(t, 0, r.code, r.stderr)
	set, err = jwks.ParseSet([]byte(r.stdout))
	require.NoError(t, err)
	for _, kid := range []string{"a", "b"} {
		_, err := set.Key(context.Background(), jwtgate.KeyQuery{KeyID: kid, Algorithm: "ES256"})
		assert.NoError(t, err, kid)
	}

	for name, args := range map[string][]string{
		"one -kid for two -key": {"-key", current, "-key", next, "-kid", "a"},
		"one kid for two keys":  {"-key", current, "-key", next, "-kid", "a", "-kid", "a"},
		"the same key twice":    {"-key", current, "-key", current},
		"-alg with two keys":    {"-key", current, "-key", next, "-alg", "ES256"},
	} {
		r := cli(t, nil, "", append([]string{"jwks"}, args...)...)
		assert.NotEqual(t, 0, r.code, name)
		assert.Empty(t, r.stdout, name)
		assert.NotEmpty(t, r.stderr, name)
	}
}
