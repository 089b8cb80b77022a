package extractors_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/extractors"
)

func TestHTTPRequestHeader(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Add("Authorization", "Bearer abc")
	r.Header.Add("Authorization", "Basic def")
	r.Header.Set("X-Token", "xyz")
	r.Header.Set("DPoP", "proof")
	req := extractors.FromHTTP(r)

	for _, tc := range []struct {
		name, header, wantValue string
		wantCount               int
	}{
		{name: "two lines", header: "Authorization", wantValue: "Bearer abc", wantCount: 2},
		{name: "case-insensitive", header: "authorization", wantValue: "Bearer abc", wantCount: 2},
		{name: "upper case", header: "AUTHORIZATION", wantValue: "Bearer abc", wantCount: 2},
		{name: "one line", header: "x-token", wantValue: "xyz", wantCount: 1},
		// Authorization and DPoP are looked up without canonicalizing (the
		// core asks for them on every request): every spelling still finds them.
		{name: "DPoP as RFC 9449 spells it", header: "DPoP", wantValue: "proof", wantCount: 1},
		{name: "DPoP canonical", header: "Dpop", wantValue: "proof", wantCount: 1},
		{name: "DPoP lower case", header: "dpop", wantValue: "proof", wantCount: 1},
		{name: "absent", header: "Cookie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, n := req.Header(tc.header)
			assert.Equal(t, tc.wantValue, v)
			assert.Equal(t, tc.wantCount, n)
		})
	}

	_, _, err := extractors.AuthorizationBearer().Extract(req)
	assert.ErrorIs(t, err, extractors.ErrRepeated)
}

func TestHTTPRequestCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		lines     []string
		wantValue string
		wantCount int
	}{
		{name: "one line", lines: []string{"session=s1; access_token=abc; theme=dark"}, wantValue: "abc", wantCount: 1},
		{name: "tight separators", lines: []string{"session=s1;access_token=abc"}, wantValue: "abc", wantCount: 1},
		{name: "tabs and spaces", lines: []string{"session=s1;\t access_token=abc \t"}, wantValue: "abc", wantCount: 1},
		{name: "first of one line", lines: []string{"access_token=abc; access_token=def"}, wantValue: "abc", wantCount: 2},
		{name: "two lines", lines: []string{"session=s1; access_token=abc", "access_token=def"}, wantValue: "abc", wantCount: 2},
		{name: "second line only", lines: []string{"session=s1", "access_token=def"}, wantValue: "def", wantCount: 1},
		{name: "quoted", lines: []string{`access_token="abc"`}, wantValue: "abc", wantCount: 1},
		{name: "single quote char kept", lines: []string{`access_token="`}, wantValue: `"`, wantCount: 1},
		{name: "equals in value", lines: []string{"access_token=abc=="}, wantValue: "abc==", wantCount: 1},
		{name: "empty value", lines: []string{"access_token="}, wantValue: "", wantCount: 1},
		{name: "no equals", lines: []string{"access_token"}, wantValue: "", wantCount: 1},
		{name: "prefix of another name", lines: []string{"access_token2=abc; xaccess_token=def"}},
		{name: "name is case-sensitive", lines: []string{"Access_Token=abc"}},
		// Names are trimmed as net/http trims them, so a cookie sent twice
		// cannot hide behind a space (TR-10).
		{name: "space before equals", lines: []string{"access_token =abc"}, wantValue: "abc", wantCount: 1},
		{name: "second copy behind a space", lines: []string{"access_token=A; access_token =B"}, wantValue: "A", wantCount: 2},
		{name: "second copy behind a tab", lines: []string{"access_token=A;	access_token	=B"}, wantValue: "A", wantCount: 2},
		{name: "empty parts", lines: []string{";; ;access_token=abc;"}, wantValue: "abc", wantCount: 1},
		{name: "no cookie", lines: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, l := range tc.lines {
				r.Header.Add("Cookie", l)
			}
			v, n := extractors.FromHTTP(r).Cookie("access_token")
			assert.Equal(t, tc.wantValue, v)
			assert.Equal(t, tc.wantCount, n)
		})
	}
}

// TestCookieLinesAsNetHTTP holds LookupCookie to net/http's own reading of
// the same lines: the same number of cookies with the name, and the same
// first value, wherever net/http keeps the cookie.
func TestCookieLinesAsNetHTTP(t *testing.T) {
	t.Parallel()
	for _, lines := range [][]string{
		{"access_token=A; access_token =B"}, {" access_token = A"}, {"x=1;access_token=A ;y=2"}, {"access_token=\"A\"", "access_token=B"},
		{"access_token\t=A"}, {"a=1; b=2"}, {";access_token=A;;"}, {"access_token=A", "access_token =B", " access_token=C"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, l := range lines {
			r.Header.Add("Cookie", l)
		}
		want := r.CookiesNamed("access_token")
		v, n := extractors.LookupCookie(lines, "access_token")
		assert.Equal(t, len(want), n, lines)
		if len(want) > 0 {
			assert.Equal(t, want[0].Value, v, lines)
		}
		bv, bn := extractors.LookupCookie(toBytes(lines), "access_token")
		assert.Equal(t, n, bn)
		assert.Equal(t, v, string(bv))
	}
}

func toBytes(lines []string) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		out[i] = []byte(l)
	}
	return out
}

func TestHTTPRequestQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rawQuery, wantValue string
		wantCount                 int
	}{
		{name: "plain", rawQuery: "access_token=abc", wantValue: "abc", wantCount: 1},
		{name: "among others", rawQuery: "a=1&access_token=abc&b=2", wantValue: "abc", wantCount: 1},
		{name: "repeated", rawQuery: "access_token=abc&x=1&access_token=def", wantValue: "abc", wantCount: 2},
		{name: "repeated empty", rawQuery: "access_token=&access_token=", wantValue: "", wantCount: 2},
		{name: "no equals", rawQuery: "access_token", wantValue: "", wantCount: 1},
		{name: "escaped value", rawQuery: "access_token=a%2Bb%3D", wantValue: "a+b=", wantCount: 1},
		{name: "plus is a space", rawQuery: "access_token=a+b", wantValue: "a b", wantCount: 1},
		{name: "escaped crlf", rawQuery: "access_token=abc%0D%0A", wantValue: "abc\r\n", wantCount: 1},
		{name: "bad escape kept raw", rawQuery: "access_token=abc%zz", wantValue: "abc%zz", wantCount: 1},
		{name: "escaped key", rawQuery: "access%5Ftoken=abc", wantValue: "abc", wantCount: 1},
		{name: "escaped key repeats plain key", rawQuery: "access_token=abc&access%5ftoken=def", wantValue: "abc", wantCount: 2},
		{name: "bad escape in key", rawQuery: "access%5_token=abc"},
		{name: "truncated escape in key", rawQuery: "access_token%5=abc"},
		{name: "semicolon is not a separator", rawQuery: "x=1;access_token=abc"},
		{name: "prefix of another key", rawQuery: "access_token2=abc&xaccess_token=def"},
		{name: "empty pairs", rawQuery: "&&access_token=abc&", wantValue: "abc", wantCount: 1},
		{name: "empty query", rawQuery: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL.RawQuery = tc.rawQuery
			v, n := extractors.FromHTTP(r).Query("access_token")
			assert.Equal(t, tc.wantValue, v)
			assert.Equal(t, tc.wantCount, n)
		})
	}

	t.Run("keys with plus", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodGet, "/?my+key=abc&my%20key=def", nil)
		v, n := extractors.FromHTTP(r).Query("my key")
		assert.Equal(t, "abc", v)
		assert.Equal(t, 2, n)
	})

	t.Run("nil URL", func(t *testing.T) {
		t.Parallel()
		v, n := extractors.FromHTTP(&http.Request{}).Query("access_token")
		assert.Empty(t, v)
		assert.Zero(t, n)
	})
}

func TestHTTPRequestQueryExtract(t *testing.T) {
	t.Parallel()
	ex := extractors.Query("access_token")
	for _, tc := range []struct {
		name, target, wantToken string
		wantErr                 error
	}{
		{name: "found", target: "/?access_token=" + jwt, wantToken: jwt},
		{name: "escaped token characters", target: "/?access_token=ab%2B%2F%3D", wantToken: "ab+/="},
		{name: "cleared", target: "/?access_token="},
		{name: "absent", target: "/?page=2"},
		{name: "escaped crlf", target: "/?access_token=abc%0D%0A", wantErr: extractors.ErrMalformed},
		{name: "escaped space", target: "/?access_token=abc%20def", wantErr: extractors.ErrMalformed},
		{name: "plus is a space", target: "/?access_token=abc+def", wantErr: extractors.ErrMalformed},
		{name: "bad escape", target: "/?access_token=abc%zz", wantErr: extractors.ErrMalformed},
		{name: "repeated", target: "/?access_token=abc&access_token=abc", wantErr: extractors.ErrRepeated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, source, err := ex.Extract(extractors.FromHTTP(httptest.NewRequest(http.MethodGet, tc.target, nil)))
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantToken, token)
			if token != "" {
				assert.Equal(t, extractors.Source{Kind: extractors.InQuery, Name: "access_token"}, source)
			}
		})
	}
}

func TestHTTPRequestForm(t *testing.T) {
	t.Parallel()
	const formType = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, contentType, body string
		wantValue                       string
		wantCount                       int
	}{
		{name: "post", method: http.MethodPost, contentType: formType, body: "a=1&access_token=abc", wantValue: "abc", wantCount: 1},
		{name: "charset parameter", method: http.MethodPost, contentType: "Application/X-WWW-Form-Urlencoded; charset=utf-8", body: "access_token=abc", wantValue: "abc", wantCount: 1},
		{name: "repeated", method: http.MethodPost, contentType: formType, body: "access_token=abc&access_token=abc", wantValue: "abc", wantCount: 2},
		{name: "escaped", method: http.MethodPut, contentType: formType, body: "access_token=a%0Ab", wantValue: "a\nb", wantCount: 1},
		{name: "json body", method: http.MethodPost, contentType: "application/json", body: `{"access_token":"abc"}`},
		{name: "multipart is not read", method: http.MethodPost, contentType: "multipart/form-data; boundary=x", body: "--x--"},
		{name: "no content type", method: http.MethodPost, body: "access_token=abc"},
		{name: "query is not the form", method: http.MethodPost, contentType: formType, body: "a=1"},
		{name: "bad body", method: http.MethodPost, contentType: formType, body: "access_token=%zz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, "/?access_token=fromquery", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			v, n := extractors.FromHTTP(r).Form("access_token")
			assert.Equal(t, tc.wantValue, v)
			assert.Equal(t, tc.wantCount, n)
		})
	}
}

func TestHTTPRequestFormExtract(t *testing.T) {
	t.Parallel()
	ex := extractors.Form("access_token")
	newReq := func(method, body string) *http.Request {
		r := httptest.NewRequest(method, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}

	t.Run("post", func(t *testing.T) {
		t.Parallel()
		r := newReq(http.MethodPost, "access_token=abc&name=x")
		token, source, err := ex.Extract(extractors.FromHTTP(r))
		require.NoError(t, err)
		assert.Equal(t, "abc", token)
		assert.Equal(t, extractors.Source{Kind: extractors.InForm, Name: "access_token"}, source)
		// The handler still sees the parsed body.
		assert.Equal(t, "x", r.PostFormValue("name"))
	})

	t.Run("get is never read", func(t *testing.T) {
		t.Parallel()
		r := newReq(http.MethodGet, "access_token=abc")
		token, _, err := ex.Extract(extractors.FromHTTP(r))
		require.NoError(t, err)
		assert.Empty(t, token)
		assert.Nil(t, r.PostForm, "the body was not parsed")
	})

	t.Run("head is never read", func(t *testing.T) {
		t.Parallel()
		token, _, err := ex.Extract(extractors.FromHTTP(newReq(http.MethodHead, "access_token=abc")))
		require.NoError(t, err)
		assert.Empty(t, token)
	})

	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		_, _, err := ex.Extract(extractors.FromHTTP(newReq(http.MethodPost, "access_token=a%0Ab")))
		assert.ErrorIs(t, err, extractors.ErrMalformed)
	})

	t.Run("repeated", func(t *testing.T) {
		t.Parallel()
		_, _, err := ex.Extract(extractors.FromHTTP(newReq(http.MethodPost, "access_token=abc&access_token=abc")))
		assert.ErrorIs(t, err, extractors.ErrRepeated)
	})
}

func TestHTTPRequestParamAndMethod(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodDelete, "/files/abc", nil)
	r.SetPathValue("token", "abc")
	r.SetPathValue("bad", "a b")
	req := extractors.FromHTTP(r)
	assert.Equal(t, "abc", req.Param("token"))
	assert.Empty(t, req.Param("other"))
	assert.Equal(t, http.MethodDelete, req.Method())

	token, source, err := extractors.Param("token").Extract(req)
	require.NoError(t, err)
	assert.Equal(t, "abc", token)
	assert.Equal(t, extractors.Source{Kind: extractors.InPath, Name: "token"}, source)

	_, _, err = extractors.Param("bad").Extract(req)
	assert.ErrorIs(t, err, extractors.ErrMalformed)

	token, _, err = extractors.Param("other").Extract(req)
	require.NoError(t, err)
	assert.Empty(t, token)
}

func TestHTTPRequestServeMux(t *testing.T) {
	t.Parallel()
	ex := extractors.Param("token")
	var token string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /download/{token}", func(w http.ResponseWriter, r *http.Request) {
		token, _, _ = ex.Extract(extractors.FromHTTP(r))
	})
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/download/abc.def", nil))
	assert.Equal(t, "abc.def", token)
}

func TestHTTPExclusive(t *testing.T) {
	t.Parallel()
	ex := extractors.Exclusive(
		extractors.AuthorizationBearer(),
		extractors.Cookie("access_token"),
		extractors.Query("access_token"),
		extractors.Form("access_token"),
	)
	for _, tc := range []struct {
		name       string
		req        func() *http.Request
		wantToken  string
		wantSource string
		wantErr    error
	}{
		{name: "header", wantToken: "abc", wantSource: "header:Authorization", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/?page=2", nil)
			r.Header.Set("Authorization", "Bearer abc")
			r.Header.Set("Cookie", "session=x")
			return r
		}},
		{name: "cookie in the second line", wantToken: "abc", wantSource: "cookie:access_token", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Add("Cookie", "session=x")
			r.Header.Add("Cookie", "access_token=abc")
			return r
		}},
		{name: "form", wantToken: "abc", wantSource: "form:access_token", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("access_token=abc"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
		{name: "nothing", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			return r
		}},
		{name: "header and query", wantErr: extractors.ErrMultipleMethods, req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/?access_token=abc", nil)
			r.Header.Set("Authorization", "Bearer abc")
			return r
		}},
		{name: "header and form", wantErr: extractors.ErrMultipleMethods, req: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("access_token=abc"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", "Bearer abc")
			return r
		}},
		{name: "cookie in two lines", wantErr: extractors.ErrRepeated, req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Add("Cookie", "access_token=abc")
			r.Header.Add("Cookie", "access_token=abc")
			return r
		}},
		{name: "quoted cookie", wantToken: "abc", wantSource: "cookie:access_token", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: "access_token", Value: "abc", Quoted: true})
			return r
		}},
		{name: "cookie with a space", wantErr: extractors.ErrMalformed, req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", `access_token="abc def"`)
			return r
		}},
		{name: "escaped crlf in query", wantErr: extractors.ErrMalformed, req: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?access_token=abc%0D%0A", nil)
		}},
		{name: "header on two lines", wantErr: extractors.ErrRepeated, req: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Add("Authorization", "Bearer abc")
			r.Header.Add("Authorization", "Bearer abc")
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, source, err := ex.Extract(extractors.FromHTTP(tc.req()))
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Empty(t, token)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantToken, token)
			assert.Equal(t, tc.wantSource, source.String())
		})
	}
}

// TestHTTPRequestMatchesNetHTTP checks the hand-written cookie and query
// parsers against net/http's on inputs where net/http keeps every value.
func TestHTTPRequestMatchesNetHTTP(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"a=1; b=2; a=3",
		`a="1"; b=2`,
		"b=2;a=1",
		"a=",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", line)
		cookies := r.CookiesNamed("a")
		v, n := extractors.FromHTTP(r).Cookie("a")
		require.Len(t, cookies, n, line)
		assert.Equal(t, cookies[0].Value, v, line)
	}
	for _, q := range []string{
		"a=1&b=2&a=3",
		"a=%41%2b+&b",
		"%61=x&a=y",
		"a",
		"a+b=1&a%20b=2",
	} {
		want, err := url.ParseQuery(q)
		require.NoError(t, err, q)
		for key, vals := range want {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL.RawQuery = q
			v, n := extractors.FromHTTP(r).Query(key)
			assert.Equal(t, len(vals), n, "%s %s", q, key)
			assert.Equal(t, vals[0], v, "%s %s", q, key)
		}
	}
}
