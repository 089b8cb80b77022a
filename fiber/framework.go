package fiberjwt

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/jwtgate/jwtgate/extractors"
)

// What differs from Fiber v3 beyond the types' names, kept out of
// fiberjwt.go, which the v3 adapter's matches (internal/layout's
// TestAdapterPairs holds them together).

// userContext is the request's context.Context, where the core's token is.
func userContext(c *fiber.Ctx) context.Context { return c.UserContext() }

// setUserContext replaces the request's context.Context.
func setUserContext(c *fiber.Ctx, ctx context.Context) { c.SetUserContext(ctx) }

// storeLocal stores v under Config.ContextKey, where c.Locals finds it.
func storeLocal(c *fiber.Ctx, key, v any) { c.Locals(key, v) }

// view returns the core's view of c: one pointer, which goes into the
// extractors.Request interface without an allocation.
func view(c *fiber.Ctx) extractors.Request { return request{c} }

type request struct{ c *fiber.Ctx }

// Borrow returns the view whose strings share fasthttp's buffers, for the
// core to read the token through: a token sent again is found in its
// verified-token cache without a copy, and any other is copied by the core
// once, with its decoded payload. The core checks for this method and keeps
// nothing else it reads through the borrowed view.
func (r request) Borrow() extractors.Request { return borrowed(r) }

// borrowed reads like request, without copying; only header and query values
// are looked up this way, anything else is read through request.
type borrowed struct{ c *fiber.Ctx }

func (r borrowed) Header(name string) (string, int) {
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

func (r borrowed) Cookie(name string) (string, int) { return request(r).Cookie(name) }
func (r borrowed) Query(name string) (string, int)  { return request(r).Query(name) }
func (r borrowed) Form(name string) (string, int)   { return request(r).Form(name) }
func (r borrowed) Param(name string) string         { return r.c.Params(name) }
func (r borrowed) Method() string                   { return r.c.Method() }
func (r borrowed) Path() string                     { return request(r).Path() }
func (r borrowed) Scheme() string                   { return request(r).Scheme() }

// Header reads the header lines; "Host" is the request's host, from the
// request target when it is absolute (RFC 9112 §3.2.2), as net/http's r.Host.
func (r request) Header(name string) (string, int) {
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
func (r request) Cookie(name string) (string, int) {
	v, n := extractors.LookupCookie(r.c.Request().Header.PeekAll(fiber.HeaderCookie), name)
	return string(v), n
}

// Query reads the raw query string as extractors.LookupQuery does.
func (r request) Query(name string) (string, int) {
	return extractors.LookupQuery(r.c.Request().URI().QueryString(), name)
}

// Form reads an application/x-www-form-urlencoded body of a POST, PUT or
// PATCH, the requests whose form net/http parses.
func (r request) Form(name string) (string, int) {
	switch r.c.Method() {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch:
	default:
		return "", 0
	}
	if !extractors.IsFormURLEncoded(r.c.Request().Header.ContentType()) {
		return "", 0
	}
	return extractors.LookupQuery(r.c.Request().Body(), name)
}

func (r request) Param(name string) string { return strings.Clone(r.c.Params(name)) }

// Path is the request's path as sent, escaped (a copy of fasthttp's
// PathOriginal): what net/http's URL.EscapedPath gives, for the core's log
// records and DPoP, whose htu the core compares escaped (RFC 3986 §6.2.2
// decodes unreserved characters only). c.Path() would not do: fasthttp
// normalizes it, and fiber.Config.UnescapePath decodes it.
func (r request) Path() string {
	return string(r.c.Request().URI().PathOriginal())
}

// Scheme is "https" for a request that came over TLS, else "http".
func (r request) Scheme() string {
	if r.c.Context().IsTLS() {
		return "https"
	}
	return "http"
}

// Method returns a string that does not share fasthttp's buffer either.
func (r request) Method() string {
	m := r.c.Method()
	for _, known := range fiber.DefaultMethods {
		if m == known {
			return known
		}
	}
	return strings.Clone(m)
}

// copying is the copying view the endpoints read, their bodies aside.
type copying = request

// viewOf is the copying view of c.
func viewOf(c *fiber.Ctx) copying { return copying{c} }
