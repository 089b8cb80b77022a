package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// everNew is a replay store that takes every proof as new, so that one
// proof can be sent b.N times: BenchmarkDPoP measures the proof's
// verification, BenchmarkReplayStore the store.
type everNew struct{}

func (everNew) Remember(context.Context, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

// BenchmarkDPoP is one request through httpjwt with a DPoP-bound HS256
// token and an ES256 proof (its signature verified every time, whatever the
// cache), next to the same request with a Bearer token, in the same run;
// the cache on and off.
func BenchmarkDPoP(b *testing.B) {
	now := time.Now()
	key := jwtgatetest.NewDPoPKey("ES256")
	secret := []byte("0123456789abcdef0123456789abcdef")
	claims := jwt.MapClaims{
		"iss": "https://issuer.example", "sub": "user-1", "aud": "api://svc", "jti": "j-1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	bearer, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		b.Fatal(err)
	}
	claims["cnf"] = map[string]string{"jkt": key.JKT()}
	bound, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		b.Fatal(err)
	}
	const url = "http://example.com/api/me"
	for _, cache := range []string{"on", "off"} {
		for _, scheme := range []string{"Bearer", "DPoP"} {
			cfg := jwtgate.Config{
				Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
				Now:  func() time.Time { return now },
				DPoP: &jwtgate.DPoP{Replay: everNew{}},
			}
			if cache == "off" {
				cfg.CacheSize = -1
			}
			a, err := jwtgate.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			h := httpjwt.New(httpjwt.Config{Authenticator: a})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, url, nil)
			if scheme == "Bearer" {
				r.Header.Set("Authorization", "Bearer "+bearer)
			} else {
				r.Header.Set("Authorization", "DPoP "+bound)
				r.Header.Set("DPoP", key.Proof(http.MethodGet, url, now, bound, jwtgatetest.ProofOptions{}))
			}
			b.Run("cache="+cache+"/scheme="+scheme, func(b *testing.B) {
				b.ReportAllocs()
				w := &discard{h: http.Header{}}
				for b.Loop() {
					w.code = 0
					h.ServeHTTP(w, r)
					if w.code != 0 {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}
	}
}

// BenchmarkReplayStore is the in-memory replay store's Remember, for ids
// never seen (every proof's case) with 100,000 entries in the window.
func BenchmarkReplayStore(b *testing.B) {
	now := time.Now()
	s := jwtgate.NewMemoryReplayStore(func() time.Time { return now })
	ctx := context.Background()
	for i := range 100_000 {
		_, _ = s.Remember(ctx, "seed-"+strconv.Itoa(i), now, now.Add(time.Minute))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if fresh, err := s.Remember(ctx, "jkt-0123456789abcdef0123456789abcdef0123456.jti-"+strconv.Itoa(i), now, now.Add(time.Minute)); err != nil || !fresh {
			b.Fatal("not new")
		}
	}
}
