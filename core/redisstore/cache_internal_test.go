package redisstore

import (
	"context"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCacheReadRacingAnInvalidation: B reads a token's entries (not revoked
// yet); before B stores what it read, A revokes the token and B's tracking
// connection applies the invalidation. B must not keep the value it read:
// its next check reads Redis and refuses the token. (Storing what a read
// found regardless of the invalidations since it was sent kept "not
// revoked" in memory for good: this test failed so.)
func TestCacheReadRacingAnInvalidation(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix()
	a, err := New(srv.Client(), Options{Prefix: prefix})
	require.NoError(t, err)
	bc := srv.Client()
	hook := &afterPipeline{}
	bc.AddHook(hook)
	b, err := New(bc, Options{Prefix: prefix, LocalCache: &LocalCache{MaxLag: time.Second}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	require.NoError(t, a.StartFamily(ctx, "fam-0", "r-0", until)) // the loss marker
	tok := &jwtgate.Token{ID: "jti-race", IssuedAt: time.Now().Truncate(time.Second).Add(2 * time.Second)}
	require.Eventually(t, b.cache.isLive, 10*time.Second, time.Millisecond, "B tracks")

	hook.fn = func() {
		hook.fn = nil
		seq, _ := b.cache.begin()
		require.NoError(t, a.RevokeToken(ctx, tok.ID, until))
		require.Eventually(t, func() bool { s, _ := b.cache.begin(); return s != seq }, 5*time.Second, time.Millisecond,
			"B's tracking connection applied the invalidation")
	}
	revoked, err := b.IsRevoked(ctx, tok)
	require.NoError(t, err)
	require.False(t, revoked, "read before the logout")
	require.Nil(t, hook.fn, "the logout came between the read and its store")
	for range 3 {
		revoked, err = b.IsRevoked(ctx, tok)
		require.NoError(t, err)
		assert.True(t, revoked, "a value read before an invalidation was kept after it")
	}
}

// afterPipeline runs fn, when set, once a check's pipeline has been
// answered.
type afterPipeline struct{ fn func() }

func (*afterPipeline) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (*afterPipeline) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *afterPipeline) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if h.fn != nil && cmds[0].Name() == "get" { // a check's reads, not the connection's set-up
			h.fn()
		}
		return err
	}
}
