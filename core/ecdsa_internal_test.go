package jwtgate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"math/big"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyECDSAAgreesWithGolangJWT holds verifyECDSA equal to golang-jwt's
// ECDSA verification on random keys and inputs, for good signatures and
// for each way of breaking one: a bit changed, r and s swapped, the high-S
// twin, r or s zero, r or s the curve's order, cut or lengthened, another
// curve's key, a key of another type. Concurrently, for the buffers' pool.
func TestVerifyECDSAAgreesWithGolangJWT(t *testing.T) {
	t.Parallel()
	methods := map[string]*jwt.SigningMethodECDSA{"ES256": jwt.SigningMethodES256, "ES384": jwt.SigningMethodES384, "ES512": jwt.SigningMethodES512}
	curves := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				for alg, m := range methods {
					priv, err := ecdsa.GenerateKey(curves[alg], rand.Reader)
					if !assert.NoError(t, err) {
						return
					}
					input := make([]byte, i*13%700)
					_, _ = rand.Read(input)
					sig, err := m.Sign(string(input), priv)
					if !assert.NoError(t, err) {
						return
					}
					size := len(sig) / 2
					check := func(name string, key any, sig []byte) {
						want := m.Verify(string(input), sig, key) == nil
						got := verifyECDSA(alg, string(input), sig, key) == nil
						assert.Equal(t, want, got, "%s %s", alg, name)
					}
					with := func(r, s *big.Int) []byte {
						out := make([]byte, 2*size)
						r.FillBytes(out[:size])
						s.FillBytes(out[size:])
						return out
					}
					r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
					n := curves[alg].Params().N
					check("good", &priv.PublicKey, sig)
					bad := append([]byte(nil), sig...)
					bad[i%len(bad)] ^= 1 << (i % 8)
					check("a bit changed", &priv.PublicKey, bad)
					check("r and s swapped", &priv.PublicKey, with(s, r))
					check("high S", &priv.PublicKey, with(r, new(big.Int).Sub(n, s)))
					check("r zero", &priv.PublicKey, with(new(big.Int), s))
					check("s zero", &priv.PublicKey, with(r, new(big.Int)))
					check("r the order", &priv.PublicKey, with(n, s))
					check("s the order", &priv.PublicKey, with(r, n))
					check("cut", &priv.PublicKey, sig[:len(sig)-1])
					check("lengthened", &priv.PublicKey, append(append([]byte(nil), sig...), 0))
					check("another key", &other.PublicKey, sig)
					check("a private key", priv, sig)
					check("a byte slice", []byte("secret"), sig)
				}
			}
		}()
	}
	wg.Wait()
}

// TestASN1Signature: the ASN.1 form of r and s as crypto/ecdsa's own
// encoder would give it, for values with and without a high bit, with
// leading zeros, and of P-521's size (a two-byte length).
func TestASN1Signature(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ r, s, want []byte }{
		{[]byte{1}, []byte{2}, []byte{0x30, 6, 2, 1, 1, 2, 1, 2}},
		{[]byte{0x80}, []byte{0, 0, 0x7f}, []byte{0x30, 7, 2, 2, 0, 0x80, 2, 1, 0x7f}},
		{[]byte{0}, []byte{1}, []byte{0x30, 6, 2, 1, 0, 2, 1, 1}},
	} {
		assert.Equal(t, c.want, asn1Signature(nil, c.r, c.s))
	}
	big66 := make([]byte, 66)
	big66[0] = 0xff
	got := asn1Signature(nil, big66, big66)
	assert.Equal(t, []byte{0x30, 0x81, 2 * (2 + 67)}, got[:3])
	assert.Len(t, got, 3+2*(2+67))
}
