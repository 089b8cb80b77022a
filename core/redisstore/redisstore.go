// Package redisstore is a issuing.Store and a dpop.ReplayStore in Redis,
// for a service that runs as several instances: a logout on one is a refusal
// on all of them at once, a refresh-token family spent on one is spent
// everywhere, and a DPoP proof one of them accepted is refused by all.
//
//	client, err := redisstore.NewClient("redis://127.0.0.1:6379/0")
//	store, err := redisstore.New(client, redisstore.Options{})
//	auth, err := jwtgate.New(jwtgate.Config{
//		// …
//		Revoker: store,
//		DPoP:    &dpop.Config{Replay: store},
//	})
//	issuer, err := issuing.New(issuing.Config{ /* … */ Store: store})
//
// It works with any redis.UniversalClient: a single node, Sentinel or Cluster.
// Every key expires with the tokens it concerns (PEXPIRE), jwtgate.MaxLeeway
// after their exp (a verifier accepts a token that long after it, with its
// largest leeway: a revocation must last as long), so nothing grows
// forever. A family lives in one hash, so its rotation is one Lua script on
// one key and works on Cluster.
//
// # Deployments
//
// What a revocation acknowledged by the store survives, by the shape of the
// Redis behind it (each section below says why):
//
//   - One Redis (NewClient("redis://…")): a restart with its data, and any
//     number of instances; without persistence, a loss of the data is
//     detected (the loss marker) and every older token is refused. Set
//     appendonly yes (or RDB snapshots), maxmemory-policy noeviction.
//   - Sentinel, a master and replicas (NewClient with master_name, or
//     redis.NewFailoverClient reading from the master): a failover to a
//     replica that acknowledged the write, with Options.Replicas (WAIT); to
//     any replica with Replicas equal to their number. Without Replicas, a
//     failover may forget the last writes unseen. Set persistence and
//     noeviction on every node, min-replicas-to-write on the master.
//     Options.LocalCache works with it: the tracking connection follows the
//     master the sentinels name.
//   - Redis Cluster with replicas (redis.NewClusterClient): a shard's
//     failover, with Options.Replicas (the WAIT goes to the write's shard);
//     a shard that loses its data alone goes unnoticed unless it holds the
//     marker. No local cache: one round trip per check.
//
// With several instances, Options.LocalCache answers each check from memory
// (no round trip at steady state) and a revocation made on one instance is
// refused by the others within LocalCache.MaxLag (100 ms); without it, at
// once, at the cost of a round trip per request.
//
// # Timeouts
//
// Every call ends within Options.Timeout (within the caller's context), with
// an error when Redis has not answered by then, whether Redis is down, frozen,
// slow, or every connection of the client's pool is stuck. Two things make
// it so:
//
//   - go-redis honours a context's deadline while it waits for Redis only if
//     the client was built with ContextTimeoutEnabled: true; otherwise it
//     waits up to its own ReadTimeout (5 s by default) and a slow answer
//     arrives late but succeeds. New therefore refuses a *redis.Client,
//     *redis.ClusterClient or *redis.Ring (the failover clients are one of
//     these) built without it, and NewClient builds a client from a URL
//     with it set. Waiting for a free connection of the pool ends
//     at the deadline too, so PoolTimeout need not be shorter than Timeout.
//   - Other clients have waits that do not follow the caller's context: a
//     failover client looks its master up under a mutex, a ClusterClient
//     looks its command table up once on a context of its own (up to 5 s),
//     and a client New cannot inspect (a wrapper) may ignore the context
//     altogether; a Ring is treated alike, untested. With any client but a
//     single-node *redis.Client the store
//     therefore waits for a call on a goroutine of its own and stops waiting
//     at the deadline; the call goes on alone and ends within the client's own
//     limits. (The single-node client is spared that goroutine's cost: it
//     honours the deadline, and a wake-up per call is measurable.)
//
// A write that timed out may still have been applied (Redis may have run it
// without the answer arriving in time).
//
// # Faults
//
// When Redis is down or slow a call fails; the verifier then answers 503
// (fail closed) unless jwtgate.Config.RevocationFailOpen is set, and the
// client reconnects by itself once Redis is back.
//
// A Redis that loses its data (a restart without persistence, a FLUSHALL, a
// failover to an empty replica) would forget its revocations, and revoked
// tokens would pass again. The store detects the loss and fails safe without
// an operator. It keeps a marker key (Prefix + "epoch", no TTL) holding an
// epoch in unix milliseconds (a value below 1e11, written in seconds by an
// earlier version, is read as the start of that second). IsRevoked reads it
// after the revocation entries, in the same round trip: a pipeline is not
// atomic, and a loss between its commands then shows as a missing marker,
// never as entries missing beside a marker still there. (A ClusterClient or
// a Ring sends each server's share of a pipeline at once, in parallel, which
// keeps no order: with those, and with a client New cannot inspect, the
// marker is read in a second round trip, once the entries have been read.)
// When it is missing, the store (whichever instance sees it first) creates
// it with its clock's current millisecond, in one Lua script that concurrent
// instances agree through. From then on, the store cannot tell which of the
// tokens issued before the marker were revoked, so it refuses them all and
// their users log in again (issuing.IssuedBeforeLoss):
//
//   - a token without iat, or whose iat is in an earlier second, or has a
//     fraction at or before the marker, is revoked;
//   - a token whose iat (whole seconds, as NumericDates are issued) is the
//     marker's own second may have been issued, revoked and lost within
//     that second: it passes only if its family (sid) was started at or
//     after the marker, a login after the loss; without a family, or with
//     a family the loss took, it is revoked;
//   - a token issued after the marker (a later second, or a fraction after
//     it) goes on to the entries' checks.
//
// StartFamily creates the marker too, in the same round trip as the family
// and before it, so that the family's start is not earlier than the marker:
// logins and refreshes work at once after a loss, in the marker's second
// too.
//
// Consequences:
//
//   - A brand-new Redis (or a new Prefix) counts as a loss: tokens issued
//     before the store was first used are refused, and so are tokens of no
//     family the Issuer started issued in that first second.
//   - Tokens without iat are always refused. jwtgate's Issuer sets iat.
//   - Instances' clocks must agree to within a second (NTP): an instance
//     whose clock is ahead may create an epoch later than the iat another
//     instance has just issued, refusing that token, or later than a
//     family another instance has just started, refusing that login's
//     tokens for the rest of the second.
//   - An upgrade from a version that wrote the marker in seconds: an
//     existing marker is read as it is, but a marker an upgraded instance
//     creates (after a loss) is in milliseconds, which an instance not yet
//     upgraded reads as seconds far in the future, refusing every token.
//     Upgrade every instance before Redis can lose its data.
//   - Eviction: under an allkeys-* policy Redis may evict the marker, which
//     forces every user to log in again, and may evict revocation entries;
//     a volatile-* policy spares the marker but may still evict revocation
//     entries (they have a TTL), which the marker does not detect. Use
//     noeviction, with memory for the live tokens' entries.
//   - On Redis Cluster the marker lives in one slot, so a loss is seen only
//     when the shard holding the marker loses its data; a shard that loses
//     its data alone goes unnoticed. Run Cluster with replicas and
//     persistence.
//
// Refresh-token families are lost with the data: their refresh tokens are
// then refused, so users log in again. Persistence (appendonly yes, or RDB
// snapshots with an acceptable window) avoids these re-logins; the marker
// keeps a loss safe, not painless.
//
// # Local cache
//
// Every check is a round trip to Redis: 46 to 62 µs on a local socket,
// 0.3 to 1 ms across a network, far more than the rest of a request. With
// Options.LocalCache the store answers IsRevoked from memory at steady state,
// and Redis keeps that memory correct (server-assisted client-side caching):
//
//   - The store opens a connection of its own (with the client's dialer and
//     credentials: a failover client's dials the master the sentinels name)
//     and turns on CLIENT TRACKING in broadcast mode (RESP3) for the keys
//     IsRevoked reads: Prefix + "t:", "f:", "s:" and the loss marker. From
//     then on Redis sends it the name of every such key any client writes
//     or that expires, and a null invalidation for a FLUSHALL or FLUSHDB.
//   - A check whose keys are all in memory (present or known absent) is
//     answered from there. Otherwise it reads Redis as without the cache and
//     keeps what it read, unless an invalidation, or a change of the
//     tracking connection, arrived since the read was sent (a global
//     sequence): a value read before a write never overwrites that write's
//     invalidation.
//   - The store's own writes drop their keys at once, so an instance refuses
//     its own logout at its next check.
//   - Freshness: the connection sends a PING every MaxLag/4, and memory
//     answers only while a PING sent less than MaxLag ago has been answered.
//     Redis queues a write's invalidations before it acknowledges the
//     write, so a PING sent after the acknowledgement is answered after
//     them, on the same connection: a revocation acknowledged on any
//     instance is refused by every instance within
//     MaxLag (default 100 ms) whatever happens to the connection; in
//     practice within the time the invalidation takes to arrive (measured
//     on loopback: p50 0.3 ms, p99 10 ms under the race detector, see
//     TestLocalCachePropagation and BENCHMARKS.md).
//   - The connection lost (killed, Redis restarted, a failover), or silent
//     past max(1 s, 10 × MaxLag): every entry is dropped, checks read Redis
//     (and fail within Options.Timeout, 503, while it does not answer), and
//     the store connects again; nothing read before tracking is on again is
//     kept. A server that says it is not a master (HELLO's role) is not
//     tracked: the store's writes go to the master. Sentinel disconnects
//     the clients of a master it demotes (CLIENT KILL), so the tracking
//     connection follows a failover; a partition that leaves an instance
//     talking to an old master the sentinels have replaced is Sentinel's
//     split brain, which min-replicas-to-write on the master bounds.
//   - The loss marker is one of the keys: a FLUSHALL empties memory, and the
//     marker's rule holds as without the cache (a restart without persistence
//     ends the connection, likewise).
//
// What it costs: one connection per store, a PING every MaxLag/4, and one
// invalidation message per tracked write to every instance (revocations,
// family starts and rotations; DPoP records, under Prefix + "dpop:", are not
// tracked); memory for MaxEntries keys (default 100,000, about 100 bytes
// each). DPoP's Remember, logins, refreshes and logouts still go to Redis.
// It needs a *redis.Client: a single node or Sentinel's failover client
// (New refuses it with a ClusterClient, a Ring or a wrapper: on Cluster each
// master would need a tracking connection). Close the store to close its
// connection.
//
// go-redis's own client-side cache (Options.ClientSideCache, experimental)
// was not used: it tracks the keys each pooled connection read (not
// broadcast) and reads their invalidations when a connection is next used
// or every DrainInterval, with MaxStaleness as its only bound when a
// connection goes silent; the store needs an answer from memory only while
// the invalidation stream is known to be live.
//
// # Replication and failover
//
// Redis replicates asynchronously: a master acknowledges a write before its
// replicas have it, and a failover to a replica (Sentinel, or Cluster's
// own) forgets the last writes. The loss marker does not see this loss: the
// replica has the marker. With Options.Replicas set, every write of the
// store (a revocation, a family started or rotated, a DPoP proof
// remembered) is followed, on its connection, by WAIT Replicas
// ReplicaTimeout, and the store reports it done only when that many
// replicas acknowledged it; otherwise the call fails with ErrNotReplicated
// (the request answers 503: a logout fails visibly instead of being
// forgotten later). Reads never wait.
//
//   - Count: a failover promotes a replica the sentinels (or the cluster's
//     masters) can reach, and Sentinel picks the one with the most data. With
//     Replicas equal to the number of replicas, every acknowledged write is
//     on whichever is promoted; with fewer, it is on the one Sentinel picks
//     as long as the replicas that acknowledged it are up. Set Replicas to
//     the number of replicas, and give the master one more replica than
//     Replicas if a write must succeed while one replica is down.
//   - Timeout: ReplicaTimeout, by default half of Timeout (250 ms), so that
//     a replica too slow is reported as such before the call's deadline.
//   - Cost: one replication round trip per write, master to replica and
//     back (tens of µs on loopback, the network's round trip otherwise);
//     reads (every request) are not affected.
//   - Default 0, no WAIT: right for a Redis without replicas (WAIT 1 would
//     fail every write), wrong for a master with replicas that can fail over.
//   - On Cluster the WAIT goes to the master of the write's key (WAIT has
//     no key: the store asks the client for that master, and sends the
//     write and its WAIT there in one pipeline; a write that meets a slot
//     moving, or its shard failing over, fails and may be retried). A Ring
//     cannot route it, and New refuses Replicas with one.
//
// A failover client (Sentinel) must read from the master: a FailoverClient
// with ReplicaOnly or RouteRandomly would read revocations from replicas
// that may lag. Configure the master with min-replicas-to-write to have it
// refuse writes when its replicas are gone, and persistence and noeviction
// as above.
//
// # DPoP replay
//
// As a dpop.ReplayStore (DPoP: &dpop.Config{Replay: store}) the store
// records each accepted proof (Remember) in one key, Prefix + "dpop:" + the
// base64url SHA-256 of the proof's id (the key's thumbprint and the jti,
// which the client chooses: never stored as it is), set with SET NX in one
// round trip, so that of the instances sharing the Redis only one accepts a
// proof. The key expires when the proof leaves the window (PX, until − now by
// the store's clock, rounded up to the millisecond: the window is the
// verifier's, measured by its clock, not Redis's). A record takes about 150
// bytes of Redis memory (Redis 7, with its expiry): at 1,000 proofs a second
// and the default 60 s Window, about 9 MB.
//
// A Redis that lost its data has forgotten the proofs of the last Window,
// and those proofs, captured with their token, would be accepted again until
// their iat leaves the window. The store refuses them instead, with the same
// loss marker as revocations, read after the SET, in the same round trip
// (in a second one on Cluster, as above): a proof whose iat is before the
// marker, or in the marker's own second (a proof has no family to tell), is
// answered as a replay (401 invalid_dpop_proof), since the store cannot tell
// whether it was used. Consequences:
//
//   - The refusals last at most a Window after the loss: a proof older than
//     that is refused by its iat anyway. RFC 9449 has a client make a new
//     proof for each request, so a refused request costs a client that
//     retries one retry, or a second's wait: proofs of the marker's second
//     are refused, a brand-new Redis's first second included.
//   - After a loss, a client whose clock runs behind the store's is refused
//     for as long as it lags; a client whose clock runs ahead may have made
//     proofs before the loss with an iat after it, which pass again: keep
//     clocks in time (NTP), as for revocations.
//   - A brand-new Redis (or a new Prefix) counts as a loss, as above.
//   - Eviction: a policy that evicts keys with a TTL (volatile-*,
//     allkeys-*) may forget proofs, which the marker does not detect. Use
//     noeviction.
//   - On Cluster the proofs' keys spread over every slot, and the marker
//     lives in one: a shard that loses its data alone goes unnoticed.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strconv"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/redis/go-redis/v9"
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key. Default "jwtgate:".
	Prefix string
	// Timeout bounds each call of the store, all its round trips to Redis
	// together, within the caller's context: past it the call returns an
	// error. Default 500 ms.
	Timeout time.Duration
	// Now is the clock entries are compared with. Default time.Now.
	Now func() time.Time
	// Replicas is how many replicas must hold a write before the store
	// acknowledges it: after each revocation, family start or rotation and
	// DPoP proof remembered, the store sends Redis WAIT Replicas
	// ReplicaTimeout on the connection of the write (on Cluster, the
	// master of the write's key), and returns an error when fewer replicas
	// acknowledged it in time, so that a logout fails visibly (503) rather
	// than be forgotten by a failover (see the package doc, Replication).
	// Default 0: no WAIT, for a Redis without replicas. Set it to the number
	// of replicas a failover may promote.
	Replicas int
	// ReplicaTimeout is WAIT's timeout. Default: half of Timeout, so that a
	// WAIT that times out is reported as such within Timeout.
	ReplicaTimeout time.Duration
	// LocalCache, when set, answers IsRevoked from memory at steady state,
	// with no round trip, kept correct by Redis's invalidations (see the
	// package doc, Local cache). It needs a *redis.Client (a single node or
	// Sentinel's failover client), and the store then holds a connection of
	// its own until Close. Default nil: every check reads Redis.
	LocalCache *LocalCache
}

// Store is a issuing.Store (and so a jwtgate.Revoker) and a
// dpop.ReplayStore in Redis. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	now     func() time.Time
	guard   bool // wait for calls on a goroutine of their own (see run)
	ordered bool // the client runs a pipeline's commands in order (see inOrder)

	replicas    int                  // WAIT's count after each write, 0: none
	waitTimeout time.Duration        // WAIT's timeout
	cluster     *redis.ClusterClient // the client, if a ClusterClient: WAIT goes to a key's master

	epochK string // the loss marker's key
	epochB []byte // epochK's bytes
	cache  *cache // nil without Options.LocalCache
}

var (
	_ issuing.Store    = (*Store)(nil)
	_ dpop.ReplayStore = (*Store)(nil)
)

// New returns a Store over client. It refuses a nil client, and a
// *redis.Client, *redis.ClusterClient or *redis.Ring built without
// ContextTimeoutEnabled: such a client ignores the deadline of Options.Timeout
// while it waits for Redis (see the package doc). Another implementation of
// redis.UniversalClient (a wrapper) cannot be inspected and is accepted: the
// store still returns at the deadline, but a call such a client does not end
// there goes on in the background, holding a connection.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if err := checkClient(client); err != nil {
		return nil, err
	}
	s := &Store{rdb: client, prefix: opts.Prefix, timeout: opts.Timeout, now: opts.Now, guard: needsGuard(client), ordered: inOrder(client),
		replicas: opts.Replicas, waitTimeout: opts.ReplicaTimeout}
	if s.prefix == "" {
		s.prefix = "jwtgate:"
	}
	if s.timeout <= 0 {
		s.timeout = 500 * time.Millisecond
	}
	if s.replicas < 0 {
		return nil, errors.New("redisstore: New: Options.Replicas is negative")
	}
	if s.waitTimeout <= 0 {
		s.waitTimeout = s.timeout / 2
	}
	s.waitTimeout = max(s.waitTimeout.Truncate(time.Millisecond), time.Millisecond) // WAIT's unit; 0 would wait forever
	s.cluster, _ = client.(*redis.ClusterClient)
	s.epochK = s.prefix + "epoch"
	s.epochB = []byte(s.epochK)
	if _, ring := client.(*redis.Ring); ring && s.replicas > 0 {
		return nil, errors.New("redisstore: New: Options.Replicas with a Ring: WAIT cannot be sent to the shard of a write")
	}
	if opts.LocalCache != nil {
		c, err := newCache(client, opts.LocalCache, s.prefix, s.timeout)
		if err != nil {
			return nil, err
		}
		s.cache = c
		c.start()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Close stops the local cache's tracking connection (Options.LocalCache), and
// waits for it to end; the store then reads Redis for every check. It does
// not close the client, which is the caller's. Without a local cache it does
// nothing. It returns nil.
func (s *Store) Close() error {
	if s.cache != nil {
		s.cache.close()
	}
	return nil
}

// CacheStats are the local cache's state and counts since the store was
// made.
type CacheStats struct {
	// Live reports whether the tracking connection is up, tracking (memory
	// may still be unused for a while: see LocalCache.MaxLag).
	Live bool
	// Hits are the checks answered from memory, Misses those that read
	// Redis (the connection down or not fresh, or a key not cached).
	Hits, Misses uint64
	// Drops counts the tracking connections lost after tracking began:
	// each emptied memory.
	Drops uint64
}

// CacheStats returns the local cache's state and counts; zero without one.
func (s *Store) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Live: s.cache.isLive(), Hits: s.cache.hits.Load(), Misses: s.cache.misses.Load(), Drops: s.cache.drops.Load()}
}

// forget drops keys the store has just written (or tried to) from its local
// cache, at once: the invalidation Redis sends comes a little later, and a
// check on this instance right after its own logout must not beat it.
func (s *Store) forget(keys ...string) {
	if s.cache != nil {
		s.cache.invalidate(keys)
	}
}

// NewClient returns a client for url built as New requires: a single-node
// client (redis://, rediss:// or unix://, with the query options of
// redis.ParseURL), or, when the URL has a master_name, a Sentinel failover
// client whose host and addr parameters are the sentinels
// (redis.ParseFailoverURL: redis://sentinel-1:26379?master_name=mymaster&addr=sentinel-2:26379).
// The caller closes it.
func NewClient(url string) (*redis.Client, error) {
	if u, err := neturl.Parse(url); err == nil && u.Query().Has("master_name") {
		opts, err := redis.ParseFailoverURL(url)
		if err != nil {
			return nil, err
		}
		opts.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(opts), nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

// checkClient reads ContextTimeoutEnabled off the clients go-redis builds
// (its failover clients are a *redis.Client or a *redis.ClusterClient). Any
// other implementation cannot be inspected and is taken as it is: the store
// still stops waiting at the deadline (see run).
func checkClient(client redis.UniversalClient) error {
	var enabled bool
	switch c := client.(type) {
	case nil:
		return errNilClient
	case *redis.Client:
		if c == nil {
			return errNilClient
		}
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		if c == nil {
			return errNilClient
		}
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		if c == nil {
			return errNilClient
		}
		enabled = c.Options().ContextTimeoutEnabled
	default:
		return nil
	}
	if !enabled {
		return fmt.Errorf("redisstore: New: the %T has ContextTimeoutEnabled false: it would wait for a hung Redis past Options.Timeout; build it with ContextTimeoutEnabled: true (or use NewClient)", client)
	}
	return nil
}

var errNilClient = errors.New("redisstore: New: client is nil")

// needsGuard reports whether the store must stop waiting for client's calls
// at the deadline itself. A single-node *redis.Client with
// ContextTimeoutEnabled ends every wait at the context's deadline (the fault
// tests check it: frozen, slow, every pooled connection stuck), and waiting
// on a goroutine of the store's own costs a wake-up per call, +30 to 60 µs
// per check on a local socket on a busy machine. Other clients have waits
// that ignore the context: the failover client's master look-up runs under a
// mutex, the cluster client looks the command table up on a context of its
// own (up to 5 s), and an unknown client may ignore the context altogether.
// A Ring, which no test here runs against a fault, is guarded too.
func needsGuard(client redis.UniversalClient) bool {
	c, ok := client.(*redis.Client)
	return !ok || c.Options().Addr == "FailoverClient" // the failover client's Addr, set by go-redis
}

// inOrder reports whether client runs a pipeline's commands one after the
// other, in order, on one server: a *redis.Client (a single node, or the
// failover client's master). A ClusterClient or a Ring sends each server's
// share of a pipeline at once, in parallel, so the loss marker's server may
// answer before the entries' servers have read them; a wrapper cannot be
// inspected. With those the marker is read in a round trip of its own, after
// the entries' (see readMarker).
func inOrder(client redis.UniversalClient) bool {
	_, ok := client.(*redis.Client)
	return ok
}

// exec runs the commands build queues in one pipeline, and then reads the
// loss marker, within run. It returns the marker's command, whose error the
// caller reads. A missing key (redis.Nil) is no error.
//
// The marker is read after the entries: for a client that keeps a
// pipeline's order, its GET is queued last in the pipeline; for another, it
// is read alone, once the pipeline has been executed. A pipeline is not
// atomic: read after the entries, the marker is missing if the data was lost
// after any of them was read; read first, it would be there and the entries
// gone.
//
// A pipeline that writes key and WAITs for its replicas (write true) runs,
// on Cluster, on key's master: WAIT has no key, and must reach the server of
// the write.
func (s *Store) exec(ctx context.Context, key string, write bool, build func(redis.Pipeliner)) (*redis.StringCmd, error) {
	var epoch *redis.StringCmd
	err := s.run(ctx, func() error {
		pipe, ordered, err := s.pipeline(ctx, key, write)
		if err != nil {
			return err
		}
		build(pipe)
		var marker *redis.StringCmd
		if ordered {
			marker = pipe.Get(ctx, s.epochKey())
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if marker == nil {
			marker = s.rdb.Get(ctx, s.epochKey())
		}
		epoch = marker
		return nil
	})
	if err != nil {
		return nil, err // epoch is not read: past the deadline fn may still write it
	}
	return epoch, nil
}

// pipeline returns a pipeline for commands on key, and whether it runs them
// in order on one server. A write that WAITs for replicas on Cluster gets a
// pipeline of key's master.
func (s *Store) pipeline(ctx context.Context, key string, write bool) (redis.Pipeliner, bool, error) {
	if write && s.replicas > 0 && s.cluster != nil {
		m, err := s.cluster.MasterForKey(ctx, key)
		if err != nil {
			return nil, false, err
		}
		return m.Pipeline(), false, nil // the marker lives on another master
	}
	return s.rdb.Pipeline(), s.ordered, nil
}

// wait queues WAIT for the store's replicas in pipe, after a write, or
// returns nil when the store waits for none.
func (s *Store) wait(ctx context.Context, pipe redis.Pipeliner) *redis.IntCmd {
	if s.replicas == 0 {
		return nil
	}
	cmd := redis.NewIntCmd(ctx, "wait", s.replicas, s.waitTimeout.Milliseconds()) // Pipeliner has no Wait
	_ = pipe.Process(ctx, cmd)                                                    // queued: the error is the command's
	return cmd
}

// acked returns nil when wait (nil: none was sent) found the write on the
// store's replicas, or else an error: the write is on the master, but a
// failover may lose it.
func (s *Store) acked(wait *redis.IntCmd) error {
	if wait == nil {
		return nil
	}
	n, err := wait.Result()
	if err != nil {
		return err
	}
	if n < int64(s.replicas) {
		return fmt.Errorf("%w: %d of %d replicas acknowledged the write within %s", ErrNotReplicated, n, s.replicas, s.waitTimeout)
	}
	return nil
}

// ErrNotReplicated is wrapped in the error of a write that Options.Replicas
// replicas did not acknowledge within Options.ReplicaTimeout: the master has
// it, but a failover to a replica may forget it, so the store does not
// acknowledge it. Like any error of the store, it answers 503; the write may
// be retried.
var ErrNotReplicated = errors.New("redisstore: write not acknowledged by the replicas")

// Keys. A family's hash tag keeps the whole family in one slot on Cluster.
func (s *Store) tokenKey(id string) string        { return s.prefix + "t:{" + id + "}" }
func (s *Store) familyKey(family string) string   { return s.prefix + "f:{" + family + "}" }
func (s *Store) subjectKey(subject string) string { return s.prefix + "s:{" + subject + "}" }

// epochKey is the loss marker's key (see the package doc). It has no TTL, and
// no hash tag of its own: on Cluster it shares a slot with no family.
func (s *Store) epochKey() string { return s.epochK }

var errEmptyID = errors.New("redisstore: empty id")

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// keep is how long past until an entry still revokes: the largest leeway a
// verifier accepts a token with after its exp (see issuing.Store).
const keep = jwtgate.MaxLeeway

// keepMS is keep in milliseconds, for the comparisons with the until an
// entry holds.
const keepMS = int64(keep / time.Millisecond)

// past reports whether an entry of until no longer revokes at now.
func past(until, now time.Time) bool { return !now.Before(until.Add(keep)) }

// ttl is how long Redis keeps an entry of until: until + keep − now, at
// least 1 ms (callers skip entries already past).
func (s *Store) ttl(until time.Time) string {
	d := until.Add(keep).Sub(s.now()).Milliseconds()
	if d < 1 {
		d = 1
	}
	return strconv.FormatInt(d, 10)
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// run calls fn, which talks to Redis under ctx, and returns its error, or
// ctx's once ctx is done. When the store guards its calls (see needsGuard)
// fn runs on a goroutine of its own, and the caller stops waiting at the
// deadline whatever the client does; fn, left behind, ends within the
// client's own limits (at once when cancel ends ctx, for a client that
// honours it). After an error the caller must not read what fn writes: fn may
// still be running.
func (s *Store) run(ctx context.Context, fn func() error) error {
	if !s.guard {
		return fn()
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // an answer that came with the deadline still counts
			return err
		default:
			return ctx.Err()
		}
	}
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(errUnavailable, err)
}

var errUnavailable = errors.New("redisstore: redis unavailable")

// IsRevoked implements jwtgate.Revoker: one pipelined round trip reads the
// token's, its family's and its subject's entries, and then the loss marker
// (in a round trip of its own on Cluster, see the package doc). A token
// issued before the marker, or in its second but of no family started
// since, or without iat, is revoked (issuing.IssuedBeforeLoss). When the
// marker is missing (Redis lost its data, or is new), another round trip
// creates it.
func (s *Store) IsRevoked(ctx context.Context, t *jwtgate.Token) (bool, error) {
	var v [4]entry // the token's, its family's, its subject's, the marker's
	var seq uint64
	var storable bool
	if s.cache != nil {
		var buf [256]byte // the keys, built without an allocation when they fit
		var keys [4][]byte
		b := buf[:0]
		for i, k := range [3]struct{ kind, id string }{{"t:{", t.ID}, {"f:{", t.SessionID}, {"s:{", t.Subject}} {
			if k.id != "" {
				n := len(b)
				b = append(append(append(append(b, s.prefix...), k.kind...), k.id...), '}')
				keys[i] = b[n:len(b):len(b)]
			}
		}
		keys[3] = s.epochB
		if s.cache.get(&keys, &v) {
			return s.decide(ctx, t, &v) // the marker is there: no round trip
		}
		seq, storable = s.cache.begin()
	}
	var keys [4]string
	if t.ID != "" {
		keys[0] = s.tokenKey(t.ID)
	}
	if t.SessionID != "" {
		keys[1] = s.familyKey(t.SessionID)
	}
	if t.Subject != "" {
		keys[2] = s.subjectKey(t.Subject)
	}
	keys[3] = s.epochK
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var tok *redis.StringCmd
	var fam, sub *redis.SliceCmd
	epoch, err := s.exec(ctx, "", false, func(pipe redis.Pipeliner) {
		if t.ID != "" {
			tok = pipe.Get(ctx, keys[0])
		}
		if t.SessionID != "" {
			fam = pipe.HMGet(ctx, keys[1], "rev", "until", "start")
		}
		if t.Subject != "" {
			sub = pipe.HMGet(ctx, keys[2], "before", "until")
		}
	})
	if err != nil {
		return false, wrap(err)
	}
	if v[0], err = stringEntry(tok); err == nil {
		if v[1], err = hashEntry(fam); err == nil {
			if v[2], err = hashEntry(sub); err == nil {
				v[3], err = stringEntry(epoch)
			}
		}
	}
	if err != nil {
		return false, wrap(err)
	}
	if storable && v[3].ok[0] {
		s.cache.put(seq, &keys, &v)
	}
	return s.decide(ctx, t, &v)
}

// stringEntry is the entry of a GET's answer (none for a nil cmd): an
// integer, or an error.
func stringEntry(cmd *redis.StringCmd) (entry, error) {
	var e entry
	if cmd == nil {
		return e, nil
	}
	n, err := cmd.Int64()
	switch {
	case errors.Is(err, redis.Nil):
		return e, nil
	case err != nil:
		return e, err
	}
	e.ok[0], e.v[0] = true, n
	return e, nil
}

// hashEntry is the entry of an HMGET's answer (none for a nil cmd): its
// fields as integers (0 when not one).
func hashEntry(cmd *redis.SliceCmd) (entry, error) {
	var e entry
	if cmd == nil {
		return e, nil
	}
	vals, err := cmd.Result()
	if err != nil {
		return e, err
	}
	for i, val := range vals[:min(len(vals), len(e.v))] {
		var str string
		if str, e.ok[i] = val.(string); e.ok[i] {
			e.v[i], _ = strconv.ParseInt(str, 10, 64)
		}
	}
	return e, nil
}

// decide answers IsRevoked for t from its entries (token, family, subject,
// marker), creating the marker if it is missing.
func (s *Store) decide(ctx context.Context, t *jwtgate.Token, v *[4]entry) (bool, error) {
	var mark time.Time
	if v[3].ok[0] {
		mark = epochTime(v[3].v[0])
	} else {
		ctx, cancel := s.ctx(ctx)
		defer cancel()
		var err error
		if mark, err = s.marker(ctx, nil); err != nil {
			return false, wrap(err)
		}
	}
	fam, sub := &v[1], &v[2]
	var started time.Time // when the token's family started, if known
	if fam.ok[2] {
		started = time.UnixMilli(fam.v[2])
	}
	if issuing.IssuedBeforeLoss(t.IssuedAt, mark, started) {
		return true, nil
	}
	now := s.now().UnixMilli()
	if v[0].ok[0] && now < v[0].v[0]+keepMS {
		return true, nil
	}
	if fam.ok[0] && fam.v[0] == 1 && now < fam.v[1]+keepMS {
		return true, nil
	}
	if sub.ok[0] && now < sub.v[1]+keepMS && issuing.IssuedBefore(t.IssuedAt, time.UnixMilli(sub.v[0]), started) {
		return true, nil
	}
	return false, nil
}

// Entries hold their until (ms since the epoch, by the store's clock: the
// latest exp of their tokens), count as revoking until until + keep, and
// expire after until + keep − now, so that Redis forgets them when their
// tokens have expired and no verifier's leeway accepts them, even if its
// clock and the store's differ. A family's rotation still compares its own
// until: a refresh token past its exp is not renewed.

// script runs sc, which writes key, within ctx, and waits for the store's
// replicas (see scripts).
func (s *Store) script(ctx context.Context, sc *redis.Script, key string, args ...any) (*redis.Cmd, error) {
	cmds, err := s.scripts(ctx, true, scriptCall{sc, key, args})
	if err != nil {
		return nil, err
	}
	return cmds[0], cmds[0].Err()
}

// scriptCall is a script to run on one key.
type scriptCall struct {
	script *redis.Script
	key    string
	args   []any
}

// scripts runs calls in one pipelined round trip (EVALSHA) within ctx, and
// returns their commands, each with its own result or error. A script Redis
// does not have yet (NOSCRIPT, after a restart) was not run: it is sent again
// whole (EVAL), alone.
//
// With write and Options.Replicas, a WAIT follows the scripts on their
// connection, and the call fails (ErrNotReplicated) unless enough replicas
// acknowledged them. On Cluster each call then runs on its key's master,
// with a WAIT of its own.
func (s *Store) scripts(ctx context.Context, write bool, calls ...scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	err := s.run(ctx, func() error {
		if write && s.replicas > 0 && s.cluster != nil && len(calls) > 1 {
			for i, c := range calls {
				one, err := s.scripts(ctx, write, c)
				if err != nil {
					return err
				}
				cmds[i] = one[0]
			}
			return nil
		}
		pipe, _, err := s.pipeline(ctx, calls[0].key, write)
		if err != nil {
			return err
		}
		for i, c := range calls {
			cmds[i] = c.script.EvalSha(ctx, pipe, []string{c.key}, c.args...)
		}
		var wait *redis.IntCmd
		if write {
			wait = s.wait(ctx, pipe)
		}
		_, _ = pipe.Exec(ctx) // each command holds its own error
		var again redis.Pipeliner
		for i, c := range calls {
			if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
				if again == nil {
					if again, _, err = s.pipeline(ctx, c.key, write); err != nil {
						return err
					}
				}
				cmds[i] = c.script.Eval(ctx, again, []string{c.key}, c.args...)
			}
		}
		if again != nil {
			if write {
				wait = s.wait(ctx, again)
			}
			_, _ = again.Exec(ctx)
		}
		return s.acked(wait)
	})
	if err != nil {
		return nil, err // cmds are not read: past the deadline fn may still write them
	}
	return cmds, nil
}

// ensureEpoch returns the loss marker's epoch (unix milliseconds, or seconds
// if an earlier version wrote it), setting it to ARGV[1] if it is missing:
// instances that find it missing at once all get the value the first one
// set.
var ensureEpoch = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1])
  v = ARGV[1]
end
return tonumber(v)`)

// epochCallAt is ensureEpoch with now's millisecond.
func (s *Store) epochCallAt(now time.Time) scriptCall {
	return scriptCall{ensureEpoch, s.epochKey(), []any{now.UnixMilli()}}
}

// marker returns the loss marker's time from the answer to its GET (nil:
// it is missing), and creates the marker, in a round trip of its own, if it
// is missing.
func (s *Store) marker(ctx context.Context, get *redis.StringCmd) (time.Time, error) {
	var e int64
	var err error = redis.Nil // nil get: known missing
	if get != nil {
		e, err = get.Int64()
	}
	if errors.Is(err, redis.Nil) {
		var cmds []*redis.Cmd
		if cmds, err = s.scripts(ctx, false, s.epochCallAt(s.now())); err == nil {
			e, err = cmds[0].Int64()
		}
	}
	if err != nil {
		return time.Time{}, err
	}
	return epochTime(e), nil
}

// secondsBelow: a marker below it is in unix seconds, as versions before
// the millisecond marker wrote it (1e11 ms is in 1973; 1e11 s, in 5138).
const secondsBelow = 100_000_000_000

// epochTime reads a marker's value: unix milliseconds, or unix seconds
// (below secondsBelow), read as the start of that second.
func epochTime(v int64) time.Time {
	if v < secondsBelow {
		return time.Unix(v, 0)
	}
	return time.UnixMilli(v)
}

// revokeToken keeps the later until.
var revokeToken = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1`)

// RevokeToken implements issuing.Store.
func (s *Store) RevokeToken(ctx context.Context, id string, until time.Time) error {
	if id == "" {
		return errEmptyID
	}
	if past(until, s.now()) {
		return nil // the token has expired, and no leeway accepts it: nothing to remember
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.tokenKey(id)
	defer s.forget(key)
	_, err := s.script(ctx, revokeToken, key, ms(until), s.ttl(until))
	return wrap(err)
}

// extendUntil is shared Lua: raise the hash's until and its expiry.
const extendUntil = `
local function extend(key, untilms, ttl)
  local cur = tonumber(redis.call('HGET', key, 'until') or '0')
  if untilms > cur then
    redis.call('HSET', key, 'until', untilms)
    redis.call('PEXPIRE', key, ttl)
  end
end
`

var revokeFamily = redis.NewScript(extendUntil + `
redis.call('HSET', KEYS[1], 'rev', '1')
extend(KEYS[1], tonumber(ARGV[1]), ARGV[2])
return 1`)

// RevokeFamily implements issuing.Store.
func (s *Store) RevokeFamily(ctx context.Context, family string, until time.Time) error {
	if family == "" {
		return errEmptyID
	}
	if past(until, s.now()) {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.familyKey(family)
	defer s.forget(key)
	_, err := s.script(ctx, revokeFamily, key, ms(until), s.ttl(until))
	return wrap(err)
}

var revokeSubject = redis.NewScript(extendUntil + `
local before = tonumber(redis.call('HGET', KEYS[1], 'before') or '0')
if tonumber(ARGV[1]) > before then
  redis.call('HSET', KEYS[1], 'before', ARGV[1])
end
extend(KEYS[1], tonumber(ARGV[2]), ARGV[3])
return 1`)

// RevokeSubject implements issuing.Store.
func (s *Store) RevokeSubject(ctx context.Context, subject string, before, until time.Time) error {
	if subject == "" {
		return errEmptyID
	}
	if past(until, s.now()) {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.subjectKey(subject)
	defer s.forget(key)
	_, err := s.script(ctx, revokeSubject, key, ms(before), ms(until), s.ttl(until))
	return wrap(err)
}

// startFamily records a family: its current refresh token, its until, and
// when it started (for RevokeSubject's same-second rule, see
// issuing.IssuedBefore).
var startFamily = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'cur', ARGV[1], 'until', ARGV[2], 'start', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

var errFamilyExists = errors.New("redisstore: family exists")

// StartFamily implements issuing.Store. It creates the loss marker too if it
// is missing, in the same round trip, with the family's start as its epoch,
// so that the tokens of a login after a loss pass at once, in the marker's
// second too.
func (s *Store) StartFamily(ctx context.Context, family, tokenID string, until time.Time) error {
	if family == "" || tokenID == "" {
		return errEmptyID
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now := s.now()
	if past(until, now) {
		return nil // born expired: every rotation will find it unknown
	}
	key := s.familyKey(family)
	defer s.forget(key, s.epochK)
	cmds, err := s.scripts(ctx, true,
		s.epochCallAt(now),
		scriptCall{startFamily, key, []any{tokenID, ms(until), s.ttl(until), ms(now)}})
	if err != nil {
		return wrap(err)
	}
	if err := cmds[0].Err(); err != nil {
		return wrap(err)
	}
	n, err := cmds[1].Int()
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return errFamilyExists
	}
	return nil
}

// rotateFamily is the atomic rotation: one script, one key.
var rotateFamily = redis.NewScript(extendUntil + `
local f = redis.call('HMGET', KEYS[1], 'cur', 'rev', 'until')
if not f[1] or f[2] == '1' or tonumber(f[3] or '0') <= tonumber(ARGV[4]) then
  return 'unknown'
end
if f[1] ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'rev', '1')
  return 'reused'
end
redis.call('HSET', KEYS[1], 'cur', ARGV[2])
extend(KEYS[1], tonumber(ARGV[3]), ARGV[5])
return 'ok'`)

// RotateFamily implements issuing.Store.
func (s *Store) RotateFamily(ctx context.Context, family, presented, next string, until time.Time) error {
	if family == "" || presented == "" || next == "" {
		return errEmptyID
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.familyKey(family)
	defer s.forget(key)
	cmd, err := s.script(ctx, rotateFamily, key, presented, next, ms(until), ms(s.now()), s.ttl(until))
	if err != nil {
		return wrap(err)
	}
	res, err := cmd.Text()
	if err != nil {
		return wrap(err)
	}
	switch res {
	case "ok":
		return nil
	case "reused":
		return issuing.ErrRefreshReused
	default:
		return issuing.ErrFamilyUnknown
	}
}
