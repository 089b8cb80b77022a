package jwtgate_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roleClaims is an application's claims type with a plain and a nested
// claim, read by encoding/json.
type roleClaims struct {
	jwtgate.Claims
	Role string `json:"role"`
	Org  *struct {
		Role string `json:"role"`
	} `json:"org"`
	Teams []struct {
		Name string `json:"name"`
	} `json:"teams"`
}

// TestOneReading: a token the verifier accepts reads the same through every
// claims type and through Claims.Get. Names equal under case folding are
// refused; a claims type matches names exactly.
func TestOneReading(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plain := testAuth(t, nil)
	custom := testAuth(t, func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return &roleClaims{} } })

	for _, extra := range []string{
		`"role":"user","ROLE":"admin"`,
		`"tid":"a","\u0054ID":"b"`,
		`"kind":"user","\u212aind":"admin"`,
		"\"is_admin\":false,\"i\u017f_admin\":true",
		`"org":{"role":"user","Role":"admin"}`,
		`"teams":[{"name":"a","NAME":"b"}]`,
	} {
		for _, a := range []*jwtgate.Authenticator{plain, custom} {
			_, err := a.Verify(ctx, mint(testSecret, goodHeader, claimsJSON(extra)))
			assert.ErrorIs(t, err, jwtgate.ErrClaimsInvalid, extra)
		}
	}

	tok, err := custom.Verify(ctx, mint(testSecret, goodHeader, claimsJSON(`"ROLE":"admin","org":{"ROLE":"admin"},"teams":[{"NAME":"admins"},{"name":"staff"}]`)))
	require.NoError(t, err)
	c := tok.Claims.(*roleClaims)
	assert.Empty(t, c.Role, "ROLE is not role")
	require.NotNil(t, c.Org)
	assert.Empty(t, c.Org.Role, "nested ROLE is not role")
	require.Len(t, c.Teams, 2)
	assert.Empty(t, c.Teams[0].Name)
	assert.Equal(t, "staff", c.Teams[1].Name)
	var s string
	found, err := c.Get("role", &s)
	require.NoError(t, err)
	assert.False(t, found, "Get reads role exactly too")
	found, err = c.Get("ROLE", &s)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "admin", s)
	var org struct {
		Role string `json:"role"`
	}
	found, err = c.Get("org", &org)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Empty(t, org.Role, "Get decodes exactly too")

	tok, err = custom.Verify(ctx, mint(testSecret, goodHeader, claimsJSON(`"role":"viewer","org":{"role":"owner"}`)))
	require.NoError(t, err)
	c = tok.Claims.(*roleClaims)
	assert.Equal(t, "viewer", c.Role)
	assert.Equal(t, "owner", c.Org.Role)

	_, err = plain.Verify(ctx, mint(testSecret, `{"alg":"HS256","typ":"JWT","TYP":"JWT"}`, claimsJSON("")))
	assert.ErrorIs(t, err, jwtgate.ErrHeaderInvalid)
	_, err = plain.Verify(ctx, mint(testSecret, goodHeader, claimsJSON(`"name":"\ud800"`)))
	assert.ErrorIs(t, err, jwtgate.ErrClaimsInvalid, "a lone surrogate")
}

// TestScopeGrammar: Token.Scopes, HasScope and CheckScopes read the scope
// claim the same way (RFC 6749 §3.3).
func TestScopeGrammar(t *testing.T) {
	t.Parallel()
	a := testAuth(t, nil)
	for _, tc := range []struct {
		claims string
		want   []string
	}{
		{`"scope":"read\tadmin write"`, []string{"write"}},
		{`"scope":"read\u00a0admin"`, nil},
		{`"scope":"read\nadmin"`, nil},
		{`"scope":" read  admin "`, []string{"read", "admin"}},
		{`"scope":"read \"admin\""`, []string{"read"}},
		{`"scope":"","scp":["read admin","x\ty"]`, []string{"read", "admin"}},
		{`"scope":"","scp":"read write"`, []string{"read", "write"}},
	} {
		tok, err := a.Verify(context.Background(), mint(testSecret, goodHeader, strings.Replace(claimsJSON(""), `,"scope":"read write"`, ","+tc.claims, 1)))
		require.NoError(t, err, tc.claims)
		assert.Equal(t, tc.want, tok.Scopes(), tc.claims)
		for _, s := range []string{"read", "admin", "write", "x", "y", "read\tadmin", ""} {
			granted := false
			for _, w := range tc.want {
				granted = granted || w == s
			}
			assert.Equal(t, granted, tok.HasScope(s), "%s HasScope(%q)", tc.claims, s)
			assert.Equal(t, granted, tok.CheckScopes(s) == nil, "%s CheckScopes(%q)", tc.claims, s)
		}
	}
}

// TestTypeComparedASCIIOnly: typ is a media type, compared ASCII
// case-insensitively (RFC 9110 §8.3.1), never by Unicode case folding.
func TestTypeComparedASCIIOnly(t *testing.T) {
	t.Parallel()
	a := testAuth(t, func(c *jwtgate.Config) { c.Types = []string{"secevent+jwt", "kb+jwt"} })
	for typ, ok := range map[string]bool{
		"secevent+jwt": true, "SecEvent+JWT": true, "application/secevent+jwt": true, "APPLICATION/KB+JWT": true,
		"\u017fecevent+jwt": false, "\u212ab+jwt": false, "application/\u212ab+jwt": false, "secevent+jwt ": false,
	} {
		_, err := a.Verify(context.Background(), mint(testSecret, `{"alg":"HS256","typ":"`+typ+`"}`, claimsJSON("")))
		if ok {
			assert.NoError(t, err, typ)
		} else {
			assert.ErrorIs(t, err, jwtgate.ErrTypeNotAllowed, typ)
		}
	}
}

// TestKeysAreCopiedAtNew: changing a Key after New changes nothing the
// Authenticator or the cache does.
func TestKeysAreCopiedAtNew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret := bytes.Clone(testSecret)
	key := &jwtgate.Key{ID: "k1", Algorithm: "HS256", VerifyKey: secret}
	other := jwtgate.HMAC([]byte("fedcba9876543210fedcba9876543210"), "HS256")
	other.ID = "k2"
	set := jwtgate.NewKeySet(key, other)
	single := testAuth(t, func(c *jwtgate.Config) { c.Keys = key })
	several := testAuth(t, func(c *jwtgate.Config) { c.Keys = set })
	byIssuer := testAuth(t, func(c *jwtgate.Config) { c.Keys = jwtgate.KeysByIssuer{"https://issuer.example": set} })
	tok := mint(testSecret, `{"alg":"HS256","typ":"JWT","kid":"k1"}`, claimsJSON(""))

	// Changed after New: the secret in place, the ID, the algorithm.
	copy(secret, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
	key.ID, key.Algorithm = "k9", "HS512"
	forged := mint(secret, `{"alg":"HS256","typ":"JWT","kid":"k1"}`, claimsJSON(`"x":1`))
	for _, a := range []*jwtgate.Authenticator{single, several, byIssuer} {
		_, err := a.Verify(ctx, tok)
		assert.NoError(t, err, "the key New was given still verifies")
		_, err = a.Verify(ctx, forged)
		assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid, "the changed secret does not")
	}

	issuerKey := jwtgate.HMAC(testSecret, "HS256")
	iss, err := issuing.New(issuing.Config{Key: issuerKey, Issuer: "https://issuer.example", Audience: []string{"api://svc"}, Store: issuing.NewMemoryStore(nil)})
	require.NoError(t, err)
	issuerKey.Algorithm = "HS512"
	pair, err := iss.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(pair.AccessToken, "eyJhbGciOiJIUzI1NiIs"), "signed HS256, as built")
}

// TestAuthorizeWiring: a scope guard that finds no verified token in a
// request carrying one is a wiring mistake: 500, logged once.
func TestAuthorizeWiring(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	ctx := context.Background()
	withToken := httptest.NewRequest(http.MethodGet, "/", nil)
	withToken.Header.Set("Authorization", "Bearer "+mint(testSecret, goodHeader, claimsJSON("")))
	withBadHeader := httptest.NewRequest(http.MethodGet, "/", nil)
	withBadHeader.Header.Set("Authorization", "Bearer a b")
	for range 3 {
		for _, r := range []*http.Request{withToken, withBadHeader} {
			err := a.Authorize(ctx, extractors.FromHTTP(r), nil, "read")
			require.ErrorIs(t, err, jwtgate.ErrMisconfigured)
			res := a.Response(err)
			assert.Equal(t, http.StatusInternalServerError, res.Status)
			assert.Equal(t, "server_error", res.Code)
			assert.Empty(t, res.WWWAuthenticate)
		}
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "mount the authenticating middleware"), "logged once: %s", logs.String())

	err := a.Authorize(ctx, extractors.FromHTTP(httptest.NewRequest(http.MethodGet, "/", nil)), nil, "read")
	assert.ErrorIs(t, err, jwtgate.ErrTokenMissing, "no token sent: 401")
	tok, err := a.Verify(ctx, mint(testSecret, goodHeader, claimsJSON("")))
	require.NoError(t, err)
	assert.NoError(t, a.Authorize(ctx, extractors.FromHTTP(withToken), tok, "read"))
	assert.ErrorIs(t, a.Authorize(ctx, extractors.FromHTTP(withToken), tok, "admin"), jwtgate.ErrInsufficientScope)
}

// TestMapClaims: NewClaims returning jwt.MapClaims{}, as echo-jwt users
// write it, gets every claim in a map; the core's rules still apply to the
// token, and a map never sees a second reading of a name.
func TestMapClaims(t *testing.T) {
	t.Parallel()
	a := testAuth(t, func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return jwt.MapClaims{} } })
	ctx := context.Background()
	tok, err := a.Verify(ctx, mint(testSecret, goodHeader, claimsJSON(`"role":"admin","n":7`)))
	require.NoError(t, err)
	m, ok := tok.Claims.(jwt.MapClaims)
	require.True(t, ok, "%T", tok.Claims)
	assert.Equal(t, "admin", m["role"])
	assert.Equal(t, float64(7), m["n"])
	assert.Equal(t, "user-1", m["sub"])
	sub, err := m.GetSubject()
	require.NoError(t, err)
	assert.Equal(t, "user-1", sub)
	got, ok := jwtgate.ClaimsFromContext[jwt.MapClaims](jwtgate.NewContext(ctx, tok))
	require.True(t, ok)
	assert.Equal(t, "admin", got["role"])

	_, err = a.Verify(ctx, mint(testSecret, goodHeader, claimsJSON(`"role":"user","Role":"admin"`)))
	require.ErrorIs(t, err, jwtgate.ErrInvalidToken, "names equal under case folding are refused before the map is filled")
	_, err = a.Verify(ctx, mint(testSecret, goodHeader, `{"iss":"https://issuer.example","sub":"user-1","aud":"api://svc","iat":1795867200,"exp":1795860000}`))
	require.ErrorIs(t, err, jwt.ErrTokenExpired, "the core's rules apply to a map too")
}
