package jwtgate

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/internal/parse"
)

// Claims is the default claims type: the registered claims of RFC 7519, the
// OAuth scope claims, and the whole payload for anything else.
//
// Embed it in your own type to add typed claims and keep scopes working:
//
//	type MyClaims struct {
//		jwtgate.Claims
//		TenantID string `json:"tid"`
//	}
type Claims struct {
	jwt.RegisteredClaims
	// Scope is the space-separated scope claim (RFC 8693 §4.2, RFC 9068 §2.2.3).
	Scope string `json:"scope,omitempty"`
	// Scp is the scope claim as some issuers send it: an array of scopes, or a
	// space-separated string.
	Scp jwt.ClaimStrings `json:"scp,omitempty"`

	raw   string
	dates [3]jwt.NumericDate // what ExpiresAt, NotBefore, IssuedAt point to
}

// date stores t in slot i and returns a pointer to it, nil for a zero t: the
// three NumericDates of a token in one allocation with the Claims. Truncated
// to jwt.TimePrecision, as golang-jwt's decoding does.
func (c *Claims) date(i int, t time.Time) *jwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	c.dates[i] = jwt.NumericDate{Time: t.Truncate(jwt.TimePrecision)}
	return &c.dates[i]
}

// Scopes returns the scopes of the scope and scp claims.
func (c *Claims) Scopes() []string { return appendScopes(nil, c.Scope, c.Scp) }

// Raw returns a copy of the token's payload as it was signed, when c was
// filled in by jwtgate; nil otherwise.
func (c *Claims) Raw() json.RawMessage {
	if c.raw == "" {
		return nil
	}
	return json.RawMessage(c.raw)
}

// Get decodes the claim called name into v. It reports false when the token
// has no such claim. Names match exactly (RFC 7519 §10.1.1 names are case
// sensitive).
func (c *Claims) Get(name string, v any) (bool, error) {
	if c.raw == "" {
		return false, nil
	}
	var m parse.Members[string]
	for {
		n, value, ok := m.Next(c.raw)
		if !ok {
			return false, nil
		}
		if n == name {
			return true, json.Unmarshal([]byte(value), v)
		}
	}
}

func (c *Claims) setRaw(s string) { c.raw = s }

// rawSetter is implemented by *Claims, and so by any pointer to a struct
// embedding Claims, so that Raw and Get work there too.
type rawSetter interface{ setRaw(string) }

func appendScopes(out []string, scope string, scp []string) []string {
	out = append(out, strings.Fields(scope)...)
	for _, s := range scp {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// hasScope reports whether want is one of the space-separated scopes in
// scope or one of scp, without allocating.
func hasScope(scope string, scp []string, want string) bool {
	if fieldsContain(scope, want) {
		return true
	}
	for _, s := range scp {
		if fieldsContain(s, want) {
			return true
		}
	}
	return false
}

func fieldsContain(s, want string) bool {
	for s != "" {
		s = strings.TrimLeft(s, " ")
		i := strings.IndexByte(s, ' ')
		f := s
		if i >= 0 {
			f, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if f == want && f != "" {
			return true
		}
	}
	return false
}
