package jwtgate

import (
	"hash/maphash"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeaderMemoCopiesSegment: a segment read through a framework's
// borrowed buffer (Fiber's) is copied when filed. Were it kept, the buffer's
// next request would rewrite the memo's key under the old alg, kid and typ.
// A second header in the same, taken, slot is not filed.
func TestHeaderMemoCopiesSegment(t *testing.T) {
	m := headerMemos{seed: maphash.MakeSeed()}
	const seg = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
	buf := []byte(seg)
	borrowed := unsafe.String(&buf[0], len(buf))
	hm, slot := m.lookup(borrowed)
	require.Nil(t, hm)
	require.True(t, fill(slot, borrowed, &envelope{alg: "HS256", typ: "JWT"}))
	copy(buf, "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9") // {"alg":"HS384","typ":"JWT"}
	hm, _ = m.lookup(seg)
	require.NotNil(t, hm, "the memo's key changed with the buffer")
	assert.Equal(t, seg, hm.seg)
	assert.Equal(t, "HS256", hm.alg)
	got, slot := m.lookup(string(buf)) // the buffer's new header: not remembered
	assert.Nil(t, got)
	if slot == &m.slots[maphash.String(m.seed, seg)%uint64(len(m.slots))] {
		assert.False(t, fill(slot, string(buf), &envelope{alg: "HS384", typ: "JWT"}))
	}
}
