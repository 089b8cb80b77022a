package fiberjwt_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"

	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

// TestMigratedHandlers: a handler written for gofiber's contrib jwt,
// reading c.Locals("user").(*jwt.Token), works unchanged with
// StoreJWTToken; an ErrorHandler testing its sentinels finds them.
func TestMigratedHandlers(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Get("/me", fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, nil), ContextKey: "user", StoreJWTToken: true}), func(c fiber.Ctx) error {
		tok := fiber.Locals[*jwt.Token](c, "user") // as contrib jwt's handlers read it
		sub, err := tok.Claims.GetSubject()
		if err != nil || !tok.Valid || tok.Method.Alg() != "HS256" {
			return c.Status(http.StatusInternalServerError).SendString("not a golang-jwt token")
		}
		return c.SendString(sub)
	})
	app.Get("/sentinels", fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, nil),
		ErrorHandler: func(c fiber.Ctx, err error) error {
			switch {
			case errors.Is(err, fiberjwt.ErrJWTMissing):
				return c.Status(http.StatusBadRequest).SendString("missing")
			case errors.Is(err, fiberjwt.ErrJWTInvalid):
				return c.Status(http.StatusUnauthorized).SendString("invalid")
			}
			return err
		}}), whoami)
	check(t, app, request{target: "/me", headers: bearer(signed(t, "alice", "read", time.Hour)), status: 200, answer: "alice"})
	check(t, app, request{target: "/sentinels", status: 400, answer: "missing"})
	check(t, app, request{target: "/sentinels", headers: bearer("a.b.c"), status: 401, answer: "invalid"})
	assert.PanicsWithValue(t, "fiberjwt: New: StoreJWTToken needs a ContextKey to store the token under", func() {
		fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, nil), StoreJWTToken: true})
	})
}
