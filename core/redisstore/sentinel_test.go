package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sentinelTimeout is the stores' Options.Timeout in the Sentinel tests.
const sentinelTimeout = 500 * time.Millisecond

// TestSentinel runs the store through a failover client on a real master,
// two replicas and three sentinels, in order, on one set-up (starting one
// takes seconds): the shared suite with WAIT, the replicas frozen, then the
// master killed during a stream of logouts and refreshes.
func TestSentinel(t *testing.T) {
	t.Parallel()
	set := redistest.StartSentinel(t)

	t.Run("store suite", func(t *testing.T) {
		client := set.Client()
		jwtgatetest.RunStore(t, func(t *testing.T, now func() time.Time) issuing.Store {
			// A generous timeout: the suite checks what is stored, and a busy
			// machine may take more than 500 ms for a write and its WAIT.
			return newStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), Now: now, Replicas: 2, Timeout: 5 * time.Second})
		})
	})

	t.Run("NewClient with master_name", func(t *testing.T) {
		addrs := set.SentinelAddrs()
		client, err := redisstore.NewClient("redis://" + addrs[0] + "?master_name=" + redistest.SentinelMaster + "&addr=" + addrs[1] + "&addr=" + addrs[2])
		require.NoError(t, err)
		defer client.Close()
		assert.Equal(t, "FailoverClient", client.Options().Addr, "a failover client")
		s := newStore(t, client, redisstore.Options{Prefix: redistest.Prefix(), Replicas: 2})
		require.NoError(t, s.RevokeToken(context.Background(), "jti-url", time.Now().Add(time.Hour)))
		revoked, err := s.IsRevoked(context.Background(), &jwtgate.Token{ID: "jti-url", IssuedAt: time.Now().Add(time.Second)})
		require.NoError(t, err)
		assert.True(t, revoked)
	})
	t.Run("replicas frozen", func(t *testing.T) { replicasFrozen(t, set) })
	t.Run("failover", func(t *testing.T) { failover(t, set) })
}

// replicasFrozen: with the replicas frozen, every write is refused
// (ErrNotReplicated, or the deadline) within the store's timeout, reads still
// answer, and writes work again once the replicas are back. Without Replicas
// (before WAIT) the same writes were acknowledged though no replica had them:
// a failover then would have forgotten them.
func replicasFrozen(t *testing.T, set *redistest.Sentinel) {
	client := set.Client()
	prefix := redistest.Prefix()
	s := newStore(t, client, redisstore.Options{Prefix: prefix, Timeout: sentinelTimeout, Replicas: 1})
	unsafe := newStore(t, client, redisstore.Options{Prefix: prefix, Timeout: sentinelTimeout})
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	require.NoError(t, s.StartFamily(ctx, "fam-frozen", "r-0", until))

	master := set.Master()
	for i := range set.Addrs() {
		if i != master {
			set.Pause(i)
			defer set.Resume(i)
		}
	}
	writes := map[string]func(*redisstore.Store) error{
		"RevokeToken":   func(s *redisstore.Store) error { return s.RevokeToken(ctx, "jti-frozen", until) },
		"RevokeFamily":  func(s *redisstore.Store) error { return s.RevokeFamily(ctx, "fam-other", until) },
		"RevokeSubject": func(s *redisstore.Store) error { return s.RevokeSubject(ctx, "bob", time.Now(), until) },
		"StartFamily":   func(s *redisstore.Store) error { return s.StartFamily(ctx, "fam-new", "r-0", until) },
		"RotateFamily":  func(s *redisstore.Store) error { return s.RotateFamily(ctx, "fam-frozen", "r-0", "r-1", until) },
		"Remember": func(s *redisstore.Store) error {
			_, err := s.Remember(ctx, "jkt.frozen", time.Now(), time.Now().Add(time.Minute))
			return err
		},
	}
	for name, write := range writes {
		start := time.Now()
		err := write(s)
		took := time.Since(start)
		assert.ErrorIs(t, err, redisstore.ErrNotReplicated, "%s acknowledged without a replica", name)
		assert.Less(t, took, sentinelTimeout+faultMargin, name)
	}
	_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "jti-x", IssuedAt: time.Now()})
	assert.NoError(t, err, "reads need no replica")
	assert.NoError(t, unsafe.RevokeToken(ctx, "jti-unsafe", until),
		"without Replicas a write no replica holds is acknowledged: a failover now would forget it")

	for i := range set.Addrs() {
		if i != master {
			set.Resume(i)
		}
	}
	require.Eventually(t, func() bool { return s.RevokeToken(ctx, "jti-after", until) == nil },
		10*time.Second, 50*time.Millisecond, "writes are acknowledged again once a replica is back")
}

// failover kills the master while three instances (stores, each with its
// own failover client and a local cache) log out and refresh: every logout acknowledged before,
// during or after the failover is refused on every instance afterwards, every
// refresh token whose rotation was acknowledged is spent for good, every call
// ends within the timeout (503, not a hang), and the instances serve again
// without being rebuilt.
func failover(t *testing.T, set *redistest.Sentinel) {
	prefix := redistest.Prefix()
	clock := jwtgatetest.NewClock(time.Now())
	var stores []*redisstore.Store
	for range 3 {
		stores = append(stores, cachedStore(t, set.Client(), redisstore.Options{
			Prefix: prefix, Timeout: sentinelTimeout, Replicas: 1, Now: clock.Now,
		}))
	}
	ctx := context.Background()
	until := clock.Now().Add(time.Hour)
	const families = 4
	for f := range families {
		require.NoError(t, stores[0].StartFamily(ctx, fmt.Sprint("fam-", f), "r-0", until))
	}
	clock.Advance(2 * time.Second) // tokens of a later second than the loss marker's
	issued := clock.Now()

	var (
		mu        sync.Mutex
		loggedOut []string                // jtis whose logout was acknowledged
		spent     = map[string][]string{} // family → refresh tokens acknowledged spent
		slowest   atomic.Int64
		failures  atomic.Int64
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	timed := func(fn func() error) error {
		start := time.Now()
		err := fn()
		d := int64(time.Since(start))
		for {
			cur := slowest.Load()
			if d <= cur || slowest.CompareAndSwap(cur, d) {
				break
			}
		}
		if err != nil {
			failures.Add(1)
		}
		return err
	}
	wg.Add(3)
	go func() { // logouts
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			jti := fmt.Sprint("jti-", i)
			if timed(func() error { return stores[i%3].RevokeToken(ctx, jti, until) }) == nil {
				mu.Lock()
				loggedOut = append(loggedOut, jti)
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond) // a stream, not a flood
		}
	}()
	go func() { // refreshes: each family's chain r-0, r-1, …
		defer wg.Done()
		current := make([]int, families)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f := i % families
			fam := fmt.Sprint("fam-", f)
			presented, next := fmt.Sprint("r-", current[f]), fmt.Sprint("r-", current[f]+1)
			err := timed(func() error { return stores[i%3].RotateFamily(ctx, fam, presented, next, until) })
			if err == nil {
				mu.Lock()
				spent[fam] = append(spent[fam], presented)
				mu.Unlock()
				current[f]++
			} else if errors.Is(err, issuing.ErrRefreshReused) || errors.Is(err, issuing.ErrFamilyUnknown) {
				// An unacknowledged rotation that Redis applied: the chain
				// goes on from the next token, which may be current now.
				current[f]++
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	go func() { // requests
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = timed(func() error {
				_, err := stores[i%3].IsRevoked(ctx, &jwtgate.Token{ID: fmt.Sprint("live-", i), Subject: "alice", IssuedAt: issued})
				return err
			})
			time.Sleep(2 * time.Millisecond)
		}
	}()

	time.Sleep(500 * time.Millisecond)
	old := set.Master()
	set.Kill(old)
	killed := time.Now()
	set.WaitFailover(old, 30*time.Second)
	t.Logf("failover in %s", time.Since(killed).Round(time.Millisecond))
	// Heal: every instance answers again, writes (WAIT on the new master's
	// replica) included, without being rebuilt.
	require.Eventually(t, func() bool {
		for i, s := range stores {
			if s.RevokeToken(ctx, fmt.Sprint("heal-", i), until) != nil {
				return false
			}
			if _, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: issued}); err != nil {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "the instances serve again")
	time.Sleep(300 * time.Millisecond) // the stream goes on after the failover
	close(stop)
	wg.Wait()

	t.Logf("%d logouts, %d rotations acknowledged; %d calls failed; slowest call %s",
		len(loggedOut), func() (n int) {
			for _, v := range spent {
				n += len(v)
			}
			return
		}(), failures.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))
	assert.Positive(t, failures.Load(), "calls during the failover failed (503)")
	assert.Less(t, time.Duration(slowest.Load()), sentinelTimeout+faultMargin, "every call ended within the timeout")
	for i, s := range stores { // each tracks the new master, and answers from memory again
		warm(t, s, &jwtgate.Token{ID: fmt.Sprint("warm-", i), IssuedAt: issued})
	}
	for _, jti := range loggedOut {
		for i, s := range stores {
			revoked, err := s.IsRevoked(ctx, &jwtgate.Token{ID: jti, IssuedAt: issued})
			require.NoError(t, err)
			assert.True(t, revoked, "the acknowledged logout of %s forgotten on instance %d", jti, i)
		}
	}
	for fam, tokens := range spent {
		for _, presented := range tokens {
			err := stores[0].RotateFamily(ctx, fam, presented, "again", until)
			assert.Error(t, err, "%s's spent refresh token %s accepted again", fam, presented)
		}
	}
}
