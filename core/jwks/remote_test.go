package jwks_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/big"
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
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/core/signing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ecKey(t testing.TB, kid string) *jwtgate.Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &jwtgate.Key{ID: kid, Algorithm: "ES256", VerifyKey: &priv.PublicKey, SignKey: priv}
}

func sign(t testing.TB, k *jwtgate.Key, iss string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": iss, "aud": "api", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.SignKey)
	require.NoError(t, err)
	return s
}

// jwksServer serves whatever set it holds, counts requests, and can fail or
// stall.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   []byte
	maxAge string
	hits   atomic.Int64
	down   atomic.Bool
	stall  chan struct{}
}

func newJWKSServer(t *testing.T, keys ...*jwtgate.Key) *jwksServer {
	s := &jwksServer{}
	s.publish(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.stall != nil {
			select {
			case <-s.stall:
			case <-r.Context().Done():
				return
			}
		}
		if s.down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		s.mu.Lock()
		body, maxAge := s.body, s.maxAge
		s.mu.Unlock()
		if maxAge != "" {
			w.Header().Set("Cache-Control", "max-age="+maxAge)
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(t *testing.T, keys ...*jwtgate.Key) {
	body, err := jwks.Marshal(keys...)
	require.NoError(t, err)
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func newRemote(t *testing.T, url string, opts jwks.RemoteOptions) *jwks.Remote {
	t.Helper()
	opts.URL, opts.AllowHTTPLoopback = url, true
	r, err := jwks.NewRemote(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func authFor(t *testing.T, keys jwtgate.KeySource, issuers ...string) *jwtgate.Authenticator {
	t.Helper()
	if issuers == nil {
		issuers = []string{"https://id.example"}
	}
	a, err := jwtgate.New(jwtgate.Config{Keys: keys, Issuer: issuers, Audience: []string{"api"}})
	require.NoError(t, err)
	return a
}

func TestRemoteURLRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url      string
		loopback bool
		ok       bool
	}{
		{url: "https://id.example/jwks.json", ok: true},
		{url: "http://id.example/jwks.json", loopback: true},
		{url: "http://127.0.0.1:1/jwks.json", loopback: false},
		{url: "http://127.0.0.1:1/jwks.json", loopback: true, ok: true},
		{url: "http://[::1]:1/jwks.json", loopback: true, ok: true},
		{url: "http://localhost:1/jwks.json", loopback: true, ok: true},
		{url: "ftp://id.example/jwks.json"},
		{url: "/jwks.json"},
	} {
		t.Run(tt.url+"/"+strconv.FormatBool(tt.loopback), func(t *testing.T) {
			t.Parallel()
			r, err := jwks.NewRemote(context.Background(), jwks.RemoteOptions{URL: tt.url, AllowHTTPLoopback: tt.loopback, FetchTimeout: 100 * time.Millisecond})
			if tt.ok {
				require.NoError(t, err)
				_ = r.Close()
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestRotationWithoutFailedRequests walks a rotation while requests keep
// coming: publish the next key beside the current one, switch signing,
// retire the old key. No request fails.
func TestRotationWithoutFailedRequests(t *testing.T) {
	t.Parallel()
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	srv := newJWKSServer(t, k1)
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{})
	auth := authFor(t, remote)
	ctx := context.Background()

	signer := atomic.Pointer[jwtgate.Key]{}
	signer.Store(k1)
	var failed, served atomic.Int64
	const clients = 4
	var onK2 [clients]atomic.Bool // client i has finished a request signed with k2
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := signer.Load()
				if _, err := auth.Verify(ctx, sign(t, k, "https://id.example")); err != nil {
					failed.Add(1)
				}
				served.Add(1)
				if k == k2 {
					onK2[i].Store(true)
				}
			}
		}()
	}
	waitServed := func(n int64) {
		for target := served.Load() + n; served.Load() < target; {
			time.Sleep(time.Millisecond) // letting the request goroutines run, not timing anything
		}
	}
	waitServed(50)
	srv.publish(t, k1, k2) // 1. publish the next key
	require.NoError(t, remote.Refresh(ctx))
	waitServed(50)
	signer.Store(k2) // 2. switch signing
	for i := range clients {
		for !onK2[i].Load() { // every client's k1 tokens are behind it
			time.Sleep(time.Millisecond)
		}
	}
	srv.publish(t, k2) // 3. retire the old key once its tokens are gone
	require.NoError(t, remote.Refresh(ctx))
	waitServed(50)
	close(stop)
	wg.Wait()
	assert.Zero(t, failed.Load(), "requests failed during the rotation (of %d)", served.Load())
}

// TestUnknownKidRefetch: a token signed by a key published after the last
// fetch is accepted after one refetch, without waiting for the background
// refresh.
func TestUnknownKidRefetch(t *testing.T) {
	t.Parallel()
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	srv := newJWKSServer(t, k1)
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{})
	auth := authFor(t, remote)
	srv.publish(t, k1, k2)
	before := srv.hits.Load()
	_, err := auth.Verify(context.Background(), sign(t, k2, "https://id.example"))
	require.NoError(t, err)
	assert.Equal(t, before+1, srv.hits.Load(), "one refetch")
}

// TestUnknownKidFlood: a flood of tokens with random kids costs at most one
// fetch per MinRefreshInterval, and no request waits for a refetch it is not
// allowed.
func TestUnknownKidFlood(t *testing.T) {
	t.Parallel()
	k1 := ecKey(t, "k1")
	srv := newJWKSServer(t, k1)
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{MinRefreshInterval: time.Hour})
	auth := authFor(t, remote)
	start := srv.hits.Load()
	var wg sync.WaitGroup
	var refused atomic.Int64
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			forged := ecKey(t, "random-"+strconv.Itoa(i))
			if _, err := auth.Verify(context.Background(), sign(t, forged, "https://id.example")); err != nil {
				refused.Add(1)
				assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1000), refused.Load())
	assert.LessOrEqual(t, srv.hits.Load()-start, int64(1), "at most one refetch in the window")
	_, err := auth.Verify(context.Background(), sign(t, k1, "https://id.example"))
	assert.NoError(t, err, "known keys keep working")
}

// TestServerDownKeepsLastGoodSet: a failing refresh leaves the last good set
// in use.
func TestServerDownKeepsLastGoodSet(t *testing.T) {
	t.Parallel()
	k1 := ecKey(t, "k1")
	srv := newJWKSServer(t, k1)
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{})
	auth := authFor(t, remote)
	srv.down.Store(true)
	assert.Error(t, remote.Refresh(context.Background()))
	_, err := auth.Verify(context.Background(), sign(t, k1, "https://id.example"))
	assert.NoError(t, err)

	srv.publish(t) // an empty set is not "good"
	srv.down.Store(false)
	assert.Error(t, remote.Refresh(context.Background()))
	_, err = auth.Verify(context.Background(), sign(t, k1, "https://id.example"))
	assert.NoError(t, err)
}

// TestSlowServerBoundedByContext: a refetch against a stalled server ends with
// the request's context.
func TestSlowServerBoundedByContext(t *testing.T) {
	t.Parallel()
	k1 := ecKey(t, "k1")
	srv := newJWKSServer(t, k1)
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{})
	auth := authFor(t, remote)
	srv.stall = make(chan struct{})
	t.Cleanup(func() { close(srv.stall) })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := auth.Verify(ctx, sign(t, ecKey(t, "new"), "https://id.example"))
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
	case <-time.After(10 * time.Second):
		t.Fatal("the request waited for the stalled JWKS server beyond its context")
	}
}

func TestMaxAgeAndClose(t *testing.T) {
	t.Parallel()
	k1 := ecKey(t, "k1")
	srv := newJWKSServer(t, k1)
	srv.maxAge = "1"
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{RefreshInterval: time.Hour, MinRefreshInterval: 10 * time.Millisecond})
	require.Eventually(t, func() bool { return remote.Fetches() >= 2 }, 10*time.Second, 10*time.Millisecond,
		"max-age=1 brings the background refresh forward from an hour")
	// Close returns once the refresh goroutine has ended.
	require.NoError(t, remote.Close())
	require.NoError(t, remote.Close(), "Close twice is fine")
}

// TestKeysByIssuer: HDR-08 — with two issuers, one's key never verifies a
// token claiming the other, and an unknown issuer fetches nothing.
func TestKeysByIssuer(t *testing.T) {
	t.Parallel()
	ka, kb := ecKey(t, "a"), ecKey(t, "b")
	srvA, srvB := newJWKSServer(t, ka), newJWKSServer(t, kb)
	ra, rb := newRemote(t, srvA.URL, jwks.RemoteOptions{}), newRemote(t, srvB.URL, jwks.RemoteOptions{})
	auth := authFor(t, jwtgate.KeysByIssuer{"https://a.example": ra, "https://b.example": rb}, "https://a.example", "https://b.example")
	ctx := context.Background()
	_, err := auth.Verify(ctx, sign(t, ka, "https://a.example"))
	assert.NoError(t, err)
	_, err = auth.Verify(ctx, sign(t, kb, "https://b.example"))
	assert.NoError(t, err)
	_, err = auth.Verify(ctx, sign(t, kb, "https://a.example"))
	assert.ErrorIs(t, err, jwtgate.ErrUnknownKey, "B's key for a token claiming A")

	hitsA, hitsB := srvA.hits.Load(), srvB.hits.Load()
	_, err = auth.Verify(ctx, sign(t, ka, "https://evil.example"))
	assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
	assert.Equal(t, hitsA, srvA.hits.Load())
	assert.Equal(t, hitsB, srvB.hits.Load(), "no fetch for an issuer not configured")
}

func TestHandlerPublishes(t *testing.T) {
	t.Parallel()
	k1 := ecKey(t, "k1")
	h := jwks.Handler(5*time.Minute, k1)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "public, max-age=300", w.Header().Get("Cache-Control"))
	assert.NotContains(t, w.Body.String(), `"d"`, "never a private member")
	set, err := jwks.ParseSet(w.Body.Bytes())
	require.NoError(t, err)
	k, err := set.Key(context.Background(), jwtgate.KeyQuery{KeyID: "k1", Algorithm: "ES256"})
	require.NoError(t, err)
	assert.True(t, k.VerifyKey.(*ecdsa.PublicKey).Equal(k1.VerifyKey))

	assert.Panics(t, func() { jwks.Handler(time.Minute, jwtgate.HMAC(make([]byte, 32), "HS256")) }, "a secret is never published")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

// TestRetiredKeyLeavesTheCache: a token verified (and cached) with a key the
// issuer then retires is refused after the next refresh.
func TestRetiredKeyLeavesTheCache(t *testing.T) {
	t.Parallel()
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	srv := newJWKSServer(t, k1, k2)
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{MinRefreshInterval: time.Hour})
	auth := authFor(t, remote)
	tok := sign(t, k1, "https://id.example")
	_, err := auth.Verify(context.Background(), tok)
	require.NoError(t, err)
	gen := remote.KeyGeneration()
	require.NoError(t, remote.Refresh(context.Background()))
	assert.Equal(t, gen, remote.KeyGeneration(), "the same set: the cache stays")
	_, err = auth.Verify(context.Background(), tok)
	require.NoError(t, err)

	srv.publish(t, k2)
	require.NoError(t, remote.Refresh(context.Background()))
	assert.NotEqual(t, gen, remote.KeyGeneration())
	_, err = auth.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, jwtgate.ErrUnknownKey, "the retired key's token is refused, cached or not")
}

// TestRotationUnderLoadForgetsTheRemovedKey verifies distinct tokens signed
// with a key while a refresh removes that key from the set: whatever was
// verified during the rotation, once it is done every one of those tokens is
// refused. The verified-token cache files a verification under the key
// generation read before its key was looked up; read after, a verification
// that raced the rotation would be filed under the new generation and a
// token of the removed key served from the cache until evicted.
func TestRotationUnderLoadForgetsTheRemovedKey(t *testing.T) {
	t.Parallel()
	const rounds, perRound, workers = 8, 400, 4
	for round := range rounds {
		old, next := ecKey(t, "old-"+strconv.Itoa(round)), ecKey(t, "next-"+strconv.Itoa(round))
		srv := newJWKSServer(t, old)
		remote := newRemote(t, srv.URL, jwks.RemoteOptions{MinRefreshInterval: time.Hour})
		auth := authFor(t, remote)
		toks := make([]string, perRound)
		for i := range toks {
			toks[i] = signClaims(t, old, jwt.MapClaims{"iss": "https://id.example", "aud": "api", "sub": "alice",
				"jti": strconv.Itoa(i), "exp": time.Now().Add(time.Hour).Unix()})
		}
		// Each token verified once before: the cache takes a token in the
		// second time it is verified, during the rotation.
		for _, tok := range toks {
			_, err := auth.Verify(context.Background(), tok)
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		var next64 atomic.Int64
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next64.Add(1) - 1; i < perRound; i = next64.Add(1) - 1 {
					_, _ = auth.Verify(context.Background(), toks[i])
				}
			}()
		}
		for next64.Load() < perRound/4 {
			runtime.Gosched()
		}
		srv.publish(t, next)
		require.NoError(t, remote.Refresh(context.Background()))
		wg.Wait()
		for i, tok := range toks {
			_, err := auth.Verify(context.Background(), tok)
			require.ErrorIs(t, err, jwtgate.ErrUnknownKey, "round %d, token %d of the removed key accepted after the rotation", round, i)
		}
	}
}

func signClaims(t testing.TB, k *jwtgate.Key, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.SignKey)
	require.NoError(t, err)
	return s
}

// TestRemoteSetKeepsEveryGoodKey: what identity providers publish — one kid
// for two keys of different algorithms (RFC 7517 §4.5), an encryption key
// beside the signature keys (Keycloak), a key jwtgate cannot use, a kid
// twice for one algorithm — never takes the good keys down, and an
// encryption key is no warning.
func TestRemoteSetKeepsEveryGoodKey(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ec := ecKey(t, "kid-1")
	rs := &jwtgate.Key{ID: "kid-1", Algorithm: "RS256", VerifyKey: &rsaKey.PublicKey, SignKey: rsaKey}
	good, err := jwks.Marshal(ec, rs)
	require.NoError(t, err)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(good, &set))
	n := func(b *big.Int) string { return base64.RawURLEncoding.EncodeToString(b.Bytes()) }
	set.Keys = append(set.Keys,
		map[string]any{"kty": "RSA", "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP", "n": n(rsaKey.N), "e": "AQAB"},
		map[string]any{"kty": "RSA", "kid": "weak", "alg": "RS256", "n": n(weak.N), "e": "AQAB"},
		map[string]any{"kty": "RSA", "kid": "kid-1", "alg": "RS256", "n": n(weak.N), "e": "AQAB"},
		set.Keys[0], // the EC key again: a second key for kid "kid-1", ES256
	)
	body, err := json.Marshal(set)
	require.NoError(t, err)

	srv := newJWKSServer(t)
	srv.mu.Lock()
	srv.body = body
	srv.mu.Unlock()
	var logs bytes.Buffer
	remote := newRemote(t, srv.URL, jwks.RemoteOptions{MinRefreshInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	auth := authFor(t, remote)
	for _, k := range []*jwtgate.Key{ec, rs} {
		tok := jwt.NewWithClaims(signing.Method(k.Algorithm), jwt.MapClaims{"iss": "https://id.example", "aud": "api", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
		tok.Header["kid"] = k.ID
		s, err := tok.SignedString(k.SignKey)
		require.NoError(t, err)
		_, err = auth.Verify(context.Background(), s)
		assert.NoError(t, err, "the %s key of kid %q", k.Algorithm, k.ID)
	}
	assert.Contains(t, logs.String(), "weak", "an unusable key is said")
	assert.NotContains(t, logs.String(), "enc-1", "an encryption key is normal: no warning")
	before := logs.Len()
	require.NoError(t, remote.Refresh(context.Background()))
	assert.Equal(t, before, logs.Len(), "the same set is not warned about again")

	static, err := jwks.ParseSet(good)
	require.NoError(t, err, "one kid for keys of two algorithms")
	_, err = static.Key(context.Background(), jwtgate.KeyQuery{KeyID: "kid-1", Algorithm: "RS256"})
	require.NoError(t, err)
	encOnly, err := json.Marshal(map[string]any{"keys": append([]map[string]any{}, set.Keys[:3]...)})
	require.NoError(t, err)
	_, err = jwks.ParseSet(encOnly)
	assert.NoError(t, err, "a configured set's encryption key is left out, not refused")
}
