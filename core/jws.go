package jwtgate

import (
	"context"
	"crypto/rsa"
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// VerifyJWS checks everything about a compact JWS that does not depend on its
// payload — size and shape, the header rules, the key its kid selects, the
// algorithm bound to that key, the signature — and returns the decoded
// payload. It does not read the payload as claims: no exp, iss, aud or
// revocation check. Use it for signed payloads that are not JWTs, and for
// outside signature test suites (jwtgate runs Wycheproof's JWS vectors through
// it); never to authenticate a request, which is what Authenticate and Verify
// are for. Since the payload is not read, the key lookup gets no issuer: with
// KeysByIssuer as Keys every JWS is refused (ErrUnknownKey).
func (a *Authenticator) VerifyJWS(ctx context.Context, raw string) ([]byte, error) {
	if len(raw) > a.maxSize {
		return nil, newError(ErrInvalidToken, ErrTokenTooLarge, "The access token is too large")
	}
	dot1, dot2, ok := compactShape(raw)
	if !ok {
		return nil, newError(ErrInvalidToken, ErrTokenShape, "The access token is malformed")
	}
	env := &envelope{a: a, ctx: ctx}
	if err := a.checkHeader(raw[:dot1], env); err != nil {
		return nil, newError(ErrInvalidToken, err, describeHeaderError(err))
	}
	payload, err1 := strictB64.DecodeString(raw[dot1+1 : dot2])
	sig, err2 := strictB64.DecodeString(raw[dot2+1:])
	if err1 != nil || err2 != nil {
		return nil, newError(ErrInvalidToken, ErrTokenShape, "The access token is malformed")
	}
	var alg string
	if v, ok := jsonField(raw[:dot1], "alg"); ok {
		alg = v
	}
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		return nil, newError(ErrInvalidToken, ErrAlgorithmMismatch, "The access token algorithm is not accepted")
	}
	key, err := a.findKey(&jwt.Token{Method: method, Claims: env})
	if err != nil {
		return nil, newError(ErrInvalidToken, err, describeTokenError(err))
	}
	if err := method.Verify(raw[:dot2], sig, key); err != nil {
		return nil, newError(ErrInvalidToken, errors.Join(jwt.ErrTokenSignatureInvalid, err), "The access token signature is invalid")
	}
	if pub, ok := key.(*rsa.PublicKey); ok && alg[:2] == "PS" && !strictPSS(pub, method, raw[:dot2], sig) {
		return nil, newError(ErrInvalidToken, jwt.ErrTokenSignatureInvalid, "The access token signature is invalid")
	}
	return payload, nil
}

// jsonField returns a string member of the base64url-encoded JSON object seg.
func jsonField(seg, name string) (string, bool) {
	b, err := strictB64.DecodeString(seg)
	if err != nil {
		return "", false
	}
	var out string
	found := false
	_ = scanObject(b, func(n, v []byte) error {
		if string(n) == name {
			out, found = jsonString(v)
		}
		return nil
	})
	return out, found
}
