package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// LocalCache configures the store's local cache of revocation state
// (Options.LocalCache): IsRevoked answered from memory, kept correct by
// Redis itself through server-assisted client-side caching (Redis 6 or
// later: RESP3 and CLIENT TRACKING; a server without them is never tracked,
// and every check reads it). See the package doc, Local cache.
type LocalCache struct {
	// MaxLag bounds how late an instance may learn of a write another
	// instance made: the store answers from memory only while the tracking
	// connection has answered a PING sent less than MaxLag ago, and Redis
	// answers a PING sent after a write was acknowledged only after it sent
	// that write's invalidations on the same connection. Past it (the
	// connection silent, Redis frozen, the network lagging), every check goes
	// to Redis, and fails within Options.Timeout if Redis does not answer.
	// The connection sends a PING every MaxLag/4. Default 100 ms.
	MaxLag time.Duration
	// MaxEntries bounds the keys kept in memory (a token's, a family's and a
	// subject's entries, present or not, and the loss marker); past it, some
	// are dropped. Default 100,000.
	MaxEntries int
}

const (
	defaultMaxLag     = 100 * time.Millisecond
	defaultMaxEntries = 100_000
)

// entry is a key as Redis last gave it: a string's value, or the fields of
// a hash IsRevoked asks HMGET for, each present or not. Every value the
// store writes is an integer (milliseconds, or a family's rev 1), kept
// parsed.
type entry struct {
	ok [3]bool
	v  [3]int64
}

// cache is the local copy of the keys IsRevoked reads, valid while a
// tracking connection (CLIENT TRACKING ON BCAST on the store's prefixes)
// tells it of every change.
//
// Correctness rests on three rules:
//
//   - A value is stored only if no invalidation, and no loss or gain of
//     the tracking connection, happened since its read was sent (seq is the
//     same): an invalidation that arrives between Redis's answer and the
//     store cannot be overtaken by it.
//   - Every loss of the connection drops every entry, and nothing read
//     before the next connection was tracking is stored.
//   - A value is served only if the connection answered a PING sent less
//     than maxLag ago (fresh). Redis queues a write's broadcast
//     invalidations (beforeSleep) before it flushes the write's
//     acknowledgement, so a PING sent after the acknowledgement is answered
//     after them on the tracking connection: every write acknowledged
//     before that PING was sent has been applied.
type cache struct {
	mu      sync.RWMutex
	entries map[string]entry
	seq     uint64 // bumped by every invalidation and every change of the connection
	live    bool   // a tracking connection is up
	max     int

	maxLag time.Duration
	idle   time.Duration // a connection silent this long is broken
	base   time.Time     // fresh counts from it, on the monotonic clock
	fresh  atomic.Int64  // when the last PING answered was sent, in ns since base

	dial     func(ctx context.Context) (net.Conn, error)
	auth     func(ctx context.Context) (user, pass string, err error)
	prefixes []string
	timeout  time.Duration // connecting, HELLO and CLIENT TRACKING

	hits, misses atomic.Uint64
	drops        atomic.Uint64 // tracking connections lost (each emptied memory)

	connMu  sync.Mutex
	conn    net.Conn // the tracking connection, closed by close
	closed  bool
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// newCache returns the cache of a store over client, its tracking connection
// dialled with the client's own dialer (a failover client's dials the master
// the sentinels name), not started.
func newCache(client redis.UniversalClient, lc *LocalCache, prefix string, timeout time.Duration) (*cache, error) {
	c, ok := client.(*redis.Client)
	if !ok {
		return nil, fmt.Errorf("redisstore: New: Options.LocalCache needs a *redis.Client (a single node, or Sentinel's failover client), not a %T: on Cluster each master would need a tracking connection", client)
	}
	o := c.Options()
	if o.StreamingCredentialsProvider != nil {
		return nil, errors.New("redisstore: New: Options.LocalCache with a StreamingCredentialsProvider: the tracking connection cannot follow its credentials")
	}
	k := &cache{
		entries:  make(map[string]entry),
		max:      lc.MaxEntries,
		maxLag:   lc.MaxLag,
		base:     time.Now(),
		prefixes: []string{prefix + "t:", prefix + "f:", prefix + "s:", prefix + "epoch"},
		timeout:  max(timeout, time.Second),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	if k.max <= 0 {
		k.max = defaultMaxEntries
	}
	if k.maxLag <= 0 {
		k.maxLag = defaultMaxLag
	}
	k.idle = max(time.Second, 10*k.maxLag)
	dialer, network, addr := o.Dialer, o.Network, o.Addr
	k.dial = func(ctx context.Context) (net.Conn, error) { return dialer(ctx, network, addr) }
	k.auth = func(ctx context.Context) (string, string, error) {
		switch {
		case o.CredentialsProviderContext != nil:
			return o.CredentialsProviderContext(ctx)
		case o.CredentialsProvider != nil:
			u, p := o.CredentialsProvider()
			return u, p, nil
		}
		return o.Username, o.Password, nil
	}
	return k, nil
}

// get fills out with the entries of keys (nil for none) and reports whether
// it could: every key is cached and the connection is fresh.
func (c *cache) get(keys *[4][]byte, out *[4]entry) bool {
	c.mu.RLock()
	ok := c.live && time.Since(c.base)-time.Duration(c.fresh.Load()) < c.maxLag
	for i := 0; ok && i < len(keys); i++ {
		if keys[i] != nil {
			out[i], ok = c.entries[string(keys[i])] // no copy of the key
		}
	}
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return ok
}

// isLive reports whether a tracking connection is up.
func (c *cache) isLive() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}

// begin returns the sequence a read about to be sent must find unchanged to
// be stored, and whether it may be stored at all (tracking is on).
func (c *cache) begin() (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.seq, c.live
}

// put stores what a read begun at seq found, unless anything was
// invalidated since, or tracking went down.
func (c *cache) put(seq uint64, keys *[4]string, vals *[4]entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.seq != seq {
		return
	}
	if len(c.entries)+len(keys) > c.max {
		n := len(c.entries) - c.max*15/16
		for k := range c.entries { // Go's map order: a random sample
			if n <= 0 {
				break
			}
			delete(c.entries, k)
			n--
		}
	}
	for i, k := range keys {
		if k != "" {
			c.entries[k] = vals[i]
		}
	}
}

// invalidate drops keys, or every entry (keys nil: a FLUSHALL, a FLUSHDB).
func (c *cache) invalidate(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if keys == nil {
		clear(c.entries)
		return
	}
	for _, k := range keys {
		delete(c.entries, k)
	}
}

// activate marks tracking on, from a connection whose CLIENT TRACKING was
// sent at sent (ns since base): no read begun before is stored.
func (c *cache) activate(sent int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.live = true
	c.fresh.Store(sent)
}

// drop forgets everything: the tracking connection is gone, and with it
// every invalidation Redis may have sent since.
func (c *cache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.live = false
	clear(c.entries)
}

// start runs the tracking connection until close: connect, track, and on
// any error drop everything and connect again, after a pause growing from
// 10 ms to 1 s while it fails.
func (c *cache) start() {
	go func() {
		defer close(c.stopped)
		pause := 10 * time.Millisecond
		for {
			tracked, _ := c.track()
			c.drop()
			if tracked {
				c.drops.Add(1)
				pause = 10 * time.Millisecond
			}
			select {
			case <-c.done:
				return
			case <-time.After(pause): // not a busy loop while Redis is away
			}
			pause = min(2*pause, time.Second)
		}
	}()
}

// close stops the tracking connection and waits for its goroutines.
func (c *cache) close() {
	c.once.Do(func() {
		c.connMu.Lock()
		c.closed = true
		if c.conn != nil {
			_ = c.conn.Close()
		}
		c.connMu.Unlock()
		close(c.done)
		<-c.stopped
		c.drop()
	})
}

// setConn records the tracking connection, for close; false when closed.
func (c *cache) setConn(conn net.Conn) bool {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.closed && conn != nil {
		return false
	}
	c.conn = conn
	return true
}

var errClosed = errors.New("redisstore: store closed")

// track connects, turns tracking on and applies the invalidations it
// receives, until the connection fails, lags past idle, or the store is
// closed. tracked reports whether tracking was turned on.
func (c *cache) track() (tracked bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, err := c.dial(ctx)
	if err != nil {
		return false, err
	}
	if !c.setConn(conn) {
		_ = conn.Close()
		return false, errClosed
	}
	defer func() {
		c.setConn(nil)
		_ = conn.Close()
	}()
	user, pass, err := c.auth(ctx)
	if err != nil {
		return false, err
	}
	hello := []string{"HELLO", "3"}
	if pass != "" {
		if user == "" {
			user = "default"
		}
		hello = append(hello, "AUTH", user, pass)
	}
	hello = append(hello, "SETNAME", "jwtgate-tracking")
	on := []string{"CLIENT", "TRACKING", "ON", "BCAST"}
	for _, p := range c.prefixes {
		on = append(on, "PREFIX", p)
	}
	_ = conn.SetDeadline(time.Now().Add(c.timeout))
	sent := int64(time.Since(c.base))
	if _, err := conn.Write(appendCommand(appendCommand(nil, hello...), on...)); err != nil {
		return false, err
	}
	r := bufio.NewReaderSize(conn, 32<<10)
	v, err := readValue(r)
	if err != nil {
		return false, err
	}
	if v.err != nil {
		return false, fmt.Errorf("redisstore: tracking connection: HELLO: %w", v.err)
	}
	if role := mapString(v, "role"); role != "master" {
		// A replica does not send the writes of other clients' connections
		// to the master; and the store's writes go to the master.
		return false, fmt.Errorf("redisstore: tracking connection: the server is a %q, not the master", role)
	}
	if v, err = readValue(r); err != nil {
		return false, err
	}
	if v.err != nil {
		return false, fmt.Errorf("redisstore: tracking connection: CLIENT TRACKING: %w", v.err)
	}
	_ = conn.SetDeadline(time.Time{})
	c.activate(sent)

	pings := make(chan int64, 16)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.heartbeat(conn, pings, stop) }()
	defer func() { close(stop); _ = conn.Close(); wg.Wait() }()
	for {
		_ = conn.SetReadDeadline(time.Now().Add(c.idle))
		v, err := readValue(r)
		if err != nil {
			return true, err
		}
		if v.kind == '>' {
			c.push(v)
			continue
		}
		if v.err != nil {
			return true, v.err
		}
		select {
		case at := <-pings: // a PING's answer: every invalidation sent before it is applied
			c.fresh.Store(at)
		default:
			return true, fmt.Errorf("%w: an answer to no command", errRESP)
		}
	}
}

// heartbeat sends a PING every maxLag/4, and records when in pings, in
// order, for the reader to match with the answers. Sixteen PINGs unanswered
// (4 × maxLag) break the connection.
func (c *cache) heartbeat(conn net.Conn, pings chan<- int64, stop <-chan struct{}) {
	tick := time.NewTicker(max(c.maxLag/4, time.Millisecond))
	defer tick.Stop()
	ping := appendCommand(nil, "PING")
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		select {
		case pings <- int64(time.Since(c.base)):
		default:
			_ = conn.Close()
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(c.idle))
		if _, err := conn.Write(ping); err != nil {
			_ = conn.Close()
			return
		}
	}
}

// push applies an invalidation: ["invalidate", [key, …]], or
// ["invalidate", null] for a flush of the whole database.
func (c *cache) push(v respValue) {
	if len(v.elems) != 2 || v.elems[0].str != "invalidate" {
		return // another push (none is expected)
	}
	keys := v.elems[1]
	if keys.null {
		c.invalidate(nil)
		return
	}
	names := make([]string, 0, len(keys.elems))
	for _, k := range keys.elems {
		names = append(names, k.str)
	}
	c.invalidate(names)
}

// mapString returns the string value of name in a RESP3 map.
func mapString(v respValue, name string) string {
	for i := 0; i+1 < len(v.elems); i += 2 {
		if v.elems[i].str == name {
			return v.elems[i+1].str
		}
	}
	return ""
}
