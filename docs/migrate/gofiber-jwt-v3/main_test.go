package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/docs/migrate/internal/testtoken"
)

var secret = []byte("a test secret of at least 32 bytes")

func token(t *testing.T, extra map[string]any) string {
	return testtoken.Sign(t, "HS256", "", secret, testtoken.Claims("https://id.example.com", "orders-api", "alice", extra))
}

func get(t *testing.T, app *fiber.App, path, authorization string) (*http.Response, []byte) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	resp, err := app.Test(r, fiber.TestConfig{Timeout: 0})
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func TestGofiberJWTv3(t *testing.T) {
	app, err := newApp(options{secret: secret, now: testtoken.Now})
	require.NoError(t, err)

	t.Run("a valid token, down to the code below the handler", func(t *testing.T) {
		resp, body := get(t, app, "/api/orders", "Bearer "+token(t, nil))
		require.Equal(t, 200, resp.StatusCode, string(body))
		assert.JSONEq(t, `{"sub":"alice","orders":["alice/1","alice/2"]}`, string(body))
	})
	t.Run("no token: 401 with the RFC 6750 challenge of the realm, where jwtware answered 400", func(t *testing.T) {
		resp, body := get(t, app, "/api/orders", "")
		assert.Equal(t, 401, resp.StatusCode)
		assert.Equal(t, `Bearer realm="orders-api"`, resp.Header.Get("WWW-Authenticate"))
		assert.JSONEq(t, `{"error":"missing_token","error_description":"No access token was sent"}`, string(body))
	})
	t.Run("the leeway: 30 s, not the default 60", func(t *testing.T) {
		within := token(t, map[string]any{"exp": testtoken.Now().Add(-20 * time.Second).Unix()})
		resp, _ := get(t, app, "/api/orders", "Bearer "+within)
		assert.Equal(t, 200, resp.StatusCode)
		beyond := token(t, map[string]any{"exp": testtoken.Now().Add(-40 * time.Second).Unix()})
		resp, body := get(t, app, "/api/orders", "Bearer "+beyond)
		assert.Equal(t, 401, resp.StatusCode)
		assert.Contains(t, string(body), `"invalid_token"`)
	})
	t.Run("another issuer", func(t *testing.T) {
		other := testtoken.Sign(t, "HS256", "", secret, testtoken.Claims("https://other.example.com", "orders-api", "alice", nil))
		resp, _ := get(t, app, "/api/orders", "Bearer "+other)
		assert.Equal(t, 401, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
	})
	t.Run("a public route registered before the middleware", func(t *testing.T) {
		resp, _ := get(t, app, "/healthz", "")
		assert.Equal(t, 200, resp.StatusCode)
	})
}

// What the guide says of Fiber v3's context: the token is in c.Context(),
// and not behind the fiber.Ctx's own Value.
func TestGofiberJWTv3Context(t *testing.T) {
	app, err := newApp(options{secret: secret, now: testtoken.Now})
	require.NoError(t, err)
	app.Get("/probe", func(c fiber.Ctx) error {
		_, inContext := jwtgate.FromContext(c.Context())
		_, inCtx := jwtgate.FromContext(c)
		return c.JSON(fiber.Map{"c.Context()": inContext, "c": inCtx})
	})
	resp, body := get(t, app, "/probe", "Bearer "+token(t, nil))
	require.Equal(t, 200, resp.StatusCode, string(body))
	var got map[string]bool
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, map[string]bool{"c.Context()": true, "c": false}, got)
}
