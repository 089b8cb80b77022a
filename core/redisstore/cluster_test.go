package redisstore_test

import (
	"context"
	"errors"
	"strconv"
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

// TestCluster runs the store on a real three-master Redis Cluster: the shared
// suite (rotation scripts, revocation keys and the loss marker spread over
// slots of every master), DPoP replay records, then faults: a master frozen, then killed. The
// subtests run in order, on one cluster (starting one takes seconds).
func TestCluster(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t)
	client := cluster.Client()

	t.Run("store suite", func(t *testing.T) {
		jwtgatetest.RunStore(t, func(t *testing.T, now func() time.Time) issuing.Store {
			return newStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), Now: now})
		})
	})

	prefix := redistest.Prefix()
	// on returns a fresh id whose keys of kind ("t", "f", "s") live on
	// master m: ids are hash tags, so a key's slot is its id's.
	on := func(kind string, m int) string {
		for {
			id := kind + "-" + strconv.FormatInt(seq.Add(1), 10)
			if cluster.MasterOf(prefix+kind+":{"+id+"}") == m {
				return id
			}
		}
	}
	// onReplay returns a fresh proof id whose record lives on master m.
	onReplay := func(m int) string {
		for {
			id := "jkt." + strconv.FormatInt(seq.Add(1), 10)
			if cluster.MasterOf(replayKey(prefix, id)) == m {
				return id
			}
		}
	}
	epochMaster := cluster.MasterOf(prefix + "epoch")
	other := (epochMaster + 1) % 3 // a master without the loss marker

	// callsOn makes every kind of store call on keys of master m (but for
	// the loss marker's), each timed.
	callsOn := func(s *redisstore.Store, m int) []result {
		ctx := context.Background()
		until := time.Now().Add(time.Hour)
		ids := map[string]string{"t": on("t", m), "f": on("f", m), "s": on("s", m), "dpop": onReplay(m)}
		fns := []struct {
			name string
			fn   func() error
		}{
			{"IsRevoked", func() error {
				_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: ids["t"], SessionID: ids["f"], Subject: ids["s"], IssuedAt: time.Now()})
				return err
			}},
			{"RevokeToken", func() error { return s.RevokeToken(ctx, ids["t"], until) }},
			{"RevokeSubject", func() error { return s.RevokeSubject(ctx, ids["s"], time.Now().Add(-time.Hour), until) }},
			{"StartFamily", func() error { return s.StartFamily(ctx, ids["f"], "r-0", until) }},
			{"RotateFamily", func() error { return s.RotateFamily(ctx, ids["f"], "r-0", "r-1", until) }},
			{"RevokeFamily", func() error { return s.RevokeFamily(ctx, ids["f"], until) }},
			{"Remember", func() error {
				_, err := s.Remember(ctx, ids["dpop"], time.Now(), time.Now().Add(time.Minute))
				return err
			}},
		}
		var out []result
		for _, f := range fns {
			start := time.Now()
			err := f.fn()
			out = append(out, result{f.name, err, time.Since(start)})
		}
		return out
	}

	t.Run("replays", func(t *testing.T) {
		// Records on every master, each new once; the loss marker, on one
		// master, is read in the same call.
		inUse(t, client, prefix, time.Now()) // a proof of the loss marker's own second counts as used
		s := newStore(t, client, redisstore.Options{Prefix: prefix})
		ctx := context.Background()
		for m := range 3 {
			id := onReplay(m)
			for i, want := range []bool{true, false} {
				fresh, err := s.Remember(ctx, id, time.Now(), time.Now().Add(time.Minute))
				require.NoError(t, err)
				assert.Equal(t, want, fresh, "master %d, call %d", m, i)
			}
		}
	})

	t.Run("a loss within a check", func(t *testing.T) {
		// The whole cluster loses its data between the entries' answers and
		// the marker's, as a pipeline sent to several masters at once allows:
		// a revoked token, a used proof, are refused all the same.
		prefix := redistest.Prefix()
		c := cluster.Client()
		admin := cluster.Client()
		hook := newClusterLossHook(prefix+"epoch", func() {
			require.NoError(t, admin.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
				return m.FlushAll(ctx).Err()
			}))
		})
		c.AddHook(hook)
		clock := jwtgatetest.NewClock(lossStart.Add(-time.Hour))
		s := newStore(t, c, redisstore.Options{Prefix: prefix, Now: clock.Now, Timeout: 5 * time.Second})
		ctx := context.Background()
		_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: clock.Now()}) // in use since an hour
		require.NoError(t, err)
		clock.Set(lossStart)
		until := lossStart.Add(time.Hour)
		ids := map[string]string{"t": on("t", other), "f": on("f", other), "s": on("s", other)}
		require.NoError(t, s.RevokeToken(ctx, ids["t"], until))
		require.NoError(t, s.RevokeFamily(ctx, ids["f"], until))
		require.NoError(t, s.RevokeSubject(ctx, ids["s"], lossStart, until))
		iat := lossStart.Add(-time.Second)
		for name, tok := range map[string]*jwtgate.Token{
			"by jti":     {ID: ids["t"], IssuedAt: iat},
			"by family":  {ID: "a-1", SessionID: ids["f"], IssuedAt: iat},
			"by subject": {ID: "a-2", Subject: ids["s"], IssuedAt: iat},
		} {
			r, err := s.IsRevoked(ctx, tok)
			require.NoError(t, err)
			require.True(t, r, "%s, before the loss", name)
		}
		// Each case in turn, the loss repeated: the marker and the entries
		// are written again first.
		for name, tok := range map[string]*jwtgate.Token{
			"by jti":     {ID: ids["t"], IssuedAt: iat},
			"by family":  {ID: "a-1", SessionID: ids["f"], IssuedAt: iat},
			"by subject": {ID: "a-2", Subject: ids["s"], IssuedAt: iat},
		} {
			require.NoError(t, admin.Del(ctx, prefix+"epoch").Err())
			clock.Set(lossStart.Add(-time.Hour))
			_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: clock.Now()}) // the marker, set again as it was
			require.NoError(t, err)
			clock.Set(lossStart.Add(2 * time.Second))
			require.NoError(t, s.RevokeToken(ctx, ids["t"], until))
			require.NoError(t, s.RevokeFamily(ctx, ids["f"], until))
			require.NoError(t, s.RevokeSubject(ctx, ids["s"], lossStart, until))
			hook.arm()
			r, err := s.IsRevoked(ctx, tok)
			require.NoError(t, err)
			require.True(t, hook.fired.Load(), "%s: the check lost the data", name)
			assert.True(t, r, "a token revoked %s, lost while it was checked, is let through", name)
		}

		proof := onReplay(other)
		require.NoError(t, admin.Del(ctx, prefix+"epoch").Err())
		clock.Set(lossStart.Add(-time.Hour))
		_, err = s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: clock.Now()})
		require.NoError(t, err)
		clock.Set(lossStart.Add(2 * time.Second))
		pIat := clock.Now()
		fresh, err := s.Remember(ctx, proof, pIat, pIat.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, fresh)
		hook.arm()
		fresh, err = s.Remember(ctx, proof, pIat, pIat.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, hook.fired.Load(), "the replay check lost the data")
		assert.False(t, fresh, "a proof used before the loss, replayed while the cluster lost it, is accepted")
	})

	t.Run("a frozen master", func(t *testing.T) {
		// A new client: its first calls also look the command table up,
		// which go-redis does on a context of its own, for up to 5 s.
		s := newStore(t, cluster.Client(), redisstore.Options{Prefix: prefix, Timeout: faultTimeout})
		cluster.Pause(other)
		assertBounded(t, callsOn(s, other))
		for _, r := range callsOn(s, epochMaster) {
			assert.Less(t, r.took, faultTimeout+faultMargin, "%s took %v", r.name, r.took)
		}
		cluster.Resume(other)
		require.Eventually(t, func() bool {
			return succeeded(callsOn(s, other)) && succeeded(callsOn(s, epochMaster))
		}, 10*time.Second, 50*time.Millisecond, "the store works again without a new client")
	})

	t.Run("a killed master", func(t *testing.T) {
		s := newStore(t, client, redisstore.Options{Prefix: prefix, Timeout: faultTimeout})
		requireSucceeded(t, callsOn(s, other))
		cluster.Kill(other)
		for range 2 {
			assertBounded(t, callsOn(s, other))
			rs := callsOn(s, epochMaster)
			for _, r := range rs {
				assert.Less(t, r.took, faultTimeout+faultMargin, "%s took %v", r.name, r.took)
			}
			requireSucceeded(t, rs) // the masters left serve their slots
		}

		cluster.Kill(epochMaster)
		assertBounded(t, callsOn(s, epochMaster))
	})
}

// TestClusterReplicas runs the store with Replicas 1 on a real Cluster of
// three masters with a replica each: the shared suite, then each master's
// replica frozen in turn: a write to a key of that master fails
// (ErrNotReplicated) within the timeout, since the WAIT goes to the key's
// master, while writes to the other masters' keys are acknowledged.
func TestClusterReplicas(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartReplicatedCluster(t)
	client := cluster.Client()

	t.Run("store suite", func(t *testing.T) {
		jwtgatetest.RunStore(t, func(t *testing.T, now func() time.Time) issuing.Store {
			// A generous timeout, as in TestSentinel's suite.
			return newStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), Now: now, Replicas: 1, Timeout: 5 * time.Second})
		})
	})

	t.Run("a frozen replica", func(t *testing.T) {
		prefix := redistest.Prefix()
		s := newStore(t, client, redisstore.Options{Prefix: prefix, Timeout: sentinelTimeout, Replicas: 1})
		ctx := context.Background()
		until := time.Now().Add(time.Hour)
		on := func(kind string, m int) string {
			for {
				id := kind + "-" + strconv.FormatInt(seq.Add(1), 10)
				key := prefix + kind + ":{" + id + "}"
				if kind == "dpop" {
					key = replayKey(prefix, id)
				}
				if cluster.MasterOf(key) == m {
					return id
				}
			}
		}
		writes := func(m int) map[string]error {
			fam := on("f", m)
			started := s.StartFamily(ctx, fam, "r-0", until)
			_, remembered := s.Remember(ctx, on("dpop", m), time.Now(), time.Now().Add(time.Minute))
			return map[string]error{
				"RevokeToken":   s.RevokeToken(ctx, on("t", m), until),
				"RevokeFamily":  s.RevokeFamily(ctx, on("f", m), until),
				"RevokeSubject": s.RevokeSubject(ctx, on("s", m), time.Now(), until),
				"StartFamily":   started,
				"RotateFamily":  s.RotateFamily(ctx, fam, "r-0", "r-1", until),
				"Remember":      remembered,
			}
		}
		epochMaster := cluster.MasterOf(prefix + "epoch")
		for _, m := range cluster.Masters() {
			// StartFamily also writes the loss marker, on its own master:
			// that master's replica stays up.
			if m == epochMaster {
				continue
			}
			for name, err := range writes(m) {
				require.NoError(t, err, "%s on master %d, replicas running", name, m)
			}
			r := cluster.ReplicaOf(m)
			cluster.Pause(r)
			start := time.Now()
			for name, err := range writes(m) {
				if name == "RotateFamily" && errors.Is(err, issuing.ErrFamilyUnknown) {
					continue // its family's start was refused, unacknowledged (it may be there)
				}
				assert.ErrorIs(t, err, redisstore.ErrNotReplicated, "%s on master %d, its replica frozen", name, m)
			}
			assert.Less(t, time.Since(start), 6*(sentinelTimeout+faultMargin))
			for _, other := range cluster.Masters() {
				if other != m {
					for name, err := range writes(other) {
						assert.NoError(t, err, "%s on master %d, with master %d's replica frozen", name, other, m)
					}
				}
			}
			cluster.Resume(r)
		}
	})
}
