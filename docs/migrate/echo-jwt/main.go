// Command echo-jwt is an Echo v4 service moved from labstack/echo-jwt v4 to
// jwtgate: the same routes, the same TokenLookup string, the same
// c.Get("user") and jwt.MapClaims habits, with a *jwtgate.Token where
// echo-jwt stored a *jwt.Token. docs/migrating/echo-jwt.md shows this file
// as it is, beside the program it replaces.
//
//	JWT_SECRET=$(openssl rand -base64 32) go run ./echo-jwt
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
	"github.com/jwtgate/jwtgate/extractors"
)

// lookup is the TokenLookup the service gave echo-jwt, unchanged. jwtgate
// reads it exclusively: a request that sends the token in the header and in
// the cookie is refused with 400, where echo-jwt tried each in turn.
const lookup = "header:Authorization:Bearer ,cookie:access_token"

// options is what main reads from the environment; the tests pass a secret
// of their own and a fixed clock.
type options struct {
	secret []byte
	now    func() time.Time // nil: time.Now
}

// newApp builds the service: main serves it, the tests call it.
func newApp(o options) (*echo.Echo, error) {
	extractor, err := extractors.Parse(lookup)
	if err != nil {
		return nil, err
	}
	auth, err := jwtgate.New(jwtgate.Config{
		// echo-jwt's SigningKey and SigningMethod, bound together: a token
		// signed with any other algorithm is refused before its signature
		// is checked. The secret must be 32 bytes or more.
		Keys: jwtgate.HMAC(o.secret, "HS256"),
		// echo-jwt checked neither; jwtgate requires both, so that a token
		// minted for another service by the same issuer is refused here.
		Issuer:    []string{"https://id.example.com"},
		Audience:  []string{"orders-api"},
		Extractor: extractor,
		// echo-jwt's default claims: every claim in a map, numbers as float64.
		NewClaims: func() jwt.Claims { return jwt.MapClaims{} },
		Now:       o.now,
	})
	if err != nil {
		return nil, err
	}
	cfg := echojwt.Config{
		Authenticator: auth,
		// echo-jwt's default key; jwtgate stores nothing in c.Set unless
		// asked, and what it stores there is a *jwtgate.Token.
		ContextKey: "user",
	}
	protect, err := cfg.ToMiddleware()
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner = true
	e.GET("/healthz", func(c echo.Context) error {
		return c.String(http.StatusOK, "ok")
	})
	api := e.Group("/api", protect)
	api.GET("/me", me)
	// The other way: handlers left as echo-jwt's, reading golang-jwt's
	// *jwt.Token, which StoreJWTToken stores under ContextKey.
	legacy, err := echojwt.Config{Authenticator: auth, ContextKey: "user", StoreJWTToken: true}.ToMiddleware()
	if err != nil {
		return nil, err
	}
	e.GET("/legacy/me", legacyMe, legacy)
	// What echo-jwt left to each handler, a scope check, is a middleware:
	// 403 insufficient_scope, with the scope named in the challenge.
	api.DELETE("/orders/:id", func(c echo.Context) error {
		return c.NoContent(http.StatusNoContent)
	}, echojwt.RequireScopes(cfg, "orders:write"))
	return e, nil
}

// me answers with the caller's subject and tenant, read as the echo-jwt
// handlers read them.
func me(c echo.Context) error {
	// The comma-ok form matters while old code remains: an assertion to
	// *jwt.Token still compiles, and panics, now that the value is a
	// *jwtgate.Token.
	token, ok := c.Get("user").(*jwtgate.Token)
	if !ok {
		return echo.NewHTTPError(http.StatusInternalServerError)
	}
	claims := token.Claims.(jwt.MapClaims)
	return c.JSON(http.StatusOK, map[string]any{"sub": token.Subject, "tenant": claims["tenant"]})
}

// legacyMe is an echo-jwt handler, unchanged.
func legacyMe(c echo.Context) error {
	token := c.Get("user").(*jwt.Token)
	claims := token.Claims.(jwt.MapClaims)
	return c.JSON(http.StatusOK, map[string]any{"sub": claims["sub"], "tenant": claims["tenant"]})
}

func main() {
	e, err := newApp(options{secret: []byte(os.Getenv("JWT_SECRET"))})
	if err != nil {
		log.Fatal(err) // every configuration problem, at once
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{
		Addr: addr, Handler: e,
		// Slow clients must not hold connections forever.
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
