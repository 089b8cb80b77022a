package issuing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/extractors"
)

// TestDPoPBoundFamily: a login with a key's thumbprint yields tokens bound
// to it (cnf.jkt in both, token_type DPoP), usable with a proof of the key
// and refused as bearer tokens; the family refreshes only with a proof of
// the same key, and a refusal spends nothing.
func TestDPoPBoundFamily(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	k, other := jwtgatetest.NewDPoPKey("ES256"), jwtgatetest.NewDPoPKey("ES256")

	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", Scope: "read", JKT: k.JKT()})
	require.NoError(t, err)
	assert.Equal(t, "DPoP", p.TokenType)
	_, err = w.access(t, p.AccessToken)
	require.ErrorIs(t, err, jwtgate.ErrTokenBound, "Verify has no proof: a bound token is refused")
	access, err := w.auth.VerifyBound(ctx, p.AccessToken, k.JKT())
	require.NoError(t, err)
	assert.Equal(t, k.JKT(), access.JKT, "the access token's cnf.jkt")
	_, err = w.auth.VerifyBound(ctx, p.AccessToken, other.JKT())
	require.ErrorIs(t, err, jwtgate.ErrTokenBound, "VerifyBound with another key's thumbprint")

	dpop := testAuth(t, func(c *jwtgate.Config) {
		c.Now = w.clock.Now
		c.DPoP = &jwtgate.DPoP{Replay: jwtgate.NewMemoryReplayStore(w.clock.Now)}
	})
	r := httptest.NewRequest(http.MethodGet, "http://api.example/me", nil)
	r.Header.Set("Authorization", "DPoP "+p.AccessToken)
	r.Header.Set("DPoP", k.Proof("GET", "http://api.example/me", w.clock.Now(), p.AccessToken, jwtgatetest.ProofOptions{}))
	_, err = dpop.Authenticate(ctx, extractors.FromHTTP(r))
	require.NoError(t, err, "the bound token with its proof")
	r = httptest.NewRequest(http.MethodGet, "http://api.example/me", nil)
	r.Header.Set("Authorization", "Bearer "+p.AccessToken)
	_, err = dpop.Authenticate(ctx, extractors.FromHTTP(r))
	require.ErrorIs(t, err, jwtgate.ErrTokenBound, "the bound token as Bearer")

	for name, jkt := range map[string]string{"no proof": "", "another key": other.JKT()} {
		_, err := w.issuer.RefreshWithProof(ctx, p.RefreshToken, jkt)
		require.ErrorIs(t, err, jwtgate.ErrInvalidDPoPProof, name)
		assert.Equal(t, "dpop_proof", jwtgate.Reason(err), name)
	}
	_, err = w.issuer.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, jwtgate.ErrInvalidDPoPProof, "Refresh is RefreshWithProof without a proof")

	p2, err := w.issuer.RefreshWithProof(ctx, p.RefreshToken, k.JKT())
	require.NoError(t, err, "nothing was spent by the refusals")
	assert.Equal(t, "DPoP", p2.TokenType)
	assert.Equal(t, p.Family, p2.Family)
	access2, err := w.auth.VerifyBound(ctx, p2.AccessToken, k.JKT())
	require.NoError(t, err)
	assert.Equal(t, k.JKT(), access2.JKT, "the binding is carried by the refresh token")

	// Reuse detection still holds for a bound family.
	_, err = w.issuer.RefreshWithProof(ctx, p.RefreshToken, k.JKT())
	require.ErrorIs(t, err, issuing.ErrRefreshReused)
}

// TestDPoPUnboundFamily: a family logged in without a key stays unbound: a
// refresh with a proof is refused rather than mixing kinds of token.
func TestDPoPUnboundFamily(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	assert.Equal(t, "Bearer", p.TokenType)
	_, err = w.issuer.RefreshWithProof(ctx, p.RefreshToken, jwtgatetest.NewDPoPKey("ES256").JKT())
	require.ErrorIs(t, err, jwtgate.ErrInvalidDPoPProof)
	p2, err := w.issuer.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, "Bearer", p2.TokenType)
}

// TestDPoPGrantChecks: Grant.JKT must be a thumbprint, and Grant.Claims
// may not set cnf in any case.
func TestDPoPGrantChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	for _, jkt := range []string{"short", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4", "0ZcOCORZNYy+DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I="} {
		_, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", JKT: jkt})
		assert.ErrorContains(t, err, "Grant.JKT", jkt)
	}
	_, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})
	assert.NoError(t, err, "RFC 9449 §6.1's jkt")
	for _, name := range []string{"cnf", "CNF"} {
		_, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", Claims: map[string]any{name: map[string]string{"jkt": "x"}}})
		assert.ErrorContains(t, err, "which the Issuer sets itself", name)
	}
}
