package extractors

import (
	"net/http"
	"net/textproto"
)

// HTTPRequest is the Request view over a *net/http.Request. It holds only the
// pointer, so converting it to a Request does not allocate. Build it with
// FromHTTP.
//
// It cannot be declared as "type HTTPRequest http.Request": http.Request has
// fields named Header, Form and Method, and Go forbids a method with the name
// of a field.
type HTTPRequest struct {
	req *http.Request
}

// FromHTTP returns the Request view of r, without copying or allocating. The
// view reads r when an extractor asks; r must not be nil. Adapters whose
// router has path parameters embed it and override Param.
func FromHTTP(r *http.Request) HTTPRequest { return HTTPRequest{req: r} }

// Header returns the first value of the header field and the number of field
// lines that carry it. It does not allocate when name is in canonical form.
// "Host" is the request's Host (r.Host).
func (h HTTPRequest) Header(name string) (value string, count int) {
	if name == "Host" {
		// net/http moves Host out of the header map.
		if h.req.Host == "" {
			return "", 0
		}
		return h.req.Host, 1
	}
	key := name
	switch name {
	case authorization: // every request: the key as net/http stores it
	case "DPoP":
		key = "Dpop"
	default:
		key = textproto.CanonicalMIMEHeaderKey(name)
	}
	vals := h.req.Header[key]
	if len(vals) == 0 {
		return "", 0
	}
	return vals[0], len(vals)
}

// Cookie returns the value of the first cookie with this name, over every
// Cookie header line, and the number of such cookies (see LookupCookie).
func (h HTTPRequest) Cookie(name string) (value string, count int) {
	return LookupCookie(h.req.Header["Cookie"], name)
}

// Query returns the first value of the URL query parameter, unescaped, and the
// number of times it appears (see LookupQuery).
func (h HTTPRequest) Query(name string) (value string, count int) {
	if h.req.URL == nil {
		return "", 0
	}
	return LookupQuery(h.req.URL.RawQuery, name)
}

// Form returns the first value of the field in an
// application/x-www-form-urlencoded body and the number of times it appears,
// or ("", 0) for another content type or a body that cannot be parsed. It
// calls http.Request.ParseForm, which consumes the body; the handler finds the
// fields in PostForm. net/http parses a body only for POST, PUT and PATCH.
func (h HTTPRequest) Form(name string) (value string, count int) {
	if !isFormURLEncoded(h.req.Header["Content-Type"]) {
		return "", 0
	}
	if err := h.req.ParseForm(); err != nil {
		return "", 0
	}
	vals := h.req.PostForm[name]
	if len(vals) == 0 {
		return "", 0
	}
	return vals[0], len(vals)
}

// Param returns the path value the net/http ServeMux matched for name, or "".
func (h HTTPRequest) Param(name string) string { return h.req.PathValue(name) }

// Method returns the request method.
func (h HTTPRequest) Method() string { return h.req.Method }

// Scheme is "https" for a request that came over TLS, else "http": what
// the core compares a DPoP proof's htu with when no public URL is set.
func (h HTTPRequest) Scheme() string {
	if h.req.TLS != nil {
		return "https"
	}
	return "http"
}

// Path returns the request's URL path as sent, escaped
// (URL.EscapedPath), for the core's log records and for DPoP, whose proof's
// htu the core compares with it after RFC 3986 §6.2.2's normalization,
// which decodes unreserved characters only: /a%2Fb is not /a/b.
func (h HTTPRequest) Path() string {
	if h.req.URL == nil {
		return ""
	}
	return h.req.URL.EscapedPath()
}

// isFormURLEncoded reports whether the first Content-Type value has the media
// type application/x-www-form-urlencoded, parameters aside.
func isFormURLEncoded(ct []string) bool {
	if len(ct) == 0 {
		return false
	}
	return IsFormURLEncoded(ct[0])
}

// IsFormURLEncoded reports whether a Content-Type value has the media type
// application/x-www-form-urlencoded, parameters aside.
func IsFormURLEncoded[T ~string | ~[]byte](contentType T) bool {
	mt := contentType
	if i := indexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = trimSpace(mt)
	const want = "application/x-www-form-urlencoded"
	if len(mt) != len(want) {
		return false
	}
	for i := 0; i < len(mt); i++ {
		c := mt[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}
