package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScaleOutLocalCache: three instances of the net/http app on one Redis,
// each with REDIS_LOCAL_CACHE=on: a logout on one is refused by the two
// others soon after it was answered (the time to the refusal, over HTTP,
// is logged; the store's bound is 100 ms), and the instances serve from
// memory, the revoked tokens included, after Redis is emptied (the loss
// marker's rule: a token issued before the loss is refused).
func TestScaleOutLocalCache(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	if !srv.Managed() {
		t.Skip("needs a redis-server this test empties, not the one REDIS_URL names")
	}
	env := []string{"REDIS_URL=" + srv.URL(), "REDIS_LOCAL_CACHE=on"}
	cs := []client{start(t, "nethttp", env...).client(), start(t, "nethttp", env...).client(), start(t, "nethttp", env...).client()}
	var delays []time.Duration
	for i := range 20 {
		x := cs[i%3]
		access, _ := x.login()
		for _, c := range cs {
			require.Equal(t, 200, c.me(access))
			require.Equal(t, 200, c.me(access)) // from memory, once the first check cached it
		}
		status, _ := x.do("POST", "/logout", "", access)
		require.Equal(t, 204, status)
		answered := time.Now()
		for j, c := range cs {
			if c == x {
				assert.Equal(t, 401, c.me(access), "the instance's own logout, at once")
				continue
			}
			require.Eventually(t, func() bool { return c.me(access) == 401 }, 5*time.Second, time.Millisecond, "instance %d", j)
			delays = append(delays, time.Since(answered))
		}
	}
	slices.Sort(delays)
	t.Logf("logout answered on one instance to its refusal on another, over HTTP, %d times: p50 %s, p99 %s, max %s",
		len(delays), delays[len(delays)/2], delays[len(delays)*99/100], delays[len(delays)-1])
	assert.Less(t, delays[len(delays)-1], time.Second)

	access, _ := cs[0].login()
	for _, c := range cs {
		require.Equal(t, 200, c.me(access))
	}
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // the loss in a later second than the token's iat
	srv.Flush()
	for _, c := range cs {
		require.Eventually(t, func() bool { return c.me(access) == 401 }, 5*time.Second, 5*time.Millisecond,
			"a token issued before the loss is refused")
	}
	fresh, _ := cs[1].login()
	for _, c := range cs {
		assert.Equal(t, 200, c.me(fresh), "a login after the loss")
	}
}

// TestScaleOutSentinel: three instances of the net/http app on a master, two
// replicas and three sentinels (REDIS_URL with master_name, REDIS_REPLICAS=1,
// REDIS_LOCAL_CACHE=on). The master is killed: requests are answered 503
// within the store's timeout, or served, never left hanging; after the
// failover every instance serves again without a restart, and every logout
// answered 204 before the failover is still refused by every instance.
func TestScaleOutSentinel(t *testing.T) {
	t.Parallel()
	set := redistest.StartSentinel(t)
	addrs := set.SentinelAddrs()
	url := fmt.Sprintf("redis://%s?master_name=%s&addr=%s&addr=%s", addrs[0], redistest.SentinelMaster, addrs[1], addrs[2])
	env := []string{"REDIS_URL=" + url, "REDIS_REPLICAS=1", "REDIS_LOCAL_CACHE=on"}
	cs := []client{start(t, "nethttp", env...).client(), start(t, "nethttp", env...).client(), start(t, "nethttp", env...).client()}

	var loggedOut []string
	for i := range 6 {
		access, _ := cs[i%3].login()
		status, _ := cs[(i+1)%3].do("POST", "/logout", "", access)
		require.Equal(t, 204, status, "a logout acknowledged by a replica")
		loggedOut = append(loggedOut, access)
	}
	live, _ := cs[0].login()

	old := set.Master()
	set.Kill(old)
	killed := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	slowest := time.Duration(0)
	statuses := map[int]int{}
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(killed) < 2*time.Second { // the failover's first seconds
				start := time.Now()
				status := c.me(live)
				took := time.Since(start)
				mu.Lock()
				statuses[status]++
				slowest = max(slowest, took)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	set.WaitFailover(old, 30*time.Second)
	t.Logf("during the failover: statuses %v, slowest answer %s; failover after %s", statuses, slowest, time.Since(killed))
	assert.Less(t, slowest, answerBound, "every request answered within the store's timeout")
	for status := range statuses {
		assert.Contains(t, []int{200, 503}, status)
	}
	for i, c := range cs {
		require.Eventually(t, func() bool { return c.me(live) == 200 }, 30*time.Second, 50*time.Millisecond,
			"instance %d serves again after the failover", i)
	}
	t.Logf("serving again %s after the kill", time.Since(killed))
	for _, tok := range loggedOut {
		for i, c := range cs {
			assert.Equal(t, 401, c.me(tok), "a logout acknowledged before the failover, on instance %d", i)
		}
	}
	access, _ := cs[2].login()
	status, _ := cs[0].do("POST", "/logout", "", access)
	assert.Equal(t, 204, status, "logouts acknowledged again: the new master has a replica")
	for _, c := range cs {
		require.Eventually(t, func() bool { return c.me(access) == 401 }, 5*time.Second, time.Millisecond)
	}
}

// TestScaleOutBadSettings: REDIS_REPLICAS and REDIS_LOCAL_CACHE with values
// the apps do not take stop them at start, with one line naming the
// variable.
func TestScaleOutBadSettings(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			bin := binary(t, "examples/"+a.name)
			for _, tt := range []struct{ env, variable string }{
				{"REDIS_REPLICAS=-1", "REDIS_REPLICAS"},
				{"REDIS_REPLICAS=two", "REDIS_REPLICAS"},
				{"REDIS_LOCAL_CACHE=yes", "REDIS_LOCAL_CACHE"},
			} {
				cmd := exec.Command(bin)
				cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "JWT_SECRET="+secret, tt.env)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				require.True(t, errors.As(err, &exit), "%s: exits non-zero: %v", tt.env, err)
				assert.Equal(t, 1, exit.ExitCode(), tt.env)
				assert.Empty(t, stdout.String(), tt.env)
				line := strings.TrimSuffix(stderr.String(), "\n")
				assert.NotContains(t, line, "\n", "%s: one line on stderr", tt.env)
				assert.Contains(t, line, tt.variable, tt.env)
			}
		})
	}
}
