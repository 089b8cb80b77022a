package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeTimeout is redisstore's default Options.Timeout, which the apps keep:
// no call to the store lasts longer.
const storeTimeout = 500 * time.Millisecond

// answerBound is how long a request may take while Redis cannot answer: the
// store's timeout, and a margin for a machine busy with other tests.
const answerBound = storeTimeout + 400*time.Millisecond

// TestRedisFaults runs two instances of each app on one redis-server this
// test starts, stops, freezes and empties:
//
//   - Redis unreachable at start is not bad configuration: the app starts,
//     says so, answers 503 where it needs the store, and serves once Redis
//     is up, without a restart.
//   - The instances share revocations and refresh-token families.
//   - Frozen (SIGSTOP) or busy (DEBUG SLEEP), Redis cannot answer: every
//     request that needs it is answered 503 within the store's timeout, on
//     both instances; then they serve again.
//   - Emptied (FLUSHALL) or restarted without its data: not one revoked
//     token is answered 200 afterwards; every token issued before the loss
//     is refused (the loss marker); logins work again.
//
// The test measures how long requests take: it runs before the tests that
// load the machine (it is not parallel to them), and sideBySide apps at a
// time, each with a redis-server of its own; the rest of the time, they
// wait for Redis.
func TestRedisFaults(t *testing.T) {
	const sideBySide = 3
	slots := make(chan struct{}, sideBySide)
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			srv := redistest.Start(t)
			if !srv.Managed() {
				t.Skip("needs a redis-server this test starts, stops and pauses, not the one REDIS_URL names")
			}
			// DPoP allowed, and one PUBLIC_URL, as behind one load balancer:
			// a proof is good on both instances, once.
			env := []string{"REDIS_URL=" + srv.URL(), "DPOP=allowed", "PUBLIC_URL=" + redisPublicURL}

			srv.Stop()
			x := start(t, a.name, env...)
			// Logged before the banner, but read from the pipe in a goroutine.
			assert.Eventually(t, func() bool { return strings.Contains(x.stderr.String(), "redis cannot be reached") },
				5*time.Second, 10*time.Millisecond, "the app says Redis is down")
			unavailable(t, mint(accessClaims(), "at+jwt"), mint(refreshClaims(), "refresh+jwt"), x.client())
			status, _ := x.client().do("GET", "/healthz", "", "")
			assert.Equal(t, 200, status, "liveness does not need Redis")
			srv.Restart()
			recovered(t, x.client())
			y := start(t, a.name, env...)

			t.Run("one store for both", func(t *testing.T) { oneStoreForBoth(t, client{t, x.base}, client{t, y.base}) })
			t.Run("proofs seen by both", func(t *testing.T) { proofsSeenByBoth(t, client{t, x.base}, client{t, y.base}) })

			for _, fault := range []struct {
				name  string
				begin func() (end func())
			}{
				{"frozen", func() func() { srv.Pause(); return srv.Resume }},
				{"busy", func() func() { done := srv.Sleep(2 * time.Second); return func() { <-done } }},
			} {
				t.Run(fault.name, func(t *testing.T) {
					cx, cy := client{t, x.base}, client{t, y.base}
					access, refresh := cx.login()
					func() {
						defer fault.begin()()
						unavailable(t, access, refresh, cx, cy)
					}()
					recovered(t, cx, cy)
				})
			}

			for _, loss := range []struct {
				name string
				lose func(t *testing.T, access, refresh string, cs ...client)
			}{
				{"flushed", func(*testing.T, string, string, ...client) { srv.Flush() }},
				{"restarted empty", func(t *testing.T, access, refresh string, cs ...client) {
					srv.Stop()
					unavailable(t, access, refresh, cs...)
					srv.Restart()
				}},
			} {
				t.Run(loss.name, func(t *testing.T) {
					cx, cy := client{t, x.base}, client{t, y.base}
					revokedAccess, revokedRefresh := revokeSome(t, cx, cy)
					access, refresh := cx.login() // live, but issued before the loss
					// The loss marker lets through the tokens of the second it
					// is set in: lose the data in a later second than any iat.
					time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
					loss.lose(t, access, refresh, cx, cy)

					// From the first request on, until the instances answer
					// again and after: never 200.
					require.Eventually(t, func() bool {
						answered := true
						for _, c := range []client{cx, cy} {
							for _, tok := range append(revokedAccess, access) {
								status := c.me(tok)
								assert.NotEqual(t, 200, status, "a revoked token, or one issued before the loss, let through")
								answered = answered && status != 503
							}
							for _, tok := range append(revokedRefresh, refresh) {
								status, _ := c.refresh(tok)
								assert.NotEqual(t, 200, status, "a revoked refresh token, or one issued before the loss, spent")
								answered = answered && status != 503
							}
						}
						return answered
					}, 15*time.Second, 100*time.Millisecond, "the instances answer again")
					for _, c := range []client{cx, cy} {
						for _, tok := range append(revokedAccess, access) {
							status, body := c.do("GET", "/api/me", "", tok)
							assert.Equal(t, 401, status)
							assert.Equal(t, "invalid_token", body["error"])
						}
						for _, tok := range append(revokedRefresh, refresh) {
							status, body := c.refresh(tok)
							assert.Equal(t, 401, status)
							assert.Equal(t, "invalid_grant", body["error"])
						}
					}
					recovered(t, cx, cy)
				})
			}
		})
	}
}

// oneStoreForBoth: what happens on one instance is true on the other at once.
func oneStoreForBoth(t *testing.T, cx, cy client) {
	access, refresh := cx.login()
	assert.Equal(t, 200, cy.me(access), "y accepts x's token")

	status, pair := cy.refresh(refresh)
	require.Equal(t, 200, status, "refresh on y")
	access2 := pair["access_token"].(string)
	assert.Equal(t, 200, cx.me(access2), "x accepts y's new token")

	status, body := cx.refresh(refresh)
	assert.Equal(t, 401, status, "the spent refresh token, replayed on x")
	assert.Equal(t, "invalid_grant", body["error"])
	for _, c := range []client{cx, cy} {
		assert.Equal(t, 401, c.me(access2), "the family is revoked on both")
	}
	status, _ = cx.refresh(pair["refresh_token"].(string))
	assert.Equal(t, 401, status)

	access3, _ := cx.login()
	status, _ = cy.do("POST", "/logout", "", access3)
	assert.Equal(t, 204, status, "logout on y")
	assert.Equal(t, 401, cx.me(access3), "refused on x")
}

// redisPublicURL is the PUBLIC_URL of both instances.
const redisPublicURL = "https://api.example.com"

// proofsSeenByBoth: a DPoP proof is used once across the instances, since they
// remember proofs in Redis: replayed to the other instance, which would take
// it otherwise (a fresh proof passes there), it is refused.
func proofsSeenByBoth(t *testing.T, cx, cy client) {
	k := jwtgatetest.NewDPoPKey("ES256")
	// Proofs of the next second: the store refuses one of the second its
	// loss marker was set in (just now, by recovered), as one it cannot
	// tell from a proof used before the loss; a client's retry a second
	// later passes. The window is 60 s either way.
	proof := func(method, path, token string) string {
		return k.Proof(method, redisPublicURL+path, time.Now().Add(time.Second), token, jwtgatetest.ProofOptions{})
	}
	login := proof("POST", "/login", "")
	status, _, pair := cx.with("POST", "/login", aliceLogin, "DPoP", login)
	require.Equal(t, 200, status, "a DPoP login on x: %v", pair)
	require.Equal(t, "DPoP", pair["token_type"])
	status, _, body := cy.with("POST", "/login", aliceLogin, "DPoP", login)
	assert.Equal(t, 400, status, "x's login proof, replayed on y")
	assert.Equal(t, "invalid_dpop_proof", body["error"])

	access := pair["access_token"].(string)
	me := proof("GET", "/api/me", access)
	status, _, _ = cx.with("GET", "/api/me", "", "Authorization", "DPoP "+access, "DPoP", me)
	assert.Equal(t, 200, status, "the proof on x")
	status, _, body = cy.with("GET", "/api/me", "", "Authorization", "DPoP "+access, "DPoP", me)
	assert.Equal(t, 401, status, "the same proof, replayed on y")
	assert.Equal(t, "invalid_dpop_proof", body["error"])
	status, _, _ = cy.with("GET", "/api/me", "", "Authorization", "DPoP "+access, "DPoP", proof("GET", "/api/me", access))
	assert.Equal(t, 200, status, "a fresh proof on y")
}

// revokeSome revokes tokens as the contract does, across the instances, and
// returns them: a logout's access and refresh tokens, and a family revoked by
// a refresh token spent twice (both its access tokens, its refresh tokens).
func revokeSome(t *testing.T, cx, cy client) (access, refresh []string) {
	t.Helper()
	a1, r1 := cx.login()
	status, _ := cy.do("POST", "/logout", "", a1)
	require.Equal(t, 204, status)
	a2, r2 := cy.login()
	status, pair := cx.refresh(r2)
	require.Equal(t, 200, status)
	a3, r3 := pair["access_token"].(string), pair["refresh_token"].(string)
	status, _ = cy.refresh(r2)
	require.Equal(t, 401, status, "reuse revokes the family")
	access, refresh = []string{a1, a2, a3}, []string{r1, r2, r3}
	for _, tok := range access {
		require.Equal(t, 401, cx.me(tok), "revoked before the loss")
	}
	return access, refresh
}

// unavailable asks each instance, all at once, for every route that needs
// the store: each must answer 503 temporarily_unavailable, never 200, within
// answerBound.
func unavailable(t *testing.T, access, refresh string, cs ...client) {
	t.Helper()
	type result struct {
		what   string
		status int
		code   any
		took   time.Duration
		err    error
	}
	var wg sync.WaitGroup
	results := make(chan result, 4*len(cs))
	for _, c := range cs {
		for _, r := range []struct{ method, path, body, token string }{
			{"GET", "/api/me", "", access},
			{"POST", "/login", aliceLogin, ""},
			{"POST", "/refresh", `{"refresh_token":"` + refresh + `"}`, ""},
			{"POST", "/logout", "", access},
		} {
			wg.Go(func() {
				began := time.Now()
				status, body, err := send(c.base, r.method, r.path, r.body, r.token)
				results <- result{r.method + " " + c.base + r.path, status, body["error"], time.Since(began), err}
			})
		}
	}
	wg.Wait()
	close(results)
	var slowest time.Duration
	for r := range results {
		slowest = max(slowest, r.took)
		if assert.NoError(t, r.err, r.what) {
			assert.Equal(t, 503, r.status, "%s: answered 503 without the store", r.what)
			assert.Equal(t, "temporarily_unavailable", r.code, r.what)
			assert.Less(t, r.took, answerBound, "%s: answered within the store's timeout", r.what)
		}
	}
	t.Logf("without Redis, the slowest of %d answers took %v", 4*len(cs), slowest.Round(time.Millisecond))
}

// recovered waits until every instance logs in again and accepts the
// token, without a restart of its own.
func recovered(t *testing.T, cs ...client) {
	t.Helper()
	for _, c := range cs {
		var access string
		require.Eventually(t, func() bool {
			status, body, err := send(c.base, "POST", "/login", aliceLogin, "")
			access, _ = body["access_token"].(string)
			return err == nil && status == 200
		}, 15*time.Second, 100*time.Millisecond, "%s logs in again", c.base)
		for _, other := range cs {
			assert.Equal(t, 200, other.me(access), "%s accepts it", other.base)
		}
	}
}

// send is client.do for a goroutine of the test's own: it returns its
// error rather than failing the test.
func send(base, method, path, body, token string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, err
}

func accessClaims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": "jwtgate-example", "aud": "jwtgate-example-api", "sub": "carol", "iat": now, "exp": now + 300, "jti": "e2e-access"}
}

// refreshClaims are those of a refresh token as the apps' issuer mints
// them: addressed to the issuer, with the family in sid.
func refreshClaims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": "jwtgate-example", "aud": "jwtgate-example", "sub": "carol", "iat": now, "exp": now + 300, "jti": "e2e-refresh", "sid": "e2e-family"}
}

// mint signs claims with the apps' secret (HS256), as another service
// sharing it would.
func mint(claims map[string]any, typ string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "HS256", "typ": typ}) + "." + enc(claims)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signed))
	return signed + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
