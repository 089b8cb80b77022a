package jwtgate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/jwtgate/jwtgate/core/signing"
)

// ParsePEM reads a key from PEM text and binds it to alg: a public key
// (PKIX "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY", or the key of a "CERTIFICATE")
// gives a verify-only Key; a private key (PKCS#8 "PRIVATE KEY", PKCS#1 "RSA
// PRIVATE KEY", SEC 1 "EC PRIVATE KEY") gives a Key that signs too. An empty
// alg means the only algorithm the key's type allows: RS256 for RSA, ES256,
// ES384 or ES512 by curve, EdDSA for Ed25519. The key is validated as [New]
// would ([Key.Validate]); errors say what is wrong.
//
// Kept whole: one case per PEM block type, each with its parser, the
// table of the formats it reads.
func ParsePEM(data []byte, alg, kid string) (*Key, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("jwtgate: ParsePEM: no PEM block found")
	}
	if b, _ := pem.Decode(rest); b != nil {
		return nil, errors.New("jwtgate: ParsePEM: more than one PEM block; give one key at a time")
	}
	var (
		pub  crypto.PublicKey
		priv crypto.PrivateKey
		err  error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	case "PRIVATE KEY":
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("jwtgate: ParsePEM: unsupported PEM block %q (want PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("jwtgate: ParsePEM: %s: %w", block.Type, err)
	}
	k := &Key{ID: kid, Algorithm: alg}
	if priv != nil {
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("jwtgate: ParsePEM: unsupported private key type %T", priv)
		}
		k.SignKey, pub = priv, signer.Public()
	}
	switch p := pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		k.VerifyKey = p
	default:
		return nil, fmt.Errorf("jwtgate: ParsePEM: unsupported public key type %T", pub)
	}
	if k.Algorithm == "" {
		if k.Algorithm, err = signing.ForKey(k.VerifyKey); err != nil {
			return nil, err
		}
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return k, nil
}
