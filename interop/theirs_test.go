package interop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mint has p sign the good and wrong-audience tokens of m's algorithm,
// issued at issuedAt (to the second).
func mint(t *testing.T, p *peer, m *material) theirTokens {
	t.Helper()
	iat := issuedAt.Truncate(time.Second)
	good, err := p.sign(m, claimsAt(iat, audience))
	require.NoError(t, err, "%s signs %s", p.name, m.alg)
	other, err := p.sign(m, claimsAt(iat, "https://api.example.com/another"))
	require.NoError(t, err)
	return theirTokens{good: good, wrongAudience: other}
}

// TestTheirTokensWithTheKey: every algorithm each library has, its tokens
// verified by jwtgate.New given the key itself.
func TestTheirTokensWithTheKey(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		for _, alg := range p.algorithms() {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				t.Parallel()
				m := keyFor(t, alg)
				verifyOnly := &jwtgate.Key{ID: m.kid(), Algorithm: alg, VerifyKey: m.public()}
				checkJwtgateTakes(t, newVerifier(t, verifyOnly), mint(t, p, m))
			})
		}
	}
}

// TestTheirJWKSet: each library publishes every asymmetric algorithm's key
// in one JWK Set; jwks.ParseSet reads every key, bound to the alg the
// library wrote, and jwtgate verifies each algorithm's tokens with it, and
// with the same set fetched by jwks.Remote.
func TestTheirJWKSet(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ms := asymmetric(t, p.algorithms())
			set, err := p.publish(ms)
			require.NoError(t, err)
			t.Logf("%s's JWK Set: %s", p.name, set)

			parsed, err := jwks.ParseSet(set)
			require.NoError(t, err, "jwks.ParseSet of %s's set", p.name)
			for _, m := range ms {
				k, err := parsed.Key(context.Background(), jwtgate.KeyQuery{KeyID: m.kid(), Algorithm: m.alg})
				if assert.NoError(t, err, m.alg) {
					assert.Equal(t, m.alg, k.Algorithm, "bound to the alg %s wrote", p.name)
				}
			}

			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/jwk-set+json")
				_, _ = w.Write(set)
			}))
			t.Cleanup(srv.Close)
			remote, err := jwks.NewRemote(context.Background(), jwks.RemoteOptions{URL: srv.URL, AllowHTTPLoopback: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = remote.Close() })

			fromSet, fromRemote := newVerifier(t, parsed), newVerifier(t, remote)
			for _, m := range ms {
				t.Run(m.alg, func(t *testing.T) {
					toks := mint(t, p, m)
					t.Run("ParseSet", func(t *testing.T) { checkJwtgateTakes(t, fromSet, toks) })
					t.Run("Remote", func(t *testing.T) { checkJwtgateTakes(t, fromRemote, toks) })
				})
			}
		})
	}
}

// TestPeersLack records what each library lacks: the algorithm is refused
// by the library itself, so its absence from the other tests is the
// library's, not a gap of the tests.
func TestPeersLack(t *testing.T) {
	t.Parallel()
	for _, p := range peers {
		var lacked []string
		for alg := range p.lacks {
			lacked = append(lacked, alg)
		}
		sort.Strings(lacked)
		for _, alg := range lacked {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				m := keyFor(t, alg)
				_, err := p.sign(m, claimsAt(issuedAt.Truncate(time.Second), audience))
				assert.Error(t, err, "%s signs %s after all: %s", p.name, alg, p.lacks[alg])
				t.Log(p.lacks[alg])
			})
		}
	}
}
