// Package adapt is for the authors of jwtgate's adapters, not for
// applications: what an adapter needs to turn the core's answer into its
// framework's, and nothing it must decide itself.
//
// An adapter is a request view (an extractors.Request over its framework's
// request) plus translation. For each request it asks [Authenticate] (the
// authenticating middleware) or [Authorize] (a scope guard) for a
// [Decision], then translates: on a pass, it sets the headers the decision
// names ([Decision.SetHeaders]) and stores Decision.Token where the
// framework keeps per-request values (jwtgate.NewContext, and its own
// context key); on a refusal, it hands Decision.Err to the application's
// error handler or answers [Decision.Response] itself: status, the headers
// of SetHeaders, and the JSON body. When the application's error handler
// lets a refused request go on — which only an authentication decision
// allows ([Decision.MayContinue]) — the adapter marks the request with
// [WithRefusal], so that a scope guard after it refuses the request again.
//
// The adapters of this repository (nethttp, echo, echov5, gin, fiber,
// fiberv3, grpc, connect) are written this way; the conformance suite
// (jwtgatetest) holds each to the same answers.
package adapt

import (
	"context"
	"errors"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/internal/refusal"
	"github.com/jwtgate/jwtgate/core/internal/scope"
	"github.com/jwtgate/jwtgate/extractors"
)

// Decision is the core's whole answer to one request: the verified token,
// or the refusal and how to answer it, the headers to set either way, and
// whether an application's error handler may let a refusal go on. The zero
// Decision is a pass without a token.
type Decision struct {
	// Token is the verified token; nil when the request is refused, or
	// passes without a token (CredentialsOptional).
	Token *jwtgate.Token
	// Err is the refusal, one of jwtgate's *Error; nil on a pass.
	Err error

	auth  *jwtgate.Authenticator
	guard bool // a scope guard's: a refusal never goes on
}

// Authenticate decides a request for the authenticating middleware: the
// token it carries, verified under a's Config and the route's Policy p
// (jwtgate.Authenticator.AuthenticateWith). r is the adapter's view of the
// request; the core keeps nothing of it once Authenticate returns.
func Authenticate(ctx context.Context, a *jwtgate.Authenticator, r extractors.Request, p jwtgate.Policy) Decision {
	t, err := a.AuthenticateWith(ctx, r, p)
	return Decision{Token: t, Err: err, auth: a}
}

// Authorize decides a request for a scope guard: whether t, the token the
// authenticating middleware stored for the request (nil when none), grants
// every one of scopes (jwtgate.Authenticator.Authorize: 403 when it lacks
// one, 401 when the request sends no token, 500 when it sends one that no
// middleware verified, and the authentication's own refusal when the
// application let that go on).
func Authorize(ctx context.Context, a *jwtgate.Authenticator, r extractors.Request, t *jwtgate.Token, scopes []string) Decision {
	err := a.Authorize(ctx, r, t, scopes...)
	return Decision{Token: t, Err: err, auth: a, guard: true}
}

// Passed reports whether the request may go on to the handler.
func (d Decision) Passed() bool { return d.Err == nil }

// MayContinue reports whether an application's error handler may let the
// refused request go on (Echo's ContinueOnIgnoredError, a Fiber
// ErrorHandler that calls Next): for an authentication's refusal only,
// never for a scope guard's, which would let through a request without the
// scopes it requires.
func (d Decision) MayContinue() bool { return d.Err != nil && !d.guard }

// Response is how the refusal is answered when the application does not
// answer it itself: status, WWW-Authenticate challenge, DPoP-Nonce and the
// JSON body (jwtgate.Authenticator.Response). It is the zero Response on a
// pass.
func (d Decision) Response() jwtgate.Response {
	if d.Err == nil || d.auth == nil {
		return jwtgate.Response{}
	}
	return d.auth.Response(d.Err)
}

// SetHeaders sets the headers the answer must carry. On a pass:
// Cache-Control: private when the token came in the URL (RFC 6750 §2.3),
// and DPoP-Nonce for a DPoP request when the server issues nonces. On a
// refusal: those of [Decision.Response] (the challenge, DPoP-Nonce,
// Content-Type application/json and Cache-Control no-store). h is
// http.Header, or the framework's own setter (Fiber's context).
func (d Decision) SetHeaders(h interface{ Set(key, value string) }) {
	switch {
	case d.Err != nil:
		d.Response().SetHeaders(h)
	case d.Token != nil && d.auth != nil:
		d.auth.AcceptedHeaders(d.Token, h)
	}
}

// WithRefusal returns ctx marked with err, the refusal of a request that
// the authenticating middleware let go on because the application asked it
// to (a Decision whose MayContinue the adapter honoured). A scope guard
// after it ([Authorize]) then refuses the request with err rather than take
// the missing token for a wiring mistake. err must be one of jwtgate's
// errors; another leaves ctx as it is.
func WithRefusal(ctx context.Context, err error) context.Context {
	var e *jwtgate.Error
	if !errors.As(err, &e) {
		return ctx
	}
	return context.WithValue(ctx, refusal.Key{}, e)
}

// ValidateScopes reports an error when scopes is empty or one of them
// cannot appear in a challenge (see [ValidScope]). Adapters call it when a
// route's scopes are configured, and refuse to build the route.
func ValidateScopes(scopes []string) error { return scope.Validate(scopes) }

// ValidScope reports whether s can be a scope token: non-empty and made of
// %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3, RFC 6750 §3).
func ValidScope(s string) bool { return scope.Valid(s) }
