package jwtgate

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/extractors"
)

// ErrCSRF is the kind of a request refused by the CSRF rules of cookie mode:
// authenticated by a cookie, with an unsafe method, and without the CSRF
// token bound to its login or from an untrusted origin. Answered 403
// {"error":"csrf"}, without a challenge: the credentials are fine, the
// request is not.
var ErrCSRF = errors.New("jwtgate: csrf check failed")

// Cookies is cookie mode: tokens kept in HttpOnly cookies, out of
// JavaScript's reach, and the CSRF protection RFC 6750 §5.3 requires of any
// implementation that keeps bearer tokens in cookies. Give the same value to
// Config.Cookies (the verifier checks CSRF) and issuing.Config.Cookies (the
// issuer sets and clears the cookies).
//
// Two checks guard an unsafe request (POST, PUT, PATCH, DELETE, …)
// authenticated by the access cookie, because each covers what the other
// cannot:
//
//   - a CSRF token, double-submitted: the page reads the csrf_token cookie and
//     sends it back in the X-CSRF-Token header, which a cross-site form
//     cannot set. It is an HMAC of the login's family under CSRFKey, so it
//     stays the same across refreshes, a token of another login does not
//     pass, and nothing is stored. Compared in constant time.
//   - the Origin header (or else Referer), when the browser sends one, must
//     be a trusted origin (by default the request's own: same host, https,
//     or http on a loopback host). This stops a request from a sibling
//     subdomain that managed to plant a CSRF cookie.
//
// Requests authenticated by the Authorization header are not checked: a
// browser never adds that header on its own. Safe methods (GET, HEAD,
// OPTIONS) need neither check and must not change anything.
type Cookies struct {
	// CSRFKey binds CSRF tokens to logins; at least 32 random bytes, the same
	// on every instance. Required.
	CSRFKey []byte
	// AccessName, RefreshName and CSRFName are the cookie names. Defaults
	// access_token, refresh_token, csrf_token.
	AccessName, RefreshName, CSRFName string
	// CSRFHeader is the request header that carries the CSRF token. Default
	// X-CSRF-Token.
	CSRFHeader string
	// RefreshPath is the only path the refresh cookie is sent to. Default
	// /refresh.
	RefreshPath string
	// Domain is the cookies' Domain attribute. Default none (host-only).
	Domain string
	// AccessSameSite and RefreshSameSite default to Lax and Strict; the CSRF
	// cookie shares the access cookie's.
	AccessSameSite, RefreshSameSite http.SameSite
	// TrustedOrigins lists the origins (scheme://host[:port]) allowed to send
	// unsafe requests. Default: only the request's own origin.
	TrustedOrigins []string
	// InsecureHTTP drops the Secure attribute, for plain-http development on
	// a loopback address only. Never set it in production.
	InsecureHTTP bool

	defaulted bool // a copy with the defaults filled in
}

func (c *Cookies) withDefaults() *Cookies {
	if c.defaulted {
		return c
	}
	d := *c
	d.defaulted = true
	if d.AccessName == "" {
		d.AccessName = "access_token"
	}
	if d.RefreshName == "" {
		d.RefreshName = "refresh_token"
	}
	if d.CSRFName == "" {
		d.CSRFName = "csrf_token"
	}
	if d.CSRFHeader == "" {
		d.CSRFHeader = "X-CSRF-Token"
	}
	if d.RefreshPath == "" {
		d.RefreshPath = "/refresh"
	}
	if d.AccessSameSite == 0 {
		d.AccessSameSite = http.SameSiteLaxMode
	}
	if d.RefreshSameSite == 0 {
		d.RefreshSameSite = http.SameSiteStrictMode
	}
	return &d
}

// Validate reports what is wrong with c: a CSRFKey under 32 bytes, a trusted
// origin that is not scheme://host[:port], SameSite=None without Secure.
// jwtgate.New and the issuing package's New call it.
func (c *Cookies) Validate() error {
	var errs []error
	if len(c.CSRFKey) < 32 {
		errs = append(errs, errors.New("jwtgate: Cookies.CSRFKey must be at least 32 random bytes"))
	}
	for _, o := range c.TrustedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			errs = append(errs, errors.New("jwtgate: Cookies.TrustedOrigins: "+quote(o)+" is not scheme://host[:port]"))
		}
	}
	if c.AccessSameSite == http.SameSiteNoneMode || c.RefreshSameSite == http.SameSiteNoneMode {
		if c.InsecureHTTP {
			errs = append(errs, errors.New("jwtgate: Cookies: SameSite=None needs Secure; it cannot go with InsecureHTTP"))
		}
	}
	return errors.Join(errs...)
}

// CSRFToken returns the CSRF token of the login (refresh family) family.
func (c *Cookies) CSRFToken(family string) string {
	m := hmac.New(sha256.New, c.CSRFKey)
	m.Write([]byte("jwtgate csrf v1\x00"))
	m.Write([]byte(family))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookieKind names one of cookie mode's three cookies.
type cookieKind int

const (
	accessCookie cookieKind = iota
	refreshCookie
	csrfCookie
)

// AccessCookie returns the cookie holding the access token value for life:
// HttpOnly, Path /, SameSite AccessSameSite (Lax), Secure unless
// InsecureHTTP, Domain when set. A life of zero or less expires it
// (Max-Age=0), for logout. The issuing package's SetCookies and
// ClearCookies build a login's cookies with it and the two below.
func (c *Cookies) AccessCookie(value string, life time.Duration) *http.Cookie {
	return c.cookie(accessCookie, value, life)
}

// RefreshCookie returns the cookie holding the refresh token value for
// life: HttpOnly, sent to RefreshPath only, SameSite RefreshSameSite
// (Strict); otherwise as AccessCookie.
func (c *Cookies) RefreshCookie(value string, life time.Duration) *http.Cookie {
	return c.cookie(refreshCookie, value, life)
}

// CSRFCookie returns the cookie holding the CSRF token value that the page
// reads and sends back: not HttpOnly, Path /, SameSite AccessSameSite;
// otherwise as AccessCookie.
func (c *Cookies) CSRFCookie(value string, life time.Duration) *http.Cookie {
	return c.cookie(csrfCookie, value, life)
}

func (c *Cookies) cookie(kind cookieKind, value string, life time.Duration) *http.Cookie {
	d := c.withDefaults()
	ck := &http.Cookie{Value: value, Domain: d.Domain, Secure: !d.InsecureHTTP, Path: "/", SameSite: d.AccessSameSite}
	switch kind {
	case accessCookie:
		ck.Name, ck.HttpOnly = d.AccessName, true
	case refreshCookie:
		ck.Name, ck.HttpOnly, ck.Path, ck.SameSite = d.RefreshName, true, d.RefreshPath, d.RefreshSameSite
	default:
		ck.Name = d.CSRFName
	}
	if life > 0 {
		ck.MaxAge = int(life / time.Second)
	} else {
		ck.MaxAge = -1
	}
	return ck
}

// Names returns the names of the access, refresh and CSRF cookies, defaults
// applied.
func (c *Cookies) Names() (access, refresh, csrf string) {
	d := c.withDefaults()
	return d.AccessName, d.RefreshName, d.CSRFName
}

// safeMethod reports whether m is safe (RFC 9110 §9.2.1): no CSRF check.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// CheckCSRF applies both checks to an unsafe request authenticated by a
// cookie of the login (refresh family) family: the CSRF token of that login
// in the CSRFHeader header, and a trusted Origin (or Referer) when the
// request has one. It returns nil for a safe method. The verifier runs it on
// every request whose token came from a cookie; the issuing package runs it
// before spending a refresh cookie.
func (c *Cookies) CheckCSRF(r extractors.Request, family string) error {
	c = c.withDefaults()
	if safeMethod(r.Method()) {
		return nil
	}
	origin, n := r.Header("Origin")
	if n == 0 {
		origin, n = r.Header("Referer")
	}
	if n > 0 && !c.trusted(origin, r) {
		return errors.New("jwtgate: csrf: untrusted origin")
	}
	got, n := r.Header(c.CSRFHeader)
	if n != 1 || family == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.CSRFToken(family))) != 1 {
		return errors.New("jwtgate: csrf: missing or wrong CSRF token")
	}
	return nil
}

// trusted reports whether origin (an Origin value, or a Referer URL) is on
// the list, or, without a list, is the request's own host.
func (c *Cookies) trusted(origin string, r extractors.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false // "null" and garbage are never trusted
	}
	if len(c.TrustedOrigins) > 0 {
		return slices.Contains(c.TrustedOrigins, u.Scheme+"://"+u.Host)
	}
	host, _ := r.Header("Host")
	if !strings.EqualFold(u.Host, host) {
		return false
	}
	// Plain http only where Secure cookies exist over it (a loopback host,
	// which browsers treat as a secure context) or InsecureHTTP says so.
	return u.Scheme == "https" || (u.Scheme == "http" && (c.InsecureHTTP || loopbackHost(u.Hostname())))
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
