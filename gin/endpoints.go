package ginjwt

import (
	"context"
	"io"

	"github.com/gin-gonic/gin"

	"github.com/jwtgate/jwtgate/core/issuing"
)

// LoginHandler returns the handler of POST /login: e.HandleLogin, answered
// on c.Writer. It panics if e is nil or e.Validate fails.
//
//	r.POST("/login", ginjwt.LoginHandler(endpoints))
func LoginHandler(e *issuing.Endpoints) gin.HandlerFunc {
	return endpoint("LoginHandler", e, e.HandleLogin)
}

// RefreshHandler returns the handler of POST /refresh: e.HandleRefresh.
// It panics if e is nil or e.Validate fails.
func RefreshHandler(e *issuing.Endpoints) gin.HandlerFunc {
	return endpoint("RefreshHandler", e, e.HandleRefresh)
}

// LogoutHandler returns the handler of POST /logout: e.HandleLogout, which
// authenticates the access token itself; mount it without New in front. It
// panics if e is nil or e.Validate fails.
func LogoutHandler(e *issuing.Endpoints) gin.HandlerFunc {
	return endpoint("LogoutHandler", e, e.HandleLogout)
}

func endpoint(name string, e *issuing.Endpoints, handle func(context.Context, issuing.Request) issuing.Response) gin.HandlerFunc {
	if err := e.Validate(); err != nil {
		panic("ginjwt: " + name + ": " + err.Error())
	}
	return func(c *gin.Context) {
		handle(c.Request.Context(), endpointRequest{request{c}}).Write(c.Writer)
	}
}

// endpointRequest is New's view of the request, with its body.
type endpointRequest struct{ request }

func (r endpointRequest) Body(limit int64) ([]byte, error) {
	body := r.c.Request.Body
	if body == nil {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(body, limit))
}
