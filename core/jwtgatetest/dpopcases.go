package jwtgatetest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/extractors"
)

// DPoP (RFC 9449): sender-constrained tokens, each request with a proof of
// the client's key. The proofs are made by DPoPKey (the standard library's
// crypto, not jwtgate's signing code); the tokens are the suite's HS256
// tokens with a cnf.jkt claim.

const (
	dpopAlgs = "ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519"
	// dpopChallenge is the DPoP challenge of an Authenticator with the
	// default algorithms (RFC 9449 §7.1).
	dpopChallenge = `DPoP realm="` + realm + `", algs="` + dpopAlgs + `"`
	// dpopURL is what a proof's htu names for the suite's request: the
	// request goes to GET /protected, Host example.com, over plain HTTP.
	dpopURL = "http://example.com/protected"

	descProof    = "The DPoP proof is invalid"
	descNonce    = "The resource server requires a nonce in the DPoP proof"
	descBound    = "The access token is bound to a key: present it with DPoP"
	descNotBound = "The access token is not bound to a key"
	descDPoPOnly = "The access token must be presented with DPoP"
)

// dpopKeys are the clients' keys, made once per process: an RSA key takes a
// while, and CaseCount builds the table too.
var dpopKeys = sync.OnceValue(func() map[string]*DPoPKey {
	return map[string]*DPoPKey{
		"ES256": NewDPoPKey("ES256"), "other": NewDPoPKey("ES256"), "ES384": NewDPoPKey("ES384"),
		"EdDSA": NewDPoPKey("EdDSA"), "PS256": NewDPoPKey("PS256"), "RS256": NewDPoPKey("RS256"),
	}
})

// nonceKey is the key of the suite's DPoP nonces.
var nonceKey = []byte("jwtgatetest dpop nonces key, 32+ bytes long")

// dpopConfig turns DPoP on, with a replay store of the case's own, and
// mods applied.
func (fx *fixture) dpopConfig(mods ...func(*dpop.Config)) func(*jwtgate.Config) {
	return func(c *jwtgate.Config) {
		now := fx.now
		d := &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return now })}
		for _, m := range mods {
			m(d)
		}
		c.DPoP = d
	}
}

// bound is a valid token bound to k.
func (fx *fixture) bound(k *DPoPKey, mods ...claimMod) string {
	return fx.t0(append([]claimMod{set("cnf", `{"jkt":"`+k.JKT()+`"}`)}, mods...)...)
}

// dpopRequest is GET /protected with "Authorization: DPoP <tok>" and one DPoP
// header per proof.
func dpopRequest(e *env, tok string, proofs ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/protected", nil)
	for _, p := range proofs {
		r.Header.Add("DPoP", e.remember(p))
	}
	// The token last: an accepted request's is the last one sent.
	r.Header.Set("Authorization", "DPoP "+e.remember(tok))
	return r
}

// dpopWant is a DPoP refusal on a route that accepts both kinds of token:
// the error in the DPoP challenge, after the bare Bearer one.
func dpopWant(code, desc string) want {
	return want{
		status:    http.StatusUnauthorized,
		challenge: bareChallenge + ", " + dpopChallenge + `, error="` + code + `", error_description="` + desc + `"`,
		code:      code,
		desc:      desc,
	}
}

// bearerRefusal is invalid_token for a Bearer request on a route that
// accepts both kinds of token: the error in the Bearer challenge.
func bearerRefusal(desc string) want {
	w := invalidToken(desc)
	w.challenge += ", " + dpopChallenge
	return w
}

func badProof() want { return dpopWant("invalid_dpop_proof", descProof) }

// failingReplay is a replay store that cannot answer.
type failingReplay struct{}

func (failingReplay) Remember(context.Context, string, time.Time, time.Time) (bool, error) {
	return false, errors.New("jwtgatetest: replay store down")
}

func dpopCases(fx *fixture) []testCase {
	keys := dpopKeys()
	k, other := keys["ES256"], keys["other"]
	on := fx.dpopConfig()
	// proof is a correct proof of k for the suite's request and tok.
	proof := func(tok string, o ...ProofOptions) string {
		var opt ProofOptions
		if len(o) > 0 {
			opt = o[0]
		}
		return k.Proof(http.MethodGet, dpopURL, fx.now, tok, opt)
	}
	// with builds a case whose request is tok with the proof that p makes.
	with := func(name string, config func(*jwtgate.Config), p func(tok string) string, w want) testCase {
		return testCase{name: name, config: config, want: w, request: func(e *env) *http.Request {
			tok := fx.bound(k)
			return dpopRequest(e, tok, p(tok))
		}}
	}
	claims := func(tok string, members ...string) string {
		return k.Proof(http.MethodGet, dpopURL, fx.now, tok, ProofOptions{Claims: "{" + strings.Join(members, ",") + "}"})
	}
	header := func(h string) func(string) string {
		return func(tok string) string {
			return k.Proof(http.MethodGet, dpopURL, fx.now, tok, ProofOptions{Header: h})
		}
	}
	htuIs := func(htu string) func(string) string {
		return func(tok string) string { return k.Proof(http.MethodGet, htu, fx.now, tok, ProofOptions{}) }
	}
	iatAt := func(d time.Duration) func(string) string {
		return func(tok string) string { return k.Proof(http.MethodGet, dpopURL, fx.now.Add(d), tok, ProofOptions{}) }
	}
	ath := `"ath":"` // a claims prefix, completed per token
	nonces := func(d *dpop.Config) {
		now := fx.now
		n, err := dpop.NewNonces(nonceKey, time.Minute, func() time.Time { return now })
		if err != nil {
			panic("jwtgatetest: " + err.Error())
		}
		d.Nonces = n
	}
	otherNonces := func(d *dpop.Config) {
		now := fx.now.Add(-time.Hour) // the nonce of an hour ago: stale
		n, _ := dpop.NewNonces(nonceKey, time.Minute, func() time.Time { return now })
		d.Nonces = n
	}
	staleNonce := func() string {
		d := &dpop.Config{}
		otherNonces(d)
		return d.Nonces.Nonce()
	}
	// shared gives the case's requests one token.
	shared := func(e *env) string {
		if e.token == "" {
			e.token = fx.bound(k)
		}
		return e.token
	}

	cases := []testCase{
		// The proof's own checks, RFC 9449 §4.3, each broken alone.
		with("DPOP-01/a DPoP-bound token with its proof", on, func(tok string) string { return proof(tok) }, accept()),
		{name: "DPOP-01/EdDSA, ES384, PS256 and RS256 proofs", config: on, want: accept(),
			before: []step{
				{request: func(e *env) *http.Request {
					tok := fx.bound(keys["EdDSA"])
					return dpopRequest(e, tok, keys["EdDSA"].Proof("GET", dpopURL, fx.now, tok, ProofOptions{}))
				}, status: http.StatusOK},
				{request: func(e *env) *http.Request {
					tok := fx.bound(keys["ES384"])
					return dpopRequest(e, tok, keys["ES384"].Proof("GET", dpopURL, fx.now, tok, ProofOptions{}))
				}, status: http.StatusOK},
				{request: func(e *env) *http.Request {
					tok := fx.bound(keys["PS256"])
					return dpopRequest(e, tok, keys["PS256"].Proof("GET", dpopURL, fx.now, tok, ProofOptions{}))
				}, status: http.StatusOK},
			},
			request: func(e *env) *http.Request {
				tok := fx.bound(keys["RS256"])
				return dpopRequest(e, tok, keys["RS256"].Proof("GET", dpopURL, fx.now, tok, ProofOptions{}))
			}},
		{name: "DPOP-02/no DPoP header", config: on, want: badProof(),
			request: func(e *env) *http.Request { return dpopRequest(e, fx.bound(k)) }},
		{name: "DPOP-02/two DPoP headers", config: on, want: badProof(),
			request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok), proof(tok))
			}},
		with("DPOP-02/a proof that is not a JWS", on, func(string) string { return "not-a-jwt" }, badProof()),
		with("DPOP-02/a proof over 8 KiB", on, func(tok string) string {
			return proof(tok, ProofOptions{Extra: []string{`"pad":"` + strings.Repeat("p", 9000) + `"`}})
		}, badProof()),
		with("DPOP-03/typ JWT", on, header(`{"typ":"JWT","alg":"ES256","jwk":`+k.JWK()+`}`), badProof()),
		with("DPOP-03/no typ", on, header(`{"alg":"ES256","jwk":`+k.JWK()+`}`), badProof()),
		with("DPOP-04/alg none", on, func(tok string) string {
			p := proof(tok)
			return b64u(`{"typ":"dpop+jwt","alg":"none","jwk":`+k.JWK()+`}`) + "." + strings.Split(p, ".")[1] + "."
		}, badProof()),
		with("DPOP-04/alg HS256 keyed with the public JWK", on, func(tok string) string {
			return jws("HS256", []byte(k.JWK()), `{"typ":"dpop+jwt","alg":"HS256","jwk":`+k.JWK()+`}`,
				`{"jti":"j1","htm":"GET","htu":"`+dpopURL+`","iat":`+fx.at(0)+`,"ath":"`+AccessTokenHash(tok)+`"}`)
		}, badProof()),
		with("DPOP-04/an alg the configuration does not allow", fx.dpopConfig(func(d *dpop.Config) { d.Algorithms = []string{"EdDSA"} }),
			func(tok string) string { return proof(tok) },
			want{status: http.StatusUnauthorized, code: "invalid_dpop_proof", desc: descProof,
				challenge: bareChallenge + `, DPoP realm="` + realm + `", algs="EdDSA", error="invalid_dpop_proof", error_description="` + descProof + `"`}),
		with("DPOP-04/ES256 header with an Ed25519 key", on, func(tok string) string {
			return keys["EdDSA"].Proof("GET", dpopURL, fx.now, tok, ProofOptions{Header: `{"typ":"dpop+jwt","alg":"ES256","jwk":` + keys["EdDSA"].JWK() + `}`})
		}, badProof()),
		with("DPOP-05/no jwk", on, header(`{"typ":"dpop+jwt","alg":"ES256"}`), badProof()),
		with("DPOP-05/a jwk with the private key", on, header(`{"typ":"dpop+jwt","alg":"ES256","jwk":`+
			strings.TrimSuffix(k.JWK(), "}")+`,"d":"`+b64u(strings.Repeat("d", 32))+`"}}`), badProof()),
		with("DPOP-05/a kid naming the key instead", on, header(`{"typ":"dpop+jwt","alg":"ES256","kid":"k1","jwk":`+k.JWK()+`}`), badProof()),
		with("DPOP-05/a jku", on, header(`{"typ":"dpop+jwt","alg":"ES256","jku":"https://attacker.example/jwks","jwk":`+k.JWK()+`}`), badProof()),
		with("DPOP-05/a jwk that is a symmetric key", on, header(`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"oct","k":"c2VjcmV0"}}`), badProof()),
		with("DPOP-06/signature tampered", on, func(tok string) string { return proof(tok, ProofOptions{Tamper: true}) }, badProof()),
		with("DPOP-06/signed by another key than its jwk", on, func(tok string) string {
			return other.Proof("GET", dpopURL, fx.now, tok, ProofOptions{Header: `{"typ":"dpop+jwt","alg":"ES256","jwk":` + k.JWK() + `}`})
		}, badProof()),
		with("DPOP-07/htm POST for a GET", on, func(tok string) string { return k.Proof("POST", dpopURL, fx.now, tok, ProofOptions{}) }, badProof()),
		with("DPOP-07/htm get in lower case", on, func(tok string) string { return k.Proof("get", dpopURL, fx.now, tok, ProofOptions{}) }, badProof()),
		with("DPOP-08/htu another path", on, htuIs("http://example.com/admin"), badProof()),
		with("DPOP-08/htu another host", on, htuIs("http://attacker.example/protected"), badProof()),
		with("DPOP-08/htu https for a plain HTTP request", on, htuIs("https://example.com/protected"), badProof()),
		with("DPOP-08/htu with a query and a fragment, which are ignored", on, htuIs(dpopURL+"?a=1#f"), accept()),
		with("DPOP-08/htu normalized: scheme and host case, default port, dot segments", on,
			htuIs("HTTP://Example.COM:80/x/../protected"), accept()),
		with("DPOP-08/htu a path prefix of the request's", on, htuIs("http://example.com/prot"), badProof()),
		with("DPOP-08/htu without a scheme", on, htuIs("://example.com/protected"), badProof()),
		with("DPOP-08/htu with a userinfo", on, htuIs("http://user@example.com/protected"), badProof()),
		with("DPOP-08/PublicURL: htu names the public origin", fx.dpopConfig(func(d *dpop.Config) { d.PublicURL = "https://api.example.com" }),
			htuIs("https://api.example.com/protected"), accept()),
		with("DPOP-08/PublicURL: htu names the origin the proxy called", fx.dpopConfig(func(d *dpop.Config) { d.PublicURL = "https://api.example.com" }),
			htuIs(dpopURL), badProof()),
		with("DPOP-09/iat older than the window", on, iatAt(-61*time.Second), badProof()),
		with("DPOP-09/iat at the edge of the window", on, iatAt(-60*time.Second), accept()),
		with("DPOP-09/iat ahead of the window", on, iatAt(61*time.Second), badProof()),
		with("DPOP-09/no iat", on, func(tok string) string {
			return claims(tok, `"jti":"j1"`, `"htm":"GET"`, `"htu":"`+dpopURL+`"`, ath+AccessTokenHash(tok)+`"`)
		}, badProof()),
		with("DPOP-09/iat a string", on, func(tok string) string {
			return claims(tok, `"jti":"j1"`, `"htm":"GET"`, `"htu":"`+dpopURL+`"`, `"iat":"`+fx.at(0)+`"`, ath+AccessTokenHash(tok)+`"`)
		}, badProof()),
		with("DPOP-10/no jti", on, func(tok string) string {
			return claims(tok, `"htm":"GET"`, `"htu":"`+dpopURL+`"`, `"iat":`+fx.at(0), ath+AccessTokenHash(tok)+`"`)
		}, badProof()),
		{name: "DPOP-10/the same proof twice", config: on, want: badProof(),
			before: []step{{request: func(e *env) *http.Request {
				tok := shared(e)
				e.proof = proof(tok) // kept for the replay
				return dpopRequest(e, tok, e.proof)
			}, status: http.StatusOK}},
			request: func(e *env) *http.Request { return dpopRequest(e, shared(e), e.proof) }},
		{name: "DPOP-10/a proof replayed to another instance sharing the replay store", config: on, want: badProof(),
			before: []step{{other: true, request: func(e *env) *http.Request {
				tok := shared(e)
				e.proof = proof(tok)
				return dpopRequest(e, tok, e.proof)
			}, status: http.StatusOK}},
			request: func(e *env) *http.Request { return dpopRequest(e, shared(e), e.proof) }},
		{name: "DPOP-10/one token, a fresh proof each time: both accepted, the second from the cache", config: on, want: accept(),
			before: []step{{request: func(e *env) *http.Request {
				tok := shared(e)
				return dpopRequest(e, tok, proof(tok))
			}, status: http.StatusOK}},
			request: func(e *env) *http.Request {
				tok := shared(e)
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-10/the replay store cannot answer", config: fx.dpopConfig(func(d *dpop.Config) { d.Replay = failingReplay{} }),
			want: unavailable(), request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},
		with("DPOP-11/no ath", on, func(string) string { return proof("") }, badProof()),
		with("DPOP-11/ath of another token", on, func(string) string { return proof(fx.bound(k)) }, badProof()),
		with("DPOP-12/the token bound to another key", on, func(tok string) string {
			return other.Proof("GET", dpopURL, fx.now, tok, ProofOptions{})
		}, badProof()),
		{name: "DPOP-12/a token bound to no key, with the DPoP scheme", config: on, want: dpopWant("invalid_token", descNotBound),
			request: func(e *env) *http.Request {
				tok := fx.t0()
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-12/cnf.jkt not a string", config: on, want: dpopWant("invalid_token", descMalformed),
			request: func(e *env) *http.Request {
				tok := fx.t0(set("cnf", `{"jkt":42}`))
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-12/cnf of a binding jwtgate cannot check (x5t#S256, RFC 8705)", config: on,
			want:  bearerRefusal(descMalformed),
			token: func(*env) string { return fx.t0(set("cnf", `{"x5t#S256":"`+k.JKT()+`"}`)) }},
		{name: "DPOP-13/a bound token sent as Bearer", config: on, want: bearerRefusal(descBound),
			token: func(*env) string { return fx.bound(k) }},
		{name: "DPOP-13/a bound token sent as Bearer, from the cache", config: on, want: bearerRefusal(descBound),
			before: []step{
				{request: func(e *env) *http.Request { return dpopRequest(e, shared(e), proof(shared(e))) }, status: http.StatusOK},
				{request: func(e *env) *http.Request { return dpopRequest(e, shared(e), proof(shared(e))) }, status: http.StatusOK},
			},
			request: func(e *env) *http.Request { return bearer(e, shared(e)) }},
		{name: "DPOP-13/a bound token without DPoP configured", want: invalidToken(descBound),
			token: func(*env) string { return fx.bound(k) }},
		{name: "DPOP-13/the DPoP scheme without DPoP configured", want: missingToken(),
			request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-14/a Bearer token where DPoP is required", config: fx.dpopConfig(func(d *dpop.Config) { d.Mode = dpop.Required }),
			want: want{status: http.StatusUnauthorized, code: "invalid_token", desc: descDPoPOnly,
				challenge: dpopChallenge + `, error="invalid_token", error_description="` + descDPoPOnly + `"`},
			token: func(*env) string { return fx.t0() }},
		{name: "DPOP-14/no token where DPoP is required", config: fx.dpopConfig(func(d *dpop.Config) { d.Mode = dpop.Required }),
			want:    want{status: http.StatusUnauthorized, code: "missing_token", desc: descMissing, challenge: dpopChallenge},
			request: func(e *env) *http.Request { return httptest.NewRequest(http.MethodGet, "/protected", nil) }},
		{name: "DPOP-14/a DPoP token where DPoP is required", config: fx.dpopConfig(func(d *dpop.Config) { d.Mode = dpop.Required }),
			want: accept(), request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-14/no token where DPoP is allowed", config: on,
			want:    want{status: http.StatusUnauthorized, code: "missing_token", desc: descMissing, challenge: bareChallenge + ", " + dpopChallenge},
			request: func(e *env) *http.Request { return httptest.NewRequest(http.MethodGet, "/protected", nil) }},
		{name: "DPOP-14/an unbound Bearer token where DPoP is allowed", config: on, want: accept(),
			token: func(*env) string { return fx.t0() }},
		{name: "DPOP-14/the DPoP token and a query token", config: func(c *jwtgate.Config) {
			on(c)
			c.Extractor = extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Query("access_token"))
		},
			want: func() want {
				w := dpopWant("invalid_request", descMultiple)
				w.status = http.StatusBadRequest
				return w
			}(),
			request: func(e *env) *http.Request {
				tok := fx.bound(k)
				r := dpopRequest(e, tok, proof(tok))
				r.URL.RawQuery = "access_token=" + e.remember(fx.t0())
				return r
			}},
		{name: "DPOP-14/a malformed DPoP credential", config: on, want: func() want {
			w := dpopWant("invalid_request", descCredential)
			w.status = http.StatusBadRequest
			return w
		}(),
			request: func(e *env) *http.Request { return dpopRequest(e, "a b", proof("a b")) }},

		// A scope guard after a DPoP request: its error in the DPoP
		// challenge, as every error of a DPoP request.
		{name: "DPOP-17/a DPoP-bound token without the route's scope", config: on, scopes: []string{"admin"},
			want: want{status: http.StatusForbidden, code: "insufficient_scope", desc: descScope,
				challenge: bareChallenge + ", " + dpopChallenge + `, error="insufficient_scope", scope="admin"`},
			request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-17/a DPoP-bound token with the route's scope", config: on, scopes: []string{"read"},
			want: accept(), request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},

		// Per route (Policy): one Authenticator, routes that differ.
		{name: "DPOP-15/a route requires DPoP of an Authenticator that allows it", config: on,
			policy: jwtgate.Policy{DPoP: dpop.Required},
			want: want{status: http.StatusUnauthorized, code: "invalid_token", desc: descDPoPOnly,
				challenge: dpopChallenge + `, error="invalid_token", error_description="` + descDPoPOnly + `"`},
			token: func(*env) string { return fx.t0() }},
		{name: "DPOP-15/a route turns DPoP off", config: on, policy: jwtgate.Policy{DPoP: dpop.Off},
			want: missingToken(), request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "OPT/a route with optional credentials lets a request without a token through",
			policy:  jwtgate.Policy{CredentialsOptional: true},
			want:    want{status: http.StatusOK, accepted: true, noToken: true},
			request: func(e *env) *http.Request { return httptest.NewRequest(http.MethodGet, "/protected", nil) }},
		{name: "OPT/a route with optional credentials still refuses a bad token",
			policy: jwtgate.Policy{CredentialsOptional: true}, want: invalidToken(descSignature),
			token: func(*env) string { return jws("HS256", fx.attacker, hdrHS256, fx.claims()) }},

		// Nonces, RFC 9449 §8–9.
		{name: "DPOP-16/no nonce where one is required", config: fx.dpopConfig(nonces),
			want: func() want { w := dpopWant("use_dpop_nonce", descNonce); w.nonce = true; return w }(),
			request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok))
			}},
		{name: "DPOP-16/a stale nonce", config: fx.dpopConfig(nonces),
			want: func() want { w := dpopWant("use_dpop_nonce", descNonce); w.nonce = true; return w }(),
			request: func(e *env) *http.Request {
				tok := fx.bound(k)
				return dpopRequest(e, tok, proof(tok, ProofOptions{Nonce: staleNonce()}))
			}},
		{name: "DPOP-16/the nonce the server answered", config: fx.dpopConfig(nonces),
			want: func() want { w := accept(); w.nonce = true; return w }(),
			before: []step{{request: func(e *env) *http.Request {
				return dpopRequest(e, shared(e), proof(shared(e)))
			}, status: http.StatusUnauthorized}},
			request: func(e *env) *http.Request {
				return dpopRequest(e, shared(e), proof(shared(e), ProofOptions{Nonce: e.last.Header.Get("DPoP-Nonce")}))
			}},
		{name: "DPOP-16/a forged signature with the right nonce", config: fx.dpopConfig(nonces), want: badProof(),
			before: []step{{request: func(e *env) *http.Request {
				return dpopRequest(e, shared(e), proof(shared(e)))
			}, status: http.StatusUnauthorized}},
			request: func(e *env) *http.Request {
				return dpopRequest(e, shared(e), proof(shared(e), ProofOptions{Nonce: e.last.Header.Get("DPoP-Nonce"), Tamper: true}))
			}},
		// htu is compared escaped (RFC 3986 §6.2.2 decodes unreserved
		// characters only): %2F is no separator, so %2F.. no dot segment.
		with("DPOP-18/htu with %2F.. is no dot segment", on, htuIs("http://example.com/x%2F..%2Fprotected"), badProof()),
		with("DPOP-18/htu with an escaped slash for a separator", on, htuIs("http://example.com/protected%2F"), badProof()),
		with("DPOP-18/htu with an unreserved character escaped", on, htuIs("http://example.com/prot%65cted"), accept()),
		with("DPOP-18/htu with %2E%2E, a dot segment once decoded", on, htuIs("http://example.com/x/%2E%2E/protected"), accept()),
	}
	cases = append(cases, dpopKeyCases(fx)...)
	return cases
}

// dpopKeyCases are the proof keys a signature proves nothing for, or that
// have several thumbprints (DPOP-19), and the bound on an RSA key's size
// (DPOP-20): each with a token bound to the key's thumbprint, so that only
// the key's own check can refuse it.
func dpopKeyCases(fx *fixture) []testCase {
	b64 := base64.RawURLEncoding.EncodeToString
	on := fx.dpopConfig()
	rs := dpopKeys()["RS256"]
	// keyed is a case whose proof has header jwk, is signed by sign, and
	// whose token is bound to jwk's thumbprint.
	keyed := func(name, alg, jwk string, sign func(header, claims string) string) testCase {
		h := sha256.Sum256([]byte(jwk))
		jkt := b64(h[:])
		return testCase{name: name, config: on, want: badProof(), request: func(e *env) *http.Request {
			tok := fx.t0(set("cnf", `{"jkt":"`+jkt+`"}`))
			claims := `{"jti":"` + b64(randomBytes(12)) + `","htm":"GET","htu":"` + dpopURL + `","iat":` + fx.at(0) + `,"ath":"` + AccessTokenHash(tok) + `"}`
			return dpopRequest(e, tok, sign(`{"typ":"dpop+jwt","alg":"`+alg+`","jwk":`+jwk+`}`, claims))
		}}
	}
	// With the identity point as the key, R = B and S = 1 verify every
	// message (RFC 8032's verification equation with A = 0).
	forgery := func(header, claims string) string {
		sig := make([]byte, 64)
		copy(sig, []byte{0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66})
		sig[32] = 1
		return b64([]byte(header)) + "." + b64([]byte(claims)) + "." + b64(sig)
	}
	okp := func(x []byte) string { return `{"crv":"Ed25519","kty":"OKP","x":"` + b64(x) + `"}` }
	identity := make([]byte, 32)
	identity[0] = 1
	order8 := []byte{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}

	var rsaJWK struct{ N, E string }
	if err := json.Unmarshal([]byte(rs.JWK()), &rsaJWK); err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	n, _ := base64.RawURLEncoding.DecodeString(rsaJWK.N)
	e, _ := base64.RawURLEncoding.DecodeString(rsaJWK.E)
	rsa := func(n, e []byte) string { return `{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(n) + `"}` }
	signRS := func(header, claims string) string { return rs.Sign(header, claims, false) }
	huge := randomBytes(1024) // 8192 bits: more than a proof's key may be
	huge[0] |= 0x80
	huge[len(huge)-1] |= 1

	return []testCase{
		keyed("DPOP-19/an Ed25519 key of small order (the identity), with the signature that fits every message", "EdDSA", okp(identity), forgery),
		// For a point of order 8 the same signature verifies one message in
		// eight (those whose hash is a multiple of 8): refused every time.
		keyed("DPOP-19/an Ed25519 key of order 8", "EdDSA", okp(order8), forgery),
		keyed("DPOP-19/an RSA key whose n has a leading zero octet", "RS256", rsa(append([]byte{0}, n...), e), signRS),
		keyed("DPOP-19/an RSA key whose e has a leading zero octet", "RS256", rsa(n, append([]byte{0}, e...)), signRS),
		keyed("DPOP-20/an RSA key of 8192 bits", "RS256", rsa(huge, e), func(header, claims string) string {
			return b64([]byte(header)) + "." + b64([]byte(claims)) + "." + b64(huge)
		}),
	}
}
