package jwtgate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// TestVerifyAllocations pins what verifying costs in allocations, so that a
// change that puts reflection, maps or copies back on the hot path fails
// here and not only in a benchmark nobody reads. A valid HS256 token without
// the cache: 12, 7 of them golang-jwt's HMAC verification, then the payload
// string, the Claims, the Token, the audience slice and the header's typ; a
// forged one no more; a cache hit none. Not parallel: testing.AllocsPerRun.
func TestVerifyAllocations(t *testing.T) {
	ctx := context.Background()
	tok := mint(testSecret, goodHeader, claimsJSON(""))

	uncached := testAuth(t, func(c *jwtgate.Config) { c.CacheSize = -1 })
	_, err := uncached.Verify(ctx, tok)
	require.NoError(t, err)
	n := testing.AllocsPerRun(200, func() { _, _ = uncached.Verify(ctx, tok) })
	t.Logf("uncached: %v", n)
	assert.LessOrEqual(t, n, 12.0, "uncached")

	cached := testAuth(t, nil)
	_, err = cached.Verify(ctx, tok)
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(200, func() { _, _ = cached.Verify(ctx, tok) }), "cache hit")

	forged := tok[:len(tok)-2] + "AA"
	assert.LessOrEqual(t, testing.AllocsPerRun(200, func() { _, _ = uncached.Verify(ctx, forged) }), 12.0, "forged")
}
