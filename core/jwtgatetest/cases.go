package jwtgatetest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
)

// The case table. Names start with the catalogue ID of
// docs/security-cases.md, or with one of the suite's own groups (VALID, OPT,
// CUSTOM, KAT, LIFE, CSRF).
//
// The cases with HMAC keys are here; asym.go adds those that need an RSA, EC
// or Ed25519 key on the server. Catalogue cases that are not a request to an
// adapter are tested elsewhere (docs/security-cases.md, "Cases not in the
// conformance suite"):
//
//   - Configuration time (CFG), in the core's and core/jwks's unit tests:
//     ALG-09's and ALG-12's key halves, ALG-13's empty key, HDR-09,
//     KEY-01…KEY-03, TIME-10.
//   - The remote JWKS, in core/jwks's tests: KEY-04, KEY-05.
//   - TR-09 (Fiber buffer reuse): fiberjwt's own test. RSP-04 (timing): not
//     tested.
//   - REV-04's subject-wide revocation: RunStore, and LIFE here.
//   - ID-07 (cross-JWT confusion): covered by aud (ID-01), typ (HDR-12) and
//     LIFE.
//   - Not applicable: FMT-01's JWE with p2c/zip (no JWE support; the
//     5-segment shape is here), TIME-04's maximum token age (no such
//     option), ID-05's "all audiences" mode (no such mode).
//   - JWS vectors whose payload is not a claims set (RFC 7515 A.4, RFC 8037
//     A.4, RFC 7520 §4): core/jwks's TestKATSignatures and TestKATJWTClock.
//     RFC 7797 §4's exact vectors are not used; HDR-11 builds a b64 token.
func buildCases(fx *fixture) []testCase {
	var cases []testCase
	for _, group := range [][]testCase{
		validCases(fx),
		algCases(fx),
		sigCases(fx),
		hdrCases(fx),
		fmtCases(fx),
		timeCases(fx),
		idCases(fx),
		trCases(fx),
		revCases(fx),
		rspCases(fx),
		optionalCases(fx),
		customCases(fx),
		katCases(fx),
		lifeCases(fx),
		csrfCases(fx),
		sourceCases(fx),
		asymCases(fx),
		readingCases(fx),
		dpopCases(fx),
	} {
		cases = append(cases, group...)
	}
	return cases
}

// token returns a token function for a fixed string.
func token(s string) func(*env) string { return func(*env) string { return s } }

// keyConfig binds the route to one HMAC key.
func keyConfig(secret []byte, alg, id string) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) {
		k := jwtgate.HMAC(secret, alg)
		k.ID = id
		c.Keys = k
	}
}

// extractor sets Config.Extractor.
func extractor(ex extractors.Extractor) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) { c.Extractor = ex }
}

// katConfig is the verifier of docs/security-cases.md, "Known-answer
// vectors": the RFC 7515 A.1 key bound to HS256, issuer "joe", no audience
// check, and the clock at unix.
func katConfig(unix int64) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) {
		c.Keys = jwtgate.HMAC(rfcA1Key(), "HS256")
		c.Issuer = []string{"joe"}
		c.Audience = nil
		c.SkipAudienceCheck = true
		now := time.Unix(unix, 0)
		c.Now = func() time.Time { return now }
	}
}

// hdrTyp is the default header with typ set to typ.
func hdrTyp(typ string) string { return `{"alg":"HS256","typ":` + str(typ) + `,"kid":"hs-1"}` }

const hdrNoTyp = `{"alg":"HS256","kid":"hs-1"}`

// hdrExtra is the default header with extra members (raw JSON, no braces).
func hdrExtra(members string) string {
	return `{"alg":"HS256","typ":"JWT","kid":"hs-1",` + members + `}`
}

// get is GET target with no credentials unless the caller adds some.
func get(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }

func validCases(fx *fixture) []testCase {
	return []testCase{
		{name: "VALID/HS256", token: func(*env) string { return fx.t0() }, want: accept()},
		{
			name:   "VALID/HS384 with a 48-byte key",
			config: keyConfig(fx.khs384, "HS384", "hs-384"),
			token: func(*env) string {
				return jws("HS384", fx.khs384, `{"alg":"HS384","typ":"JWT","kid":"hs-384"}`, fx.claims())
			},
			want: accept(),
		},
		{
			name:   "VALID/HS512 with a 64-byte key",
			config: keyConfig(fx.khs512, "HS512", "hs-512"),
			token: func(*env) string {
				return jws("HS512", fx.khs512, `{"alg":"HS512","typ":"JWT","kid":"hs-512"}`, fx.claims())
			},
			want: accept(),
		},
		{name: "VALID/scopes reach the handler", token: func(*env) string { return fx.t0(set("scope", `"read write"`)) },
			want: want{status: http.StatusOK, accepted: true, scopes: []string{"read", "write"}}},
		{name: "VALID/HS256 wrong key", token: func(*env) string { return jws("HS256", fx.attacker, hdrHS256, fx.claims()) },
			want: invalidToken(descSignature)},
		{name: "VALID/HS256 tampered payload", token: func(*env) string { return tamper(fx.t0(), fx.claims(set("scope", `"read admin"`))) },
			want: invalidToken(descSignature)},
		{
			name:   "VALID/HS384 wrong key",
			config: keyConfig(fx.khs384, "HS384", "hs-384"),
			token: func(*env) string {
				return jws("HS384", randomBytes(48), `{"alg":"HS384","typ":"JWT","kid":"hs-384"}`, fx.claims())
			},
			want: invalidToken(descSignature),
		},
		{
			name:   "VALID/HS384 tampered payload",
			config: keyConfig(fx.khs384, "HS384", "hs-384"),
			token: func(*env) string {
				t := jws("HS384", fx.khs384, `{"alg":"HS384","typ":"JWT","kid":"hs-384"}`, fx.claims())
				return tamper(t, fx.claims(set("sub", `"admin"`)))
			},
			want: invalidToken(descSignature),
		},
		{
			name:   "VALID/HS512 wrong key",
			config: keyConfig(fx.khs512, "HS512", "hs-512"),
			token: func(*env) string {
				return jws("HS512", randomBytes(64), `{"alg":"HS512","typ":"JWT","kid":"hs-512"}`, fx.claims())
			},
			want: invalidToken(descSignature),
		},
		{
			name:   "VALID/HS512 tampered payload",
			config: keyConfig(fx.khs512, "HS512", "hs-512"),
			token: func(*env) string {
				t := jws("HS512", fx.khs512, `{"alg":"HS512","typ":"JWT","kid":"hs-512"}`, fx.claims())
				return tamper(t, fx.claims(set("sub", `"admin"`)))
			},
			want: invalidToken(descSignature),
		},
	}
}

// tamper replaces the payload of tok, keeping its header and signature.
func tamper(tok, payload string) string { return replaceSegment(tok, 1, b64u(payload)) }

func algCases(fx *fixture) []testCase {
	none := func(alg string) func(*env) string {
		return func(*env) string { return b64u(`{"alg":`+alg+`,"typ":"JWT"}`) + "." + b64u(fx.claims()) + "." }
	}
	// The core refuses any alg no configured key is bound to while it reads
	// the header, before golang-jwt (whose WithValidMethods would call it a
	// signature error) sees the token.
	cases := []testCase{
		{name: "ALG-01/alg none", token: none(`"none"`), want: invalidToken(descAlgorithm)},
		{name: "ALG-01/RFC 7515 A.5 unsecured JWS", token: token(rfcA5), want: invalidToken(descAlgorithm)},
	}
	for _, alg := range []string{`"None"`, `"NONE"`, `"nOnE"`, `"none "`, `""`} {
		cases = append(cases, testCase{name: "ALG-02/alg " + alg, token: none(alg), want: invalidToken(descAlgorithm)})
	}
	cases = append(cases,
		testCase{
			name: "ALG-03/alg none keeping the signature",
			token: func(*env) string {
				return replaceSegment(fx.t0(), 0, b64u(`{"alg":"none","typ":"JWT","kid":"hs-1"}`))
			},
			want: invalidToken(descAlgorithm),
		},
		// A header without alg reaches golang-jwt ("unspecified"); an alg of
		// the wrong JSON type is refused by the core's header rule first.
		testCase{name: "ALG-04/alg missing", token: func(*env) string { return fx.withHeader(`{"typ":"JWT","kid":"hs-1"}`) },
			want: invalidToken(descAlgorithm)},
	)
	for _, alg := range []string{`null`, `256`, `["HS256"]`, `{"x":1}`} {
		cases = append(cases, testCase{
			name:  "ALG-04/alg " + alg,
			token: func(*env) string { return fx.withHeader(`{"alg":` + alg + `,"typ":"JWT","kid":"hs-1"}`) },
			want:  invalidToken(descHeader),
		})
	}
	// K_hs is bound to HS256 only: HS384 and HS512 are refused before the
	// key is used.
	for _, alg := range []string{"HS384", "HS512"} {
		cases = append(cases, testCase{
			name: "ALG-07/" + alg + " signed with the HS256 key",
			token: func(*env) string {
				return jws(alg, fx.khs, `{"alg":"`+alg+`","typ":"JWT","kid":"hs-1"}`, fx.claims())
			},
			want: invalidToken(descAlgorithm),
		})
	}
	cases = append(cases,
		// With a set holding an HS256 and an HS512 key, HS512 is an allowed
		// method, so it is the key binding that refuses the HS256 key's kid.
		testCase{
			name: "ALG-07/HS512 naming the HS256 key in a mixed HMAC set",
			config: func(c *jwtgate.Config) {
				k256 := jwtgate.HMAC(fx.khs, "HS256")
				k256.ID = kidHS
				k512 := jwtgate.HMAC(fx.khs512, "HS512")
				k512.ID = "hs-512"
				c.Keys = jwtgate.NewKeySet(k256, k512)
			},
			token: func(*env) string {
				return jws("HS512", fx.khs, `{"alg":"HS512","typ":"JWT","kid":"hs-1"}`, fx.claims())
			},
			want: invalidToken(descAlgorithm),
		},
		testCase{
			name:   "ALG-07/HS256 signed with the HS384 key",
			config: keyConfig(fx.khs384, "HS384", "hs-384"),
			token: func(*env) string {
				return jws("HS256", fx.khs384, `{"alg":"HS256","typ":"JWT","kid":"hs-384"}`, fx.claims())
			},
			want: invalidToken(descAlgorithm),
		},
	)
	for _, alg := range []string{"HS1", "hs256", "HS256 "} {
		cases = append(cases, testCase{
			name:  "ALG-10/alg " + str(alg),
			token: func(*env) string { return fx.withHeader(`{"alg":` + str(alg) + `,"typ":"JWT","kid":"hs-1"}`) },
			want:  invalidToken(descAlgorithm),
		})
	}
	cases = append(cases, testCase{
		// No key is bound to RS256: refused before any key is looked up, never
		// an RSA verification with K_hs.
		name: "ALG-11/RS256 token to an HMAC-only route",
		token: func(*env) string {
			si := b64u(`{"alg":"RS256","typ":"JWT","kid":"hs-1"}`) + "." + b64u(fx.claims())
			return si + "." + b64u(string(randomBytes(256)))
		},
		want: invalidToken(descAlgorithm),
	})
	// ALG-12(b): a few entries of jwt_tool's jwt-common.txt and the jwt.io
	// default secret.
	for _, secret := range []string{"secret", "your-256-bit-secret", "password", "123456", "changeme"} {
		cases = append(cases, testCase{
			name:  "ALG-12/weak secret " + str(secret),
			token: func(*env) string { return jws("HS256", []byte(secret), hdrHS256, fx.claims()) },
			want:  invalidToken(descSignature),
		})
	}
	cases = append(cases,
		testCase{name: "ALG-13/empty HMAC key", token: func(*env) string { return jws("HS256", nil, hdrHS256, fx.claims()) },
			want: invalidToken(descSignature)},
		testCase{
			name: "ALG-13/empty HMAC key with a path kid (N9 style)",
			token: func(*env) string {
				return jws("HS256", nil, `{"alg":"HS256","kid":"../../../../../../dev/null"}`, fx.claims())
			},
			want: invalidToken(descUnknownKey),
		},
	)
	return cases
}

func sigCases(fx *fixture) []testCase {
	t0 := func(*env) string { return fx.t0() }
	cases := []testCase{
		{name: "SIG-01/signature stripped", token: func(*env) string { return signingInput(fx.t0()) + "." },
			want: invalidToken(descSignature)},
		{name: "SIG-02/two segments", token: func(*env) string { return signingInput(fx.t0()) }, want: invalidToken(descMalformed)},
		{name: "SIG-02/one segment", token: func(*env) string { return b64u(fx.claims()) }, want: invalidToken(descMalformed)},
		{name: "SIG-02/two dots", token: token(".."), want: invalidToken(descMalformed)},
		{name: "SIG-02/three dots", token: token("..."), want: invalidToken(descMalformed)},
		{name: "SIG-02/token and a dot", token: func(e *env) string { return t0(e) + "." }, want: invalidToken(descMalformed)},
		{name: "SIG-02/token and a fourth segment", token: func(e *env) string { return t0(e) + ".x" }, want: invalidToken(descMalformed)},
		// An empty token is "Bearer " with nothing after it: the extractor
		// refuses the request (RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token).
		{name: "SIG-02/empty token", token: token(""), want: invalidRequest(descCredential)},
		{name: "SIG-03/sub tampered", token: func(*env) string { return tamper(fx.t0(), fx.claims(set("sub", `"admin"`))) },
			want: invalidToken(descSignature)},
		{name: "SIG-03/exp tampered", token: func(*env) string {
			return tamper(fx.t0(), fx.claims(set("exp", fx.at(365*24*time.Hour))))
		}, want: invalidToken(descSignature)},
		{name: "SIG-03/signature of another token", token: func(*env) string {
			other := fx.t0(set("sub", `"admin"`))
			return signingInput(fx.t0()) + "." + other[strings.LastIndexByte(other, '.')+1:]
		}, want: invalidToken(descSignature)},
	}
	// SIG-09. RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" /
	// "~" / "+" / "/" ) *"=". A credential made of those characters (with
	// "=" only at the end) is a well-formed request whose token is not a
	// compact JWS (RFC 7515 §2: base64url, no padding), so the core answers
	// 401 invalid_token "malformed". A character outside b64token ("?", "%",
	// "#", "!", or "=" before the end) makes the request itself malformed,
	// and the extractor answers 400 invalid_request (RFC 6750 §3.1) before
	// the token is looked at.
	withSig := func(f func(sig string) string) func(*env) string {
		return func(*env) string {
			t := fx.t0()
			i := strings.LastIndexByte(t, '.')
			return t[:i+1] + f(t[i+1:])
		}
	}
	cases = append(cases,
		testCase{name: `SIG-09/"=" padding on the signature`, token: withSig(func(s string) string { return s + "=" }),
			want: invalidToken(descMalformed)},
		testCase{name: `SIG-09/"==" padding on the signature`, token: withSig(func(s string) string { return s + "==" }),
			want: invalidToken(descMalformed)},
		testCase{name: `SIG-09/"+" from the standard alphabet`, token: withSig(func(s string) string { return "+" + s[1:] }),
			want: invalidToken(descMalformed)},
		testCase{name: `SIG-09/"/" from the standard alphabet`, token: withSig(func(s string) string { return s[:5] + "/" + s[6:] }),
			want: invalidToken(descMalformed)},
		testCase{name: `SIG-09/"~" inside the signature`, token: withSig(func(s string) string { return s[:5] + "~" + s[5:] }),
			want: invalidToken(descMalformed)},
		testCase{name: "SIG-09/padding on the header segment", token: func(*env) string {
			h := b64u(hdrHS256 + " ") // 41 bytes: the unpadded form ends in 2 characters
			si := h + "==." + b64u(fx.claims())
			return si + "." + mac("HS256", fx.khs, si)
		}, want: invalidRequest(descCredential)},
	)
	for _, c := range []string{"?", "%", "#", "!!!!"} {
		cases = append(cases, testCase{
			name:  "SIG-09/" + str(c) + " inserted",
			token: withSig(func(s string) string { return s[:10] + c + s[10:] }),
			want:  invalidRequest(descCredential),
		})
	}
	return cases
}

func hdrCases(fx *fixture) []testCase {
	attackerJWK := `"jwk":{"kty":"oct","k":"` + b64u(string(fx.attacker)) + `"}`
	cases := []testCase{
		{name: "HDR-01/jwk header with the attacker's key", token: func(*env) string {
			return jws("HS256", fx.attacker, `{"alg":"HS256","typ":"JWT",`+attackerJWK+`}`, fx.claims())
		}, want: invalidToken(descHeader)},
		{name: "HDR-01/jwk header with kid, signed with K_hs", token: func(*env) string {
			return fx.withHeader(hdrExtra(attackerJWK))
		}, want: invalidToken(descHeader)},
		{name: "HDR-02/jku to a loopback listener", outbound: true, token: func(e *env) string {
			return jws("HS256", fx.attacker, hdrExtra(`"jku":`+str(e.url+"/jwks.json")), fx.claims())
		}, want: invalidToken(descHeader)},
		{name: "HDR-02/jku to the metadata address", token: func(*env) string {
			return fx.withHeader(hdrExtra(`"jku":"http://169.254.169.254/latest/meta-data/"`))
		}, want: invalidToken(descHeader)},
		{name: "HDR-03/x5u to a loopback listener", outbound: true, token: func(e *env) string {
			return jws("HS256", fx.attacker, hdrExtra(`"x5u":`+str(e.url+"/chain.pem")), fx.claims())
		}, want: invalidToken(descHeader)},
		{name: "HDR-04/x5c with an attacker certificate", token: func(*env) string {
			cert := b64u(string(randomBytes(300)))
			return jws("HS256", fx.attacker, hdrExtra(`"x5c":["`+cert+`"],"x5t":"`+b64u(string(randomBytes(20)))+`"`), fx.claims())
		}, want: invalidToken(descHeader)},
		// The key store is a map: a kid names no file, row or entry but the
		// configured ones.
		{name: "HDR-05/kid path traversal", token: func(*env) string {
			return jws("HS256", []byte("2"), `{"alg":"HS256","typ":"JWT","kid":"/proc/sys/kernel/randomize_va_space"}`, fx.claims())
		}, want: invalidToken(descUnknownKey)},
		{name: "HDR-05/kid /dev/null with the empty key", token: func(*env) string {
			return jws("HS256", nil, `{"alg":"HS256","typ":"JWT","kid":"/dev/null"}`, fx.claims())
		}, want: invalidToken(descUnknownKey)},
		{name: "HDR-06/kid SQL injection", token: func(*env) string {
			return jws("HS256", []byte("1"), `{"alg":"HS256","typ":"JWT","kid":"x' UNION SELECT '1';--"}`, fx.claims())
		}, want: invalidToken(descUnknownKey)},
		{name: "HDR-06/kid command injection", token: func(*env) string {
			return jws("HS256", []byte("ATTACKER"), `{"alg":"HS256","typ":"JWT","kid":"|sleep 10"}`, fx.claims())
		}, want: invalidToken(descUnknownKey)},
		{name: `HDR-07/unknown kid "nope"`, token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"nope"}`)
		}, want: invalidToken(descUnknownKey)},
		{name: "HDR-07/kid 123", token: func(*env) string { return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":123}`) },
			want: invalidToken(descHeader)},
		{name: "HDR-07/kid {}", token: func(*env) string { return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":{}}`) },
			want: invalidToken(descHeader)},
		{name: "HDR-07/kid []", token: func(*env) string { return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":[]}`) },
			want: invalidToken(descHeader)},
		{name: "HDR-07/kid of 64 KiB", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"` + strings.Repeat("k", 64<<10) + `"}`)
		}, want: invalidToken(descTooLarge)},
		{name: "HDR-07/kid missing with a single key", token: func(*env) string { return fx.withHeader(`{"alg":"HS256","typ":"JWT"}`) },
			want: accept()},
		{name: "HDR-07/kid missing with two keys of one algorithm", config: twoKeys(fx),
			token: func(*env) string { return fx.withHeader(`{"alg":"HS256","typ":"JWT"}`) }, want: invalidToken(descUnknownKey)},
		{name: "HDR-07/kid of the second key", config: twoKeys(fx),
			token: func(*env) string {
				return jws("HS256", fx.khs2, `{"alg":"HS256","typ":"JWT","kid":"hs-2"}`, fx.claims())
			},
			want: accept()},
		{name: "HDR-07/kid of one key, signed with the other", config: twoKeys(fx),
			token: func(*env) string {
				return jws("HS256", fx.khs, `{"alg":"HS256","typ":"JWT","kid":"hs-2"}`, fx.claims())
			},
			want: invalidToken(descSignature)},
		{name: "HDR-10/crit unknown extension", token: func(*env) string {
			return fx.withHeader(hdrExtra(`"crit":["x-unknown"],"x-unknown":true`))
		}, want: invalidToken(descCritical)},
		{name: "HDR-11/crit []", token: func(*env) string { return fx.withHeader(hdrExtra(`"crit":[]`)) },
			want: invalidToken(descCritical)},
		{name: `HDR-11/crit ["alg"]`, token: func(*env) string { return fx.withHeader(hdrExtra(`"crit":["alg"]`)) },
			want: invalidToken(descCritical)},
		{name: `HDR-11/crit "x" not an array`, token: func(*env) string { return fx.withHeader(hdrExtra(`"crit":"x","x":1`)) },
			want: invalidToken(descCritical)},
		{name: `HDR-11/crit ["x"] understood but x absent`, config: func(c *jwtgate.Config) { c.CriticalHeaders = []string{"x"} },
			token: func(*env) string { return fx.withHeader(hdrExtra(`"crit":["x"]`)) }, want: invalidToken(descCritical)},
		{name: `HDR-11/crit ["x"] understood and present`, config: func(c *jwtgate.Config) { c.CriticalHeaders = []string{"x"} },
			token: func(*env) string { return fx.withHeader(hdrExtra(`"crit":["x"],"x":1`)) }, want: accept()},
		{name: "HDR-11/b64 false (RFC 7797)", token: func(*env) string {
			// The MAC is over the unencoded payload, as RFC 7797 §3 says.
			h := `{"alg":"HS256","b64":false,"crit":["b64"]}`
			p := fx.claims()
			return b64u(h) + "." + b64u(p) + "." + mac("HS256", fx.khs, b64u(h)+"."+p)
		}, want: invalidToken(descHeader)},
		{name: "HDR-12/cty JWT with a nested token", token: func(*env) string {
			return jws("HS256", fx.khs, hdrExtra(`"cty":"JWT"`), fx.t0())
		}, want: invalidToken(descHeader)},
		{name: "HDR-12/cty JWT with a claims object", token: func(*env) string {
			return fx.withHeader(hdrExtra(`"cty":"JWT"`))
		}, want: invalidToken(descHeader)},
		{name: "HDR-12/typ missing", token: func(*env) string { return fx.withHeader(hdrNoTyp) }, want: accept()},
	}
	for _, typ := range []string{"JWT", "at+jwt", "application/at+jwt", "AT+JWT"} {
		cases = append(cases, testCase{name: "HDR-12/typ " + str(typ), token: func(*env) string { return fx.withHeader(hdrTyp(typ)) },
			want: accept()})
	}
	for _, typ := range []string{"refresh+jwt", "id+jwt", "JOSE"} {
		cases = append(cases, testCase{name: "HDR-12/typ " + str(typ) + " refused", token: func(*env) string { return fx.withHeader(hdrTyp(typ)) },
			want: invalidToken(descType)})
	}
	atOnly := func(c *jwtgate.Config) { c.Types = []string{"at+jwt"} }
	cases = append(cases,
		testCase{name: `HDR-12/Types at+jwt: typ missing refused`, config: atOnly,
			token: func(*env) string { return fx.withHeader(hdrNoTyp) }, want: invalidToken(descType)},
		testCase{name: `HDR-12/Types at+jwt: typ "JWT" refused`, config: atOnly,
			token: func(*env) string { return fx.withHeader(hdrTyp("JWT")) }, want: invalidToken(descType)},
		testCase{name: `HDR-12/Types at+jwt: typ "application/at+jwt" accepted`, config: atOnly,
			token: func(*env) string { return fx.withHeader(hdrTyp("application/at+jwt")) }, want: accept()},
	)
	return cases
}

// twoKeys configures two HS256 keys, hs-1 (K_hs) and hs-2.
func twoKeys(fx *fixture) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) {
		k1 := jwtgate.HMAC(fx.khs, "HS256")
		k1.ID = kidHS
		k2 := jwtgate.HMAC(fx.khs2, "HS256")
		k2.ID = "hs-2"
		c.Keys = jwtgate.NewKeySet(k1, k2)
	}
}

func fmtCases(fx *fixture) []testCase {
	// nest returns {"x":[[…]]} n levels deep inside the default claims.
	nest := func(n int) claimMod { return set("x", strings.Repeat("[", n)+strings.Repeat("]", n)) }
	return []testCase{
		{name: "FMT-01/five segments (JWE shape)", token: token("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d"),
			want: invalidToken(descMalformed)},
		// JSON is not a b64token ('{', '"', ':'): the request is malformed.
		{name: "FMT-02/raw JSON claims object as the token", token: func(*env) string {
			return `{"sub":"admin","exp":` + fx.at(time.Hour) + `}`
		}, want: invalidRequest(descCredential)},
		{name: "FMT-02/KAT N12 flattened JWS JSON", token: token(katN12), want: invalidRequest(descCredential)},
		{name: "FMT-02/base64url of a claims object", token: func(*env) string { return b64u(fx.claims()) },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/header is an array", token: func(*env) string { return fx.withHeader(`[{"alg":"HS256"}]`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/header is a string", token: func(*env) string { return fx.withHeader(`"HS256"`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/header with trailing garbage", token: func(*env) string { return fx.withHeader(hdrHS256 + "x") },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/header with a UTF-8 BOM", token: func(*env) string { return fx.withHeader("\xEF\xBB\xBF" + hdrHS256) },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/header with invalid UTF-8", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"hs-1","x":"a` + "\xff" + `b"}`)
		}, want: invalidToken(descHeader)},
		{name: "FMT-03/claims are an array", token: func(*env) string { return jws("HS256", fx.khs, hdrHS256, "["+fx.claims()+"]") },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/claims are a string", token: func(*env) string { return jws("HS256", fx.khs, hdrHS256, `"user-1"`) },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/claims with trailing garbage", token: func(*env) string { return jws("HS256", fx.khs, hdrHS256, fx.claims()+"x") },
			want: invalidToken(descMalformed)},
		{name: "FMT-03/claims with a UTF-8 BOM", token: func(*env) string {
			return jws("HS256", fx.khs, hdrHS256, "\xEF\xBB\xBF"+fx.claims())
		}, want: invalidToken(descMalformed)},
		{name: "FMT-03/claims in UTF-16LE with BOM", token: func(*env) string {
			return jws("HS256", fx.khs, hdrHS256, utf16LE(fx.claims()))
		}, want: invalidToken(descMalformed)},
		{name: "FMT-03/invalid UTF-8 inside sub", token: func(*env) string { return fx.t0(set("sub", `"adm`+"\xff"+`in"`)) },
			want: invalidToken(descMalformed)},
		{name: "FMT-05/duplicate alg in the header", token: func(*env) string {
			return fx.withHeader(`{"alg":"none","alg":"HS256","typ":"JWT","kid":"hs-1"}`)
		}, want: invalidToken(descAlgorithm)}, // the first alg is refused before the duplicate is seen
		{name: "FMT-05/duplicate allowed alg in the header", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","alg":"HS256","typ":"JWT","kid":"hs-1"}`)
		}, want: invalidToken(descHeader)},
		{name: "FMT-05/duplicate kid in the header", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"nope","kid":"hs-1"}`)
		}, want: invalidToken(descHeader)},
		{name: "FMT-05/duplicate sub", token: func(*env) string { return fx.t0(add("sub", `"admin"`)) },
			want: invalidToken(descMalformed)},
		{name: "FMT-05/duplicate exp, future last", token: func(*env) string {
			return fx.t0(set("exp", fx.at(-time.Hour)), add("exp", fx.at(time.Hour)))
		}, want: invalidToken(descMalformed)},
		{name: "FMT-05/duplicate exp, past last", token: func(*env) string { return fx.t0(add("exp", fx.at(-time.Hour))) },
			want: invalidToken(descMalformed)},
		{name: "FMT-05/duplicate scope", token: func(*env) string { return fx.t0(add("scope", `"admin"`)) },
			want: invalidToken(descMalformed)},
		// Deep nesting inside the size limit is valid JSON signed by the
		// trusted key; nothing in it is read.
		{name: "FMT-07/deep nesting within size", token: func(*env) string { return fx.t0(nest(2000)) }, want: accept()},
		{name: "FMT-07/20000 levels (over the size limit)", token: func(*env) string { return fx.t0(nest(20000)) },
			want: invalidToken(descTooLarge)},
		{name: "FMT-07/12000 levels within a raised limit", config: func(c *jwtgate.Config) { c.MaxTokenSize = 64 << 10 },
			token: func(*env) string { return fx.t0(nest(12000)) }, want: invalidToken(descMalformed)},
		{name: "FMT-08/1 MiB of dots", token: token(strings.Repeat(".", 1<<20)), want: invalidToken(descTooLarge)},
		{name: "FMT-08/1 MiB of a. pairs", token: token(strings.Repeat("a.", 1<<19)), want: invalidToken(descTooLarge)},
		{name: "FMT-09/exactly MaxTokenSize", token: func(*env) string { return fx.ofSize(defaultMaxTokenSize) },
			want: accept()},
		{name: "FMT-09/one byte over MaxTokenSize", token: func(*env) string { return fx.ofSize(defaultMaxTokenSize + 1) },
			want: invalidToken(descTooLarge)},
		{name: "FMT-09/one byte over a configured MaxTokenSize", config: func(c *jwtgate.Config) { c.MaxTokenSize = 1000 },
			token: func(*env) string { return fx.ofSize(1001) }, want: invalidToken(descTooLarge)},
		{name: `FMT-12/"Bearer"`, request: func(e *env) *http.Request { return authorization(e, "Bearer") },
			want: invalidRequest(descCredential)},
		{name: `FMT-12/"Bearer "`, request: func(e *env) *http.Request { return authorization(e, "Bearer ") },
			want: invalidRequest(descCredential)},
		{name: "FMT-12/token without a scheme", request: func(e *env) *http.Request { return authorization(e, e.remember(fx.t0())) },
			want: missingToken()},
		{name: "FMT-12/bearer and the token without a space", request: func(e *env) *http.Request {
			return authorization(e, "bearer"+e.remember(fx.t0()))
		}, want: invalidRequest(descCredential)},
		{name: "FMT-12/a tab instead of a space", request: func(e *env) *http.Request {
			return authorization(e, "Bearer\t"+e.remember(fx.t0()))
		}, want: invalidRequest(descCredential)},
		{name: "FMT-12/two tokens", request: func(e *env) *http.Request {
			return authorization(e, "Bearer "+e.remember(fx.t0())+" "+e.remember(fx.t0()))
		}, want: invalidRequest(descCredential)},
	}
}

// utf16LE encodes an ASCII string as UTF-16LE with a byte order mark.
func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return string(b)
}

func timeCases(fx *fixture) []testCase {
	leeway := func(d time.Duration) func(*jwtgate.Config) { return func(c *jwtgate.Config) { c.Leeway = d } }
	return []testCase{
		{name: "TIME-01/expired one second ago", token: func(*env) string { return fx.t0(set("exp", fx.at(-time.Second))) },
			want: invalidToken(descExpired)},
		{name: "TIME-01/expired beyond the leeway", config: leeway(30 * time.Second),
			token: func(*env) string { return fx.t0(set("exp", fx.at(-31*time.Second))) }, want: invalidToken(descExpired)},
		{name: "TIME-01/RFC 7515 A.1 at the suite clock", config: katAtSuiteClock(fx), token: token(rfcA1),
			want: invalidToken(descExpired)},
		{name: "TIME-02/exp now", token: func(*env) string { return fx.t0(set("exp", fx.at(0))) }, want: invalidToken(descExpired)},
		{name: "TIME-02/exp now+1", token: func(*env) string { return fx.t0(set("exp", fx.at(time.Second))) }, want: accept()},
		{name: "TIME-02/leeway 60s, exp now-30", config: leeway(60 * time.Second),
			token: func(*env) string { return fx.t0(set("exp", fx.at(-30*time.Second))) }, want: accept()},
		{name: "TIME-03/nbf in the future", token: func(*env) string { return fx.t0(set("nbf", fx.at(time.Second))) },
			want: invalidToken(descNotYetValid)},
		{name: "TIME-03/nbf beyond the leeway", config: leeway(30 * time.Second),
			token: func(*env) string { return fx.t0(set("nbf", fx.at(31*time.Second))) }, want: invalidToken(descNotYetValid)},
		{name: "TIME-03/nbf now", token: func(*env) string { return fx.t0(set("nbf", fx.at(0))) }, want: accept()},
		{name: "TIME-04/iat in the future beyond the leeway", config: leeway(30 * time.Second),
			token: func(*env) string { return fx.t0(set("iat", fx.at(31*time.Second))) }, want: invalidToken(descFuture)},
		{name: "TIME-04/iat in the future within the leeway", config: leeway(30 * time.Second),
			token: func(*env) string { return fx.t0(set("iat", fx.at(29*time.Second))) }, want: accept()},
		{name: "TIME-05/exp missing", token: func(*env) string { return fx.t0(del("exp")) }, want: invalidToken(descRequiredClaim)},
		{name: "TIME-05/exp missing with ExpirationOptional", config: func(c *jwtgate.Config) { c.ExpirationOptional = true },
			token: func(*env) string { return fx.t0(del("exp")) }, want: accept()},
		{name: "TIME-07/exp as a numeric string", token: func(*env) string { return fx.t0(set("exp", `"`+fx.at(time.Hour)+`"`)) },
			want: invalidToken(descMalformed)},
		{name: "TIME-07/nbf as a numeric string", token: func(*env) string { return fx.t0(set("nbf", `"`+fx.at(0)+`"`)) },
			want: invalidToken(descMalformed)},
		{name: `TIME-07/exp ""`, token: func(*env) string { return fx.t0(set("exp", `""`)) }, want: invalidToken(descMalformed)},
		{name: "TIME-07/exp null", token: func(*env) string { return fx.t0(set("exp", `null`)) }, want: invalidToken(descMalformed)},
		{name: "TIME-08/fractional exp", token: func(*env) string { return fx.t0(set("exp", fx.at(300*time.Second)+".5")) },
			want: accept()},
		{name: "TIME-08/exp 1e20", token: func(*env) string { return fx.t0(set("exp", "1e20")) }, want: invalidToken(descMalformed)},
		{name: "TIME-08/negative exp", token: func(*env) string { return fx.t0(set("exp", "-1")) }, want: invalidToken(descMalformed)},
		// TIME-11: the default leeway (DefaultLeeway, 60 s) tolerates an
		// issuer whose clock runs ahead and a token checked as it expires.
		{name: "TIME-11/default leeway: iat two seconds ahead", config: leeway(0),
			token: func(*env) string { return fx.t0(set("iat", fx.at(2*time.Second)), set("nbf", fx.at(2*time.Second))) }, want: accept()},
		{name: "TIME-11/default leeway: expired 59 seconds ago", config: leeway(0),
			token: func(*env) string { return fx.t0(set("exp", fx.at(-59*time.Second))) }, want: accept()},
		{name: "TIME-11/default leeway: expired 61 seconds ago", config: leeway(0),
			token: func(*env) string { return fx.t0(set("exp", fx.at(-61*time.Second))) }, want: invalidToken(descExpired)},
		{name: "TIME-11/NoLeeway: iat one second ahead", config: leeway(jwtgate.NoLeeway),
			token: func(*env) string { return fx.t0(set("iat", fx.at(time.Second))) }, want: invalidToken(descFuture)},
	}
}

// katAtSuiteClock is the A.1 verifier at the suite's own clock (2026).
func katAtSuiteClock(fx *fixture) func(*jwtgate.Config) { return katConfig(fx.now.Unix()) }

func idCases(fx *fixture) []testCase {
	audiences := func(auds ...string) func(*jwtgate.Config) { return func(c *jwtgate.Config) { c.Audience = auds } }
	twoIssuers := func(c *jwtgate.Config) { c.Issuer = []string{issuer, "https://other.example"} }
	subject := func(c *jwtgate.Config) { c.Subject = "user-1" }
	requireSub := func(c *jwtgate.Config) { c.RequiredClaims = []string{"sub"} }
	cases := []testCase{
		{name: "ID-01/wrong audience", token: func(*env) string { return fx.t0(set("aud", `"api://other"`)) },
			want: invalidToken(descAudience)},
		{name: "ID-02/aud array containing ours", token: func(*env) string { return fx.t0(set("aud", `["api://other","api://svc"]`)) },
			want: accept()},
		{name: "ID-02/aud array without ours", token: func(*env) string { return fx.t0(set("aud", `["api://other"]`)) },
			want: invalidToken(descAudience)},
		{name: "ID-02/aud []", token: func(*env) string { return fx.t0(set("aud", `[]`)) }, want: invalidToken(descRequiredClaim)},
		{name: `ID-02/aud ""`, token: func(*env) string { return fx.t0(set("aud", `""`)) }, want: invalidToken(descRequiredClaim)},
		{name: "ID-02/aud missing", token: func(*env) string { return fx.t0(del("aud")) }, want: invalidToken(descRequiredClaim)},
		// Not a string nor an array of strings: the claims are malformed.
		{name: "ID-02/aud null", token: func(*env) string { return fx.t0(set("aud", `null`)) }, want: invalidToken(descMalformed)},
	}
	for _, aud := range []string{`123`, `true`, `{"a":1}`, `["api://svc",5]`, `[["api://svc"]]`, `["api://svc",null]`} {
		cases = append(cases, testCase{name: "ID-03/aud " + aud, token: func(*env) string { return fx.t0(set("aud", aud)) },
			want: invalidToken(descMalformed)})
	}
	cases = append(cases,
		testCase{name: "ID-05/two audiences: token for the second", config: audiences("api://a", audience),
			token: func(*env) string { return fx.t0() }, want: accept()},
		testCase{name: "ID-05/two audiences: token for the first, listed last", config: audiences("api://a", audience),
			token: func(*env) string { return fx.t0(set("aud", `["api://b","api://a"]`)) }, want: accept()},
		testCase{name: "ID-05/two audiences in the other order", config: audiences(audience, "api://a"),
			token: func(*env) string { return fx.t0(set("aud", `["api://a"]`)) }, want: accept()},
		testCase{name: "ID-05/two audiences: token for neither", config: audiences("api://a", audience),
			token: func(*env) string { return fx.t0(set("aud", `["api://c"]`)) }, want: invalidToken(descAudience)},
	)
	for _, iss := range []string{"https://evil.example", "https://ISSUER.example", "https://issuer.example/", " https://issuer.example"} {
		cases = append(cases, testCase{name: "ID-06/issuer " + str(iss), token: func(*env) string { return fx.t0(set("iss", str(iss))) },
			want: invalidToken(descIssuer)})
	}
	cases = append(cases,
		testCase{name: "ID-06/issuer missing", token: func(*env) string { return fx.t0(del("iss")) }, want: invalidToken(descRequiredClaim)},
		testCase{name: "ID-06/issuer 123", token: func(*env) string { return fx.t0(set("iss", `123`)) }, want: invalidToken(descMalformed)},
		testCase{name: "ID-06/two issuers: the first", config: twoIssuers, token: func(*env) string { return fx.t0() }, want: accept()},
		testCase{name: "ID-06/two issuers: the second", config: twoIssuers,
			token: func(*env) string { return fx.t0(set("iss", `"https://other.example"`)) }, want: accept()},
		testCase{name: "ID-06/two issuers: a third", config: twoIssuers,
			token: func(*env) string { return fx.t0(set("iss", `"https://evil.example"`)) }, want: invalidToken(descIssuer)},
		testCase{name: "ID-06/two issuers: issuer missing", config: twoIssuers,
			token: func(*env) string { return fx.t0(del("iss")) }, want: invalidToken(descIssuer)},
		testCase{name: "ID-08/Subject: the right sub", config: subject, token: func(*env) string { return fx.t0() }, want: accept()},
		testCase{name: "ID-08/Subject: another sub", config: subject,
			token: func(*env) string { return fx.t0(set("sub", `"user-2"`)) }, want: invalidToken(descSubject)},
		testCase{name: "ID-08/Subject: sub missing", config: subject,
			token: func(*env) string { return fx.t0(del("sub")) }, want: invalidToken(descRequiredClaim)},
		testCase{name: `ID-08/Subject: sub ""`, config: subject,
			token: func(*env) string { return fx.t0(set("sub", `""`)) }, want: invalidToken(descRequiredClaim)},
		testCase{name: "ID-08/Subject: sub 123", config: subject,
			token: func(*env) string { return fx.t0(set("sub", `123`)) }, want: invalidToken(descMalformed)},
		testCase{name: "ID-08/RequiredClaims sub: present", config: requireSub, token: func(*env) string { return fx.t0() }, want: accept()},
		testCase{name: "ID-08/RequiredClaims sub: missing", config: requireSub,
			token: func(*env) string { return fx.t0(del("sub")) }, want: invalidToken(descRequiredClaim)},
		// RFC 7519 §4.1.2: sub is a StringOrURI identifying the principal; an
		// empty string identifies no one, and golang-jwt's own required-claim
		// rule (WithSubject) treats "" as missing. A required sub must not be "".
		testCase{name: `ID-08/RequiredClaims sub: sub ""`, config: requireSub,
			token: func(*env) string { return fx.t0(set("sub", `""`)) }, want: invalidToken(descRequiredClaim)},
		// sub and jti are strings (RFC 7519 §4.1.2, §4.1.7): null is the wrong
		// JSON type, refused as malformed whether or not the claim is required.
		testCase{name: "ID-08/RequiredClaims sub: sub null", config: requireSub,
			token: func(*env) string { return fx.t0(set("sub", `null`)) }, want: invalidToken(descMalformed)},
		testCase{name: "ID-08/RequiredClaims sub: sub 123", config: requireSub,
			token: func(*env) string { return fx.t0(set("sub", `123`)) }, want: invalidToken(descMalformed)},
		testCase{name: "ID-08/RequiredClaims sub: sub {}", config: requireSub,
			token: func(*env) string { return fx.t0(set("sub", `{}`)) }, want: invalidToken(descMalformed)},
	)
	// encoding/json matches names case-insensitively: a verifier that let "EXP"
	// or "Iss" through would read them as exp and iss.
	for _, name := range []string{"EXP", "Iss", "Sub", "AUD"} {
		cases = append(cases, testCase{name: "ID-08/claim name " + str(name), token: func(*env) string {
			return fx.t0(add(name, `"x"`))
		}, want: invalidToken(descMalformed)})
	}
	cases = append(cases,
		testCase{name: "ID-08/claim name EXP alone", token: func(*env) string {
			return fx.t0(del("exp"), set("EXP", fx.at(time.Hour)))
		}, want: invalidToken(descMalformed)},
		testCase{name: "ID-09/scope lacks admin", scopes: []string{"admin"}, token: func(*env) string { return fx.t0() },
			want: insufficientScope("admin")},
		testCase{name: "ID-09/scope missing", scopes: []string{"admin"}, token: func(*env) string { return fx.t0(del("scope")) },
			want: insufficientScope("admin")},
		testCase{name: "ID-09/scope present", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `"read admin"`)) }, want: accept()},
		testCase{name: "ID-09/scp array", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(del("scope"), set("scp", `["read","admin"]`)) },
			want:  want{status: http.StatusOK, accepted: true, scopes: []string{"read", "admin"}}},
		testCase{name: "ID-09/two required scopes granted", scopes: []string{"read", "admin"},
			token: func(*env) string { return fx.t0(set("scope", `"read admin"`)) }, want: accept()},
		testCase{name: "ID-09/two required scopes, one granted", scopes: []string{"read", "admin"},
			token: func(*env) string { return fx.t0() }, want: insufficientScope("read", "admin")},
		testCase{name: "ID-09/scope matching is exact", scopes: []string{"admin"},
			token: func(*env) string { return fx.t0(set("scope", `"read Admin admin:read administrator"`)) }, want: insufficientScope("admin")},
	)
	return cases
}

func trCases(fx *fixture) []testCase {
	cookieOrHeader := extractor(extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")))
	queryOrHeader := extractor(extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Query("access_token")))
	cookieOrQuery := extractor(extractors.Exclusive(extractors.Cookie("access_token"), extractors.Query("access_token")))
	query := extractor(extractors.Query("access_token"))
	cookie := extractor(extractors.Cookie("access_token"))

	withCookie := func(r *http.Request, line string) *http.Request {
		r.Header.Add("Cookie", line)
		return r
	}
	scheme := func(s string) func(e *env) *http.Request {
		return func(e *env) *http.Request { return authorization(e, s+" "+e.remember(fx.t0())) }
	}
	form := func(method string) func(e *env) *http.Request {
		return func(e *env) *http.Request {
			r := httptest.NewRequest(method, "/protected", strings.NewReader("access_token="+e.remember(fx.t0())))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}
	}
	cases := []testCase{
		{name: "TR-01/no credentials", request: func(*env) *http.Request { return get("/protected") }, want: missingToken()},
		{name: "TR-01/empty Authorization header", request: func(e *env) *http.Request { return authorization(e, "") }, want: missingToken()},
		{name: "TR-02/Basic scheme", request: func(e *env) *http.Request { return authorization(e, "Basic dXNlcjpwYXNz") }, want: missingToken()},
		{name: "TR-02/Token scheme", request: scheme("Token"), want: missingToken()},
		{name: "TR-02/DPoP scheme", request: scheme("DPoP"), want: missingToken()},
	}
	for _, s := range []string{"bearer", "BEARER", "BeArEr"} {
		cases = append(cases, testCase{name: "TR-03/scheme " + s, request: scheme(s), want: accept()})
	}
	cases = append(cases,
		testCase{name: "TR-03/several spaces after the scheme", request: scheme("Bearer  "), want: accept()},
		testCase{name: "TR-04/header and cookie", config: cookieOrHeader, request: func(e *env) *http.Request {
			tok := e.remember(fx.t0())
			return withCookie(authorization(e, "Bearer "+tok), "access_token="+tok)
		}, want: invalidRequest(descMultiple)},
		testCase{name: "TR-04/valid header and invalid cookie", config: cookieOrHeader, request: func(e *env) *http.Request {
			bad := e.remember(jws("HS256", fx.attacker, hdrHS256, fx.claims(set("sub", `"admin"`))))
			return withCookie(bearer(e, fx.t0()), "access_token="+bad)
		}, want: invalidRequest(descMultiple)},
		testCase{name: "TR-04/invalid header and valid cookie", config: cookieOrHeader, request: func(e *env) *http.Request {
			bad := jws("HS256", fx.attacker, hdrHS256, fx.claims(set("sub", `"admin"`)))
			return withCookie(bearer(e, bad), "access_token="+e.remember(fx.t0()))
		}, want: invalidRequest(descMultiple)},
		testCase{name: "TR-04/cookie alone", config: cookieOrHeader, request: func(e *env) *http.Request {
			return withCookie(get("/protected"), "access_token="+e.remember(fx.t0()))
		}, want: accept()},
		testCase{name: "TR-04/header and query", config: queryOrHeader, request: func(e *env) *http.Request {
			r := get("/protected?access_token=" + e.remember(fx.t0()))
			r.Header.Set("Authorization", "Bearer "+e.remember(fx.t0()))
			return r
		}, want: invalidRequest(descMultiple)},
		testCase{name: "TR-04/cookie and query, the same token", config: cookieOrQuery, request: func(e *env) *http.Request {
			tok := e.remember(fx.t0())
			return withCookie(get("/protected?access_token="+tok), "access_token="+tok)
		}, want: invalidRequest(descMultiple)},
		testCase{name: "TR-05/two Authorization header lines", request: func(e *env) *http.Request {
			return authorization(e, "Bearer "+e.remember(fx.t0()), "Bearer "+e.remember(fx.t0()))
		}, want: invalidRequest(descRepeated)},
		testCase{name: "TR-05/Basic and Bearer header lines", request: func(e *env) *http.Request {
			return authorization(e, "Basic dXNlcjpwYXNz", "Bearer "+e.remember(fx.t0()))
		}, want: invalidRequest(descRepeated)},
		testCase{name: "TR-05/two access_token cookies", config: cookie, request: func(e *env) *http.Request {
			return withCookie(get("/protected"), "access_token="+e.remember(fx.t0())+"; access_token="+e.remember(fx.t0()))
		}, want: invalidRequest(descRepeated)},
		testCase{name: "TR-05/two access_token cookie lines", config: cookie, request: func(e *env) *http.Request {
			tok := e.remember(fx.t0())
			return withCookie(withCookie(get("/protected"), "access_token="+tok), "access_token="+tok)
		}, want: invalidRequest(descRepeated)},
		testCase{name: "TR-05/access_token twice in the query", config: query, request: func(e *env) *http.Request {
			return get("/protected?access_token=" + e.remember(fx.t0()) + "&access_token=" + e.remember(fx.t0()))
		}, want: invalidRequest(descRepeated)},
		testCase{name: "TR-06/query enabled", config: query, request: func(e *env) *http.Request {
			return get("/protected?access_token=" + e.remember(fx.t0()))
		}, want: want{status: http.StatusOK, accepted: true, private: true}},
		testCase{name: "TR-06/query enabled, escaped name", config: query, request: func(e *env) *http.Request {
			return get("/protected?access%5Ftoken=" + e.remember(fx.t0()))
		}, want: want{status: http.StatusOK, accepted: true, private: true}},
		testCase{name: "TR-06/query disabled", request: func(e *env) *http.Request {
			return get("/protected?access_token=" + e.remember(fx.t0()))
		}, want: missingToken()},
		testCase{name: "TR-06/CR LF after the query token", config: query, request: func(e *env) *http.Request {
			return get("/protected?access_token=" + e.remember(fx.t0()) + "%0D%0A")
		}, want: invalidRequest(descCredential)},
		testCase{name: "TR-06/space in the query token", config: query, request: func(e *env) *http.Request {
			return get("/protected?access_token=" + url.QueryEscape(e.remember(fx.t0())+" x"))
		}, want: invalidRequest(descCredential)},
		testCase{name: "TR-08/form body POST with the default extractor", request: form(http.MethodPost), want: missingToken()},
		testCase{name: "TR-08/form body GET with the default extractor", request: form(http.MethodGet), want: missingToken()},
		testCase{name: "TR-08/form extractor never reads a GET body", config: extractor(extractors.Form("access_token")),
			request: form(http.MethodGet), want: missingToken()},
		testCase{name: "TR-08/form extractor on POST", config: extractor(extractors.Form("access_token")),
			request: form(http.MethodPost), want: accept()},
	)
	return cases
}

func revCases(fx *fixture) []testCase {
	return []testCase{
		{name: "REV-01/revoked jti", rev: &revokerSpec{revoked: []string{"revoked-1"}, wantCalls: 1},
			token: func(*env) string { return fx.t0(set("jti", `"revoked-1"`)) }, want: invalidToken(descRevoked)},
		{name: "REV-01/jti not revoked", rev: &revokerSpec{revoked: []string{"revoked-1"}, wantCalls: 1},
			token: func(*env) string { return fx.t0() }, want: accept()},
		// The store is keyed by (iss, jti): the same jti from another issuer is
		// another token.
		{name: "REV-01/revoked jti of another issuer", rev: &revokerSpec{revoked: []string{"revoked-1"}, wantCalls: 1},
			config: func(c *jwtgate.Config) { c.Issuer = []string{issuer, "https://other.example"} },
			token: func(*env) string {
				return fx.t0(set("iss", `"https://other.example"`), set("jti", `"revoked-1"`))
			}, want: accept()},
		{name: "REV-03/forged token never reaches the revoker", rev: &revokerSpec{revoked: []string{"revoked-1"}, wantCalls: 0},
			token: func(*env) string {
				return jws("HS256", fx.attacker, hdrHS256, fx.claims(set("jti", `"revoked-1"`)))
			}, want: invalidToken(descSignature)},
		{name: "REV-03/expired token never reaches the revoker", rev: &revokerSpec{revoked: []string{"revoked-1"}, wantCalls: 0},
			token: func(*env) string {
				return fx.t0(set("jti", `"revoked-1"`), set("exp", fx.at(-time.Minute)))
			}, want: invalidToken(descExpired)},
		{name: "REV-03/revoker error fails closed", rev: &revokerSpec{fail: true, wantCalls: 1},
			token: func(*env) string { return fx.t0() }, want: unavailable()},
		{name: "REV-03/revoker error with RevocationFailOpen", rev: &revokerSpec{fail: true, failOpen: true, wantCalls: 1},
			token: func(*env) string { return fx.t0() }, want: accept()},
		{name: "REV-04/no jti with a Revoker", rev: &revokerSpec{wantCalls: 0},
			token: func(*env) string { return fx.t0(del("jti")) }, want: invalidToken(descRequiredClaim)},
		{name: "REV-04/jti null with a Revoker", rev: &revokerSpec{wantCalls: 0},
			token: func(*env) string { return fx.t0(set("jti", `null`)) }, want: invalidToken(descMalformed)},
		// RFC 7519 §4.1.7: a jti must be unique; "" is every such token's jti,
		// so it cannot be revoked on its own.
		{name: `REV-04/jti "" with a Revoker`, rev: &revokerSpec{wantCalls: 0},
			token: func(*env) string { return fx.t0(set("jti", `""`)) }, want: invalidToken(descRequiredClaim)},
		{name: "REV-05/expired and badly signed", token: func(*env) string {
			return jws("HS256", fx.attacker, hdrHS256, fx.claims(set("exp", fx.at(-time.Hour))))
		}, want: invalidToken(descSignature)},
		// A verifier accepts a token until exp + its leeway (60 s by
		// default), so the store must remember its revocation as long: the
		// memory store, revoked by jti until exp, 30 s past exp.
		{name: "REV-06/a token revoked until its exp, within the leeway after it",
			config: func(c *jwtgate.Config) {
				exp := fx.now.Add(-30 * time.Second)
				clock := exp.Add(-time.Hour)
				store := issuing.NewMemoryStore(func() time.Time { return clock })
				if err := store.RevokeToken(context.Background(), "revoked-6", exp); err != nil {
					panic("jwtgatetest: " + err.Error())
				}
				clock = fx.now
				c.Revoker = store
				c.Leeway = jwtgate.DefaultLeeway
			},
			token: func(*env) string {
				return fx.t0(set("jti", `"revoked-6"`), set("iat", fx.at(-time.Hour)), set("nbf", fx.at(-time.Hour)), set("exp", fx.at(-30*time.Second)))
			}, want: invalidToken(descRevoked)},
		// "Log out everywhere" must outlast every token of the subject a
		// verifier accepts, an identity provider's 30-day token included:
		// the Issuer's mark, made 8 days ago, with the defaults.
		{name: "REV-07/log out everywhere outlasts a 30-day token",
			config: func(c *jwtgate.Config) {
				clock := fx.now.Add(-9 * 24 * time.Hour)
				store := issuing.NewMemoryStore(func() time.Time { return clock })
				iss, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(fx.khs, "HS256"), Issuer: issuer, Audience: []string{audience},
					Store: store, Now: func() time.Time { return clock }})
				if err != nil {
					panic("jwtgatetest: " + err.Error())
				}
				clock = fx.now.Add(-8 * 24 * time.Hour)
				if err := iss.RevokeSubject(context.Background(), "user-1"); err != nil {
					panic("jwtgatetest: " + err.Error())
				}
				clock = fx.now
				c.Revoker = store
			},
			token: func(*env) string {
				return fx.t0(set("iat", fx.at(-8*24*time.Hour-time.Hour)), set("nbf", fx.at(-8*24*time.Hour-time.Hour)), set("exp", fx.at(22*24*time.Hour)))
			}, want: invalidToken(descRevoked)},
	}
}

func rspCases(fx *fixture) []testCase {
	// Every case checks the challenge syntax (see runCase); these put the
	// characters RFC 6750 §3 forbids into the token fields a careless
	// middleware would format into its error.
	const nasty = `a\"b\\c,d\r\n, error=\"x\", error_description=\"y\"`
	return []testCase{
		{name: "RSP-01/bad signature leaks nothing", token: func(*env) string { return jws("HS256", fx.attacker, hdrHS256, fx.claims()) },
			want: invalidToken(descSignature)},
		{name: "RSP-02/kid with quotes, backslash, comma, CR LF and error=", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"` + nasty + `"}`)
		}, want: invalidToken(descUnknownKey)},
		{name: "RSP-02/iss with quotes, backslash, comma, CR LF and error=", token: func(*env) string {
			return fx.t0(set("iss", `"`+nasty+`"`))
		}, want: invalidToken(descIssuer)},
		{name: "RSP-02/alg with quotes, backslash, comma, CR LF and error=", token: func(*env) string {
			return fx.withHeader(`{"alg":"` + nasty + `","typ":"JWT","kid":"hs-1"}`)
		}, want: invalidToken(descAlgorithm)},
		{name: "RSP-02/non-ASCII kid", token: func(*env) string {
			return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"ключ\u2028"}`)
		}, want: invalidToken(descUnknownKey)},
		{name: "RSP-05/unknown kid", token: func(*env) string { return fx.withHeader(`{"alg":"HS256","typ":"JWT","kid":"hs-9"}`) },
			want: invalidToken(descUnknownKey)},
		{name: "RSP-05/bad signature", token: func(*env) string { return jws("HS256", fx.khs2, hdrHS256, fx.claims()) },
			want: invalidToken(descSignature)},
		{name: "RSP-05/expired", token: func(*env) string { return fx.t0(set("exp", fx.at(-time.Minute))) },
			want: invalidToken(descExpired)},
		{name: "RSP-05/revoked", rev: &revokerSpec{revoked: []string{"rsp-05"}, wantCalls: 1},
			token: func(*env) string { return fx.t0(set("jti", `"rsp-05"`)) }, want: invalidToken(descRevoked)},
	}
}

func optionalCases(fx *fixture) []testCase {
	optional := func(c *jwtgate.Config) { c.CredentialsOptional = true }
	return []testCase{
		{name: "OPT/CredentialsOptional without a token", config: optional,
			request: func(*env) *http.Request { return get("/protected") },
			want:    want{status: http.StatusOK, accepted: true, noToken: true}},
		{name: "OPT/CredentialsOptional with a valid token", config: optional, token: func(*env) string { return fx.t0() },
			want: accept()},
		{name: "OPT/CredentialsOptional with a bad token", config: optional,
			token: func(*env) string { return jws("HS256", fx.attacker, hdrHS256, fx.claims()) }, want: invalidToken(descSignature)},
		{name: "OPT/CredentialsOptional with an expired token", config: optional,
			token: func(*env) string { return fx.t0(set("exp", fx.at(-time.Minute))) }, want: invalidToken(descExpired)},
		{name: "OPT/CredentialsOptional with a malformed Bearer header", config: optional,
			request: func(e *env) *http.Request { return authorization(e, "Bearer ") }, want: invalidRequest(descCredential)},
		{name: "OPT/CredentialsOptional, scopes required, no token", config: optional, scopes: []string{"admin"},
			request: func(*env) *http.Request { return get("/protected") }, want: missingToken()},
		{name: "OPT/CredentialsOptional, scopes required, token lacks them", config: optional, scopes: []string{"admin"},
			token: func(*env) string { return fx.t0() }, want: insufficientScope("admin")},
	}
}

func customCases(fx *fixture) []testCase {
	tenant := func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return &tenantClaims{} } }
	return []testCase{
		{name: "CUSTOM/Config.Validate refuses", config: func(c *jwtgate.Config) {
			c.Validate = func(context.Context, *jwtgate.Token) error { return errors.New("jwtgatetest: refused") }
		}, token: func(*env) string { return fx.t0() }, want: invalidToken(descClaims)},
		{name: "CUSTOM/Config.Validate sees the verified token", config: func(c *jwtgate.Config) {
			c.Validate = func(_ context.Context, t *jwtgate.Token) error {
				if t.Subject != "user-1" || t.Issuer != issuer || t.Algorithm != "HS256" || t.KeyID != kidHS {
					return errors.New("jwtgatetest: unexpected token")
				}
				return nil
			}
		}, token: func(*env) string { return fx.t0() }, want: accept()},
		{name: "CUSTOM/Config.Validate is not reached by a forged token", config: func(c *jwtgate.Config) {
			// Were it called first, the answer would say "claims are not
			// accepted" instead of the signature.
			c.Validate = func(context.Context, *jwtgate.Token) error {
				return errors.New("jwtgatetest: Validate called for a forged token")
			}
		}, token: func(*env) string { return jws("HS256", fx.attacker, hdrHS256, fx.claims()) }, want: invalidToken(descSignature)},
		{name: "CUSTOM/claims type Validate fails", config: tenant,
			token: func(*env) string { return fx.t0(set("tid", `"evil"`)) }, want: invalidToken(descClaims)},
		{name: "CUSTOM/claims type Validate passes", config: tenant,
			token: func(*env) string { return fx.t0(set("tid", `"acme"`)) },
			want:  want{status: http.StatusOK, accepted: true, claimsType: "*jwtgatetest.tenantClaims"}},
		{name: "CUSTOM/claims type: the core's rules still apply", config: tenant,
			token: func(*env) string { return fx.t0(set("tid", `"acme"`), set("exp", fx.at(-time.Second))) },
			want:  invalidToken(descExpired)},
	}
}

func katCases(fx *fixture) []testCase {
	before := katConfig(rfcA1Exp - 1)
	return []testCase{
		{name: "KAT/RFC 7515 A.1 one second before exp", config: before, token: token(rfcA1), want: accept()},
		{name: "KAT/RFC 7515 A.1 at exp", config: katConfig(rfcA1Exp), token: token(rfcA1), want: invalidToken(descExpired)},
		{name: "KAT/RFC 7515 A.5 alg none", config: before, token: token(rfcA5), want: invalidToken(descAlgorithm)},
		// Strict base64url (RFC 4648 §3.5): non-zero trailing bits are refused,
		// so the token has one encoding and a revocation entry one key.
		{name: "KAT/N1 non-canonical last character", config: before, token: token(katN1), want: invalidToken(descMalformed)},
		{name: "KAT/N2 CR LF after the token", config: before,
			request: func(e *env) *http.Request { return authorization(e, "Bearer "+e.remember(rfcA1)+"\r\n") },
			want:    invalidRequest(descCredential)},
		{name: "KAT/N8 embedded Ed25519 jwk", config: before, token: token(katN8), want: invalidToken(descAlgorithm)}, // EdDSA is refused before the jwk
		// The A.1 key has no ID, so it answers any kid; the empty-key MAC
		// does not verify with it.
		{name: "KAT/N9 kid path traversal with the empty key", config: before, token: token(katN9), want: invalidToken(descSignature)},
		{name: "KAT/N10 unknown crit", config: before, token: token(katN10), want: invalidToken(descCritical)},
		{name: "KAT/N11 A.1 key used with HS512", config: before, token: token(katN11), want: invalidToken(descAlgorithm)},
		{name: "KAT/N11 with an HS256 and an HS512 key", config: func(c *jwtgate.Config) {
			before(c)
			k512 := jwtgate.HMAC(fx.khs512, "HS512")
			k512.ID = "hs-512"
			k256 := jwtgate.HMAC(rfcA1Key(), "HS256")
			k256.ID = "a1"
			c.Keys = jwtgate.NewKeySet(k256, k512)
		}, token: token(katN11), want: invalidToken(descSignature)},
	}
}

// defaultMaxTokenSize is the core's default Config.MaxTokenSize: 8 KiB.
const defaultMaxTokenSize = 8 << 10
