package extractors

import (
	"regexp"
	"strings"
	"testing"
)

// b64token is RFC 6750 §2.1's grammar, written the slow way.
var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// FuzzIsB64Token holds the eight-at-a-time check to the grammar, at every
// length around the eight-byte steps.
func FuzzIsB64Token(f *testing.F) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefg=", "abcdefghi", "abcdefgh=", "abcd efgh", "abcdefgh\x00", "====", "a=b", "ab~+/-._", strings.Repeat("x", 17) + "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isB64Token(s), b64token.MatchString(s); got != want {
			t.Fatalf("isB64Token(%q) = %v, want %v", s, got, want)
		}
	})
}
