package adapt_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/extractors"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func newAuth(t *testing.T) *jwtgate.Authenticator {
	t.Helper()
	a, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"}})
	require.NoError(t, err)
	return a
}

func request(t *testing.T, target, scope string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if scope != "-" {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "iss", "aud": "aud", "sub": "alice",
			"exp": time.Now().Add(time.Hour).Unix(), "scope": scope}).SignedString(secret)
		require.NoError(t, err)
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// TestDecision: what a Decision says for a pass, an authentication's
// refusal and a scope guard's, and the headers it sets for each.
func TestDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newAuth(t)

	pass := adapt.Authenticate(ctx, a, extractors.FromHTTP(request(t, "/x", "read")), jwtgate.Policy{})
	require.True(t, pass.Passed())
	require.NotNil(t, pass.Token)
	assert.False(t, pass.MayContinue(), "nothing to continue: it passed")
	assert.Equal(t, jwtgate.Response{}, pass.Response(), "no answer for a pass")
	h := http.Header{}
	pass.SetHeaders(h)
	assert.Empty(t, h, "a token from the header: no Cache-Control")

	inURL, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"},
		Extractor: extractors.Query("access_token")})
	require.NoError(t, err)
	tok := request(t, "/x", "read").Header.Get("Authorization")[len("Bearer "):]
	viaURL := adapt.Authenticate(ctx, inURL, extractors.FromHTTP(request(t, "/x?access_token="+tok, "-")), jwtgate.Policy{})
	require.True(t, viaURL.Passed())
	h = http.Header{}
	viaURL.SetHeaders(h)
	assert.Equal(t, "private", h.Get("Cache-Control"), "a token from the URL (RFC 6750 §2.3)")

	missing := adapt.Authenticate(ctx, a, extractors.FromHTTP(request(t, "/x", "-")), jwtgate.Policy{})
	require.False(t, missing.Passed())
	assert.ErrorIs(t, missing.Err, jwtgate.ErrTokenMissing)
	assert.True(t, missing.MayContinue(), "an authentication's refusal may go on, if the application says so")
	assert.Equal(t, http.StatusUnauthorized, missing.Response().Status)
	h = http.Header{}
	missing.SetHeaders(h)
	assert.Equal(t, `Bearer realm="jwtgate"`, h.Get("WWW-Authenticate"))
	assert.Equal(t, "no-store", h.Get("Cache-Control"))

	r := request(t, "/x", "read")
	guard := adapt.Authorize(ctx, a, extractors.FromHTTP(r), pass.Token, []string{"admin"})
	require.False(t, guard.Passed())
	assert.ErrorIs(t, guard.Err, jwtgate.ErrInsufficientScope)
	assert.False(t, guard.MayContinue(), "a scope guard's refusal never goes on")
	assert.Equal(t, http.StatusForbidden, guard.Response().Status)

	granted := adapt.Authorize(ctx, a, extractors.FromHTTP(r), pass.Token, []string{"read"})
	assert.True(t, granted.Passed())

	var zero adapt.Decision
	assert.True(t, zero.Passed(), "the zero Decision is a pass without a token")
	zero.SetHeaders(http.Header{}) // sets nothing, does not panic
}

// TestWithRefusal: a scope guard after a refusal the application let go on
// refuses the request as authentication did, never as a wiring mistake
// (500) and never letting it through; an error that is not jwtgate's leaves
// the context as it is.
func TestWithRefusal(t *testing.T) {
	t.Parallel()
	a := newAuth(t)
	r := request(t, "/x", "read")
	r.Header.Set("Authorization", "Bearer not-a-jwt")
	refused := adapt.Authenticate(r.Context(), a, extractors.FromHTTP(r), jwtgate.Policy{})
	require.ErrorIs(t, refused.Err, jwtgate.ErrInvalidToken)

	unmarked := adapt.Authorize(r.Context(), a, extractors.FromHTTP(r), nil, []string{"read"})
	assert.ErrorIs(t, unmarked.Err, jwtgate.ErrMisconfigured, "a token sent, none verified, nothing marked: wiring")

	ctx := adapt.WithRefusal(r.Context(), refused.Err)
	marked := adapt.Authorize(ctx, a, extractors.FromHTTP(r), nil, []string{"read"})
	assert.ErrorIs(t, marked.Err, jwtgate.ErrInvalidToken, "refused again as authentication refused it")
	assert.Equal(t, http.StatusUnauthorized, marked.Response().Status)

	other := adapt.WithRefusal(r.Context(), errors.New("not jwtgate's"))
	assert.Equal(t, r.Context(), other, "another error leaves the context as it is")
}

// TestValidateScopes: a route's scopes must be scope tokens that a
// challenge can carry.
func TestValidateScopes(t *testing.T) {
	t.Parallel()
	assert.NoError(t, adapt.ValidateScopes([]string{"orders:read", "admin"}))
	for name, scopes := range map[string][]string{"none": nil, "empty": {""}, "space": {"a b"}, "quote": {`a"`}, "backslash": {`a\b`}, "non-ASCII": {"é"}} {
		assert.Error(t, adapt.ValidateScopes(scopes), name)
	}
	assert.True(t, adapt.ValidScope("orders:read"))
	assert.False(t, adapt.ValidScope("orders read"))
}
