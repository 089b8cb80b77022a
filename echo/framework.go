package echojwt

import (
	"sync"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/labstack/echo/v4"
)

// What differs from Echo v5 beyond the types' names, kept out of
// echojwt.go, which the v5 adapter's matches (internal/layout's
// TestAdapterPairs holds them together).

// answer answers the refusal d as the core says, and returns the error
// echo's middleware and HTTPErrorHandler see: an *echo.HTTPError.
func answer(ec echo.Context, d adapt.Decision) error {
	resp := d.Response()
	resp.SetHeaders(ec.Response().Header())
	he := &echo.HTTPError{Code: resp.Status, Message: body(resp), Internal: d.Err}
	if err := writeAnswer(ec, resp); err != nil {
		return err
	}
	return he
}

// committed reports whether an answer was written.
func committed(c echo.Context) bool { return c.Response().Committed }

// body is an HTTPError's Message: it marshals to the core's JSON body.
type body jwtgate.Response

func (b body) MarshalJSON() ([]byte, error) { return jwtgate.Response(b).Body(), nil }

// request is the Request view whose Param reads echo's path parameters.
type request struct {
	extractors.HTTPRequest
	c echo.Context
}

func (r *request) Param(name string) string { return r.c.Param(name) }

// views recycles the views: a *request goes into the extractors.Request
// interface without an allocation, where a request (two words) would not.
var views = sync.Pool{New: func() any { return new(request) }}
