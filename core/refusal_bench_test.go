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

// BenchmarkRefusal: refusing a token costs no more than accepting one. The
// valid token is the baseline, in the same run; bad-signature changes the
// payload and keeps the signature; expired is well signed; garbage is three
// base64url segments that decode to nothing JSON.
func BenchmarkRefusal(b *testing.B) {
	a := testAuth(b, func(c *jwtgate.Config) { c.CacheSize = -1 })
	valid := mint(testSecret, goodHeader, claimsJSON(""))
	dot := strings.LastIndexByte(valid, '.')
	forged := mint(testSecret, goodHeader, claimsJSON(`"admin":true`))
	forged = forged[:strings.LastIndexByte(forged, '.')] + valid[dot:]
	for _, tt := range []struct {
		name, token string
		ok          bool
	}{
		{"valid", valid, true},
		{"bad-signature", forged, false},
		{"expired", mint(testSecret, goodHeader, `{"iss":"https://issuer.example","aud":"api://svc","exp":1700000000,"jti":"j"}`), false},
		{"garbage", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGpzb24." + valid[dot+1:], false},
	} {
		b.Run("token="+tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Verify(context.Background(), tt.token); (err == nil) != tt.ok {
					b.Fatal(err)
				}
			}
		})
	}
}
