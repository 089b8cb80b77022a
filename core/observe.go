package jwtgate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/extractors"
)

// Observer sees what jwtgate does, for metrics and traces: each request's
// authentication, each call to the revocation store, each fetch of a remote
// key set, each operation of the issuing side, each eviction from the
// verified-token cache. Set it as Config.Observer (and issuing.Config's and
// jwks.RemoteOptions' Observer). The OpenTelemetry module
// (github.com/jwtgate/jwtgate/otel) implements it; Prometheus, expvar or
// Datadog clients can too. Embed [NopObserver] to implement only some
// methods.
//
// Methods are called synchronously on the request's goroutine, after the
// fact, with its start time and duration, so a tracer can record a span
// retroactively: keep them fast, and never block. An Observer must be safe
// for concurrent use. With no Observer, jwtgate reads no clock and builds no
// event: the hot path costs nothing.
type Observer interface {
	// Authenticated is called once per Authenticate or Verify, with its
	// outcome.
	Authenticated(ctx context.Context, o *Outcome)
	// StoreCall is called after each call jwtgate makes to a revocation
	// store, issuing store or DPoP replay store: op is the method
	// ("is_revoked", "start_family", "rotate_family", "revoke_token",
	// "revoke_family", "revoke_subject", "remember_proof").
	StoreCall(ctx context.Context, op string, start time.Time, d time.Duration, err error)
	// KeysFetched is called after each fetch of a remote key set.
	KeysFetched(ctx context.Context, f *KeyFetch)
	// Issued is called after each operation of the issuing side: op is
	// "login", "refresh" or "logout", or "revoke_subject"; reason is "" for a
	// success, else Reason(err), or "refresh_reused" when a spent refresh
	// token came back and its family was revoked.
	Issued(ctx context.Context, op, reason string, start time.Time, d time.Duration, err error)
	// CacheEvicted is called when the verified-token cache drops an entry
	// to make room for another.
	CacheEvicted(ctx context.Context)
	// Authorized is called once per scope check of a route's scope guard
	// (every adapter's RequireScopes, Authenticator.Authorize), after the
	// request's authentication: o.Reason is "" when the token grants the
	// scopes, else "insufficient_scope", "missing_token" (no token, let
	// through by optional credentials) or "misconfigured". o.Token is the
	// token checked, if any.
	Authorized(ctx context.Context, o *Outcome)
}

// NopObserver implements [Observer] with methods that do nothing, to embed
// in an observer that implements only some.
type NopObserver struct{}

func (NopObserver) Authenticated(context.Context, *Outcome)                                 {}
func (NopObserver) StoreCall(context.Context, string, time.Time, time.Duration, error)      {}
func (NopObserver) KeysFetched(context.Context, *KeyFetch)                                  {}
func (NopObserver) Issued(context.Context, string, string, time.Time, time.Duration, error) {}
func (NopObserver) CacheEvicted(context.Context)                                            {}
func (NopObserver) Authorized(context.Context, *Outcome)                                    {}

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

// KeyFetch is one fetch of a remote key set.
type KeyFetch struct {
	// URL is the set's address.
	URL string
	// Start and Duration time the fetch.
	Start    time.Time
	Duration time.Duration
	// Err is why it failed; nil when it succeeded. The last good set stays
	// in use after a failure.
	Err error
	// Keys is how many usable keys the set holds (after a failure, the last
	// good set's); Refused how many of its keys were not usable.
	Keys, Refused int
	// Changed says the set differs from the one before: the verified-token
	// cache forgets its entries.
	Changed bool
}

// Reason is a stable, machine-readable name for why jwtgate refused
// something, for logs and metrics: "missing_token", "malformed_request",
// "multiple_methods", "repeated", "too_large", "malformed", "header",
// "type", "critical_header", "algorithm", "unknown_key", "bad_signature",
// "expired", "not_yet_valid", "issued_in_future", "issuer", "audience",
// "subject", "authorized_party", "missing_claim", "validation", "revoked",
// "store_unavailable", "csrf", "insufficient_scope", "misconfigured",
// "invalid_grant", "dpop_proof", "use_dpop_nonce", "dpop_bound",
// "dpop_not_bound", "dpop_required"; "" for nil; "error" for an error not from jwtgate. New
// reasons may be added; these do not change.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	e, ok := asError(err)
	if !ok {
		return "error"
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
	case ErrInvalidGrant:
		return "invalid_grant"
	case ErrInvalidDPoPProof:
		return "dpop_proof"
	case ErrUseDPoPNonce:
		return "use_dpop_nonce"
	}
	c := e.Cause
	for _, r := range tokenReasons {
		if errors.Is(c, r.err) {
			return r.reason
		}
	}
	return "malformed"
}

// tokenReasons are the causes of ErrInvalidToken, most specific first.
var tokenReasons = []struct {
	err    error
	reason string
}{
	{ErrTokenTooLarge, "too_large"},
	{ErrTokenBound, "dpop_bound"},
	{ErrTokenNotBound, "dpop_not_bound"},
	{ErrDPoPRequired, "dpop_required"},
	{ErrTokenRevoked, "revoked"},
	{ErrValidationFailed, "validation"},
	{ErrTypeNotAllowed, "type"},
	{ErrCriticalHeader, "critical_header"},
	{ErrHeaderInvalid, "header"},
	{ErrUnknownKey, "unknown_key"},
	{ErrAlgorithmMismatch, "algorithm"},
	{jwt.ErrTokenSignatureInvalid, "bad_signature"},
	{jwt.ErrTokenExpired, "expired"},
	{jwt.ErrTokenNotValidYet, "not_yet_valid"},
	{jwt.ErrTokenUsedBeforeIssued, "issued_in_future"},
	{jwt.ErrTokenInvalidIssuer, "issuer"},
	{jwt.ErrTokenInvalidAudience, "audience"},
	{jwt.ErrTokenInvalidSubject, "subject"},
	{ErrAuthorizedParty, "authorized_party"},
	{jwt.ErrTokenRequiredClaimMissing, "missing_claim"},
	{jwt.ErrTokenUnverifiable, "algorithm"},
}

// oneLine is err's text on one line: errors.Join puts its errors on lines
// of their own, which a log record must not.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
