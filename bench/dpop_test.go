package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
)

// everNew is a replay store that takes every proof as new, so that one
// proof can be sent b.N times: BenchmarkDPoP measures the proof's
// verification, BenchmarkReplayStore the store.
type everNew struct{}

func (everNew) Remember(context.Context, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

// BenchmarkDPoP is one request to http://example.com/ through each adapter
// with a DPoP-bound HS256 token and an ES256 proof (its signature verified
// every time, whatever the cache), next to the same request with a Bearer
// token, in the same run, each request in a server's context as
// BenchmarkAdapter's: fw=<…>/cache=on/scheme=<Bearer|DPoP> for every
// framework, cache=off too for nethttp. verify=ES256 is golang-jwt's
// SigningMethodES256.Verify of the same proof's signature alone (its key
// parsed once, before the loop): the ratio report's target for DPoP is
// DPoP ÷ (Bearer + verify=ES256), cache on.
func BenchmarkDPoP(b *testing.B) {
	now := time.Now()
	key := jwtgatetest.NewDPoPKey("ES256")
	secret := []byte("0123456789abcdef0123456789abcdef")
	claims := jwt.MapClaims{
		"iss": "https://issuer.example", "sub": "user-1", "aud": "api://svc", "jti": "j-1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	bearerTok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		b.Fatal(err)
	}
	claims["cnf"] = map[string]string{"jkt": key.JKT()}
	bound, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		b.Fatal(err)
	}
	const url = "http://example.com/"
	proof := key.Proof(http.MethodGet, url, now, bound, jwtgatetest.ProofOptions{})
	headers := map[string]header{"Bearer": bearer(bearerTok), "DPoP": {authz: "DPoP " + bound, dpop: proof}}
	for _, fw := range frameworks {
		for _, cache := range []string{"on", "off"} {
			if cache == "off" && fw.name != "nethttp" {
				continue
			}
			for _, scheme := range []string{"Bearer", "DPoP"} {
				b.Run("fw="+fw.name+"/cache="+cache+"/scheme="+scheme, func(b *testing.B) {
					cfg := jwtgate.Config{
						Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"},
						Now:  func() time.Time { return now },
						DPoP: &dpop.Config{Replay: everNew{}},
					}
					if cache == "off" {
						cfg.CacheSize = -1
					}
					a, err := jwtgate.New(cfg)
					if err != nil {
						b.Fatal(err)
					}
					serve, hd := fw.build(b, a), headers[scheme]
					b.ReportAllocs()
					for b.Loop() {
						if got := serve(hd); got != http.StatusOK {
							b.Fatalf("status %d", got)
						}
					}
				})
			}
		}
	}
	b.Run("verify=ES256", func(b *testing.B) {
		pub, input, sig := proofParts(b, key, proof)
		b.ReportAllocs()
		for b.Loop() {
			if err := jwt.SigningMethodES256.Verify(input, sig, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// proofParts is a proof's public key (from its jwk), signing input and
// signature, decoded.
func proofParts(b *testing.B, key *jwtgatetest.DPoPKey, proof string) (*ecdsa.PublicKey, string, []byte) {
	var jwk struct{ X, Y string }
	if err := json.Unmarshal([]byte(key.JWK()), &jwk); err != nil {
		b.Fatal(err)
	}
	x, errX := base64.RawURLEncoding.DecodeString(jwk.X)
	y, errY := base64.RawURLEncoding.DecodeString(jwk.Y)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	dot := strings.LastIndexByte(proof, '.')
	sig, errS := base64.RawURLEncoding.DecodeString(proof[dot+1:])
	if err := errors.Join(errX, errY, err, errS); err != nil {
		b.Fatal(err)
	}
	return pub, proof[:dot], sig
}

// BenchmarkReplayStore is the in-memory replay store's Remember, for ids
// never seen (every proof's case) with 100,000 entries in the window.
func BenchmarkReplayStore(b *testing.B) {
	now := time.Now()
	s := dpop.NewMemoryReplayStore(func() time.Time { return now })
	ctx := context.Background()
	for i := range 100_000 {
		_, _ = s.Remember(ctx, "seed-"+strconv.Itoa(i), now, now.Add(time.Minute))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if fresh, err := s.Remember(ctx, "jkt-0123456789abcdef0123456789abcdef0123456.jti-"+strconv.Itoa(i), now, now.Add(time.Minute)); err != nil || !fresh {
			b.Fatal("not new")
		}
	}
}
