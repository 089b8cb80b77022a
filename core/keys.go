package jwtgate

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jwtgate/jwtgate/core/signing"
)

// Key is one key bound to exactly one algorithm (RFC 8725 §3.1): a token is
// verified with it only when its alg names that algorithm, so an RS256 public
// key can never be used as an HS256 secret, and an HS256 secret never for
// HS512.
//
// A *Key is itself a [KeySource] holding one key. [New] and the issuer take
// a copy of each *Key (and of a [KeySet] or [KeysByIssuer] holding them),
// HMAC secrets included: changing a Key's fields after New changes nothing,
// and the verified-token cache never answers for keys it was not built with.
// The key objects themselves (*rsa.PublicKey, …) are shared and must not be
// modified.
type Key struct {
	// ID is the key's kid. A key without ID matches tokens with any kid or none.
	ID string
	// Algorithm is the one algorithm this key is used with: HS256, HS384,
	// HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512,
	// EdDSA or Ed25519. "none" is never accepted. EdDSA (RFC 8037) and
	// Ed25519 (RFC 9864's fully-specified name for it) are one algorithm: a
	// key bound to either verifies tokens that name either, and signs with
	// the name it is bound to.
	Algorithm string
	// VerifyKey verifies signatures: the secret ([]byte) for HS*,
	// *rsa.PublicKey for RS* and PS*, *ecdsa.PublicKey for ES*,
	// ed25519.PublicKey for EdDSA and Ed25519.
	VerifyKey any
	// SignKey signs tokens when jwtgate issues them: the same secret for HS*,
	// the private key (*rsa.PrivateKey, *ecdsa.PrivateKey,
	// ed25519.PrivateKey) otherwise. Nil for a verify-only key.
	SignKey any
}

// HMAC returns an HMAC key bound to alg (HS256, HS384 or HS512), usable for
// verifying and signing. The secret is copied. [New] refuses a secret shorter
// than the hash output: 32 bytes for HS256, 48 for HS384, 64 for HS512
// (RFC 7518 §3.2).
func HMAC(secret []byte, alg string) *Key {
	s := bytes.Clone(secret)
	return &Key{Algorithm: alg, VerifyKey: s, SignKey: s}
}

// KeyQuery is what a [KeySource] is asked: the token's kid (empty when it has
// none), its alg, and its unverified iss, so that a multi-issuer source can
// scope its lookup to the issuer (RFC 8725 §3.8).
type KeyQuery struct {
	KeyID     string
	Algorithm string
	Issuer    string
}

// KeySource finds the key for a token. The caller, not the source, refuses a
// key whose Algorithm differs from the token's alg, so a source may simply
// return the key a kid names. Implementations must be safe for concurrent use.
// A source may also implement Validate() error, which [New] calls.
type KeySource interface {
	// Key returns the key for q, or an error wrapping ErrUnknownKey.
	Key(ctx context.Context, q KeyQuery) (*Key, error)
	// Algorithms lists every algorithm a key of this source may be bound to.
	// Tokens with any other alg are refused before a key is looked up.
	Algorithms() []string
}

// Key implements [KeySource] for a single key.
func (k *Key) Key(_ context.Context, q KeyQuery) (*Key, error) {
	if q.KeyID != "" && k.ID != "" && q.KeyID != k.ID {
		return nil, ErrUnknownKey
	}
	return k, nil
}

// Algorithms implements [KeySource].
func (k *Key) Algorithms() []string { return []string{k.Algorithm} }

var hmacSizes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

var ecCurves = map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}

// Validate reports what is wrong with the key: an unknown algorithm, a key
// whose type does not fit it, a short HMAC secret, an RSA key under 2048 bits,
// an ECDSA key on the wrong curve. [New] calls it.
func (k *Key) Validate() error {
	if k == nil {
		return errors.New("jwtgate: key is nil")
	}
	name := "key"
	if k.ID != "" {
		name = "key " + quote(k.ID)
	}
	if !slices.Contains(signing.Supported(), k.Algorithm) {
		return errors.New("jwtgate: " + name + ": algorithm " + quote(k.Algorithm) + " is not supported (want one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519)")
	}
	if k.VerifyKey == nil {
		return errors.New("jwtgate: " + name + ": VerifyKey is nil")
	}
	var errs []error
	if err := checkKeyType(k.Algorithm, k.VerifyKey, false); err != nil {
		errs = append(errs, errors.New("jwtgate: "+name+": VerifyKey: "+err.Error()))
	}
	if k.SignKey != nil && !(k.Algorithm[:2] == "HS" && keysMatch(k.VerifyKey, k.SignKey)) {
		if err := checkKeyType(k.Algorithm, k.SignKey, true); err != nil {
			errs = append(errs, errors.New("jwtgate: "+name+": SignKey: "+err.Error()))
		} else if !keysMatch(k.VerifyKey, k.SignKey) {
			errs = append(errs, errors.New("jwtgate: "+name+": SignKey does not belong to VerifyKey"))
		}
	}
	return errors.Join(errs...)
}

// checkKeyType checks that key (private: a signing key) is of the type alg
// needs, and strong enough: an HMAC secret's length and that it is no PEM
// text, an RSA key's size and exponent, an EC key's curve, an Ed25519
// key's size.
//
// Kept whole: one case per family of algorithms, each with the rules RFC
// 7518 and RFC 8037 give it; together they are the table of what a key
// must be.
func checkKeyType(alg string, key any, private bool) error {
	switch alg[:2] {
	case "HS":
		b, ok := key.([]byte)
		if !ok {
			return errors.New(alg + " needs a []byte secret")
		}
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
			return errors.New(alg + " secret is a PEM block: an HMAC secret must be random bytes, never a public key (algorithm confusion)")
		}
		if n := hmacSizes[alg]; len(b) < n {
			return errors.New(alg + " secret is " + strconv.Itoa(len(b)) + " bytes, needs at least " + strconv.Itoa(n) + " (RFC 7518 §3.2)")
		}
	case "RS", "PS":
		var pub *rsa.PublicKey
		if private {
			p, ok := key.(*rsa.PrivateKey)
			if !ok {
				return errors.New(alg + " needs an *rsa.PrivateKey")
			}
			pub = &p.PublicKey
		} else {
			p, ok := key.(*rsa.PublicKey)
			if !ok {
				return errors.New(alg + " needs an *rsa.PublicKey")
			}
			pub = p
		}
		if pub.N == nil || pub.N.BitLen() < 2048 {
			return errors.New(alg + " key must be at least 2048 bits (RFC 7518 §3.3)")
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return errors.New(alg + " key has an unsafe public exponent")
		}
	case "ES":
		var pub *ecdsa.PublicKey
		if private {
			p, ok := key.(*ecdsa.PrivateKey)
			if !ok {
				return errors.New(alg + " needs an *ecdsa.PrivateKey")
			}
			pub = &p.PublicKey
		} else {
			p, ok := key.(*ecdsa.PublicKey)
			if !ok {
				return errors.New(alg + " needs an *ecdsa.PublicKey")
			}
			pub = p
		}
		if pub.Curve != ecCurves[alg] {
			return errors.New(alg + " needs a key on curve " + ecCurves[alg].Params().Name)
		}
	case "Ed":
		if private {
			p, ok := key.(ed25519.PrivateKey)
			if !ok || len(p) != ed25519.PrivateKeySize {
				return errors.New(alg + " needs an ed25519.PrivateKey")
			}
		} else {
			p, ok := key.(ed25519.PublicKey)
			if !ok || len(p) != ed25519.PublicKeySize {
				return errors.New(alg + " needs an ed25519.PublicKey")
			}
		}
	}
	return nil
}

func keysMatch(verify, sign any) bool {
	switch s := sign.(type) {
	case []byte:
		v, _ := verify.([]byte)
		return bytes.Equal(v, s)
	case *rsa.PrivateKey:
		return s.PublicKey.Equal(verify)
	case *ecdsa.PrivateKey:
		return s.PublicKey.Equal(verify)
	case ed25519.PrivateKey:
		return s.Public().(ed25519.PublicKey).Equal(verify)
	}
	return false
}

// KeySet is a fixed set of keys, selected by kid. It is a [KeySource].
//
// A token with a kid gets the key with that ID bound to the token's alg (one
// ID may name keys of several algorithms), or else the one key without ID
// bound to the token's alg. A token without kid gets the one key bound to its
// alg; when several keys share that algorithm the token must name one.
type KeySet struct {
	keys []*Key
	algs []string
}

// NewKeySet returns a set of keys. [New] validates it: every key, no two keys
// with one ID, and no set mixing HMAC secrets with public keys (an attacker
// must never get to choose between a symmetric and an asymmetric key).
func NewKeySet(keys ...*Key) *KeySet {
	s := &KeySet{keys: slices.Clone(keys)}
	for _, k := range keys {
		if k != nil && !slices.Contains(s.algs, k.Algorithm) {
			s.algs = append(s.algs, k.Algorithm)
		}
	}
	return s
}

// Algorithms implements [KeySource].
func (s *KeySet) Algorithms() []string { return s.algs }

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return len(s.keys) }

// Key implements [KeySource].
func (s *KeySet) Key(_ context.Context, q KeyQuery) (*Key, error) {
	if q.KeyID != "" {
		// One kid may name several keys that differ by algorithm (RFC 7517
		// §4.5): the one bound to the token's alg, else the first, which the
		// caller then refuses as bound to another algorithm.
		var first *Key
		for _, k := range s.keys {
			if k.ID == q.KeyID {
				if signing.Same(k.Algorithm, q.Algorithm) {
					return k, nil
				}
				if first == nil {
					first = k
				}
			}
		}
		if first != nil {
			return first, nil
		}
	}
	var found *Key
	for _, k := range s.keys {
		if signing.Same(k.Algorithm, q.Algorithm) && (q.KeyID == "" || k.ID == "") {
			if found != nil {
				return nil, ErrUnknownKey // ambiguous: the token must name its key
			}
			found = k
		}
	}
	if found == nil {
		return nil, ErrUnknownKey
	}
	return found, nil
}

// Validate implements the check [New] runs on a key source.
func (s *KeySet) Validate() error {
	if len(s.keys) == 0 {
		return errors.New("jwtgate: key set is empty")
	}
	var errs []error
	var hmac, public bool
	for i, k := range s.keys {
		if err := k.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if k.Algorithm[:2] == "HS" {
			hmac = true
		} else {
			public = true
		}
		for _, o := range s.keys[:i] {
			// Keys may share an ID when they are bound to different
			// algorithms (RFC 7517 §4.5: a kid names one key per kty, use
			// or alg); two keys for one ID and algorithm are ambiguous.
			if o != nil && k.ID == o.ID && signing.Same(k.Algorithm, o.Algorithm) {
				errs = append(errs, errors.New("jwtgate: key set has two keys with ID "+quote(k.ID)+" for "+k.Algorithm))
			}
		}
	}
	if hmac && public {
		errs = append(errs, errors.New("jwtgate: key set mixes HMAC secrets with public keys; use one kind per Authenticator"))
	}
	return errors.Join(errs...)
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}

// KeysByIssuer is a [KeySource] for several issuers (multi-tenant): each
// token's keys are looked up only among its issuer's, so one issuer's key can
// never sign for another (RFC 8725 §3.8), and a token from an issuer not in
// the map is refused before any key is fetched.
type KeysByIssuer map[string]KeySource

// Key implements [KeySource].
func (m KeysByIssuer) Key(ctx context.Context, q KeyQuery) (*Key, error) {
	src, ok := m[q.Issuer]
	if !ok || src == nil {
		return nil, ErrUnknownKey
	}
	return src.Key(ctx, q)
}

// Algorithms implements [KeySource]: every issuer's.
func (m KeysByIssuer) Algorithms() []string {
	var out []string
	for _, src := range m {
		if src == nil {
			continue
		}
		for _, alg := range src.Algorithms() {
			if !slices.Contains(out, alg) {
				out = append(out, alg)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Validate checks every issuer's key source.
func (m KeysByIssuer) Validate() error {
	if len(m) == 0 {
		return errors.New("jwtgate: KeysByIssuer is empty")
	}
	var errs []error
	for iss, src := range m {
		if iss == "" || src == nil || isNil(src) {
			errs = append(errs, errors.New("jwtgate: KeysByIssuer: empty issuer or nil key source"))
			continue
		}
		if v, ok := src.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("jwtgate: issuer %s: %w", quote(iss), err))
			}
		}
	}
	return errors.Join(errs...)
}

// clone returns a copy of k that shares no field a caller may change: the ID,
// the algorithm and HMAC secrets are copied.
func (k *Key) clone() *Key {
	if k == nil {
		return nil
	}
	c := *k
	if b, ok := c.VerifyKey.([]byte); ok {
		c.VerifyKey = bytes.Clone(b)
	}
	if b, ok := c.SignKey.([]byte); ok {
		c.SignKey = bytes.Clone(b)
	}
	return &c
}

// copyKeys returns a copy of src for New to keep: *Key, *KeySet and
// KeysByIssuer are copied deeply (see Key); any other KeySource manages its
// own keys and is kept as it is.
func copyKeys(src KeySource) KeySource {
	switch k := src.(type) {
	case *Key:
		return k.clone()
	case *KeySet:
		keys := make([]*Key, len(k.keys))
		for i, key := range k.keys {
			keys[i] = key.clone()
		}
		return NewKeySet(keys...)
	case KeysByIssuer:
		m := make(KeysByIssuer, len(k))
		for iss, s := range k {
			m[iss] = copyKeys(s)
		}
		return m
	case *combined:
		c := &combined{sources: make([]KeySource, len(k.sources))}
		for i, s := range k.sources {
			c.sources[i] = copyKeys(s)
		}
		return c
	}
	return src
}

func isEd25519(alg string) bool { return signing.IsEd25519(alg) }

// KeyGeneration implements [KeyGeneration]: it changes whenever the keys of
// one of the issuers' sources do, so that the verified-token cache stays
// over several issuers' remote key sets.
func (m KeysByIssuer) KeyGeneration() uint64 { return generationOf(m) }

// Combine returns a [KeySource] holding the keys of every source, such as
// the JWK Sets of several URLs that one issuer publishes (gofiber's
// JWKSetURLs): a token's key is the first source's that has one bound to the
// token's alg, in order. Unlike [KeysByIssuer] it does not scope keys to an
// issuer: combine only the sources of issuers you trust alike. The
// verified-token cache stays on over it when every source allows it (see
// Config.CacheSize), and forgets its entries when one source's keys change.
func Combine(sources ...KeySource) KeySource {
	return &combined{sources: slices.Clone(sources)}
}

type combined struct{ sources []KeySource }

// Key implements [KeySource].
func (c *combined) Key(ctx context.Context, q KeyQuery) (*Key, error) {
	var errs []error
	var mismatch *Key
	for _, s := range c.sources {
		k, err := s.Key(ctx, q)
		switch {
		case err != nil:
			errs = append(errs, err)
		case k != nil && signing.Same(k.Algorithm, q.Algorithm):
			return k, nil
		case k != nil && mismatch == nil:
			mismatch = k // kept in case no source has a key for the alg
		}
	}
	if mismatch != nil {
		return mismatch, nil
	}
	return nil, errors.Join(append([]error{ErrUnknownKey}, errs...)...)
}

// Algorithms implements [KeySource]: every source's.
func (c *combined) Algorithms() []string {
	var out []string
	for _, s := range c.sources {
		for _, alg := range s.Algorithms() {
			if !slices.Contains(out, alg) {
				out = append(out, alg)
			}
		}
	}
	return out
}

// KeyGeneration implements [KeyGeneration] (see Combine).
func (c *combined) KeyGeneration() uint64 { return generationOf(c) }

// Validate checks every source that has a Validate method.
func (c *combined) Validate() error {
	if len(c.sources) == 0 {
		return errors.New("jwtgate: Combine of no key source")
	}
	var errs []error
	for i, s := range c.sources {
		if s == nil || isNil(s) {
			errs = append(errs, fmt.Errorf("jwtgate: Combine: source %d is nil", i))
			continue
		}
		if v, ok := s.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
