package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, body, token string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func (c client) login() (access, refresh string) {
	c.t.Helper()
	status, m := c.do("POST", "/login", `{"username":"alice","password":"alice-password"}`, "")
	require.Equal(c.t, 200, status)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func (c client) refresh(tok string) (int, map[string]any) {
	return c.do("POST", "/refresh", `{"refresh_token":"`+tok+`"}`, "")
}

// TestInstancesShareRedis runs two instances of each example on one
// redis-server: what happens on one is true on the other at once.
func TestInstancesShareRedis(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			bin := build(t, dir, name)
			a := client{t, start(t, bin, "REDIS_URL="+srv.URL())}
			b := client{t, start(t, bin, "REDIS_URL="+srv.URL())}

			access, refresh := a.login()
			status, _ := b.do("GET", "/api/me", "", access)
			assert.Equal(t, 200, status, "B accepts A's token")

			status, pair := b.refresh(refresh)
			require.Equal(t, 200, status, "refresh on B")
			access2 := pair["access_token"].(string)
			status, _ = a.do("GET", "/api/me", "", access2)
			assert.Equal(t, 200, status, "A accepts B's new token")

			status, body := a.refresh(refresh)
			assert.Equal(t, 401, status, "the spent token, replayed on A")
			assert.Equal(t, "invalid_grant", body["error"])
			for _, c := range []client{a, b} {
				status, _ := c.do("GET", "/api/me", "", access2)
				assert.Equal(t, 401, status, "the family is revoked on both")
			}
			status, _ = a.refresh(pair["refresh_token"].(string))
			assert.Equal(t, 401, status)

			access3, _ := a.login()
			status, _ = b.do("POST", "/logout", "", access3)
			assert.Equal(t, 204, status, "logout on B")
			status, _ = a.do("GET", "/api/me", "", access3)
			assert.Equal(t, 401, status, "refused on A")
		})
	}
}

// TestRedisDownAnswers503 stops redis-server under a running app: protected
// routes answer 503, never 200, /healthz stays 200, and when Redis is back the
// app serves again without a restart.
func TestRedisDownAnswers503(t *testing.T) {
	dir := t.TempDir()
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			srv := redistest.Start(t)
			if !srv.Managed() {
				t.Skip("needs a redis-server this test starts and stops, not REDIS_URL")
			}
			c := client{t, start(t, build(t, dir, name), "REDIS_URL="+srv.URL())}
			access, _ := c.login()
			loggedIn := time.Now() // at or after the token's iat
			status, _ := c.do("GET", "/api/me", "", access)
			require.Equal(t, 200, status)

			srv.Stop()
			for range 3 {
				status, body := c.do("GET", "/api/me", "", access)
				assert.Equal(t, 503, status, "never 200 without the store")
				assert.Equal(t, "temporarily_unavailable", body["error"])
			}
			status, _ = c.do("POST", "/login", `{"username":"alice","password":"alice-password"}`, "")
			assert.Equal(t, 503, status)
			status, _ = c.do("GET", "/healthz", "", "")
			assert.Equal(t, 200, status, "liveness only")

			// Redis comes back empty: the store refuses every token issued
			// before (it cannot tell which were revoked). iat has whole
			// seconds, so let the login's second pass first.
			time.Sleep(time.Until(loggedIn.Truncate(time.Second).Add(time.Second)))
			srv.Restart()
			require.Eventually(t, func() bool {
				status, _ := c.do("GET", "/api/me", "", access)
				return status != 503
			}, 15*time.Second, 100*time.Millisecond, "answers again once Redis is back")
			status, _ = c.do("GET", "/api/me", "", access)
			assert.Equal(t, 401, status, "a token issued before the loss is refused")
			access2, _ := c.login()
			status, _ = c.do("GET", "/api/me", "", access2)
			assert.Equal(t, 200, status)
		})
	}
}
