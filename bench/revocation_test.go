package bench

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// BenchmarkRevocation is the valid-token path through the adapter with the
// in-memory store as Revoker (100,000 revoked tokens in it), against the same
// path without a Revoker, in the same run; with the cache on (where the check
// is most of a request) and off.
func BenchmarkRevocation(b *testing.B) {
	store := issuing.NewMemoryStore(nil)
	for i := range 100_000 {
		_ = store.RevokeToken(context.Background(), "revoked-"+strconv.Itoa(i), time.Now().Add(time.Hour))
	}
	for _, cache := range []string{"on", "off"} {
		for _, revoker := range []string{"none", "memory"} {
			cfg := jwtgate.Config{Keys: jwtgate.HMAC(algs[0].verify.([]byte), "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"}}
			if cache == "off" {
				cfg.CacheSize = -1
			}
			if revoker == "memory" {
				cfg.Revoker = store
			}
			auth, err := jwtgate.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			// Minted after the store: a memory store counts tokens from
			// before it as revoked (lost with a restart).
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
				Issuer: "https://issuer.example", Subject: "user-1", Audience: jwt.ClaimStrings{"api://svc"}, ID: "j-1",
				IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
			}).SignedString(algs[0].sign)
			if err != nil {
				b.Fatal(err)
			}
			serve, hd := serveRequest(h, "/"), bearer(tok) // in a server's context
			b.Run("cache="+cache+"/revoker="+revoker, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if got := serve(hd); got != http.StatusOK {
						b.Fatalf("status %d", got)
					}
				}
			})
		}
	}
}
