package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayKey is the key of proof id's record, as the package doc gives it.
func replayKey(prefix, id string) string {
	h := sha256.Sum256([]byte(id))
	return prefix + "dpop:" + base64.RawURLEncoding.EncodeToString(h[:])
}

// inUse makes the store of prefix in use from an hour before start, as a
// deployment is: its loss marker was created then, and the proofs of the
// tests (iat from start on) are after it.
func inUse(t *testing.T, client redis.UniversalClient, prefix string, start time.Time) {
	t.Helper()
	early := newStore(t, client, redisstore.Options{Prefix: prefix, Now: func() time.Time { return start.Add(-time.Hour) }})
	_, err := early.IsRevoked(context.Background(), &jwtgate.Token{ID: "x", IssuedAt: start})
	require.NoError(t, err)
}

// TestReplayStoreSuite: the Redis store keeps jwtgate's replay-store
// contract, as the in-memory one does (core's TestMemoryReplayStoreSuite).
func TestReplayStoreSuite(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	jwtgatetest.RunReplayStore(t, func(t *testing.T, now func() time.Time) dpop.ReplayStore {
		prefix := redistest.Prefix()
		inUse(t, client, prefix, now()) // no data loss since an hour before the suite's clock
		return newStore(t, client, redisstore.Options{Prefix: prefix, Now: now})
	})
}

// TestRememberInRedis: one key per proof, of fixed length whatever the id,
// never holding the id, expiring after until − now by the store's clock (a
// day behind Redis's here: an absolute expiry would have been past already).
func TestRememberInRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	ctx := context.Background()
	prefix := redistest.Prefix()
	inUse(t, client, prefix, lossStart)
	clock := jwtgatetest.NewClock(lossStart)
	require.Less(t, clock.Now(), time.Now().Add(-time.Hour), "the store's clock is behind Redis's")
	s := newStore(t, client, redisstore.Options{Prefix: prefix, Now: clock.Now})

	long := "jkt." + strings.Repeat("j", 8<<10)
	for _, id := range []string{"jkt.short", long} {
		fresh, err := s.Remember(ctx, id, clock.Now().Add(90*time.Second).Add(-time.Minute), clock.Now().Add(90*time.Second))
		require.NoError(t, err)
		require.True(t, fresh)
	}
	keys, err := client.Keys(ctx, prefix+"dpop:*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{replayKey(prefix, "jkt.short"), replayKey(prefix, long)}, keys)
	for _, k := range keys {
		assert.Len(t, k, len(prefix)+len("dpop:")+43, "fixed length")
		assert.NotContains(t, k, "jkt", "a digest, not the id")
		ttl, err := client.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, ttl, 90*time.Second)
		assert.Greater(t, ttl, 85*time.Second, "until − now by the store's clock")
	}

	// Rounded up to the millisecond: Redis keeps the record no shorter than
	// the verifier's window.
	fresh, err := s.Remember(ctx, "jkt.round", clock.Now().Add(90*time.Second+time.Microsecond).Add(-time.Minute), clock.Now().Add(90*time.Second+time.Microsecond))
	require.NoError(t, err)
	require.True(t, fresh)
	ttl, err := client.PTTL(ctx, replayKey(prefix, "jkt.round")).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 85*time.Second)
	assert.LessOrEqual(t, ttl, 90*time.Second+time.Millisecond)

	// An until past writes nothing.
	fresh, err = s.Remember(ctx, "jkt.past", clock.Now().Add(-time.Millisecond).Add(-time.Minute), clock.Now().Add(-time.Millisecond))
	require.NoError(t, err)
	assert.True(t, fresh)
	n, err := client.Exists(ctx, replayKey(prefix, "jkt.past")).Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestRememberExpires: once Redis has expired a record, the id is new again.
// Redis's own expiry, brought forward (PEXPIREAT in the past), stands in for
// the window passing: no test waits for it.
func TestRememberExpires(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	ctx := context.Background()
	prefix := redistest.Prefix()
	inUse(t, client, prefix, lossStart)
	clock := jwtgatetest.NewClock(lossStart)
	s := newStore(t, client, redisstore.Options{Prefix: prefix, Now: clock.Now})
	until := clock.Now().Add(time.Minute)

	fresh, err := s.Remember(ctx, "jkt.a", until.Add(-time.Minute), until)
	require.NoError(t, err)
	require.True(t, fresh)
	fresh, err = s.Remember(ctx, "jkt.a", until.Add(-time.Minute), until)
	require.NoError(t, err)
	require.False(t, fresh)

	ok, err := client.PExpireAt(ctx, replayKey(prefix, "jkt.a"), time.UnixMilli(1)).Result()
	require.NoError(t, err)
	require.True(t, ok)
	fresh, err = s.Remember(ctx, "jkt.a", until.Add(-time.Minute), until)
	require.NoError(t, err)
	assert.True(t, fresh, "expired in Redis: new again")
}

// TestRememberConcurrent: 50 calls at once with one id, through two clients
// (two instances' connection pools), are told new exactly once.
func TestRememberConcurrent(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix()
	inUse(t, srv.Client(), prefix, lossStart)
	clock := jwtgatetest.NewClock(lossStart)
	instances := []*redisstore.Store{
		newStore(t, srv.Client(), redisstore.Options{Prefix: prefix, Now: clock.Now}),
		newStore(t, srv.Client(), redisstore.Options{Prefix: prefix, Now: clock.Now}),
	}
	for round := range 5 {
		id := "jkt.race-" + strconv.Itoa(round)
		var fresh, errs atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 50 {
			wg.Go(func() {
				<-start
				ok, err := instances[i%2].Remember(context.Background(), id, clock.Now(), clock.Now().Add(time.Minute))
				if err != nil {
					errs.Add(1)
				}
				if ok {
					fresh.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		assert.Zero(t, errs.Load())
		assert.Equal(t, int32(1), fresh.Load(), "round %d: one call of 50 is told new", round)
	}
}

// TestRememberAfterDataLoss: after Redis lost its data, a proof issued before
// the loss, or in the loss marker's second, is refused, whether it was used
// before (a replay Redis forgot) or not (the store cannot tell); a proof
// issued after the marker, in a later second or with a fraction after it,
// is accepted once. The marker may be created by the replay check or by a
// revocation check first.
func TestRememberAfterDataLoss(t *testing.T) {
	t.Parallel()
	const window = time.Minute
	losses := map[string]func(*redistest.Server){
		"FLUSHALL":                    (*redistest.Server).Flush,
		"restart without persistence": (*redistest.Server).Restart,
	}
	firsts := map[string]func(ctx context.Context, s *redisstore.Store, now time.Time) error{
		"replay check first": func(context.Context, *redisstore.Store, time.Time) error { return nil },
		"revocation check first": func(ctx context.Context, s *redisstore.Store, now time.Time) error {
			_, err := s.IsRevoked(ctx, &jwtgate.Token{ID: "x", IssuedAt: now})
			return err
		},
	}
	for lossName, lose := range losses {
		for firstName, first := range firsts {
			t.Run(lossName+", "+firstName, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				srv := redistest.Start(t)
				prefix := redistest.Prefix()
				inUse(t, srv.Client(), prefix, lossStart)
				clock := jwtgatetest.NewClock(lossStart)
				s := newStore(t, srv.Client(), redisstore.Options{Prefix: prefix, Now: clock.Now, Timeout: time.Second})
				remember := func(id string, iat time.Time) bool {
					t.Helper()
					fresh, err := s.Remember(ctx, id, iat, iat.Add(window))
					require.NoError(t, err)
					return fresh
				}
				require.True(t, remember("jkt.used", lossStart))
				require.True(t, remember("jkt.used-earlier", lossStart.Add(-30*time.Second)))

				lose(srv)
				clock.Advance(2 * time.Second) // the marker's epoch: lossStart + 2 s
				require.NoError(t, first(ctx, s, clock.Now()))
				assert.False(t, remember("jkt.used", lossStart), "a replay Redis forgot")
				assert.False(t, remember("jkt.used-earlier", lossStart.Add(-30*time.Second)), "a replay Redis forgot")
				assert.False(t, remember("jkt.unseen", lossStart.Add(time.Second)), "issued before the loss, never seen: refused all the same")
				assert.False(t, remember("jkt.same-second", clock.Now()), "issued in the marker's second: it may have been used before the loss in it")
				assert.True(t, remember("jkt.fraction", clock.Now().Add(100*time.Millisecond)), "an iat with a fraction after the marker")
				clock.Advance(time.Second)
				assert.True(t, remember("jkt.new", clock.Now()), "issued in the next second")
				assert.False(t, remember("jkt.new", clock.Now()), "and then a replay")

				v, err := srv.Client().Get(ctx, prefix+"epoch").Int64()
				require.NoError(t, err)
				assert.Equal(t, lossStart.Add(2*time.Second).UnixMilli(), v)
			})
		}
	}
}

// dpopService is one instance of an application: its own Redis client and
// store, an Authenticator with DPoP whose Replay is the store, and a handler
// behind httpjwt.
type dpopService struct {
	store *redisstore.Store
	h     http.Handler
}

var dpopSecret = []byte("0123456789abcdef0123456789abcdef")

func newDPoPService(t *testing.T, srv *redistest.Server, prefix string, clock *jwtgatetest.Clock) *dpopService {
	t.Helper()
	store := newStore(t, srv.Client(), redisstore.Options{Prefix: prefix, Now: clock.Now, Timeout: faultTimeout})
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(dpopSecret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"},
		Now:  clock.Now,
		DPoP: &dpop.Config{Replay: store},
	})
	require.NoError(t, err)
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	return &dpopService{store: store, h: h}
}

const dpopURL = "http://api.example/me"

// get sends a DPoP request to the service and returns its answer.
func (s *dpopService) get(token, proof string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, dpopURL, nil)
	r.Header.Set("Authorization", "DPoP "+token)
	r.Header.Set("DPoP", proof)
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

// TestTwoInstancesShareReplays: two instances of an application, each with
// its own client of one Redis, through net/http: a proof one accepted is
// refused by the other (401 invalid_dpop_proof), either way round; with
// Redis frozen, a DPoP request is answered 503 within the store's timeout.
func TestTwoInstancesShareReplays(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix()
	clock := jwtgatetest.NewClock(time.Now().Truncate(time.Second))
	inUse(t, srv.Client(), prefix, clock.Now()) // proofs of the loss marker's own second would be refused
	a, b := newDPoPService(t, srv, prefix, clock), newDPoPService(t, srv, prefix, clock)

	key := jwtgatetest.NewDPoPKey("ES256")
	issuer, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(dpopSecret, "HS256"), Issuer: "iss", Audience: []string{"aud"}, Store: a.store, Now: clock.Now})
	require.NoError(t, err)
	pair, err := issuer.Login(context.Background(), issuing.Grant{Subject: "alice", JKT: key.JKT()})
	require.NoError(t, err)
	require.Equal(t, "DPoP", pair.TokenType)
	proof := func() string {
		return key.Proof(http.MethodGet, dpopURL, clock.Now(), pair.AccessToken, jwtgatetest.ProofOptions{})
	}
	refused := func(w *httptest.ResponseRecorder, msg string) {
		t.Helper()
		assert.Equal(t, http.StatusUnauthorized, w.Code, msg)
		assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_dpop_proof"`, msg)
	}

	p1 := proof()
	require.Equal(t, http.StatusOK, a.get(pair.AccessToken, p1).Code, "instance A accepts a fresh proof")
	refused(b.get(pair.AccessToken, p1), "instance B refuses the proof A accepted")
	refused(a.get(pair.AccessToken, p1), "and so does A")

	p2 := proof()
	require.Equal(t, http.StatusOK, b.get(pair.AccessToken, p2).Code, "instance B accepts a fresh proof")
	refused(a.get(pair.AccessToken, p2), "instance A refuses the proof B accepted")

	// The same proof at both instances at once: one only accepts it.
	p3 := proof()
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, s := range []*dpopService{a, b} {
		wg.Go(func() { codes[i] = s.get(pair.AccessToken, p3).Code })
	}
	wg.Wait()
	assert.ElementsMatch(t, []int{http.StatusOK, http.StatusUnauthorized}, codes)

	srv.Pause()
	start := time.Now()
	w := a.get(pair.AccessToken, proof())
	took := time.Since(start)
	srv.Resume()
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "a replay check Redis cannot answer refuses the request")
	assert.Less(t, took, faultTimeout+faultMargin)
	t.Logf("503 after %v with Redis frozen (Timeout %v)", took, faultTimeout)
	require.Eventually(t, func() bool { return a.get(pair.AccessToken, proof()).Code == http.StatusOK }, 5*time.Second, 50*time.Millisecond)
}
