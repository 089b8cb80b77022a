package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/docs/migrate/internal/testtoken"
)

// tenant stands in for an Auth0 tenant: its discovery document and its JWK
// Set, at the paths Auth0 serves them, on a loopback port of its own.
type tenant struct {
	*httptest.Server
	issuer string // the server's URL with a trailing slash, as Auth0's
	key    *rsa.PrivateKey
}

func newTenant(t *testing.T) *tenant {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tn := &tenant{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": tn.issuer, "jwks_uri": tn.issuer + ".well-known/jwks.json"})
	})
	mux.Handle("GET /.well-known/jwks.json", jwks.Handler(time.Hour, &jwtgate.Key{ID: "k1", Algorithm: "RS256", VerifyKey: &key.PublicKey}))
	tn.Server = httptest.NewServer(mux)
	t.Cleanup(tn.Close)
	tn.issuer = tn.URL + "/"
	return tn
}

// token is an access token of the tenant for the API, with extra claims.
func (tn *tenant) token(t *testing.T, extra map[string]any) string {
	claims := testtoken.Claims(tn.issuer, "https://orders.example.com", "auth0|alice", map[string]any{
		"org_id": "org_acme", "permissions": []string{"read:messages"}, "scope": "openid read:messages",
	})
	for k, v := range extra {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	return testtoken.Sign(t, "RS256", "k1", tn.key, claims)
}

func TestGoJWTMiddleware(t *testing.T) {
	tn := newTenant(t)
	h, keys, err := newApp(context.Background(), options{issuer: tn.issuer, audience: "https://orders.example.com", now: testtoken.Now})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, keys.Close()) })

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tests := []struct {
		name      string
		path      string
		token     string
		status    int
		challenge string
		errorCode string
		body      string
	}{
		{name: "a valid token and its custom claims", path: "/api/private", token: tn.token(t, nil),
			status: 200, body: `{"sub":"auth0|alice","org_id":"org_acme","permissions":["read:messages"]}`},
		{name: "no token: 401 with the RFC 6750 challenge, where v2 answered 400", path: "/api/private",
			status: 401, challenge: `Bearer realm="jwtgate"`, errorCode: "missing_token"},
		{name: "the scope the quickstart's HasScope checked", path: "/api/private-scoped", token: tn.token(t, nil), status: 200},
		{name: "the scope lacking: 403", path: "/api/private-scoped", token: tn.token(t, map[string]any{"scope": "openid"}),
			status: 403, challenge: `Bearer realm="jwtgate", error="insufficient_scope", scope="read:messages"`, errorCode: "insufficient_scope"},
		{name: "the custom claims' Validate refusing", path: "/api/private", token: tn.token(t, map[string]any{"org_id": nil}),
			status: 401, errorCode: "invalid_token"},
		{name: "within the minute of clock skew", path: "/api/private",
			token: tn.token(t, map[string]any{"exp": testtoken.Now().Add(-50 * time.Second).Unix()}), status: 200},
		{name: "beyond it", path: "/api/private",
			token:  tn.token(t, map[string]any{"exp": testtoken.Now().Add(-70 * time.Second).Unix()}),
			status: 401, challenge: `Bearer realm="jwtgate", error="invalid_token", error_description="The access token expired"`},
		{name: "without exp, which v2 accepted", path: "/api/private", token: tn.token(t, map[string]any{"exp": nil}),
			status: 401, errorCode: "invalid_token"},
		{name: "another audience", path: "/api/private", token: tn.token(t, map[string]any{"aud": "https://billing.example.com"}),
			status: 401, errorCode: "invalid_token"},
		{name: "the issuer without its trailing slash", path: "/api/private", token: tn.token(t, map[string]any{"iss": tn.URL}),
			status: 401, errorCode: "invalid_token"},
		{name: "a key the tenant does not publish", path: "/api/private",
			token:  testtoken.Sign(t, "RS256", "k1", other, testtoken.Claims(tn.issuer, "https://orders.example.com", "auth0|alice", map[string]any{"org_id": "org_acme"})),
			status: 401, errorCode: "invalid_token"},
		{name: "HS256 with the public key as secret", path: "/api/private",
			token:  testtoken.Sign(t, "HS256", "k1", []byte("-----BEGIN PUBLIC KEY----- a guessable secret"), testtoken.Claims(tn.issuer, "https://orders.example.com", "auth0|alice", map[string]any{"org_id": "org_acme"})),
			status: 401, errorCode: "invalid_token"},
		{name: "a public route", path: "/api/public", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			assert.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			}
			if tt.status == 401 {
				assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"), "every 401 carries a challenge")
			}
			if tt.errorCode != "" {
				var got struct{ Error string }
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got), w.Body.String())
				assert.Equal(t, tt.errorCode, got.Error)
			}
			if tt.body != "" {
				assert.JSONEq(t, tt.body, w.Body.String())
			}
		})
	}
}

// A wrong setting fails at start, where go-jwt-middleware's validator.New
// failed too; an issuer that cannot be reached yet does not.
func TestGoJWTMiddlewareConfiguration(t *testing.T) {
	tn := newTenant(t)
	_, _, err := newApp(context.Background(), options{issuer: tn.issuer})
	assert.ErrorContains(t, err, "Audience")
	_, _, err = newApp(context.Background(), options{issuer: "https:///", audience: "https://orders.example.com"})
	assert.Error(t, err)
}
