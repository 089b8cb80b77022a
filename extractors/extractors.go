package extractors

import (
	"net/textproto"
	"strconv"
	"strings"
)

// Extractor finds the bearer token in a request. Implementations are built
// once, are safe for concurrent use and should not allocate when the token is
// absent. They must not keep the strings a Request returns once Extract has
// returned, nor put them in an error: through some views (Fiber's, for the
// verified-token cache) those strings share buffers the framework reuses.
// The Source's name must not come from the request either.
type Extractor interface {
	// Extract returns the token and where it was found: its Source, whose
	// Kind the core decides by (a cookie's token gets the CSRF checks, a
	// URL's an answer no shared cache keeps), so a custom extractor must
	// give the kind it read, such as Source{Kind: InCookie, Name:
	// "session"}. A request that does not carry a token by this method
	// yields ("", Source{}, nil). A request that carries one in a malformed
	// way yields an error that wraps ErrMalformed, ErrRepeated or
	// ErrMultipleMethods.
	Extract(r Request) (token string, source Source, err error)
}

const (
	authorization = "Authorization"
)

var (
	bearerSource = Source{Kind: InHeader, Name: authorization}
	bearerErrors = newSourceErrors(bearerSource)
)

// bearerExtractor implements AuthorizationBearer. It has no fields, so storing
// it in an Extractor does not allocate.
type bearerExtractor struct{}

// AuthorizationBearer returns the extractor for the Authorization request
// header field with the Bearer scheme (RFC 6750 §2.1), the method clients
// should use.
//
// A header with another scheme (Basic, DPoP, a bare value...) is not a bearer
// token and is ignored. A header that starts with "Bearer" (in any case) must be
// exactly "Bearer", one or more spaces and one b64token, or the request is
// refused with ErrMalformed. Two Authorization header lines, whatever their
// schemes, are refused with ErrRepeated.
func AuthorizationBearer() Extractor { return bearerExtractor{} }

func (bearerExtractor) Extract(r Request) (token string, source Source, err error) {
	v, n := r.Header(authorization)
	switch {
	case n == 0:
		return "", Source{}, nil
	case n > 1:
		return "", Source{}, bearerErrors.repeated
	case !hasPrefixFold(v, "bearer"):
		// Another scheme: not ours, and never returned.
		return "", Source{}, nil
	}
	rest := v[len("bearer"):]
	if rest == "" || rest[0] != ' ' {
		// "Bearer", "Bearerabc", "Bearer\tabc", "Bearers abc".
		return "", Source{}, bearerErrors.malformed
	}
	rest = trimLeftSP(rest)
	if !isB64Token(rest) {
		return "", Source{}, bearerErrors.malformed
	}
	return rest, bearerSource, nil
}

// headerExtractor implements Header for any header or prefix but the Bearer
// scheme in Authorization.
type headerExtractor struct {
	name, prefix string
	source       Source
	errs         sourceErrors
}

// Header returns an extractor for the named request header field, for APIs
// that send the token in a custom header such as "X-Api-Token".
//
// With an empty prefix the whole field value is the token. With a prefix, a
// value that does not start with it (ASCII case-insensitively) is ignored;
// after the prefix and any spaces the rest must be one b64token. A value that
// is not a b64token is refused with ErrMalformed, a repeated field with
// ErrRepeated.
//
// The name is matched case-insensitively. Header("Authorization", "Bearer ")
// and Header("Authorization", "Bearer"), in any case, return
// AuthorizationBearer(), so that a lookup string written for echo gets the
// strict RFC 6750 rules. Header panics if name is not a valid header field
// name.
func Header(name, prefix string) Extractor {
	if !isHTTPToken(name) {
		panic("extractors: Header: invalid header name " + strconv.Quote(name))
	}
	name = textproto.CanonicalMIMEHeaderKey(name)
	if name == authorization && strings.EqualFold(strings.TrimRight(prefix, " "), "bearer") {
		return AuthorizationBearer()
	}
	source := Source{Kind: InHeader, Name: name}
	return &headerExtractor{name: name, prefix: prefix, source: source, errs: newSourceErrors(source)}
}

func (e *headerExtractor) Extract(r Request) (token string, source Source, err error) {
	v, n := r.Header(e.name)
	switch {
	case n == 0:
		return "", Source{}, nil
	case n > 1:
		return "", Source{}, e.errs.repeated
	}
	if e.prefix != "" {
		if !hasPrefixFold(v, e.prefix) {
			return "", Source{}, nil
		}
		v = trimLeftSP(v[len(e.prefix):])
	}
	if !isB64Token(v) {
		return "", Source{}, e.errs.malformed
	}
	return v, e.source, nil
}

// valueKind is the Request method a valueExtractor reads.
type valueKind uint8

const (
	kindCookie valueKind = iota
	kindQuery
	kindForm
)

// valueExtractor implements Cookie, Query and Form, which share their rules.
type valueExtractor struct {
	kind   valueKind
	name   string
	source Source
	errs   sourceErrors
}

func newValueExtractor(kind valueKind, fn, prefix, name string) Extractor {
	if name == "" {
		panic("extractors: " + fn + ": empty name")
	}
	source := Source{Kind: map[valueKind]SourceKind{kindCookie: InCookie, kindQuery: InQuery, kindForm: InForm}[kind], Name: name}
	return &valueExtractor{kind: kind, name: name, source: source, errs: newSourceErrors(source)}
}

// Cookie returns an extractor for the named cookie, for browser sessions that
// keep the token in an HttpOnly cookie. The name is matched exactly. An empty
// value (a cleared cookie) counts as absent; two cookies with the name are
// refused with ErrRepeated, a value that is not a b64token with ErrMalformed.
// Cookie panics if name is not a valid cookie name.
func Cookie(name string) Extractor {
	if !isHTTPToken(name) {
		panic("extractors: Cookie: invalid cookie name " + strconv.Quote(name))
	}
	return newValueExtractor(kindCookie, "Cookie", "cookie", name)
}

// Query returns an extractor for the named URL query parameter
// (RFC 6750 §2.3). Tokens in URLs end up in logs and Referer headers
// (RFC 6750 §5.3), so use it only for clients that cannot send headers. An
// empty value counts as absent; a repeated parameter is refused with
// ErrRepeated, a value that is not a b64token with ErrMalformed. Query panics
// if name is empty.
func Query(name string) Extractor {
	return newValueExtractor(kindQuery, "Query", "query", name)
}

// Form returns an extractor for the named field of an
// application/x-www-form-urlencoded body (RFC 6750 §2.2). It is read only
// when the request method is neither GET nor HEAD: RFC 6750 §2.2 forbids the
// method on GET, and reading a form means consuming the body. An empty value
// counts as absent; a repeated field is refused with ErrRepeated, a value that
// is not a b64token with ErrMalformed. Form panics if name is empty.
func Form(name string) Extractor {
	return newValueExtractor(kindForm, "Form", "form", name)
}

func (e *valueExtractor) Extract(r Request) (token string, source Source, err error) {
	var (
		v string
		n int
	)
	switch e.kind {
	case kindCookie:
		v, n = r.Cookie(e.name)
	case kindQuery:
		v, n = r.Query(e.name)
	case kindForm:
		if m := r.Method(); m == "GET" || m == "HEAD" {
			return "", Source{}, nil
		}
		v, n = r.Form(e.name)
	}
	switch {
	case n == 0:
		return "", Source{}, nil
	case n > 1:
		return "", Source{}, e.errs.repeated
	case v == "":
		return "", Source{}, nil
	case !isB64Token(v):
		return "", Source{}, e.errs.malformed
	}
	return v, e.source, nil
}

// paramExtractor implements Param.
type paramExtractor struct {
	name   string
	source Source
	errs   sourceErrors
}

// Param returns an extractor for the named path parameter, such as {token} in
// the net/http pattern "GET /download/{token}", for links that must carry
// their own credentials. Like a query parameter, a path ends up in logs. An
// empty value counts as absent, a value that is not a b64token is refused with
// ErrMalformed. Param panics if name is empty.
func Param(name string) Extractor {
	if name == "" {
		panic("extractors: Param: empty name")
	}
	source := Source{Kind: InPath, Name: name}
	return &paramExtractor{name: name, source: source, errs: newSourceErrors(source)}
}

func (e *paramExtractor) Extract(r Request) (token string, source Source, err error) {
	v := r.Param(e.name)
	switch {
	case v == "":
		return "", Source{}, nil
	case !isB64Token(v):
		return "", Source{}, e.errs.malformed
	}
	return v, e.source, nil
}
