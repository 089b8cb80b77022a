package extractors_test

import (
	"net/textproto"

	"github.com/jwtgate/jwtgate/extractors"
)

// fakeRequest is a Request over plain maps, for testing extractors without
// net/http parsing in the way.
type fakeRequest struct {
	method string
	header map[string][]string // any case; matched case-insensitively
	cookie map[string][]string
	query  map[string][]string
	form   map[string][]string
	param  map[string]string
}

var _ extractors.Request = fakeRequest{}

func first(vals []string) (string, int) {
	if len(vals) == 0 {
		return "", 0
	}
	return vals[0], len(vals)
}

func (f fakeRequest) Header(name string) (string, int) {
	name = textproto.CanonicalMIMEHeaderKey(name)
	for k, v := range f.header {
		if textproto.CanonicalMIMEHeaderKey(k) == name {
			return first(v)
		}
	}
	return "", 0
}

func (f fakeRequest) Cookie(name string) (string, int) { return first(f.cookie[name]) }
func (f fakeRequest) Query(name string) (string, int)  { return first(f.query[name]) }
func (f fakeRequest) Form(name string) (string, int)   { return first(f.form[name]) }
func (f fakeRequest) Param(name string) string         { return f.param[name] }

func (f fakeRequest) Method() string {
	if f.method == "" {
		return "GET"
	}
	return f.method
}

func (fakeRequest) Path() string   { return "/" }
func (fakeRequest) Scheme() string { return "http" }

// auth returns a request with these Authorization header lines.
func auth(lines ...string) fakeRequest {
	return fakeRequest{header: map[string][]string{"Authorization": lines}}
}
