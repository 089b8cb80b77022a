package issuing

import (
	"net/http"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// SetCookies returns the three cookies of cookie mode for a login or a
// refresh: the access token (HttpOnly, path /, Max-Age its lifetime), the
// refresh token (HttpOnly, only for the refresh path, SameSite Strict) and
// the CSRF token bound to the pair's login (readable by the page, Max-Age the
// refresh token's). The attributes are those of jwtgate.Cookies.AccessCookie, RefreshCookie and CSRFCookie. Write them
// with http.SetCookie, or add each one's String() as a Set-Cookie header.
func SetCookies(c *jwtgate.Cookies, p *Pair) []*http.Cookie {
	access, refresh := p.AccessExpiresAt.Sub(p.IssuedAt), p.RefreshExpiresAt.Sub(p.IssuedAt)
	return []*http.Cookie{
		c.AccessCookie(p.AccessToken, access),
		c.RefreshCookie(p.RefreshToken, refresh),
		c.CSRFCookie(c.CSRFToken(p.Family), refresh),
	}
}

// ClearCookies returns cookie mode's three cookies expired, for logout.
func ClearCookies(c *jwtgate.Cookies) []*http.Cookie {
	return []*http.Cookie{
		c.AccessCookie("", 0),
		c.RefreshCookie("", 0),
		c.CSRFCookie("", 0),
	}
}
