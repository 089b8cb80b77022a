package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// storeNames are the stores the benchmarks compare, in order: in memory,
// Redis, and Redis with the local cache.
var storeNames = []string{"memory", "redis", "redis-cached"}

// stores returns the in-memory store, a Redis store on a local redis-server
// (unix socket), and one with the local cache on the same server, each with
// one login and one revoked token.
func stores(b *testing.B) map[string]issuing.Store {
	srv := redistest.Start(b)
	out := map[string]issuing.Store{
		"memory":       issuing.NewMemoryStore(nil),
		"redis":        newStore(b, srv.Client(), redisstore.Options{Prefix: redistest.Prefix()}),
		"redis-cached": cachedStore(b, srv.Client(), redisstore.Options{Prefix: redistest.Prefix()}),
	}
	for _, s := range out {
		if err := s.RevokeToken(context.Background(), "revoked", time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		// The first check creates Redis's loss marker: tokens issued from
		// then on pass.
		if _, err := s.IsRevoked(context.Background(), &jwtgate.Token{IssuedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// BenchmarkIsRevoked is the revocation check alone: the in-memory store
// against Redis on a local socket, same run.
func BenchmarkIsRevoked(b *testing.B) {
	for _, name := range storeNames {
		s := stores(b)[name]
		tok := &jwtgate.Token{ID: "jti-1", SessionID: "fam-1", Subject: "alice", IssuedAt: time.Now()}
		if c, ok := s.(*redisstore.Store); ok && name == "redis-cached" {
			warm(b, c, tok)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if revoked, err := s.IsRevoked(context.Background(), tok); err != nil || revoked {
					b.Fatal(revoked, err)
				}
			}
		})
	}
}

// BenchmarkRequest is a whole valid-token request through the net/http
// adapter with each store as the Revoker, same run.
func BenchmarkRequest(b *testing.B) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, name := range storeNames {
		store := stores(b)[name]
		issuer, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(secret, "HS256"), Issuer: "iss", Audience: []string{"aud"}, Store: store})
		if err != nil {
			b.Fatal(err)
		}
		pair, err := issuer.Login(context.Background(), issuing.Grant{Subject: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		auth, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"}, Revoker: store})
		if err != nil {
			b.Fatal(err)
		}
		h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		if c, ok := store.(*redisstore.Store); ok && name == "redis-cached" {
			tok, err := auth.Verify(context.Background(), pair.AccessToken)
			if err != nil {
				b.Fatal(err)
			}
			warm(b, c, tok)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// replayStores returns the in-memory replay store and a Redis store on a
// local redis-server (unix socket), its loss marker created.
func replayStores(b *testing.B) map[string]dpop.ReplayStore {
	srv := redistest.Start(b)
	rs := newStore(b, srv.Client(), redisstore.Options{Prefix: redistest.Prefix()})
	if _, err := rs.IsRevoked(context.Background(), &jwtgate.Token{IssuedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	// A proof of the marker's second counts as a replay: the proofs come
	// from the next one.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	return map[string]dpop.ReplayStore{"memory": dpop.NewMemoryReplayStore(nil), "redis": rs}
}

// BenchmarkRemember is the replay check alone, as jwtgate makes it for each
// DPoP proof: a new proof each time (SET NX that sets), and the same proof
// again (SET NX that finds it); the in-memory store against Redis on a local
// socket, same run.
func BenchmarkRemember(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		s := replayStores(b)[name]
		jkt := strings.Repeat("k", 43)
		b.Run(name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// seq, not a counter of this run: -count repeats it on one store.
				fresh, err := s.Remember(context.Background(), jkt+"."+strconv.FormatInt(seq.Add(1), 10), time.Now(), time.Now().Add(time.Minute))
				if err != nil || !fresh {
					b.Fatal(fresh, err)
				}
			}
		})
		b.Run(name+"/replay", func(b *testing.B) {
			b.ReportAllocs()
			id := jkt + ".replayed"
			if _, err := s.Remember(context.Background(), id, time.Now().Add(time.Hour).Add(-time.Minute), time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				fresh, err := s.Remember(context.Background(), id, time.Now(), time.Now().Add(time.Minute))
				if err != nil || fresh {
					b.Fatal(fresh, err)
				}
			}
		})
	}
}

// BenchmarkDPoPRequest is a whole DPoP request (an ES256 proof, its token
// bound to the key) through the net/http adapter with each store as the
// Replay, same run. The proofs are made before the timer starts: each is
// used once.
func BenchmarkDPoPRequest(b *testing.B) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	key := jwtgatetest.NewDPoPKey("ES256")
	const url = "http://api.example/me"
	for _, name := range []string{"memory", "redis"} {
		replay := replayStores(b)[name]
		issuer, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(secret, "HS256"), Issuer: "iss", Audience: []string{"aud"}, Store: issuing.NewMemoryStore(nil)})
		if err != nil {
			b.Fatal(err)
		}
		pair, err := issuer.Login(context.Background(), issuing.Grant{Subject: "alice", JKT: key.JKT()})
		if err != nil {
			b.Fatal(err)
		}
		auth, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"iss"}, Audience: []string{"aud"}, DPoP: &dpop.Config{Replay: replay}})
		if err != nil {
			b.Fatal(err)
		}
		h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			reqs := make([]*http.Request, b.N)
			for i := range reqs {
				r := httptest.NewRequest(http.MethodGet, url, nil)
				r.Header.Set("Authorization", "DPoP "+pair.AccessToken)
				r.Header.Set("DPoP", key.Proof(http.MethodGet, url, time.Now(), pair.AccessToken, jwtgatetest.ProofOptions{}))
				reqs[i] = r
			}
			b.ResetTimer()
			for i := range b.N {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, reqs[i])
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
