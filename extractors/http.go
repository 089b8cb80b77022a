package extractors

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
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
	vals := h.req.Header[textproto.CanonicalMIMEHeaderKey(name)]
	if len(vals) == 0 {
		return "", 0
	}
	return vals[0], len(vals)
}

// Cookie returns the value of the first cookie with this name, over every
// Cookie header line, and the number of such cookies. It parses the lines as
// net/http does (pairs separated by ';', one pair of double quotes removed
// from the value) but without allocating and without dropping a cookie whose
// value has invalid characters: the extractor refuses it instead.
func (h HTTPRequest) Cookie(name string) (value string, count int) {
	for _, line := range h.req.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = trimOWS(part)
			if part == "" {
				continue
			}
			k, v, _ := strings.Cut(part, "=")
			if k != name {
				continue
			}
			if count == 0 {
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				value = v
			}
			count++
		}
	}
	return value, count
}

// Query returns the first value of the URL query parameter, unescaped, and the
// number of times it appears. Parameters are separated by '&' only. A value
// that cannot be unescaped is returned as sent, so that the token rule refuses
// it. Only unescaping a value allocates.
func (h HTTPRequest) Query(name string) (value string, count int) {
	if h.req.URL == nil {
		return "", 0
	}
	q := h.req.URL.RawQuery
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if !queryKeyEqual(k, name) {
			continue
		}
		if count == 0 {
			value = v
			if strings.ContainsAny(v, "%+") {
				if u, err := url.QueryUnescape(v); err == nil {
					value = u
				}
			}
		}
		count++
	}
	return value, count
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

// trimOWS removes leading and trailing SP and HTAB.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// isFormURLEncoded reports whether the first Content-Type value has the media
// type application/x-www-form-urlencoded, parameters aside.
func isFormURLEncoded(ct []string) bool {
	if len(ct) == 0 {
		return false
	}
	mt, _, _ := strings.Cut(ct[0], ";")
	return strings.EqualFold(trimOWS(mt), "application/x-www-form-urlencoded")
}

// queryKeyEqual reports whether the raw (escaped) query key decodes to name,
// decoding on the fly instead of allocating. A key with a bad escape matches
// nothing, as url.ParseQuery skips it.
func queryKeyEqual(raw, name string) bool {
	if !strings.ContainsAny(raw, "%+") {
		return raw == name
	}
	j := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '+':
			c = ' '
			i++
		case '%':
			if i+2 >= len(raw) {
				return false
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return false
			}
			c = hi<<4 | lo
			i += 3
		default:
			i++
		}
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
