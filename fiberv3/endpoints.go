package fiberjwt

import (
	"bytes"
	"context"

	"github.com/gofiber/fiber/v3"

	"github.com/jwtgate/jwtgate/core/issuing"
)

// LoginHandler returns the handler of POST /login: e.HandleLogin, answered
// on c. It panics if e is nil or e.Validate fails.
//
//	app.Post("/login", fiberjwt.LoginHandler(endpoints))
func LoginHandler(e *issuing.Endpoints) fiber.Handler {
	return endpoint("LoginHandler", e, e.HandleLogin)
}

// RefreshHandler returns the handler of POST /refresh: e.HandleRefresh.
// It panics if e is nil or e.Validate fails.
func RefreshHandler(e *issuing.Endpoints) fiber.Handler {
	return endpoint("RefreshHandler", e, e.HandleRefresh)
}

// LogoutHandler returns the handler of POST /logout: e.HandleLogout, which
// authenticates the access token itself; mount it without New in front. It
// panics if e is nil or e.Validate fails.
func LogoutHandler(e *issuing.Endpoints) fiber.Handler {
	return endpoint("LogoutHandler", e, e.HandleLogout)
}

func endpoint(name string, e *issuing.Endpoints, handle func(context.Context, issuing.Request) issuing.Response) fiber.Handler {
	if err := e.Validate(); err != nil {
		panic("fiberjwt: " + name + ": " + err.Error())
	}
	return func(c fiber.Ctx) error {
		return write(c, handle(userContext(c), endpointRequest{viewOf(c)}))
	}
}

// write answers resp as issuing.Response.Write does on net/http: the
// fields, one Set-Cookie line per cookie, the status, the body.
func write(c fiber.Ctx, resp issuing.Response) error {
	h := &c.Response().Header
	for name, values := range resp.Header {
		h.Del(name)
		for _, v := range values {
			h.Add(name, v)
		}
	}
	for _, ck := range resp.Cookies {
		h.Add(fiber.HeaderSetCookie, ck.String())
	}
	return c.Status(resp.Status).Send(resp.Body)
}

// endpointRequest is New's view of the request, with its body. It embeds
// the view itself, not an extractors.Request holding it, so that its Path
// and Scheme, which a DPoP proof's htu is compared with, stay visible. The
// view over the interface costs an allocation the login does not mind.
type endpointRequest struct{ copying }

// Body returns a copy of the raw body (not decompressed, as net/http reads
// it): fasthttp reuses the buffer once the handler returns, and the
// endpoints may keep the body (LoginRequest.Raw).
func (r endpointRequest) Body(limit int64) ([]byte, error) {
	b := r.c.Request().Body()
	if int64(len(b)) > limit {
		b = b[:limit]
	}
	return bytes.Clone(b), nil
}
