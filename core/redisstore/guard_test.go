package redisstore

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
)

// TestGuard: only a single-node client, which honours the context's deadline
// on every wait, is called without the store's own guard.
func TestGuard(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:1" // never dialled
	cases := []struct {
		name   string
		client redis.UniversalClient
		guard  bool
	}{
		{"Client", redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true}), false},
		{"failover Client", redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "m", SentinelAddrs: []string{addr}, ContextTimeoutEnabled: true}), true},
		{"ClusterClient", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true}), true},
		{"Ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": addr}, ContextTimeoutEnabled: true}), true},
		{"a wrapper", struct{ redis.UniversalClient }{redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})}, true},
	}
	for _, c := range cases {
		t.Cleanup(func() { _ = c.client.Close() })
		s, err := New(c.client, Options{})
		if assert.NoError(t, err, c.name) {
			assert.Equal(t, c.guard, s.guard, c.name)
		}
	}
}
