package parse

import "encoding/binary"

// Segment decodes the base64url segment s (RFC 7515 §2: no padding) into dst,
// which must hold DecodedLen(len(s)) bytes, and reports the length. It is
// encoding/base64's RawURLEncoding.Strict() for a string, without the
// []byte(s) copy that API needs: it refuses any character outside the
// alphabet, a length of 4n+1, and unused bits that are not zero (RFC 4648
// §3.5), so that one token has one encoding. FuzzSegment holds it to
// encoding/base64.
func Segment(dst []byte, s string) (int, bool) {
	if len(s)%4 == 1 {
		return 0, false
	}
	n, i := 0, 0
	// Eight characters into six bytes, stored as one 64-bit word (two bytes
	// past them, overwritten next) while dst has room for the word.
	for ; i+8 <= len(s) && n+8 <= len(dst); i += 8 {
		w := s[i : i+8]
		a, b, c, d := b64Value[w[0]], b64Value[w[1]], b64Value[w[2]], b64Value[w[3]]
		e, f, g, h := b64Value[w[4]], b64Value[w[5]], b64Value[w[6]], b64Value[w[7]]
		if a|b|c|d|e|f|g|h < 0 {
			return 0, false
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(a)<<58|uint64(b)<<52|uint64(c)<<46|uint64(d)<<40|
			uint64(e)<<34|uint64(f)<<28|uint64(g)<<22|uint64(h)<<16)
		n += 6
	}
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := b64Value[s[i]], b64Value[s[i+1]], b64Value[s[i+2]], b64Value[s[i+3]]
		if a|b|c|d < 0 {
			return 0, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
	}
	switch len(s) - i {
	case 2:
		a, b := b64Value[s[i]], b64Value[s[i+1]]
		if a|b < 0 || b&0x0f != 0 {
			return 0, false
		}
		dst[n] = byte(a<<2 | b>>4)
		n++
	case 3:
		a, b, c := b64Value[s[i]], b64Value[s[i+1]], b64Value[s[i+2]]
		if a|b|c < 0 || c&0x03 != 0 {
			return 0, false
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst[n], dst[n+1] = byte(v>>10), byte(v>>2)
		n += 2
	}
	return n, true
}

// Alphabet reports whether every character of s is in the base64url
// alphabet (letters, digits, '-' and '_'), eight table lookups at a time.
func Alphabet(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		if b64Value[w[0]]|b64Value[w[1]]|b64Value[w[2]]|b64Value[w[3]]|
			b64Value[w[4]]|b64Value[w[5]]|b64Value[w[6]]|b64Value[w[7]] < 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if b64Value[s[i]] < 0 {
			return false
		}
	}
	return true
}

// DecodedLen is the most bytes Segment writes for n characters.
func DecodedLen(n int) int { return n/4*3 + n%4*6/8 }

// b64Value maps a base64url character to its value, anything else to -1.
var b64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()
