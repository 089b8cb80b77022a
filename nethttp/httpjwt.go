// Package httpjwt is the net/http adapter of jwtgate: a
// func(http.Handler) http.Handler that works with http.ServeMux, chi,
// gorilla/mux and anything else built on net/http.
//
// It only translates: the core decides each request ([adapt.Authenticate],
// with the route's Policy, a field of [Config]; [adapt.Authorize] for
// RequireScopes), the verified token goes into the request's context
// ([jwtgate.FromContext], [jwtgate.ClaimsFromContext]), and a refusal is
// answered as the decision says: status, WWW-Authenticate challenge and a
// JSON body.
//
// Where the other adapters have a ContextKey, this one has none: net/http
// has no per-request map of its own beside the request's context, and the
// *jwtgate.Token is always there, under the core's key.
//
// [LoginHandler], [RefreshHandler] and [LogoutHandler] serve the login,
// refresh and logout endpoints of an issuing.Endpoints.
package httpjwt

import (
	"net/http"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
)

// Config configures the middleware. Only Authenticator is required.
type Config struct {
	// Authenticator verifies tokens; required.
	Authenticator *jwtgate.Authenticator
	// ErrorHandler answers a refused request. err wraps one of jwtgate's error
	// kinds. Default: Authenticator.WriteError, which answers as RFC 6750 §3
	// says. A custom handler must still answer; the next handler is not called.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Policy is what this route asks beyond the Authenticator's Config, so
	// that one Authenticator serves routes that differ: optional credentials
	// on one (Policy.CredentialsOptional), DPoP required on another
	// (Policy.DPoP), without a second Authenticator, its cache and its
	// keys. The zero value is the Authenticator's own. New checks it
	// (Authenticator.CheckPolicy); RequireScopes does not read it.
	Policy jwtgate.Policy
}

func (c Config) errorHandler(name string) func(http.ResponseWriter, *http.Request, error) {
	if c.Authenticator == nil {
		panic("httpjwt: " + name + ": Config.Authenticator is nil")
	}
	if c.ErrorHandler != nil {
		return c.ErrorHandler
	}
	return func(w http.ResponseWriter, _ *http.Request, err error) { c.Authenticator.WriteError(w, err) }
}

// New returns middleware that lets a request through only with a valid token,
// or without any token when the Authenticator's CredentialsOptional (or
// cfg.Policy's) is set. The token is stored in the request's context. It
// panics if cfg.Authenticator is nil or cannot serve cfg.Policy (a Policy
// asking for DPoP of an Authenticator without Config.DPoP).
func New(cfg Config) func(http.Handler) http.Handler {
	onError := cfg.errorHandler("New")
	auth, policy := cfg.Authenticator, cfg.Policy
	if err := auth.CheckPolicy(policy); err != nil {
		panic("httpjwt: New: " + err.Error())
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d := adapt.Authenticate(r.Context(), auth, extractors.FromHTTP(r), policy)
			if !d.Passed() {
				onError(w, r, d.Err)
				return
			}
			if d.Token == nil { // CredentialsOptional and no token
				next.ServeHTTP(w, r)
				return
			}
			d.SetHeaders(w.Header())
			next.ServeHTTP(w, r.WithContext(jwtgate.NewContext(r.Context(), d.Token)))
		})
	}
}

// RequireScopes returns middleware, placed after New, that lets a request
// through only when its token grants every one of scopes; otherwise it answers
// 403 insufficient_scope naming them (or 401 when there is no token). A
// request that sends a token but reaches the guard without a verified one —
// New is not in front of it — is a wiring mistake: it is answered 500
// server_error and logged once (see jwtgate.Authenticator.Authorize). It
// panics if cfg.Authenticator is nil or a scope is not a valid scope token.
func RequireScopes(cfg Config, scopes ...string) func(http.Handler) http.Handler {
	onError := cfg.errorHandler("RequireScopes")
	if err := adapt.ValidateScopes(scopes); err != nil {
		panic("httpjwt: RequireScopes: " + err.Error())
	}
	auth := cfg.Authenticator
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, _ := jwtgate.FromContext(r.Context())
			if d := adapt.Authorize(r.Context(), auth, extractors.FromHTTP(r), t, scopes); !d.Passed() {
				onError(w, r, d.Err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
