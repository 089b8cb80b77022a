package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ourTTL is the lifetime of the access tokens jwtgate mints here: longer
// than maxAge, so that the verifiers' maximum age is what refuses an old
// token before its exp does.
const ourTTL = 15 * time.Minute

// issue mints an access token with issuing.New, its clock at issuedAt.
func issue(t *testing.T, key *jwtgate.Key) string {
	t.Helper()
	iss, err := issuing.New(issuing.Config{
		Key:       key,
		Issuer:    issuer,
		Audience:  []string{audience},
		Store:     issuing.NewMemoryStore(nil),
		AccessTTL: ourTTL,
		Now:       func() time.Time { return issuedAt },
	})
	require.NoError(t, err)
	pair, err := iss.Login(context.Background(), issuing.Grant{Subject: subject, Scope: scope, ClientID: clientID})
	require.NoError(t, err)
	return pair.AccessToken
}

// checkTheyTake has p verify tok at its first instants, and refuse it once
// too old, expired or forged. key is what verify gets: a public key, a
// secret, or a JWK Set of the library's type.
func checkTheyTake(t *testing.T, p *peer, alg, tok string, key any) {
	t.Helper()
	iat := issuedAt.Truncate(time.Second)
	for _, now := range []time.Time{issuedAt, iat} { // the issuing clock itself, .999 included
		claims, err := p.verify(tok, alg, key, now)
		if assert.NoError(t, err, "%s at %s", p.name, now.Format(time.RFC3339Nano)) {
			assert.Equal(t, subject, claims["sub"])
			assert.Equal(t, clientID, claims["client_id"])
			assert.Equal(t, scope, claims["scope"])
		}
	}
	_, err := p.verify(tok, alg, key, iat.Add(-time.Second))
	assert.Error(t, err, "%s: issued in the future", p.name)
	_, err = p.verify(tok, alg, key, iat.Add(maxAge+time.Second))
	assert.Error(t, err, "%s: older than the maximum age", p.name)
	_, err = p.verify(tok, alg, key, iat.Add(ourTTL+time.Second))
	assert.Error(t, err, "%s: expired", p.name)
	_, err = p.verify(tamper(tok), alg, key, issuedAt)
	assert.Error(t, err, "%s: forged", p.name)
}

// wholeSeconds checks that tok's NumericDates are integers: both libraries
// truncate a fraction away when they read one, so they would not see a
// fractional iat that a verifier rounding its clock down refuses in the
// token's first second (issue 14).
func wholeSeconds(t *testing.T, tok string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	require.NoError(t, dec.Decode(&claims))
	for _, c := range []string{"iat", "exp"} {
		n, ok := claims[c].(json.Number)
		if assert.True(t, ok, "%s is a number", c) {
			_, err := n.Int64()
			assert.NoError(t, err, "%s %s is whole seconds", c, n)
		}
	}
	assert.Equal(t, json.Number(strconv.FormatInt(issuedAt.Unix(), 10)), claims["iat"])
}

// TestOurTokensWithTheKey: access tokens minted by issuing.New, verified by
// each library with the key (HMAC algorithms with the shared secret).
func TestOurTokensWithTheKey(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		for _, alg := range signing.Supported() {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				t.Parallel()
				m := keyFor(t, alg)
				tok := issue(t, m.key)
				wholeSeconds(t, tok)
				if why, lacks := p.lacks[alg]; lacks {
					_, err := p.verify(tok, alg, m.public(), issuedAt)
					assert.Error(t, err, "%s verifies %s after all", p.name, alg)
					t.Skipf("%s: %s", p.name, why)
				}
				checkTheyTake(t, p, alg, tok, m.public())
			})
		}
	}
}

// TestOurJWKSet: jwks.Marshal's set, and the same set served by
// jwks.Handler, read by each library: every key with its kid and alg; then
// jwtgate's tokens verified with the key the library picks from the set by
// kid.
func TestOurJWKSet(t *testing.T) {
	t.Parallel()
	all := asymmetric(t, signing.Supported())
	var published []*jwtgate.Key
	for _, m := range all {
		published = append(published, m.key)
	}
	body, err := jwks.Marshal(published...)
	require.NoError(t, err)
	t.Logf("jwks.Marshal: %s", body)
	srv := httptest.NewServer(jwks.Handler(time.Minute, published...))
	t.Cleanup(srv.Close)

	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			parsed, kidAlg, err := p.parseSet(body)
			require.NoError(t, err, "%s reads jwks.Marshal's set", p.name)
			fetched, fetchedKidAlg, err := p.fetchSet(srv.URL)
			require.NoError(t, err, "%s fetches jwks.Handler's set", p.name)
			for _, m := range all {
				assert.Equal(t, m.alg, kidAlg[m.kid()], "%s reads %s's alg", p.name, m.kid())
				assert.Equal(t, m.alg, fetchedKidAlg[m.kid()])
			}
			for _, m := range all {
				t.Run(m.alg, func(t *testing.T) {
					tok := issue(t, m.key)
					if why, lacks := p.lacks[m.alg]; lacks {
						_, err := p.verify(tok, m.alg, parsed, issuedAt)
						assert.Error(t, err)
						t.Skipf("%s: %s", p.name, why)
					}
					t.Run("Marshal", func(t *testing.T) { checkTheyTake(t, p, m.alg, tok, parsed) })
					t.Run("Handler", func(t *testing.T) { checkTheyTake(t, p, m.alg, tok, fetched) })
				})
			}
		})
	}
}
