package redisstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lossHook makes Redis lose its data in the middle of one pipeline: the
// next pipeline that reads the loss marker (GET Prefix + "epoch") is sent
// one command at a time, and FLUSHALL, on a connection of its own, runs
// before command at (len(cmds) for after the last). A pipeline is not atomic:
// other clients' commands, a FLUSHALL among them, may run between its
// commands, which is what this makes happen at a chosen place.
type lossHook struct {
	marker string
	at     atomic.Int32 // -1: disarmed
	flush  func()
	fired  atomic.Bool
}

func newLossHook(marker string, flush func()) *lossHook {
	h := &lossHook{marker: marker, flush: flush}
	h.at.Store(-1)
	return h
}

func (h *lossHook) arm(at int) { h.fired.Store(false); h.at.Store(int32(at)) }

func (h *lossHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *lossHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *lossHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		at := int(h.at.Load())
		if at < 0 || !h.readsMarker(cmds) {
			return next(ctx, cmds)
		}
		h.at.Store(-1)
		for i, c := range cmds {
			if i == at {
				h.flush()
				h.fired.Store(true)
			}
			_ = next(ctx, []redis.Cmder{c}) // each command holds its own error
		}
		if at >= len(cmds) {
			h.flush()
			h.fired.Store(true)
		}
		for _, c := range cmds {
			if err := c.Err(); err != nil {
				return err // as a pipeline does: its first error
			}
		}
		return nil
	}
}

func (h *lossHook) readsMarker(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if a := c.Args(); len(a) == 2 && a[0] == "get" && a[1] == h.marker {
			return true
		}
	}
	return false
}

// TestLossWithinACheck: Redis loses its data (FLUSHALL) between two
// commands of the revocation check's pipeline, at every place in it. The
// store reads the entries first and the loss marker last, so that a loss in
// between is seen as a missing marker: a revoked token is never let through,
// whichever entry revoked it.
func TestLossWithinACheck(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test empties, not the one REDIS_URL names")
	}
	ctx := context.Background()
	ways := map[string]func(s *redisstore.Store, until time.Time) error{
		"by jti": func(s *redisstore.Store, until time.Time) error { return s.RevokeToken(ctx, "jti-1", until) },
		"by family": func(s *redisstore.Store, until time.Time) error {
			return s.RevokeFamily(ctx, "fam-1", until)
		},
		"by subject": func(s *redisstore.Store, until time.Time) error {
			return s.RevokeSubject(ctx, "alice", lossStart, until)
		},
	}
	for name, revoke := range ways {
		// The check of a token with jti, sid and sub is four commands:
		// the loss before the first, between any two, after the last.
		for at := range 5 {
			t.Run(name+", loss before command "+strconv.Itoa(at), func(t *testing.T) {
				prefix := redistest.Prefix()
				hook := newLossHook(prefix+"epoch", srv.Flush)
				c := srv.Client()
				c.AddHook(hook)
				clock := jwtgatetest.NewClock(lossStart.Add(-time.Hour))
				s := newStore(t, c, redisstore.Options{Prefix: prefix, Now: clock.Now, Timeout: 5 * time.Second})
				_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: clock.Now()}) // in use since an hour
				require.NoError(t, err)
				clock.Set(lossStart)
				until := lossStart.Add(time.Hour)
				require.NoError(t, s.StartFamily(ctx, "fam-1", "r-1", until))
				require.NoError(t, revoke(s, until))
				tok := &jwtgate.Token{ID: "jti-1", SessionID: "fam-1", Subject: "alice", IssuedAt: lossStart.Add(-time.Second)}
				r, err := s.IsRevoked(ctx, tok)
				require.NoError(t, err)
				require.True(t, r, "revoked before the loss")

				clock.Advance(2 * time.Second)
				hook.arm(at)
				r, err = s.IsRevoked(ctx, tok)
				require.NoError(t, err)
				require.True(t, hook.fired.Load(), "the check's pipeline lost the data")
				assert.True(t, r, "a token revoked %s, lost while it was checked, is let through", name)
			})
		}
	}
}

// TestLossWithinARemember: Redis loses its data (FLUSHALL) between the
// commands of the replay check's pipeline, before or after its SET. The
// store reads the loss marker after the record, so that a proof seen before
// the loss is never accepted again.
func TestLossWithinARemember(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test empties, not the one REDIS_URL names")
	}
	ctx := context.Background()
	for at := range 3 {
		t.Run("loss before command "+strconv.Itoa(at), func(t *testing.T) {
			prefix := redistest.Prefix()
			hook := newLossHook(prefix+"epoch", srv.Flush)
			c := srv.Client()
			c.AddHook(hook)
			inUse(t, c, prefix, lossStart)
			clock := jwtgatetest.NewClock(lossStart)
			s := newStore(t, c, redisstore.Options{Prefix: prefix, Now: clock.Now, Timeout: 5 * time.Second})
			iat := lossStart.Add(time.Second)
			clock.Set(iat)
			fresh, err := s.Remember(ctx, "jkt.used", iat, iat.Add(time.Minute))
			require.NoError(t, err)
			require.True(t, fresh)

			clock.Advance(2 * time.Second)
			hook.arm(at)
			fresh, err = s.Remember(ctx, "jkt.used", iat, iat.Add(time.Minute))
			require.NoError(t, err)
			require.True(t, hook.fired.Load(), "the replay check's pipeline lost the data")
			assert.False(t, fresh, "a proof used before the loss, replayed while Redis lost it, is accepted")
		})
	}
}

// clusterLossHook makes a Redis Cluster lose its data once armed, between
// the answers about the entries and the answer about the loss marker, in
// the worst order a ClusterClient allows: it sends each master's share of a
// pipeline at once, in parallel, so the marker's master may answer first.
// In a pipeline that reads the marker, the marker is read first, then the
// data lost, then the rest; a marker read alone loses the data first.
type clusterLossHook struct {
	marker string
	armed  atomic.Bool
	fired  atomic.Bool
	flush  func()
}

func newClusterLossHook(marker string, flush func()) *clusterLossHook {
	return &clusterLossHook{marker: marker, flush: flush}
}

func (h *clusterLossHook) arm() { h.fired.Store(false); h.armed.Store(true) }

func (h *clusterLossHook) isMarker(c redis.Cmder) bool {
	a := c.Args()
	return len(a) == 2 && a[0] == "get" && a[1] == h.marker
}

func (h *clusterLossHook) lose() {
	if h.armed.CompareAndSwap(true, false) {
		h.flush()
		h.fired.Store(true)
	}
}

func (h *clusterLossHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *clusterLossHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.isMarker(cmd) {
			h.lose()
		}
		return next(ctx, cmd)
	}
}

func (h *clusterLossHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var marker redis.Cmder
		rest := make([]redis.Cmder, 0, len(cmds))
		for _, c := range cmds {
			if h.isMarker(c) {
				marker = c
			} else {
				rest = append(rest, c)
			}
		}
		if marker == nil || !h.armed.Load() {
			return next(ctx, cmds)
		}
		_ = next(ctx, []redis.Cmder{marker})
		h.lose()
		_ = next(ctx, rest)
		for _, c := range cmds {
			if err := c.Err(); err != nil {
				return err
			}
		}
		return nil
	}
}
