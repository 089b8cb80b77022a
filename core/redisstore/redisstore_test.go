package redisstore_test

import (
	"context"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreSuite(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	jwtgatetest.RunStore(t, func(t *testing.T, now func() time.Time) issuing.Store {
		return newStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), Now: now})
	})
}

// newStore is redisstore.New for a client that must be accepted.
func newStore(t testing.TB, client redis.UniversalClient, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(client, opts)
	require.NoError(t, err)
	return s
}

func TestKeysExpireInRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	prefix := redistest.Prefix()
	clock := jwtgatetest.NewClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	s := newStore(t, client, redisstore.Options{Prefix: prefix, Now: clock.Now})
	ctx := context.Background()
	until := clock.Now().Add(10 * time.Minute)
	require.NoError(t, s.RevokeToken(ctx, "jti-1", until))
	require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", until))
	require.NoError(t, s.RevokeSubject(ctx, "alice", clock.Now(), until))

	keys, err := client.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{prefix + "t:{jti-1}", prefix + "f:{fam-1}", prefix + "s:{alice}", prefix + "epoch"}, keys)
	ttl, err := client.PTTL(ctx, prefix+"epoch").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "the loss marker never expires")
	for _, k := range []string{prefix + "t:{jti-1}", prefix + "f:{fam-1}", prefix + "s:{alice}"} {
		ttl, err := client.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.InDelta(t, (10*time.Minute + jwtgate.MaxLeeway).Milliseconds(), ttl.Milliseconds(), 5000,
			"%s expires MaxLeeway after its tokens: a verifier's leeway accepts them until then", k)
	}
	// An entry for a token past its exp + MaxLeeway is not written at all;
	// one within it is.
	require.NoError(t, s.RevokeToken(ctx, "jti-old", clock.Now().Add(-jwtgate.MaxLeeway)))
	n, err := client.Exists(ctx, prefix+"t:{jti-old}").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
	require.NoError(t, s.RevokeToken(ctx, "jti-leeway", clock.Now().Add(-time.Second)))
	ttl, err = client.PTTL(ctx, prefix+"t:{jti-leeway}").Result()
	require.NoError(t, err)
	assert.InDelta(t, (jwtgate.MaxLeeway - time.Second).Milliseconds(), ttl.Milliseconds(), 5000, "a token past its exp but within the leeway")
}

func TestRedisDownFailsAndRecovers(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test starts and stops, not REDIS_URL")
	}
	// A fixed clock: the token is issued in the second the (restarted, empty)
	// Redis's loss marker is created in, however long the restart takes.
	clock := jwtgatetest.NewClock(time.Now())
	s := newStore(t, srv.Client(), redisstore.Options{Prefix: redistest.Prefix(), Timeout: 200 * time.Millisecond, Now: clock.Now})
	ctx := context.Background()
	until := clock.Now().Add(time.Hour)
	tok := &jwtgate.Token{ID: "jti-1", Subject: "alice", SessionID: "fam-1", IssuedAt: clock.Now()}
	revoked, err := s.IsRevoked(ctx, tok)
	require.NoError(t, err)
	assert.False(t, revoked)

	srv.Stop()
	_, err = s.IsRevoked(ctx, tok)
	assert.Error(t, err, "Redis down is an error, never a 'not revoked'")
	assert.Error(t, s.RevokeToken(ctx, "jti-1", until))
	assert.Error(t, s.RotateFamily(ctx, "fam-1", "a", "b", until))

	srv.Restart()
	require.Eventually(t, func() bool {
		_, err := s.IsRevoked(ctx, tok)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "the client reconnects by itself")
	require.NoError(t, s.RevokeToken(ctx, "jti-1", until))
	revoked, err = s.IsRevoked(ctx, tok)
	require.NoError(t, err)
	assert.True(t, revoked)
}
