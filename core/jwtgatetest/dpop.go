package jwtgatetest

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"time"
)

// DPoPKey is a client's DPoP key (RFC 9449), for tests: it makes proofs the
// way a client does. Proofs are signed here with the standard library's
// crypto packages directly, by code of its own, not with golang-jwt or
// jwtgate's signing code, so that a test of the verifier does not check
// jwtgate against itself; the interop module checks these proofs against
// go-jose and jwx.
type DPoPKey struct {
	alg  string
	priv crypto.Signer
	jwk  string // the public JWK, its members in RFC 7638's order
	jkt  string
}

// NewDPoPKey generates a key for alg: ES256, ES384, ES512, EdDSA (Ed25519),
// RS256 or PS256. It panics on any other.
func NewDPoPKey(alg string) *DPoPKey {
	var (
		priv crypto.Signer
		jwk  string
		err  error
	)
	b64 := base64.RawURLEncoding.EncodeToString
	switch alg {
	case "ES256", "ES384", "ES512":
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(curve, rand.Reader); err == nil {
			var pub *ecdh.PrivateKey
			if pub, err = k.ECDH(); err == nil {
				point := pub.PublicKey().Bytes() // 0x04, X, Y (SEC 1 §2.3.3)
				size := (len(point) - 1) / 2
				jwk = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, curve.Params().Name, b64(point[1:1+size]), b64(point[1+size:]))
				priv = k
			}
		}
	case "EdDSA":
		var pub ed25519.PublicKey
		var k ed25519.PrivateKey
		if pub, k, err = ed25519.GenerateKey(rand.Reader); err == nil {
			jwk = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":%q}`, b64(pub))
			priv = k
		}
	case "RS256", "PS256":
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, 2048); err == nil {
			jwk = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, b64(big.NewInt(int64(k.E)).Bytes()), b64(k.N.Bytes()))
			priv = k
		}
	default:
		panic("jwtgatetest: NewDPoPKey: unsupported alg " + alg)
	}
	if err != nil {
		panic("jwtgatetest: NewDPoPKey: " + err.Error())
	}
	h := sha256.Sum256([]byte(jwk))
	return &DPoPKey{alg: alg, priv: priv, jwk: jwk, jkt: b64(h[:])}
}

// JKT is the key's RFC 7638 SHA-256 thumbprint: what cnf.jkt holds in a
// token bound to it.
func (k *DPoPKey) JKT() string { return k.jkt }

// JWK is the public key as a JSON object.
func (k *DPoPKey) JWK() string { return k.jwk }

// Alg is the key's algorithm.
func (k *DPoPKey) Alg() string { return k.alg }

// ProofOptions change a proof; the zero value is a correct one.
type ProofOptions struct {
	// Nonce is the nonce claim; none when empty.
	Nonce string
	// JTI is the proof's jti; a fresh random one when empty.
	JTI string
	// Header replaces the whole protected header when set (raw JSON).
	Header string
	// Claims replaces the whole claims set when set (raw JSON).
	Claims string
	// Extra members are added to the claims set, each a "name":value pair.
	Extra []string
	// Tamper changes the signature's last byte.
	Tamper bool
}

// Proof is a DPoP proof (RFC 9449 §4.2) for method and htu at iat, with
// ath for accessToken when it is not empty.
func (k *DPoPKey) Proof(method, htu string, iat time.Time, accessToken string, o ProofOptions) string {
	header := o.Header
	if header == "" {
		header = `{"typ":"dpop+jwt","alg":"` + k.alg + `","jwk":` + k.jwk + `}`
	}
	claims := o.Claims
	if claims == "" {
		jti := o.JTI
		if jti == "" {
			var b [16]byte
			_, _ = rand.Read(b[:])
			jti = base64.RawURLEncoding.EncodeToString(b[:])
		}
		m, _ := json.Marshal(map[string]any{"jti": jti, "htm": method, "htu": htu, "iat": iat.Unix()})
		claims = string(m[:len(m)-1])
		if accessToken != "" {
			claims += `,"ath":"` + AccessTokenHash(accessToken) + `"`
		}
		if o.Nonce != "" {
			n, _ := json.Marshal(o.Nonce)
			claims += `,"nonce":` + string(n)
		}
		for _, e := range o.Extra {
			claims += "," + e
		}
		claims += "}"
	}
	return k.Sign(header, claims, o.Tamper)
}

// Sign signs the raw header and claims JSON with the key, as a compact JWS.
func (k *DPoPKey) Sign(header, claims string, tamper bool) string {
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64([]byte(header)) + "." + b64([]byte(claims))
	sig, err := k.sign([]byte(input))
	if err != nil {
		panic("jwtgatetest: DPoPKey.Sign: " + err.Error())
	}
	if tamper {
		sig[len(sig)-1] ^= 1
	}
	return input + "." + b64(sig)
}

func (k *DPoPKey) sign(input []byte) ([]byte, error) {
	switch key := k.priv.(type) {
	case *ecdsa.PrivateKey:
		size := (key.Curve.Params().BitSize + 7) / 8
		var digest []byte
		switch k.alg {
		case "ES256":
			h := sha256.Sum256(input)
			digest = h[:]
		case "ES384":
			h := sha512.Sum384(input)
			digest = h[:]
		default:
			h := sha512.Sum512(input)
			digest = h[:]
		}
		r, s, err := ecdsa.Sign(rand.Reader, key, digest)
		if err != nil {
			return nil, err
		}
		// RFC 7518 §3.4: R and S, each in the curve's size, concatenated.
		return append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...), nil
	case ed25519.PrivateKey:
		return ed25519.Sign(key, input), nil
	case *rsa.PrivateKey:
		h := sha256.Sum256(input)
		if k.alg == "PS256" {
			return rsa.SignPSS(rand.Reader, key, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	}
	return nil, fmt.Errorf("unsupported key %T", k.priv)
}

// AccessTokenHash is a proof's ath for token: the base64url SHA-256 of its
// ASCII (RFC 9449 §4.2).
func AccessTokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
