package jwtgate

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCachePut puts a new token on every call into a full cache of
// 10k, 100k and 1M entries: the eviction that makes room must cost the same
// at any size (issue: it scanned the whole shard).
func BenchmarkCachePut(b *testing.B) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, size := range []int{10_000, 100_000, 1_000_000} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			c := newTokenCache(size)
			fill := func(i int) {
				raw := "token-" + strconv.Itoa(i)
				c.put(c.hash(raw), &cacheEntry{Token: Token{Raw: raw, ExpiresAt: now.Add(time.Hour)}})
			}
			for i := range size {
				fill(i)
			}
			// Half the entries were hit: a second chance for them.
			for i := 0; i < size; i += 2 {
				raw := "token-" + strconv.Itoa(i)
				c.get(raw, c.hash(raw))
			}
			exp := now.Add(time.Hour)
			// New tokens, one per put, made before the clock starts.
			toks := make([]*cacheEntry, b.N)
			for i := range toks {
				toks[i] = &cacheEntry{Token: Token{Raw: "new-" + strconv.Itoa(i), ExpiresAt: exp}}
			}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.put(c.hash(toks[i].Raw), toks[i])
			}
			b.StopTimer()
			if n := c.len(); n > size+16 {
				b.Fatalf("cache holds %d entries, bound %d", n, size)
			}
		})
		// The floor under any cache that finds its entries through a Go map,
		// in the same run: one delete and one insert per put on a map of the
		// same size. A put does a bounded amount of work (at most clockSteps
		// slots), so what grows with size here is memory latency, which the
		// floor shows growing alike.
		b.Run("size="+strconv.Itoa(size)+"/floor=map", func(b *testing.B) {
			m := make(map[uint64]*cacheEntry, size)
			keys := make([]uint64, size)
			rng := uint64(0x9e3779b97f4a7c15)
			next := func() uint64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng | 1 }
			e := &cacheEntry{}
			for i := range keys {
				keys[i] = next()
				m[keys[i]] = e
			}
			fresh := make([]uint64, b.N)
			for i := range fresh {
				fresh[i] = next()
			}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % size
				delete(m, keys[j])
				keys[j] = fresh[i]
				m[keys[j]] = e
			}
		})
	}
}

// BenchmarkCacheMiss verifies a new token on every request (100,000
// distinct valid HS256 tokens, cycled, ten times the cache's size), with the
// cache on and off in the same run: a cache that never hits must cost next
// to nothing.
func BenchmarkCacheMiss(b *testing.B) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	toks := make([]string, 100_000)
	for i := range toks {
		toks[i] = signHS256(secret, `{"alg":"HS256","typ":"JWT"}`,
			`{"iss":"https://issuer.example","sub":"user-`+strconv.Itoa(i)+`","aud":"api://svc","iat":1795867200,"exp":1795870800,"jti":"j-`+strconv.Itoa(i)+`"}`)
	}
	for _, cache := range []string{"on", "off"} {
		b.Run("cache="+cache, func(b *testing.B) {
			size := defaultCacheSize
			if cache == "off" {
				size = -1
			}
			a, err := New(Config{Keys: HMAC(secret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
				CacheSize: size, Now: func() time.Time { return now }})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := a.Verify(ctx, toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func signHS256(key []byte, header, payload string) string {
	si := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(si))
	return si + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
