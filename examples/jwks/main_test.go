package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResourceServer(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keys := map[string]*jwtgate.Key{
		"RS256": {ID: "rsa", Algorithm: "RS256", VerifyKey: &rsaKey.PublicKey, SignKey: rsaKey},
		"ES384": {ID: "ec", Algorithm: "ES384", VerifyKey: &ecKey.PublicKey, SignKey: ecKey},
		"EdDSA": {ID: "ed", Algorithm: "EdDSA", VerifyKey: edPub, SignKey: edPriv},
	}
	issuer := httptest.NewServer(jwks.Handler(time.Minute, keys["RS256"], keys["ES384"], keys["EdDSA"]))
	t.Cleanup(issuer.Close)

	s, err := loadSettings(func(k string) string { return map[string]string{"JWKS_URL": issuer.URL}[k] })
	require.NoError(t, err)
	remote, err := jwks.NewRemote(context.Background(), jwks.RemoteOptions{URL: s.JWKSURL, AllowHTTPLoopback: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = remote.Close() })
	auth, err := newAuthenticator(s, remote)
	require.NoError(t, err)
	app := httptest.NewServer(newHandler(auth))
	t.Cleanup(app.Close)

	mint := func(alg, kid string, key any, header map[string]any) string {
		tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), jwt.MapClaims{
			"iss": s.Issuer, "aud": s.Audience, "sub": "alice", "scope": "read", "jti": "j-" + alg + kid,
			"iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(),
		})
		tok.Header["kid"] = kid
		for k, v := range header {
			tok.Header[k] = v
		}
		signed, err := tok.SignedString(key)
		require.NoError(t, err)
		return signed
	}
	tests := []struct {
		name   string
		token  string
		cookie bool
		status int
	}{
		{name: "RS256", token: mint("RS256", "rsa", rsaKey, nil), status: 200},
		{name: "ES384", token: mint("ES384", "ec", ecKey, nil), status: 200},
		{name: "EdDSA", token: mint("EdDSA", "ed", edPriv, nil), status: 200},
		{name: "by cookie", token: mint("EdDSA", "ed", edPriv, nil), cookie: true, status: 200},
		{name: "PS256 with the RS256 key", token: mint("PS256", "rsa", rsaKey, nil), status: 401},
		{name: "RS512 with the RS256 key", token: mint("RS512", "rsa", rsaKey, nil), status: 401},
		{name: "HS256 with the public key as secret", token: mint("HS256", "rsa", []byte("-----BEGIN PUBLIC KEY-----"), nil), status: 401},
		{name: "kid of another key type", token: mint("ES384", "rsa", ecKey, nil), status: 401},
		{name: "unknown kid", token: mint("EdDSA", "nope", edPriv, nil), status: 401},
		{name: "jku pointing elsewhere", token: mint("EdDSA", "ed", edPriv, map[string]any{"jku": "http://127.0.0.1:1/evil.json"}), status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, app.URL+"/api/me", nil)
			require.NoError(t, err)
			if tt.cookie {
				req.AddCookie(&http.Cookie{Name: "access_token", Value: tt.token})
			} else {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.status == 401 {
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
			}
		})
	}
}

func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "no JWKS_URL", env: map[string]string{}, want: "JWKS_URL is required"},
		{name: "http to another host", env: map[string]string{"JWKS_URL": "http://id.example/jwks.json"}, want: "JWKS_URL"},
		{name: "not a URL", env: map[string]string{"JWKS_URL": "jwks.json"}, want: "JWKS_URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
