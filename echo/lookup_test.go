package echojwt_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	echojwt "github.com/jwtgate/jwtgate/echo"
	"github.com/jwtgate/jwtgate/extractors"
)

// TestEchoJWTLookup: an echo-jwt TokenLookup, every source of it, works end
// to end through extractors.Parse and the adapter, path parameters
// included; a token sent by two of them is refused (RFC 6750 §2).
func TestEchoJWTLookup(t *testing.T) {
	t.Parallel()
	ex, err := extractors.Parse("header:Authorization:Bearer ,cookie:jwt,query:token,param:token,form:token")
	require.NoError(t, err)
	auth := newAuth(t, func(c *jwtgate.Config) { c.Extractor = ex })
	e := echo.New()
	mw := echojwt.New(echojwt.Config{Authenticator: auth})
	e.Any("/files", whoami, mw)
	e.GET("/files/:token", whoami, mw)
	tok := token(t, "")

	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"header", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/files", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		}, 200},
		{"default echo-jwt scheme in lower case", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/files", nil)
			r.Header.Set("Authorization", "bearer "+tok)
			return r
		}, 200},
		{"cookie", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/files", nil)
			r.AddCookie(&http.Cookie{Name: "jwt", Value: tok})
			return r
		}, 200},
		{"query", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/files?token="+tok, nil) }, 200},
		{"param", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/files/"+tok, nil) }, 200},
		{"form", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/files", strings.NewReader(url.Values{"token": {tok}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 200},
		{"header and query", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/files?token="+tok, nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		}, 400},
		{"none", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/files", nil) }, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			e.ServeHTTP(w, tc.req())
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == 200 {
				assert.Equal(t, "alice", w.Body.String())
			}
		})
	}
}
