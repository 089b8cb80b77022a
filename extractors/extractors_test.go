package extractors_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/extractors"
)

const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_"

// extractCase is one request and what an extractor must make of it. A zero
// wantToken and wantErr means "not found".
type extractCase struct {
	name       string
	req        extractors.Request
	wantToken  string
	wantSource string
	wantErr    error
}

func runCases(t *testing.T, ex extractors.Extractor, cases []extractCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, source, err := ex.Extract(tc.req)
			if tc.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Empty(t, token, "no token with an error")
				assert.True(t, source.IsZero(), "no source with an error")
				assert.True(t, strings.HasPrefix(err.Error(), "extractors: "), "error %q", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantToken, token)
			if tc.wantToken == "" {
				assert.True(t, source.IsZero(), "no source without a token")
			} else {
				assert.Equal(t, tc.wantSource, source.String())
			}
		})
	}
}

// bearerCases are the Authorization header rules, shared by
// AuthorizationBearer and the Header forms that must behave like it.
func bearerCases() []extractCase {
	const src = "header:Authorization"
	hit := func(name, line, token string) extractCase {
		return extractCase{name: name, req: auth(line), wantToken: token, wantSource: src}
	}
	miss := func(name string, req extractors.Request) extractCase {
		return extractCase{name: name, req: req}
	}
	bad := func(name string, err error, lines ...string) extractCase {
		return extractCase{name: name, req: auth(lines...), wantErr: err}
	}
	return []extractCase{
		hit("jwt", "Bearer "+jwt, jwt),
		hit("lower-case scheme", "bearer abc", "abc"),
		hit("upper-case scheme", "BEARER abc", "abc"),
		hit("mixed-case scheme", "bEaReR abc", "abc"),
		hit("several spaces", "Bearer   abc", "abc"),
		hit("every b64token character", "Bearer Az09-._~+/==", "Az09-._~+/=="),
		hit("padding only after a character", "Bearer a=", "a="),

		miss("no header", fakeRequest{}),
		miss("empty header", auth("")),
		miss("basic scheme", auth("Basic dXNlcjpwYXNz")),
		miss("token scheme", auth("Token abc")),
		miss("dpop scheme", auth("DPoP abc")),
		miss("bare token without scheme", auth(jwt)),
		miss("shorter than the scheme", auth("Bear")),
		miss("scheme after a space", auth(" Bearer abc")),
		miss("other header", fakeRequest{header: map[string][]string{"X-Token": {"Bearer abc"}}}),

		bad("scheme alone", extractors.ErrMalformed, "Bearer"),
		bad("scheme and space", extractors.ErrMalformed, "Bearer "),
		bad("scheme and spaces", extractors.ErrMalformed, "Bearer    "),
		bad("no space", extractors.ErrMalformed, "Bearerabc"),
		bad("lower-case no space", extractors.ErrMalformed, "bearer"+jwt),
		bad("tab", extractors.ErrMalformed, "Bearer\tabc"),
		bad("space then tab", extractors.ErrMalformed, "Bearer \tabc"),
		bad("longer scheme", extractors.ErrMalformed, "Bearers abc"),
		bad("second token", extractors.ErrMalformed, "Bearer abc def"),
		bad("trailing word", extractors.ErrMalformed, "Bearer abc x"),
		bad("trailing space", extractors.ErrMalformed, "Bearer abc "),
		bad("trailing tab", extractors.ErrMalformed, "Bearer abc\t"),
		bad("crlf", extractors.ErrMalformed, "Bearer abc\r\n"),
		bad("quoted", extractors.ErrMalformed, `Bearer "abc"`),
		bad("semicolon", extractors.ErrMalformed, "Bearer abc;def"),
		bad("comma", extractors.ErrMalformed, "Bearer abc,def"),
		bad("padding first", extractors.ErrMalformed, "Bearer =abc"),
		bad("padding only", extractors.ErrMalformed, "Bearer =="),
		bad("padding inside", extractors.ErrMalformed, "Bearer ab=c"),
		bad("non-ascii", extractors.ErrMalformed, "Bearer abcé"),
		bad("nul", extractors.ErrMalformed, "Bearer abc\x00"),
		bad("auth-param syntax", extractors.ErrMalformed, `Bearer realm="x"`),

		bad("two bearer lines", extractors.ErrRepeated, "Bearer abc", "Bearer def"),
		bad("two equal lines", extractors.ErrRepeated, "Bearer abc", "Bearer abc"),
		bad("basic and bearer", extractors.ErrRepeated, "Basic dXNlcjpwYXNz", "Bearer abc"),
		bad("two other schemes", extractors.ErrRepeated, "Basic a", "Basic b"),
	}
}

func TestAuthorizationBearer(t *testing.T) {
	t.Parallel()
	runCases(t, extractors.AuthorizationBearer(), bearerCases())
}

func TestHeaderBearerIsAuthorizationBearer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, header, prefix string
	}{
		{name: "prefix with space", header: "Authorization", prefix: "Bearer "},
		{name: "prefix without space", header: "Authorization", prefix: "Bearer"},
		{name: "lower-case", header: "authorization", prefix: "bearer "},
		{name: "upper-case", header: "AUTHORIZATION", prefix: "BEARER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex := extractors.Header(tc.header, tc.prefix)
			assert.Equal(t, extractors.AuthorizationBearer(), ex)
			runCases(t, ex, bearerCases())
		})
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	xToken := func(lines ...string) fakeRequest {
		return fakeRequest{header: map[string][]string{"X-Api-Token": lines}}
	}
	t.Run("no prefix", func(t *testing.T) {
		t.Parallel()
		// The name is canonicalized at construction.
		runCases(t, extractors.Header("x-api-token", ""), []extractCase{
			{name: "found", req: xToken(jwt), wantToken: jwt, wantSource: "header:X-Api-Token"},
			{name: "absent", req: fakeRequest{}},
			{name: "other header", req: auth("Bearer abc")},
			{name: "empty value", req: xToken(""), wantErr: extractors.ErrMalformed},
			{name: "scheme and token", req: xToken("Bearer abc"), wantErr: extractors.ErrMalformed},
			{name: "trailing space", req: xToken("abc "), wantErr: extractors.ErrMalformed},
			{name: "quote", req: xToken(`"abc"`), wantErr: extractors.ErrMalformed},
			{name: "repeated", req: xToken("abc", "abc"), wantErr: extractors.ErrRepeated},
		})
	})
	t.Run("prefix", func(t *testing.T) {
		t.Parallel()
		runCases(t, extractors.Header("X-Api-Token", "Token "), []extractCase{
			{name: "found", req: xToken("Token abc"), wantToken: "abc", wantSource: "header:X-Api-Token"},
			{name: "prefix case-insensitive", req: xToken("tOKEN abc"), wantToken: "abc", wantSource: "header:X-Api-Token"},
			{name: "more spaces", req: xToken("Token    abc"), wantToken: "abc", wantSource: "header:X-Api-Token"},
			{name: "absent", req: fakeRequest{}},
			{name: "other prefix", req: xToken("Basic abc")},
			{name: "no space after prefix word", req: xToken("Tokenabc")},
			{name: "nothing after prefix", req: xToken("Token "), wantErr: extractors.ErrMalformed},
			{name: "tab after prefix", req: xToken("Token \tabc"), wantErr: extractors.ErrMalformed},
			{name: "two tokens", req: xToken("Token abc def"), wantErr: extractors.ErrMalformed},
			{name: "non-ascii", req: xToken("Token ab\u00a0c"), wantErr: extractors.ErrMalformed},
			{name: "repeated", req: xToken("Token abc", "Token abc"), wantErr: extractors.ErrRepeated},
		})
	})
	t.Run("prefix on Authorization other than Bearer", func(t *testing.T) {
		t.Parallel()
		runCases(t, extractors.Header("Authorization", "Token "), []extractCase{
			{name: "found", req: auth("Token abc"), wantToken: "abc", wantSource: "header:Authorization"},
			{name: "bearer is another scheme here", req: auth("Bearer abc")},
			{name: "repeated", req: auth("Bearer abc", "Token abc"), wantErr: extractors.ErrRepeated},
		})
	})
}

func TestCookie(t *testing.T) {
	t.Parallel()
	c := func(vals ...string) fakeRequest {
		return fakeRequest{cookie: map[string][]string{"access_token": vals}}
	}
	const src = "cookie:access_token"
	runCases(t, extractors.Cookie("access_token"), []extractCase{
		{name: "found", req: c(jwt), wantToken: jwt, wantSource: src},
		{name: "absent", req: fakeRequest{}},
		{name: "other cookie", req: fakeRequest{cookie: map[string][]string{"session": {"abc"}}}},
		{name: "name is case-sensitive", req: fakeRequest{cookie: map[string][]string{"Access_Token": {"abc"}}}},
		{name: "cleared", req: c("")},
		{name: "space", req: c("abc def"), wantErr: extractors.ErrMalformed},
		{name: "bearer scheme", req: c("Bearer abc"), wantErr: extractors.ErrMalformed},
		{name: "quote", req: c(`ab"c`), wantErr: extractors.ErrMalformed},
		{name: "percent-encoded", req: c("abc%3D"), wantErr: extractors.ErrMalformed},
		{name: "repeated", req: c("abc", "def"), wantErr: extractors.ErrRepeated},
		{name: "repeated equal", req: c("abc", "abc"), wantErr: extractors.ErrRepeated},
		{name: "repeated empty", req: c("", ""), wantErr: extractors.ErrRepeated},
	})
}

func TestQuery(t *testing.T) {
	t.Parallel()
	q := func(vals ...string) fakeRequest {
		return fakeRequest{query: map[string][]string{"access_token": vals}}
	}
	const src = "query:access_token"
	runCases(t, extractors.Query("access_token"), []extractCase{
		{name: "found", req: q(jwt), wantToken: jwt, wantSource: src},
		{name: "absent", req: fakeRequest{}},
		{name: "empty", req: q("")},
		{name: "crlf", req: q("abc\r\n"), wantErr: extractors.ErrMalformed},
		{name: "space", req: q("a b"), wantErr: extractors.ErrMalformed},
		{name: "repeated", req: q("abc", "abc"), wantErr: extractors.ErrRepeated},
	})
}

func TestForm(t *testing.T) {
	t.Parallel()
	f := func(method string, vals ...string) fakeRequest {
		return fakeRequest{method: method, form: map[string][]string{"access_token": vals}}
	}
	const src = "form:access_token"
	runCases(t, extractors.Form("access_token"), []extractCase{
		{name: "post", req: f("POST", jwt), wantToken: jwt, wantSource: src},
		{name: "put", req: f("PUT", "abc"), wantToken: "abc", wantSource: src},
		{name: "get is never read", req: f("GET", "abc")},
		{name: "head is never read", req: f("HEAD", "abc")},
		{name: "get with a bad value is never read", req: f("GET", "a b")},
		{name: "absent", req: fakeRequest{method: "POST"}},
		{name: "empty", req: f("POST", "")},
		{name: "space", req: f("POST", "a b"), wantErr: extractors.ErrMalformed},
		{name: "repeated", req: f("POST", "abc", "abc"), wantErr: extractors.ErrRepeated},
	})
}

func TestParam(t *testing.T) {
	t.Parallel()
	p := func(v string) fakeRequest { return fakeRequest{param: map[string]string{"token": v}} }
	runCases(t, extractors.Param("token"), []extractCase{
		{name: "found", req: p(jwt), wantToken: jwt, wantSource: "param:token"},
		{name: "absent", req: fakeRequest{}},
		{name: "empty", req: p("")},
		{name: "space", req: p("a b"), wantErr: extractors.ErrMalformed},
		{name: "escaped", req: p("a%20b"), wantErr: extractors.ErrMalformed},
	})
}

func TestConstructorsPanic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{name: "Chain without extractors", fn: func() { extractors.Chain() }},
		{name: "Chain with nil", fn: func() { extractors.Chain(extractors.AuthorizationBearer(), nil) }},
		{name: "Exclusive without extractors", fn: func() { extractors.Exclusive() }},
		{name: "Exclusive with nil", fn: func() { extractors.Exclusive(nil) }},
		{name: "Header with empty name", fn: func() { extractors.Header("", "") }},
		{name: "Header with bad name", fn: func() { extractors.Header("X Token", "") }},
		{name: "Cookie with empty name", fn: func() { extractors.Cookie("") }},
		{name: "Cookie with bad name", fn: func() { extractors.Cookie("a;b") }},
		{name: "Query with empty name", fn: func() { extractors.Query("") }},
		{name: "Form with empty name", fn: func() { extractors.Form("") }},
		{name: "Param with empty name", fn: func() { extractors.Param("") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				msg, ok := recover().(string)
				require.True(t, ok, "panic with a string")
				assert.True(t, strings.HasPrefix(msg, "extractors: "), "panic %q", msg)
			}()
			tc.fn()
			t.Fatal("no panic")
		})
	}
}

// errExtractor always fails, to test how combinators pass errors on.
type errExtractor struct{ err error }

func (e errExtractor) Extract(extractors.Request) (string, extractors.Source, error) {
	return "", extractors.Source{}, e.err
}

// countingExtractor records whether it ran.
type countingExtractor struct{ runs *int }

func (c countingExtractor) Extract(extractors.Request) (string, extractors.Source, error) {
	*c.runs++
	return "", extractors.Source{}, nil
}

// both carries a token in the Authorization header and in a cookie.
var both = fakeRequest{
	header: map[string][]string{"Authorization": {"Bearer abc"}},
	cookie: map[string][]string{"access_token": {"def"}},
}

var errBoom = errors.New("extractors: boom")

func TestChain(t *testing.T) {
	t.Parallel()
	bearer, cookie := extractors.AuthorizationBearer(), extractors.Cookie("access_token")
	for _, tc := range []struct {
		name string
		ex   extractors.Extractor
		extractCase
	}{
		{name: "first found wins", ex: extractors.Chain(bearer, cookie),
			extractCase: extractCase{req: both, wantToken: "abc", wantSource: "header:Authorization"}},
		{name: "order matters", ex: extractors.Chain(cookie, bearer),
			extractCase: extractCase{req: both, wantToken: "def", wantSource: "cookie:access_token"}},
		{name: "falls through", ex: extractors.Chain(bearer, cookie),
			extractCase: extractCase{req: fakeRequest{cookie: both.cookie}, wantToken: "def", wantSource: "cookie:access_token"}},
		{name: "nothing", ex: extractors.Chain(bearer, cookie),
			extractCase: extractCase{req: fakeRequest{}}},
		{name: "error before a hit", ex: extractors.Chain(bearer, cookie),
			extractCase: extractCase{req: fakeRequest{header: map[string][]string{"Authorization": {"Bearer"}}, cookie: both.cookie}, wantErr: extractors.ErrMalformed}},
		{name: "error after a hit is not reached", ex: extractors.Chain(bearer, errExtractor{errBoom}),
			extractCase: extractCase{req: both, wantToken: "abc", wantSource: "header:Authorization"}},
		{name: "error from a custom extractor", ex: extractors.Chain(errExtractor{errBoom}, bearer),
			extractCase: extractCase{req: both, wantErr: errBoom}},
		{name: "single", ex: extractors.Chain(cookie),
			extractCase: extractCase{req: both, wantToken: "def", wantSource: "cookie:access_token"}},
	} {
		tc.extractCase.name = tc.name
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCases(t, tc.ex, []extractCase{tc.extractCase})
		})
	}

	t.Run("stops at the first hit", func(t *testing.T) {
		t.Parallel()
		runs := 0
		token, _, err := extractors.Chain(bearer, countingExtractor{&runs}).Extract(both)
		require.NoError(t, err)
		assert.Equal(t, "abc", token)
		assert.Zero(t, runs)
	})
}

func TestExclusive(t *testing.T) {
	t.Parallel()
	bearer, cookie, query := extractors.AuthorizationBearer(), extractors.Cookie("access_token"), extractors.Query("access_token")
	all := extractors.Exclusive(bearer, cookie, query)
	for _, tc := range []struct {
		name string
		ex   extractors.Extractor
		extractCase
	}{
		{name: "header only", ex: all,
			extractCase: extractCase{req: auth("Bearer abc"), wantToken: "abc", wantSource: "header:Authorization"}},
		{name: "query only", ex: all,
			extractCase: extractCase{req: fakeRequest{query: map[string][]string{"access_token": {"abc"}}}, wantToken: "abc", wantSource: "query:access_token"}},
		{name: "nothing", ex: all,
			extractCase: extractCase{req: fakeRequest{}}},
		{name: "header and cookie", ex: all,
			extractCase: extractCase{req: both, wantErr: extractors.ErrMultipleMethods}},
		{name: "same token twice", ex: all,
			extractCase: extractCase{req: fakeRequest{header: both.header, query: map[string][]string{"access_token": {"abc"}}}, wantErr: extractors.ErrMultipleMethods}},
		{name: "cleared cookie does not count", ex: all,
			extractCase: extractCase{req: fakeRequest{header: both.header, cookie: map[string][]string{"access_token": {""}}}, wantToken: "abc", wantSource: "header:Authorization"}},
		{name: "other scheme does not count", ex: all,
			extractCase: extractCase{req: fakeRequest{header: map[string][]string{"Authorization": {"Basic x"}}, cookie: both.cookie}, wantToken: "def", wantSource: "cookie:access_token"}},
		{name: "error after a hit", ex: all,
			extractCase: extractCase{req: fakeRequest{header: both.header, query: map[string][]string{"access_token": {"a b"}}}, wantErr: extractors.ErrMalformed}},
		{name: "error wins over several hits", ex: extractors.Exclusive(bearer, cookie, errExtractor{errBoom}),
			extractCase: extractCase{req: both, wantErr: errBoom}},
		{name: "first error wins", ex: all,
			extractCase: extractCase{req: fakeRequest{header: map[string][]string{"Authorization": {"Bearer"}}, cookie: map[string][]string{"access_token": {"a", "b"}}}, wantErr: extractors.ErrMalformed}},
		{name: "repeat", ex: all,
			extractCase: extractCase{req: fakeRequest{cookie: map[string][]string{"access_token": {"a", "b"}}}, wantErr: extractors.ErrRepeated}},
		{name: "same extractor twice counts once", ex: extractors.Exclusive(bearer, extractors.Header("Authorization", "Bearer ")),
			extractCase: extractCase{req: both, wantToken: "abc", wantSource: "header:Authorization"}},
		{name: "single", ex: extractors.Exclusive(cookie),
			extractCase: extractCase{req: both, wantToken: "def", wantSource: "cookie:access_token"}},
	} {
		tc.extractCase.name = tc.name
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCases(t, tc.ex, []extractCase{tc.extractCase})
		})
	}

	t.Run("runs every extractor", func(t *testing.T) {
		t.Parallel()
		runs := 0
		token, _, err := extractors.Exclusive(bearer, countingExtractor{&runs}).Extract(both)
		require.NoError(t, err)
		assert.Equal(t, "abc", token)
		assert.Equal(t, 1, runs)
	})

	t.Run("error names both sources", func(t *testing.T) {
		t.Parallel()
		_, _, err := all.Extract(both)
		require.ErrorIs(t, err, extractors.ErrMultipleMethods)
		assert.Equal(t, "extractors: token sent by more than one method: header:Authorization and cookie:access_token", err.Error())
	})

	t.Run("arguments are copied", func(t *testing.T) {
		t.Parallel()
		exs := []extractors.Extractor{bearer, cookie}
		ex := extractors.Exclusive(exs...)
		exs[1] = bearer
		_, _, err := ex.Extract(both)
		assert.ErrorIs(t, err, extractors.ErrMultipleMethods)
	})
}

func TestErrorsNameTheSource(t *testing.T) {
	t.Parallel()
	_, _, err := extractors.Cookie("jwt").Extract(fakeRequest{cookie: map[string][]string{"jwt": {"a", "b"}}})
	require.ErrorIs(t, err, extractors.ErrRepeated)
	assert.Equal(t, "extractors: credentials repeated in cookie:jwt", err.Error())

	_, _, err = extractors.AuthorizationBearer().Extract(auth("Bearer"))
	require.ErrorIs(t, err, extractors.ErrMalformed)
	assert.Equal(t, "extractors: malformed credentials in header:Authorization", err.Error())
}
