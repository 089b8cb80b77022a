package fiberjwt_test

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

var secret = []byte("an example secret of 32+ bytes!!")

func exampleToken(sub, scope string) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtgate.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "https://id.example.com", Subject: sub, Audience: jwt.ClaimStrings{"orders-api"},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		},
		Scope: jwtgate.ScopeClaim(scope),
	}).SignedString(secret)
	return s
}

func get(app *fiber.App, token string) {
	r := httptest.NewRequest(fiber.MethodGet, "/orders", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := app.Test(r, fiber.TestConfig{})
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, res.Header.Get("WWW-Authenticate"), string(body))
}

func ExampleNew() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	app := fiber.New(fiber.Config{ReadBufferSize: 32 << 10}) // room for large tokens
	app.Use(fiberjwt.New(fiberjwt.Config{Authenticator: auth}))
	app.Get("/orders", func(c fiber.Ctx) error {
		claims, _ := fiberjwt.Claims[*jwtgate.Claims](c)
		return c.SendString("orders of " + claims.Subject)
	})

	get(app, exampleToken("alice", ""))
	get(app, "")
	// Output:
	// 200  orders of alice
	// 401 Bearer realm="jwtgate" {"error":"missing_token","error_description":"No access token was sent"}
}

func ExampleRequireScopes() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	cfg := fiberjwt.Config{Authenticator: auth}
	app := fiber.New()
	app.Get("/orders", fiberjwt.New(cfg), fiberjwt.RequireScopes(cfg, "orders:write"), func(c fiber.Ctx) error {
		return c.SendString("written")
	})

	get(app, exampleToken("alice", "orders:read orders:write"))
	get(app, exampleToken("bob", "orders:read"))
	// Output:
	// 200  written
	// 403 Bearer realm="jwtgate", error="insufficient_scope", scope="orders:write" {"error":"insufficient_scope","error_description":"The access token lacks a required scope"}
}

// With CredentialsOptional a request without a token goes through without
// claims; a request with a bad token is still refused.
func Example_credentialsOptional() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:                jwtgate.HMAC(secret, "HS256"),
		Issuer:              []string{"https://id.example.com"},
		Audience:            []string{"orders-api"},
		CredentialsOptional: true,
	})
	if err != nil {
		panic(err)
	}
	app := fiber.New()
	app.Use(fiberjwt.New(fiberjwt.Config{Authenticator: auth}))
	app.Get("/orders", func(c fiber.Ctx) error {
		if t, ok := fiberjwt.Token(c); ok {
			return c.SendString("hello " + t.Subject)
		}
		return c.SendString("hello stranger")
	})

	get(app, exampleToken("alice", ""))
	get(app, "")
	get(app, "not-a-token")
	// Output:
	// 200  hello alice
	// 200  hello stranger
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token is malformed" {"error":"invalid_token","error_description":"The access token is malformed"}
}

// An app ErrorHandler that answers with the status alone: Fiber's default
// sends err.Error(), and fasthttp's errors for a request it cannot parse
// quote the request, a token included. A refusal New answers itself; a
// fiber.Error another handler returns reaches this one.
func Example_appErrorHandler() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	app := fiber.New(fiber.Config{
		ReadBufferSize: 32 << 10,
		ErrorHandler: func(c fiber.Ctx, err error) error {
			status := fiber.StatusInternalServerError
			if fe := (*fiber.Error)(nil); errors.As(err, &fe) {
				status = fe.Code
			}
			return c.SendStatus(status) // the status text, never err.Error()
		},
	})
	app.Get("/orders", fiberjwt.New(fiberjwt.Config{Authenticator: auth}), func(c fiber.Ctx) error {
		return fiber.NewError(fiber.StatusConflict, "a message that stays in the logs")
	})

	get(app, exampleToken("alice", ""))
	get(app, "not-a-token")
	// Output:
	// 409  Conflict
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token is malformed" {"error":"invalid_token","error_description":"The access token is malformed"}
}
