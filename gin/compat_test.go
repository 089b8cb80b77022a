package ginjwt_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"

	ginjwt "github.com/jwtgate/jwtgate/gin"
)

// TestMigratedHandlers: a handler written against golang-jwt, reading
// c.MustGet(key).(*jwt.Token), works unchanged with StoreJWTToken, which
// needs a ContextKey.
func TestMigratedHandlers(t *testing.T) {
	t.Parallel()
	e := gin.New()
	e.GET("/me", ginjwt.New(ginjwt.Config{Authenticator: newAuth(t, nil), ContextKey: "JWT_TOKEN", StoreJWTToken: true}), func(c *gin.Context) {
		tok := c.MustGet("JWT_TOKEN").(*jwt.Token)
		sub, err := tok.Claims.GetSubject()
		if err != nil || !tok.Valid || tok.Method.Alg() != "HS256" {
			c.String(http.StatusInternalServerError, "not a golang-jwt token")
			return
		}
		c.String(http.StatusOK, sub)
	})
	w := serve(e, request(http.MethodGet, "/me", token(t, "read")))
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "alice", w.Body.String())
	assert.PanicsWithValue(t, "ginjwt: New: StoreJWTToken needs a ContextKey to store the token under", func() {
		ginjwt.New(ginjwt.Config{Authenticator: newAuth(t, nil), StoreJWTToken: true})
	})
}
