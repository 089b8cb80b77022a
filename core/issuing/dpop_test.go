package issuing_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
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
	require.ErrorIs(t, err, dpop.ErrTokenBound, "Verify has no proof: a bound token is refused")
	access, err := w.auth.VerifyBound(ctx, p.AccessToken, k.JKT())
	require.NoError(t, err)
	assert.Equal(t, k.JKT(), access.JKT, "the access token's cnf.jkt")
	_, err = w.auth.VerifyBound(ctx, p.AccessToken, other.JKT())
	require.ErrorIs(t, err, dpop.ErrTokenBound, "VerifyBound with another key's thumbprint")

	dpopAuth := testAuth(t, func(c *jwtgate.Config) {
		c.Now = w.clock.Now
		c.DPoP = &dpop.Config{Replay: dpop.NewMemoryReplayStore(w.clock.Now)}
	})
	r := httptest.NewRequest(http.MethodGet, "http://api.example/me", nil)
	r.Header.Set("Authorization", "DPoP "+p.AccessToken)
	r.Header.Set("DPoP", k.Proof("GET", "http://api.example/me", w.clock.Now(), p.AccessToken, jwtgatetest.ProofOptions{}))
	_, err = dpopAuth.Authenticate(ctx, extractors.FromHTTP(r))
	require.NoError(t, err, "the bound token with its proof")
	r = httptest.NewRequest(http.MethodGet, "http://api.example/me", nil)
	r.Header.Set("Authorization", "Bearer "+p.AccessToken)
	_, err = dpopAuth.Authenticate(ctx, extractors.FromHTTP(r))
	require.ErrorIs(t, err, dpop.ErrTokenBound, "the bound token as Bearer")

	for name, jkt := range map[string]string{"no proof": "", "another key": other.JKT()} {
		_, err := w.issuer.RefreshWithProof(ctx, p.RefreshToken, jkt)
		require.ErrorIs(t, err, dpop.ErrInvalidProof, name)
		assert.Equal(t, "dpop_proof", jwtgate.Reason(err), name)
	}
	_, err = w.issuer.Refresh(ctx, p.RefreshToken)
	require.ErrorIs(t, err, dpop.ErrInvalidProof, "Refresh is RefreshWithProof without a proof")

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
	require.ErrorIs(t, err, dpop.ErrInvalidProof)
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

// countingReplay counts the proofs a replay store is asked to remember.
type countingReplay struct {
	dpop.ReplayStore
	calls atomic.Int64
}

func (c *countingReplay) Remember(ctx context.Context, id string, issued, until time.Time) (bool, error) {
	c.calls.Add(1)
	return c.ReplayStore.Remember(ctx, id, issued, until)
}

// TestProofRememberedAfterCredentials: the token endpoints record a proof
// as used only once the password or the refresh token is known good, so
// that a flood of wrong passwords or refresh tokens, each with a fresh
// proof of a key of the sender's own, leaves the replay store as it was;
// and a replayed proof with a good refresh token spends nothing (the
// family is not revoked as a reuse).
func TestProofRememberedAfterCredentials(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	replay := &countingReplay{ReplayStore: dpop.NewMemoryReplayStore(w.clock.Now)}
	w.auth = testAuth(t, func(c *jwtgate.Config) {
		c.Revoker = w.store
		c.Now = w.clock.Now
		c.DPoP = &dpop.Config{Replay: replay}
	})
	e := &issuing.Endpoints{Issuer: w.issuer, Authenticator: w.auth, CheckCredentials: alice}
	h := mount(e)
	post := func(path, body, proof string) *httptest.ResponseRecorder {
		r := jsonRequest(http.MethodPost, "http://api.example"+path, body)
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	for i := range 200 {
		k := jwtgatetest.NewDPoPKey("ES256") // a new key each time: nothing to tell them apart by
		rec := post("/login", `{"username":"alice","password":"wrong`+strconv.Itoa(i)+`"}`, k.Proof("POST", "http://api.example/login", w.clock.Now(), "", jwtgatetest.ProofOptions{}))
		require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
		rec = post("/refresh", `{"refresh_token":"x.y.z"}`, k.Proof("POST", "http://api.example/refresh", w.clock.Now(), "", jwtgatetest.ProofOptions{}))
		require.Contains(t, rec.Body.String(), `"invalid_grant"`)
	}
	assert.Zero(t, replay.calls.Load(), "no proof of a refused login or refresh was remembered")

	k := jwtgatetest.NewDPoPKey("ES256")
	rec := post("/login", `{"username":"alice","password":"pw"}`, k.Proof("POST", "http://api.example/login", w.clock.Now(), "", jwtgatetest.ProofOptions{}))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.EqualValues(t, 1, replay.calls.Load(), "a good login's proof is remembered")
	var pair struct {
		RefreshToken string `json:"refresh_token"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &pair))

	proof := k.Proof("POST", "http://api.example/refresh", w.clock.Now(), "", jwtgatetest.ProofOptions{})
	rec = post("/refresh", `{"refresh_token":"`+pair.RefreshToken+`"}`, proof)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var next struct {
		RefreshToken string `json:"refresh_token"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &next))
	rec = post("/refresh", `{"refresh_token":"`+next.RefreshToken+`"}`, proof)
	require.Equal(t, http.StatusBadRequest, rec.Code, "a replayed proof")
	assert.Contains(t, rec.Body.String(), "invalid_dpop_proof")
	rec = post("/refresh", `{"refresh_token":"`+next.RefreshToken+`"}`, k.Proof("POST", "http://api.example/refresh", w.clock.Now(), "", jwtgatetest.ProofOptions{}))
	require.Equal(t, http.StatusOK, rec.Code, "the replay spent nothing: %s", rec.Body.String())
}
