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
