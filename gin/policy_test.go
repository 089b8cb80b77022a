package ginjwt_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

// TestPolicy: one Authenticator serves a route whose Policy makes
// credentials optional and a route that keeps them required; a scope guard
// behind the optional route still answers 401 to a request without token.
func TestPolicy(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil)
	optional := ginjwt.Config{Authenticator: auth, Policy: jwtgate.Policy{CredentialsOptional: true}}
	required := ginjwt.Config{Authenticator: auth}
	e := gin.New()
	e.GET("/feed", ginjwt.New(optional), ok)
	e.GET("/me", ginjwt.New(required), ok)
	e.GET("/admin", ginjwt.New(optional), ginjwt.RequireScopes(optional, "admin"), ok)

	for _, tc := range []struct {
		name, path, token string
		status            int
		body, challenge   string
	}{
		{name: "optional route, no token", path: "/feed", status: 200, body: "anonymous"},
		{name: "optional route, token", path: "/feed", token: token(t, ""), status: 200, body: "alice"},
		{name: "optional route, bad token", path: "/feed", token: token(t, "") + "x", status: 401,
			challenge: `Bearer realm="jwtgate", error="invalid_token", error_description="The access token signature is invalid"`},
		{name: "required route, no token", path: "/me", status: 401, challenge: `Bearer realm="jwtgate"`},
		{name: "required route, token", path: "/me", token: token(t, ""), status: 200, body: "alice"},
		{name: "scope guard behind the optional route, no token", path: "/admin", status: 401, challenge: `Bearer realm="jwtgate"`},
		{name: "scope guard, without the scope", path: "/admin", token: token(t, "read"), status: 403,
			challenge: `Bearer realm="jwtgate", error="insufficient_scope", scope="admin"`},
		{name: "scope guard, with the scope", path: "/admin", token: token(t, "admin"), status: 200, body: "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := serve(e, request(http.MethodGet, tc.path, tc.token))
			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, tc.challenge, w.Header().Get("WWW-Authenticate"))
			if tc.body != "" {
				assert.Equal(t, tc.body, w.Body.String())
			}
		})
	}
}

// TestPolicyCheckedAtBuild: a Policy the Authenticator cannot serve is a
// mistake found when the route is built, not on its first request: New
// panics.
func TestPolicyCheckedAtBuild(t *testing.T) {
	t.Parallel()
	auth := newAuth(t, nil) // no Config.DPoP
	const noDPoP = "jwtgate: a route asks for DPoP, and Config.DPoP is not set"
	for _, mode := range []dpop.Mode{dpop.Allowed, dpop.Required} {
		cfg := ginjwt.Config{Authenticator: auth, Policy: jwtgate.Policy{DPoP: mode}}
		assert.PanicsWithValue(t, "ginjwt: New: "+noDPoP, func() { ginjwt.New(cfg) })
	}
	assert.PanicsWithValue(t, "ginjwt: New: jwtgate: Policy.DPoP is not a dpop.Mode", func() {
		ginjwt.New(ginjwt.Config{Authenticator: auth, Policy: jwtgate.Policy{DPoP: 9}})
	})
	assert.NotPanics(t, func() {
		ginjwt.New(ginjwt.Config{Authenticator: auth, Policy: jwtgate.Policy{DPoP: dpop.Off, CredentialsOptional: true}})
	})
}

// dpopNow is the clock of the DPoP tests: the Authenticator's, the replay
// store's and the proofs' iat.
var dpopNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func dpopAuth(t *testing.T) *jwtgate.Authenticator {
	t.Helper()
	return newAuth(t, func(c *jwtgate.Config) {
		c.Now = func() time.Time { return dpopNow }
		c.DPoP = &dpop.Config{Replay: dpop.NewMemoryReplayStore(func() time.Time { return dpopNow })}
	})
}

// boundToken is a token bound to the key whose thumbprint is jkt (cnf.jkt);
// "" for an unbound one.
func boundToken(t *testing.T, jkt string) string {
	t.Helper()
	claims := jwt.MapClaims{"iss": "iss", "aud": "aud", "sub": "alice", "exp": dpopNow.Add(time.Hour).Unix()}
	if jkt != "" {
		claims["cnf"] = map[string]any{"jkt": jkt}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testSecret)
	require.NoError(t, err)
	return s
}

// TestPolicyDPoP: one Authenticator serves a Bearer route (dpop.Off) and a
// route that requires DPoP; the adapter's view gives the core the method,
// host, scheme and path a proof's htm and htu are compared with, an escaped
// path included.
func TestPolicyDPoP(t *testing.T) {
	t.Parallel()
	auth := dpopAuth(t)
	key := jwtgatetest.NewDPoPKey("ES256")
	bound, bearer := boundToken(t, key.JKT()), boundToken(t, "")
	e := gin.New()
	e.GET("/bearer", ginjwt.New(ginjwt.Config{Authenticator: auth, Policy: jwtgate.Policy{DPoP: dpop.Off}}), ok)
	e.POST("/dpop/:name", ginjwt.New(ginjwt.Config{Authenticator: auth, Policy: jwtgate.Policy{DPoP: dpop.Required}}), ok)

	send := func(method, target, scheme, tok, proof string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		r.Header.Set("Authorization", scheme+" "+tok)
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w
	}
	const url = "http://example.com/dpop/a%20b"
	w := send("POST", url, "DPoP", bound, key.Proof("POST", url, dpopNow, bound, jwtgatetest.ProofOptions{}))
	assert.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, "alice", w.Body.String())

	w = send("POST", url, "DPoP", bound, key.Proof("POST", "http://example.com/dpop/other", dpopNow, bound, jwtgatetest.ProofOptions{}))
	assert.Equal(t, 401, w.Code, "a proof for another URL")
	assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_dpop_proof"`)

	w = send("POST", url, "Bearer", bearer, "")
	assert.Equal(t, 401, w.Code, "a Bearer token on the DPoP route")
	assert.NotContains(t, w.Header().Get("WWW-Authenticate"), "Bearer", "the route takes DPoP only")

	w = send("GET", "http://example.com/bearer", "Bearer", bearer, "")
	assert.Equal(t, 200, w.Code, "a Bearer token on the Bearer route")
	w = send("GET", "http://example.com/bearer", "Bearer", bound, "")
	assert.Equal(t, 401, w.Code, "a bound token without its proof")
}
