package echojwt

import (
	"context"
	"io"

	"github.com/labstack/echo/v5"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
)

// LoginHandler returns the handler of POST /login: e.HandleLogin, answered
// on c.Response(); it returns nil, so echo's HTTPErrorHandler never
// rewrites the endpoints' answers. It panics if e is nil or e.Validate
// fails.
//
//	app.POST("/login", echojwt.LoginHandler(endpoints))
func LoginHandler(e *issuing.Endpoints) echo.HandlerFunc {
	return endpoint("LoginHandler", e, e.HandleLogin)
}

// RefreshHandler returns the handler of POST /refresh: e.HandleRefresh.
// It panics if e is nil or e.Validate fails.
func RefreshHandler(e *issuing.Endpoints) echo.HandlerFunc {
	return endpoint("RefreshHandler", e, e.HandleRefresh)
}

// LogoutHandler returns the handler of POST /logout: e.HandleLogout, which
// authenticates the access token itself; mount it without New in front. It
// panics if e is nil or e.Validate fails.
func LogoutHandler(e *issuing.Endpoints) echo.HandlerFunc {
	return endpoint("LogoutHandler", e, e.HandleLogout)
}

func endpoint(name string, e *issuing.Endpoints, handle func(context.Context, issuing.Request) issuing.Response) echo.HandlerFunc {
	if err := e.Validate(); err != nil {
		panic("echojwt: " + name + ": " + err.Error())
	}
	return func(c *echo.Context) error {
		r := c.Request()
		handle(r.Context(), endpointRequest{&request{HTTPRequest: extractors.FromHTTP(r), c: c}}).Write(c.Response())
		return nil
	}
}

// endpointRequest is New's view of the request, with its body.
type endpointRequest struct{ *request }

func (r endpointRequest) Body(limit int64) ([]byte, error) {
	body := r.c.Request().Body
	if body == nil {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(body, limit))
}
