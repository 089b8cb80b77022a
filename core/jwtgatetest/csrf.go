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
