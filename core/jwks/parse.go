// Package jwks reads keys from JWK and JWK Set JSON, publishes an issuer's
// public keys as a JWK Set, and fetches a remote JWK Set as a
// jwtgate.KeySource that follows key rotation.
//
// Every key is bound to exactly one algorithm (RFC 8725 §3.1): its JWK "alg",
// or, without one, the only algorithm its type and curve allow — RS256 for an
// RSA key (PS256 must be named), ES256/ES384/ES512 by curve, EdDSA for
// Ed25519. Keys are refused when they are not for signatures ("use" other
// than "sig", "key_ops" without "verify"), too weak (RSA under 2048 bits,
// exponent 1, a ROCA-vulnerable modulus), off their curve, of small order
// (Ed25519, for which a signature proves nothing), encoded in more than one
// way (RSA n or e with leading zero octets, an Ed25519 y not reduced), or
// when "alg" does not fit the key. A set's encryption keys are left out. A set that
// mixes HMAC secrets with public keys, or holds two keys for one kid and
// algorithm, is refused whole when it comes from the application's
// configuration (ParseSet); a fetched set (Remote) keeps every good key.
//
// JWK parsing is github.com/MicahParks/jwkset's; the rules above are
// jwtgate's.
package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/MicahParks/jwkset"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/internal/keycheck"
	"github.com/jwtgate/jwtgate/core/signing"
)

// ErrKey is wrapped by every error about a key that is refused.
var ErrKey = errors.New("jwks: key refused")

// ParseKey reads one JWK and binds it to its algorithm. A private JWK gives a
// Key that signs too. A symmetric ("oct") JWK must name its HS* algorithm.
// Only parse keys from your own configuration this way: a key fetched from
// elsewhere goes through ParseSet, which refuses secrets.
func ParseKey(data []byte) (*jwtgate.Key, error) {
	var m jwkset.JWKMarshal
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: not a JWK: %w", ErrKey, err)
	}
	return fromMarshal(m, true)
}

// ParseSet reads a JWK Set of verification keys ({"keys":[…]}) into a
// jwtgate.KeySet. Encryption keys ("use":"enc", or key_ops without "verify")
// are left out: a set may publish both kinds. Any other key it cannot use
// (private members — a published set must never carry them —, an
// unsupported curve, a weak key) refuses the whole set, since it comes from
// the application's own configuration; a remote set (Remote) drops such
// keys and keeps the others instead. One kid may name keys of different
// algorithms (RFC 7517 §4.5), not two keys of one algorithm.
func ParseSet(data []byte) (*jwtgate.KeySet, error) {
	keys, skipped, _, err := parseSet(data, false)
	if err != nil {
		return nil, err
	}
	if len(skipped) > 0 {
		return nil, errors.Join(skipped...)
	}
	return newSet(keys)
}

func newSet(keys []*jwtgate.Key) (*jwtgate.KeySet, error) {
	set := jwtgate.NewKeySet(keys...)
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return set, nil
}

// parseSet returns the usable signature keys and, separately, why the others
// were refused, and how many encryption keys it left out.
func parseSet(data []byte, allowPrivate bool) (keys []*jwtgate.Key, skipped []error, encryption int, err error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, nil, 0, fmt.Errorf("%w: not a JWK Set: %w", ErrKey, err)
	}
	if set.Keys == nil {
		return nil, nil, 0, fmt.Errorf("%w: not a JWK Set: no \"keys\"", ErrKey)
	}
	for i, raw := range set.Keys {
		var m jwkset.JWKMarshal
		if err := json.Unmarshal(raw, &m); err != nil {
			skipped = append(skipped, fmt.Errorf("%w: key %d: %w", ErrKey, i, err))
			continue
		}
		if forEncryption(m) {
			encryption++ // published for the other direction; not an error
			continue
		}
		k, err := fromMarshal(m, allowPrivate)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %d (kid %q): %w", i, m.KID, err))
			continue
		}
		keys = append(keys, k)
	}
	return keys, skipped, encryption, nil
}

// forEncryption reports whether a JWK is published for encryption, not for
// signatures: "use":"enc", or key_ops without "verify" that name an
// encryption operation.
func forEncryption(m jwkset.JWKMarshal) bool {
	if m.USE == jwkset.UseEnc {
		return true
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		for _, op := range m.KEYOPS {
			switch op {
			case jwkset.KeyOpsEncrypt, jwkset.KeyOpsDecrypt, jwkset.KeyOpsWrapKey, jwkset.KeyOpsUnwrapKey, jwkset.KeyOpsDeriveKey, jwkset.KeyOpsDeriveBits:
				return true
			}
		}
	}
	return false
}

// dedupe keeps the first key of each ID and algorithm and reports the
// others: two keys one token could name are ambiguous, so a remote set
// drops the later one rather than refuse every key.
func dedupe(keys []*jwtgate.Key) (kept []*jwtgate.Key, dropped []error) {
	for _, k := range keys {
		dup := false
		for _, o := range kept {
			if o.ID == k.ID && signing.Same(o.Algorithm, k.Algorithm) {
				dup = true
			}
		}
		if dup {
			dropped = append(dropped, fmt.Errorf("%w: a second key with kid %q for %s", ErrKey, k.ID, k.Algorithm))
			continue
		}
		kept = append(kept, k)
	}
	return kept, dropped
}

func fromMarshal(m jwkset.JWKMarshal, allowPrivate bool) (*jwtgate.Key, error) {
	if m.USE != "" && m.USE != jwkset.UseSig {
		return nil, fmt.Errorf("%w: use %q is not \"sig\"", ErrKey, m.USE)
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return nil, fmt.Errorf("%w: key_ops %q lacks \"verify\"", ErrKey, m.KEYOPS)
	}
	if m.KTY == jwkset.KtyOct {
		if !allowPrivate {
			return nil, fmt.Errorf("%w: a set of verification keys holds a symmetric secret", ErrKey)
		}
		return octKey(m)
	}
	if (m.D != "" || m.P != "" || m.Q != "") && !allowPrivate {
		return nil, fmt.Errorf("%w: a set of verification keys holds a private key", ErrKey)
	}
	// The key is the JWK's own members: what a certificate chain or its
	// location says is never used, and never fetched (RFC 8725 §3.10). Left
	// to jwkset, a certificate with an Ed25519 key would refuse any alg but
	// "EdDSA" (RFC 9864's "Ed25519", or none), though the key is the same.
	m.X5U, m.X5C, m.X5T, m.X5TS256 = "", nil, "", ""
	if err := checkEncoding(m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{Private: allowPrivate}, jwkset.JWKValidateOptions{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	k := &jwtgate.Key{ID: m.KID, Algorithm: string(m.ALG)}
	switch key := jwk.Key().(type) {
	case *rsa.PublicKey:
		k.VerifyKey = key
	case *rsa.PrivateKey:
		k.VerifyKey, k.SignKey = &key.PublicKey, key
	case *ecdsa.PublicKey:
		k.VerifyKey = key
	case *ecdsa.PrivateKey:
		k.VerifyKey, k.SignKey = &key.PublicKey, key
	case ed25519.PublicKey:
		k.VerifyKey = key
	case ed25519.PrivateKey:
		k.VerifyKey, k.SignKey = key.Public().(ed25519.PublicKey), key
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T (kty %q, crv %q)", ErrKey, key, m.KTY, m.CRV)
	}
	if k.Algorithm == "" {
		if k.Algorithm, err = signing.ForKey(k.VerifyKey); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKey, err)
		}
	}
	if pub, ok := k.VerifyKey.(*rsa.PublicKey); ok && rocaVulnerable(pub.N) {
		return nil, fmt.Errorf("%w: the RSA modulus has the ROCA fingerprint (CVE-2017-15361)", ErrKey)
	}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return k, nil
}

// checkEncoding refuses what jwkset takes but a key from outside must not
// be: an RSA n or e with leading zero octets (RFC 7518 §6.3.1.1: the
// minimal encoding, or one key has several thumbprints), and an Ed25519
// public key of small order or non-canonical encoding (anyone can sign for
// the identity point).
func checkEncoding(m jwkset.JWKMarshal) error {
	switch m.KTY {
	case jwkset.KtyRSA:
		for name, v := range map[string]string{"n": m.N, "e": m.E} {
			b, err := b64(v)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := keycheck.Minimal(b); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	case jwkset.KtyOKP:
		if m.CRV != jwkset.CrvEd25519 {
			return nil // jwkset refuses the curves jwtgate does not verify with
		}
		x, err := b64(m.X)
		if err != nil {
			return fmt.Errorf("x: %w", err)
		}
		if err := keycheck.Ed25519(x); err != nil {
			return fmt.Errorf("x: %w", err)
		}
	}
	return nil
}

func octKey(m jwkset.JWKMarshal) (*jwtgate.Key, error) {
	switch m.ALG {
	case jwkset.AlgHS256, jwkset.AlgHS384, jwkset.AlgHS512:
	default:
		return nil, fmt.Errorf("%w: a symmetric key must name HS256, HS384 or HS512 as its alg, not %q", ErrKey, m.ALG)
	}
	secret, err := b64(m.K)
	if err != nil {
		return nil, fmt.Errorf("%w: k: %w", ErrKey, err)
	}
	k := jwtgate.HMAC(secret, string(m.ALG))
	k.ID = m.KID
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return k, nil
}

// rocaPrimes are the small primes of the ROCA fingerprint test (Nemec et al.,
// CCS 2017): a modulus from the vulnerable generator is, modulo each of them,
// a power of 65537.
var rocaPrimes = []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

func rocaVulnerable(n *big.Int) bool {
	var r big.Int
	for _, p := range rocaPrimes {
		res := r.Mod(n, big.NewInt(p)).Int64()
		g, x, in := 65537%p, int64(1), false
		for range p {
			if x == res {
				in = true
				break
			}
			x = x * g % p
			if x == 1 {
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// ParsePrivateSet reads a JWK Set that may hold private and symmetric keys,
// as a service's own key file does (never one fetched from elsewhere). Each
// key is bound and validated as in ParseSet; the result signs too.
func ParsePrivateSet(data []byte) (*jwtgate.KeySet, error) {
	keys, skipped, _, err := parseSet(data, true)
	if err != nil {
		return nil, err
	}
	if len(skipped) > 0 {
		return nil, errors.Join(skipped...)
	}
	return newSet(keys)
}
