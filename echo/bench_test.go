package echojwt_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
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

// BenchmarkBareEcho is the same route and request through Echo without the
// middleware: the framework's own cost.
func BenchmarkBareEcho(b *testing.B) {
	e := echo.New()
	e.GET("/", func(echo.Context) error { return nil })
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+benchToken(b, false))
	b.ReportAllocs()
	w := &discardWriter{h: http.Header{}}
	for b.Loop() {
		w.code = 0
		e.ServeHTTP(w, r)
		if w.code != 0 {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkMiddleware is the whole request path through Echo with the
// adapter: extraction, checks, verification, context, and for the invalid
// token the *echo.HTTPError rendered by echo's default HTTPErrorHandler.
func BenchmarkMiddleware(b *testing.B) {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(benchSecret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
	})
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	e.GET("/", func(echo.Context) error { return nil }, echojwt.New(echojwt.Config{Authenticator: auth}))
	for _, bad := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+benchToken(b, bad))
		want := 0
		if bad {
			want = http.StatusUnauthorized
		}
		b.Run(name(bad), func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				w.code = 0
				e.ServeHTTP(w, r)
				if w.code != want {
					b.Fatalf("status %d", w.code)
				}
			}
		})
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
