package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
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
			k, err := set.Key(context.Background(), jwtgate.KeyQuery{KeyID: tt.kid, Algorithm: tt.alg})
			require.NoError(t, err)
			assert.Equal(t, tt.kid, k.ID)
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
