package extractors

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
)

// Parse builds an extractor from a lookup string in the style of echo-jwt's
// TokenLookup and gofiber's contrib jwt TokenLookup (and Fiber's
// KeyLookup), so that such configurations can be reused: a comma-separated
// list of items "kind:name[:prefix]" where kind is header, cookie, query,
// form or param, for example
//
//	header:Authorization:Bearer ,cookie:jwt,query:token,param:token,form:token
//
// Spaces around an item's kind and name are ignored. A prefix is allowed only
// for header and is kept as written, trailing space included ("Bearer ");
// spaces before it are dropped.
//
// The Authorization header is always read with the Bearer scheme, as
// [AuthorizationBearer] reads it (RFC 6750 §2.1: the scheme in any case,
// then one b64token), whether the item says "header:Authorization:Bearer "
// (echo-jwt's default), "header:Authorization:Bearer" or
// "header:Authorization" (gofiber's default, whose AuthScheme "Bearer" is a
// field of its own). echo-jwt reads "header:Authorization" without a prefix
// as a bare token in the header; RFC 6750 has no such form, so here a bare
// value is another scheme, ignored like Basic. gofiber's AuthScheme, when
// set to anything else, goes in the item as its prefix:
// "header:X-Token:Token ".
//
// The other items mean what they mean there: "header:X-Api-Key" is the whole
// value of that header, "header:X-Api-Key:Token " the value after the prefix
// (compared in any case); cookie, query and param read that cookie, URL
// query parameter and path parameter; form reads that field of an
// application/x-www-form-urlencoded body (echo-jwt's also reads the URL
// query and multipart bodies: add "query:<name>" for the query). Every
// value must be one b64token; a header, cookie, query parameter or form
// field sent twice is refused (ErrRepeated), where echo-jwt would try each
// value. A path parameter is whatever the router matched for its name, one
// value (a route that names it twice gives the router's choice, the
// first with Echo and Gin).
//
// One item yields that extractor. Unlike echo-jwt and gofiber, which try the
// sources in turn and take the first that succeeds, several items are
// combined with Exclusive: a request that sends the token by more than one
// of them is refused (RFC 6750 §2).
//
// Parse returns an error naming the offending item for an empty lookup or
// item, an unknown kind (echo-jwt and gofiber skip one silently), a missing
// or invalid name, a prefix given to a kind other than header, and the items
// that cannot be read safely: the DPoP scheme in Authorization and the DPoP
// header (a DPoP-bound token is worth nothing without its proof, which
// jwtgate.Config.DPoP checks), and the Cookie header (a cookie is read with
// cookie:<name>, not as the whole header).
func Parse(lookup string) (Extractor, error) {
	if strings.TrimSpace(lookup) == "" {
		return nil, errors.New("extractors: empty lookup")
	}
	items := strings.Split(lookup, ",")
	exs := make([]Extractor, 0, len(items))
	for _, item := range items {
		ex, err := parseItem(item)
		if err != nil {
			return nil, err
		}
		exs = append(exs, ex)
	}
	if len(exs) == 1 {
		return exs[0], nil
	}
	return Exclusive(exs...), nil
}

// parseItem parses one "kind:name[:prefix]" item of a lookup string.
func parseItem(item string) (Extractor, error) {
	if strings.TrimSpace(item) == "" {
		return nil, fmt.Errorf("extractors: empty item %q in lookup", item)
	}
	kind, rest, _ := strings.Cut(item, ":")
	name, prefix, hasPrefix := strings.Cut(rest, ":")
	kind, name = strings.TrimSpace(kind), strings.TrimSpace(name)
	prefix = strings.TrimLeft(prefix, " \t")

	switch kind {
	case "header", "cookie", "query", "form", "param":
	default:
		return nil, fmt.Errorf("extractors: lookup item %q: unknown kind %q (want header, cookie, query, form or param)", item, kind)
	}
	if name == "" {
		return nil, fmt.Errorf("extractors: lookup item %q: missing name", item)
	}
	if hasPrefix && kind != "header" {
		return nil, fmt.Errorf("extractors: lookup item %q: a prefix is allowed only for header", item)
	}
	switch kind {
	case "header":
		if !isHTTPToken(name) {
			return nil, fmt.Errorf("extractors: lookup item %q: invalid header name %q", item, name)
		}
		switch textproto.CanonicalMIMEHeaderKey(name) {
		case authorization:
			scheme := strings.TrimRight(prefix, " ")
			if strings.EqualFold(scheme, "dpop") {
				return nil, fmt.Errorf("extractors: lookup item %q: the DPoP scheme is not read as a bearer token: a DPoP-bound token comes with its proof, which jwtgate.Config.DPoP checks", item)
			}
			if scheme == "" {
				// gofiber's default lookup, whose AuthScheme is "Bearer":
				// RFC 6750 has no bare token in Authorization.
				return AuthorizationBearer(), nil
			}
		case "Dpop":
			return nil, fmt.Errorf("extractors: lookup item %q: the DPoP header carries a proof, not an access token (see jwtgate.Config.DPoP)", item)
		case "Cookie":
			return nil, fmt.Errorf("extractors: lookup item %q: read a cookie with cookie:<name>, not the whole Cookie header", item)
		}
		return Header(name, prefix), nil
	case "cookie":
		if !isHTTPToken(name) {
			return nil, fmt.Errorf("extractors: lookup item %q: invalid cookie name %q", item, name)
		}
		return Cookie(name), nil
	case "query":
		return Query(name), nil
	case "form":
		return Form(name), nil
	default:
		return Param(name), nil
	}
}
