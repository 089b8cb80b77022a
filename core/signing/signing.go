// Package signing names the JSON Web Algorithms (RFC 7518, RFC 9864) jwtgate
// verifies and signs, and maps each to its golang-jwt signing method: for
// the packages beside the core that sign or read keys (issuing, jwks, the
// command-line tool) and for code of your own that must agree with them.
// An application configuring an Authenticator does not need it.
package signing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Supported lists every algorithm jwtgate verifies and signs.
func Supported() []string {
	return []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
}

// Same reports whether a key bound to bound may verify a token whose alg
// is alg: the same name, or EdDSA and Ed25519, which name one algorithm for
// an Ed25519 key (RFC 9864 §2.2).
func Same(bound, alg string) bool {
	return bound == alg || IsEd25519(bound) && IsEd25519(alg)
}

// IsEd25519 reports whether alg is EdDSA or Ed25519: the names of
// EdDSA with an Ed25519 key.
func IsEd25519(alg string) bool { return alg == "EdDSA" || alg == "Ed25519" }

var curves = map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}

// ForKey returns the only algorithm a public key may be used with
// when nothing else says: RS256 for RSA (PS* must be asked for), ES256, ES384
// or ES512 by curve, EdDSA for Ed25519.
func ForKey(pub any) (string, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return "RS256", nil
	case *ecdsa.PublicKey:
		for alg, c := range curves {
			if p.Curve == c {
				return alg, nil
			}
		}
		return "", errors.New("jwtgate: ECDSA key on an unsupported curve (want P-256, P-384 or P-521)")
	case ed25519.PublicKey:
		return "EdDSA", nil
	}
	return "", fmt.Errorf("jwtgate: no algorithm for key type %T", pub)
}

// RSASSA-PSS as RFC 7518 §3.5 fixes it: the salt as long as the hash.
// golang-jwt's own PS* methods verify with rsa.PSSSaltLengthAuto, which
// accepts signatures no conforming signer makes (the repository's docs/security-cases.md, SIG-11).
var (
	strictPS256 = strictPSS(jwt.SigningMethodPS256)
	strictPS384 = strictPSS(jwt.SigningMethodPS384)
	strictPS512 = strictPSS(jwt.SigningMethodPS512)
)

func strictPSS(m *jwt.SigningMethodRSAPSS) *jwt.SigningMethodRSAPSS {
	return &jwt.SigningMethodRSAPSS{
		SigningMethodRSA: m.SigningMethodRSA,
		Options:          &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash},
	}
}

// Method returns the golang-jwt signing method jwtgate uses for alg:
// golang-jwt's own, except PS256/384/512, whose salt is fixed to the hash's
// length (RFC 7518 §3.5), and Ed25519 (RFC 9864), golang-jwt's EdDSA under
// the fully-specified name. It returns nil for anything else. jwtgate
// registers nothing with golang-jwt: its global registry stays as the
// application left it.
func Method(alg string) jwt.SigningMethod {
	switch alg {
	case "HS256":
		return jwt.SigningMethodHS256
	case "HS384":
		return jwt.SigningMethodHS384
	case "HS512":
		return jwt.SigningMethodHS512
	case "RS256":
		return jwt.SigningMethodRS256
	case "RS384":
		return jwt.SigningMethodRS384
	case "RS512":
		return jwt.SigningMethodRS512
	case "PS256":
		return strictPS256
	case "PS384":
		return strictPS384
	case "PS512":
		return strictPS512
	case "ES256":
		return jwt.SigningMethodES256
	case "ES384":
		return jwt.SigningMethodES384
	case "ES512":
		return jwt.SigningMethodES512
	case "EdDSA":
		return jwt.SigningMethodEdDSA
	case "Ed25519":
		return signingEd25519
	}
	return nil
}

// signingEd25519 is EdDSA with an Ed25519 key, under RFC 9864's name.
var signingEd25519 jwt.SigningMethod = ed25519Method{}

type ed25519Method struct{}

func (ed25519Method) Alg() string { return "Ed25519" }
func (ed25519Method) Verify(signingString string, sig []byte, key any) error {
	return jwt.SigningMethodEdDSA.Verify(signingString, sig, key)
}
func (ed25519Method) Sign(signingString string, key any) ([]byte, error) {
	return jwt.SigningMethodEdDSA.Sign(signingString, key)
}
