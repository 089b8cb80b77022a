package jwks_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/internal/keycheck"
	"github.com/jwtgate/jwtgate/core/jwks"
)

// TestKeysWithOneEncoding: a key from outside has one encoding and is one
// a signature means something for: an RSA n or e with leading zero octets
// (RFC 7518 §6.3.1.1), and an Ed25519 key of small order (the identity
// point verifies a fixed signature for every message) or non-canonical
// encoding, are refused by ParseKey and ParseSet, and dropped alone from a
// fetched set.
func TestKeysWithOneEncoding(t *testing.T) {
	t.Parallel()
	b := base64.RawURLEncoding.EncodeToString
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	n, e := priv.N.Bytes(), big.NewInt(int64(priv.E)).Bytes()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	identity := make([]byte, 32)
	identity[0] = 1
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	p, _ := hex.DecodeString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")

	rsaJWK := func(n, e []byte) string {
		return `{"kty":"RSA","alg":"RS256","kid":"r","n":"` + b(n) + `","e":"` + b(e) + `"}`
	}
	okpJWK := func(x []byte) string { return `{"kty":"OKP","crv":"Ed25519","kid":"o","x":"` + b(x) + `"}` }
	good := map[string]string{"rsa": rsaJWK(n, e), "ed25519": okpJWK(pub)}
	bad := map[string]struct {
		jwk  string
		want error
	}{
		"n with a leading zero":      {rsaJWK(append([]byte{0}, n...), e), keycheck.ErrNotMinimal},
		"e with a leading zero":      {rsaJWK(n, append([]byte{0}, e...)), keycheck.ErrNotMinimal},
		"Ed25519 identity":           {okpJWK(identity), keycheck.ErrSmallOrder},
		"Ed25519 of order 8":         {okpJWK(order8), keycheck.ErrSmallOrder},
		"Ed25519 y = p, not reduced": {okpJWK(p), keycheck.ErrNonCanonical},
	}
	for name, jwk := range good {
		_, err := jwks.ParseKey([]byte(jwk))
		require.NoError(t, err, name)
	}
	for name, c := range bad {
		_, err := jwks.ParseKey([]byte(c.jwk))
		assert.ErrorIs(t, err, jwks.ErrKey, name)
		assert.ErrorIs(t, err, c.want, name)
		_, err = jwks.ParseSet([]byte(`{"keys":[` + c.jwk + `]}`))
		assert.ErrorIs(t, err, c.want, "ParseSet: "+name)
	}

	// A fetched set keeps its good key and drops the others alone.
	ec := ecKey(t, "kid-1")
	ecJSON, err := jwks.Marshal(ec)
	require.NoError(t, err)
	body := string(ecJSON[:len(ecJSON)-2]) + "," + bad["Ed25519 identity"].jwk + "," + bad["n with a leading zero"].jwk + "]}"
	srv := newJWKSServer(t)
	srv.mu.Lock()
	srv.body = []byte(body)
	srv.mu.Unlock()
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{MinRefreshInterval: time.Hour})
	_, err = authFor(t, remote).Verify(context.Background(), sign(t, ec, "https://id.example"))
	assert.NoError(t, err, "the good key of a set with bad ones")
}
