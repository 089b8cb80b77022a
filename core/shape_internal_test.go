package jwtgate

import (
	"math"
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// shapeByChar is compactShape as it was first written, one character at a
// time: the reference the table-driven compactShape is held to.
func shapeByChar(raw string) (dot1, dot2 int, ok bool) {
	dot1, dot2 = -1, -1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return 0, 0, false
			}
		default:
			return 0, 0, false
		}
	}
	if dot1 > 0 && dot2 > dot1 {
		return dot1, dot2, true
	}
	return 0, 0, false
}

func TestCompactShape(t *testing.T) {
	for _, raw := range []string{
		"", ".", "..", "a..", ".b.c", "a.b.c", "a.b.", "a.b", "a.b.c.d", "abcdefgh.ijklmnop.qrstuvwx",
		"abcdefgh.ijklmnop.qrstuvw=", "abcdefgh+ijklmnop.qrstuvwx.y", "ab cdefghij.k.l", "a.b.c\x00",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0\xff.AAAA",
	} {
		d1, d2, ok := compactShape(raw)
		r1, r2, rok := shapeByChar(raw)
		assert.Equal(t, [3]any{r1, r2, rok}, [3]any{d1, d2, ok}, "%q", raw)
	}
}

func FuzzCompactShape(f *testing.F) {
	for _, s := range []string{"a.b.c", "abcdefgh.ijklmnop.qrstuvwx", "a.b.c.d", "a.b", ".b.c", "ab=.c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d1, d2, ok := compactShape(raw)
		r1, r2, rok := shapeByChar(raw)
		if ok != rok || d1 != r1 || d2 != r2 {
			t.Fatalf("%q: (%d, %d, %v), by character (%d, %d, %v)", raw, d1, d2, ok, r1, r2, rok)
		}
	})
}

// TestOwnSize: a request's own Token, with the 8-byte header the runtime
// puts before an object over 512 bytes, takes the 576-byte size class; a
// field more would take it to 640 (11 % more memory for every request).
// Not parallel: it counts the bytes the process allocates.
func TestOwnSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(own{})+8, uintptr(576))
	// The least of three counts: a goroutine left by another test can only
	// add to one.
	const n = 10_000
	least := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			ownSink = newOwn()
		}
		runtime.ReadMemStats(&after)
		least = min(least, (after.TotalAlloc-before.TotalAlloc)/n)
	}
	assert.Equal(t, uint64(576), least, "bytes per own")
}

var ownSink *own

// TestCommonReasons: the reasons looked up for the common causes are the
// ones Reason works out for them down their joined errors.
func TestCommonReasons(t *testing.T) {
	for i, c := range commonCauses() {
		want := causeReason(c)
		assert.Equal(t, tokenReason{c, want}, commonReasons[i], "%v", c)
		assert.Equal(t, want, Reason(newError(ErrInvalidToken, c, "")), "%v", c)
		assert.NotEmpty(t, want, "%v", c)
	}
	assert.Equal(t, "bad_signature", Reason(newError(ErrInvalidToken, errSignature, "")))
	assert.Equal(t, "expired", Reason(newError(ErrInvalidToken, errExpired, "")))
}

// unhashable is an error of an uncomparable type, as a KeySource may return.
type unhashable []string

func (unhashable) Error() string { return "unhashable" }

// TestReasonOfUncomparableCause: Reason does not panic on a cause that no
// map could hold.
func TestReasonOfUncomparableCause(t *testing.T) {
	assert.Equal(t, "malformed", Reason(newError(ErrInvalidToken, unhashable{"x"}, "")))
}
