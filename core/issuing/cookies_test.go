package issuing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var csrfKey = []byte("csrf-key-0123456789abcdef0123456789")

// cookieWorld is a world in cookie mode: the token read from the header or
// the access_token cookie.
func cookieWorld(t *testing.T, cookies *jwtgate.Cookies) *world {
	t.Helper()
	w := &world{}
	base := newWorld(t, nil)
	w.clock, w.store = base.clock, base.store
	var err error
	w.issuer, err = issuing.New(issuing.Config{
		Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "https://issuer.example", Audience: []string{"api://svc"},
		Store: w.store, Now: w.clock.Now, Cookies: cookies,
	})
	require.NoError(t, err)
	w.auth = testAuth(t, func(c *jwtgate.Config) {
		c.Revoker = w.store
		c.Now = w.clock.Now
		c.Cookies = cookies
		c.Extractor = extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token"))
	})
	return w
}

func TestSetCookies(t *testing.T) {
	t.Parallel()
	c := &jwtgate.Cookies{CSRFKey: csrfKey}
	w := cookieWorld(t, c)
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	got := map[string]string{}
	for _, ck := range issuing.SetCookies(c, p) {
		got[ck.Name] = ck.String()
	}
	assert.Equal(t, "access_token="+p.AccessToken+"; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax", got["access_token"])
	assert.Equal(t, "refresh_token="+p.RefreshToken+"; Path=/refresh; Max-Age=604800; HttpOnly; Secure; SameSite=Strict", got["refresh_token"])
	assert.Equal(t, "csrf_token="+c.CSRFToken(p.Family)+"; Path=/; Max-Age=604800; Secure; SameSite=Lax", got["csrf_token"])

	p2, err := w.issuer.Refresh(context.Background(), p.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, c.CSRFToken(p.Family), c.CSRFToken(p2.Family), "the CSRF token stays across refreshes")
	other, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	assert.NotEqual(t, c.CSRFToken(p.Family), c.CSRFToken(other.Family), "and differs between logins")

	for _, ck := range issuing.ClearCookies(c) {
		assert.Equal(t, -1, ck.MaxAge)
		assert.Empty(t, ck.Value)
		assert.Contains(t, ck.String(), "Max-Age=0")
	}
	dev := &jwtgate.Cookies{CSRFKey: csrfKey, InsecureHTTP: true, Domain: "example.com", AccessName: "at"}
	assert.NotContains(t, issuing.SetCookies(dev, p)[0].String(), "Secure")
	assert.Contains(t, issuing.SetCookies(dev, p)[0].String(), "Domain=example.com")
	assert.Equal(t, "at", issuing.SetCookies(dev, p)[0].Name)
}

func TestCookiesConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []*jwtgate.Cookies{
		{CSRFKey: []byte("short")},
		{CSRFKey: csrfKey, TrustedOrigins: []string{"example.com"}},
		{CSRFKey: csrfKey, TrustedOrigins: []string{"https://example.com/path"}},
		{CSRFKey: csrfKey, InsecureHTTP: true, AccessSameSite: http.SameSiteNoneMode},
	} {
		_, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(testSecret, "HS256"), SkipIssuerCheck: true, SkipAudienceCheck: true, Cookies: c})
		assert.Error(t, err)
		_, err = issuing.New(issuing.Config{Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "i", Audience: []string{"a"}, Store: issuing.NewMemoryStore(nil), Cookies: c})
		assert.Error(t, err)
	}
}

// TestCSRF covers both checks of cookie mode, and that header auth and safe
// methods are not subject to them.
func TestCSRF(t *testing.T) {
	t.Parallel()
	c := &jwtgate.Cookies{CSRFKey: csrfKey, TrustedOrigins: []string{"https://app.example"}}
	w := cookieWorld(t, c)
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	other, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	good, foreign := c.CSRFToken(p.Family), c.CSRFToken(other.Family)

	tests := []struct {
		name    string
		method  string
		cookie  bool
		headers map[string]string
		err     error
	}{
		{name: "GET by cookie needs nothing", method: "GET", cookie: true},
		{name: "POST by cookie with the token", method: "POST", cookie: true, headers: map[string]string{"X-CSRF-Token": good, "Origin": "https://app.example"}},
		{name: "POST by cookie with the token and no Origin", method: "POST", cookie: true, headers: map[string]string{"X-CSRF-Token": good}},
		{name: "POST by cookie without token", method: "POST", cookie: true, err: jwtgate.ErrCSRF},
		{name: "DELETE by cookie with a wrong token", method: "DELETE", cookie: true, headers: map[string]string{"X-CSRF-Token": flipFirst(good)}, err: jwtgate.ErrCSRF},
		{name: "PUT by cookie with another login's token", method: "PUT", cookie: true, headers: map[string]string{"X-CSRF-Token": foreign}, err: jwtgate.ErrCSRF},
		{name: "POST by cookie from a foreign origin", method: "POST", cookie: true, headers: map[string]string{"X-CSRF-Token": good, "Origin": "https://evil.example"}, err: jwtgate.ErrCSRF},
		{name: "POST by cookie with Origin null", method: "POST", cookie: true, headers: map[string]string{"X-CSRF-Token": good, "Origin": "null"}, err: jwtgate.ErrCSRF},
		{name: "POST by cookie with a foreign Referer", method: "POST", cookie: true, headers: map[string]string{"X-CSRF-Token": good, "Referer": "https://evil.example/page"}, err: jwtgate.ErrCSRF},
		{name: "POST by cookie with a trusted Referer", method: "POST", cookie: true, headers: map[string]string{"X-CSRF-Token": good, "Referer": "https://app.example/page"}},
		{name: "POST by header needs nothing", method: "POST", headers: map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "https://api.example/x", nil)
			if tt.cookie {
				r.AddCookie(&http.Cookie{Name: "access_token", Value: p.AccessToken})
			} else {
				r.Header.Set("Authorization", "Bearer "+p.AccessToken)
			}
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			tok, err := w.auth.Authenticate(ctx, extractors.FromHTTP(r))
			if tt.err == nil {
				require.NoError(t, err)
				assert.Equal(t, "alice", tok.Subject)
				return
			}
			assert.ErrorIs(t, err, tt.err)
			resp := w.auth.Response(err)
			assert.Equal(t, 403, resp.Status)
			assert.Equal(t, "csrf", resp.Code)
			assert.Empty(t, resp.WWWAuthenticate)
		})
	}
}

func TestCSRFSameOriginByDefault(t *testing.T) {
	t.Parallel()
	c := &jwtgate.Cookies{CSRFKey: csrfKey}
	w := cookieWorld(t, c)
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	for origin, ok := range map[string]bool{
		"https://api.example":      true,
		"http://api.example":       false, // not https, not loopback
		"https://api.example:8443": false,
		"https://evil.example":     false,
	} {
		r := httptest.NewRequest("POST", "https://api.example/x", nil)
		r.AddCookie(&http.Cookie{Name: "access_token", Value: p.AccessToken})
		r.Header.Set("X-CSRF-Token", c.CSRFToken(p.Family))
		r.Header.Set("Origin", origin)
		_, err := w.auth.Authenticate(context.Background(), extractors.FromHTTP(r))
		assert.Equal(t, ok, err == nil, origin)
	}
	// Plain http on a loopback host is its own origin (development).
	for origin, ok := range map[string]bool{"http://127.0.0.1:8080": true, "http://127.0.0.1:9090": false, "http://localhost:8080": false} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8080/x", nil)
		r.AddCookie(&http.Cookie{Name: "access_token", Value: p.AccessToken})
		r.Header.Set("X-CSRF-Token", c.CSRFToken(p.Family))
		r.Header.Set("Origin", origin)
		_, err := w.auth.Authenticate(context.Background(), extractors.FromHTTP(r))
		assert.Equal(t, ok, err == nil, origin)
	}
}

func TestCookieWithoutCookieModeIsSafeMethodsOnly(t *testing.T) {
	t.Parallel()
	w := cookieWorld(t, nil)
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	for method, ok := range map[string]bool{"GET": true, "HEAD": true, "POST": false, "PATCH": false} {
		r := httptest.NewRequest(method, "/", nil)
		r.AddCookie(&http.Cookie{Name: "access_token", Value: p.AccessToken})
		_, err := w.auth.Authenticate(context.Background(), extractors.FromHTTP(r))
		if ok {
			assert.NoError(t, err, method)
		} else {
			assert.ErrorIs(t, err, jwtgate.ErrCSRF, method)
		}
	}
}

func TestRefreshCookie(t *testing.T) {
	t.Parallel()
	c := &jwtgate.Cookies{CSRFKey: csrfKey, InsecureHTTP: true}
	w := cookieWorld(t, c)
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", Scope: "read"})
	require.NoError(t, err)
	req := func(refresh, csrf string) extractors.Request {
		r := httptest.NewRequest("POST", "http://api.example/refresh", nil)
		if refresh != "" {
			r.AddCookie(&http.Cookie{Name: "refresh_token", Value: refresh})
		}
		if csrf != "" {
			r.Header.Set("X-CSRF-Token", csrf)
		}
		r.Header.Set("Origin", "http://api.example")
		return extractors.FromHTTP(r)
	}
	_, err = w.issuer.RefreshCookie(ctx, req(p.RefreshToken, ""))
	assert.ErrorIs(t, err, jwtgate.ErrCSRF)
	_, err = w.issuer.RefreshCookie(ctx, req("", c.CSRFToken(p.Family)))
	assert.ErrorIs(t, err, jwtgate.ErrTokenMissing)

	p2, err := w.issuer.RefreshCookie(ctx, req(p.RefreshToken, c.CSRFToken(p.Family)))
	require.NoError(t, err, "a refused CSRF check spent nothing")
	assert.Equal(t, p.Family, p2.Family)
	_, err = w.issuer.RefreshCookie(ctx, req(p.RefreshToken, c.CSRFToken(p.Family)))
	assert.ErrorIs(t, err, issuing.ErrRefreshReused, "reuse through the cookie is detected as through the body")
	_, err = w.access(t, p2.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked)

	r := httptest.NewRequest("POST", "/refresh", nil)
	r.Header.Set("Cookie", "refresh_token=a; refresh_token=b")
	_, err = w.issuer.RefreshCookie(ctx, extractors.FromHTTP(r))
	assert.ErrorIs(t, err, jwtgate.ErrInvalidRequest)

	plain, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "i", Audience: []string{"a"}, Store: issuing.NewMemoryStore(nil)})
	require.NoError(t, err)
	_, err = plain.RefreshCookie(ctx, req(p.RefreshToken, "x"))
	assert.True(t, err != nil && strings.Contains(err.Error(), "needs Config.Cookies"))
}

// flipFirst returns s with its first character changed, so it is certainly
// wrong.
func flipFirst(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}

// TestCSRFRefusalIsAFailureOnly: hooks see a CSRF refusal as an error and
// never as a success.
func TestCSRFRefusalIsAFailureOnly(t *testing.T) {
	t.Parallel()
	c := &jwtgate.Cookies{CSRFKey: csrfKey}
	w := cookieWorld(t, c)
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	var oks, errs int
	auth := testAuth(t, func(cfg *jwtgate.Config) {
		cfg.Cookies = c
		cfg.Now = w.clock.Now
		cfg.Extractor = extractors.Cookie("access_token")
		cfg.OnSuccess = func(context.Context, *jwtgate.Token) { oks++ }
		cfg.OnError = func(context.Context, error) { errs++ }
	})
	r := httptest.NewRequest("POST", "https://api.example/x", nil)
	r.AddCookie(&http.Cookie{Name: "access_token", Value: p.AccessToken})
	_, err = auth.Authenticate(context.Background(), extractors.FromHTTP(r))
	require.ErrorIs(t, err, jwtgate.ErrCSRF)
	assert.Equal(t, 0, oks)
	assert.Equal(t, 1, errs)
}
