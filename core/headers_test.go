package jwtgate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoHeaders are headers that pass, each beside near misses of it that
// must not: the memo of a passing header must not answer for any of them.
var memoHeaders = []string{
	`{"alg":"HS256","typ":"JWT"}`,
	`{"typ":"JWT","alg":"HS256"}`,
	`{"alg":"HS256"}`,
	`{"alg":"HS256","typ":"at+jwt"}`,
	`{"alg":"HS256","typ":"JWT","kid":"k1"}`,
	`{"alg":"HS256","typ":"JWT","kid":"k2"}`,
	`{"alg":"HS\u0032\u0035\u0036","typ":"JWT"}`,
	`{"alg":"HS256","typ":"JWT","x-crit":1,"crit":["x-crit"]}`,
	`{"alg":"HS256","typ":"JWT"} `,
	// Near misses: the algorithm, the allow-lists, duplicates, embedded
	// keys, nesting, crit.
	`{"alg":"none","typ":"JWT"}`,
	`{"alg":"HS384","typ":"JWT"}`,
	`{"alg":"RS256","typ":"JWT"}`,
	`{"alg":"hs256","typ":"JWT"}`,
	`{"alg":"HS256","typ":"JOSE"}`,
	`{"alg":"HS256","alg":"HS256","typ":"JWT"}`,
	`{"alg":"HS256","ALG":"HS256","typ":"JWT"}`,
	`{"alg":"HS256","typ":"JWT","jku":"https://attacker.example/jwks"}`,
	`{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":"AA"}}`,
	`{"alg":"HS256","typ":"JWT","b64":false}`,
	`{"alg":"HS256","typ":"JWT","cty":"JWT"}`,
	`{"alg":"HS256","typ":"JWT","crit":["exp"]}`,
	`{"alg":"HS256","typ":"JWT","crit":["x-crit"]}`,
	`{"alg":"HS256","typ":"JWT",}`,
	`{"alg":"HS256","typ":"JWT"`,
}

// TestHeaderMemoChangesNoVerdict verifies tokens signed with the right
// secret under every header of memoHeaders, twice over, with one
// Authenticator that remembers every header it has seen pass and, for each
// token, a fresh one that remembers nothing: both must answer the
// same (verdict, reason, the token's header fields). Then each accepted
// header with a forged signature, which its memo must not let through.
func TestHeaderMemoChangesNoVerdict(t *testing.T) {
	t.Parallel()
	cfg := func(c *jwtgate.Config) {
		c.CacheSize = -1 // every token verified, none served from the cache
		c.CriticalHeaders = []string{"x-crit"}
		c.Types = []string{"JWT", "at+jwt", ""}
	}
	ctx := context.Background()
	warm := testAuth(t, cfg)
	compare := func(tok string) (accepted bool) {
		tc, ec := testAuth(t, cfg).Verify(ctx, tok)
		tw, ew := warm.Verify(ctx, tok)
		require.Equal(t, ec == nil, ew == nil, "%s: cold %v, warm %v", tok, ec, ew)
		if ec != nil {
			assert.Equal(t, jwtgate.Reason(ec), jwtgate.Reason(ew), tok)
			assert.Equal(t, ec.Error(), ew.Error(), tok)
			return false
		}
		assert.Equal(t, [3]string{tc.Algorithm, tc.KeyID, tc.Type}, [3]string{tw.Algorithm, tw.KeyID, tw.Type}, tok)
		return true
	}
	var accepted []string
	for round := range 2 {
		n := 0
		for _, h := range memoHeaders {
			tok := mint(testSecret, h, claimsJSON(""))
			if compare(tok) {
				n++
				if round == 0 {
					accepted = append(accepted, tok)
				}
			}
		}
		// What the memo is there for, and what it must refuse, are both here.
		assert.Equal(t, 9, n, "round %d", round)
	}
	assert.Positive(t, jwtgate.HeaderMemos(warm), "the accepted headers were remembered")
	for _, tok := range accepted {
		forged := tok[:len(tok)-1] + map[bool]string{true: "A", false: "B"}[tok[len(tok)-1] != 'A']
		assert.False(t, compare(forged), "forged signature under a remembered header: %s", forged)
	}
}

// TestHeaderMemoSlots: a header that fails its checks is never remembered;
// one that passes takes an empty slot even when the token is then refused
// (its signature, its claims); only a valid token's header takes a slot
// another header holds, and a refused token never takes it back.
func TestHeaderMemoSlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	noCache := func(c *jwtgate.Config) { c.CacheSize = -1 }
	seg := func(tok string) string { return tok[:strings.IndexByte(tok, '.')] }
	forge := func(tok string) string {
		return tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tok, "AA")]
	}

	a := testAuth(t, noCache)
	for _, h := range []string{`{"alg":"none","typ":"JWT"}`, `{"alg":"HS256","typ":"JWT","jku":"https://attacker.example"}`, `{"alg":"HS384","typ":"JWT"}`} {
		_, err := a.Verify(ctx, mint(testSecret, h, claimsJSON("")))
		require.Error(t, err)
	}
	assert.Zero(t, jwtgate.HeaderMemos(a), "headers refused by their own rules")
	good := mint(testSecret, goodHeader, claimsJSON(""))
	for _, tok := range []string{
		forge(good),
		mint(testSecret, goodHeader, `{"iss":"https://other.example","aud":"api://svc","exp":1795867500}`),
	} {
		_, err := a.Verify(ctx, tok)
		require.Error(t, err)
		assert.True(t, jwtgate.HeaderRemembered(a, seg(good)), "a header that passed, on a refused token, in an empty slot")
	}
	assert.Equal(t, 1, jwtgate.HeaderMemos(a))

	// Another header in the good header's slot, made up by a client.
	b := testAuth(t, noCache)
	var other string
	for i := 0; other == ""; i++ {
		require.Less(t, i, 10000)
		tok := mint(testSecret, fmt.Sprintf(`{"alg":"HS256","typ":"JWT","kid":"k%d"}`, i), claimsJSON(""))
		if jwtgate.HeaderSlot(b, seg(tok)) == jwtgate.HeaderSlot(b, seg(good)) {
			other = forge(tok)
		}
	}
	_, err := b.Verify(ctx, other)
	require.Error(t, err)
	require.True(t, jwtgate.HeaderRemembered(b, seg(other)), "the made-up header took the empty slot")
	_, err = b.Verify(ctx, forge(good))
	require.Error(t, err)
	assert.True(t, jwtgate.HeaderRemembered(b, seg(other)), "a refused token does not take a held slot")
	_, err = b.Verify(ctx, good)
	require.NoError(t, err)
	assert.True(t, jwtgate.HeaderRemembered(b, seg(good)), "a valid token's header takes the slot")
	assert.False(t, jwtgate.HeaderRemembered(b, seg(other)))
	_, err = b.Verify(ctx, other)
	require.Error(t, err)
	assert.True(t, jwtgate.HeaderRemembered(b, seg(good)), "and keeps it from refused tokens")
	assert.Equal(t, 1, jwtgate.HeaderMemos(b))
}
