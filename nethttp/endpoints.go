package httpjwt

import (
	"context"
	"net/http"

	"github.com/jwtgate/jwtgate/core/issuing"
)

// LoginHandler returns the handler of POST /login: e.HandleLogin, answered
// on w. It panics if e is nil or e.Validate fails.
//
//	mux.Handle("POST /login", httpjwt.LoginHandler(endpoints))
func LoginHandler(e *issuing.Endpoints) http.Handler {
	return endpoint("LoginHandler", e, e.HandleLogin)
}

// RefreshHandler returns the handler of POST /refresh: e.HandleRefresh.
// It panics if e is nil or e.Validate fails.
func RefreshHandler(e *issuing.Endpoints) http.Handler {
	return endpoint("RefreshHandler", e, e.HandleRefresh)
}

// LogoutHandler returns the handler of POST /logout: e.HandleLogout, which
// authenticates the access token itself; mount it without New in front. It
// panics if e is nil or e.Validate fails.
func LogoutHandler(e *issuing.Endpoints) http.Handler {
	return endpoint("LogoutHandler", e, e.HandleLogout)
}

func endpoint(name string, e *issuing.Endpoints, handle func(context.Context, issuing.Request) issuing.Response) http.Handler {
	if err := e.Validate(); err != nil {
		panic("httpjwt: " + name + ": " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(r.Context(), issuing.FromHTTP(r)).Write(w)
	})
}
