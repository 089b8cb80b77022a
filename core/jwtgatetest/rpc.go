package jwtgatetest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/core/dpop"
)

// RunTokens runs the suite's token cases against an adapter for a transport
// that is not HTTP — a gRPC or Connect interceptor — whose test turns the
// suite's HTTP request into a call and the call's answer back into an HTTP
// answer: each case's status mapped to the transport's code and back, its
// challenge and description, whether the protected handler ran and what it
// saw in its context, the log record and the Observer's outcome.
//
// The token cases are those whose request is GET /protected with nothing
// but Authorization field lines, each of printable ASCII (what a metadata
// value can carry), none with the DPoP scheme, under a Config without
// cookie mode, DPoP or another extractor, with no request before the case's
// own and no miswired scope guard: every verification case, and the scope
// cases (Route.Scopes, which the adapter's per-method policy requires). The
// cookie, query, form, CSRF and DPoP cases do not apply.
//
// fullMethod is the name the adapter gives the call (a gRPC full method
// name, a Connect procedure): the path a refusal's log record names.
func RunTokens(t *testing.T, fullMethod string, newServer NewServer) {
	t.Helper()
	fx := newFixture()
	cases := tokenCases(fx)
	if len(cases) == 0 {
		t.Fatal("jwtgatetest: no token cases")
	}
	for _, tc := range cases {
		tc.path = fullMethod
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, fx, newServer, tc)
		})
	}
}

// TokenCaseCount returns the number of cases RunTokens runs, each with one
// handler from its NewServer.
func TokenCaseCount() int { return len(tokenCases(newFixture())) }

// tokenCases are the cases RunTokens runs, in the suite's order.
func tokenCases(fx *fixture) []testCase {
	var out []testCase
	for _, tc := range buildCases(fx) {
		if isTokenCase(fx, tc) {
			out = append(out, tc)
		}
	}
	return out
}

func isTokenCase(fx *fixture, tc testCase) bool {
	if tc.miswired || len(tc.before) > 0 || tc.policy.DPoP != dpop.Inherit {
		return false
	}
	cfg := baseConfig(fx)
	if tc.config != nil {
		tc.config(&cfg)
	}
	if cfg.DPoP != nil || cfg.Cookies != nil || cfg.Extractor != nil {
		return false
	}
	if tc.request == nil {
		return tc.token != nil // "Authorization: Bearer <token>" on GET /protected
	}
	r := tc.request(&env{fixture: fx})
	if r.Method != http.MethodGet || r.URL.Path != "/protected" || r.URL.RawQuery != "" {
		return false
	}
	if r.Body != nil && r.Body != http.NoBody {
		if n, _ := io.Copy(io.Discard, r.Body); n > 0 {
			return false
		}
	}
	for name, lines := range r.Header {
		if name != "Authorization" {
			return false
		}
		for _, v := range lines {
			if !printable(v) || hasScheme(v, "dpop") {
				return false
			}
		}
	}
	return true
}

// printable reports whether v is made of %x20-7E only.
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// hasScheme reports whether the credentials v use scheme, in any case.
func hasScheme(v, scheme string) bool {
	v = strings.TrimLeft(v, " ")
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return false
	}
	return len(v) == len(scheme) || v[len(scheme)] == ' '
}
