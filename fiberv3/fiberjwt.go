// Package fiberjwt is the Fiber v3 adapter of jwtgate: a fiber.Handler.
//
//	app.Use(fiberjwt.New(fiberjwt.Config{Authenticator: auth}))
//
// It is the Fiber v2 adapter's API on Fiber v3's types (the fiber.Ctx
// interface, c.Context()): the package name is the same, so a service moving
// from Fiber v2 to v3 changes the import path and what Fiber itself changed.
//
// It only translates: the core's [jwtgate.Authenticator.AuthenticateWith]
// reads the request through a read-only view of the fiber.Ctx, with the
// route's Policy (a field of [Config]); the verified token goes into c.Context(), Fiber
// v3's context.Context of the request ([Token], [Claims],
// [jwtgate.FromContext]) and, when Config.ContextKey is set,
// c.Locals(Config.ContextKey), as a *jwtgate.Token; and a failure is
// answered as [jwtgate.Authenticator.Response] says: status,
// WWW-Authenticate challenge and JSON body. Every security decision is the
// core's.
//
// In Fiber v3 the fiber.Ctx is itself a context.Context, whose Value reads
// c.Locals: jwtgate.FromContext(c) finds nothing, since the core's key is
// not a Locals key. Pass c.Context() where a context.Context is wanted, or use
// [Token] and [Claims].
//
// Fiber reads request headers into a buffer of fiber.Config.ReadBufferSize
// bytes, 4096 by default, and answers a larger header with a bare 431 before
// any handler runs. Apps whose tokens may be large must raise it, e.g.
// fiber.Config{ReadBufferSize: 32 << 10}, so that an oversized token gets
// jwtgate's JSON answer.
//
// Fiber's default app ErrorHandler sends err.Error(), and fasthttp's errors
// for a request it cannot parse quote the request's headers, a token
// included: give the app an ErrorHandler that does not (the package's
// appErrorHandler example has one).
//
// fasthttp reuses its buffers once a handler returns. Every value the view
// hands the core is a copy, so the *jwtgate.Token (its Raw too) may be kept
// after the handler returns, whatever fiber.Config.Immutable says. With
// fiber.Config.DisableHeaderNormalizing, header names are matched as sent.
//
// [LoginHandler], [RefreshHandler] and [LogoutHandler] serve the login,
// refresh and logout endpoints of an issuing.Endpoints.
package fiberjwt

import (
	"github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
)

// Config configures the middleware. Only Authenticator is required; a zero
// field takes its default.
type Config struct {
	// Next skips the middleware for a request when it returns true. Default:
	// nil, nothing is skipped.
	Next func(c fiber.Ctx) bool
	// Authenticator verifies tokens; required.
	Authenticator *jwtgate.Authenticator
	// ErrorHandler answers a refused request; err wraps one of jwtgate's error
	// kinds, and what it returns the middleware returns (a non-nil error goes
	// to the app's ErrorHandler). Default: status, WWW-Authenticate,
	// Cache-Control no-store, Content-Type application/json and the JSON body
	// of Authenticator.Response(err); it returns nil.
	ErrorHandler fiber.ErrorHandler
	// SuccessHandler runs once New let a request through. Default: c.Next().
	SuccessHandler fiber.Handler
	// ContextKey, when set, is the c.Locals key under which the verified
	// token, a *jwtgate.Token, is also stored, on every adapter the same
	// rule: read it with fiber.Locals[*jwtgate.Token](c, key). With
	// fiber.Config.PassLocalsToContext the token is also in c.Context()
	// under this key, as fiber.StoreInContext stores values. Default: "",
	// nothing is stored in c.Locals; the token is in c.Context(), where
	// [Token], [Claims] and jwtgate.FromContext find it. (Before, the default
	// key was "jwtgate": set ContextKey: "jwtgate" to keep reading it there.)
	// A service moving from gofiber's contrib jwt sets StoreJWTToken.
	ContextKey string
	// StoreJWTToken stores golang-jwt's *jwt.Token (jwtgate.Token.JWT: Raw,
	// Method, Header, Claims, Valid) under ContextKey instead of the
	// *jwtgate.Token, so that handlers migrated from gofiber's contrib jwt,
	// which read fiber.Locals[*jwt.Token](c, "user"), work unchanged. It builds
	// that token for every request (the header decoded: a few
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

// answer is the default ErrorHandler's answer to the refusal d: status,
// headers and the core's JSON body.
func answer(c fiber.Ctx, d adapt.Decision) error {
	r := d.Response()
	r.SetHeaders(c)
	return c.Status(r.Status).Send(r.Body())
}

// configDefault fills in the defaults; it panics without an Authenticator.
func configDefault(name string, cfg Config) Config {
	if cfg.Authenticator == nil {
		panic("fiberjwt: " + name + ": Config.Authenticator is nil")
	}
	if cfg.SuccessHandler == nil {
		cfg.SuccessHandler = func(c fiber.Ctx) error { return c.Next() }
	}
	if cfg.StoreJWTToken && cfg.ContextKey == "" {
		panic("fiberjwt: " + name + ": StoreJWTToken needs a ContextKey to store the token under")
	}
	return cfg
}

// ErrJWTMissing and ErrJWTInvalid are gofiber's contrib jwt's sentinels,
// for an ErrorHandler migrated from it: errors.Is(err, ErrJWTMissing) holds
// for a request without a token or with a malformed credential,
// errors.Is(err, ErrJWTInvalid) for a refused token. They are
// jwtgate.ErrJWTMissing and jwtgate.ErrJWTInvalid.
var (
	ErrJWTMissing = jwtgate.ErrJWTMissing
	ErrJWTInvalid = jwtgate.ErrJWTInvalid
)

// New returns middleware that lets a request through only with a valid token,
// or without any token when the Authenticator's CredentialsOptional (or
// cfg.Policy's) is set. It panics if cfg.Authenticator is nil or cannot
// serve cfg.Policy (a Policy asking for DPoP of an Authenticator without
// Config.DPoP).
func New(cfg Config) fiber.Handler {
	cfg = configDefault("New", cfg)
	auth, policy := cfg.Authenticator, cfg.Policy
	if err := auth.CheckPolicy(policy); err != nil {
		panic("fiberjwt: New: " + err.Error())
	}
	var key any // nil: no ContextKey; else boxed once, not per request
	if cfg.ContextKey != "" {
		key = cfg.ContextKey
	}
	return func(c fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		ctx := userContext(c)
		d := adapt.Authenticate(ctx, auth, view(c), policy)
		if !d.Passed() {
			if cfg.ErrorHandler == nil {
				return answer(c, d)
			}
			// Should the ErrorHandler let the request go on (c.Next()), a
			// scope guard further on must refuse it still.
			setUserContext(c, adapt.WithRefusal(ctx, d.Err))
			return cfg.ErrorHandler(c, d.Err)
		}
		if t := d.Token; t != nil { // nil: CredentialsOptional and no token
			setUserContext(c, jwtgate.NewContext(ctx, t))
			switch {
			case cfg.StoreJWTToken:
				storeLocal(c, key, t.JWT())
			case key != nil:
				storeLocal(c, key, t)
			}
			d.SetHeaders(c)
		}
		return cfg.SuccessHandler(c)
	}
}

// RequireScopes returns middleware, placed after New, that lets a request
// through only when its token grants every one of scopes; otherwise it
// answers 403 insufficient_scope naming them (or 401 when there is no token,
// or when New refused the request and cfg.ErrorHandler let it go on). A
// request that sends a token but reaches the guard without a verified one —
// New is not in front of it — is a wiring mistake: it is answered 500
// server_error and logged once (see jwtgate.Authenticator.Authorize). It
// honours cfg.Next. It answers its refusals itself, as the default
// ErrorHandler does, and never with cfg.ErrorHandler: an ErrorHandler may
// let a request go on (c.Next(), gofiber's contrib habit for optional
// authentication), and a scope guard that could be told to let a request
// through would guard nothing. It panics if cfg.Authenticator is nil or a
// scope is not a valid scope token.
func RequireScopes(cfg Config, scopes ...string) fiber.Handler {
	auth := configDefault("RequireScopes", cfg).Authenticator
	if err := adapt.ValidateScopes(scopes); err != nil {
		panic("fiberjwt: RequireScopes: " + err.Error())
	}
	return func(c fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		t, _ := Token(c)
		if d := adapt.Authorize(userContext(c), auth, view(c), t, scopes); !d.Passed() {
			return answer(c, d)
		}
		return c.Next()
	}
}

// Token returns the token New verified for this request.
func Token(c fiber.Ctx) (*jwtgate.Token, bool) { return jwtgate.FromContext(userContext(c)) }

// Claims returns the claims of the request's token as T, the type
// jwtgate.Config.NewClaims returns (by default *jwtgate.Claims).
func Claims[T jwt.Claims](c fiber.Ctx) (T, bool) {
	return jwtgate.ClaimsFromContext[T](userContext(c))
}

// Request returns the read-only view of c that the core reads, for the core's
// functions that take an extractors.Request. Use it only while the handler
// runs; the strings it returns are copies, and a miss allocates nothing.
func Request(c fiber.Ctx) extractors.Request { return view(c) }
