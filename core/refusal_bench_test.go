package jwtgate_test

import (
	"context"
	"strings"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// BenchmarkStructuralRefusal: tokens refused for their shape alone (too
// large, illegal characters, wrong number of segments) are refused before any
// base64 or JSON work.
func BenchmarkStructuralRefusal(b *testing.B) {
	a := testAuth(b, func(c *jwtgate.Config) { c.CacheSize = -1 })
	for _, tt := range []struct{ name, token string }{
		{"too-large", strings.Repeat("a", jwtgate.DefaultMaxTokenSize+1)},
		{"illegal-character", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig+nature"},
		{"two-segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0"},
		{"many-dots", strings.Repeat(".", 4096)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Verify(context.Background(), tt.token); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
