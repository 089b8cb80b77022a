package jwtgate_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func secret(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func validConfig() jwtgate.Config {
	return jwtgate.Config{
		Keys:     jwtgate.HMAC(secret(32), "HS256"),
		Issuer:   []string{"https://issuer.example"},
		Audience: []string{"api://svc"},
	}
}

func TestNewRejectsZeroConfig(t *testing.T) {
	t.Parallel()
	_, err := jwtgate.New(jwtgate.Config{})
	require.Error(t, err)
	// Every problem is reported at once.
	assert.ErrorContains(t, err, "Keys is required")
	assert.ErrorContains(t, err, "Issuer is empty")
	assert.ErrorContains(t, err, "Audience is empty")
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ec256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pem := []byte("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj\n-----END PUBLIC KEY-----\n")

	tests := []struct {
		name   string
		modify func(*jwtgate.Config)
		want   string
	}{
		{name: "KEY-02 HS256 secret 31 bytes", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.HMAC(secret(31), "HS256") }, want: "needs at least 32"},
		{name: "KEY-02 HS384 secret 47 bytes", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.HMAC(secret(47), "HS384") }, want: "needs at least 48"},
		{name: "KEY-02 HS512 secret 63 bytes", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.HMAC(secret(63), "HS512") }, want: "needs at least 64"},
		{name: "ALG-13 empty secret", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.HMAC(nil, "HS256") }, want: "needs at least 32"},
		{name: "ALG-12 password secret", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.HMAC([]byte("secret"), "HS256") }, want: "needs at least 32"},
		{name: "ALG-05 PEM as HMAC secret", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.HMAC(pem, "HS256") }, want: "PEM block"},
		{name: "alg none", modify: func(c *jwtgate.Config) {
			c.Keys = &jwtgate.Key{Algorithm: "none", VerifyKey: jwt.UnsafeAllowNoneSignatureType}
		}, want: "not supported"},
		{name: "alg lower case", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "hs256", VerifyKey: secret(32)} }, want: "not supported"},
		{name: "nil verify key", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "HS256"} }, want: "VerifyKey is nil"},
		{name: "RSA public key for HS256", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "HS256", VerifyKey: &rsa1024.PublicKey} }, want: "needs a []byte"},
		{name: "KEY-01 RSA 1024", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "RS256", VerifyKey: &rsa1024.PublicKey} }, want: "at least 2048"},
		{name: "HMAC secret for RS256", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "RS256", VerifyKey: secret(64)} }, want: "needs an *rsa.PublicKey"},
		{name: "ALG-09 P-256 key for ES384", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "ES384", VerifyKey: &ec256.PublicKey} }, want: "curve P-384"},
		{name: "EC key for EdDSA", modify: func(c *jwtgate.Config) { c.Keys = &jwtgate.Key{Algorithm: "EdDSA", VerifyKey: &ec256.PublicKey} }, want: "ed25519.PublicKey"},
		{name: "sign key of another key", modify: func(c *jwtgate.Config) {
			_, other, _ := ed25519.GenerateKey(rand.Reader)
			c.Keys = &jwtgate.Key{Algorithm: "EdDSA", VerifyKey: edPub, SignKey: other}
		}, want: "does not belong"},
		{name: "HDR-09 duplicate kid", modify: func(c *jwtgate.Config) {
			c.Keys = jwtgate.NewKeySet(&jwtgate.Key{ID: "a", Algorithm: "HS256", VerifyKey: secret(32)}, &jwtgate.Key{ID: "a", Algorithm: "HS256", VerifyKey: secret(32)})
		}, want: "two keys with ID"},
		{name: "HDR-09 mixed symmetric and asymmetric", modify: func(c *jwtgate.Config) {
			c.Keys = jwtgate.NewKeySet(&jwtgate.Key{ID: "a", Algorithm: "HS256", VerifyKey: secret(32)}, &jwtgate.Key{ID: "b", Algorithm: "EdDSA", VerifyKey: edPub})
		}, want: "mixes HMAC"},
		{name: "empty key set", modify: func(c *jwtgate.Config) { c.Keys = jwtgate.NewKeySet() }, want: "key set is empty"},
		{name: "nil key pointer", modify: func(c *jwtgate.Config) { var k *jwtgate.Key; c.Keys = k }, want: "Keys is required"},
		{name: "TIME-10 leeway one hour", modify: func(c *jwtgate.Config) { c.Leeway = time.Hour }, want: "Leeway must be between"},
		{name: "negative leeway", modify: func(c *jwtgate.Config) { c.Leeway = -time.Second }, want: "Leeway must be between"},
		{name: "NoLeeway is the one negative value", modify: func(c *jwtgate.Config) { c.Leeway = jwtgate.NoLeeway - 1 }, want: "or NoLeeway"},
		{name: "negative max size", modify: func(c *jwtgate.Config) { c.MaxTokenSize = -1 }, want: "MaxTokenSize is negative"},
		{name: "realm with quote", modify: func(c *jwtgate.Config) { c.Realm = `a"b` }, want: "Realm may only"},
		{name: "crit names registered header", modify: func(c *jwtgate.Config) { c.CriticalHeaders = []string{"alg"} }, want: "crit must not list"},
		{name: "empty issuer", modify: func(c *jwtgate.Config) { c.Issuer = []string{""} }, want: "Issuer contains an empty string"},
		{name: "empty audience", modify: func(c *jwtgate.Config) { c.Audience = []string{""} }, want: "Audience contains an empty string"},
		{name: "empty required claim", modify: func(c *jwtgate.Config) { c.RequiredClaims = []string{""} }, want: "RequiredClaims contains an empty name"},
		{name: "NewClaims returns a value", modify: func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return jwt.RegisteredClaims{} } }, want: "non-nil pointer"},
		{name: "NewClaims returns nil", modify: func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return nil } }, want: "non-nil pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tt.modify(&cfg)
			a, err := jwtgate.New(cfg)
			require.Error(t, err)
			assert.Nil(t, a)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewAcceptsEveryKeyType(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keys := []*jwtgate.Key{
		jwtgate.HMAC(secret(32), "HS256"),
		jwtgate.HMAC(secret(48), "HS384"),
		jwtgate.HMAC(secret(64), "HS512"),
		{Algorithm: "RS256", VerifyKey: &rsaKey.PublicKey, SignKey: rsaKey},
		{Algorithm: "PS512", VerifyKey: &rsaKey.PublicKey},
		{Algorithm: "ES384", VerifyKey: &ec384.PublicKey, SignKey: ec384},
		{Algorithm: "EdDSA", VerifyKey: edPub, SignKey: edPriv},
	}
	for _, k := range keys {
		t.Run(k.Algorithm, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			cfg.Keys = k
			_, err := jwtgate.New(cfg)
			assert.NoError(t, err)
		})
	}
}

func TestNewSkipsNeedExplicitOptIn(t *testing.T) {
	t.Parallel()
	_, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret(32), "HS256"), SkipIssuerCheck: true, SkipAudienceCheck: true})
	assert.NoError(t, err)
}
