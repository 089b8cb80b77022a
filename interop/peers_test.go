package interop

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

// peer is an independent JOSE implementation, seen through what these tests
// ask of it.
type peer struct {
	name string
	// lacks names the algorithms of signing.Supported the library
	// does not have, and why.
	lacks map[string]string
	// sign mints a token with claims, typ at+jwt and the key's kid.
	sign func(m *material, claims map[string]any) (string, error)
	// publish returns the JWK Set of the keys' public halves, each with its
	// kid, alg and "use":"sig".
	publish func(ms []*material) ([]byte, error)
	// verify checks a token with the library's strictest checks, the clock
	// at now: the signature with key (a public key or an HMAC secret, or a
	// JWK Set of the library's own type from parseSet), typ at+jwt, iss and
	// aud required and exact, exp with no leeway, a maximum token age, and
	// RFC 9068's claims. It returns the claims.
	verify func(tok, alg string, key any, now time.Time) (map[string]any, error)
	// parseSet reads a JWK Set into the library's own type (usable as
	// verify's key) and returns the kid and alg of each key.
	parseSet func(data []byte) (set any, kidAlg map[string]string, err error)
	// fetchSet fetches a JWK Set from url as the library does, or as plain
	// HTTP when it has no fetcher, and parses it.
	fetchSet func(url string) (set any, kidAlg map[string]string, err error)
	// dpopProof signs claims as a DPoP proof (RFC 9449 §4.2) with m's
	// private key: typ dpop+jwt, m's alg, m's public key embedded as jwk,
	// no kid.
	dpopProof func(m *material, claims map[string]any) (string, error)
	// thumbprint is the RFC 7638 SHA-256 thumbprint of a public key,
	// base64url, as the library computes it: what cnf.jkt holds.
	thumbprint func(pub any) (string, error)
	// checkProof verifies a DPoP proof with the library, as RFC 9449 §4.3
	// asks of its JOSE part: typ dpop+jwt, alg, a public key in the jwk
	// header, the signature by that key. It returns the claims and the jwk's
	// thumbprint.
	checkProof func(proof, alg string) (claims map[string]any, jkt string, err error)
}

// algorithms returns the algorithms of jwtgate the peer has.
func (p *peer) algorithms() []string {
	var out []string
	for _, alg := range signing.Supported() {
		if _, ok := p.lacks[alg]; !ok {
			out = append(out, alg)
		}
	}
	return out
}

var peers = []*peer{goJose(), jwx()}

// goJose is github.com/go-jose/go-jose/v4.
func goJose() *peer {
	return &peer{
		name: "go-jose",
		lacks: map[string]string{
			// go-jose/v4 v4.1.9 lists EdDSA and no fully-specified name
			// (shared.go): jose.NewSigner refuses "Ed25519", and a token
			// naming it is refused by ParseSigned.
			"Ed25519": "RFC 9864's fully-specified name is not a go-jose SignatureAlgorithm; it has EdDSA only",
		},
		sign: func(m *material, claims map[string]any) (string, error) {
			signer, err := jose.NewSigner(
				jose.SigningKey{Algorithm: jose.SignatureAlgorithm(m.alg), Key: jose.JSONWebKey{Key: m.private(), KeyID: m.kid()}},
				(&jose.SignerOptions{}).WithType("at+jwt"))
			if err != nil {
				return "", err
			}
			return josejwt.Signed(signer).Claims(claims).Serialize()
		},
		publish: func(ms []*material) ([]byte, error) {
			set := jose.JSONWebKeySet{}
			for _, m := range ms {
				set.Keys = append(set.Keys, jose.JSONWebKey{Key: m.public(), KeyID: m.kid(), Algorithm: m.alg, Use: "sig"})
			}
			return json.Marshal(set)
		},
		verify: func(tok, alg string, key any, now time.Time) (map[string]any, error) {
			parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				return nil, err
			}
			// go-jose reads typ but does not check it: the test does.
			if typ, _ := parsed.Headers[0].ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
				return nil, fmt.Errorf("typ %q, not at+jwt", typ)
			}
			var std josejwt.Claims
			var all map[string]any
			if err := parsed.Claims(key, &std, &all); err != nil {
				return nil, err
			}
			if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: issuer, AnyAudience: josejwt.Audience{audience}, Time: now}, 0); err != nil {
				return nil, err
			}
			// go-jose has no required claims, maximum age or RFC 9068
			// validation: the test applies them to go-jose's reading.
			if std.Expiry == nil {
				return nil, errors.New("no exp")
			}
			if std.IssuedAt == nil || now.Sub(std.IssuedAt.Time()) > maxAge {
				return nil, errors.New("no iat, or older than the maximum age")
			}
			return all, checkRFC9068(all)
		},
		parseSet: func(data []byte) (any, map[string]string, error) {
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(data, &set); err != nil {
				return nil, nil, err
			}
			kidAlg := map[string]string{}
			for _, k := range set.Keys {
				if !k.Valid() || !k.IsPublic() || k.Use != "sig" {
					return nil, nil, fmt.Errorf("key %q: not a valid public signature key", k.KeyID)
				}
				kidAlg[k.KeyID] = k.Algorithm
			}
			return &set, kidAlg, nil
		},
		dpopProof: func(m *material, claims map[string]any) (string, error) {
			signer, err := jose.NewSigner(
				jose.SigningKey{Algorithm: jose.SignatureAlgorithm(m.alg), Key: m.private()},
				(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
			if err != nil {
				return "", err
			}
			return josejwt.Signed(signer).Claims(claims).Serialize()
		},
		thumbprint: func(pub any) (string, error) {
			tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
			return base64.RawURLEncoding.EncodeToString(tp), err
		},
		checkProof: func(proof, alg string) (map[string]any, string, error) {
			sig, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				return nil, "", err
			}
			h := sig.Signatures[0].Protected
			if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
				return nil, "", fmt.Errorf("typ %q, not dpop+jwt", typ)
			}
			if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
				return nil, "", errors.New("no public jwk in the header")
			}
			payload, err := sig.Verify(h.JSONWebKey)
			if err != nil {
				return nil, "", err
			}
			var claims map[string]any
			if err := json.Unmarshal(payload, &claims); err != nil {
				return nil, "", err
			}
			tp, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
			return claims, base64.RawURLEncoding.EncodeToString(tp), err
		},
	}
}

// jwx is github.com/lestrrat-go/jwx/v3.
func jwx() *peer {
	p := &peer{
		name:  "jwx",
		lacks: map[string]string{},
		sign: func(m *material, claims map[string]any) (string, error) {
			alg, ok := jwa.LookupSignatureAlgorithm(m.alg)
			if !ok {
				return "", fmt.Errorf("jwx has no %s", m.alg)
			}
			tok := jwxjwt.New()
			for name, v := range claims {
				if name == "iat" || name == "exp" {
					v = time.Unix(v.(int64), 0)
				}
				if err := tok.Set(name, v); err != nil {
					return "", err
				}
			}
			hdr := jws.NewHeaders()
			if err := errors.Join(hdr.Set(jws.TypeKey, "at+jwt"), hdr.Set(jws.KeyIDKey, m.kid())); err != nil {
				return "", err
			}
			b, err := jwxjwt.Sign(tok, jwxjwt.WithKey(alg, m.private(), jws.WithProtectedHeaders(hdr)))
			return string(b), err
		},
		publish: func(ms []*material) ([]byte, error) {
			set := jwk.NewSet()
			for _, m := range ms {
				k, err := jwk.Import(m.public())
				if err != nil {
					return nil, err
				}
				alg, _ := jwa.LookupSignatureAlgorithm(m.alg)
				if err := errors.Join(k.Set(jwk.KeyIDKey, m.kid()), k.Set(jwk.AlgorithmKey, alg), k.Set(jwk.KeyUsageKey, jwk.ForSignature)); err != nil {
					return nil, err
				}
				if err := set.AddKey(k); err != nil {
					return nil, err
				}
			}
			return json.Marshal(set)
		},
		verify: func(tok, algName string, key any, now time.Time) (map[string]any, error) {
			opts := []jwxjwt.ParseOption{
				jwxjwt.WithValidate(true),
				jwxjwt.WithClock(jwxjwt.ClockFunc(func() time.Time { return now })),
				jwxjwt.WithAcceptableSkew(0),
				jwxjwt.WithIssuer(issuer),
				jwxjwt.WithAudience(audience),
				jwxjwt.WithMaxDelta(maxAge, "", jwxjwt.IssuedAtKey), // now - iat: the maximum age
				jwxjwt.WithPedantic(true),
			}
			for _, c := range rfc9068Claims {
				opts = append(opts, jwxjwt.WithRequiredClaim(c))
			}
			if set, ok := key.(jwk.Set); ok {
				opts = append(opts, jwxjwt.WithKeySet(set))
			} else {
				alg, ok := jwa.LookupSignatureAlgorithm(algName)
				if !ok {
					return nil, fmt.Errorf("jwx has no %s", algName)
				}
				opts = append(opts, jwxjwt.WithKey(alg, key))
			}
			parsed, err := jwxjwt.ParseString(tok, opts...)
			if err != nil {
				return nil, err
			}
			// jwx checks no typ of a JWT: the test reads the verified
			// header with jws.
			msg, err := jws.ParseString(tok)
			if err != nil {
				return nil, err
			}
			if typ, _ := msg.Signatures()[0].ProtectedHeaders().Type(); typ != "at+jwt" {
				return nil, fmt.Errorf("typ %q, not at+jwt", typ)
			}
			all := map[string]any{}
			for _, name := range parsed.Keys() {
				var v any
				if err := parsed.Get(name, &v); err != nil {
					return nil, err
				}
				all[name] = v
			}
			return all, checkRFC9068(all)
		},
		parseSet: func(data []byte) (any, map[string]string, error) {
			set, err := jwk.Parse(data)
			if err != nil {
				return nil, nil, err
			}
			return set, jwxKidAlg(set), nil
		},
		fetchSet: func(url string) (any, map[string]string, error) {
			set, err := jwk.Fetch(context.Background(), url)
			if err != nil {
				return nil, nil, err
			}
			return set, jwxKidAlg(set), nil
		},
		dpopProof: func(m *material, claims map[string]any) (string, error) {
			alg, ok := jwa.LookupSignatureAlgorithm(m.alg)
			if !ok {
				return "", fmt.Errorf("jwx has no %s", m.alg)
			}
			pub, err := jwk.PublicKeyOf(m.private())
			if err != nil {
				return "", err
			}
			payload, err := json.Marshal(claims)
			if err != nil {
				return "", err
			}
			hdr := jws.NewHeaders()
			if err := errors.Join(hdr.Set(jws.TypeKey, "dpop+jwt"), hdr.Set(jws.JWKKey, pub)); err != nil {
				return "", err
			}
			b, err := jws.Sign(payload, jws.WithKey(alg, m.private(), jws.WithProtectedHeaders(hdr)))
			return string(b), err
		},
		thumbprint: func(pub any) (string, error) {
			k, err := jwk.Import(pub)
			if err != nil {
				return "", err
			}
			tp, err := k.Thumbprint(crypto.SHA256)
			return base64.RawURLEncoding.EncodeToString(tp), err
		},
		checkProof: func(proof, algName string) (map[string]any, string, error) {
			alg, ok := jwa.LookupSignatureAlgorithm(algName)
			if !ok {
				return nil, "", fmt.Errorf("jwx has no %s", algName)
			}
			msg, err := jws.ParseString(proof)
			if err != nil {
				return nil, "", err
			}
			h := msg.Signatures()[0].ProtectedHeaders()
			if typ, _ := h.Type(); typ != "dpop+jwt" {
				return nil, "", fmt.Errorf("typ %q, not dpop+jwt", typ)
			}
			if a, _ := h.Algorithm(); a != alg {
				return nil, "", fmt.Errorf("alg %s, not %s", a, alg)
			}
			key, ok := h.JWK()
			if !ok {
				return nil, "", errors.New("no jwk in the header")
			}
			if private, err := jwk.IsPrivateKey(key); err != nil || private {
				return nil, "", errors.New("no public jwk in the header")
			}
			payload, err := jws.Verify([]byte(proof), jws.WithKey(alg, key))
			if err != nil {
				return nil, "", err
			}
			var claims map[string]any
			if err := json.Unmarshal(payload, &claims); err != nil {
				return nil, "", err
			}
			tp, err := key.Thumbprint(crypto.SHA256)
			return claims, base64.RawURLEncoding.EncodeToString(tp), err
		},
	}
	return p
}

func jwxKidAlg(set jwk.Set) map[string]string {
	kidAlg := map[string]string{}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, _ := k.KeyID()
		alg, _ := k.Algorithm()
		kidAlg[kid] = alg.String()
	}
	return kidAlg
}

// fetchPlain is how a library without a fetcher gets a JWK Set: a GET.
func fetchPlain(url string, parse func([]byte) (any, map[string]string, error)) (any, map[string]string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, errors.New(resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return parse(body)
}

func init() {
	for _, p := range peers {
		if p.fetchSet == nil {
			p.fetchSet = func(url string) (any, map[string]string, error) { return fetchPlain(url, p.parseSet) }
		}
	}

}
