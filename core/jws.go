package jwtgate

import (
	"context"
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
		return nil, newError(ErrInvalidToken, errTokenTooLarge, "The access token is too large")
	}
	dot1, dot2, ok := compactShape(raw)
	if !ok {
		return nil, newError(ErrInvalidToken, errTokenShape, "The access token is malformed")
	}
	var env envelope
	if err := a.checkHeader(raw[:dot1], &env); err != nil {
		return nil, newError(ErrInvalidToken, err, describeHeaderError(err))
	}
	payload, err := strictB64.DecodeString(raw[dot1+1 : dot2])
	if err != nil {
		return nil, newError(ErrInvalidToken, errMalformed, "The access token is malformed")
	}
	key, err := a.lookupKey(ctx, env.alg, env.kid, "")
	if err != nil {
		return nil, newError(ErrInvalidToken, err, describeTokenError(err))
	}
	if err := verifySignature(env.alg, raw, dot2, key.VerifyKey); err != nil {
		return nil, newError(ErrInvalidToken, err, describeTokenError(err))
	}
	return payload, nil
}
