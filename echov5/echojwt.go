// Package echojwt is the Echo v5 adapter of jwtgate: an echo.MiddlewareFunc.
//
//	e.Use(echojwt.New(echojwt.Config{Authenticator: auth}))
//
// It is the Echo v4 adapter's API on Echo v5's types (*echo.Context, the
// v5 HTTPErrorHandler): the package name is the same, so a service moving
// from Echo v4 to v5 changes the import path and what Echo itself changed.
//
// It only translates: the core decides each request ([adapt.Authenticate],
// with the route's Policy, a field of [Config]; [adapt.Authorize] for
// RequireScopes); the verified token goes into the request's context
// ([Token], [Claims], [jwtgate.FromContext]) and, when Config.ContextKey is
// set, c.Get, as a *jwtgate.Token; a refusal is returned as an error that
// renders the decision's answer (see [New]).
//
// From echo-jwt: its c.Get("user").(*jwt.Token) becomes
// c.Get("user").(*jwtgate.Token) with ContextKey "user" (or
// echo.ContextGet[*jwtgate.Token](c, "user")), or echojwt.Token(c) without
// any ContextKey.
//
// [LoginHandler], [RefreshHandler] and [LogoutHandler] serve the login,
// refresh and logout endpoints of an issuing.Endpoints.
package echojwt

import (
	"errors"
	"net/http"
	"reflect"
	"sync"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/labstack/echo/v5"
)

// Config configures the middleware. Only Authenticator is required.
type Config struct {
	// Skipper returns true for a request to let through without any
	// authentication. Default: none is skipped. Its type is that of echo's
	// middleware.Skipper, whose values can be assigned to it.
	Skipper func(c *echo.Context) bool
	// Authenticator verifies tokens; required.
	Authenticator *jwtgate.Authenticator
	// BeforeFunc runs first for every request not skipped. Default: none. Its
	// type is that of echo's middleware.BeforeFunc.
	BeforeFunc func(c *echo.Context)
	// SuccessHandler runs once a token is verified and stored, before the next
	// handler; not for a request let through without a token
	// (CredentialsOptional). Default: none.
	SuccessHandler func(c *echo.Context)
	// ErrorHandler decides what a refused request gets; err wraps one of
	// jwtgate's error kinds (errors.Is(err, jwtgate.ErrInvalidToken), …). A
	// non-nil return goes to echo's HTTPErrorHandler. A nil return ends the
	// request with the answer the ErrorHandler wrote, or, if it wrote none,
	// with the default answer: a refused request never reaches the next
	// handler unless ContinueOnIgnoredError says so. (Echo v5's own key-auth
	// middleware would end such a request with an empty 200 instead.)
	// Default: return the error described at [New].
	ErrorHandler func(c *echo.Context, err error) error
	// ContinueOnIgnoredError lets a request New refused go on to the next
	// handler, without a token, when the ErrorHandler returns nil without
	// writing an answer, as echo-jwt's option of that name. Default false:
	// refused requests stop. RequireScopes ignores it: a scope guard never
	// lets a refusal go on, and it refuses a request New let go on as New
	// refused it. (Optional authentication is Policy.CredentialsOptional,
	// which lets through requests without a token, not bad tokens.)
	ContinueOnIgnoredError bool
	// ContextKey, when set, is the key under which c.Get (and
	// echo.ContextGet[*jwtgate.Token]) also finds the verified token, a
	// *jwtgate.Token, on every adapter the same rule. Default: "", nothing
	// is stored in echo's per-request map: the token is in the request's
	// context, where [Token], [Claims] and jwtgate.FromContext find it. A
	// service moving from echo-jwt, whose ContextKey is "user" by default,
	// sets ContextKey: "user" and reads c.Get("user").(*jwtgate.Token) where
	// it read c.Get("user").(*jwt.Token), or sets StoreJWTToken.
	ContextKey string
	// StoreJWTToken stores golang-jwt's *jwt.Token (jwtgate.Token.JWT: Raw,
	// Method, Header, Claims, Valid) under ContextKey instead of the
	// *jwtgate.Token, so that handlers migrated from echo-jwt, which read
	// c.Get("user").(*jwt.Token), work unchanged. It builds that token for every
	// request (the header decoded: a few allocations). It needs ContextKey.
	StoreJWTToken bool
	// Policy is what this route asks beyond the Authenticator's Config, so
	// that one Authenticator serves routes that differ: optional credentials
	// on one group (Policy.CredentialsOptional), DPoP required on another
	// (Policy.DPoP), without a second Authenticator, its cache and its
	// keys. The zero value is the Authenticator's own. New and ToMiddleware
	// check it (Authenticator.CheckPolicy); RequireScopes does not read it.
	Policy jwtgate.Policy
}

// New returns middleware that lets a request through only with a valid token,
// or without any token when the Authenticator's CredentialsOptional (or
// cfg.Policy's) is set.
//
// A refused request returns an error made for Echo v5's error handling:
// echo.StatusCode(err) is the status; it marshals to the core's JSON body
// {"error":"…","error_description":"…"}. Under echo's DefaultHTTPErrorHandler
// the adapter writes that body itself before returning the error (the
// handler's JSON encoder would end it with a newline the other adapters do
// not send), and the handler leaves the committed answer; an application's
// own HTTPErrorHandler gets the error unanswered. errors.As finds an *echo.HTTPError in it, whose Code is the
// status, Message the error_description and Unwrap the jwtgate error; and
// errors.Is and errors.As reach the jwtgate error, its kind and cause. The
// WWW-Authenticate challenge (when the status has one), Content-Type
// application/json and Cache-Control: no-store are already set on
// c.Response().Header(). New panics if cfg.Authenticator is nil or
// cannot serve cfg.Policy (a Policy asking for DPoP of an Authenticator
// without Config.DPoP).
func New(cfg Config) echo.MiddlewareFunc {
	mw, err := cfg.build("New")
	if err != nil {
		panic(err.Error())
	}
	return mw
}

// ErrJWTMissing and ErrJWTInvalid are echo-jwt's sentinels, for an
// ErrorHandler migrated from it: errors.Is(err, ErrJWTMissing) holds for a
// request without a token or with a malformed credential, errors.Is(err,
// ErrJWTInvalid) for a refused token. They are jwtgate.ErrJWTMissing and
// jwtgate.ErrJWTInvalid.
var (
	ErrJWTMissing = jwtgate.ErrJWTMissing
	ErrJWTInvalid = jwtgate.ErrJWTInvalid
)

// ToMiddleware is New returning an error instead of panicking, as the
// ToMiddleware methods of echo's own middleware configs.
func (c Config) ToMiddleware() (echo.MiddlewareFunc, error) { return c.build("ToMiddleware") }

func (c Config) build(name string) (echo.MiddlewareFunc, error) {
	refuse, err := c.refuse()
	if err == nil {
		err = c.Authenticator.CheckPolicy(c.Policy)
	}
	if err == nil && c.StoreJWTToken && c.ContextKey == "" {
		err = errors.New("StoreJWTToken needs a ContextKey to store the token under")
	}
	if err != nil {
		return nil, errors.New("echojwt: " + name + ": " + err.Error())
	}
	m := &middleware{Config: c, refuse: refuse}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		// Echo v4 calls this for every request of a route that lists the
		// middleware (e.GET(path, h, mw)), so the closure is allocated per
		// request: it holds next and one pointer, whatever Config holds.
		return func(ec *echo.Context) error { return m.serve(ec, next) }
	}, nil
}

// middleware is New's, built once.
type middleware struct {
	Config
	refuse func(*echo.Context, adapt.Decision, echo.HandlerFunc) error
}

func (m *middleware) serve(ec *echo.Context, next echo.HandlerFunc) error {
	if m.Skipper != nil && m.Skipper(ec) {
		return next(ec)
	}
	if m.BeforeFunc != nil {
		m.BeforeFunc(ec)
	}
	auth := m.Authenticator
	r := ec.Request()
	v := views.Get().(*request)
	v.HTTPRequest, v.c = extractors.FromHTTP(r), ec
	d := adapt.Authenticate(r.Context(), auth, v, m.Policy)
	*v = request{} // the core keeps nothing of the view
	views.Put(v)
	if !d.Passed() {
		return m.refuse(ec, d, next)
	}
	if t := d.Token; t != nil { // nil: CredentialsOptional and no token
		d.SetHeaders(ec.Response().Header())
		ec.SetRequest(r.WithContext(jwtgate.NewContext(r.Context(), t)))
		switch {
		case m.StoreJWTToken:
			ec.Set(m.ContextKey, t.JWT())
		case m.ContextKey != "":
			ec.Set(m.ContextKey, t)
		}
		if m.SuccessHandler != nil {
			m.SuccessHandler(ec)
		}
	}
	return next(ec)
}

// RequireScopes returns middleware, placed after New, that lets a request
// through only when its token grants every one of scopes; otherwise it
// refuses it as New does, with 403 insufficient_scope (or 401 without a
// token). A request that sends a token but reaches the guard without a
// verified one — New is not in front of it, or a Skipper skipped New only —
// is a wiring mistake: it is refused 500 server_error and logged once (see
// jwtgate.Authenticator.Authorize). It honours cfg's Skipper and
// ErrorHandler, never ContinueOnIgnoredError. It panics if
// cfg.Authenticator is nil or a scope is not a valid scope token.
func RequireScopes(cfg Config, scopes ...string) echo.MiddlewareFunc {
	refuse, err := cfg.refuse()
	if err == nil {
		err = adapt.ValidateScopes(scopes)
	}
	if err != nil {
		panic("echojwt: RequireScopes: " + err.Error())
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if cfg.Skipper != nil && cfg.Skipper(c) {
				return next(c)
			}
			t, _ := Token(c)
			r := c.Request()
			// The same view as New's, path parameters included: a guard
			// must see the request as authentication did, or a token in a
			// path parameter would read as none (401, not the wiring
			// mistake it is).
			v := views.Get().(*request)
			v.HTTPRequest, v.c = extractors.FromHTTP(r), c
			d := adapt.Authorize(r.Context(), cfg.Authenticator, v, t, scopes)
			*v = request{}
			views.Put(v)
			if !d.Passed() {
				return refuse(c, d, next)
			}
			return next(c)
		}
	}
}

// refuse returns what answers a refusal: the ErrorHandler or the default.
// A refusal goes on to the next handler only when the ErrorHandler lets it
// and ContinueOnIgnoredError is set, and only for New's decisions
// (Decision.MayContinue): never a scope guard's.
func (c Config) refuse() (func(*echo.Context, adapt.Decision, echo.HandlerFunc) error, error) {
	if c.Authenticator == nil {
		return nil, errors.New("Config.Authenticator is nil")
	}
	custom, carryOn := c.ErrorHandler, c.ContinueOnIgnoredError
	return func(ec *echo.Context, d adapt.Decision, next echo.HandlerFunc) error {
		if custom != nil {
			if herr := custom(ec, d.Err); herr != nil || committed(ec) {
				return herr
			}
			if carryOn && d.MayContinue() {
				// A scope guard further on must refuse it still.
				r := ec.Request()
				ec.SetRequest(r.WithContext(adapt.WithRefusal(r.Context(), d.Err)))
				return next(ec)
			}
		}
		return answer(ec, d)
	}, nil
}

// Token returns the token New verified for this request, if any.
func Token(c *echo.Context) (*jwtgate.Token, bool) { return jwtgate.FromContext(c.Request().Context()) }

// Claims returns the verified token's claims as T, the type the
// Authenticator's Config.NewClaims returns (by default *jwtgate.Claims).
func Claims[T jwt.Claims](c *echo.Context) (T, bool) {
	return jwtgate.ClaimsFromContext[T](c.Request().Context())
}

// writeAnswer writes the refusal's answer resp itself when the app answers
// errors with Echo's default HTTPErrorHandler, whose JSON encoder would end
// the body with a newline the other adapters' bodies do not have; that
// handler, finding the answer committed, then leaves it. An application's
// own HTTPErrorHandler gets the error unanswered.
func writeAnswer(ec *echo.Context, resp jwtgate.Response) error {
	if !answersItself(ec.Echo()) {
		return nil
	}
	if ec.Request().Method == http.MethodHead {
		return ec.NoContent(resp.Status)
	}
	return ec.Blob(resp.Status, "application/json", resp.Body())
}

// defaultHandler is the code of the HTTPErrorHandler echo.New installs (on
// Echo v4 the method value of DefaultHTTPErrorHandler, on v5 its closure).
// It is read from an Echo that echo.New built, once: a closure made here
// could be another copy of that code, inlined into this package.
var defaultHandler = sync.OnceValue(func() uintptr { return reflect.ValueOf(echo.New().HTTPErrorHandler).Pointer() })

// answersItself reports whether e answers errors with its default
// HTTPErrorHandler rather than the application's own.
func answersItself(e *echo.Echo) bool {
	return e != nil && e.HTTPErrorHandler != nil && reflect.ValueOf(e.HTTPErrorHandler).Pointer() == defaultHandler()
}
