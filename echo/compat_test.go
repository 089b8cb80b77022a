package echojwt_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	echojwt "github.com/jwtgate/jwtgate/echo"
)

// TestMigratedHandlers: a handler written for echo-jwt, reading
// c.Get("user").(*jwt.Token) and its claims, works unchanged with
// StoreJWTToken; an ErrorHandler testing echo-jwt's sentinels finds them.
func TestMigratedHandlers(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.GET("/me", func(c echo.Context) error {
		tok := c.Get("user").(*jwt.Token) // as echo-jwt's handlers read it
		sub, err := tok.Claims.GetSubject()
		if err != nil || !tok.Valid || tok.Method.Alg() != "HS256" || tok.Header["alg"] != "HS256" {
			return c.String(http.StatusInternalServerError, "not a golang-jwt token")
		}
		return c.String(http.StatusOK, sub)
	}, echojwt.New(echojwt.Config{Authenticator: newAuth(t, nil), ContextKey: "user", StoreJWTToken: true}))
	var seen []string
	e.GET("/sentinels", whoami, echojwt.New(echojwt.Config{Authenticator: newAuth(t, nil),
		ErrorHandler: func(c echo.Context, err error) error {
			switch {
			case errors.Is(err, echojwt.ErrJWTMissing):
				seen = append(seen, "missing")
			case errors.Is(err, echojwt.ErrJWTInvalid):
				seen = append(seen, "invalid")
			}
			return nil
		}}))

	w := serve(e, http.MethodGet, "/me", token(t, "read"))
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "alice", w.Body.String())
	serve(e, http.MethodGet, "/sentinels", "")
	serve(e, http.MethodGet, "/sentinels", "a.b.c")
	assert.Equal(t, []string{"missing", "invalid"}, seen)

	_, err := echojwt.Config{Authenticator: newAuth(t, nil), StoreJWTToken: true}.ToMiddleware()
	require.ErrorContains(t, err, "needs a ContextKey")
}
