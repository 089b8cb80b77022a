package interop

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mint has p sign the good and wrong-audience tokens of m's algorithm,
// issued at issuedAt (to the second).
func mint(t *testing.T, p *peer, m *material) theirTokens {
	t.Helper()
	iat := issuedAt.Truncate(time.Second)
	good, err := p.sign(m, claimsAt(iat, audience))
	require.NoError(t, err, "%s signs %s", p.name, m.alg)
	other, err := p.sign(m, claimsAt(iat, "https://api.example.com/another"))
	require.NoError(t, err)
	return theirTokens{good: good, wrongAudience: other}
}

// TestTheirTokensWithTheKey: every algorithm each library has, its tokens
// verified by jwtgate.New given the key itself.
func TestTheirTokensWithTheKey(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		for _, alg := range p.algorithms() {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				t.Parallel()
				m := keyFor(t, alg)
				verifyOnly := &jwtgate.Key{ID: m.kid(), Algorithm: alg, VerifyKey: m.public()}
				checkJwtgateTakes(t, newVerifier(t, verifyOnly), mint(t, p, m))
			})
		}
	}
}

// TestTheirJWKSet: each library publishes every asymmetric algorithm's key
// in one JWK Set; jwks.ParseSet reads every key, bound to the alg the
// library wrote, and jwtgate verifies each algorithm's tokens with it, and
// with the same set fetched by jwks.Remote.
func TestTheirJWKSet(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ms := asymmetric(t, p.algorithms())
			set, err := p.publish(ms)
			require.NoError(t, err)
			t.Logf("%s's JWK Set: %s", p.name, set)

			parsed, err := jwks.ParseSet(set)
			require.NoError(t, err, "jwks.ParseSet of %s's set", p.name)
			for _, m := range ms {
				k, err := parsed.Key(context.Background(), jwtgate.KeyQuery{KeyID: m.kid(), Algorithm: m.alg})
				if assert.NoError(t, err, m.alg) {
					assert.Equal(t, m.alg, k.Algorithm, "bound to the alg %s wrote", p.name)
				}
			}

			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/jwk-set+json")
				_, _ = w.Write(set)
			}))
			t.Cleanup(srv.Close)
			remote, err := jwks.NewRemote(context.Background(), jwks.RemoteOptions{URL: srv.URL, AllowHTTPLoopback: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = remote.Close() })

			fromSet, fromRemote := newVerifier(t, parsed), newVerifier(t, remote)
			for _, m := range ms {
				t.Run(m.alg, func(t *testing.T) {
					toks := mint(t, p, m)
					t.Run("ParseSet", func(t *testing.T) { checkJwtgateTakes(t, fromSet, toks) })
					t.Run("Remote", func(t *testing.T) { checkJwtgateTakes(t, fromRemote, toks) })
				})
			}
		})
	}
}

// TestPeersLack records what each library lacks: the algorithm is refused
// by the library itself, so its absence from the other tests is the
// library's, not a gap of the tests.
func TestPeersLack(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		var lacked []string
		for alg := range p.lacks {
			lacked = append(lacked, alg)
		}
		sort.Strings(lacked)
		for _, alg := range lacked {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				m := keyFor(t, alg)
				_, err := p.sign(m, claimsAt(issuedAt.Truncate(time.Second), audience))
				assert.Error(t, err, "%s signs %s after all: %s", p.name, alg, p.lacks[alg])
				t.Log(p.lacks[alg])
			})
		}
	}
}

// TestEd25519Names: RFC 9864's Ed25519 and RFC 8037's EdDSA name one
// algorithm for an Ed25519 key. A jwtgate key bound to either name verifies
// a library's token under the other, and so does a key from a JWK Set that
// names the other.
func TestEd25519Names(t *testing.T) {
	t.Parallel()
	m := keyFor(t, "EdDSA")
	for _, p := range peers {
		for _, signed := range []string{"EdDSA", "Ed25519"} {
			if _, lacks := p.lacks[signed]; lacks {
				continue
			}
			as := &material{alg: signed, key: &jwtgate.Key{ID: "ed", Algorithm: signed, VerifyKey: m.public(), SignKey: m.private()}}
			toks := mint(t, p, as)
			for _, bound := range []string{"EdDSA", "Ed25519"} {
				t.Run(p.name+"/signed "+signed+"/bound "+bound, func(t *testing.T) {
					key := &jwtgate.Key{ID: "ed", Algorithm: bound, VerifyKey: m.public()}
					checkJwtgateTakes(t, newVerifier(t, key), toks)
					set, err := jwks.Marshal(key)
					require.NoError(t, err)
					parsed, err := jwks.ParseSet(set)
					require.NoError(t, err)
					checkJwtgateTakes(t, newVerifier(t, parsed), toks)
				})
			}
		}
	}
}

// TestProviderShapedJWKSet: a JWK Set as identity providers publish them —
// certificates (x5c) and their thumbprints (x5t, x5t#S256) beside each key,
// members of their own ("issuer", as Microsoft Entra ID adds), keys without
// alg, and an encryption key in the same set — written by go-jose; jwks
// reads the signature keys, binding an alg-less one to the only algorithm
// its type allows (RS256 for RSA, by curve for EC, EdDSA for Ed25519).
func TestProviderShapedJWKSet(t *testing.T) {
	t.Parallel()
	var set jose.JSONWebKeySet
	for _, alg := range []string{"RS256", "ES384", "EdDSA"} {
		m := keyFor(t, alg)
		cert := selfSigned(t, m)
		s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
		k := jose.JSONWebKey{Key: m.public(), KeyID: m.kid(), Use: "sig",
			Certificates: []*x509.Certificate{cert}, CertificateThumbprintSHA1: s1[:], CertificateThumbprintSHA256: s256[:]}
		if alg == "EdDSA" {
			k.Algorithm = alg
		}
		set.Keys = append(set.Keys, k)
	}
	enc := keyFor(t, "PS256") // any RSA key, published for encryption
	set.Keys = append(set.Keys, jose.JSONWebKey{Key: enc.public(), KeyID: "enc", Algorithm: "RSA-OAEP", Use: "enc"})
	body, err := json.Marshal(set)
	require.NoError(t, err)
	var doc map[string][]map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	for _, k := range doc["keys"] {
		k["issuer"] = "https://login.example.com/{tenantid}/v2.0"
	}
	body, err = json.Marshal(doc)
	require.NoError(t, err)
	t.Logf("provider-shaped JWK Set: %.400s…", body)

	parsed, err := jwks.ParseSet(body)
	require.NoError(t, err)
	for _, alg := range []string{"RS256", "ES384", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			checkJwtgateTakes(t, newVerifier(t, parsed), mint(t, goJose(), keyFor(t, alg)))
		})
	}
}

// selfSigned returns a certificate of m's public key, as identity providers
// publish in x5c.
func selfSigned(t *testing.T, m *material) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: m.kid()},
		NotBefore: issuedAt.Add(-time.Hour), NotAfter: issuedAt.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, m.public(), m.private())
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// TestFindingEd25519WithCertificate pins an interoperability bug of
// jwks's JWK reading, found here: an Ed25519 JWK ("kty":"OKP",
// "crv":"Ed25519") that carries its certificate in x5c is refused unless
// its alg is exactly "EdDSA" — without alg (which jwks otherwise binds to
// EdDSA) and with RFC 9864's "Ed25519" (which jwtgate supports) alike:
//
//	jwks: key refused: failed to validate JSON Web Key: failed to validate
//	JWK the X.509 certificate does not match Golang key type: ALG in
//	marshal does not match ALG in X.509 certificate
//
// The check is github.com/MicahParks/jwkset v0.11.4's (JWK.Validate), which
// jwks calls from fromMarshal. ParseSet then refuses the whole set; Remote
// drops the key. The same key without x5c is read either way. When jwks
// reads these keys, turn the assertions around.
func TestFindingEd25519WithCertificate(t *testing.T) {
	t.Parallel()
	m := keyFor(t, "EdDSA")
	cert := selfSigned(t, m)
	for _, alg := range []string{"", "EdDSA", "Ed25519"} {
		for _, withCert := range []bool{false, true} {
			k := jose.JSONWebKey{Key: m.public(), KeyID: m.kid(), Algorithm: alg, Use: "sig"}
			if withCert {
				k.Certificates = []*x509.Certificate{cert}
			}
			body, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
			require.NoError(t, err)
			set, err := jwks.ParseSet(body)
			require.NoError(t, err, "alg %q, x5c %v", alg, withCert)
			want := alg
			if want == "" {
				want = "EdDSA"
			}
			k2, err := set.Key(context.Background(), jwtgate.KeyQuery{KeyID: m.kid(), Algorithm: want})
			require.NoError(t, err)
			assert.Equal(t, want, k2.Algorithm)
		}
	}
}
