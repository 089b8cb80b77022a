// Package ginjwt is the Gin adapter of jwtgate: a gin.HandlerFunc that lets a
// request through only with a valid JWT.
//
//	r.Use(ginjwt.New(ginjwt.Config{Authenticator: auth}))
//
// It only translates: the request goes to the core's
// [jwtgate.Authenticator.AuthenticateWith], with the route's Policy (a field of [Config]),
// which decides everything (where the token is, whether it is valid, how a
// failure is answered). The verified token goes into the request's
// context.Context ([jwtgate.FromContext], [jwtgate.ClaimsFromContext], or
// here [Token] and [Claims]) and, when Config.ContextKey is set, into the
// gin.Context (c.Get), as a *jwtgate.Token. A failure is recorded with
// c.Error and answered as [jwtgate.Authenticator.Response] says: status,
// WWW-Authenticate challenge and a JSON body, with the chain aborted.
//
// [LoginHandler], [RefreshHandler] and [LogoutHandler] serve the login,
// refresh and logout endpoints of an issuing.Endpoints.
package ginjwt

import (
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
)

// Config configures the middleware. Only Authenticator is required; a zero
// value of any other field means its default.
type Config struct {
	// Authenticator verifies tokens; required.
	Authenticator *jwtgate.Authenticator
	// ErrorHandler answers a refused request. err wraps one of jwtgate's error
	// kinds. Default: c.Error(err), then the answer of
	// Authenticator.Response(err), as every adapter sends it: status, JSON
	// body, Content-Type application/json, the WWW-Authenticate challenge and
	// Cache-Control: no-store.
	//
	// A custom handler writes the answer itself (or records c.Error(err) for an
	// error-rendering middleware that runs around the chain). The middleware
	// aborts the chain before it runs, so the handlers behind never run for a
	// refused request, even if it calls c.Next(); if nothing writes an
	// answer, Gin sends its pending status with an empty body. (Optional
	// authentication is Config.Policy's CredentialsOptional, not an
	// ErrorHandler that lets refusals through.)
	ErrorHandler func(c *gin.Context, err error)
	// ContextKey, when set, also stores the verified token, a
	// *jwtgate.Token, in the gin.Context under this key (c.Get, c.MustGet),
	// on every adapter the same rule. Default: "", nothing is stored in
	// c.Keys, since c.Set costs Gin a map per request when nothing else set
	// a key: the token is in the request's context, where [Token], [Claims]
	// and jwtgate.FromContext find it.
	ContextKey string
	// StoreJWTToken stores golang-jwt's *jwt.Token (jwtgate.Token.JWT: Raw,
	// Method, Header, Claims, Valid) under ContextKey instead of the
	// *jwtgate.Token, for handlers written against golang-jwt that read
	// c.MustGet(key).(*jwt.Token) (gin-jwt's "JWT_TOKEN"), unchanged. It
	// builds that token for every request (the header decoded: a few
	// allocations). It needs ContextKey.
	StoreJWTToken bool
	// Policy is what this route asks beyond the Authenticator's Config, so
	// that one Authenticator serves routes that differ: optional credentials
	// on one group (Policy.CredentialsOptional), DPoP required on another
	// (Policy.DPoP), without a second Authenticator, its cache and its
	// keys. The zero value is the Authenticator's own. New checks it
	// (Authenticator.CheckPolicy); RequireScopes does not read it.
	Policy jwtgate.Policy
}

type mw struct {
	auth    *jwtgate.Authenticator
	onError func(*gin.Context, error)
	key     any // Config.ContextKey, converted once rather than per request; nil: none
	jwt     bool
	policy  jwtgate.Policy
}

func (cfg Config) build(name string) mw {
	if cfg.Authenticator == nil {
		panic("ginjwt: " + name + ": Config.Authenticator is nil")
	}
	m := mw{auth: cfg.Authenticator, onError: cfg.ErrorHandler, policy: cfg.Policy}
	if cfg.ContextKey != "" {
		m.key = cfg.ContextKey
	}
	if cfg.StoreJWTToken && m.key == nil {
		panic("ginjwt: " + name + ": StoreJWTToken needs a ContextKey to store the token under")
	}
	m.jwt = cfg.StoreJWTToken
	return m
}

// abort is the default ErrorHandler: the decision's answer.
func abort(c *gin.Context, d adapt.Decision) {
	_ = c.Error(d.Err)
	r := d.Response()
	r.SetHeaders(c.Writer.Header())
	c.Data(r.Status, "application/json", r.Body()) // the core's body, byte for byte
	c.Abort()
}

func (m mw) fail(c *gin.Context, d adapt.Decision) {
	// Aborted first: an ErrorHandler that calls c.Next() must not run the
	// handlers a refused request may not reach.
	c.Abort()
	if m.onError != nil {
		m.onError(c, d.Err)
		return
	}
	abort(c, d)
}

// request is the core's view of a Gin request: net/http's, with Gin's path
// parameters (routes such as /download/:token). It is one pointer, so passing
// it as an extractors.Request does not allocate (embedding
// extractors.HTTPRequest beside the *gin.Context would, once per request).
type request struct{ c *gin.Context }

func (r request) Header(n string) (string, int) { return extractors.FromHTTP(r.c.Request).Header(n) }
func (r request) Cookie(n string) (string, int) { return extractors.FromHTTP(r.c.Request).Cookie(n) }
func (r request) Query(n string) (string, int)  { return extractors.FromHTTP(r.c.Request).Query(n) }
func (r request) Form(n string) (string, int)   { return extractors.FromHTTP(r.c.Request).Form(n) }
func (r request) Method() string                { return r.c.Request.Method }
func (r request) Path() string                  { return extractors.FromHTTP(r.c.Request).Path() }
func (r request) Scheme() string                { return extractors.FromHTTP(r.c.Request).Scheme() }
func (r request) Param(name string) string      { return r.c.Param(name) }

// New returns middleware that lets a request through only with a valid token,
// or without any token when the Authenticator's CredentialsOptional (or
// cfg.Policy's) is set. The token is stored in the request's context
// (c.Request is replaced) and, when cfg.ContextKey is set, with c.Set. It
// panics if cfg.Authenticator is nil or cannot serve cfg.Policy (a Policy
// asking for DPoP of an Authenticator without Config.DPoP).
func New(cfg Config) gin.HandlerFunc {
	m := cfg.build("New")
	if err := m.auth.CheckPolicy(m.policy); err != nil {
		panic("ginjwt: New: " + err.Error())
	}
	return func(c *gin.Context) {
		d := adapt.Authenticate(c.Request.Context(), m.auth, request{c}, m.policy)
		if !d.Passed() {
			m.fail(c, d)
			return
		}
		t := d.Token
		if t == nil { // CredentialsOptional and no token
			c.Next()
			return
		}
		d.SetHeaders(c.Writer.Header())
		c.Request = c.Request.WithContext(jwtgate.NewContext(c.Request.Context(), t))
		switch {
		case m.jwt:
			c.Set(m.key, t.JWT())
		case m.key != nil:
			c.Set(m.key, t)
		}
		c.Next()
	}
}

// RequireScopes returns middleware, placed after New, that lets a request
// through only when its token grants every one of scopes; otherwise it answers
// 403 insufficient_scope naming them (or 401 when there is no token). A
// request that sends a token but reaches the guard without a verified one —
// New is not in front of it — is a wiring mistake: it is answered 500
// server_error and logged once (see jwtgate.Authenticator.Authorize). It
// panics if cfg.Authenticator is nil or a scope is not a valid scope token.
func RequireScopes(cfg Config, scopes ...string) gin.HandlerFunc {
	m := cfg.build("RequireScopes")
	if err := adapt.ValidateScopes(scopes); err != nil {
		panic("ginjwt: RequireScopes: " + err.Error())
	}
	return func(c *gin.Context) {
		t, _ := Token(c)
		if d := adapt.Authorize(c.Request.Context(), m.auth, request{c}, t, scopes); !d.Passed() {
			m.fail(c, d)
			return
		}
		c.Next()
	}
}

// Token returns the token New verified for this request, read from the
// request's context, so it works whether or not the engine's
// ContextWithFallback is set.
func Token(c *gin.Context) (*jwtgate.Token, bool) {
	return jwtgate.FromContext(c.Request.Context())
}

// Claims returns the claims of the verified token as T, the type
// jwtgate.Config.NewClaims returns (by default *jwtgate.Claims). It reports
// false when there is no token or its claims are of another type.
func Claims[T jwt.Claims](c *gin.Context) (T, bool) {
	return jwtgate.ClaimsFromContext[T](c.Request.Context())
}
