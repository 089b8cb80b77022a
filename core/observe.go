package jwtgate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/internal/kinds"
	"github.com/jwtgate/jwtgate/extractors"
)

// Observer sees what the verifier does, for metrics and traces: each
// request's authentication, each scope check, each call to the revocation
// or DPoP replay store, each eviction from the verified-token cache. Set
// it as Config.Observer. The issuing side (issuing.Observer) and remote
// key sets (jwks.Observer) have observers of their own, for what happens
// there. The OpenTelemetry module (github.com/jwtgate/jwtgate/otel)
// implements all three; Prometheus, expvar or Datadog clients can too.
//
// Each event is a struct, so that a fact added to one later breaks no
// implementation; an event added later is a method, so embed
// [NopObserver] to implement only some and keep compiling.
//
// Methods are called synchronously on the request's goroutine, after the
// fact, with its start time and duration, so a tracer can record a span
// retroactively: keep them fast, never block, and keep nothing an event
// points to. An Observer must be safe for concurrent use. With no Observer,
// jwtgate reads no clock and builds no event: the hot path costs nothing.
type Observer interface {
	// Authenticated is called once per Authenticate or Verify, with its
	// outcome.
	Authenticated(ctx context.Context, o *Outcome)
	// Authorized is called once per scope check of a route's scope guard
	// (every adapter's RequireScopes, Authenticator.Authorize), after the
	// request's authentication: o.Reason is "" when the token grants the
	// scopes, else "insufficient_scope", "missing_token" (no token, let
	// through by optional credentials) or "misconfigured". o.Token is the
	// token checked, if any.
	Authorized(ctx context.Context, o *Outcome)
	// StoreCall is called after each call the verifier makes to the
	// revocation store ("is_revoked") or the DPoP replay store
	// ("remember_proof").
	StoreCall(ctx context.Context, c *StoreCall)
	// CacheEvicted is called when the verified-token cache drops an entry
	// to make room for another.
	CacheEvicted(ctx context.Context, e *Eviction)
}

// NopObserver implements [Observer] with methods that do nothing, to embed
// in an observer that implements only some.
type NopObserver struct{}

func (NopObserver) Authenticated(context.Context, *Outcome) {}
func (NopObserver) Authorized(context.Context, *Outcome)    {}
func (NopObserver) StoreCall(context.Context, *StoreCall)   {}
func (NopObserver) CacheEvicted(context.Context, *Eviction) {}

// StoreCall is one call to a store: the verifier's revocation and replay
// stores, and the issuing side's store (issuing.Observer).
type StoreCall struct {
	// Op is the store's method: "is_revoked", "remember_proof",
	// "start_family", "rotate_family", "revoke_token", "revoke_family",
	// "revoke_subject".
	Op string
	// Start and Duration time the call.
	Start    time.Time
	Duration time.Duration
	// Err is the store's error; nil when it answered.
	Err error
}

// Eviction is the verified-token cache dropping an entry to make room for
// another. It carries no fact yet.
type Eviction struct{}

// Outcome is one request's authentication, as an Observer sees it.
type Outcome struct {
	// Start is when Authenticate (or Verify) was called; Duration how long
	// it took, the revocation check included.
	Start    time.Time
	Duration time.Duration
	// Token is the verified token; nil when refused or when no token was
	// sent and CredentialsOptional let the request through.
	Token *Token
	// Err is the refusal (an *Error), nil when accepted.
	Err error
	// Reason is Reason(Err): "" when accepted.
	Reason string
	// Cached says the token was answered from the verified-token cache.
	Cached bool
	// CacheLookup says the cache was asked (false without a cache, or for a
	// request refused before a token was read); with Cached false, it did
	// not have the token.
	CacheLookup bool
	// DPoP says the request presented its token with a DPoP proof.
	DPoP bool
	// Source is where the token was found (its String is
	// "header:Authorization", …); the zero Source when none was.
	Source extractors.Source
	// Alg is the token's alg when it was read ("" otherwise). Bounded: one
	// of the configured keys' algorithms.
	Alg string
}

// Reason is a stable, machine-readable name for why jwtgate refused
// something, for logs and metrics: "missing_token", "malformed_request",
// "multiple_methods", "repeated", "too_large", "malformed", "header",
// "type", "critical_header", "algorithm", "unknown_key", "bad_signature",
// "expired", "not_yet_valid", "issued_in_future", "issuer", "audience",
// "subject", "authorized_party", "missing_claim", "validation", "revoked",
// "store_unavailable", "csrf", "insufficient_scope", "misconfigured",
// "invalid_grant", "dpop_proof", "use_dpop_nonce", "dpop_bound",
// "dpop_not_bound", "dpop_required", "dpop_not_supported"; "" for nil; "error" for an error not from jwtgate. New
// reasons may be added; these do not change.
//
// Kept whole: a table from error kinds to names, read as one.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	e, ok := asError(err)
	if !ok {
		return "error"
	}
	if e.reason != "" {
		return e.reason
	}
	switch e.Kind {
	case ErrTokenMissing:
		return "missing_token"
	case ErrInvalidRequest:
		switch {
		case errors.Is(e.Cause, extractors.ErrMultipleMethods):
			return "multiple_methods"
		case errors.Is(e.Cause, extractors.ErrRepeated):
			return "repeated"
		case errors.Is(e.Cause, dpop.ErrNotSupported):
			return "dpop_not_supported"
		}
		return "malformed_request"
	case ErrInsufficientScope:
		return "insufficient_scope"
	case ErrUnavailable:
		return "store_unavailable"
	case ErrCSRF:
		return "csrf"
	case ErrMisconfigured:
		return "misconfigured"
	case kinds.ErrInvalidGrant:
		return "invalid_grant"
	case dpop.ErrInvalidProof:
		return "dpop_proof"
	case dpop.ErrUseNonce:
		return "use_dpop_nonce"
	}
	c := e.Cause
	for _, r := range commonReasons {
		if c == r.err { // a pointer against any error: never an uncomparable pair
			return r.reason
		}
	}
	return causeReason(c)
}

// causeReason is the reason of an ErrInvalidToken of cause c.
func causeReason(c error) string {
	for _, r := range tokenReasons {
		if errors.Is(c, r.err) {
			return r.reason
		}
	}
	return "malformed"
}

// tokenReason names the refusals whose cause is err.
type tokenReason struct {
	err    error
	reason string
}

// tokenReasons are the causes of ErrInvalidToken, most specific first.
var tokenReasons = []tokenReason{
	{errTokenTooLarge, "too_large"},
	{dpop.ErrTokenBound, "dpop_bound"},
	{dpop.ErrTokenNotBound, "dpop_not_bound"},
	{dpop.ErrRequired, "dpop_required"},
	{ErrTokenRevoked, "revoked"},
	{errValidationFailed, "validation"},
	{errTypeNotAllowed, "type"},
	{errCriticalHeader, "critical_header"},
	{errHeaderInvalid, "header"},
	{ErrUnknownKey, "unknown_key"},
	{errAlgorithmMismatch, "algorithm"},
	{jwt.ErrTokenSignatureInvalid, "bad_signature"},
	{jwt.ErrTokenExpired, "expired"},
	{jwt.ErrTokenNotValidYet, "not_yet_valid"},
	{jwt.ErrTokenUsedBeforeIssued, "issued_in_future"},
	{jwt.ErrTokenInvalidIssuer, "issuer"},
	{jwt.ErrTokenInvalidAudience, "audience"},
	{jwt.ErrTokenInvalidSubject, "subject"},
	{errAuthorizedParty, "authorized_party"},
	{jwt.ErrTokenRequiredClaimMissing, "missing_claim"},
	{jwt.ErrTokenUnverifiable, "algorithm"},
}

// commonReasons holds causeReason's answer for the causes verify builds
// once and returns as they are (a forged token's, an expired one's…), so
// that a refusal's reason is found by comparing pointers rather than by an
// errors.Is per tokenReasons entry down its joined errors. A slice, not a
// map: a cause of an uncomparable type (a KeySource's error) would make a
// map lookup panic. TestCommonReasons holds it to causeReason.
var commonReasons = func() []tokenReason {
	var rs []tokenReason
	for _, c := range commonCauses() {
		rs = append(rs, tokenReason{c, causeReason(c)})
	}
	return rs
}()

// commonCauses are the causes of ErrInvalidToken that verify returns as
// they are, never wrapped anew.
func commonCauses() []error {
	return []error{
		errMalformedClaims, errMalformed, errSignature, errExpired, errNotValidYet, errUsedBeforeIssued,
		errIssuer, errAudience, errSubject, errParty, errRequired, errAlgUnverifiable, errUnknownKey,
		errTokenTooLarge, errTokenShape, errHeaderInvalid, errTypeNotAllowed, errCriticalHeader, errAlgorithmMismatch,
	}
}

// oneLine is err's text on one line: errors.Join puts its errors on lines
// of their own, which a log record must not.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
