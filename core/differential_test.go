package jwtgate_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
)

// FuzzDifferential holds jwtgate's verifier to golang-jwt v5's own Parser:
// each mutated header and payload is signed with the same HS256 key and
// given to both, configured alike (HS256 only, the issuer and audience
// required, exp required, iat checked, no leeway, one clock, strict
// base64url). jwtgate may refuse more — that is what it is for — but it must
// never accept a token golang-jwt refuses, and when both accept they must
// read the same iss, sub, jti, aud and exp.
//
// Deliberate differences, tolerated here:
//   - NumericDates with a fraction: golang-jwt truncates them to
//     jwt.TimePrecision (1 s), so it calls a token expired up to a second
//     before its exp; jwtgate keeps the fraction (to the microsecond), as
//     RFC 7519 §2 writes it. exp is compared to the second, and a token that
//     jwtgate accepts and golang-jwt calls expired, not yet valid or issued
//     in the future is tolerated only when one of the dates has a fraction
//     and falls within that second of the clock.
func FuzzDifferential(f *testing.F) {
	for _, seed := range [][2]string{
		{goodHeader, claimsJSON("")},
		{`{"alg":"HS256"}`, claimsJSON("")},
		{`{"alg":"HS256","typ":"at+jwt","kid":"k"}`, claimsJSON(`"nbf":1795867200`)},
		{goodHeader, `{"iss":"https://issuer.example","aud":["x","api://svc"],"exp":1795867200.5,"iat":1795867199.9}`},
		{goodHeader, `{"iss":"https://issuer.example","aud":"api://svc","exp":1795867201,"EXP":1,"sub":"\u00e9"}`},
		{goodHeader, `{"iss":"https://issuer.example","aud":"api://svc","exp":1.7958672e9,"sub":null,"jti":""}`},
		{`{"alg":"HS256","crit":["exp"],"exp":1}`, claimsJSON("")},
		{`{"alg":"none"}`, claimsJSON("")},
		{goodHeader, `{"iss":"https://issuer.example","aud":"api://svc","exp":1795867300,"iss":"https://evil.example"}`},
	} {
		f.Add(seed[0], seed[1])
	}
	auth := testAuth(f, func(c *jwtgate.Config) { c.CacheSize = -1 })
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithIssuer("https://issuer.example"),
		jwt.WithAudience("api://svc"),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(0),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return testNow }),
	)
	keyfunc := func(*jwt.Token) (any, error) { return testSecret, nil }
	f.Fuzz(func(t *testing.T, header, payload string) {
		tok := mint(testSecret, header, payload)
		got, err := auth.Verify(context.Background(), tok)
		if err != nil {
			return // refusing more than golang-jwt is allowed
		}
		var rc jwt.RegisteredClaims
		_, perr := parser.ParseWithClaims(tok, &rc, keyfunc)
		if perr != nil {
			if fractionNearNow(payload) {
				return
			}
			t.Fatalf("jwtgate accepted what golang-jwt refuses (%v):\nheader  %s\npayload %s", perr, header, payload)
		}
		c := got.Claims.(*jwtgate.Claims)
		if c.Issuer != rc.Issuer || c.Subject != rc.Subject || c.ID != rc.ID || !slices.Equal(c.Audience, rc.Audience) {
			t.Fatalf("read differently: jwtgate iss=%q sub=%q jti=%q aud=%q, golang-jwt iss=%q sub=%q jti=%q aud=%q\npayload %s",
				c.Issuer, c.Subject, c.ID, c.Audience, rc.Issuer, rc.Subject, rc.ID, rc.Audience, payload)
		}
		if got.Issuer != c.Issuer || got.Subject != c.Subject || got.ID != c.ID {
			t.Fatalf("Token and Claims differ: %q/%q %q/%q %q/%q", got.Issuer, c.Issuer, got.Subject, c.Subject, got.ID, c.ID)
		}
		if rc.ExpiresAt == nil || got.ExpiresAt.Unix() != rc.ExpiresAt.Unix() {
			t.Fatalf("exp read differently: jwtgate %v, golang-jwt %v\npayload %s", got.ExpiresAt, rc.ExpiresAt, payload)
		}
	})
}

// fractionNearNow reports whether one of the payload's NumericDates has a
// fraction and lies within a second of the clock: the one difference
// FuzzDifferential tolerates. (It is only asked about payloads jwtgate
// accepted: one JSON object, one name once.)
func fractionNearNow(payload string) bool {
	var dates map[string]any
	if json.Unmarshal([]byte(payload), &dates) != nil {
		return false
	}
	now := float64(testNow.Unix())
	for _, name := range []string{"exp", "nbf", "iat"} {
		if d, ok := dates[name].(float64); ok && d != math.Trunc(d) && math.Abs(d-now) <= 1 {
			return true
		}
	}
	return false
}
