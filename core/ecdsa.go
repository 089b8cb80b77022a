package jwtgate

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"sync"
)

// ES256, ES384 and ES512 signatures are verified with crypto/ecdsa's
// VerifyASN1 directly, the signature's r and s (RFC 7518 §3.4: two
// big-endian integers of the curve's size) written as its ASN.1 form into
// a buffer on the stack: golang-jwt's Verify makes two big.Ints, a hasher
// and a digest, and ecdsa.Verify builds the same ASN.1 form again with
// cryptobyte, about a dozen allocations a signature. The rules are
// golang-jwt's: the key must be an *ecdsa.PublicKey and the signature
// exactly twice the curve's size; which curve an alg may use is decided
// when the key is configured or read, as for any key.

// inputs are buffers for a signing input, which the hash functions take as
// a []byte.
var inputs = sync.Pool{New: func() any { return new([]byte) }}

// verifyECDSA checks sig, the ES256, ES384 or ES512 signature of input
// under key. It reports errSignature for a wrong signature or a key of
// another type.
func verifyECDSA(alg, input string, sig []byte, key any) error {
	pub, ok := key.(*ecdsa.PublicKey)
	var size int
	switch alg {
	case "ES256":
		size = 32
	case "ES384":
		size = 48
	case "ES512":
		size = 66
	}
	if !ok || pub == nil || size == 0 || len(sig) != 2*size {
		return errSignature
	}
	bp := inputs.Get().(*[]byte)
	b := append((*bp)[:0], input...)
	var digest [sha512.Size]byte
	var d []byte
	switch alg {
	case "ES256":
		s := sha256.Sum256(b)
		d = append(digest[:0], s[:]...)
	case "ES384":
		s := sha512.Sum384(b)
		d = append(digest[:0], s[:]...)
	default:
		s := sha512.Sum512(b)
		d = append(digest[:0], s[:]...)
	}
	if cap(b) <= 16<<10 {
		*bp = b
		inputs.Put(bp)
	}
	var der [2*(66+3) + 3]byte
	if !ecdsa.VerifyASN1(pub, d, asn1Signature(der[:0], sig[:size], sig[size:])) {
		return errSignature
	}
	return nil
}

// asn1Signature appends to dst the ASN.1 form of an ECDSA signature,
// SEQUENCE { INTEGER r, INTEGER s }, from r and s as big-endian bytes. Each
// integer is written minimal and positive (a zero byte before a high bit),
// as crypto/ecdsa encodes one; zero is one zero byte, which VerifyASN1
// refuses, as ecdsa.Verify refuses a zero r or s.
func asn1Signature(dst, r, s []byte) []byte {
	r, s = trimZeros(r), trimZeros(s)
	body := intLen(r) + intLen(s)
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81) // at most 2 × 69 bytes: one length byte
	}
	dst = append(dst, byte(body))
	dst = appendInt(dst, r)
	return appendInt(dst, s)
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// intLen is the length of an INTEGER's whole encoding: tag, length, value.
func intLen(v []byte) int {
	n := len(v)
	if n == 0 || v[0]&0x80 != 0 {
		n++
	}
	return 2 + n
}

func appendInt(dst, v []byte) []byte {
	n := intLen(v) - 2
	dst = append(dst, 0x02, byte(n))
	if n > len(v) {
		dst = append(dst, 0)
	}
	return append(dst, v...)
}
