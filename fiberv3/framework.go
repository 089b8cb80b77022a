package fiberjwt

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/utils/v2"

	"github.com/jwtgate/jwtgate/extractors"
)

// What differs from Fiber v2 beyond the types' names, kept out of
// fiberjwt.go, which the v2 adapter's matches (internal/layout's
// TestAdapterPairs holds them together).

// userContext is the request's context.Context, where the core's token is:
// c.Context() in Fiber v3.
func userContext(c fiber.Ctx) context.Context { return c.Context() }

// setUserContext replaces the request's context.Context.
func setUserContext(c fiber.Ctx, ctx context.Context) { c.SetContext(ctx) }

// storeLocal stores v under Config.ContextKey, as storeInContext does.
func storeLocal(c fiber.Ctx, key, v any) { storeInContext(c, key, v) }

// storeInContext is fiber.StoreInContext(c, key, t) without its one
// allocation: c.Locals(key, t) is variadic, and called through the fiber.Ctx
// interface its argument slice escapes. c.Locals(key) reads the request's
// user values, which is where it puts t.
func storeInContext(c fiber.Ctx, key, t any) {
	c.RequestCtx().SetUserValue(key, t)
	if c.App().Config().PassLocalsToContext {
		c.SetContext(context.WithValue(c.Context(), key, t))
	}
}

// view returns the view of c. For Fiber's own *fiber.DefaultCtx it is one
// pointer, which goes into the extractors.Request interface without an
// allocation; the fiber.Ctx interface is two words, which would not. Any
// other Ctx (fiber.NewWithCustomCtx) is viewed through the interface, at one
// allocation per request.
func view(c fiber.Ctx) extractors.Request {
	if d, ok := c.(*fiber.DefaultCtx); ok {
		return request[*fiber.DefaultCtx]{d}
	}
	return request[fiber.Ctx]{c}
}

// request is the copying view: every string it returns owns its bytes.
type request[C fiber.Ctx] struct{ c C }

// Borrow returns the view whose strings share fasthttp's buffers, for the
// core to read the token through: a token sent again is found in its
// verified-token cache without a copy, and any other is copied by the core
// once, with its decoded payload. The core checks for this method and keeps
// nothing else it reads through the borrowed view.
func (r request[C]) Borrow() extractors.Request { return borrowed[C](r) }

// borrowed reads like request, without copying.
type borrowed[C fiber.Ctx] struct{ c C }

func (r borrowed[C]) Header(name string) (string, int) {
	if strings.EqualFold(name, fiber.HeaderHost) {
		host := r.c.Request().URI().Host()
		return utils.UnsafeString(host), min(len(host), 1)
	}
	vals := r.c.Request().Header.PeekAll(name)
	if len(vals) == 0 {
		return "", 0
	}
	return utils.UnsafeString(vals[0]), len(vals)
}

func (r borrowed[C]) Cookie(name string) (string, int) {
	v, n := extractors.LookupCookie(r.c.Request().Header.PeekAll(fiber.HeaderCookie), name)
	return utils.UnsafeString(v), n
}

func (r borrowed[C]) Query(name string) (string, int) {
	return extractors.LookupQuery(utils.UnsafeString(r.c.Request().URI().QueryString()), name)
}

func (r borrowed[C]) Form(name string) (string, int) {
	if !hasForm(r.c) {
		return "", 0
	}
	return extractors.LookupQuery(utils.UnsafeString(r.c.Request().Body()), name)
}

func (r borrowed[C]) Param(name string) string { return r.c.Params(name) }
func (r borrowed[C]) Method() string           { return r.c.Method() }
func (r borrowed[C]) Path() string             { return request[C](r).Path() }
func (r borrowed[C]) Scheme() string           { return request[C](r).Scheme() }

// Header reads the header lines; "Host" is the request's host, from the
// request target when it is absolute (RFC 9112 §3.2.2), as net/http's r.Host.
func (r request[C]) Header(name string) (string, int) {
	if strings.EqualFold(name, fiber.HeaderHost) {
		host := r.c.Request().URI().Host()
		return string(host), min(len(host), 1)
	}
	vals := r.c.Request().Header.PeekAll(name)
	if len(vals) == 0 {
		return "", 0
	}
	return string(vals[0]), len(vals)
}

// Cookie reads every Cookie line as extractors.LookupCookie does, and
// copies the value.
func (r request[C]) Cookie(name string) (string, int) {
	v, n := extractors.LookupCookie(r.c.Request().Header.PeekAll(fiber.HeaderCookie), name)
	return string(v), n
}

// Query reads the raw query string as extractors.LookupQuery does.
func (r request[C]) Query(name string) (string, int) {
	return extractors.LookupQuery(r.c.Request().URI().QueryString(), name)
}

// Form reads an application/x-www-form-urlencoded body as
// extractors.LookupQuery does.
func (r request[C]) Form(name string) (string, int) {
	if !hasForm(r.c) {
		return "", 0
	}
	return extractors.LookupQuery(r.c.Request().Body(), name)
}

// hasForm reports whether c's body is a form to read: an
// application/x-www-form-urlencoded body of a POST, PUT or PATCH, the
// requests whose form net/http parses. The body is read raw, as net/http
// reads it (c.Body() would decode a Content-Encoding first).
func hasForm(c fiber.Ctx) bool {
	switch c.Method() {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch:
		return extractors.IsFormURLEncoded(c.Request().Header.ContentType())
	}
	return false
}

func (r request[C]) Param(name string) string { return strings.Clone(r.c.Params(name)) }

// Method needs no copy: Fiber v3 returns its own string for the method, one
// of fiber.Config.RequestMethods, never fasthttp's bytes.
func (r request[C]) Method() string { return r.c.Method() }

// Path is the request's path as sent, escaped (a copy of fasthttp's
// PathOriginal): what net/http's URL.EscapedPath gives, for the core's log
// records and DPoP, whose htu the core compares escaped (RFC 3986 §6.2.2
// decodes unreserved characters only). c.Path() would not do: fasthttp
// normalizes it, and fiber.Config.UnescapePath decodes it.
func (r request[C]) Path() string {
	return string(r.c.Request().URI().PathOriginal())
}

// Scheme is "https" for a request that came over TLS, else "http".
func (r request[C]) Scheme() string {
	if r.c.RequestCtx().IsTLS() {
		return "https"
	}
	return "http"
}

// copying is the copying view the endpoints read, their bodies aside. It
// is the view through the fiber.Ctx interface, which allocates once per
// request: the endpoints' work outweighs it.
type copying = request[fiber.Ctx]

// viewOf is the copying view of c.
func viewOf(c fiber.Ctx) copying { return copying{c} }
