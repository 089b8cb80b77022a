package jwtgate

import (
	"encoding/json"
	"strings"

	"github.com/golang-jwt/jwt/v5"
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

	raw []byte
}

// Scopes returns the scopes of the scope and scp claims.
func (c *Claims) Scopes() []string { return appendScopes(nil, c.Scope, c.Scp) }

// Raw returns the token's payload as it was signed, when c was filled in by
// jwtgate; nil otherwise. Do not modify it.
func (c *Claims) Raw() json.RawMessage { return c.raw }

// Get decodes the claim called name into v. It reports false when the token
// has no such claim. Names match exactly (RFC 7519 §10.1.1 names are case
// sensitive).
func (c *Claims) Get(name string, v any) (bool, error) {
	if c.raw == nil {
		return false, nil
	}
	var found []byte
	err := scanObject(c.raw, func(n, value []byte) error {
		if string(n) == name {
			found = value
		}
		return nil
	})
	if err != nil || found == nil {
		return false, err
	}
	return true, json.Unmarshal(found, v)
}

func (c *Claims) setRaw(b []byte) { c.raw = b }

// rawSetter is implemented by *Claims, and so by any pointer to a struct
// embedding Claims, so that Raw and Get work there too.
type rawSetter interface{ setRaw([]byte) }

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
