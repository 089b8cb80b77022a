package issuing_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// world is an Issuer and the Authenticator of the API it issues for, sharing
// one store and one clock.
type world struct {
	clock  *jwtgatetest.Clock
	store  issuing.Store
	issuer *issuing.Issuer
	auth   *jwtgate.Authenticator
}

func newWorld(t testing.TB, store func(now func() time.Time) issuing.Store) *world {
	t.Helper()
	w := &world{clock: jwtgatetest.NewClock(testNow)}
	if store == nil {
		store = func(now func() time.Time) issuing.Store { return issuing.NewMemoryStore(now) }
	}
	w.store = store(w.clock.Now)
	var err error
	w.issuer, err = issuing.New(issuing.Config{
		Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "https://issuer.example", Audience: []string{"api://svc"},
		Store: w.store, Now: w.clock.Now, Leeway: jwtgate.NoLeeway,
	})
	require.NoError(t, err)
	w.auth = testAuth(t, func(c *jwtgate.Config) {
		c.Revoker = w.store
		c.Now = w.clock.Now
	})
	return w
}

func (w *world) access(t testing.TB, tok string) (*jwtgate.Token, error) {
	t.Helper()
	return w.auth.Verify(context.Background(), tok)
}

type tenantClaims struct {
	Tenant string `json:"tenant"`
	Level  int    `json:"level"`
}

func TestLoginIssuesAccessToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice", Scope: "read write", Claims: tenantClaims{Tenant: "acme", Level: 3}})
	require.NoError(t, err)
	assert.Equal(t, "Bearer", p.TokenType)
	assert.Equal(t, int64(900), p.ExpiresIn)
	assert.Equal(t, testNow.Add(15*time.Minute), p.AccessExpiresAt)
	assert.Equal(t, testNow.Add(7*24*time.Hour), p.RefreshExpiresAt)

	tok, err := w.access(t, p.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "at+jwt", tok.Type)
	assert.Equal(t, "alice", tok.Subject)
	assert.Equal(t, "https://issuer.example", tok.Issuer)
	assert.Equal(t, p.Family, tok.SessionID)
	assert.Len(t, tok.ID, 22)
	assert.Equal(t, testNow, tok.IssuedAt)
	assert.Equal(t, []string{"read", "write"}, tok.Scopes())
	var tenant string
	found, err := tok.Claims.(*jwtgate.Claims).Get("tenant", &tenant)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "acme", tenant)

	p2, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	tok2, err := w.access(t, p2.AccessToken)
	require.NoError(t, err)
	assert.NotEqual(t, tok.ID, tok2.ID, "jti is unique")
	assert.NotEqual(t, p.Family, p2.Family, "each login is a family")
}

func TestTokenKindsNeverMix(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	p, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
	require.NoError(t, err)

	_, err = w.access(t, p.RefreshToken)
	assert.ErrorIs(t, err, jwtgate.ErrInvalidToken, "a refresh token is not an access token")
	assert.Equal(t, "type", jwtgate.Reason(err))

	_, err = w.issuer.Refresh(context.Background(), p.AccessToken)
	assert.ErrorIs(t, err, issuing.ErrInvalidGrant, "an access token cannot refresh")
	var grant *jwtgate.Error
	require.ErrorAs(t, err, &grant)
	assert.Equal(t, "type", jwtgate.Reason(grant.Cause), "refused for its typ")

	// Even an API that accepts any typ refuses the refresh token: its aud is
	// the issuer, not the API.
	lax := testAuth(t, func(c *jwtgate.Config) { c.Types = []string{"", "JWT", "at+jwt", "refresh+jwt"}; c.Now = w.clock.Now })
	_, err = lax.Verify(context.Background(), p.RefreshToken)
	assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
}

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	p1, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", Scope: "read", Claims: map[string]any{"tenant": "acme", "n": 12345678901234567}})
	require.NoError(t, err)

	w.clock.Advance(10 * time.Minute)
	p2, err := w.issuer.Refresh(ctx, p1.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, p1.Family, p2.Family)
	assert.NotEqual(t, p1.RefreshToken, p2.RefreshToken)
	tok, err := w.access(t, p2.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "alice", tok.Subject)
	assert.Equal(t, []string{"read"}, tok.Scopes(), "the grant is carried over")
	var n int64
	_, err = tok.Claims.(*jwtgate.Claims).Get("n", &n)
	require.NoError(t, err)
	assert.Equal(t, int64(12345678901234567), n, "numbers are carried exactly")

	w.clock.Advance(10 * time.Minute)
	_, err = w.access(t, p1.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrInvalidToken, "the first access token expired on its own")
	p3, err := w.issuer.Refresh(ctx, p2.RefreshToken)
	require.NoError(t, err, "a refresh token is good until it is used")
	_, err = w.access(t, p3.AccessToken)
	require.NoError(t, err)
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	victim, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	other, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)

	stolen := victim.RefreshToken
	thief, err := w.issuer.Refresh(ctx, stolen) // the thief refreshes first
	require.NoError(t, err)
	_, err = w.issuer.Refresh(ctx, stolen) // the victim's client, later
	assert.ErrorIs(t, err, issuing.ErrInvalidGrant)
	assert.ErrorIs(t, err, issuing.ErrRefreshReused)

	_, err = w.issuer.Refresh(ctx, thief.RefreshToken)
	assert.ErrorIs(t, err, issuing.ErrInvalidGrant, "the thief's refresh token is dead")
	_, err = w.access(t, thief.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "the thief's access token is dead")
	_, err = w.access(t, victim.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "the victim's access token too")

	_, err = w.access(t, other.AccessToken)
	assert.NoError(t, err, "another login of the same user is untouched")
	_, err = w.issuer.Refresh(ctx, other.RefreshToken)
	assert.NoError(t, err)
}

func TestRefreshFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	forged := p.RefreshToken[:len(p.RefreshToken)-5] + flipFirst(p.RefreshToken[len(p.RefreshToken)-5:])

	tests := []struct {
		name  string
		token string
		at    time.Duration
		cause error
	}{
		{name: "forged", token: forged, cause: jwtgate.ErrInvalidToken},
		{name: "garbage", token: "x.y.z", cause: jwtgate.ErrInvalidToken},
		{name: "empty", token: "", cause: jwtgate.ErrInvalidToken},
		{name: "expired", token: p.RefreshToken, at: 7*24*time.Hour + time.Second, cause: jwtgate.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w2 := *w
			w2.clock = jwtgatetest.NewClock(testNow.Add(tt.at))
			_, err := w.issuer.Refresh(ctx, tt.token)
			if tt.at > 0 {
				i, ierr := issuing.New(issuing.Config{Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "https://issuer.example", Audience: []string{"api://svc"}, Store: w.store, Now: w2.clock.Now, Leeway: jwtgate.NoLeeway})
				require.NoError(t, ierr)
				_, err = i.Refresh(ctx, tt.token)
			}
			assert.ErrorIs(t, err, issuing.ErrInvalidGrant)
			assert.ErrorIs(t, err, tt.cause)
			r := w.auth.Response(err)
			assert.Equal(t, 401, r.Status)
			assert.Equal(t, "invalid_grant", r.Code)
		})
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	p2, err := w.issuer.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	tok, err := w.access(t, p2.AccessToken)
	require.NoError(t, err)

	require.NoError(t, w.issuer.Logout(ctx, tok))
	_, err = w.access(t, p2.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked)
	_, err = w.access(t, p.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "earlier access tokens of the family too")
	_, err = w.issuer.Refresh(ctx, p2.RefreshToken)
	assert.ErrorIs(t, err, issuing.ErrInvalidGrant, "the refresh token is dead")
	assert.Error(t, w.issuer.Logout(ctx, nil))
}

func TestRevokeSubject(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	a1, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	b1, err := w.issuer.Login(ctx, issuing.Grant{Subject: "bob"})
	require.NoError(t, err)
	w.clock.Advance(time.Millisecond)
	require.NoError(t, w.issuer.RevokeSubject(ctx, "alice"))

	_, err = w.access(t, a1.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked)
	_, err = w.issuer.Refresh(ctx, a1.RefreshToken)
	assert.ErrorIs(t, err, issuing.ErrInvalidGrant)
	_, err = w.access(t, b1.AccessToken)
	assert.NoError(t, err)

	w.clock.Advance(time.Millisecond) // a new login just after "log out everywhere", in the same second
	a2, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	tok, err := w.access(t, a2.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, a1.IssuedAt, tok.IssuedAt, "whole seconds: the same iat as the revoked login's")
	p2, err := w.issuer.Refresh(ctx, a2.RefreshToken)
	require.NoError(t, err, "and its refresh token works")
	_, err = w.access(t, p2.AccessToken)
	assert.NoError(t, err)
}

// TestTokensMeetRFC9068 decodes an access token as any verifier would: the
// at+jwt profile's claims (RFC 9068 §2.2), NumericDates as integers (a
// verifier that rounds "now" down to the second must not see a token from
// the future), client_id carried through refreshes.
func TestTokensMeetRFC9068(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	w.clock.Set(testNow.Add(999 * time.Millisecond))
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice", ClientID: "mobile-app"})
	require.NoError(t, err)
	for _, tok := range []string{p.AccessToken, p.RefreshToken} {
		var claims map[string]any
		dec := json.NewDecoder(strings.NewReader(payloadOf(t, tok)))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&claims))
		for _, name := range []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} {
			assert.Contains(t, claims, name, "RFC 9068 §2.2 requires %s", name)
		}
		assert.Equal(t, "mobile-app", claims["client_id"])
		for _, name := range []string{"iat", "exp"} {
			n := claims[name].(json.Number).String()
			assert.NotContains(t, n, ".", "%s is whole seconds", name)
		}
		assert.Equal(t, json.Number(strconv.FormatInt(testNow.Unix(), 10)), claims["iat"], "rounded down, never up")
	}
	p2, err := w.issuer.Refresh(ctx, p.RefreshToken)
	require.NoError(t, err)
	tok, err := w.access(t, p2.AccessToken)
	require.NoError(t, err)
	var cid string
	_, err = tok.Claims.(*jwtgate.Claims).Get("client_id", &cid)
	require.NoError(t, err)
	assert.Equal(t, "mobile-app", cid, "carried through a refresh")

	p3, err := w.issuer.Login(ctx, issuing.Grant{Subject: "bob"})
	require.NoError(t, err)
	tok, err = w.access(t, p3.AccessToken)
	require.NoError(t, err)
	_, err = tok.Claims.(*jwtgate.Claims).Get("client_id", &cid)
	require.NoError(t, err)
	assert.Equal(t, "https://issuer.example", cid, "default: Config.ClientID, which defaults to the issuer")
}

func payloadOf(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	return string(b)
}

// flakyStore fails every call while down is set.
type flakyStore struct {
	issuing.Store
	down atomic.Bool
}

var errDown = errors.New("store: connection refused")

func (s *flakyStore) IsRevoked(ctx context.Context, t *jwtgate.Token) (bool, error) {
	if s.down.Load() {
		return false, errDown
	}
	return s.Store.IsRevoked(ctx, t)
}

func (s *flakyStore) StartFamily(ctx context.Context, f, id string, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.StartFamily(ctx, f, id, until)
}

func (s *flakyStore) RotateFamily(ctx context.Context, f, p, n string, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.RotateFamily(ctx, f, p, n, until)
}

func (s *flakyStore) RevokeToken(ctx context.Context, id string, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.RevokeToken(ctx, id, until)
}

func (s *flakyStore) RevokeFamily(ctx context.Context, f string, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.RevokeFamily(ctx, f, until)
}

func (s *flakyStore) RevokeSubject(ctx context.Context, sub string, before, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.RevokeSubject(ctx, sub, before, until)
}

func TestStoreDownFailsClosed(t *testing.T) {
	t.Parallel()
	var flaky *flakyStore
	w := newWorld(t, func(now func() time.Time) issuing.Store {
		flaky = &flakyStore{Store: issuing.NewMemoryStore(now)}
		return flaky
	})
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	tok, err := w.access(t, p.AccessToken)
	require.NoError(t, err)

	flaky.down.Store(true)
	_, err = w.access(t, p.AccessToken)
	assert.ErrorIs(t, err, jwtgate.ErrUnavailable)
	assert.Equal(t, 503, w.auth.Response(err).Status)
	_, err = w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	assert.ErrorIs(t, err, jwtgate.ErrUnavailable)
	_, err = w.issuer.Refresh(ctx, p.RefreshToken)
	assert.ErrorIs(t, err, jwtgate.ErrUnavailable)
	assert.ErrorIs(t, w.issuer.Logout(ctx, tok), jwtgate.ErrUnavailable)
	assert.ErrorIs(t, w.issuer.RevokeSubject(ctx, "alice"), jwtgate.ErrUnavailable)
	assert.NotContains(t, w.auth.Response(err).Description, "connection refused")

	flaky.down.Store(false)
	_, err = w.access(t, p.AccessToken)
	assert.NoError(t, err, "back when the store is")
	_, err = w.issuer.Refresh(ctx, p.RefreshToken)
	assert.NoError(t, err, "a refresh that failed on the store did not spend the token")
}

func TestNewIssuerConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := issuing.New(issuing.Config{})
	require.Error(t, err)
	for _, want := range []string{"Key is required", "Issuer is required", "Audience is required", "Store is required"} {
		assert.ErrorContains(t, err, want)
	}
	base := issuing.Config{Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "i", Audience: []string{"a"}, Store: issuing.NewMemoryStore(nil)}
	c := base
	c.Key = &jwtgate.Key{Algorithm: "HS256", VerifyKey: testSecret}
	_, err = issuing.New(c)
	assert.ErrorContains(t, err, "no SignKey")
	c = base
	c.Key = jwtgate.HMAC([]byte("short"), "HS256")
	_, err = issuing.New(c)
	assert.ErrorContains(t, err, "needs at least 32")
	c = base
	c.RefreshTTL = time.Minute
	_, err = issuing.New(c)
	assert.ErrorContains(t, err, "shorter than AccessTTL")
	c = base
	c.SubjectRevocationTTL = issuing.DefaultRefreshTTL - time.Second
	_, err = issuing.New(c)
	assert.ErrorContains(t, err, "SubjectRevocationTTL is shorter than RefreshTTL")
	c = base
	c.SubjectRevocationTTL = -time.Second
	_, err = issuing.New(c)
	assert.ErrorContains(t, err, "may not be negative")
	c = base
	c.SubjectRevocationTTL = issuing.DefaultRefreshTTL
	_, err = issuing.New(c)
	assert.NoError(t, err, "as long as RefreshTTL")
	c = base
	c.RefreshTTL = 2 * issuing.DefaultSubjectRevocationTTL
	_, err = issuing.New(c)
	assert.NoError(t, err, "the default is never shorter than RefreshTTL")

	i, err := issuing.New(base)
	require.NoError(t, err)
	_, err = i.Login(context.Background(), issuing.Grant{})
	assert.ErrorContains(t, err, "Subject is empty")
	_, err = i.Login(context.Background(), issuing.Grant{Subject: "a", Claims: map[string]any{"exp": 1}})
	assert.ErrorContains(t, err, `sets "exp"`)
	_, err = i.Login(context.Background(), issuing.Grant{Subject: "a", Claims: []int{1}})
	assert.ErrorContains(t, err, "JSON object")
	_, err = i.Login(context.Background(), issuing.Grant{Subject: "a", Claims: make(chan int)})
	assert.ErrorContains(t, err, "Grant.Claims")
}

// TestConcurrentFlow logs in, refreshes (racing on shared refresh tokens),
// calls and logs out from many goroutines at once. Run under -race.
func TestConcurrentFlow(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	const users = 16
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "user-" + string(rune('a'+u))})
			if !assert.NoError(t, err) {
				return
			}
			// Four clients race to refresh the same token.
			var wins atomic.Int32
			var pairs [4]*issuing.Pair
			var inner sync.WaitGroup
			for c := range 4 {
				inner.Add(1)
				go func() {
					defer inner.Done()
					if np, err := w.issuer.Refresh(ctx, p.RefreshToken); err == nil {
						wins.Add(1)
						pairs[c] = np
					} else {
						assert.ErrorIs(t, err, issuing.ErrInvalidGrant)
					}
				}()
			}
			inner.Wait()
			assert.Equal(t, int32(1), wins.Load(), "exactly one refresh of one token wins")
			// The losers presented a spent token: the family is revoked, the
			// winner's pair with it.
			for _, np := range pairs {
				if np != nil {
					_, err := w.access(t, np.AccessToken)
					assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked)
				}
			}
			// A fresh login, used and logged out.
			q, err := w.issuer.Login(ctx, issuing.Grant{Subject: "user-" + string(rune('a'+u))})
			if !assert.NoError(t, err) {
				return
			}
			tok, err := w.access(t, q.AccessToken)
			if !assert.NoError(t, err) {
				return
			}
			assert.NoError(t, w.issuer.Logout(ctx, tok))
			_, err = w.access(t, q.AccessToken)
			assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "no lost revocation")
			_, err = w.issuer.Refresh(ctx, q.RefreshToken)
			assert.ErrorIs(t, err, issuing.ErrInvalidGrant)
		}()
	}
	wg.Wait()
}

// TestIssuerAsymmetric issues and refreshes with every asymmetric algorithm:
// the private key signs, the public key verifies.
func TestIssuerAsymmetric(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	for _, k := range []*jwtgate.Key{
		{ID: "rs", Algorithm: "RS512", VerifyKey: &rsaKey.PublicKey, SignKey: rsaKey},
		{ID: "ps", Algorithm: "PS256", VerifyKey: &rsaKey.PublicKey, SignKey: rsaKey},
		{ID: "es", Algorithm: "ES512", VerifyKey: &ecKey.PublicKey, SignKey: ecKey},
		{ID: "ed", Algorithm: "EdDSA", VerifyKey: edPub, SignKey: edPriv},
	} {
		t.Run(k.Algorithm, func(t *testing.T) {
			t.Parallel()
			store := issuing.NewMemoryStore(nil)
			issuer, err := issuing.New(issuing.Config{Key: k, Issuer: "iss", Audience: []string{"aud"}, Store: store})
			require.NoError(t, err)
			auth, err := jwtgate.New(jwtgate.Config{Keys: &jwtgate.Key{ID: k.ID, Algorithm: k.Algorithm, VerifyKey: k.VerifyKey}, Issuer: []string{"iss"}, Audience: []string{"aud"}, Revoker: store})
			require.NoError(t, err)
			p, err := issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
			require.NoError(t, err)
			tok, err := auth.Verify(context.Background(), p.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, k.Algorithm, tok.Algorithm)
			assert.Equal(t, k.ID, tok.KeyID)
			p2, err := issuer.Refresh(context.Background(), p.RefreshToken)
			require.NoError(t, err)
			_, err = auth.Verify(context.Background(), p2.AccessToken)
			require.NoError(t, err)
		})
	}
}

// TestIssuerRefusesCaseVariantGrantClaims: Grant.Claims may come from user
// input; names that every verifier refuses (equal under case folding to
// each other or to a claim the Issuer sets) are refused at login rather than
// minted (FMT-13).
func TestIssuerRefusesCaseVariantGrantClaims(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	for _, claims := range []any{
		map[string]any{"role": "user", "ROLE": "admin"},
		map[string]any{"kind": 1, "\u212aind": 2},
		map[string]any{"org": map[string]any{"role": "user", "Role": "admin"}},
		map[string]any{"EXP": 1},
		map[string]any{"\u017fub": "admin"},
	} {
		_, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice", Claims: claims})
		assert.Error(t, err, "%v", claims)
	}
	pair, err := w.issuer.Login(context.Background(), issuing.Grant{Subject: "alice", Claims: map[string]any{"role": "user", "roles": []string{"a"}}})
	require.NoError(t, err)
	_, err = w.access(t, pair.AccessToken)
	require.NoError(t, err)
}

// TestRefreshReuseLogged: a spent refresh token that comes back leaves one
// Warn record for the operator (the family, the subject, the client; never
// the token), at most one a second.
func TestRefreshReuseLogged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := jwtgatetest.NewClock(testNow)
	var logs bytes.Buffer
	var mu sync.Mutex
	iss, err := issuing.New(issuing.Config{
		Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "https://issuer.example", Audience: []string{"api://svc"},
		Store: issuing.NewMemoryStore(clock.Now), Now: clock.Now, Leeway: jwtgate.NoLeeway,
		Logger: slog.New(slog.NewTextHandler(lockedBuffer{&mu, &logs}, nil)),
	})
	require.NoError(t, err)
	// reuse logs in, refreshes, and presents the spent refresh token again.
	reuse := func() *issuing.Pair {
		p, err := iss.Login(ctx, issuing.Grant{Subject: "alice", ClientID: "orders-web"})
		require.NoError(t, err)
		_, err = iss.Refresh(ctx, p.RefreshToken)
		require.NoError(t, err)
		_, err = iss.Refresh(ctx, p.RefreshToken)
		require.ErrorIs(t, err, issuing.ErrRefreshReused)
		return p
	}
	read := func() string {
		mu.Lock()
		defer mu.Unlock()
		return logs.String()
	}
	p := reuse()
	reuse()
	reuse()
	out := read()
	assert.Equal(t, 1, strings.Count(out, "level=WARN"), "one record a second: %s", out)
	assert.Contains(t, out, "reason=refresh_reused")
	assert.Contains(t, out, "sid="+p.Family)
	assert.Contains(t, out, "sub=alice")
	assert.Contains(t, out, "client_id=orders-web")
	for _, seg := range strings.Split(p.RefreshToken, ".")[1:] {
		assert.NotContains(t, out, seg, "never the token")
	}
	clock.Advance(2 * time.Second)
	reuse()
	out = read()
	assert.Equal(t, 2, strings.Count(out, "level=WARN"))
	assert.Contains(t, out, "suppressed=2")
}

// lockedBuffer is an io.Writer safe for the logger's use.
type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// idToken signs a token as an identity provider sharing the API's key would:
// no sid, so nothing but its jti and its sub can revoke it. A zero exp
// leaves exp out.
func idToken(t testing.TB, jti, sub string, iat, exp time.Time) string {
	t.Helper()
	c := jwt.MapClaims{"iss": "https://issuer.example", "aud": "api://svc", "sub": sub, "jti": jti, "iat": iat.Unix()}
	if !exp.IsZero() {
		c["exp"] = exp.Unix()
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(testSecret)
	require.NoError(t, err)
	return s
}

// TestRevokeSubjectOutlivesRefreshTTL: "log out everywhere" reaches tokens
// the Issuer did not mint, which may live longer than its refresh tokens: a
// 30-day token issued before the mark is refused on day 8 and on day 29.
func TestRevokeSubjectOutlivesRefreshTTL(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	w.clock.Advance(time.Minute) // past the store's first second
	iat := w.clock.Now()
	long := idToken(t, "idp-1", "alice", iat, iat.Add(30*24*time.Hour))
	other := idToken(t, "idp-2", "bob", iat, iat.Add(30*24*time.Hour))
	_, err := w.access(t, long)
	require.NoError(t, err)
	w.clock.Advance(time.Hour)
	require.NoError(t, w.issuer.RevokeSubject(ctx, "alice"))
	for _, day := range []int{8, 29} {
		w.clock.Set(iat.Add(time.Duration(day) * 24 * time.Hour))
		_, err := w.access(t, long)
		assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "day %d", day)
		_, err = w.access(t, other)
		assert.NoError(t, err, "day %d: another subject's token", day)
	}
}

// TestLogoutOutlivesLeeway: a token without sid is revoked by its jti alone,
// and stays refused for as long as a verifier's leeway accepts it past its
// exp, up to jwtgate.MaxLeeway.
func TestLogoutOutlivesLeeway(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	w.clock.Advance(time.Minute)
	iat := w.clock.Now()
	exp := iat.Add(15 * time.Minute)
	tok, other := idToken(t, "idp-1", "alice", iat, exp), idToken(t, "idp-2", "alice", iat, exp)
	widest := testAuth(t, func(c *jwtgate.Config) {
		c.Revoker, c.Now, c.Leeway = w.store, w.clock.Now, jwtgate.MaxLeeway
	})
	verified, err := widest.Verify(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, w.issuer.Logout(ctx, verified))
	for _, after := range []time.Duration{jwtgate.DefaultLeeway - time.Second, jwtgate.MaxLeeway - time.Millisecond} {
		w.clock.Set(exp.Add(after))
		_, err = widest.Verify(ctx, tok)
		assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "exp + %v", after)
		_, err = widest.Verify(ctx, other)
		assert.NoError(t, err, "exp + %v: a token nobody revoked is still accepted", after)
	}
}

// TestLogoutWithoutExp: a token without exp, revoked by its jti, stays
// refused for SubjectRevocationTTL, not only the refresh tokens' lifetime.
func TestLogoutWithoutExp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	w.clock.Advance(time.Minute)
	iat := w.clock.Now()
	tok, other := idToken(t, "idp-1", "alice", iat, time.Time{}), idToken(t, "idp-2", "alice", iat, time.Time{})
	auth := testAuth(t, func(c *jwtgate.Config) {
		c.Revoker, c.Now, c.ExpirationOptional = w.store, w.clock.Now, true
	})
	verified, err := auth.Verify(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, w.issuer.Logout(ctx, verified))
	for _, day := range []int{8, 89} {
		w.clock.Set(iat.Add(time.Duration(day) * 24 * time.Hour))
		_, err = auth.Verify(ctx, tok)
		assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "day %d", day)
		_, err = auth.Verify(ctx, other)
		assert.NoError(t, err, "day %d: a token nobody revoked", day)
	}
}
