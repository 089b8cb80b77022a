package jwtgatetest

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
)

// The endpoints with DPoP (RFC 9449 §5, §8): a login or refresh with a
// proof is answered tokens bound to its key; a token endpoint answers a bad
// proof 400, without a challenge.

const (
	dpopPairBody = `{"access_token":"<access>","refresh_token":"<refresh>","token_type":"DPoP","expires_in":900}`

	descProofRequired = "A DPoP proof is required"
	descCookieDPoP    = "DPoP is not available in cookie mode"
	descRefreshBound  = "The refresh token is bound to a key: refresh with a DPoP proof of it"
	descRefreshFree   = "The refresh token is not bound to a key: log in with DPoP to get one that is"
	descRefreshOther  = "The DPoP proof is not of the key the refresh token is bound to"
)

var (
	dpopTokensOK = epWant{status: http.StatusOK, body: dpopPairBody}
	epBadProof   = epFail(http.StatusBadRequest, "invalid_dpop_proof", descProof)
)

// epProof is a proof of k for POST to path at the world's clock.
func (w *epWorld) epProof(k *DPoPKey, path string, o ...ProofOptions) string {
	var opt ProofOptions
	if len(o) > 0 {
		opt = o[0]
	}
	return w.remember(k.Proof(http.MethodPost, epOrigin+path, w.now, "", opt))
}

// loginBound starts a family bound to k.
func (w *epWorld) loginBound(k *DPoPKey) *issuing.Pair {
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice", Scope: "read", JKT: k.JKT()})
	if err != nil {
		panic("jwtgatetest: " + err.Error())
	}
	return p
}

// boundTo: the answer's access token is bound to k.
func boundTo(k *DPoPKey) func(*testing.T, *epWorld) {
	return func(t *testing.T, w *epWorld) {
		t.Helper()
		assert.Equal(t, k.JKT(), w.jkt, "the access token's cnf.jkt")
	}
}

func notBound(t *testing.T, w *epWorld) {
	t.Helper()
	assert.Empty(t, w.jkt, "the access token is bound to no key")
}

// refreshWorksWith: the family's refresh token was not spent; it still
// refreshes with a proof of k.
func refreshWorksWith(k *DPoPKey) func(*testing.T, *epWorld) {
	return func(t *testing.T, w *epWorld) {
		t.Helper()
		_, err := w.issuer.RefreshWithProof(context.Background(), w.pair.RefreshToken, k.JKT())
		assert.NoError(t, err, "the refresh token was not spent")
	}
}

func dpopEndpointCases() []endpointCase {
	keys := dpopKeys()
	k, other := keys["ES256"], keys["other"]
	allowed, required := dpop.Allowed, dpop.Required
	loginWith := func(proofs func(w *epWorld) []string) func(*epWorld) *http.Request {
		return func(w *epWorld) *http.Request {
			h := []string{}
			for _, p := range proofs(w) {
				h = append(h, "DPoP", p)
			}
			return req("POST", "/login", jsonType, aliceBody, h...)
		}
	}
	proofOf := func(k *DPoPKey, path string) func(w *epWorld) []string {
		return func(w *epWorld) []string { return []string{w.epProof(k, path)} }
	}
	// refreshBound is a refresh of a family bound to k, with proofs.
	refreshBound := func(bind *DPoPKey, proofs func(w *epWorld) []string) func(*epWorld) *http.Request {
		return func(w *epWorld) *http.Request {
			if bind != nil {
				w.pair = w.loginBound(bind)
			} else {
				w.pair = w.login()
			}
			h := []string{}
			for _, p := range proofs(w) {
				h = append(h, "DPoP", p)
			}
			return req("POST", "/refresh", jsonType, refreshBody(w.remember(w.pair.RefreshToken)), h...)
		}
	}
	none := func(*epWorld) []string { return nil }
	nonceWant := func(w epWant) epWant { w.nonce = true; return w }

	return []endpointCase{
		{name: "DPOP-LOGIN/a proof: tokens bound to its key", dpop: allowed, request: loginWith(proofOf(k, "/login")),
			want: dpopTokensOK, after: boundTo(k)},
		{name: "DPOP-LOGIN/an EdDSA proof", dpop: allowed, request: loginWith(proofOf(keys["EdDSA"], "/login")),
			want: dpopTokensOK, after: boundTo(keys["EdDSA"])},
		{name: "DPOP-LOGIN/no proof where DPoP is allowed: bearer tokens", dpop: allowed, request: login(aliceBody),
			want: tokensOK, after: notBound},
		{name: "DPOP-LOGIN/no proof where DPoP is required", dpop: required, request: login(aliceBody),
			want: epFail(http.StatusBadRequest, "invalid_dpop_proof", descProofRequired)},
		{name: "DPOP-LOGIN/a proof where DPoP is off: ignored, bearer tokens", request: loginWith(proofOf(k, "/login")),
			want: tokensOK, after: notBound},
		{name: "DPOP-LOGIN/a proof for another URL", dpop: allowed, request: loginWith(proofOf(k, "/refresh")), want: epBadProof},
		{name: "DPOP-LOGIN/a forged proof", dpop: allowed, request: loginWith(func(w *epWorld) []string {
			return []string{w.epProof(k, "/login", ProofOptions{Tamper: true})}
		}), want: epBadProof},
		{name: "DPOP-LOGIN/two proofs", dpop: allowed, request: loginWith(func(w *epWorld) []string {
			return []string{w.epProof(k, "/login"), w.epProof(k, "/login")}
		}), want: epBadProof},
		{name: "DPOP-LOGIN/a replayed proof", dpop: allowed, request: func(w *epWorld) *http.Request {
			p := w.epProof(k, "/login")
			first := req("POST", "/login", jsonType, aliceBody, "DPoP", p)
			if _, err := w.auth.CheckDPoPProof(context.Background(), extractors.FromHTTP(first), "", ""); err != nil {
				panic("jwtgatetest: the first use of the proof: " + err.Error())
			}
			return req("POST", "/login", jsonType, aliceBody, "DPoP", p)
		}, want: epBadProof},
		{name: "DPOP-LOGIN/a proof without the server's nonce", dpop: allowed, nonces: true, request: loginWith(proofOf(k, "/login")),
			want: nonceWant(epFail(http.StatusBadRequest, "use_dpop_nonce", descNonce))},
		{name: "DPOP-LOGIN/a proof with the server's nonce", dpop: allowed, nonces: true, request: loginWith(func(w *epWorld) []string {
			return []string{w.epProof(k, "/login", ProofOptions{Nonce: w.auth.DPoPNonce()})}
		}), want: nonceWant(dpopTokensOK), after: boundTo(k)},
		{name: "DPOP-LOGIN/cookie mode with a proof", dpop: allowed, request: func(w *epWorld) *http.Request {
			return req("POST", "/login?mode=cookie", jsonType, aliceBody, "DPoP", w.epProof(k, "/login"))
		}, want: epFail(http.StatusBadRequest, "invalid_request", descCookieDPoP)},
		{name: "DPOP-LOGIN/a wrong password with a good proof", dpop: allowed, request: func(w *epWorld) *http.Request {
			return req("POST", "/login", jsonType, `{"username":"alice","password":"wrong"}`, "DPoP", w.epProof(k, "/login"))
		}, want: badCreds},

		{name: "DPOP-REFRESH/a bound family with a proof of its key", dpop: allowed, request: refreshBound(k, proofOf(k, "/refresh")),
			want: dpopTokensOK, after: boundTo(k)},
		{name: "DPOP-REFRESH/a bound family without a proof", dpop: allowed, request: refreshBound(k, none),
			want: epFail(http.StatusBadRequest, "invalid_dpop_proof", descRefreshBound), after: refreshWorksWith(k)},
		{name: "DPOP-REFRESH/a bound family with another key's proof", dpop: allowed, request: refreshBound(k, proofOf(other, "/refresh")),
			want: epFail(http.StatusBadRequest, "invalid_dpop_proof", descRefreshOther), after: refreshWorksWith(k)},
		{name: "DPOP-REFRESH/a bound family with a proof for another URL", dpop: allowed, request: refreshBound(k, proofOf(k, "/login")),
			want: epBadProof, after: refreshWorksWith(k)},
		{name: "DPOP-REFRESH/an unbound family with a proof", dpop: allowed, request: refreshBound(nil, proofOf(k, "/refresh")),
			want: epFail(http.StatusBadRequest, "invalid_dpop_proof", descRefreshFree), after: func(t *testing.T, w *epWorld) { refreshWorks(t, w, w.pair.RefreshToken) }},
		{name: "DPOP-REFRESH/an unbound family without a proof where DPoP is allowed", dpop: allowed, request: refreshBound(nil, none),
			want: tokensOK, after: notBound},
		{name: "DPOP-REFRESH/an unbound family without a proof where DPoP is required", dpop: required, request: refreshBound(nil, none),
			want: epFail(http.StatusBadRequest, "invalid_dpop_proof", descProofRequired)},
		{name: "DPOP-REFRESH/a bound family where DPoP is off", request: refreshBound(k, proofOf(k, "/refresh")),
			want: epFail(http.StatusBadRequest, "invalid_dpop_proof", descRefreshBound)},
		{name: "DPOP-REFRESH/the refresh cookie with a proof", dpop: allowed, request: func(w *epWorld) *http.Request {
			w.pair = w.login()
			return w.refreshCookie(w.pair, "DPoP", w.epProof(k, "/refresh"))
		}, want: epFail(http.StatusBadRequest, "invalid_request", descCookieDPoP)},

		{name: "DPOP-LOGOUT/a bound token with its proof", dpop: allowed, request: func(w *epWorld) *http.Request {
			w.pair = w.loginBound(k)
			tok := w.remember(w.pair.AccessToken)
			p := w.remember(k.Proof(http.MethodPost, epOrigin+"/logout", w.now, tok, ProofOptions{}))
			return req("POST", "/logout", "", "", "Authorization", "DPoP "+tok, "DPoP", p)
		}, want: loggedOut, after: func(t *testing.T, w *epWorld) { accessRevoked(t, w, w.pair.AccessToken) }},
		{name: "DPOP-LOGOUT/a bound token as Bearer", dpop: allowed, request: func(w *epWorld) *http.Request {
			w.pair = w.loginBound(k)
			return req("POST", "/logout", "", "", "Authorization", "Bearer "+w.remember(w.pair.AccessToken))
		}, want: epFail(http.StatusUnauthorized, "invalid_token", descBound).with(epChallenge("invalid_token", descBound) + ", " + dpopChallenge),
			after: func(t *testing.T, w *epWorld) { accessValid(t, w, w.pair.AccessToken) }},
	}
}
