// Package jwtgate is the framework-agnostic core of jwtgate: it finds a bearer
// token in a request, verifies its signature with the signing methods of
// github.com/golang-jwt/jwt/v5 and its claims with its own strict reader, asks
// a revocation hook whether it is still good, and says how a failure is
// answered over HTTP (RFC 6750 §3).
//
// # The token's life
//
// Package core/issuing's Issuer mints short-lived access tokens (typ
// at+jwt) and refresh tokens (typ refresh+jwt) at login, rotates the
// refresh token on every refresh, detects a spent refresh token presented
// again and then revokes its whole family (RFC 6819 §5.2.2.3), and revokes
// on logout. Its Store (the embedded issuing.MemoryStore, or a shared one
// such as core/redisstore's) holds the families and revocations; set it as
// the verifier's Config.Revoker too, so revoked tokens are refused on the
// next request. A resource server that only verifies tokens imports this
// package alone.
//
// The adapters (httpjwt for net/http, echojwt, ginjwt, fiberjwt, and the
// grpcjwt and connectjwt interceptors) only translate between their framework
// and this package: every security decision is made here, once, and each
// adapter turns the one adapt.Decision of package core/adapt into its
// framework's answer. This package is what an application writes; what only
// adapter authors need is in core/adapt, DPoP's configuration in core/dpop,
// the algorithms and their golang-jwt methods in core/signing.
//
// # Building an Authenticator
//
// [New] checks the whole [Config] and reports every problem at once. A zero
// Config is invalid, never permissive: keys are required, each key is bound to
// exactly one algorithm, "none" can never be allowed, HMAC secrets shorter than
// their hash are refused, and the issuer and audience must be named unless the
// configuration opts out explicitly.
//
// # What a token must pass
//
// In this order, each step before the next (so a forged token never reaches the
// revocation store):
//
//  1. extraction: exactly one method carries the token (RFC 6750 §2);
//  2. shape: at most MaxTokenSize bytes, three base64url segments, nothing else;
//  3. header: UTF-8 JSON object without duplicate names; alg on the list of
//     the configured keys' algorithms; typ on the allow-list; no unknown crit;
//     no jku, x5u, jwk, x5c or b64; no nested JWT (cty "JWT");
//  4. payload: UTF-8 JSON object without duplicate or case-variant registered
//     names; registered claims of their JSON types; NumericDates that are
//     numbers in range;
//  5. key and signature: the key that kid (and, with [KeysByIssuer], the
//     unverified iss) selects, bound to the token's alg; the signature;
//  6. claims: exp (required by default), nbf and iat with the configured
//     leeway; iss, aud and sub; required claims; the claims type's own
//     Validate method; Config.Validate;
//  7. revocation: Config.Revoker, failing closed (503) when it cannot answer;
//  8. CSRF, for a token found in a cookie: an unsafe method needs the CSRF
//     token of its login and a trusted origin (Config.Cookies).
//
// A token that passed 2 to 6 is remembered (Config.CacheSize): sent again, it
// skips them, while exp, nbf, Config.Validate, revocation and CSRF are applied
// on every request.
//
// # Errors and HTTP
//
// Every failure wraps one of [ErrTokenMissing], [ErrInvalidRequest],
// [ErrInvalidToken], [ErrInsufficientScope], [ErrUnavailable] or (from the
// Issuer) issuing.ErrInvalidGrant, and the cause (for example jwt.ErrTokenExpired),
// so errors.Is works on both; [Reason] names the cause for logs and metrics.
// [Authenticator.Response] turns an error into the status, WWW-Authenticate
// challenge and JSON body to send; the token and internal error text never
// reach the client.
package jwtgate
