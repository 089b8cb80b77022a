// Package scope holds the grammar of a scope token, shared by the core
// (which reads scopes from claims) and package adapt (which checks a
// route's scopes when it is built).
package scope

import "errors"

// Valid reports whether s can be a scope token: non-empty and made of
// %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3, RFC 6750 §3).
func Valid(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

var errNone = errors.New("jwtgate: no scopes given")

// Validate reports an error when scopes is empty or one of them is not
// Valid.
func Validate(scopes []string) error {
	if len(scopes) == 0 {
		return errNone
	}
	for _, s := range scopes {
		if !Valid(s) {
			return &nameError{s}
		}
	}
	return nil
}

type nameError struct{ s string }

func (e *nameError) Error() string {
	s := e.s
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `jwtgate: scope "` + s + `" is empty or holds characters RFC 6750 §3 forbids`
}
