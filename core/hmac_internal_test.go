package jwtgate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyMACAgreesWithGolangJWT holds verifyMAC, which keeps HMAC state
// per secret, equal to golang-jwt's HMAC verification on random secrets,
// signing inputs and signatures: good ones, each byte of a good one
// changed, truncated and extended ones, other algorithms' MACs, and keys
// of another type. Concurrently, so that the pools' states are reused
// across goroutines under the race detector.
func TestVerifyMACAgreesWithGolangJWT(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	methods := map[string]*jwt.SigningMethodHMAC{"HS256": jwt.SigningMethodHS256, "HS384": jwt.SigningMethodHS384, "HS512": jwt.SigningMethodHS512}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				for alg, m := range methods {
					secret := make([]byte, 32+i%40)
					_, _ = rand.Read(secret)
					input := make([]byte, i*7%900)
					_, _ = rand.Read(input)
					sig, err := m.Sign(string(input), secret)
					if !assert.NoError(t, err) {
						return
					}
					check := func(name string, key any, sig []byte) {
						want := m.Verify(string(input), sig, key) == nil
						got := verifyMAC(alg, string(input), sig, key) == nil
						assert.Equal(t, want, got, "%s %s", alg, name)
					}
					check("good", secret, sig)
					bad := append([]byte(nil), sig...)
					bad[i%len(bad)] ^= 1 << (i % 8)
					check("a bit changed", secret, bad)
					check("truncated", secret, sig[:len(sig)-1])
					check("extended", secret, append(append([]byte(nil), sig...), 0))
					check("empty", secret, nil)
					other, _ := methods["HS256"].Sign(string(input), secret)
					if alg != "HS256" {
						check("HS256's MAC", secret, other)
					}
					check("another secret", append([]byte{1}, secret...), sig)
					check("a public key", &ec.PublicKey, sig)
					check("a string", string(secret), sig)
				}
			}
		}()
	}
	wg.Wait()
	assert.False(t, verifyMAC("RS256", "x", nil, []byte("k")) == nil, "not an HMAC algorithm")
}

// TestVerifyMACBeyondTheBound: past maxMACSecrets secrets, tokens still
// verify (with hmac.New), and the pools stop growing.
func TestVerifyMACBeyondTheBound(t *testing.T) {
	var p macPools
	for i := range maxMACSecrets + 10 {
		secret := []byte{byte(i), byte(i >> 8), 1, 2, 3}
		pool := p.pool(0, nil, secret)
		if i < maxMACSecrets {
			assert.NotNil(t, pool)
		} else {
			assert.Nil(t, pool, "past the bound")
		}
	}
	assert.Equal(t, maxMACSecrets, p.count)
	secret := make([]byte, 32)
	sig, err := jwt.SigningMethodHS256.Sign("a.b", secret)
	require.NoError(t, err)
	macs.mu.Lock()
	saved := macs.count
	macs.count = maxMACSecrets
	macs.mu.Unlock()
	defer func() { macs.mu.Lock(); macs.count = saved; macs.mu.Unlock() }()
	assert.NoError(t, verifyMAC("HS256", "a.b", sig, append([]byte("a new secret, past the bound: "), secret...)[30:]))
}
