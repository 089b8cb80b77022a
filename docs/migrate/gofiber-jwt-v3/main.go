// Command gofiber-jwt-v3 is a Fiber v3 service moved from the Fiber v3 line
// of gofiber's contrib jwt (github.com/gofiber/contrib/v3/jwt, package
// jwtware) to jwtgate: jwtware.FromContext(c) becomes fiberjwt.Token(c), its
// ParserOptions become jwtgate.Config fields, and code below the handlers
// still gets the token from the request's context.Context.
// docs/migrating/gofiber-jwt.md shows this file as it is, beside the program
// it replaces.
//
//	JWT_SECRET=$(openssl rand -base64 32) go run ./gofiber-jwt-v3
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/gofiber/fiber/v3"

	jwtgate "github.com/jwtgate/jwtgate/core"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

// options is what main reads from the environment; the tests pass a secret
// of their own and a fixed clock.
type options struct {
	secret []byte
	now    func() time.Time // nil: time.Now
}

// newApp builds the service: main serves it, the tests call it.
func newApp(o options) (*fiber.App, error) {
	auth, err := jwtgate.New(jwtgate.Config{
		// jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret}: the
		// algorithm is required here, and the secret must be 32 bytes or more.
		Keys: jwtgate.HMAC(o.secret, "HS256"),
		// jwtware's ParserOptions: jwt.WithIssuer, jwt.WithAudience and
		// jwt.WithLeeway, required here but for the leeway (default 60 s).
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
		Leeway:   30 * time.Second,
		// jwtware's Realm, in every challenge.
		Realm: "orders-api",
		// No Extractor: the default is jwtware's own default,
		// extractors.FromAuthHeader("Bearer"), read by RFC 6750's rules.
		Now: o.now,
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
		ErrorHandler: func(c fiber.Ctx, err error) error {
			status := fiber.StatusInternalServerError
			if fe := (*fiber.Error)(nil); errors.As(err, &fe) {
				status = fe.Code
			}
			return c.SendStatus(status) // the status text, never err.Error()
		},
	})

	// Public routes first: the middleware guards what is registered after it.
	app.Get("/healthz", func(c fiber.Ctx) error {
		return c.SendString("ok")
	})

	app.Use(fiberjwt.New(fiberjwt.Config{Authenticator: auth}))

	app.Get("/api/orders", func(c fiber.Ctx) error {
		// jwtware.FromContext(c) returned a *jwt.Token or nil.
		t, ok := fiberjwt.Token(c)
		if !ok {
			return fiber.ErrInternalServerError
		}
		// c.Context(), not c: a fiber.Ctx is a context.Context whose Value
		// reads c.Locals, where jwtgate's key is not.
		return c.JSON(fiber.Map{"sub": t.Subject, "orders": ordersOf(c.Context())})
	})
	return app, nil
}

// ordersOf stands for the service's code below the handlers, which takes a
// context.Context and knows nothing of Fiber.
func ordersOf(ctx context.Context) []string {
	claims, ok := jwtgate.ClaimsFromContext[*jwtgate.Claims](ctx)
	if !ok {
		return nil
	}
	return []string{claims.Subject + "/1", claims.Subject + "/2"}
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
	log.Fatal(app.Listen(addr, fiber.ListenConfig{DisableStartupMessage: true}))
}
