package ginjwt_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

var benchSecret = []byte("0123456789abcdef0123456789abcdef")

func benchToken(b *testing.B, bad bool) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer: "https://issuer.example", Subject: "user-1", Audience: jwt.ClaimStrings{"api://svc"},
		IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)), ID: "j-1",
	}).SignedString(benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	if bad {
		tok = tok[:len(tok)-2] + "xx"
	}
	return tok
}

func name(bad bool) string {
	if bad {
		return "invalid"
	}
	return "valid"
}

// BenchmarkRawParse is the baseline: golang-jwt alone, as a hand-written
// middleware would call it, with the same checks configured.
func BenchmarkRawParse(b *testing.B) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("https://issuer.example"),
		jwt.WithAudience("api://svc"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
	keyfunc := func(*jwt.Token) (any, error) { return benchSecret, nil }
	for _, bad := range []bool{false, true} {
		tok := benchToken(b, bad)
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

// BenchmarkBareGin is the same request through the same engine and route,
// without the middleware: what Gin itself costs.
func BenchmarkBareGin(b *testing.B) {
	e := gin.New()
	e.GET("/", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+benchToken(b, false))
	run(b, e, r, http.StatusNoContent)
}

// BenchmarkMiddleware is the whole request path through Gin and the adapter:
// routing, extraction, checks, verification, context, and the error answer.
func BenchmarkMiddleware(b *testing.B) {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(benchSecret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
	})
	if err != nil {
		b.Fatal(err)
	}
	e := gin.New()
	e.GET("/", ginjwt.New(ginjwt.Config{Authenticator: auth}), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	for _, bad := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+benchToken(b, bad))
		want := http.StatusNoContent
		if bad {
			want = http.StatusUnauthorized
		}
		b.Run(name(bad), func(b *testing.B) { run(b, e, r, want) })
	}
}

func run(b *testing.B, h http.Handler, r *http.Request, want int) {
	b.ReportAllocs()
	w := &discardWriter{h: http.Header{}}
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, r)
		if w.code != want {
			b.Fatalf("status %d, want %d", w.code, want)
		}
	}
}

// discardWriter keeps httptest.ResponseRecorder's own cost out of the figures.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
