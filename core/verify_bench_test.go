package jwtgate_test

import (
	"context"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// BenchmarkVerify is the core alone, without a framework: an HS256 token
// verified without the cache, and served from it (a hit), each carried in
// a context as a server's request has (cancelable), as the adapters do.
// bench/ has the same through every adapter, beside golang-jwt.
func BenchmarkVerify(b *testing.B) {
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	server, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, bc := range []struct {
		name string
		size int
	}{{"cache=off", -1}, {"cache=hit", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			a := testAuth(b, func(c *jwtgate.Config) { c.CacheSize = bc.size })
			for range 2 { // verified twice: the second is cached
				if _, err := a.Verify(server, tok); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				t, _ := a.Verify(server, tok)
				_ = jwtgate.NewContext(server, t)
			}
		})
	}
}
