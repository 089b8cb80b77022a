package jwtgate

import (
	"hash/maphash"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"
)

// DefaultCacheSize is the number of verified tokens an Authenticator
// remembers when Config.CacheSize is zero.
const DefaultCacheSize = 10_000

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
type tokenCache struct {
	seed     maphash.Seed
	perShard int
	shards   [16]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*cacheEntry
}

type cacheEntry struct {
	tok      *Token // shared by the requests that send it from tok.Source
	exp, nbf time.Time
	gen      uint64
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed(), perShard: max(1, size/16)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(raw string) *cacheShard {
	return &c.shards[maphash.String(c.seed, raw)%uint64(len(c.shards))]
}

func (c *tokenCache) get(raw string) (*cacheEntry, bool) {
	s := c.shard(raw)
	s.mu.RLock()
	e, ok := s.m[raw]
	s.mu.RUnlock()
	return e, ok
}

func (c *tokenCache) drop(raw string) {
	s := c.shard(raw)
	s.mu.Lock()
	delete(s.m, raw)
	s.mu.Unlock()
}

func (c *tokenCache) put(raw string, e *cacheEntry, now time.Time) {
	s := c.shard(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.perShard {
		for k, old := range s.m {
			if !now.Before(old.exp) {
				delete(s.m, k)
			}
		}
		for k := range s.m { // still full: make room (map order is random)
			if len(s.m) < c.perShard {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[raw] = e
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
