package ginjwt_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

var secret = []byte("an example secret of 32+ bytes!!")

func signed(sub, scope string) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtgate.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "https://id.example.com", Subject: sub, Audience: jwt.ClaimStrings{"orders-api"},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		},
		Scope: jwtgate.ScopeClaim(scope),
	}).SignedString(secret)
	return s
}

func get(h http.Handler, path, token string) {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
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
	r := gin.New()
	api := r.Group("/api", ginjwt.New(ginjwt.Config{Authenticator: auth}))
	api.GET("/orders", func(c *gin.Context) {
		claims, _ := ginjwt.Claims[*jwtgate.Claims](c)
		c.String(http.StatusOK, "orders of %s", claims.Subject)
	})

	get(r, "/api/orders", signed("alice", ""))
	get(r, "/api/orders", "")
	// Output:
	// 200  orders of alice
	// 401 Bearer realm="jwtgate" {"error":"missing_token","error_description":"No access token was sent"}
}

func ExampleRequireScopes() {
	auth, _ := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	cfg := ginjwt.Config{Authenticator: auth}
	r := gin.New()
	r.Use(ginjwt.New(cfg))
	r.POST("/orders", ginjwt.RequireScopes(cfg, "orders:write"), func(c *gin.Context) {
		c.String(http.StatusOK, "written")
	})

	post := func(token string) {
		req := httptest.NewRequest(http.MethodPost, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
	}
	post(signed("alice", "orders:read orders:write"))
	post(signed("bob", "orders:read"))
	// Output:
	// 200  written
	// 403 Bearer realm="jwtgate", error="insufficient_scope", scope="orders:write" {"error":"insufficient_scope","error_description":"The access token lacks a required scope"}
}

// With CredentialsOptional a request without a token goes through without
// claims; a request with a bad token is still refused.
func Example_credentialsOptional() {
	auth, _ := jwtgate.New(jwtgate.Config{
		Keys:                jwtgate.HMAC(secret, "HS256"),
		Issuer:              []string{"https://id.example.com"},
		Audience:            []string{"orders-api"},
		CredentialsOptional: true,
	})
	r := gin.New()
	r.GET("/hello", ginjwt.New(ginjwt.Config{Authenticator: auth}), func(c *gin.Context) {
		if t, ok := ginjwt.Token(c); ok {
			c.String(http.StatusOK, "hello %s", t.Subject)
			return
		}
		c.String(http.StatusOK, "hello stranger")
	})

	get(r, "/hello", signed("alice", ""))
	get(r, "/hello", "")
	get(r, "/hello", "not-a-token")
	// Output:
	// 200  hello alice
	// 200  hello stranger
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token is malformed" {"error":"invalid_token","error_description":"The access token is malformed"}
}

// With the engine's ContextWithFallback set, the gin.Context itself is a
// context.Context that carries the token, so it can be passed to code
// written against the core.
func ExampleToken_contextWithFallback() {
	auth, _ := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	r := gin.New()
	r.ContextWithFallback = true
	r.GET("/me", ginjwt.New(ginjwt.Config{Authenticator: auth, ContextKey: "user"}), func(c *gin.Context) {
		fromGin, _ := ginjwt.Token(c)        // works with or without fallback
		fromCtx, _ := jwtgate.FromContext(c) // c as a context.Context: needs fallback
		stored, _ := c.Get("user")           // only with Config.ContextKey
		c.String(http.StatusOK, "%s %s %v", fromGin.Subject, fromCtx.Subject, stored == fromGin)
	})

	get(r, "/me", signed("alice", ""))
	// Output:
	// 200  alice alice true
}
