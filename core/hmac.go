package jwtgate

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"sync"
)

// HMAC tokens are verified with crypto/hmac over state kept per secret:
// hmac.New derives the inner and outer keys and allocates two hashes each
// time (golang-jwt's Verify calls it for every token), where a reset of
// kept state costs nothing. What is checked is golang-jwt's: the key must be
// a []byte, the MAC of the signing input under the alg's hash must equal
// the signature, compared in constant time (hmac.Equal). Which algorithm a
// key may be used with is decided before, as for any key (signing.Same).

// macState is one HMAC in use: its state, and room for the signing input
// and the MAC, so that a verification allocates nothing.
type macState struct {
	h     hash.Hash
	input []byte
	sum   [sha512.Size]byte
}

// macPools keeps a pool of states per algorithm and secret. It holds at
// most maxMACSecrets secrets: a KeySource that hands out a new secret for
// every token (a bug, or a key per tenant past that count) makes the rest
// verify with hmac.New, as golang-jwt does, rather than grow without bound.
type macPools struct {
	mu    sync.RWMutex
	pools [3]map[string]*sync.Pool // HS256, HS384, HS512, by secret
	count int
}

const maxMACSecrets = 256

var macs macPools

func macIndex(alg string) (int, func() hash.Hash, bool) {
	switch alg {
	case "HS256":
		return 0, sha256.New, true
	case "HS384":
		return 1, sha512.New384, true
	case "HS512":
		return 2, sha512.New, true
	}
	return 0, nil, false
}

// pool returns the pool of states for alg and secret, nil past
// maxMACSecrets.
func (m *macPools) pool(i int, newHash func() hash.Hash, secret []byte) *sync.Pool {
	m.mu.RLock()
	p := m.pools[i][string(secret)] // no allocation: a map index by a converted slice
	m.mu.RUnlock()
	if p != nil {
		return p
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p = m.pools[i][string(secret)]; p != nil {
		return p
	}
	if m.count >= maxMACSecrets {
		return nil
	}
	key := string(secret) // a copy: the caller's slice may change
	p = &sync.Pool{New: func() any { return &macState{h: hmac.New(newHash, []byte(key))} }}
	if m.pools[i] == nil {
		m.pools[i] = map[string]*sync.Pool{}
	}
	m.pools[i][key] = p
	m.count++
	return p
}

// verifyMAC checks sig, the signature of input under the HMAC alg keyed
// with key, which must be a []byte. It reports errSignature for a wrong
// signature or a key of another type.
func verifyMAC(alg, input string, sig []byte, key any) error {
	secret, ok := key.([]byte)
	i, newHash, known := macIndex(alg)
	if !ok || !known {
		return errSignature
	}
	p := macs.pool(i, newHash, secret)
	var s *macState
	if p != nil {
		s = p.Get().(*macState)
		s.h.Reset()
	} else {
		s = &macState{h: hmac.New(newHash, secret)}
	}
	s.input = append(s.input[:0], input...)
	s.h.Write(s.input)
	sum := s.h.Sum(s.sum[:0])
	good := hmac.Equal(sum, sig)
	if p != nil {
		if cap(s.input) > 16<<10 {
			s.input = nil // a large token's buffer is not worth keeping
		}
		p.Put(s)
	}
	if !good {
		return errSignature
	}
	return nil
}
