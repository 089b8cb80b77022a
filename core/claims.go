package jwtgate

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/internal/parse"
	"github.com/jwtgate/jwtgate/core/internal/scope"
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
	// Scope is the space-separated scope claim (RFC 8693 §4.2, RFC 9068
	// §2.2.3); a scope sent as an array of strings is joined with spaces.
	Scope ScopeClaim `json:"scope,omitempty"`
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

// Scopes returns the scopes of the scope and scp claims, as Token.Scopes
// reads them.
func (c *Claims) Scopes() []string { return appendScopes(nil, string(c.Scope), c.Scp) }

// ScopeClaim is the scope claim: scope tokens separated by spaces (RFC 6749
// §3.3). It decodes from a JSON string, or from an array of strings (as
// ForgeRock and PingAM send scope), joined with single spaces, so a claims
// type that embeds Claims reads either; it encodes as a string.
type ScopeClaim string

// UnmarshalJSON implements json.Unmarshaler.
func (s *ScopeClaim) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*s = ScopeClaim(strings.Join(list, " "))
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	*s = ScopeClaim(str)
	return nil
}

// Raw returns a copy of the token's payload as it was signed, when c was
// filled in by jwtgate; nil otherwise.
func (c *Claims) Raw() json.RawMessage {
	if c.raw == "" {
		return nil
	}
	return json.RawMessage(c.raw)
}

// Get decodes the claim called name into v. It reports false when the token
// has no such claim. Names match exactly (RFC 7519 §4: names are case
// sensitive), name and the names of v's fields alike: a member that matches a
// field of v only case-insensitively is left out, where encoding/json alone
// would take it.
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
			// Decoded as a claims type is: nested names match exactly.
			return true, json.Unmarshal([]byte(exactPayload(value, reflect.TypeOf(v))), v)
		}
	}
}

func (c *Claims) setRaw(s string) { c.raw = s }

// rawSetter is implemented by *Claims, and so by any pointer to a struct
// embedding Claims, so that Raw and Get work there too.
type rawSetter interface{ setRaw(string) }

// The scope grammar, one for every reader (Token.Scopes, Token.HasScope,
// CheckScopes, every adapter's RequireScopes, Claims.Scopes): RFC 6749 §3.3,
// scope tokens of %x21 / %x23-5B / %x5D-7E separated by single spaces. The
// scope claim is split on spaces only, never on tabs, line breaks or other
// Unicode spaces; a piece that holds any character outside the grammar (a
// tab, a quote, a non-ASCII letter) is not a scope token and grants nothing,
// so "read\tadmin" grants neither read nor admin. Empty pieces (two spaces
// in a row) are skipped. Each element of an scp array is read the same way.

func appendScopes(out []string, scopeClaim string, scp []string) []string {
	out = appendScopeTokens(out, scopeClaim)
	for _, s := range scp {
		out = appendScopeTokens(out, s)
	}
	return out
}

func appendScopeTokens(out []string, s string) []string {
	for s != "" {
		var f string
		f, s, _ = strings.Cut(s, " ")
		if scope.Valid(f) {
			out = append(out, f)
		}
	}
	return out
}

// hasScope reports whether want is one of the scope tokens of scopeClaim or scp,
// without allocating.
func hasScope(scopeClaim string, scp []string, want string) bool {
	if !scope.Valid(want) {
		return false
	}
	if fieldsContain(scopeClaim, want) {
		return true
	}
	for _, s := range scp {
		if fieldsContain(s, want) {
			return true
		}
	}
	return false
}

// fieldsContain reports whether want, a valid scope token, is one of the
// space-separated pieces of s. A piece equal to want is a valid scope token.
func fieldsContain(s, want string) bool {
	for s != "" {
		var f string
		f, s, _ = strings.Cut(s, " ")
		if f == want {
			return true
		}
	}
	return false
}
