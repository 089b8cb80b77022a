package jwtgate_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/keycheck"
	"github.com/jwtgate/jwtgate/extractors"
)

// The second security review's DPoP findings: a proof is checked cheapest
// first, with a bounded key; htu is compared escaped; keys for which a
// signature proves nothing, or that have several thumbprints, are refused;
// a request view must give its path.

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signedProof signs header.claims with an RSA key, RS256, by crypto/rsa.
func rsaProof(t *testing.T, priv *rsa.PrivateKey, header, claims string) string {
	t.Helper()
	si := b64([]byte(header)) + "." + b64([]byte(claims))
	h := sha256.Sum256([]byte(si))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, h[:])
	require.NoError(t, err)
	return si + "." + b64(sig)
}

func proofClaims(method, url string, iat time.Time, accessToken string) string {
	h := sha256.Sum256([]byte(accessToken))
	return `{"jti":"` + strconv.FormatInt(time.Now().UnixNano(), 36) + `","htm":"` + method + `","htu":"` + url +
		`","iat":` + strconv.FormatInt(iat.Unix(), 10) + `,"ath":"` + b64(h[:]) + `"}`
}

func thumbprint(canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return b64(h[:])
}

// TestProofCheapChecksFirst: every check that needs no signature runs
// before the signature's: a proof for another method or URL is refused for
// that, not for its (also broken) signature; a hostile RSA key of 16384
// bits costs no signature check unless the proof is made for this very
// request, and then is refused by its size.
func TestProofCheapChecksFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	a := dpopAuth(t, nil)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	url := "http://example.com/api/me"
	tamper := func(p string) string { return p[:len(p)-2] + "AA" }

	_, err := a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, tamper(k.standard(t, "POST", url, testNow, bound)))))
	require.ErrorIs(t, err, dpop.ErrInvalidProof)
	assert.ErrorContains(t, err, "htm is not", "htm is checked before the signature")
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, tamper(k.standard(t, "GET", url+"/other", testNow, bound)))))
	assert.ErrorContains(t, err, "htu is not", "htu is checked before the signature")
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, tamper(k.standard(t, "GET", url, testNow.Add(-time.Hour), bound)))))
	assert.ErrorContains(t, err, "iat is outside", "iat is checked before the signature")
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, tamper(k.standard(t, "GET", url, testNow, "another token")))))
	assert.ErrorContains(t, err, "ath is not", "ath is checked before the signature")

	// A random 16384-bit modulus: never a signature check.
	n := make([]byte, 2048)
	_, _ = rand.Read(n)
	n[0] |= 0x80
	hostile := `{"e":"AQAB","kty":"RSA","n":"` + b64(n) + `"}`
	header := `{"typ":"dpop+jwt","alg":"RS256","jwk":` + hostile + `}`
	fake := b64([]byte(header)) + "." + b64([]byte(proofClaims("GET", url+"/other", testNow, bound))) + "." + b64(n)
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, fake)))
	assert.ErrorContains(t, err, "htu is not", "a hostile key for another URL")
	fake = b64([]byte(header)) + "." + b64([]byte(proofClaims("GET", url, testNow, bound))) + "." + b64(n)
	_, err = a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, fake)))
	assert.ErrorIs(t, err, jwtgate.ErrProofRSASize, "a hostile key for this request is refused by its size")
	assert.ErrorIs(t, err, dpop.ErrInvalidProof)
}

// TestProofRSAKeys: a proof's RSA key is 2048 to 4096 bits, with n and e
// in their minimal encoding (RFC 7518 §6.3.1.1): a leading zero octet
// would give one key a second thumbprint.
func TestProofRSAKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	a := dpopAuth(t, nil)
	url := "http://example.com/api/me"
	n, e := priv.N.Bytes(), big.NewInt(int64(priv.E)).Bytes()
	try := func(n, e []byte) error {
		jwk := `{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(n) + `"}`
		bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+thumbprint(jwk)+`"}`))
		p := rsaProof(t, priv, `{"typ":"dpop+jwt","alg":"RS256","jwk":`+jwk+`}`, proofClaims("GET", url, testNow, bound))
		_, err := a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, p)))
		return err
	}
	require.NoError(t, try(n, e), "the key as RFC 7518 encodes it")
	assert.ErrorIs(t, try(append([]byte{0}, n...), e), keycheck.ErrNotMinimal, "n with a leading zero")
	assert.ErrorIs(t, try(n, append([]byte{0}, e...)), keycheck.ErrNotMinimal, "e with a leading zero")
}

// TestProofSmallOrderEd25519: with the identity point as its key, the
// signature R = B, S = 1 verifies every message, so anyone could sign
// proofs for it; such a key, and any of small order or non-canonical
// encoding, is refused.
func TestProofSmallOrderEd25519(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := dpopAuth(t, nil)
	url := "http://example.com/api/me"
	base, err := hex.DecodeString("5866666666666666666666666666666666666666666666666666666666666666")
	require.NoError(t, err)
	forged := append(base, make([]byte, 32)...)
	forged[32] = 1
	identity := make([]byte, 32)
	identity[0] = 1
	order8, _ := hex.DecodeString("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
	nonCanonical, _ := hex.DecodeString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	for name, x := range map[string][]byte{"identity": identity, "order 8": order8, "p, not reduced": nonCanonical} {
		jwk := `{"crv":"Ed25519","kty":"OKP","x":"` + b64(x) + `"}`
		bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+thumbprint(jwk)+`"}`))
		header := `{"typ":"dpop+jwt","alg":"EdDSA","jwk":` + jwk + `}`
		p := b64([]byte(header)) + "." + b64([]byte(proofClaims("GET", url, testNow, bound))) + "." + b64(forged)
		_, err := a.Authenticate(ctx, extractors.FromHTTP(dpopRequest("GET", url, bound, p)))
		assert.ErrorIs(t, err, dpop.ErrInvalidProof, name)
		assert.ErrorIs(t, err, jwtgate.ErrUnknownKey, name)
	}
}

// TestProofEscapedPath: htu is compared with the path as sent, after RFC
// 3986 §6.2.2's normalization, which decodes unreserved characters only.
func TestProofEscapedPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	a := dpopAuth(t, nil)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	for _, c := range []struct {
		request, htu string
		ok           bool
	}{
		{"/files/a%2Fb", "http://example.com/files/a/b", false},
		{"/files/a/b", "http://example.com/files/a%2Fb", false},
		{"/x/admin", "http://example.com/x/a%2F..%2Fadmin", false},
		{"/x/a%2F..%2Fadmin", "http://example.com/x/admin", false},
		{"/x/admin", "http://example.com/x/a/%2E%2E/admin", true}, // %2E is unreserved: a dot segment
		{"/protected", "http://example.com/prot%65cted", true},
		{"/a%2fb", "http://example.com/a%2Fb", true}, // hex digits' case
		{"/a~b", "http://example.com/a%7Eb", true},
		{"/a%20b", "http://example.com/a%20b", true},
		{"/a%20b", "http://example.com/a b", true}, // url.Parse escapes the space as %20
		{"/a%zzb", "http://example.com/a%zzb", false},
		{"/protected", "://example.com/protected", false}, // no scheme
		{"/protected", "example.com/protected", false},
		{"/protected", "ftp://example.com/protected", false},
		{"/protected", "http://EXAMPLE.com/protected", true}, // normalized
		{"/protected", "http://example.com:80/protected", true},
		{"/protected", "http://example.com:8080/protected", false},
		{"/protected", "http://user@example.com/protected", false},
	} {
		r := dpopRequest("GET", "http://example.com/", bound, k.standard(t, "GET", c.htu, testNow, bound))
		r.URL.RawPath, r.URL.Path = "", ""
		u, err := r.URL.Parse(c.request)
		if err == nil {
			r.URL = u
		} else {
			r.URL.RawPath, r.URL.Path = c.request, c.request // a malformed escape sent as it is
		}
		_, err = a.Authenticate(ctx, extractors.FromHTTP(r))
		if c.ok {
			assert.NoError(t, err, "%s at %s", c.htu, c.request)
		} else {
			assert.ErrorIs(t, err, dpop.ErrInvalidProof, "%s at %s", c.htu, c.request)
		}
	}
}

// emptyPath is a view whose Path is "".
type emptyPath struct{ extractors.HTTPRequest }

func (emptyPath) Path() string { return "" }

// TestProofNeedsPath: a request view that gives no path (Path is part of
// extractors.Request) does not make every path "/": DPoP refuses to check
// the proof, as the server's misconfiguration it is (500), for a proof
// made for "/" too.
func TestProofNeedsPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	a := dpopAuth(t, nil)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	for name, view := range map[string]func(*http.Request) extractors.Request{
		"Path is empty": func(r *http.Request) extractors.Request { return emptyPath{extractors.FromHTTP(r)} },
	} {
		r := dpopRequest("GET", "http://example.com/admin", bound, k.standard(t, "GET", "http://example.com/", testNow, bound))
		_, err := a.Authenticate(ctx, view(r))
		require.ErrorIs(t, err, jwtgate.ErrMisconfigured, name)
		assert.ErrorIs(t, err, jwtgate.ErrNoPath, name)
		assert.Equal(t, http.StatusInternalServerError, a.Response(err).Status, name)
	}
}

// TestDPoPUnsupported: a route over a transport that cannot carry a proof
// (Policy dpop.Unsupported, the RPC interceptors') refuses a DPoP-scheme
// credential itself, 400 invalid_request with a Bearer challenge only,
// logged and observed like any refusal; Bearer tokens pass, a bound one is
// refused as sent without its proof; it needs no Config.DPoP.
func TestDPoPUnsupported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newProofKey(t)
	bound := mint(testSecret, goodHeader, claimsJSON(`"cnf":{"jkt":"`+k.jkt+`"}`))
	unbound := mint(testSecret, goodHeader, claimsJSON(""))
	p := jwtgate.Policy{DPoP: dpop.Unsupported}
	required := dpopAuth(t, func(d *dpop.Config) { d.Mode = dpop.Required })
	require.Error(t, required.CheckPolicy(p), "a route cannot turn an Authenticator's required DPoP into Bearer")
	_, err := required.AuthenticateWith(ctx, bearer(unbound), p)
	require.ErrorIs(t, err, jwtgate.ErrMisconfigured, "nor pass a Bearer token through it")
	var refused atomic.Int32 // the hook every refusal goes through, with its log record and Observer
	onError := func(c *jwtgate.Config) { c.OnError = func(context.Context, error) { refused.Add(1) } }
	for name, a := range map[string]*jwtgate.Authenticator{"DPoP allowed": dpopAuth(t, nil), "no DPoP": testAuth(t, onError)} {
		before := refused.Load()
		require.NoError(t, a.CheckPolicy(p), name)
		_, err := a.AuthenticateWith(ctx, extractors.FromHTTP(dpopRequest("GET", "http://example.com/x", bound, k.standard(t, "GET", "http://example.com/x", testNow, bound))), p)
		require.ErrorIs(t, err, jwtgate.ErrInvalidRequest, name)
		require.ErrorIs(t, err, dpop.ErrNotSupported, name)
		assert.Equal(t, "dpop_not_supported", jwtgate.Reason(err), name)
		if name == "no DPoP" {
			assert.Equal(t, before+1, refused.Load(), "the refusal is the core's, through OnError")
		}
		resp := a.Response(err)
		assert.Equal(t, http.StatusBadRequest, resp.Status, name)
		assert.Equal(t, `Bearer realm="jwtgate", error="invalid_request", error_description="DPoP is not supported here: send the access token with the Bearer scheme"`, resp.WWWAuthenticate, name)

		tok, err := a.AuthenticateWith(ctx, bearer(unbound), p)
		require.NoError(t, err, name)
		assert.NotNil(t, tok)
		_, err = a.AuthenticateWith(ctx, bearer(bound), p)
		assert.ErrorIs(t, err, dpop.ErrTokenBound, name)
		assert.Equal(t, `Bearer realm="jwtgate", error="invalid_token", error_description="The access token is bound to a key: present it with DPoP"`, a.Response(err).WWWAuthenticate, name)
	}
}
