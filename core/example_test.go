package jwtgate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
)

var exampleSecret = []byte("an example secret of 32+ bytes!!")

func exampleToken(scope string) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtgate.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "https://id.example.com",
			Subject:   "alice",
			Audience:  jwt.ClaimStrings{"orders-api"},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		},
		Scope: jwtgate.ScopeClaim(scope),
	}).SignedString(exampleSecret)
	if err != nil {
		panic(err)
	}
	return tok
}

// New refuses a configuration with every problem named at once.
func ExampleNew() {
	_, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte("short"), "HS256"),
		Audience: []string{"orders-api"},
	})
	fmt.Println(err)

	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(exampleSecret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	fmt.Println(auth != nil, err)
	// Output:
	// jwtgate: key: VerifyKey: HS256 secret is 5 bytes, needs at least 32 (RFC 7518 §3.2)
	// jwtgate: Issuer is empty: name the accepted issuers, or set SkipIssuerCheck
	// true <nil>
}

func ExampleAuthenticator_Authenticate() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(exampleSecret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+exampleToken("orders:read"))
	tok, err := auth.Authenticate(r.Context(), extractors.FromHTTP(r))
	fmt.Println(tok.Subject, tok.Scopes(), err)

	r.Header.Set("Authorization", "Bearer "+exampleToken("")+"x")
	_, err = auth.Authenticate(r.Context(), extractors.FromHTTP(r))
	resp := auth.Response(err)
	fmt.Println(resp.Status, resp.WWWAuthenticate)
	// Output:
	// alice [orders:read] <nil>
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="The access token signature is invalid"
}

// MyClaims adds an application claim to the default claims.
type MyClaims struct {
	jwtgate.Claims
	Tenant string `json:"tenant"`
}

func ExampleClaimsFromContext() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:      jwtgate.HMAC(exampleSecret, "HS256"),
		Issuer:    []string{"https://id.example.com"},
		Audience:  []string{"orders-api"},
		NewClaims: func() jwt.Claims { return &MyClaims{} },
	})
	if err != nil {
		panic(err)
	}
	signed, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, MyClaims{
		Claims: jwtgate.Claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "https://id.example.com", Subject: "alice", Audience: jwt.ClaimStrings{"orders-api"},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		}},
		Tenant: "acme",
	}).SignedString(exampleSecret)

	tok, err := auth.Verify(context.Background(), signed)
	if err != nil {
		panic(err)
	}
	// An adapter does this for you:
	ctx := jwtgate.NewContext(context.Background(), tok)

	// Anywhere below it:
	claims, ok := jwtgate.ClaimsFromContext[*MyClaims](ctx)
	fmt.Println(ok, claims.Subject, claims.Tenant)
	// Output: true alice acme
}

func ExampleToken_CheckScopes() {
	auth, _ := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(exampleSecret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
	})
	tok, _ := auth.Verify(context.Background(), exampleToken("orders:read"))
	fmt.Println(tok.CheckScopes("orders:read"))
	err := tok.CheckScopes("orders:write")
	fmt.Println(auth.Response(err).Status, auth.Response(err).WWWAuthenticate)
	// Output:
	// <nil>
	// 403 Bearer realm="jwtgate", error="insufficient_scope", scope="orders:write"
}

// The token's whole life: login, a call, a refresh, a stolen refresh token
// replayed, and what that does to the family.
func ExampleIssuer() {
	ctx := context.Background()
	store := issuing.NewMemoryStore(nil)
	issuer, err := issuing.New(issuing.Config{
		Key:      jwtgate.HMAC(exampleSecret, "HS256"),
		Issuer:   "https://id.example.com",
		Audience: []string{"orders-api"},
		Store:    store,
	})
	if err != nil {
		panic(err)
	}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC(exampleSecret, "HS256"),
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
		Revoker:  store, // revocations take effect on the next request
	})
	if err != nil {
		panic(err)
	}

	pair, _ := issuer.Login(ctx, issuing.Grant{Subject: "alice", Scope: "orders:read"})
	tok, err := auth.Verify(ctx, pair.AccessToken)
	fmt.Println("call:", tok.Subject, tok.Scopes(), err)

	next, err := issuer.Refresh(ctx, pair.RefreshToken)
	fmt.Println("refresh:", err, next.ExpiresIn)

	_, err = issuer.Refresh(ctx, pair.RefreshToken) // replayed by a thief
	fmt.Println("replay:", errors.Is(err, issuing.ErrRefreshReused))

	_, err = auth.Verify(ctx, next.AccessToken)
	fmt.Println("family revoked:", errors.Is(err, jwtgate.ErrTokenRevoked))
	// Output:
	// call: alice [orders:read] <nil>
	// refresh: <nil> 900
	// replay: true
	// family revoked: true
}
