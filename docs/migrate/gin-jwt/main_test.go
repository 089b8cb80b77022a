package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/docs/migrate/internal/testtoken"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no debug lines for every route
	os.Exit(m.Run())
}

var secret = []byte("a test secret of at least 32 bytes")

// client calls the service as its clients do.
type client struct {
	t *testing.T
	h http.Handler
}

func (c client) do(method, path, contentType, body, token string) *httptest.ResponseRecorder {
	c.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

func (c client) login(user, password string) issuing.Pair {
	c.t.Helper()
	w := c.do("POST", "/login", "application/json", `{"username":"`+user+`","password":"`+password+`"}`, "")
	require.Equal(c.t, 200, w.Code, w.Body.String())
	var p issuing.Pair
	require.NoError(c.t, json.Unmarshal(w.Body.Bytes(), &p))
	return p
}

func (c client) refresh(refreshToken string) *httptest.ResponseRecorder {
	c.t.Helper()
	return c.do("POST", "/refresh", "application/json", `{"refresh_token":"`+refreshToken+`"}`, "")
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct{ Error string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
	return body.Error
}

func TestGinJWT(t *testing.T) {
	clock := jwtgatetest.NewClock(testtoken.Now())
	r, err := newApp(options{secret: secret, now: clock.Now})
	require.NoError(t, err)
	c := client{t, r}

	t.Run("login answers the RFC 6749 pair gin-jwt v3 answers", func(t *testing.T) {
		w := c.do("POST", "/login", "application/json", `{"username":"admin","password":"admin-password"}`, "")
		require.Equal(t, 200, w.Code, w.Body.String())
		var body map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
		assert.Equal(t, "Bearer", body["token_type"])
		assert.Equal(t, 900.0, body["expires_in"])
		assert.NotEmpty(t, body["access_token"])
		assert.NotEmpty(t, body["refresh_token"])
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	})
	t.Run("the claims and c.Get(identityKey), as gin-jwt handlers read them", func(t *testing.T) {
		p := c.login("admin", "admin-password")
		w := c.do("GET", "/auth/hello", "", "", p.AccessToken)
		require.Equal(t, 200, w.Code, w.Body.String())
		assert.JSONEq(t, `{"userID":"admin","userName":"admin","role":"admin"}`, w.Body.String())
	})
	t.Run("no token: 401 with the RFC 6750 challenge", func(t *testing.T) {
		w := c.do("GET", "/auth/hello", "", "", "")
		assert.Equal(t, 401, w.Code)
		assert.Equal(t, `Bearer realm="orders"`, w.Header().Get("WWW-Authenticate"))
		assert.Equal(t, "missing_token", errorCode(t, w))
	})
	t.Run("the Authorizer's role check as a scope: 403", func(t *testing.T) {
		admin, alice := c.login("admin", "admin-password"), c.login("alice", "alice-password")
		assert.Equal(t, 200, c.do("GET", "/auth/admin", "", "", admin.AccessToken).Code)
		w := c.do("GET", "/auth/admin", "", "", alice.AccessToken)
		assert.Equal(t, 403, w.Code)
		assert.Equal(t, `Bearer realm="orders", error="insufficient_scope", scope="admin"`, w.Header().Get("WWW-Authenticate"))
	})
	t.Run("a wrong password, an unknown user: the same 401", func(t *testing.T) {
		for _, body := range []string{`{"username":"admin","password":"guess"}`, `{"username":"mallory","password":"guess"}`} {
			w := c.do("POST", "/login", "application/json", body, "")
			assert.Equal(t, 401, w.Code)
			assert.Equal(t, "invalid_credentials", errorCode(t, w))
		}
	})
	t.Run("a form login, which gin-jwt's ShouldBind took: 415", func(t *testing.T) {
		w := c.do("POST", "/login", "application/x-www-form-urlencoded", "username=admin&password=admin-password", "")
		assert.Equal(t, 415, w.Code)
	})
	t.Run("refresh rotates; the spent refresh token revokes its family", func(t *testing.T) {
		p := c.login("alice", "alice-password")
		w := c.refresh(p.RefreshToken)
		require.Equal(t, 200, w.Code, w.Body.String())
		var next issuing.Pair
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &next))
		assert.Equal(t, 200, c.do("GET", "/auth/hello", "", "", next.AccessToken).Code)

		w = c.refresh(p.RefreshToken) // again: a thief, or the victim
		assert.Equal(t, 401, w.Code)
		assert.Equal(t, "invalid_grant", errorCode(t, w))
		assert.Equal(t, 401, c.do("GET", "/auth/hello", "", "", next.AccessToken).Code, "the family is revoked")
	})
	t.Run("logout revokes the access token and its family", func(t *testing.T) {
		p := c.login("alice", "alice-password")
		assert.Equal(t, 204, c.do("POST", "/logout", "", "", p.AccessToken).Code)
		assert.Equal(t, 401, c.do("GET", "/auth/hello", "", "", p.AccessToken).Code)
		assert.Equal(t, 401, c.refresh(p.RefreshToken).Code)
	})
	t.Run("an expired access token, then a refresh", func(t *testing.T) {
		p := c.login("alice", "alice-password")
		clock.Advance(17 * time.Minute) // 15 minutes, and the 60 s leeway
		defer clock.Set(testtoken.Now())
		w := c.do("GET", "/auth/hello", "", "", p.AccessToken)
		assert.Equal(t, 401, w.Code)
		assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error_description="The access token expired"`)
		assert.Equal(t, 200, c.refresh(p.RefreshToken).Code)
	})
}
