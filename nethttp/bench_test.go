package httpjwt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

var benchSecret = []byte("0123456789abcdef0123456789abcdef")

func benchToken(b *testing.B) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer: "https://issuer.example", Subject: "user-1", Audience: jwt.ClaimStrings{"api://svc"},
		IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)), ID: "j-1",
	}).SignedString(benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// BenchmarkRawParse is the baseline: golang-jwt alone, as a hand-written
// middleware would call it, with the same checks configured.
func BenchmarkRawParse(b *testing.B) {
	for _, bad := range []bool{false, true} {
		tok := benchToken(b)
		if bad {
			tok = tok[:len(tok)-2] + "xx"
		}
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("https://issuer.example"),
			jwt.WithAudience("api://svc"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
		keyfunc := func(*jwt.Token) (any, error) { return benchSecret, nil }
		b.Run(name(bad), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc)
				if (err != nil) != bad {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMiddleware is the whole request path through the net/http adapter:
// extraction, checks, verification, context, and the error answer.
func BenchmarkMiddleware(b *testing.B) {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(benchSecret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
		CacheSize: -1, // every request verified: the uncached path (BenchmarkAlgorithms measures the cache)
	})
	if err != nil {
		b.Fatal(err)
	}
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, bad := range []bool{false, true} {
		tok := benchToken(b)
		if bad {
			tok = tok[:len(tok)-2] + "xx"
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		want := http.StatusOK
		if bad {
			want = http.StatusUnauthorized
		}
		b.Run(name(bad), func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, r)
				if w.code != 0 && w.code != want || w.code == 0 && want != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

func name(bad bool) string {
	if bad {
		return "invalid"
	}
	return "valid"
}

// discardWriter keeps httptest.ResponseRecorder's own cost out of the figures.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

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
			cfg := jwtgate.Config{Keys: jwtgate.HMAC(benchSecret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"}}
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
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+benchToken(b))
			b.Run("cache="+cache+"/revoker="+revoker, func(b *testing.B) {
				b.ReportAllocs()
				w := &discardWriter{h: http.Header{}}
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
