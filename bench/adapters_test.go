package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	fiber3 "github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"
	"github.com/valyala/fasthttp"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
	echojwt5 "github.com/jwtgate/jwtgate/echov5"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
	fiberjwt3 "github.com/jwtgate/jwtgate/fiberv3"
	ginjwt "github.com/jwtgate/jwtgate/gin"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// alg is one algorithm's key pair and a token signed with it.
type alg struct {
	name          string
	sign, verify  any
	method        jwt.SigningMethod
	valid, forged string
	key           *jwtgate.Key
}

var algs = func() []*alg {
	secret := []byte("0123456789abcdef0123456789abcdef")
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	out := []*alg{
		{name: "HS256", sign: secret, verify: secret, method: jwt.SigningMethodHS256},
		{name: "RS256", sign: rsaKey, verify: &rsaKey.PublicKey, method: jwt.SigningMethodRS256},
		{name: "ES256", sign: ecKey, verify: &ecKey.PublicKey, method: jwt.SigningMethodES256},
		{name: "EdDSA", sign: edPriv, verify: edPub, method: jwt.SigningMethodEdDSA},
	}
	for _, a := range out {
		tok, err := jwt.NewWithClaims(a.method, jwt.RegisteredClaims{
			Issuer: "https://issuer.example", Subject: "user-1", Audience: jwt.ClaimStrings{"api://svc"},
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(24 * time.Hour)), ID: "j-1",
		}).SignedString(a.sign)
		if err != nil {
			panic(err)
		}
		a.valid = tok
		// A forged token: the payload changed, the signature kept.
		a.forged = tok[:len(tok)/2] + "A" + tok[len(tok)/2+1:]
		if a.forged == tok {
			a.forged = tok[:len(tok)/2] + "B" + tok[len(tok)/2+1:]
		}
		a.key = &jwtgate.Key{Algorithm: a.name, VerifyKey: a.verify}
	}
	return out
}()

func auth(b *testing.B, a *alg, cache bool) *jwtgate.Authenticator {
	size := -1
	if cache {
		size = 0
	}
	au, err := jwtgate.New(jwtgate.Config{Keys: a.key, Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"}, CacheSize: size})
	if err != nil {
		b.Fatal(err)
	}
	return au
}

// server builds a framework app serving GET / behind the adapter (a nil
// Authenticator: no middleware) and returns a function that serves one
// request to http://example.com/ with the given header fields and returns
// the status.
type server func(b *testing.B, au *jwtgate.Authenticator) func(header) int

// header is the fields a request carries: Authorization and, for DPoP, the
// proof. Build it before the loop (bearer allocates).
type header struct{ authz, dpop string }

func bearer(token string) header { return header{authz: "Bearer " + token} }

// connCtx is a connection's context as net/http's server makes it: the
// server's base context with the server and the local address in it, then
// a cancelable context for the connection. The server is never canceled
// while the benchmarks run.
var connCtx, _ = context.WithCancel(context.WithValue(
	context.WithValue(context.Background(), http.ServerContextKey, &http.Server{}),
	http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}))

// serveRequest serves GET http://example.com<path> through h with a
// reusable request and a writer that keeps nothing. Each request carries
// the context a real server gives it: net/http's conn.readRequest derives a
// cancelable context from the connection's for every request and cancels it
// once the handler returns, and so does this (context.WithCancel and
// r.WithContext: allocations the bare framework's benchmark pays as well,
// so that the differences the ratio report takes are the middleware's).
// Before, the request's context was context.Background(), over which a
// cache hit could carry its token for free, which no server's request does.
func serveRequest(h http.Handler, path string) func(header) int {
	r := httptest.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	w := &discard{h: http.Header{}}
	var last header
	return func(hd header) int {
		if hd != last {
			r.Header.Set("Authorization", hd.authz)
			if hd.dpop != "" {
				r.Header.Set("DPoP", hd.dpop)
			} else {
				r.Header.Del("DPoP")
			}
			last = hd
		}
		clear(w.h)
		w.code = http.StatusOK
		ctx, cancel := context.WithCancel(connCtx)
		h.ServeHTTP(w, r.WithContext(ctx))
		cancel()
		return w.code
	}
}

var frameworks = []struct {
	name  string
	build server
}{
	{"nethttp", func(b *testing.B, au *jwtgate.Authenticator) func(header) int {
		var h http.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		if au != nil {
			h = httpjwt.New(httpjwt.Config{Authenticator: au})(h)
		}
		return serveRequest(h, "/")
	}},
	{"echo", func(b *testing.B, au *jwtgate.Authenticator) func(header) int {
		e := echo.New()
		var mw []echo.MiddlewareFunc
		if au != nil {
			mw = append(mw, echojwt.New(echojwt.Config{Authenticator: au}))
		}
		e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, mw...)
		return serveRequest(e, "/")
	}},
	{"echo5", func(b *testing.B, au *jwtgate.Authenticator) func(header) int {
		e := echo5.New()
		var mw []echo5.MiddlewareFunc
		if au != nil {
			mw = append(mw, echojwt5.New(echojwt5.Config{Authenticator: au}))
		}
		e.GET("/", func(c *echo5.Context) error { return c.NoContent(http.StatusOK) }, mw...)
		return serveRequest(e, "/")
	}},
	{"gin", func(b *testing.B, au *jwtgate.Authenticator) func(header) int {
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		hs := []gin.HandlerFunc{}
		if au != nil {
			hs = append(hs, ginjwt.New(ginjwt.Config{Authenticator: au}))
		}
		r.GET("/", append(hs, func(c *gin.Context) { c.Status(http.StatusOK) })...)
		return serveRequest(r, "/")
	}},
	{"fiber", func(b *testing.B, au *jwtgate.Authenticator) func(header) int {
		app := fiber.New()
		hs := []fiber.Handler{}
		if au != nil {
			hs = append(hs, fiberjwt.New(fiberjwt.Config{Authenticator: au}))
		}
		app.Get("/", append(hs, func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })...)
		return serveFastHTTP(app.Handler())
	}},
	{"fiber3", func(b *testing.B, au *jwtgate.Authenticator) func(header) int {
		app := fiber3.New()
		ok := func(c fiber3.Ctx) error { return c.SendStatus(fiber3.StatusOK) }
		if au != nil {
			app.Get("/", fiberjwt3.New(fiberjwt3.Config{Authenticator: au}), ok)
		} else {
			app.Get("/", ok)
		}
		return serveFastHTTP(app.Handler())
	}},
}

// serveFastHTTP serves GET http://example.com/ through a fasthttp handler
// (a Fiber app's) with one reused fasthttp.RequestCtx, reset between
// requests as fasthttp's server resets it. The context Fiber hands the
// middleware (c.UserContext() in v2, c.Context() in v3) is Fiber's own
// here as under a real fasthttp server: the benchmark changes nothing in it.
func serveFastHTTP(h fasthttp.RequestHandler) func(header) int {
	var fctx fasthttp.RequestCtx
	fctx.Request.Header.SetMethod(fasthttp.MethodGet)
	fctx.Request.SetRequestURI("/")
	fctx.Request.Header.SetHost("example.com")
	var last header
	return func(hd header) int {
		fctx.ResetUserValues()
		fctx.Response.Reset()
		if hd != last {
			fctx.Request.Header.Set(fasthttp.HeaderAuthorization, hd.authz)
			if hd.dpop != "" {
				fctx.Request.Header.Set("DPoP", hd.dpop)
			} else {
				fctx.Request.Header.Del("DPoP")
			}
			last = hd
		}
		h(&fctx)
		return fctx.Response.StatusCode()
	}
}

func BenchmarkBare(b *testing.B) {
	for _, fw := range frameworks {
		b.Run("fw="+fw.name, func(b *testing.B) {
			serve, hd := fw.build(b, nil), bearer(algs[0].valid)
			b.ReportAllocs()
			for b.Loop() {
				if serve(hd) != http.StatusOK {
					b.Fatal("status")
				}
			}
		})
	}
}

func BenchmarkRaw(b *testing.B) {
	for _, a := range algs {
		p := jwt.NewParser(jwt.WithValidMethods([]string{a.name}), jwt.WithIssuer("https://issuer.example"),
			jwt.WithAudience("api://svc"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
		keyfunc := func(*jwt.Token) (any, error) { return a.verify, nil }
		b.Run("alg="+a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseWithClaims(a.valid, &jwt.RegisteredClaims{}, keyfunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAdapter(b *testing.B) {
	for _, fw := range frameworks {
		for _, a := range algs {
			for _, valid := range []bool{true, false} {
				for _, cache := range []bool{true, false} {
					tok, want, tokName, cacheName := a.valid, http.StatusOK, "valid", "off"
					if !valid {
						tok, want, tokName = a.forged, http.StatusUnauthorized, "invalid"
					}
					if cache {
						cacheName = "on"
					}
					b.Run("fw="+fw.name+"/alg="+a.name+"/token="+tokName+"/cache="+cacheName, func(b *testing.B) {
						serve, hd := fw.build(b, auth(b, a, cache)), bearer(tok)
						b.ReportAllocs()
						for b.Loop() {
							if got := serve(hd); got != want {
								b.Fatalf("status %d, want %d", got, want)
							}
						}
					})
				}
			}
		}
	}
}
