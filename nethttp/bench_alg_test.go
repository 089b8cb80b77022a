package httpjwt_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// BenchmarkAlgorithms is the valid-token request through the net/http
// adapter ("jwtgate") against golang-jwt alone ("golang-jwt": ParseWithClaims
// with the same checks: the one allowed algorithm, iss, aud, exp required,
// iat, strict base64url), for each algorithm family, in the same run, on the
// same token. The difference is jwtgate's own work: extraction, the shape,
// header and claims rules, the context, and for PS256 the second
// verification with the salt fixed to the hash length (RFC 7518 §3.5).
func BenchmarkAlgorithms(b *testing.B) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		alg  string
		sign any // the key that signs
		key  any // the key that verifies
	}{
		{"HS256", benchSecret, benchSecret},
		{"RS256", rsaKey, &rsaKey.PublicKey},
		{"PS256", rsaKey, &rsaKey.PublicKey},
		{"ES256", ecKey, &ecKey.PublicKey},
		{"EdDSA", edKey, edKey.Public().(ed25519.PublicKey)},
	} {
		now := time.Now()
		tok, err := jwt.NewWithClaims(jwt.GetSigningMethod(c.alg), jwt.RegisteredClaims{
			Issuer: "https://issuer.example", Subject: "user-1", Audience: jwt.ClaimStrings{"api://svc"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), ID: "j-1",
		}).SignedString(c.sign)
		if err != nil {
			b.Fatal(err)
		}

		key := &jwtgate.Key{Algorithm: c.alg, VerifyKey: c.key}
		if c.alg == "HS256" {
			key = jwtgate.HMAC(benchSecret, c.alg)
		}
		for _, cache := range []int{-1, 0} {
			auth, err := jwtgate.New(jwtgate.Config{Keys: key, Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"}, CacheSize: cache})
			if err != nil {
				b.Fatal(err)
			}
			h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			name := c.alg + "/jwtgate/cache=off"
			if cache == 0 {
				name = c.alg + "/jwtgate/cache=on"
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				w := &discardWriter{h: http.Header{}}
				for b.Loop() {
					w.code = 0
					h.ServeHTTP(w, r)
					if w.code != 0 {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}

		p := jwt.NewParser(jwt.WithValidMethods([]string{c.alg}), jwt.WithIssuer("https://issuer.example"),
			jwt.WithAudience("api://svc"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
		keyfunc := func(*jwt.Token) (any, error) { return c.key, nil }
		b.Run(c.alg+"/golang-jwt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
