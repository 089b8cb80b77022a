// Package testtoken signs the tokens the after-programs' tests send: tokens
// such as the services' clients already hold, signed with golang-jwt as the
// libraries the services move from signed them, at a fixed time.
package testtoken

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// now is the time every test runs at: tokens are issued then and the
// services' clocks read it, so that no test depends on the wall clock.
var now = time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)

// Now returns the fixed time; it is the Config.Now of the services under
// test.
func Now() time.Time { return now }

// Claims returns the claims of a token for sub from iss to aud, issued at
// Now and expiring five minutes later, with extra merged in: a nil value
// removes a claim.
func Claims(iss, aud, sub string, extra map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": iss, "aud": aud, "sub": sub,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// Sign signs claims with key under alg, with kid in the header when it is
// not empty.
func Sign(tb testing.TB, alg, kid string, key any, claims jwt.MapClaims) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		tb.Fatalf("signing a test token: %v", err)
	}
	return s
}
