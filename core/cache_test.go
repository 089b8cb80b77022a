package jwtgate_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/extractors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingKeys is a KeySource that counts lookups and can change generation.
type countingKeys struct {
	key     *jwtgate.Key
	lookups atomic.Int32
	gen     atomic.Uint64
}

func (k *countingKeys) Key(ctx context.Context, q jwtgate.KeyQuery) (*jwtgate.Key, error) {
	k.lookups.Add(1)
	return k.key.Key(ctx, q)
}
func (k *countingKeys) Algorithms() []string  { return k.key.Algorithms() }
func (k *countingKeys) KeyGeneration() uint64 { return k.gen.Load() }

// plainKeys can change keys but says nothing about it: no cache over it.
type plainKeys struct{ countingKeys }

func (k *plainKeys) KeyGeneration() {}

func cachedAuth(t *testing.T, keys jwtgate.KeySource, modify func(*jwtgate.Config)) (*jwtgate.Authenticator, *jwtgatetest.Clock) {
	t.Helper()
	clock := jwtgatetest.NewClock(testNow)
	a := testAuth(t, func(c *jwtgate.Config) {
		c.Keys = keys
		c.Now = clock.Now
		if modify != nil {
			modify(c)
		}
	})
	return a, clock
}

func TestCacheSkipsVerificationOfAKnownToken(t *testing.T) {
	t.Parallel()
	keys := &countingKeys{key: jwtgate.HMAC(testSecret, "HS256")}
	a, _ := cachedAuth(t, keys, nil)
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	for range 4 {
		got, err := a.Verify(context.Background(), tok)
		require.NoError(t, err)
		assert.Equal(t, "user-1", got.Subject)
	}
	assert.Equal(t, int32(2), keys.lookups.Load(), "verified twice: noted the first time, taken in the second")
	assert.Equal(t, 1, jwtgate.CacheLen(a))

	keys.gen.Add(1) // keys rotated: every verification is stale
	_, err := a.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, int32(3), keys.lookups.Load(), "verified again after a key change")
}

func TestCacheChecksTimeAndRevocationOnEveryHit(t *testing.T) {
	t.Parallel()
	// Made a minute before the token: a token of the second the store was
	// made in, without a family, counts as issued before it (see Store).
	started := testNow.Add(-time.Minute)
	store := issuing.NewMemoryStore(func() time.Time { return started })
	started = testNow
	var validated atomic.Int32
	a, _ := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), func(c *jwtgate.Config) {
		c.Revoker = store
		c.Validate = func(context.Context, *jwtgate.Token) error { validated.Add(1); return nil }
	})
	tok := mint(testSecret, goodHeader, claimsJSON("")) // exp = now + 300 s
	_, err := a.Verify(context.Background(), tok)
	require.NoError(t, err)
	_, err = a.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, int32(2), validated.Load(), "Config.Validate runs on every request")

	require.NoError(t, store.RevokeToken(context.Background(), "j-1", testNow.Add(time.Hour)))
	_, err = a.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "a cached token is still asked about")

	b, clock2 := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), nil)
	_, err = b.Verify(context.Background(), tok)
	require.NoError(t, err)
	clock2.Advance(300 * time.Second)
	_, err = b.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, jwt.ErrTokenExpired, "a cached token expires on time")
}

func TestCacheNeverHoldsFailuresOrUnboundedTokens(t *testing.T) {
	t.Parallel()
	keys := &countingKeys{key: jwtgate.HMAC(testSecret, "HS256")}
	a, _ := cachedAuth(t, keys, func(c *jwtgate.Config) { c.ExpirationOptional = true })
	good := mint(testSecret, goodHeader, claimsJSON(""))
	forged := mint([]byte("ffffffffffffffffffffffffffffffff"), goodHeader, claimsJSON(""))
	for range 3 {
		_, err := a.Verify(context.Background(), forged)
		assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
	}
	assert.Equal(t, 0, jwtgate.CacheLen(a), "failures are not kept")
	for range 2 { // a token is taken in the second time it is verified
		_, err := a.Verify(context.Background(), good)
		require.NoError(t, err)
	}
	_, err := a.Verify(context.Background(), forged)
	assert.Error(t, err, "the forged twin of a cached token is still refused")

	noExp := mint(testSecret, goodHeader, `{"iss":"https://issuer.example","aud":"api://svc","jti":"x"}`)
	for range 3 {
		_, err = a.Verify(context.Background(), noExp)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, jwtgate.CacheLen(a), "a token without exp is not kept")
}

func TestCacheIsBoundedAndOptional(t *testing.T) {
	t.Parallel()
	a, _ := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), func(c *jwtgate.Config) { c.CacheSize = 32 })
	for i := range 200 {
		_, err := a.Verify(context.Background(), mint(testSecret, goodHeader, claimsJSON(`"n":`+strconv.Itoa(i))))
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, jwtgate.CacheLen(a), 32)

	off, _ := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), func(c *jwtgate.Config) { c.CacheSize = -1 })
	assert.Equal(t, -1, jwtgate.CacheLen(off))
	unsafe, _ := cachedAuth(t, &plainKeys{countingKeys{key: jwtgate.HMAC(testSecret, "HS256")}}, nil)
	assert.Equal(t, -1, jwtgate.CacheLen(unsafe), "no cache over keys that may change unannounced")
}

func TestCacheSourceIsTheRequests(t *testing.T) {
	t.Parallel()
	a, _ := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), func(c *jwtgate.Config) {
		c.Extractor = extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Query("access_token"))
	})
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	first, err := a.Authenticate(context.Background(), extractors.FromHTTP(r))
	require.NoError(t, err)
	second, err := a.Authenticate(context.Background(), extractors.FromHTTP(httptest.NewRequest(http.MethodGet, "/?access_token="+tok, nil)))
	require.NoError(t, err)
	assert.Equal(t, "header:Authorization", first.Source.String())
	assert.Equal(t, "query:access_token", second.Source.String())
	assert.True(t, second.SentInURL())
	assert.NotSame(t, first, second)
	assert.False(t, errors.Is(err, jwtgate.ErrInvalidToken))
}

// TestCacheMemory measures what a cached token costs, for the README: each
// entry holds the token string, the Token and its claims.
func TestCacheMemory(t *testing.T) {
	const n = 20_000
	a, _ := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), func(c *jwtgate.Config) { c.CacheSize = n })
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = mint(testSecret, goodHeader, claimsJSON(`"n":`+strconv.Itoa(i)))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 2 { // each token is taken in its second verification
		for _, tok := range tokens {
			_, err := a.Verify(context.Background(), tok)
			require.NoError(t, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(jwtgate.CacheLen(a))
	t.Logf("%d cached tokens of %d bytes: %.0f bytes each", jwtgate.CacheLen(a), len(tokens[0]), per)
	assert.Less(t, per, 4096.0)
	runtime.KeepAlive(tokens)
}

// swappingKeys hands out its first key twice, and the second time replaces
// it with its second key and changes generation before the caller has
// verified anything: a key rotation landing while a token is being verified
// (for the second time: the cache takes a token in then).
type swappingKeys struct {
	mu          sync.Mutex
	first, then *jwtgate.Key
	calls       int
	gen         atomic.Uint64
}

func (k *swappingKeys) Key(ctx context.Context, q jwtgate.KeyQuery) (*jwtgate.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	switch k.calls {
	case 1:
		return k.first.Key(ctx, q)
	case 2:
		defer k.gen.Add(1)
		return k.first.Key(ctx, q)
	}
	return k.then.Key(ctx, q)
}
func (k *swappingKeys) Algorithms() []string  { return []string{"HS256"} }
func (k *swappingKeys) KeyGeneration() uint64 { return k.gen.Load() }

// TestCacheFilesVerificationUnderTheKeysItUsed: a token verified with a key
// that was removed while it was being verified is answered once (the request
// that raced the rotation), and never again from the cache.
func TestCacheFilesVerificationUnderTheKeysItUsed(t *testing.T) {
	t.Parallel()
	oldKey := jwtgate.HMAC(testSecret, "HS256")
	oldKey.ID = "old"
	newKey := jwtgate.HMAC([]byte("fedcba9876543210fedcba9876543210"), "HS256")
	newKey.ID = "new"
	keys := &swappingKeys{first: oldKey, then: newKey}
	a, _ := cachedAuth(t, keys, nil)
	tok := mint(testSecret, `{"alg":"HS256","typ":"JWT","kid":"old"}`, claimsJSON(""))
	for range 2 {
		_, err := a.Verify(context.Background(), tok)
		require.NoError(t, err, "verified with the key the source handed out")
	}
	assert.Equal(t, 1, jwtgate.CacheLen(a), "taken in the second time")
	_, err := a.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, jwtgate.ErrUnknownKey, "the removed key's token served from the cache")
}

// TestCacheOverCombinedSources: several issuers (KeysByIssuer) or several
// key sets of one issuer (Combine) keep the verified-token cache when every
// source allows it, and forget its entries when one source's keys change;
// a source that can change without saying so turns it off.
func TestCacheOverCombinedSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tok := mint(testSecret, goodHeader, claimsJSON(""))
	for name, build := range map[string]func(a, b jwtgate.KeySource) jwtgate.KeySource{
		"KeysByIssuer": func(a, b jwtgate.KeySource) jwtgate.KeySource {
			return jwtgate.KeysByIssuer{"https://issuer.example": a, "https://other.example": b}
		},
		"Combine": func(a, b jwtgate.KeySource) jwtgate.KeySource { return jwtgate.Combine(b, a) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &countingKeys{key: jwtgate.HMAC(testSecret, "HS256")}
			b := &countingKeys{key: jwtgate.HMAC([]byte("fedcba9876543210fedcba9876543210"), "HS256")}
			b.key.ID, a.key.ID = "b", "a"
			auth, _ := cachedAuth(t, build(a, b), nil)
			for range 3 {
				_, err := auth.Verify(ctx, mint(testSecret, `{"alg":"HS256","typ":"JWT","kid":"a"}`, claimsJSON("")))
				require.NoError(t, err)
			}
			assert.Equal(t, 1, jwtgate.CacheLen(auth), "cached")
			before := a.lookups.Load()
			_, err := auth.Verify(ctx, mint(testSecret, `{"alg":"HS256","typ":"JWT","kid":"a"}`, claimsJSON("")))
			require.NoError(t, err)
			assert.Equal(t, before, a.lookups.Load(), "a hit looks no key up")
			b.gen.Add(1) // the other source's keys changed
			_, err = auth.Verify(ctx, mint(testSecret, `{"alg":"HS256","typ":"JWT","kid":"a"}`, claimsJSON("")))
			require.NoError(t, err)
			assert.Equal(t, before+1, a.lookups.Load(), "verified again after a change in one source")

			silent := &plainKeys{countingKeys{key: jwtgate.HMAC(testSecret, "HS256")}}
			off, _ := cachedAuth(t, build(jwtgate.HMAC(testSecret, "HS256"), silent), nil)
			_, _ = off.Verify(ctx, tok)
			assert.Equal(t, -1, jwtgate.CacheLen(off), "no cache over a source that changes without saying so")
		})
	}
}

// TestCacheHoldsItsSize: a cache of n entries holds about n tokens, each
// verified twice (the cache admits a token on its second verification):
// every shard takes its share. A cache that used half its shards held at
// most half.
func TestCacheHoldsItsSize(t *testing.T) {
	t.Parallel()
	const n = 1600
	a, _ := cachedAuth(t, jwtgate.HMAC(testSecret, "HS256"), func(c *jwtgate.Config) { c.CacheSize = n })
	for i := range n {
		tok := mint(testSecret, goodHeader, claimsJSON(`"n":`+strconv.Itoa(i)))
		for range 2 {
			_, err := a.Verify(context.Background(), tok)
			require.NoError(t, err)
		}
	}
	assert.GreaterOrEqual(t, jwtgate.CacheLen(a), n*3/4, "tokens cached of %d", n)
	assert.LessOrEqual(t, jwtgate.CacheLen(a), n)
}
