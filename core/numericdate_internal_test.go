package jwtgate

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/internal/parse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numericDateRef is numericDate without its shortcuts: the JSON number
// grammar, then strconv.ParseFloat and the range.
func numericDateRef(v string) (time.Time, bool) {
	if end, ok := parse.Number(v, 0); !ok || end != len(v) {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), f == float64(int64(f))
}

// TestNumericDate holds numericDate's integer reading (eight digits at a
// time from eight on) to the grammar and strconv: numbers of 1 to 13
// digits, and each with every byte value at every position.
func TestNumericDate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for length := 1; length <= 13; length++ {
		for range 20 {
			b := make([]byte, length)
			for i := range b {
				b[i] = byte('0' + rng.IntN(10))
			}
			for pos := -1; pos < length; pos++ {
				for c := 0; c < 256; c++ {
					if pos < 0 && c > 0 {
						break // the number itself, once
					}
					v := []byte(string(b))
					if pos >= 0 {
						v[pos] = byte(c)
					}
					got, ok := numericDate(string(v))
					want, wantOK := numericDateRef(string(v))
					if !wantOK && ok {
						// A fraction or exponent the reference reads too.
						f, err := strconv.ParseFloat(string(v), 64)
						require.NoError(t, err, "%q", v)
						require.InDelta(t, f, float64(got.UnixMicro())/1e6, 1e-6, "%q", v)
						continue
					}
					require.Equal(t, wantOK, ok, "%q", v)
					if ok {
						require.True(t, want.Equal(got), "%q: %v, want %v", v, got, want)
					}
					checked++
				}
			}
		}
	}
	assert.Greater(t, checked, 300000)
}

// TestEightDigits: every digit string the reading takes, and the bytes
// just outside '0'–'9' (and far outside, whose adding 6 carries) at each
// position refused.
func TestEightDigits(t *testing.T) {
	for _, s := range []string{"00000000", "99999999", "17958672", "12345678", "90000001"} {
		n, ok := eightDigits(s)
		require.True(t, ok, s)
		want, _ := strconv.ParseUint(s, 10, 64)
		assert.Equal(t, want, n, s)
	}
	for pos := range 8 {
		for _, c := range []byte{'/', ':', 0, ' ', 0xfa, 0xff, 0x3a, 0x2f, 0x40, 0xb0, 0x39 + 0x80} {
			b := []byte("12345678")
			b[pos] = c
			_, ok := eightDigits(string(b))
			assert.False(t, ok, "%q", b)
		}
	}
}
