package bench

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	ginjwtpeer "github.com/appleboy/gin-jwt/v2"
	auth0 "github.com/auth0/go-jwt-middleware/v2"
	auth0validator "github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/jwtauth/v5"
	"github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	echojwtpeer "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/valyala/fasthttp"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
	ginjwt "github.com/jwtgate/jwtgate/gin"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

const (
	issuer   = "https://issuer.example"
	audience = "api://svc"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")

	// validToken is one HS256 token with iss, aud, exp, iat, jti and sub;
	// invalidToken is the same token with its payload changed and the
	// signature kept, so that every middleware must reach the signature check.
	validToken, invalidToken = func() (string, string) {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			Issuer: issuer, Subject: "user-1", Audience: jwt.ClaimStrings{audience},
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(24 * time.Hour)), ID: "j-1",
		}).SignedString(secret)
		if err != nil {
			panic(err)
		}
		forged := tok[:len(tok)/2] + "A" + tok[len(tok)/2+1:]
		if forged == tok {
			forged = tok[:len(tok)/2] + "B" + tok[len(tok)/2+1:]
		}
		return tok, forged
	}()
)

// strictClaims gives golang-jwt based peers that take no parser options
// (echo-jwt's default parse, fiber's contrib jwt) jwtgate's claim checks:
// golang-jwt v5 calls Validate after its own exp/nbf/iat checks.
type strictClaims struct {
	jwt.RegisteredClaims
}

func (c *strictClaims) Validate() error {
	if c.ExpiresAt == nil {
		return errors.New("exp is required")
	}
	if c.Issuer != issuer {
		return errors.New("issuer")
	}
	if !slices.Contains(c.Audience, audience) {
		return errors.New("audience")
	}
	return nil
}

// auth0Exp makes auth0's validator require exp: go-jose checks exp only when
// it is present. It is auth0's custom-claims hook, decoded a second time.
type auth0Exp struct {
	Exp *float64 `json:"exp"`
}

func (c *auth0Exp) Validate(context.Context) error {
	if c.Exp == nil {
		return errors.New("exp is required")
	}
	return nil
}

func gate(b *testing.B, cached bool) *jwtgate.Authenticator {
	size := -1
	if cached {
		size = 0 // the default cache
	}
	au, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{issuer}, Audience: []string{audience}, CacheSize: size})
	if err != nil {
		b.Fatal(err)
	}
	return au
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// A middleware under test: build returns a function that serves GET / with a
// token and returns the status.
type peer struct {
	name  string
	build func(b *testing.B) func(token string) int
}

func jwtgatePeers(suffix string, cached bool) []peer {
	return []peer{
		{"jwtgate-nethttp" + suffix, func(b *testing.B) func(string) int {
			return serveHTTP(httpjwt.New(httpjwt.Config{Authenticator: gate(b, cached)})(http.HandlerFunc(ok)))
		}},
		{"jwtgate-echo" + suffix, func(b *testing.B) func(string) int {
			e := echo.New()
			e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, echojwt.New(echojwt.Config{Authenticator: gate(b, cached)}))
			return serveHTTP(e)
		}},
		{"jwtgate-gin" + suffix, func(b *testing.B) func(string) int {
			gin.SetMode(gin.ReleaseMode)
			r := gin.New()
			r.GET("/", ginjwt.New(ginjwt.Config{Authenticator: gate(b, cached)}), func(c *gin.Context) { c.Status(http.StatusOK) })
			return serveHTTP(r)
		}},
		{"jwtgate-fiber" + suffix, func(b *testing.B) func(string) int {
			app := fiber.New()
			app.Get("/", fiberjwt.New(fiberjwt.Config{Authenticator: gate(b, cached)}), func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
			return serveFiber(app)
		}},
	}
}

var peers = append(append(jwtgatePeers("", false), jwtgatePeers("-cached", true)...),
	peer{"echo-jwt", func(b *testing.B) func(string) int {
		e := echo.New()
		mw := echojwtpeer.WithConfig(echojwtpeer.Config{
			SigningKey:    secret,
			SigningMethod: "HS256",
			NewClaimsFunc: func(echo.Context) jwt.Claims { return &strictClaims{} },
		})
		e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, mw)
		return serveHTTP(e)
	}},
	peer{"gin-jwt", func(b *testing.B) func(string) int {
		gin.SetMode(gin.ReleaseMode)
		mw, err := ginjwtpeer.New(&ginjwtpeer.GinJWTMiddleware{
			Realm:            "bench",
			Key:              secret,
			SigningAlgorithm: "HS256",
			Timeout:          time.Hour,
			IdentityKey:      "sub",
			TokenLookup:      "header: Authorization",
			TokenHeadName:    "Bearer",
			// gin-jwt's parser (golang-jwt v4) has no issuer or audience
			// option; its Authorizator hook is the only place to check them,
			// and a refusal there is a 403, not a 401.
			Authorizator: func(_ any, c *gin.Context) bool {
				claims := ginjwtpeer.ExtractClaims(c)
				if claims["iss"] != issuer {
					return false
				}
				switch aud := claims["aud"].(type) {
				case string:
					return aud == audience
				case []any:
					return slices.Contains(aud, any(audience))
				}
				return false
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		r := gin.New()
		r.GET("/", mw.MiddlewareFunc(), func(c *gin.Context) { c.Status(http.StatusOK) })
		return serveHTTP(r)
	}},
	peer{"fiber-jwt", func(b *testing.B) func(string) int {
		app := fiber.New()
		app.Get("/", jwtware.New(jwtware.Config{
			SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret},
			Claims:     &strictClaims{},
		}), func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
		return serveFiber(app)
	}},
	peer{"auth0", func(b *testing.B) func(string) int {
		v, err := auth0validator.New(func(context.Context) (any, error) { return secret, nil },
			auth0validator.HS256, issuer, []string{audience},
			auth0validator.WithCustomClaims(func() auth0validator.CustomClaims { return &auth0Exp{} }))
		if err != nil {
			b.Fatal(err)
		}
		return serveHTTP(auth0.New(v.ValidateToken).CheckJWT(http.HandlerFunc(ok)))
	}},
	peer{"jwtauth", func(b *testing.B) func(string) int {
		ja := jwtauth.New("HS256", secret, nil, jwxjwt.WithIssuer(issuer), jwxjwt.WithAudience(audience),
			jwxjwt.WithRequiredClaim("exp"))
		return serveHTTP(jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(http.HandlerFunc(ok))))
	}},
)

func BenchmarkPeers(b *testing.B) {
	for _, p := range peers {
		for _, valid := range []bool{true, false} {
			tok, want, name := validToken, http.StatusOK, "valid"
			if !valid {
				tok, want, name = invalidToken, http.StatusUnauthorized, "invalid"
			}
			b.Run("mw="+p.name+"/token="+name, func(b *testing.B) {
				serve := p.build(b)
				if got := serve(tok); got != want {
					b.Fatalf("status %d, want %d", got, want)
				}
				b.ReportAllocs()
				for b.Loop() {
					if serve(tok) != want {
						b.Fatal("status")
					}
				}
			})
		}
	}
	// The baseline: golang-jwt alone, with the same checks and no HTTP.
	b.Run("mw=golang-jwt-raw", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(issuer),
			jwt.WithAudience(audience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
		keyfunc := func(*jwt.Token) (any, error) { return secret, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims(validToken, &jwt.RegisteredClaims{}, keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// serveHTTP serves through h with a reusable request and a writer that keeps
// nothing, as the main module's benchmarks do; each request carries a
// server's context (see serveRequest).
func serveHTTP(h http.Handler) func(string) int {
	serve := serveRequest(h, "/")
	last, hd := "", header{}
	return func(token string) int {
		if token != last {
			hd, last = bearer(token), token
		}
		return serve(hd)
	}
}

// serveFiber serves through app.Handler() with one reused fasthttp.RequestCtx.
func serveFiber(app *fiber.App) func(string) int {
	h := app.Handler()
	var fctx fasthttp.RequestCtx
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI("/")
	last := ""
	return func(token string) int {
		fctx.ResetUserValues()
		fctx.Response.Reset()
		if token != last {
			fctx.Request.Header.Set(fiber.HeaderAuthorization, "Bearer "+token)
			last = token
		}
		h(&fctx)
		return fctx.Response.StatusCode()
	}
}

type discard struct {
	h    http.Header
	code int
}

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }
func (w *discard) WriteHeader(code int)        { w.code = code }
