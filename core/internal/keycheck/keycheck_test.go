package keycheck

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The curve, for checking the list rather than trusting it:
// −x² + y² = 1 + d·x²·y² over p = 2^255 − 19.
var (
	p = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	d = func() *big.Int {
		n := big.NewInt(-121665)
		return n.Mul(n, new(big.Int).ModInverse(big.NewInt(121666), p)).Mod(n, p)
	}()
)

type point struct{ x, y *big.Int }

func inv(a *big.Int) *big.Int { return new(big.Int).ModInverse(a, p) }

func mod(a *big.Int) *big.Int { return a.Mod(a, p) }

// add is the twisted Edwards addition law (a = −1), complete on this curve.
func add(a, b point) point {
	x1y2 := new(big.Int).Mul(a.x, b.y)
	y1x2 := new(big.Int).Mul(a.y, b.x)
	x1x2 := new(big.Int).Mul(a.x, b.x)
	y1y2 := new(big.Int).Mul(a.y, b.y)
	t := mod(new(big.Int).Mul(d, new(big.Int).Mul(x1x2, y1y2)))
	one := big.NewInt(1)
	x3 := mod(new(big.Int).Mul(new(big.Int).Add(x1y2, y1x2), inv(mod(new(big.Int).Add(one, t)))))
	y3 := mod(new(big.Int).Mul(new(big.Int).Add(y1y2, x1x2), inv(mod(new(big.Int).Sub(one, t)))))
	return point{x3, y3}
}

// decode is RFC 8032 §5.1.3's decoding, ok false when y is not on the curve.
func decode(b [32]byte) (point, bool) {
	sign := b[31] >> 7
	b[31] &= 0x7f
	le := make([]byte, 32)
	for i := range 32 {
		le[i] = b[31-i]
	}
	y := new(big.Int).SetBytes(le)
	y2 := mod(new(big.Int).Mul(y, y))
	u := mod(new(big.Int).Sub(y2, big.NewInt(1)))
	v := mod(new(big.Int).Add(new(big.Int).Mul(d, y2), big.NewInt(1)))
	x2 := mod(new(big.Int).Mul(u, inv(v)))
	x := new(big.Int).ModSqrt(x2, p)
	if x == nil {
		return point{}, false
	}
	if x.Bit(0) != uint(sign) {
		x = mod(new(big.Int).Neg(x))
	}
	return point{x, y}, true
}

func order(pt point) int {
	q := pt
	for n := 1; n <= 8; n++ {
		if q.x.Sign() == 0 && q.y.Cmp(big.NewInt(1)) == 0 {
			return n
		}
		q = add(q, pt)
	}
	return 0 // large
}

// TestSmallOrderList: every entry decodes to a point of order 1, 2, 4 or 8,
// with either sign bit, and a real key's point is of large order.
func TestSmallOrderList(t *testing.T) {
	orders := map[int]int{}
	for i, s := range smallOrder {
		pt, ok := decode(s)
		require.True(t, ok, "entry %d is on the curve", i)
		o := order(pt)
		assert.Contains(t, []int{1, 2, 4, 8}, o, "entry %d", i)
		orders[o]++
		s[31] |= 0x80
		assert.ErrorIs(t, Ed25519(s[:]), ErrSmallOrder, "entry %d with the sign bit", i)
	}
	assert.Equal(t, map[int]int{1: 1, 2: 1, 4: 1, 8: 2}, orders)

	for range 20 {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		var b [32]byte
		copy(b[:], pub)
		pt, ok := decode(b)
		require.True(t, ok)
		assert.Equal(t, 0, order(pt), "a generated key is of large order")
		assert.NoError(t, Ed25519(pub))
	}
}

// TestIdentityKeyForgery is the attack the check stops: with the identity
// as the public key, the signature R = B, S = 1 verifies any message.
func TestIdentityKeyForgery(t *testing.T) {
	identity := make([]byte, 32)
	identity[0] = 1
	base, err := hex.DecodeString("5866666666666666666666666666666666666666666666666666666666666666")
	require.NoError(t, err)
	sig := append(base, make([]byte, 32)...)
	sig[32] = 1
	for _, msg := range []string{"anything", "at all"} {
		assert.True(t, ed25519.Verify(identity, []byte(msg), sig), "crypto/ed25519 takes the forgery: the key must be refused before")
	}
	assert.ErrorIs(t, Ed25519(identity), ErrSmallOrder)
}

func TestNonCanonical(t *testing.T) {
	for _, low := range []byte{0xed, 0xee, 0xff} { // p, p + 1, 2^255 − 1
		var b [32]byte
		b[0] = low
		for i := 1; i < 31; i++ {
			b[i] = 0xff
		}
		b[31] = 0x7f
		assert.ErrorIs(t, Ed25519(b[:]), ErrNonCanonical, "%x", b)
		b[31] = 0xff
		assert.ErrorIs(t, Ed25519(b[:]), ErrNonCanonical, "%x with the sign bit", b)
	}
	assert.Error(t, Ed25519(make([]byte, 31)))
}

func TestMinimal(t *testing.T) {
	assert.NoError(t, Minimal([]byte{1, 0, 1}))
	assert.NoError(t, Minimal([]byte{0}), "zero is one zero octet")
	assert.ErrorIs(t, Minimal([]byte{0, 1, 0, 1}), ErrNotMinimal)
	assert.ErrorIs(t, Minimal([]byte{0, 0}), ErrNotMinimal)
	assert.Error(t, Minimal(nil))
}
