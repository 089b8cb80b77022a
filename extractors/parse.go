package extractors

import (
	"errors"
	"fmt"
	"strings"
)

// Parse builds an extractor from a lookup string in the style of echo-jwt's
// TokenLookup and fiber's KeyLookup, so that such configurations can be
// reused: a comma-separated list of items "kind:name[:prefix]" where kind is
// header, cookie, query, form or param, for example
//
//	header:Authorization:Bearer ,cookie:access_token
//
// Spaces around an item's kind and name are ignored. A prefix is allowed only
// for header and is kept as written, trailing space included ("Bearer ");
// spaces before it are dropped. "header:Authorization:Bearer" yields
// AuthorizationBearer(), see Header.
//
// One item yields that extractor. Unlike echo-jwt, which tries the sources in
// turn and takes the first that succeeds, several items are combined with
// Exclusive: a request that sends the token by more than one of them is
// refused (RFC 6750 §2).
//
// Parse returns an error naming the offending item for an empty lookup or
// item, an unknown kind, a missing or invalid name, and a prefix given to a
// kind other than header.
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
