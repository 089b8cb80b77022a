package jwtgate_test

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
	"github.com/jwtgate/jwtgate/extractors"
)

// TestTokenJWT: a verified token as golang-jwt's *jwt.Token, what handlers
// migrated from echo-jwt, gin-jwt and gofiber's contrib jwt read: the same
// raw token, method, header, claims value and signature golang-jwt's own
// parser gives, and Valid.
func TestTokenJWT(t *testing.T) {
	t.Parallel()
	raw := mint(testSecret, goodHeader, claimsJSON(""))
	tok, err := testAuth(t, nil).Verify(context.Background(), raw)
	require.NoError(t, err)
	jt := tok.JWT()
	want, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return testSecret, nil }, jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return testNow }))
	require.NoError(t, err)
	assert.Equal(t, want.Raw, jt.Raw)
	assert.Equal(t, want.Method, jt.Method)
	assert.Equal(t, want.Header, jt.Header)
	assert.Equal(t, want.Signature, jt.Signature)
	assert.True(t, jt.Valid)
	assert.Same(t, tok.Claims, jt.Claims, "the token's own claims value")
	sub, err := jt.Claims.GetSubject()
	require.NoError(t, err)
	assert.Equal(t, "user-1", sub)
}

// TestPeerSentinels: errors.Is with echo-jwt's and gofiber's ErrJWTMissing
// and ErrJWTInvalid holds for the refusals they named.
func TestPeerSentinels(t *testing.T) {
	t.Parallel()
	a := testAuth(t, nil)
	ctx := context.Background()
	_, missing := a.Authenticate(ctx, extractors.FromHTTP(httptest.NewRequest(http.MethodGet, "/", nil)))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer a b")
	_, malformed := a.Authenticate(ctx, extractors.FromHTTP(r))
	_, invalid := a.Verify(ctx, mint([]byte("another secret, 32 bytes or more!"), goodHeader, claimsJSON("")))
	for name, c := range map[string]struct {
		err              error
		missing, invalid bool
	}{
		"no token":  {missing, true, false},
		"malformed": {malformed, true, false},
		"forged":    {invalid, false, true},
		"scope":     {mustVerify(t, a).CheckScopes("admin"), false, false},
		"other":     {errors.New("x"), false, false},
	} {
		require.Error(t, c.err, name)
		assert.Equal(t, c.missing, errors.Is(c.err, jwtgate.ErrJWTMissing), name)
		assert.Equal(t, c.invalid, errors.Is(c.err, jwtgate.ErrJWTInvalid), name)
	}
}

func mustVerify(t *testing.T, a *jwtgate.Authenticator) *jwtgate.Token {
	t.Helper()
	tok, err := a.Verify(context.Background(), mint(testSecret, goodHeader, claimsJSON("")))
	require.NoError(t, err)
	return tok
}
