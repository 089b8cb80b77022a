// Package keycheck holds the checks a public key gets when it arrives from
// outside — a DPoP proof's jwk, a fetched JWK Set — beyond what its parser
// does: encodings that give one key several names, and keys for which a
// signature proves nothing.
package keycheck

import "errors"

// Errors of the checks.
var (
	// ErrSmallOrder: an Ed25519 public key of small order (the identity and
	// the other points of order 1, 2, 4 or 8). With the identity as the key,
	// one fixed signature (R = B, S = 1) verifies every message, so anyone
	// can sign for it.
	ErrSmallOrder = errors.New("an Ed25519 public key of small order: anyone can sign for it")
	// ErrNonCanonical: an Ed25519 public key whose y coordinate is not
	// reduced modulo p (RFC 8032 §5.1.3 decoding refuses it).
	ErrNonCanonical = errors.New("a non-canonical Ed25519 public key encoding")
	// ErrNotMinimal: a JWK integer (an RSA n or e) with leading zero octets,
	// which RFC 7518 §2 (Base64urlUInt) forbids: one key would have several
	// thumbprints.
	ErrNotMinimal = errors.New("an integer with leading zero octets (RFC 7518 §2, Base64urlUInt)")
)

// smallOrder are the y coordinates, little-endian with the sign bit of x
// cleared, of Ed25519's points of small order: y = 0 (order 4), y = 1 (the
// identity), y = p − 1 (order 2), and the two y of the points of order 8.
// Each may come with either sign bit. The list is libsodium's; the tests
// derive each entry's order from the curve equation.
var smallOrder = [5][32]byte{
	{},
	{0x01},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
}

// Ed25519 checks a 32-byte Ed25519 public key: its y coordinate is
// canonical (below p = 2^255 − 19) and the point is not of small order.
// Whether the point is on the curve at all is left to the verifier, which
// refuses every signature for a key that is not.
func Ed25519(pub []byte) error {
	if len(pub) != 32 {
		return errors.New("an Ed25519 public key is 32 bytes")
	}
	var y [32]byte
	copy(y[:], pub)
	y[31] &= 0x7f // the sign of x
	if !canonical(y) {
		return ErrNonCanonical
	}
	for _, s := range smallOrder {
		if y == s {
			return ErrSmallOrder
		}
	}
	return nil
}

// canonical reports whether the little-endian y is below p = 2^255 − 19,
// whose encoding is ed ff … ff 7f.
func canonical(y [32]byte) bool {
	if y[31] != 0x7f {
		return true
	}
	for i := 30; i >= 1; i-- {
		if y[i] != 0xff {
			return true
		}
	}
	return y[0] < 0xed
}

// Minimal checks a big-endian unsigned integer as a JWK carries it
// (Base64urlUInt): at least one octet, and no leading zero octet unless the
// value is zero itself.
func Minimal(b []byte) error {
	if len(b) == 0 {
		return errors.New("an empty integer")
	}
	if len(b) > 1 && b[0] == 0 {
		return ErrNotMinimal
	}
	return nil
}
