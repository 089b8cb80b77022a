package jwtgate_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
)

// BenchmarkMemoryPerEntry measures the heap each entry of the in-memory
// revocation store and of the verified-token cache takes, for 100,000 and
// 1,000,000 entries, reported as B/entry (heap in use after a GC, over the
// entry count). The cache figure excludes the token strings themselves,
// which the caller holds anyway (the cache keys share them). Run it alone:
//
//	go test -run '^$' -bench BenchmarkMemoryPerEntry -benchtime=1x ./core
func BenchmarkMemoryPerEntry(b *testing.B) {
	ctx := context.Background()
	until := testNow.Add(time.Hour)
	// IDs as the Issuer mints them: 22 characters of base64url.
	id := func(prefix string, i int) string {
		return prefix + "AAAAAAAAA" + strconv.FormatInt(int64(1_000_000_000+i), 10)
	}
	for _, n := range []int{100_000, 1_000_000} {
		b.Run("what=store-revoked/n="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				ids := make([]string, n)
				for i := range ids {
					ids[i] = id("t", i)
				}
				s := issuing.NewMemoryStore(func() time.Time { return testNow })
				b.ReportMetric(heapPerEntry(n, func() {
					for _, v := range ids {
						if err := s.RevokeToken(ctx, v, until); err != nil {
							b.Fatal(err)
						}
					}
				}), "B/entry")
				runtime.KeepAlive(s)
				runtime.KeepAlive(ids) // the caller's strings are not the store's
			}
		})
		b.Run("what=store-family/n="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				fams, refs := make([]string, n), make([]string, n)
				for i := range fams {
					fams[i], refs[i] = id("f", i), id("r", i)
				}
				s := issuing.NewMemoryStore(func() time.Time { return testNow })
				b.ReportMetric(heapPerEntry(n, func() {
					for i := range fams {
						if err := s.StartFamily(ctx, fams[i], refs[i], until); err != nil {
							b.Fatal(err)
						}
					}
				}), "B/entry")
				runtime.KeepAlive(s)
				runtime.KeepAlive(fams)
				runtime.KeepAlive(refs)
			}
		})
		b.Run("what=cache/n="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				tokens := make([]string, n)
				for i := range tokens {
					tokens[i] = mint(testSecret, goodHeader, claimsJSON(`"n":`+strconv.Itoa(i)))
				}
				var a *jwtgate.Authenticator
				// The Authenticator is made inside, so that the cache's
				// fixed parts (its doorkeeper, its rings) count too; the
				// growth is divided by the entries cached, which a full
				// shard keeps a little under n.
				grown := heapPerEntry(1, func() {
					a = testAuth(b, func(c *jwtgate.Config) { c.CacheSize = n })
					for _, tok := range tokens {
						// Twice: the cache admits a token on its second
						// verification (one seen once is not worth an entry).
						for range 2 {
							if _, err := a.Verify(ctx, tok); err != nil {
								b.Fatal(err)
							}
						}
					}
				})
				got := jwtgate.CacheLen(a)
				if got < n*3/4 {
					b.Fatalf("%d tokens cached of %d", got, n)
				}
				b.ReportMetric(grown/float64(got), "B/entry")
				b.ReportMetric(float64(got), "entries")
				b.ReportMetric(float64(len(tokens[0])), "B/token")
				runtime.KeepAlive(tokens)
				runtime.KeepAlive(a)
			}
		})
	}
}

// heapPerEntry runs fill and returns the growth of the live heap over n.
func heapPerEntry(n int, fill func()) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fill()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}
