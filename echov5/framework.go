package echojwt

import (
	"sync"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/labstack/echo/v5"
)

// What differs from Echo v4 beyond the types' names, kept out of
// echojwt.go, which the v4 adapter's matches (internal/layout's
// TestAdapterPairs holds them together).

// answer answers the refusal d as the core says, and returns the error
// echo's middleware and HTTPErrorHandler see (see New).
func answer(ec *echo.Context, d adapt.Decision) error {
	resp := d.Response()
	resp.SetHeaders(ec.Response().Header())
	re := &refusal{
		resp: resp,
		http: echo.HTTPError{Code: resp.Status, Message: resp.Description}.Wrap(d.Err),
	}
	if err := writeAnswer(ec, resp); err != nil {
		return err
	}
	return re
}

// committed reports whether an answer was written. In v5, c.Response() is an
// http.ResponseWriter; echo's *Response, which knows, is found by unwrapping
// it, as echo's own error handler does.
func committed(c *echo.Context) bool {
	r, err := echo.UnwrapResponse(c.Response())
	return err == nil && r.Committed
}

// refusal is the error of a refused request. Echo v5's *HTTPError carries a
// string Message that its DefaultHTTPErrorHandler wraps in
// {"message":"…"}; that handler sends as it is the JSON of the first
// echo.HTTPStatusCoder in the error's chain that is a json.Marshaler, which
// refusal is. Behind it is the *echo.HTTPError, for handlers written to find
// one with errors.As, and behind that the jwtgate error.
type refusal struct {
	resp jwtgate.Response
	http error // an *echo.HTTPError wrapping the jwtgate error
}

func (r *refusal) StatusCode() int              { return r.resp.Status }
func (r *refusal) MarshalJSON() ([]byte, error) { return r.resp.Body(), nil }
func (r *refusal) Error() string                { return r.http.Error() }
func (r *refusal) Unwrap() error                { return r.http }

// request is the Request view whose Param reads echo's path parameters.
type request struct {
	extractors.HTTPRequest
	c *echo.Context
}

func (r *request) Param(name string) string { return r.c.Param(name) }

// views recycles the views: a *request goes into the extractors.Request
// interface without an allocation, where a request (two words) would not.
var views = sync.Pool{New: func() any { return new(request) }}
