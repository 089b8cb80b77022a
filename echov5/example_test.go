package echojwt_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echov5"
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
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
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
	e := echo.New()
	api := e.Group("/api", echojwt.New(echojwt.Config{Authenticator: auth}))
	api.GET("/orders", func(c *echo.Context) error {
		claims, _ := echojwt.Claims[*jwtgate.Claims](c)
		return c.String(http.StatusOK, "orders of "+claims.Subject)
	})

	get(e, "/api/orders", signed("alice", ""))
	get(e, "/api/orders", "")
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
	cfg := echojwt.Config{Authenticator: auth}
	e := echo.New()
	api := e.Group("/api", echojwt.New(cfg))
	api.GET("/orders/export", func(c *echo.Context) error { return c.String(http.StatusOK, "exported") },
		echojwt.RequireScopes(cfg, "orders:export"))

	get(e, "/api/orders/export", signed("alice", "orders:read orders:export"))
	get(e, "/api/orders/export", signed("bob", "orders:read"))
	// Output:
	// 200  exported
	// 403 Bearer realm="jwtgate", error="insufficient_scope", scope="orders:export" {"error":"insufficient_scope","error_description":"The access token lacks a required scope"}
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
	e := echo.New()
	e.Use(echojwt.New(echojwt.Config{Authenticator: auth}))
	e.GET("/greet", func(c *echo.Context) error {
		if t, ok := echojwt.Token(c); ok {
			return c.String(http.StatusOK, "hello "+t.Subject)
		}
		return c.String(http.StatusOK, "hello stranger")
	})

	get(e, "/greet", signed("alice", ""))
	get(e, "/greet", "")
	get(e, "/greet", "not-a-token")
	// Output:
	// 200  hello alice
	// 200  hello stranger
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token is malformed" {"error":"invalid_token","error_description":"The access token is malformed"}
}

// An application's own HTTPErrorHandler, in Echo v5's style: echo.StatusCode
// gives the status of a refusal, errors.Is its jwtgate kind. The challenge
// header is already set.
func Example_httpErrorHandler() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		status := echo.StatusCode(err)
		if status == 0 {
			status = http.StatusInternalServerError
		}
		problem := "error"
		if errors.Is(err, jwtgate.ErrInvalidToken) {
			problem = "bad token"
		}
		_ = c.JSON(status, map[string]string{"problem": problem})
	}
	e.GET("/orders", func(c *echo.Context) error { return c.String(http.StatusOK, "orders") },
		echojwt.New(echojwt.Config{Authenticator: auth}))

	get(e, "/orders", "not-a-token")
	// Output:
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token is malformed" {"problem":"bad token"}
}
