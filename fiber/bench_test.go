package fiberjwt_test

import (
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	jwtgate "github.com/jwtgate/jwtgate/core"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
)

var benchSecret = []byte("0123456789abcdef0123456789abcdef")

// benchToken is a valid HS256 token, or, when bad, the same with its signature
// changed.
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
				if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc); (err != nil) != bad {
					b.Fatal(err)
				}
			}
		})
	}
}

// serveLoop runs the request with token through app's handler, as fasthttp's
// server does for each request (user values and response reset), without
// the network or the header parsing.
func serveLoop(b *testing.B, app *fiber.App, token string, want int) {
	h := app.Handler()
	var fctx fasthttp.RequestCtx
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI("/")
	fctx.Request.Header.Set(fiber.HeaderAuthorization, "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		fctx.ResetUserValues()
		fctx.Response.Reset()
		h(&fctx)
		if got := fctx.Response.StatusCode(); got != want {
			b.Fatalf("status %d", got)
		}
	}
}

func empty(*fiber.Ctx) error { return nil }

// BenchmarkMiddleware is the whole request path through the Fiber adapter:
// the view, extraction, checks, verification, Locals and UserContext, and the
// error answer.
func BenchmarkMiddleware(b *testing.B) {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(benchSecret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bad := range []bool{false, true} {
		app := fiber.New()
		app.Get("/", fiberjwt.New(fiberjwt.Config{Authenticator: auth}), empty)
		want := fiber.StatusOK
		if bad {
			want = fiber.StatusUnauthorized
		}
		tok := benchToken(b, bad)
		b.Run(name(bad), func(b *testing.B) { serveLoop(b, app, tok, want) })
	}
}

// BenchmarkBare is the same route and request without the middleware: what
// Fiber itself costs.
func BenchmarkBare(b *testing.B) {
	app := fiber.New()
	app.Get("/", empty)
	tok := benchToken(b, false)
	serveLoop(b, app, tok, fiber.StatusOK)
}
