package httpjwt_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
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

func get(h http.Handler, token string) {
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
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
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtgate.ClaimsFromContext[*jwtgate.Claims](r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /orders", httpjwt.New(httpjwt.Config{Authenticator: auth})(orders))

	get(mux, signed("alice", ""))
	get(mux, "")
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
	cfg := httpjwt.Config{Authenticator: auth}
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "written") })
	h := httpjwt.New(cfg)(httpjwt.RequireScopes(cfg, "orders:write")(write))

	get(h, signed("alice", "orders:read orders:write"))
	get(h, signed("bob", "orders:read"))
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
	greet := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t, ok := jwtgate.FromContext(r.Context()); ok {
			fmt.Fprintf(w, "hello %s", t.Subject)
			return
		}
		fmt.Fprint(w, "hello stranger")
	})
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(greet)

	get(h, signed("alice", ""))
	get(h, "")
	get(h, "not-a-token")
	// Output:
	// 200  hello alice
	// 200  hello stranger
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token is malformed" {"error":"invalid_token","error_description":"The access token is malformed"}
}
