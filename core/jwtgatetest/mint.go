package jwtgatetest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
	"time"
)

// The suite mints its tokens by hand from raw header and payload JSON, with
// crypto/hmac directly: no JWT library sits in between to "fix" a duplicate
// name, a wrong JSON type, a BOM or invalid UTF-8.

const (
	issuer   = "https://issuer.example"
	audience = "api://svc"
	realm    = "jwtgate-test"
	kidHS    = "hs-1"

	// hdrHS256 is the default header: the bound algorithm, typ and kid.
	hdrHS256 = `{"alg":"HS256","typ":"JWT","kid":"hs-1"}`
)

// fixture is what one Run owns: the keys and the clock.
type fixture struct {
	now      time.Time
	khs      []byte // K_hs: 32 bytes bound to HS256, kid hs-1
	khs2     []byte // a second HS256 key, kid hs-2 (key-set cases)
	khs384   []byte // 48 bytes bound to HS384, kid hs-384
	khs512   []byte // 64 bytes bound to HS512, kid hs-512
	attacker []byte // a key the server does not trust
}

func newFixture() *fixture {
	return &fixture{
		now:      time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		khs:      randomBytes(32),
		khs2:     randomBytes(32),
		khs384:   randomBytes(48),
		khs512:   randomBytes(64),
		attacker: randomBytes(32),
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return b
}

// secrets lists every key the suite holds, for the leak checks (RSP-01).
func (fx *fixture) secrets() [][]byte {
	return [][]byte{fx.khs, fx.khs2, fx.khs384, fx.khs512, fx.attacker, rfcA1Key()}
}

// b64u is base64url without padding (RFC 7515 §2).
func b64u(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func hmacHash(alg string) func() hash.Hash {
	switch alg {
	case "HS256":
		return sha256.New
	case "HS384":
		return sha512.New384
	case "HS512":
		return sha512.New
	}
	panic("jwtgatetest: no HMAC hash for " + alg)
}

// mac returns b64u(HMAC-SHAxxx(key, signingInput)); alg picks the hash only,
// whatever the header says.
func mac(alg string, key []byte, signingInput string) string {
	m := hmac.New(hmacHash(alg), key)
	m.Write([]byte(signingInput))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// jws returns b64u(header) "." b64u(payload) "." b64u(HMAC), the MAC computed
// with the hash of alg and key over the first two segments.
func jws(alg string, key []byte, header, payload string) string {
	si := b64u(header) + "." + b64u(payload)
	return si + "." + mac(alg, key, si)
}

// claimSet is an ordered JSON object of raw member values.
type claimSet struct {
	names, values []string
}

// claimMod changes the default claims.
type claimMod func(*claimSet)

// set sets claim name to the raw JSON value raw (replacing it in place when
// present, appending it otherwise).
func set(name, raw string) claimMod {
	return func(c *claimSet) {
		for i, n := range c.names {
			if n == name {
				c.values[i] = raw
				return
			}
		}
		c.names = append(c.names, name)
		c.values = append(c.values, raw)
	}
}

// add appends a member even when the name is already there (duplicates).
func add(name, raw string) claimMod {
	return func(c *claimSet) {
		c.names = append(c.names, name)
		c.values = append(c.values, raw)
	}
}

// del removes claim name.
func del(name string) claimMod {
	return func(c *claimSet) {
		for i, n := range c.names {
			if n == name {
				c.names = append(c.names[:i:i], c.names[i+1:]...)
				c.values = append(c.values[:i:i], c.values[i+1:]...)
				return
			}
		}
	}
}

func str(s string) string { return strconv.Quote(s) }

func num(n int64) string { return strconv.FormatInt(n, 10) }

// at is the NumericDate of now plus d.
func (fx *fixture) at(d time.Duration) string { return num(fx.now.Add(d).Unix()) }

// claims returns the default claims C with mods applied, as compact JSON:
// iss, sub "user-1", aud, iat=nbf=now, exp=now+300, a random jti, scope "read".
func (fx *fixture) claims(mods ...claimMod) string {
	c := &claimSet{
		names:  []string{"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "scope"},
		values: []string{str(issuer), str("user-1"), str(audience), fx.at(0), fx.at(0), fx.at(300 * time.Second), str(rand.Text()), str("read")},
	}
	for _, m := range mods {
		m(c)
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range c.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(str(n))
		b.WriteByte(':')
		b.WriteString(c.values[i])
	}
	b.WriteByte('}')
	return b.String()
}

// t0 is a correctly signed HS256 token with the default header and claims
// (mods applied).
func (fx *fixture) t0(mods ...claimMod) string {
	return jws("HS256", fx.khs, hdrHS256, fx.claims(mods...))
}

// withHeader is a correctly signed (K_hs, HMAC-SHA256) token with a raw header.
func (fx *fixture) withHeader(header string, mods ...claimMod) string {
	return jws("HS256", fx.khs, header, fx.claims(mods...))
}

// ofSize returns a valid T0 exactly n bytes long, padded with an extra header
// member and an extra claim (base64url lengths skip every n ≡ 1 mod 4, so both
// segments are varied).
func (fx *fixture) ofSize(n int) string {
	sigLen := len(mac("HS256", fx.khs, ""))
	for hp := 0; hp < 4; hp++ {
		header := `{"alg":"HS256","typ":"JWT","kid":"hs-1","x":"` + strings.Repeat("h", hp) + `"}`
		base := fx.claims(set("pad", `""`))
		rest := n - len(b64u(header)) - sigLen - 2 - len(b64u(base))
		if rest < 0 {
			continue
		}
		// Each added byte adds one or two characters: search a little around
		// the estimate.
		for p := rest * 3 / 4; p <= rest; p++ {
			payload := fx.claims(set("pad", str(strings.Repeat("p", p))))
			if len(b64u(header))+len(b64u(payload))+sigLen+2 == n {
				return jws("HS256", fx.khs, header, payload)
			}
		}
	}
	panic("jwtgatetest: cannot build a token of " + strconv.Itoa(n) + " bytes")
}

// replaceSegment returns token with segment i (0, 1 or 2) replaced by seg.
func replaceSegment(token string, i int, seg string) string {
	parts := strings.Split(token, ".")
	parts[i] = seg
	return strings.Join(parts, ".")
}

// signingInput returns the first two segments of token.
func signingInput(token string) string {
	return token[:strings.LastIndexByte(token, '.')]
}

// RFC 7515 Appendix A.1 (identical to RFC 7519 §3.1): HS256 with a 64-byte
// key; exp 1300819380 (2011-03-22T18:43:00Z). docs/security-cases.md, "RFC
// 7515 Appendix A (A.1–A.5)" and "Derived negatives N1–N12".
const (
	rfcA1KeyB64 = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
	rfcA1       = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	// A.5: the same payload, alg none, empty signature.
	rfcA5 = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	// N1: A.1 with the last signature character k→l (non-canonical trailing bits).
	katN1 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"
	// N8: embedded Ed25519 jwk, signed with the RFC 8037 private key.
	katN8 = "eyJhbGciOiJFZERTQSIsImp3ayI6eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1scndJYWFQY0hVUm8ifX0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.Znhxc6yN79Q3tbHotQjlxOAnxK_Y7TWUMbOW4oIZ5SLF5RRTsDwHYSdKemUbHX7NYeIbCMf8pjrfUbZx9moGCA"
	// N9: kid path traversal, HMAC keyed with the empty string.
	katN9 = "eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLy4uLy4uLy4uLy4uLy4uL2Rldi9udWxsIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.7g9eYGbRqTl2WUZNwUeBlmURyvMaAyzN2KuQHafL6Fo"
	// N10: crit ["x-unknown"], valid MAC with the A.1 key.
	katN10 = "eyJhbGciOiJIUzI1NiIsImNyaXQiOlsieC11bmtub3duIl0sIngtdW5rbm93biI6dHJ1ZX0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.c3GtmpP-rqs4XbfvwGBkRHg17LGvW28QpkDr9NdGFs0"
	// N11: the A.1 key used with HS512.
	katN11 = "eyJhbGciOiJIUzUxMiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.CyfHecbVPqPzB3zBwYd3rgVBi2Dgg-eAeX7JT8B85QbKLwSXyll8WKGdehse606szf9G3i-jr24QGkEtMAGSpg"
	// N12: A.1 as flattened JWS JSON serialization.
	katN12 = `{"protected":"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9","payload":"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ","signature":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}`
	// rfcA1Exp is the exp of every RFC 7515 Appendix A payload.
	rfcA1Exp = 1300819380
)

func rfcA1Key() []byte {
	k, err := base64.RawURLEncoding.DecodeString(rfcA1KeyB64)
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return k
}
