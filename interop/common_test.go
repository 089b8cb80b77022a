package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The identity every token of these tests carries.
const (
	issuer   = "https://id.example.com/realms/interop"
	audience = "https://api.example.com/orders"
	clientID = "orders-web"
	subject  = "alice"
	scope    = "orders:read orders:write"
	// maxAge is the oldest token a verifier with a maximum token age takes.
	maxAge = 5 * time.Minute
	// accessTTL is the lifetime of every access token minted here.
	accessTTL = 5 * time.Minute
)

// rfc9068Claims are the claims RFC 9068 §2.2 requires of a JWT access
// token (scope is optional there, but sent).
var rfc9068Claims = []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"}

// material is one algorithm's key: a signing key with its ID, usable by
// jwtgate (Key) and, through Private and Public, by the other libraries.
type material struct {
	alg string
	key *jwtgate.Key // VerifyKey and SignKey; for HS* both are the secret
}

func (m *material) kid() string     { return m.key.ID }
func (m *material) private() any    { return m.key.SignKey }
func (m *material) public() any     { return m.key.VerifyKey }
func (m *material) symmetric() bool { return strings.HasPrefix(m.alg, "HS") }

// keys are generated once per test run, one per algorithm, concurrently.
var keys = sync.OnceValues(func() (map[string]*material, error) {
	algs := signing.Supported()
	out := make(map[string]*material, len(algs))
	var mu sync.Mutex
	errs := make([]error, len(algs))
	var wg sync.WaitGroup
	for i, alg := range algs {
		wg.Go(func() {
			var sign, verify any
			switch alg[:2] {
			case "HS":
				secret := make([]byte, 64)
				_, _ = rand.Read(secret)
				sign, verify = secret, secret
			case "RS", "PS":
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					errs[i] = err
					return
				}
				sign, verify = k, &k.PublicKey
			case "ES":
				curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
				k, err := ecdsa.GenerateKey(curve, rand.Reader)
				if err != nil {
					errs[i] = err
					return
				}
				sign, verify = k, &k.PublicKey
			case "Ed":
				pub, priv, err := ed25519.GenerateKey(rand.Reader)
				if err != nil {
					errs[i] = err
					return
				}
				sign, verify = priv, pub
			}
			m := &material{alg: alg, key: &jwtgate.Key{ID: "kid-" + strings.ToLower(alg), Algorithm: alg, VerifyKey: verify, SignKey: sign}}
			mu.Lock()
			out[alg] = m
			mu.Unlock()
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
})

func keyFor(t testing.TB, alg string) *material {
	t.Helper()
	all, err := keys()
	require.NoError(t, err)
	return all[alg]
}

// asymmetric returns the materials of every public-key algorithm in algs.
func asymmetric(t testing.TB, algs []string) []*material {
	var out []*material
	for _, alg := range algs {
		if m := keyFor(t, alg); !m.symmetric() {
			out = append(out, m)
		}
	}
	return out
}

// issuedAt is the instant of issuing of the tests that set a clock: a
// whole second and a sub-second part, so that a verifier with a clock that
// is not rounded sees the token in its first second.
var issuedAt = time.Date(2031, 5, 17, 9, 30, 0, 999_000_000, time.UTC)

// claimsAt are the claims of an access token issued at iat (a whole
// second) to aud: RFC 9068 §2.2's and a scope.
func claimsAt(iat time.Time, aud string) map[string]any {
	return map[string]any{
		"iss": issuer, "sub": subject, "aud": aud, "client_id": clientID, "scope": scope,
		"jti": rand.Text(), "iat": iat.Unix(), "exp": iat.Add(accessTTL).Unix(),
	}
}

// tamper changes a character early in the signature, so the token is
// certainly forged (not only its unused trailing bits).
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// verifier is jwtgate at its strictest for RFC 9068 access tokens, with a
// clock the test sets.
type verifier struct {
	auth *jwtgate.Authenticator
	now  time.Time
	mu   sync.Mutex
}

func newVerifier(t testing.TB, keys jwtgate.KeySource) *verifier {
	t.Helper()
	v := &verifier{now: issuedAt}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:              keys,
		Issuer:            []string{issuer},
		Audience:          []string{audience},
		AuthorizedParties: []string{clientID},
		Types:             []string{"at+jwt"},
		RequiredClaims:    []string{"sub", "jti", "iat", "client_id"},
		Leeway:            jwtgate.NoLeeway,
		Now: func() time.Time {
			v.mu.Lock()
			defer v.mu.Unlock()
			return v.now
		},
	})
	require.NoError(t, err)
	v.auth = auth
	return v
}

func (v *verifier) at(now time.Time) *verifier {
	v.mu.Lock()
	v.now = now
	v.mu.Unlock()
	return v
}

func (v *verifier) verify(tok string) (*jwtgate.Token, error) {
	return v.auth.Verify(context.Background(), tok)
}

// theirTokens are the tokens a library minted for one algorithm: a good
// one issued at issuedAt (to the second), and the ones jwtgate must refuse.
type theirTokens struct {
	good, wrongAudience string
}

// checkJwtgateTakes walks jwtgate through one library's tokens of one
// algorithm: the good one from its first instant to its last, and no
// other.
func checkJwtgateTakes(t *testing.T, v *verifier, toks theirTokens) {
	t.Helper()
	iat := issuedAt.Truncate(time.Second)
	for _, now := range []time.Time{iat, issuedAt, iat.Add(accessTTL - time.Nanosecond)} {
		tok, err := v.at(now).verify(toks.good)
		if assert.NoError(t, err, "at %s", now.Format(time.RFC3339Nano)) {
			assert.Equal(t, subject, tok.Subject)
			assert.Equal(t, clientID, tok.ClientID)
			assert.Equal(t, []string{"orders:read", "orders:write"}, tok.Scopes())
			assert.Equal(t, "at+jwt", tok.Type)
		}
	}
	_, err := v.at(iat.Add(accessTTL)).verify(toks.good)
	assert.ErrorIs(t, err, jwt.ErrTokenExpired, "at exp, with no leeway")
	_, err = v.at(iat.Add(-time.Nanosecond)).verify(toks.good)
	assert.ErrorIs(t, err, jwt.ErrTokenUsedBeforeIssued, "before iat, with no leeway")
	_, err = v.at(issuedAt).verify(tamper(toks.good))
	assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid, "forged")
	_, err = v.at(issuedAt).verify(toks.wrongAudience)
	assert.ErrorIs(t, err, jwt.ErrTokenInvalidAudience, "wrong audience")
}

// checkRFC9068 is the part of RFC 9068 §4's validation that neither
// library does itself: every claim of §2.2 present.
func checkRFC9068(claims map[string]any) error {
	var missing []string
	for _, c := range rfc9068Claims {
		if v, ok := claims[c]; !ok || v == nil || v == "" {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return errors.New("RFC 9068 claims missing: " + strings.Join(missing, ", "))
	}
	return nil
}
