package extractors_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/extractors"
)

func TestParse(t *testing.T) {
	t.Parallel()
	bearerAndCookie := fakeRequest{
		header: map[string][]string{"Authorization": {"Bearer abc"}},
		cookie: map[string][]string{"access_token": {"def"}},
	}
	for _, tc := range []struct {
		lookup string
		// want is the extractor the lookup must behave like.
		want extractors.Extractor
		// cases run on the parsed extractor.
		cases []extractCase
	}{
		{lookup: "header:Authorization:Bearer ", want: extractors.AuthorizationBearer()},
		{lookup: "header:Authorization:Bearer", want: extractors.AuthorizationBearer()},
		{lookup: " header : authorization :bearer ", want: extractors.AuthorizationBearer()},
		{lookup: "header:Authorization: Bearer ", want: extractors.AuthorizationBearer()},
		{lookup: "cookie:access_token", want: extractors.Cookie("access_token")},
		{lookup: "\tcookie:access_token ", want: extractors.Cookie("access_token")},
		{lookup: "query:access_token", want: extractors.Query("access_token")},
		{lookup: "form:access_token", want: extractors.Form("access_token")},
		{lookup: "param:token", want: extractors.Param("token")},
		{lookup: "header:X-Api-Token", want: extractors.Header("X-Api-Token", "")},
		{lookup: "header:X-Api-Token:", want: extractors.Header("X-Api-Token", "")},
		{lookup: "header:X-Api-Token:Token ", want: extractors.Header("X-Api-Token", "Token ")},
		{lookup: "header:X-Api-Token:Token", cases: []extractCase{
			{name: "prefix without trailing space", req: fakeRequest{header: map[string][]string{"X-Api-Token": {"Token   abc"}}}, wantToken: "abc", wantSource: "header:X-Api-Token"},
		}},
		{lookup: "header:X-Api-Token:a:b", cases: []extractCase{
			{name: "colon in prefix", req: fakeRequest{header: map[string][]string{"X-Api-Token": {"a:b abc"}}}, wantToken: "abc", wantSource: "header:X-Api-Token"},
		}},
		{lookup: "header:Authorization:Bearer ,cookie:access_token", cases: []extractCase{
			{name: "header", req: auth("Bearer abc"), wantToken: "abc", wantSource: "header:Authorization"},
			{name: "cookie", req: fakeRequest{cookie: bearerAndCookie.cookie}, wantToken: "def", wantSource: "cookie:access_token"},
			{name: "both are exclusive", req: bearerAndCookie, wantErr: extractors.ErrMultipleMethods},
			{name: "strict bearer", req: auth("Bearerabc"), wantErr: extractors.ErrMalformed},
		}},
		{lookup: "cookie:access_token, header:Authorization:Bearer , query:access_token", cases: []extractCase{
			{name: "query", req: fakeRequest{query: map[string][]string{"access_token": {"q"}}}, wantToken: "q", wantSource: "query:access_token"},
			{name: "both are exclusive", req: bearerAndCookie, wantErr: extractors.ErrMultipleMethods},
		}},
	} {
		t.Run(tc.lookup, func(t *testing.T) {
			t.Parallel()
			ex, err := extractors.Parse(tc.lookup)
			require.NoError(t, err)
			require.NotNil(t, ex)
			if tc.want != nil {
				assert.Equal(t, tc.want, ex)
			}
			runCases(t, ex, tc.cases)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, lookup string
		// wantInMessage must appear in the error, to name the bad item.
		wantInMessage string
	}{
		{name: "empty", lookup: "", wantInMessage: "empty lookup"},
		{name: "blank", lookup: "  ", wantInMessage: "empty lookup"},
		{name: "empty item", lookup: "cookie:a,,query:b", wantInMessage: `empty item ""`},
		{name: "trailing comma", lookup: "cookie:a, ", wantInMessage: `empty item " "`},
		{name: "unknown kind", lookup: "body:access_token", wantInMessage: `"body:access_token": unknown kind "body"`},
		{name: "kind is case-sensitive", lookup: "Header:Authorization", wantInMessage: `unknown kind "Header"`},
		{name: "no colon", lookup: "access_token", wantInMessage: `"access_token": unknown kind`},
		{name: "kind only", lookup: "cookie", wantInMessage: `"cookie": missing name`},
		{name: "empty name", lookup: "cookie:", wantInMessage: `"cookie:": missing name`},
		{name: "blank name", lookup: "query: ", wantInMessage: `"query: ": missing name`},
		{name: "header without name", lookup: "header::Bearer ", wantInMessage: "missing name"},
		{name: "prefix on cookie", lookup: "cookie:a:Bearer ", wantInMessage: `"cookie:a:Bearer ": a prefix is allowed only for header`},
		{name: "empty prefix on query", lookup: "query:a:", wantInMessage: "a prefix is allowed only for header"},
		{name: "prefix on form", lookup: "form:a:x", wantInMessage: "prefix"},
		{name: "prefix on param", lookup: "param:a:x", wantInMessage: "prefix"},
		{name: "bad item after good", lookup: "header:Authorization:Bearer ,cookies:jwt", wantInMessage: `"cookies:jwt"`},
		{name: "bad header name", lookup: "header:X Token", wantInMessage: `invalid header name "X Token"`},
		{name: "bad cookie name", lookup: "cookie:a=b", wantInMessage: `invalid cookie name "a=b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex, err := extractors.Parse(tc.lookup)
			require.Error(t, err)
			assert.Nil(t, ex)
			assert.True(t, strings.HasPrefix(err.Error(), "extractors: "), "error %q", err)
			assert.Contains(t, err.Error(), tc.wantInMessage)
		})
	}
}

// TestParseForeignLookups: the lookup strings of echo-jwt (TokenLookup,
// default "header:Authorization:Bearer ") and of gofiber's contrib jwt
// (TokenLookup, default "header:Authorization" with AuthScheme "Bearer"),
// each with the meaning it has there, under RFC 6750's rules.
func TestParseForeignLookups(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
	hdr := func(name string, lines ...string) fakeRequest {
		return fakeRequest{header: map[string][]string{name: lines}}
	}
	// bearer is how the Authorization header is read, whichever of the
	// lookups below names it.
	bearer := []extractCase{
		{name: "Bearer", req: auth("Bearer " + jwt), wantToken: jwt, wantSource: "header:Authorization"},
		{name: "scheme in any case", req: auth("bEARER " + jwt), wantToken: jwt, wantSource: "header:Authorization"},
		{name: "spaces before the token", req: auth("Bearer   " + jwt), wantToken: jwt, wantSource: "header:Authorization"},
		{name: "another scheme is not ours", req: auth("Basic dXNlcjpwYXNz")},
		{name: "a bare token is another scheme (not echo-jwt's bare header value)", req: auth(jwt)},
		{name: "Bearer without token", req: auth("Bearer"), wantErr: extractors.ErrMalformed},
		{name: "Bearer and a tab", req: auth("Bearer\t" + jwt), wantErr: extractors.ErrMalformed},
		{name: "two tokens", req: auth("Bearer " + jwt + " " + jwt), wantErr: extractors.ErrMalformed},
		{name: "not a b64token", req: auth("Bearer " + jwt + "!"), wantErr: extractors.ErrMalformed},
		{name: "repeated header", req: auth("Bearer "+jwt, "Bearer "+jwt), wantErr: extractors.ErrRepeated},
	}
	all := fakeRequest{
		header: map[string][]string{"Authorization": {"Bearer " + jwt}},
		cookie: map[string][]string{"jwt": {jwt}},
		query:  map[string][]string{"token": {jwt}},
		form:   map[string][]string{"token": {jwt}},
		param:  map[string]string{"token": jwt},
		method: "POST",
	}
	only := func(f func(*fakeRequest)) fakeRequest {
		r := fakeRequest{method: "POST"}
		f(&r)
		return r
	}
	twoMethods := fakeRequest{header: all.header, query: all.query}
	for _, tc := range []struct {
		lookup string
		want   extractors.Extractor // the extractor it must equal, when set
		cases  []extractCase
	}{
		// gofiber contrib jwt's default TokenLookup (its AuthScheme "Bearer" is a field of its own).
		{lookup: "header:Authorization", want: extractors.AuthorizationBearer(), cases: bearer},
		{lookup: "header:authorization", want: extractors.AuthorizationBearer()},
		{lookup: "header:Authorization:", want: extractors.AuthorizationBearer()},
		// echo-jwt's default TokenLookup, and the forms of its prefix.
		{lookup: "header:Authorization:Bearer ", want: extractors.AuthorizationBearer(), cases: bearer},
		{lookup: "header:Authorization:Bearer", want: extractors.AuthorizationBearer()},
		{lookup: "header:Authorization:bearer ", want: extractors.AuthorizationBearer()},
		// echo-jwt's example of every source: exclusive here.
		{lookup: "header:Authorization:Bearer ,cookie:jwt,query:token,param:token,form:token", cases: []extractCase{
			{name: "header", req: only(func(r *fakeRequest) { r.header = all.header }), wantToken: jwt, wantSource: "header:Authorization"},
			{name: "cookie", req: only(func(r *fakeRequest) { r.cookie = all.cookie }), wantToken: jwt, wantSource: "cookie:jwt"},
			{name: "query", req: only(func(r *fakeRequest) { r.query = all.query }), wantToken: jwt, wantSource: "query:token"},
			{name: "param", req: only(func(r *fakeRequest) { r.param = all.param }), wantToken: jwt, wantSource: "param:token"},
			{name: "form", req: only(func(r *fakeRequest) { r.form = all.form }), wantToken: jwt, wantSource: "form:token"},
			{name: "no form on GET", req: fakeRequest{form: all.form}},
			{name: "nothing", req: fakeRequest{}},
			{name: "every source at once", req: all, wantErr: extractors.ErrMultipleMethods},
			{name: "header and query", req: twoMethods, wantErr: extractors.ErrMultipleMethods},
			{name: "a repeated query parameter", req: fakeRequest{query: map[string][]string{"token": {jwt, jwt}}}, wantErr: extractors.ErrRepeated},
			{name: "a bad header among sources", req: fakeRequest{header: map[string][]string{"Authorization": {"Bearer"}}, query: all.query}, wantErr: extractors.ErrMalformed},
		}},
		// gofiber's every source (it has no form), its items trimmed.
		{lookup: "header:Authorization, query:token, param:token, cookie:jwt", cases: []extractCase{
			{name: "header", req: auth("Bearer " + jwt), wantToken: jwt, wantSource: "header:Authorization"},
			{name: "cookie", req: fakeRequest{cookie: all.cookie}, wantToken: jwt, wantSource: "cookie:jwt"},
			{name: "header and query", req: twoMethods, wantErr: extractors.ErrMultipleMethods},
		}},
		// Another header: the whole value (echo-jwt's "header:X-API-Key", gofiber's with AuthScheme ""),
		// or after a prefix (echo-jwt's cut-prefix, gofiber's AuthScheme written in the item).
		{lookup: "header:X-API-Key", want: extractors.Header("X-Api-Key", ""), cases: []extractCase{
			{name: "whole value", req: hdr("X-Api-Key", jwt), wantToken: jwt, wantSource: "header:X-Api-Key"},
			{name: "a scheme is not a token", req: hdr("X-Api-Key", "Bearer "+jwt), wantErr: extractors.ErrMalformed},
		}},
		{lookup: "header:X-Token:Bearer ", want: extractors.Header("X-Token", "Bearer "), cases: []extractCase{
			{name: "after the prefix", req: hdr("X-Token", "Bearer "+jwt), wantToken: jwt, wantSource: "header:X-Token"},
			{name: "prefix in any case", req: hdr("X-Token", "BEARER "+jwt), wantToken: jwt, wantSource: "header:X-Token"},
			{name: "without the prefix", req: hdr("X-Token", jwt)},
		}},
		// Two lookups of one source count once.
		{lookup: "header:Authorization,header:Authorization:Bearer ", cases: []extractCase{
			{name: "one header", req: auth("Bearer " + jwt), wantToken: jwt, wantSource: "header:Authorization"},
		}},
	} {
		t.Run(tc.lookup, func(t *testing.T) {
			t.Parallel()
			ex, err := extractors.Parse(tc.lookup)
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, ex)
			}
			runCases(t, ex, tc.cases)
		})
	}
}

// TestParseRefusesUnsafeItems: the items that could not be read safely are
// refused when the lookup is parsed, each with what to do instead.
func TestParseRefusesUnsafeItems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ lookup, want string }{
		{"header:Authorization:DPoP ", `lookup item "header:Authorization:DPoP ": the DPoP scheme is not read as a bearer token`},
		{"header:authorization:dpop", "the DPoP scheme is not read as a bearer token"},
		{"header:Authorization:Bearer ,header:Authorization:DPoP", "the DPoP scheme"},
		{"header:DPoP", `lookup item "header:DPoP": the DPoP header carries a proof, not an access token`},
		{"header:dpop:x", "the DPoP header carries a proof"},
		{"header:Cookie", `lookup item "header:Cookie": read a cookie with cookie:<name>, not the whole Cookie header`},
		{"cookie:jwt,header:cookie", "read a cookie with cookie:<name>"},
	} {
		ex, err := extractors.Parse(tc.lookup)
		assert.Nil(t, ex, tc.lookup)
		if assert.Error(t, err, tc.lookup) {
			assert.Contains(t, err.Error(), tc.want, tc.lookup)
			assert.True(t, strings.HasPrefix(err.Error(), "extractors: "), "error %q", err)
		}
	}
}
