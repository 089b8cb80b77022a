package jwtgatetest

import (
	"net/http"
	"net/http/httptest"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
)

// csrfKey is the suite's cookie-mode key.
var csrfKey = []byte("jwtgatetest csrf key, 32+ bytes long")

// csrfRefused is cookie mode's 403: no challenge (the credentials are fine,
// the request is not), body error "csrf".
func csrfRefused() want {
	return want{status: http.StatusForbidden, code: "csrf", desc: "The request failed the CSRF check"}
}

// csrfCases are cookie mode (jwtgate.Cookies, RFC 6750 §5.3, TR-07): an
// unsafe request authenticated by the access cookie needs the CSRF token of
// its own login and a trusted origin; header authentication and safe methods
// need neither. The cookies' attributes are the core's (Cookies.SetCookies),
// not the adapters': the core's tests, the example apps' contract walk and the
// browser test check them.
func csrfCases(fx *fixture) []testCase {
	const family, other = "family-1", "family-2"
	cookies := &jwtgate.Cookies{CSRFKey: csrfKey, TrustedOrigins: []string{"https://app.example"}}
	mode := func(c *jwtgate.Config) {
		c.Cookies = cookies
		c.Extractor = extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token"))
	}
	noMode := func(c *jwtgate.Config) {
		c.Extractor = extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token"))
	}
	good, foreign := cookies.CSRFToken(family), cookies.CSRFToken(other)
	// req builds a request authenticated by the access cookie (or, with
	// byHeader, by the Authorization header) with extra headers.
	req := func(method string, byHeader bool, headers ...string) func(e *env) *http.Request {
		return func(e *env) *http.Request {
			tok := e.remember(fx.t0(set("sid", `"`+family+`"`)))
			r := httptest.NewRequest(method, "https://api.example/protected", nil)
			if byHeader {
				r.Header.Set("Authorization", "Bearer "+tok)
			} else {
				r.Header.Set("Cookie", "access_token="+tok)
			}
			for i := 0; i+1 < len(headers); i += 2 {
				r.Header.Set(headers[i], headers[i+1])
			}
			return r
		}
	}
	wrong := "x" + good[1:]
	if good[0] == 'x' {
		wrong = "y" + good[1:]
	}
	return []testCase{
		{name: "CSRF/cookie GET needs no CSRF token", config: mode, request: req("GET", false), want: accept()},
		{name: "CSRF/cookie POST with the login's CSRF token", config: mode, request: req("POST", false, "X-CSRF-Token", good), want: accept()},
		{name: "CSRF/cookie POST with the token and a trusted Origin", config: mode, request: req("POST", false, "X-CSRF-Token", good, "Origin", "https://app.example"), want: accept()},
		{name: "CSRF/cookie POST without CSRF token", config: mode, request: req("POST", false), want: csrfRefused()},
		{name: "CSRF/cookie PUT without CSRF token", config: mode, request: req("PUT", false), want: csrfRefused()},
		{name: "CSRF/cookie PATCH without CSRF token", config: mode, request: req("PATCH", false), want: csrfRefused()},
		{name: "CSRF/cookie DELETE without CSRF token", config: mode, request: req("DELETE", false), want: csrfRefused()},
		{name: "CSRF/cookie POST with a wrong CSRF token", config: mode, request: req("POST", false, "X-CSRF-Token", wrong), want: csrfRefused()},
		{name: "CSRF/cookie POST with another login's CSRF token", config: mode, request: req("POST", false, "X-CSRF-Token", foreign), want: csrfRefused()},
		{name: "CSRF/cookie POST from a foreign Origin", config: mode, request: req("POST", false, "X-CSRF-Token", good, "Origin", "https://evil.example"), want: csrfRefused()},
		{name: "CSRF/cookie POST with Origin null", config: mode, request: req("POST", false, "X-CSRF-Token", good, "Origin", "null"), want: csrfRefused()},
		{name: "CSRF/cookie POST with a foreign Referer", config: mode, request: req("POST", false, "X-CSRF-Token", good, "Referer", "https://evil.example/form"), want: csrfRefused()},
		{name: "CSRF/cookie POST with the token in the body only", config: mode, request: func(e *env) *http.Request {
			r := req("POST", false)(e)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, want: csrfRefused()},
		{name: "CSRF/header POST needs no CSRF token, whatever the Origin", config: mode, request: req("POST", true, "Origin", "https://evil.example"), want: accept()},
		{name: "CSRF/cookie POST without cookie mode", config: noMode, request: req("POST", false, "X-CSRF-Token", good), want: csrfRefused()},
		{name: "CSRF/cookie GET without cookie mode", config: noMode, request: req("GET", false), want: accept()},
		{name: "CSRF/forged cookie token is refused before CSRF", config: mode, request: func(e *env) *http.Request {
			r := req("POST", false, "X-CSRF-Token", good)(e)
			r.Header.Set("Cookie", "access_token="+e.remember(jws("HS256", fx.attacker, hdrHS256, fx.claims(set("sid", `"`+family+`"`)))))
			return r
		}, want: invalidToken(descSignature)},
	}
}

// custom is an extractor of an application's own: it reads a cookie, a
// query parameter or a header under a name of its own choosing and says
// where with kind, as every extractor must.
type custom struct {
	kind extractors.SourceKind
	name string
}

func (c custom) Extract(r extractors.Request) (string, extractors.Source, error) {
	var v string
	var n int
	switch c.kind {
	case extractors.InCookie:
		v, n = r.Cookie(c.name)
	case extractors.InQuery:
		v, n = r.Query(c.name)
	default:
		v, n = r.Header(c.name)
	}
	if n != 1 || v == "" {
		return "", extractors.Source{}, nil
	}
	return v, extractors.Source{Kind: c.kind, Name: "anything"}, nil
}

// sourceCases: the CSRF checks and the caching of an answer follow the kind
// of place a token came from, whatever a custom extractor names it (SRC).
func sourceCases(fx *fixture) []testCase {
	cookies := &jwtgate.Cookies{CSRFKey: csrfKey}
	ext := func(k extractors.SourceKind, name string) func(*jwtgate.Config) {
		return func(c *jwtgate.Config) {
			c.Extractor = custom{kind: k, name: name}
			c.Cookies = cookies
		}
	}
	good := cookies.CSRFToken("family-1")
	withCookie := func(method string, headers ...string) func(e *env) *http.Request {
		return func(e *env) *http.Request {
			r := httptest.NewRequest(method, "/protected", nil)
			r.Header.Set("Cookie", "session="+e.remember(fx.t0(set("sid", `"family-1"`))))
			for i := 0; i+1 < len(headers); i += 2 {
				r.Header.Set(headers[i], headers[i+1])
			}
			return r
		}
	}
	return []testCase{
		{name: "SRC/a custom cookie extractor: a POST without a CSRF token", config: ext(extractors.InCookie, "session"),
			request: withCookie(http.MethodPost), want: csrfRefused()},
		{name: "SRC/a custom cookie extractor: a POST with the CSRF token", config: ext(extractors.InCookie, "session"),
			request: withCookie(http.MethodPost, "X-CSRF-Token", good), want: accept()},
		{name: "SRC/a custom cookie extractor: a GET", config: ext(extractors.InCookie, "session"),
			request: withCookie(http.MethodGet), want: accept()},
		{name: "SRC/a custom query extractor: the answer is private", config: ext(extractors.InQuery, "t"),
			request: func(e *env) *http.Request { return get("/protected?t=" + e.remember(fx.t0())) },
			want:    want{status: http.StatusOK, accepted: true, private: true}},
		{name: "SRC/a custom header extractor: a POST needs no CSRF token", config: ext(extractors.InHeader, "X-Session"),
			request: func(e *env) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/protected", nil)
				r.Header.Set("X-Session", e.remember(fx.t0()))
				return r
			}, want: accept()},
		{name: "SRC/a custom extractor that gives no kind", config: ext(0, "X-Session"),
			request: func(e *env) *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/protected", nil)
				r.Header.Set("X-Session", e.remember(fx.t0()))
				return r
			}, want: want{status: http.StatusInternalServerError, code: "server_error", desc: descMisconfigured}},
	}
}
