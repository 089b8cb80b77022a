// Command gofiber-jwt is a Fiber v2 service moved from gofiber's contrib jwt
// (github.com/gofiber/contrib/jwt, package jwtware) to jwtgate: the same
// routes in the same order, the same default lookup, the same
// c.Locals("user") habit and claims type, with a *jwtgate.Token where jwtware
// stored a *jwt.Token. docs/migrating/gofiber-jwt.md shows this file as it
// is, beside the program it replaces.
//
//	JWT_SECRET=$(openssl rand -base64 32) go run ./gofiber-jwt
package main

import (
	"errors"
	"log"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
)

// lookup is jwtware's default TokenLookup, whose AuthScheme "Bearer"
// extractors.Parse implies for the Authorization header.
const lookup = "header:Authorization"

// orderClaims is the claims type the service gave jwtware's Claims. It
// embeds jwtgate.Claims rather than jwt.RegisteredClaims, which keeps the
// registered claims and adds the scope claims RequireScopes reads.
type orderClaims struct {
	jwtgate.Claims
	Tenant string `json:"tenant"`
}

// options is what main reads from the environment; the tests pass a secret
// of their own and a fixed clock.
type options struct {
	secret []byte
	now    func() time.Time // nil: time.Now
}

// newApp builds the service: main serves it, the tests call it.
func newApp(o options) (*fiber.App, error) {
	extractor, err := extractors.Parse(lookup)
	if err != nil {
		return nil, err
	}
	auth, err := jwtgate.New(jwtgate.Config{
		// jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret}: the
		// algorithm is required here, and the secret must be 32 bytes or more.
		Keys:      jwtgate.HMAC(o.secret, "HS256"),
		Issuer:    []string{"https://id.example.com"},
		Audience:  []string{"orders-api"},
		Extractor: extractor,
		// jwtware's Claims: &orderClaims{}, whose type it copied by reflection.
		NewClaims: func() jwt.Claims { return &orderClaims{} },
		Now:       o.now,
	})
	if err != nil {
		return nil, err
	}

	app := fiber.New(fiber.Config{
		ReadBufferSize: 32 << 10, // large tokens arrive in large headers
		// Slow clients must not hold connections forever.
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		// Fiber's default sends err.Error(), and fasthttp's errors for a
		// request it cannot parse quote the request, tokens included.
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			status := fiber.StatusInternalServerError
			if fe := (*fiber.Error)(nil); errors.As(err, &fe) {
				status = fe.Code
			}
			return c.SendStatus(status) // the status text, never err.Error()
		},
		DisableStartupMessage: true,
	})

	// Public routes first: the middleware guards what is registered after it.
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.SendString("ok")
	})

	// The other way: a handler left as jwtware's, reading golang-jwt's
	// *jwt.Token, which StoreJWTToken stores under ContextKey.
	app.Get("/legacy/me", fiberjwt.New(fiberjwt.Config{Authenticator: auth, ContextKey: "user", StoreJWTToken: true}), func(c *fiber.Ctx) error {
		user := c.Locals("user").(*jwt.Token)
		claims := user.Claims.(*orderClaims)
		return c.JSON(fiber.Map{"sub": claims.Subject, "tenant": claims.Tenant})
	})

	app.Use(fiberjwt.New(fiberjwt.Config{
		Authenticator: auth,
		// jwtware's default key; jwtgate stores nothing in c.Locals unless
		// asked, and what it stores there is a *jwtgate.Token.
		ContextKey: "user",
	}))

	app.Get("/api/me", func(c *fiber.Ctx) error {
		// The comma-ok form matters while old code remains: an assertion to
		// *jwt.Token still compiles, and panics, now that the value is a
		// *jwtgate.Token.
		user, ok := c.Locals("user").(*jwtgate.Token)
		if !ok {
			return fiber.ErrInternalServerError
		}
		claims := user.Claims.(*orderClaims)
		return c.JSON(fiber.Map{"sub": claims.Subject, "tenant": claims.Tenant})
	})
	return app, nil
}

func main() {
	app, err := newApp(options{secret: []byte(os.Getenv("JWT_SECRET"))})
	if err != nil {
		log.Fatal(err) // every configuration problem, at once
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	log.Fatal(app.Listen(addr))
}
