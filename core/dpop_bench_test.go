package jwtgate_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/extractors"
)

// dpopBenchReplay is a dpop.ReplayStore that answers "new" every time, so that
// one proof can be sent on every iteration: the benchmark measures the
// proof's check, not the replay store's (BenchmarkReplayStore has that).
type dpopBenchReplay struct{}

func (dpopBenchReplay) Remember(context.Context, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

// dpopBenchRSA4096 is a real 4096-bit RSA key, the largest a proof may
// carry, generated once per process.
var dpopBenchRSA4096 = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 4096) })

func dpopBenchB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// dpopBenchModulus is a random modulus of bits bits that looks like one:
// odd, its top bit set. It has no known factors, and nobody can sign with it.
func dpopBenchModulus(b *testing.B, bits int) []byte {
	n := make([]byte, bits/8)
	if _, err := rand.Read(n); err != nil {
		b.Fatal(err)
	}
	n[0] |= 0x80
	n[len(n)-1] |= 1
	return n
}

// BenchmarkDPoPProof: a hostile DPoP proof against a good ES256 one, in
// the same run, each the whole of Authenticate for GET
// http://example.com/api/me with "Authorization: DPoP <token>" (HS256, the
// default cache) and the proof. Every token is bound to its proof's key, so
// that nothing but the proof refuses it (a token bound to another key would
// refuse a hostile proof before its signature, and cheaper). The hostile
// proofs need no private key: an RSA jwk with a random 16384-bit modulus
// (for another URL, then for this one), and a random 4096-bit modulus with
// a garbage signature in a proof right in every other way, the one RSA
// check the key-size bound still lets through; RSA4096 is a real key's good
// proof, the most expensive one accepted.
func BenchmarkDPoPProof(b *testing.B) {
	const url = "http://example.com/api/me"
	a := testAuth(b, func(c *jwtgate.Config) { c.DPoP = &dpop.Config{Replay: dpopBenchReplay{}} })
	token := func(jkt string) string { return mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+jkt+`"}`)) }
	// rsaJWK is the canonical JWK of modulus n, e = 65537, and its thumbprint.
	rsaJWK := func(n []byte) (jwk, jkt string) {
		jwk = `{"e":"AQAB","kty":"RSA","n":"` + dpopBenchB64(n) + `"}`
		h := sha256.Sum256([]byte(jwk))
		return jwk, dpopBenchB64(h[:])
	}
	// rsaProof is an RS256 proof with jwk for htu and tok; sign signs its
	// signing input.
	rsaProof := func(jwk, htu, tok string, sign func(si string) []byte) string {
		ath := sha256.Sum256([]byte(tok))
		claims := `{"jti":"` + strconv.FormatInt(time.Now().UnixNano(), 36) + `","htm":"GET","htu":"` + htu + `","iat":` +
			strconv.FormatInt(testNow.Unix(), 10) + `,"ath":"` + dpopBenchB64(ath[:]) + `"}`
		si := dpopBenchB64([]byte(`{"typ":"dpop+jwt","alg":"RS256","jwk":`+jwk+`}`)) + "." + dpopBenchB64([]byte(claims))
		return si + "." + dpopBenchB64(sign(si))
	}
	// garbage is a random signature below n, so that it reaches the
	// modular exponentiation.
	garbage := func(n []byte) func(string) []byte {
		return func(string) []byte {
			sig := make([]byte, len(n))
			if _, err := rand.Read(sig); err != nil {
				b.Fatal(err)
			}
			sig[0] &= 0x7f
			return sig
		}
	}
	hostile := func(bits int, htu string) (proof, tok string) {
		n := dpopBenchModulus(b, bits)
		jwk, jkt := rsaJWK(n)
		tok = token(jkt)
		return rsaProof(jwk, htu, tok, garbage(n)), tok
	}

	type bench struct {
		name, token, proof string
		ok                 bool
	}
	var cases []bench
	es := newProofKey(b)
	esToken := token(es.jkt)
	cases = append(cases, bench{"ES256", esToken, es.standard(b, "GET", url, testNow, esToken), true})
	p, tok := hostile(16384, "http://example.com/api/other")
	cases = append(cases, bench{"hostile-RSA16384-otherURL", tok, p, false})
	p, tok = hostile(16384, url)
	cases = append(cases, bench{"hostile-RSA16384", tok, p, false})
	priv, err := dpopBenchRSA4096()
	if err != nil {
		b.Fatal(err)
	}
	jwk, jkt := rsaJWK(priv.N.Bytes())
	tok = token(jkt)
	p = rsaProof(jwk, url, tok, func(si string) []byte {
		h := sha256.Sum256([]byte(si))
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, h[:])
		if err != nil {
			b.Fatal(err)
		}
		return sig
	})
	cases = append(cases, bench{"RSA4096", tok, p, true})
	p, tok = hostile(4096, url)
	cases = append(cases, bench{"hostile-RSA4096-forged", tok, p, false})

	for _, c := range cases {
		b.Run("proof="+c.name, func(b *testing.B) {
			r := extractors.FromHTTP(dpopRequest("GET", url, c.token, c.proof))
			ctx := context.Background()
			check := func(err error) {
				if c.ok && err != nil || !c.ok && !errors.Is(err, dpop.ErrInvalidProof) {
					b.Fatalf("%s: %v", c.name, err)
				}
			}
			_, err := a.Authenticate(ctx, r)
			check(err)
			b.ReportAllocs()
			for b.Loop() {
				_, err := a.Authenticate(ctx, r)
				check(err)
			}
		})
	}
}
