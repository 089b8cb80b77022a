package jwtgate

import (
	"hash/maphash"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// defaultCacheSize is the number of verified tokens an Authenticator
// remembers when Config.CacheSize is zero.
const defaultCacheSize = 10_000

// KeyGeneration is implemented by a KeySource whose keys change while it is
// in use (a remote JWKS): the number changes whenever its keys do. The
// verified-token cache only works over a source that either cannot change (a
// *Key, a *KeySet) or implements it, and forgets every entry when it changes.
//
// The Authenticator reads the generation before it asks the source for a key,
// and files the verification under it. So a source must install its new keys
// first and change the generation after (or both at once), never the other
// way round: then a verification made with a key that is being removed is
// filed under the old generation and never served once the new one is seen.
type KeyGeneration interface {
	KeyGeneration() uint64
}

// cacheable reports whether the verified-token cache may sit over src: its
// keys never change (a *Key, a *KeySet), or src says when they do
// (KeyGeneration, which changing reports). A combination (KeysByIssuer,
// Combine) is cacheable when each of its sources is, and changes when one
// of them does.
func cacheable(src KeySource) (ok, changing bool) {
	switch k := src.(type) {
	case *Key, *KeySet:
		return true, false
	case KeysByIssuer:
		return cacheableAll(maps.Values(k))
	case *combined:
		return cacheableAll(slices.Values(k.sources))
	case KeyGeneration:
		return true, true
	}
	return false, false
}

func cacheableAll(sources iter.Seq[KeySource]) (ok, changing bool) {
	for s := range sources {
		if s == nil {
			continue
		}
		o, c := cacheable(s)
		if !o {
			return false, false
		}
		changing = changing || c
	}
	return true, changing
}

// generationOf is the sum of the generations of src's changing sources: it
// changes whenever one of theirs does (each only grows).
func generationOf(src KeySource) uint64 {
	switch k := src.(type) {
	case KeysByIssuer:
		var n uint64
		for _, s := range k {
			n += generationOf(s)
		}
		return n
	case *combined:
		var n uint64
		for _, s := range k.sources {
			n += generationOf(s)
		}
		return n
	case KeyGeneration:
		return k.KeyGeneration()
	}
	return 0
}

// tokenCache remembers verified tokens, keyed by the exact token string, so
// that a token sent again is not decoded and its signature not checked again.
// Only successes are stored; each entry ends at the token's exp; a change of
// keys makes every entry stale.
//
// A token is taken in the second time it is verified: the first time only
// its hash is noted, in a fixed array (a doorkeeper, as in TinyLFU), so a
// workload of tokens that never come back — a cache that never hits —
// allocates and keeps nothing more than with the cache off.
//
// Each of its shards holds a map and a ring of its entries: a new token,
// once the shard is full, replaces the first entry the ring's hand finds
// unused since it last passed (CLOCK, second chance), or expired, looking at
// no more than clockSteps entries, so a put costs the same at any size. A hit
// only marks its entry used, under the read lock.
type tokenCache struct {
	seed     maphash.Seed
	perShard int
	shards   [1 << shardBits]cacheShard
}

// A shard's map is keyed by the token's 64-bit hash, which get and put have
// already computed; an entry holds the whole token, compared on every hit,
// so that two tokens of one hash (a 1 in 2^64 chance with a random seed)
// only ever cost a miss. Eviction then reads the ring alone: the slots it
// passes lie next to each other, and the evicted entry is deleted by hash,
// without reading its token.
type cacheShard struct {
	mu   sync.RWMutex
	m    map[uint64]*cacheEntry
	ring []ringSlot
	hand int
	seen []atomic.Uint64 // hashes of tokens verified once (the doorkeeper)
}

type ringSlot struct {
	e    *cacheEntry // nil: a free slot
	h    uint64
	used atomic.Bool // hit since the hand last passed
}

// cacheEntry is a cached Token with what the cache needs beside it, in one
// allocation. The Token is shared by the requests that send it from its
// Source.
type cacheEntry struct {
	Token   // never handed out: requests get copies (copyOf)
	nbf     time.Time
	gen     uint64
	payload string // for decoding a claims type of the caller's afresh
	slot    int    // index in the shard's ring
}

// clockSteps bounds how many entries a put looks at before it evicts one:
// a few second chances, then the entry under the hand goes whatever it is.
const clockSteps = 8

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed(), perShard: max(1, size/16)}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry)
		c.shards[i].seen = make([]atomic.Uint64, c.perShard)
	}
	return c
}

// hash is raw's hash, which picks its shard, keys its entry and its
// doorkeeper slot.
func (c *tokenCache) hash(raw string) uint64 { return maphash.String(c.seed, raw) | 1 }

// shard is picked by the hash's top bits: its lowest bit is always set (a
// zero hash means none), so h%16 would use only the odd half of the shards.
func (c *tokenCache) shard(h uint64) *cacheShard {
	return &c.shards[h>>(64-shardBits)]
}

// shardBits is log2 of the number of shards.
const shardBits = 4

// admit reports whether a token just verified, of hash h, goes into the
// cache: whether it was verified before (its hash is in the doorkeeper).
// Otherwise its hash is noted, in place of whatever was in its slot.
func (c *tokenCache) admit(h uint64) bool {
	s := c.shard(h)
	slot := &s.seen[(h>>8)%uint64(len(s.seen))]
	if slot.Load() == h {
		return true
	}
	slot.Store(h)
	return false
}

func (c *tokenCache) get(raw string, h uint64) (*cacheEntry, bool) {
	s := c.shard(h)
	s.mu.RLock()
	e, ok := s.m[h]
	if ok {
		if e.Raw != raw {
			s.mu.RUnlock()
			return nil, false // another token of the same hash
		}
		if u := &s.ring[e.slot].used; !u.Load() { // a store only when it changes
			u.Store(true)
		}
	}
	s.mu.RUnlock()
	return e, ok
}

func (c *tokenCache) drop(raw string, h uint64) {
	s := c.shard(h)
	s.mu.Lock()
	if e, ok := s.m[h]; ok && e.Raw == raw {
		delete(s.m, h)
		s.ring[e.slot].e = nil
	}
	s.mu.Unlock()
}

// put files e under h, and reports whether it evicted another entry to
// make room.
func (c *tokenCache) put(h uint64, e *cacheEntry) (evicted bool) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[h]; ok { // verified again, or a token of the same hash: its slot
		e.slot = old.slot
	} else if len(s.ring) < c.perShard {
		e.slot = len(s.ring)
		s.ring = append(s.ring, ringSlot{})
	} else {
		e.slot, evicted = s.evict()
	}
	r := &s.ring[e.slot]
	r.e, r.h = e, h
	r.used.Store(false)
	s.m[h] = e
	return evicted
}

// evict frees a slot of the full ring and returns it: a free one, one unused
// since the hand last passed, or after clockSteps the one under the hand.
// Expired entries are among the unused: a token past its exp is never a hit.
func (s *cacheShard) evict() (slot int, evicted bool) {
	for step := 0; ; step++ {
		slot := s.hand
		s.hand = (s.hand + 1) % len(s.ring)
		r := &s.ring[slot]
		switch {
		case r.e == nil:
			return slot, false
		case step < clockSteps && r.used.Load():
			r.used.Store(false) // a second chance
			continue
		}
		delete(s.m, r.h)
		r.e = nil
		return slot, true
	}
}

func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}
