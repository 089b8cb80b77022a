package interop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dpopAlgs are the proof algorithms of these tests: every one
// jwtgatetest.DPoPKey makes; both libraries have them all.
var dpopAlgs = []string{"ES256", "ES384", "ES512", "EdDSA", "PS256", "RS256"}

// The RFC 9449 examples, as the RFC prints them.
const (
	// §4.1, Figure 2: a proof for POST https://server.example.com/token.
	rfc9449Proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	// §6.1: the thumbprint of that proof's key, as a token bound to it
	// carries it in cnf.jkt.
	rfc9449JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

// ath is a proof's ath for token (RFC 9449 §4.2), computed here with the
// standard library alone.
func ath(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// resource is a resource server over HTTP on loopback: jwtgate with DPoP
// required behind httpjwt, its clock at issuedAt, taking access tokens of
// the HS256 key. It answers 200 with the token's cnf.jkt.
type resource struct {
	srv      *httptest.Server
	outcomes chan *jwtgate.Outcome // what the Observer saw, one per request
}

// observer passes each authentication's outcome to the test, so that a
// refusal is checked for its cause, not only its status.
type observer struct {
	jwtgate.NopObserver
	outcomes chan<- *jwtgate.Outcome
}

func (o observer) Authenticated(_ context.Context, out *jwtgate.Outcome) {
	select {
	case o.outcomes <- out:
	default: // a server whose outcomes no test reads must not block
	}
}

func newResource(t *testing.T) *resource {
	t.Helper()
	now := func() time.Time { return issuedAt }
	outcomes := make(chan *jwtgate.Outcome, 64)
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     keyFor(t, "HS256").key,
		Issuer:   []string{issuer},
		Audience: []string{audience},
		Types:    []string{"at+jwt"},
		Now:      now,
		DPoP:     &dpop.Config{Mode: dpop.Required, Replay: dpop.NewMemoryReplayStore(now)},
		Observer: observer{outcomes: outcomes},
	})
	require.NoError(t, err)
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := jwtgate.FromContext(r.Context())
		_, _ = io.WriteString(w, tok.JKT)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &resource{srv: srv, outcomes: outcomes}
}

// url is the absolute URL of path on the server: a proof's htu.
func (r *resource) url(path string) string { return r.srv.URL + path }

// call sends method path with the access token as DPoP and proof in the
// DPoP header, and returns the status, the WWW-Authenticate header and the
// body. The request's outcome is in r.outcomes.
func (r *resource) call(t *testing.T, method, path, token, proof string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url(path), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "DPoP "+token)
	req.Header.Set("DPoP", proof)
	resp, err := r.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body)
}

// issueBound mints an access token bound to jkt (cnf.jkt) with issuing.New,
// its clock at issuedAt, signed with the HS256 key the resource takes.
func issueBound(t *testing.T, jkt string) string {
	t.Helper()
	iss, err := issuing.New(issuing.Config{
		Key:      keyFor(t, "HS256").key,
		Issuer:   issuer,
		Audience: []string{audience},
		Store:    issuing.NewMemoryStore(nil),
		Now:      func() time.Time { return issuedAt },
	})
	require.NoError(t, err)
	pair, err := iss.Login(context.Background(), issuing.Grant{Subject: subject, ClientID: clientID, JKT: jkt})
	require.NoError(t, err)
	require.Equal(t, "DPoP", pair.TokenType)
	return pair.AccessToken
}

// proofClaims are the claims of a correct proof (RFC 9449 §4.2) for method
// and htu at issuedAt, for token.
func proofClaims(method, htu, token string) map[string]any {
	return map[string]any{"jti": rand.Text(), "htm": method, "htu": htu, "iat": issuedAt.Unix(), "ath": ath(token)}
}

// header decodes a compact JWS's protected header.
func header(t *testing.T, jws string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(jws[:strings.IndexByte(jws, '.')])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(b, &h))
	return h
}

// TestTheirDPoPProofs: proofs each library makes, for every proof algorithm,
// are accepted by jwtgate over HTTP for a token bound to the thumbprint the
// library computed — so jwtgate's RFC 7638 thumbprint of the proof's jwk is
// the library's; and both libraries compute the same thumbprint.
func TestTheirDPoPProofs(t *testing.T) {
	t.Parallel()
	res := newResource(t)
	for _, p := range peers {
		for _, alg := range dpopAlgs {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				t.Parallel()
				m := keyFor(t, alg)
				jkt, err := p.thumbprint(m.public())
				require.NoError(t, err)
				for _, other := range peers {
					theirs, err := other.thumbprint(m.public())
					require.NoError(t, err)
					assert.Equal(t, jkt, theirs, "%s's thumbprint and %s's", p.name, other.name)
				}
				token := issueBound(t, jkt)
				proof, err := p.dpopProof(m, proofClaims(http.MethodGet, res.url("/orders/42"), token))
				require.NoError(t, err)
				h := header(t, proof)
				assert.Equal(t, "dpop+jwt", h["typ"])
				assert.Equal(t, alg, h["alg"])
				assert.NotNil(t, h["jwk"], "the key embedded")
				t.Logf("%s's %s proof header: %v", p.name, alg, h)

				status, challenge, body := res.call(t, http.MethodGet, "/orders/42", token, proof)
				require.Equal(t, http.StatusOK, status, challenge)
				assert.Equal(t, jkt, body, "the token's cnf.jkt")
			})
		}
	}
}

// TestTheyCheckOurProofs: each library verifies the proofs
// jwtgatetest.DPoPKey makes (typ, the embedded jwk, the signature by it) and
// finds their key's thumbprint equal to DPoPKey.JKT(); a tampered one they
// refuse. The proof builder the core's tests rely on is thus an independent,
// correct implementation, not jwtgate checked against itself.
func TestTheyCheckOurProofs(t *testing.T) {
	t.Parallel()
	const htu = "https://server.example.com/token"
	token := "an-access-token"
	for _, alg := range dpopAlgs {
		key := jwtgatetest.NewDPoPKey(alg)
		for _, p := range peers {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				t.Parallel()
				proof := key.Proof(http.MethodPost, htu, issuedAt, token, jwtgatetest.ProofOptions{Nonce: "n-1"})
				claims, jkt, err := p.checkProof(proof, alg)
				require.NoError(t, err)
				assert.Equal(t, key.JKT(), jkt)
				assert.Equal(t, http.MethodPost, claims["htm"])
				assert.Equal(t, htu, claims["htu"])
				assert.Equal(t, float64(issuedAt.Unix()), claims["iat"])
				assert.Equal(t, ath(token), claims["ath"])
				assert.Equal(t, "n-1", claims["nonce"])
				assert.NotEmpty(t, claims["jti"])

				_, _, err = p.checkProof(key.Proof(http.MethodPost, htu, issuedAt, token, jwtgatetest.ProofOptions{Tamper: true}), alg)
				assert.Error(t, err, "a tampered proof")
				other := jwtgatetest.NewDPoPKey(alg)
				_, _, err = p.checkProof(key.Proof(http.MethodPost, htu, issuedAt, token, jwtgatetest.ProofOptions{
					Header: `{"typ":"dpop+jwt","alg":"` + alg + `","jwk":` + other.JWK() + `}`,
				}), alg)
				assert.Error(t, err, "a proof naming another key than its signer's")
			})
		}
	}
}

// freshKey returns a new key of alg, apart from the shared materials.
func freshKey(t *testing.T, alg string) *material {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("freshKey: %s", alg)
	}
	require.NoError(t, err)
	return &material{alg: alg, key: &jwtgate.Key{ID: "fresh", Algorithm: alg, SignKey: priv, VerifyKey: priv.Public()}}
}

// TestTheirDPoPProofsRefused: jwtgate's refusals hold for proofs the
// libraries make: each, changed in one way from a proof jwtgate accepts, is
// answered 401 with error="invalid_dpop_proof", for that change (the cause
// the Observer saw).
func TestTheirDPoPProofsRefused(t *testing.T) {
	t.Parallel()
	const path = "/orders/42"
	for _, p := range peers {
		for _, alg := range []string{"ES256", "EdDSA", "PS256"} {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				t.Parallel()
				res := newResource(t) // its own: its outcomes are this test's
				m := keyFor(t, alg)
				jkt, err := p.thumbprint(m.public())
				require.NoError(t, err)
				token, another := issueBound(t, jkt), issueBound(t, jkt)
				proof := func(m *material, change func(claims map[string]any)) string {
					t.Helper()
					claims := proofClaims(http.MethodGet, res.url(path), token)
					if change != nil {
						change(claims)
					}
					proof, err := p.dpopProof(m, claims)
					require.NoError(t, err)
					return proof
				}
				set := func(name string, v any) func(map[string]any) {
					return func(c map[string]any) { c[name] = v }
				}
				refused := func(proof, why, cause string) {
					t.Helper()
					status, challenge, _ := res.call(t, http.MethodGet, path, token, proof)
					assert.Equal(t, http.StatusUnauthorized, status, why)
					assert.Contains(t, challenge, `error="invalid_dpop_proof"`, why)
					out := <-res.outcomes
					assert.ErrorIs(t, out.Err, dpop.ErrInvalidProof, why)
					assert.ErrorContains(t, out.Err, cause, why)
				}
				refused(proof(m, set("htu", res.url("/orders/43"))), "another URL", "htu is not")
				refused(proof(m, set("htm", http.MethodPost)), "another method", "htm is not")
				refused(proof(m, set("ath", ath(another))), "another token's hash", "ath is not")
				refused(proof(m, func(c map[string]any) { delete(c, "ath") }), "no ath", "ath is not")
				refused(proof(m, set("iat", issuedAt.Add(-2*time.Minute).Unix())), "iat before the window", "iat is outside")
				refused(proof(freshKey(t, alg), nil), "another key than the token's cnf.jkt", "not the one the token is bound to")

				once := proof(m, nil)
				status, challenge, _ := res.call(t, http.MethodGet, path, token, once)
				require.Equal(t, http.StatusOK, status, challenge)
				require.NoError(t, (<-res.outcomes).Err)
				refused(once, "a replay", "used before")
			})
		}
	}
}

// TestRFC9449KnownAnswer: the RFC's example proof (§4.1) verifies in each
// library with the key it embeds, whose thumbprint is the RFC's cnf.jkt
// (§6.1); jwtgate accepts it at its iat with the same thumbprint.
func TestRFC9449KnownAnswer(t *testing.T) {
	t.Parallel()
	iat := time.Unix(1562262616, 0)
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			claims, jkt, err := p.checkProof(rfc9449Proof, "ES256")
			require.NoError(t, err)
			assert.Equal(t, rfc9449JKT, jkt)
			assert.Equal(t, map[string]any{
				"jti": "-BwC3ESc6acc2lTc", "htm": "POST", "htu": "https://server.example.com/token", "iat": float64(iat.Unix()),
			}, claims)
		})
	}
	t.Run("jwtgate", func(t *testing.T) {
		t.Parallel()
		now := func() time.Time { return iat }
		auth, err := jwtgate.New(jwtgate.Config{
			Keys: keyFor(t, "HS256").key, Issuer: []string{issuer}, Audience: []string{audience}, Now: now,
			DPoP: &dpop.Config{Replay: dpop.NewMemoryReplayStore(now)},
		})
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodPost, "https://server.example.com/token", nil)
		r.Header.Set("DPoP", rfc9449Proof)
		jkt, err := auth.CheckDPoPProof(context.Background(), extractors.FromHTTP(r), "", "")
		require.NoError(t, err)
		assert.Equal(t, rfc9449JKT, jkt)
	})
}
