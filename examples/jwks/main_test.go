package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

	app := startApp(t, map[string]string{"JWKS_URL": issuer.URL})
	big := startApp(t, map[string]string{"JWKS_URL": issuer.URL, "MAX_TOKEN_SIZE": "16384"})

	// mint signs a token; extra sets or (nil) removes claims.
	mint := func(alg, kid string, key any, header, extra map[string]any) string {
		claims := jwt.MapClaims{
			"iss": "jwtgate-example", "aud": "jwtgate-example-api", "sub": "alice", "scope": "read", "jti": "j-" + alg + kid,
			"iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(),
		}
		for k, v := range extra {
			if v == nil {
				delete(claims, k)
			} else {
				claims[k] = v
			}
		}
		tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
		tok.Header["kid"] = kid
		for k, v := range header {
			tok.Header[k] = v
		}
		signed, err := tok.SignedString(key)
		require.NoError(t, err)
		return signed
	}
	// groups pads a token to about n bytes, as a provider that lists many
	// groups does.
	groups := func(n int) map[string]any {
		var g []string
		for i := 0; len(g)*12 < n; i++ {
			g = append(g, fmt.Sprintf("group-%05d", i))
		}
		return map[string]any{"groups": g}
	}
	large := mint("EdDSA", "ed", edPriv, nil, groups(9<<10))
	require.Greater(t, len(large), defaultMaxTokenSize)
	require.Less(t, len(large), 16384)
	tests := []struct {
		name   string
		app    string
		token  string
		cookie bool
		status int
		desc   string
	}{
		{name: "RS256", token: mint("RS256", "rsa", rsaKey, nil, nil), status: 200},
		{name: "ES384", token: mint("ES384", "ec", ecKey, nil, nil), status: 200},
		{name: "EdDSA", token: mint("EdDSA", "ed", edPriv, nil, nil), status: 200},
		{name: "by cookie", token: mint("EdDSA", "ed", edPriv, nil, nil), cookie: true, status: 200},
		{name: "without jti", token: mint("ES384", "ec", ecKey, nil, map[string]any{"jti": nil}), status: 200},
		{name: "without exp", token: mint("ES384", "ec", ecKey, nil, map[string]any{"exp": nil}), status: 401, desc: "The access token lacks a required claim"},
		{name: "of another audience", token: mint("ES384", "ec", ecKey, nil, map[string]any{"aud": "other"}), status: 401, desc: "The access token audience is not accepted"},
		{name: "over 8 KiB", token: large, status: 401, desc: "The access token is too large"},
		{name: "over 8 KiB within MAX_TOKEN_SIZE", app: big, token: large, status: 200},
		{name: "over MAX_TOKEN_SIZE", app: big, token: mint("EdDSA", "ed", edPriv, nil, groups(13<<10)), status: 401, desc: "The access token is too large"},
		{name: "PS256 with the RS256 key", token: mint("PS256", "rsa", rsaKey, nil, nil), status: 401},
		{name: "RS512 with the RS256 key", token: mint("RS512", "rsa", rsaKey, nil, nil), status: 401},
		{name: "HS256 with the public key as secret", token: mint("HS256", "rsa", []byte("-----BEGIN PUBLIC KEY-----"), nil, nil), status: 401},
		{name: "kid of another key type", token: mint("ES384", "rsa", ecKey, nil, nil), status: 401},
		{name: "unknown kid", token: mint("EdDSA", "nope", edPriv, nil, nil), status: 401},
		{name: "jku pointing elsewhere", token: mint("EdDSA", "ed", edPriv, map[string]any{"jku": "http://127.0.0.1:1/evil.json"}, nil), status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.app == "" {
				tt.app = app
			}
			req, err := http.NewRequest(http.MethodGet, tt.app+"/api/me", nil)
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
			if tt.desc != "" {
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error_description="`+tt.desc+`"`)
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
		{name: "MAX_TOKEN_SIZE not a number", env: map[string]string{"JWKS_URL": "https://id.example/jwks.json", "MAX_TOKEN_SIZE": "16k"}, want: "MAX_TOKEN_SIZE"},
		{name: "MAX_TOKEN_SIZE in KiB", env: map[string]string{"JWKS_URL": "https://id.example/jwks.json", "MAX_TOKEN_SIZE": "16"}, want: "MAX_TOKEN_SIZE"},
		{name: "MAX_TOKEN_SIZE over 1 MiB", env: map[string]string{"JWKS_URL": "https://id.example/jwks.json", "MAX_TOKEN_SIZE": "2000000"}, want: "MAX_TOKEN_SIZE"},
		{name: "LOG_LEVEL not a level", env: map[string]string{"JWKS_URL": "https://id.example/jwks.json", "LOG_LEVEL": "loud"}, want: `LOG_LEVEL is "loud"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &out, io.Discard)
			assert.ErrorContains(t, err, tt.want)
			assert.Empty(t, out.String(), "nothing printed")
		})
	}
}

// startApp runs the app as main does, on a free port, until the test ends,
// and returns its URL from the banner's first line.
func startApp(t *testing.T, env map[string]string) string {
	t.Helper()
	env["ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, pw, io.Discard)
		_ = pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "jwtgate example listening on ")
	require.True(t, ok, "banner %q", line)
	return base
}
