package jwks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idp is an issuer: its metadata document at the well-known path, and its
// key sets at /keys/<name>, each a jwksServer's handler.
type idp struct {
	*httptest.Server
	mu        sync.Mutex
	issuer    string // what the metadata says; the server's own URL by default
	jwksURI   string
	status    int      // the metadata's answer when not 200
	paths     []string // metadata requests seen
	stall     chan struct{}
	metaHits  atomic.Int64
	keySets   map[string]*jwksServer
	keyRoutes *http.ServeMux
}

func newIDP(t *testing.T) *idp {
	p := &idp{keySets: map[string]*jwksServer{}, keyRoutes: http.NewServeMux()}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/keys/") {
			p.keyRoutes.ServeHTTP(w, r)
			return
		}
		p.metaHits.Add(1)
		p.mu.Lock()
		p.paths = append(p.paths, r.URL.Path)
		issuer, jwksURI, status, stall := p.issuer, p.jwksURI, p.status, p.stall
		p.mu.Unlock()
		if stall != nil {
			select {
			case <-stall:
			case <-r.Context().Done():
				return
			}
		}
		if status != 0 {
			http.Error(w, http.StatusText(status), status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": jwksURI})
	}))
	t.Cleanup(p.Close)
	p.issuer = p.URL
	return p
}

// keys serves keys at /keys/name and returns that set's server, whose
// publish and down work as for a standalone JWKS server.
func (p *idp) keys(t *testing.T, name string, keys ...*jwtgate.Key) *jwksServer {
	s := newJWKSServer(t, keys...)
	p.mu.Lock()
	p.keySets[name] = s
	p.mu.Unlock()
	p.keyRoutes.Handle("/keys/"+name, s.Config.Handler)
	return s
}

// point makes the metadata name /keys/name as the jwks_uri.
func (p *idp) point(name string) {
	p.mu.Lock()
	p.jwksURI = p.URL + "/keys/" + name
	p.mu.Unlock()
}

func (p *idp) set(f func(p *idp)) {
	p.mu.Lock()
	f(p)
	p.mu.Unlock()
}

func discover(t *testing.T, opts jwks.DiscoveryOptions) *jwks.Discovered {
	t.Helper()
	opts.Remote.AllowHTTPLoopback = true
	d, err := jwks.NewDiscovered(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestDiscoveryMetadataLocation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		path, kind, want string
	}{
		{"", "", "/.well-known/openid-configuration"},
		{"/", "", "/.well-known/openid-configuration"},
		{"/realms/x", "", "/realms/x/.well-known/openid-configuration"},
		{"/realms/x/", jwks.OpenIDConfiguration, "/realms/x/.well-known/openid-configuration"},
		{"", jwks.OAuthAuthorizationServer, "/.well-known/oauth-authorization-server"},
		{"/", jwks.OAuthAuthorizationServer, "/.well-known/oauth-authorization-server"},
		{"/tenant/a", jwks.OAuthAuthorizationServer, "/.well-known/oauth-authorization-server/tenant/a"},
		{"/tenant/a/", jwks.OAuthAuthorizationServer, "/.well-known/oauth-authorization-server/tenant/a"},
	} {
		t.Run(tt.kind+tt.path, func(t *testing.T) {
			t.Parallel()
			p := newIDP(t)
			p.keys(t, "a", ecKey(t, "k1"))
			p.point("a")
			issuer := p.URL + tt.path
			p.set(func(p *idp) { p.issuer = issuer })
			d := discover(t, jwks.DiscoveryOptions{Issuer: issuer, Metadata: tt.kind})
			assert.Equal(t, p.URL+tt.want, d.MetadataURL())
			assert.Equal(t, []string{tt.want}, p.paths)
			assert.Equal(t, issuer, d.Issuer())
			assert.Equal(t, p.URL+"/keys/a", d.JWKSURI())
		})
	}
}

func TestDiscoveryIssuerRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		issuer, kind string
		loopback     bool
	}{
		{"id.example.com", "", false},
		{"http://id.example.com", "", true}, // plain http off loopback
		{"http://127.0.0.1:1", "", false},   // loopback without AllowHTTPLoopback
		{"https://id.example.com?tenant=a", "", false},
		{"https://id.example.com/#x", "", false},
		{"https://id.example.com/?", "", false},
		{"https://user@id.example.com", "", false},
		{"https://id.example.com", "webfinger", false},
	} {
		_, err := jwks.NewDiscovered(context.Background(), jwks.DiscoveryOptions{
			Issuer: tt.issuer, Metadata: tt.kind, Remote: jwks.RemoteOptions{AllowHTTPLoopback: tt.loopback},
		})
		assert.Error(t, err, "%q %q", tt.issuer, tt.kind)
	}
}

// TestDiscoveryIssuerMismatch: metadata naming another issuer — even one
// that differs by a trailing slash — is refused at start and its jwks_uri
// never fetched; later, the last good metadata stays.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	t.Parallel()
	for _, other := range []string{"https://evil.example", "{self}/", "{self}/realms/x"} {
		p := newIDP(t)
		set := p.keys(t, "a", ecKey(t, "k1"))
		p.point("a")
		p.set(func(p *idp) { p.issuer = strings.ReplaceAll(other, "{self}", p.URL) })
		_, err := jwks.NewDiscovered(context.Background(), jwks.DiscoveryOptions{Issuer: p.URL, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
		require.ErrorIs(t, err, jwks.ErrIssuerMismatch, other)
		assert.Zero(t, set.hits.Load(), "the key set of a mismatched issuer is never fetched")
	}

	p := newIDP(t)
	k1 := ecKey(t, "k1")
	p.keys(t, "a", k1)
	p.keys(t, "evil", ecKey(t, "k2"))
	p.point("a")
	d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL})
	auth := authFor(t, d, p.URL)
	p.set(func(p *idp) { p.issuer, p.jwksURI = "https://evil.example", p.URL+"/keys/evil" })
	require.ErrorIs(t, d.Refresh(context.Background()), jwks.ErrIssuerMismatch)
	assert.Equal(t, p.URL+"/keys/a", d.JWKSURI(), "the last good metadata stays")
	_, err := auth.Verify(context.Background(), sign(t, k1, p.URL))
	assert.NoError(t, err)
}

// TestDiscoveryFailsClosed: until the metadata and a key set were fetched,
// tokens are refused; an issuer that cannot be reached is no start-up error
// unless RequireKeys says so, one that answers 404 is.
func TestDiscoveryFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k1 := ecKey(t, "k1")

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close()
		d := discover(t, jwks.DiscoveryOptions{Issuer: gone.URL})
		assert.Empty(t, d.JWKSURI())
		_, err := authFor(t, d, gone.URL).Verify(ctx, sign(t, k1, gone.URL))
		assert.ErrorIs(t, err, jwtgate.ErrInvalidToken)
		assert.ErrorIs(t, err, jwtgate.ErrUnknownKey)

		_, err = jwks.NewDiscovered(ctx, jwks.DiscoveryOptions{Issuer: gone.URL, RequireKeys: true, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
		assert.Error(t, err)
	})

	t.Run("down, then up", func(t *testing.T) {
		t.Parallel()
		p := newIDP(t)
		p.keys(t, "a", k1)
		p.point("a")
		p.set(func(p *idp) { p.status = http.StatusServiceUnavailable })
		d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL, Remote: jwks.RemoteOptions{MinRefreshInterval: time.Hour}})
		auth := authFor(t, d, p.URL)
		_, err := auth.Verify(ctx, sign(t, k1, p.URL))
		assert.ErrorIs(t, err, jwtgate.ErrUnknownKey, "no metadata yet: refused")

		p.set(func(p *idp) { p.status = 0 })
		require.NoError(t, d.Refresh(ctx))
		_, err = auth.Verify(ctx, sign(t, k1, p.URL))
		assert.NoError(t, err, "accepted once the issuer answers")

		strict, err := jwks.NewDiscovered(ctx, jwks.DiscoveryOptions{Issuer: p.URL, RequireKeys: true, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
		require.NoError(t, err, "RequireKeys is met")
		require.NoError(t, strict.Close())
	})

	t.Run("the first token fetches the metadata", func(t *testing.T) {
		t.Parallel()
		p := newIDP(t)
		p.keys(t, "a", k1)
		p.point("a")
		p.set(func(p *idp) { p.status = http.StatusBadGateway })
		d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL})
		p.set(func(p *idp) { p.status = 0 })
		_, err := authFor(t, d, p.URL).Verify(ctx, sign(t, k1, p.URL))
		assert.NoError(t, err)
	})

	t.Run("key set down", func(t *testing.T) {
		t.Parallel()
		p := newIDP(t)
		set := p.keys(t, "a", k1)
		p.point("a")
		set.down.Store(true)
		d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL, Remote: jwks.RemoteOptions{MinRefreshInterval: time.Hour}})
		assert.Equal(t, p.URL+"/keys/a", d.JWKSURI())
		_, err := authFor(t, d, p.URL).Verify(ctx, sign(t, k1, p.URL))
		assert.ErrorIs(t, err, jwtgate.ErrUnknownKey)

		_, err = jwks.NewDiscovered(ctx, jwks.DiscoveryOptions{Issuer: p.URL, RequireKeys: true, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
		assert.Error(t, err)
	})

	for _, tt := range []struct {
		name string
		meta func(p *idp)
	}{
		{"404", func(p *idp) { p.status = http.StatusNotFound }},
		{"no jwks_uri", func(p *idp) { p.jwksURI = "" }},
		{"jwks_uri not https", func(p *idp) { p.jwksURI = "http://id.example.com/keys" }},
	} {
		t.Run(tt.name+" is a start-up error", func(t *testing.T) {
			t.Parallel()
			p := newIDP(t)
			p.keys(t, "a", k1)
			p.point("a")
			p.set(tt.meta)
			_, err := jwks.NewDiscovered(ctx, jwks.DiscoveryOptions{Issuer: p.URL, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
			assert.Error(t, err)
		})
	}
}

// TestDiscoveryFollowsNewJWKSURI: the issuer moves its keys to a new
// jwks_uri; once the metadata is fetched again the new key is accepted and
// the old one refused, although the old URL still serves it — and the
// verified-token cache forgets what the old key verified.
func TestDiscoveryFollowsNewJWKSURI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newIDP(t)
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	p.keys(t, "a", k1)
	p.keys(t, "b", k2)
	p.point("a")
	d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL})
	auth := authFor(t, d, p.URL) // the default cache is on
	old := sign(t, k1, p.URL)
	for range 2 {
		_, err := auth.Verify(ctx, old)
		require.NoError(t, err)
	}
	gen := d.KeyGeneration()

	p.point("b")
	require.NoError(t, d.Refresh(ctx))
	assert.Equal(t, p.URL+"/keys/b", d.JWKSURI())
	assert.NotEqual(t, gen, d.KeyGeneration())
	_, err := auth.Verify(ctx, sign(t, k2, p.URL))
	assert.NoError(t, err, "the new jwks_uri's key")
	_, err = auth.Verify(ctx, old)
	assert.ErrorIs(t, err, jwtgate.ErrUnknownKey, "the old key, cached before, is refused")
}

// TestDiscoveryUnknownKidFetchesMetadata: a token signed with a key at the
// new jwks_uri is accepted at once: its unknown kid fetches the metadata.
func TestDiscoveryUnknownKidFetchesMetadata(t *testing.T) {
	t.Parallel()
	p := newIDP(t)
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	p.keys(t, "a", k1)
	p.keys(t, "b", k2)
	p.point("a")
	d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL, Remote: jwks.RemoteOptions{MinRefreshInterval: time.Hour}})
	auth := authFor(t, d, p.URL)
	p.point("b")
	hits := p.metaHits.Load()
	_, err := auth.Verify(context.Background(), sign(t, k2, p.URL))
	require.NoError(t, err)
	assert.Equal(t, hits+1, p.metaHits.Load())

	// Unknown kids cost at most one metadata fetch per MinRefreshInterval.
	for range 20 {
		_, err := auth.Verify(context.Background(), sign(t, ecKey(t, "forged"), p.URL))
		assert.ErrorIs(t, err, jwtgate.ErrUnknownKey)
	}
	assert.Equal(t, hits+1, p.metaHits.Load())
}

// TestDiscoveryNewJWKSURIDown: a new jwks_uri that serves no keys is not
// adopted; the old one stays until it does.
func TestDiscoveryNewJWKSURIDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newIDP(t)
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	p.keys(t, "a", k1)
	b := p.keys(t, "b", k2)
	b.down.Store(true)
	p.point("a")
	d := discover(t, jwks.DiscoveryOptions{Issuer: p.URL})
	auth := authFor(t, d, p.URL)
	p.point("b")
	assert.Error(t, d.Refresh(ctx))
	assert.Equal(t, p.URL+"/keys/a", d.JWKSURI())
	_, err := auth.Verify(ctx, sign(t, k1, p.URL))
	assert.NoError(t, err)

	b.down.Store(false)
	require.NoError(t, d.Refresh(ctx))
	assert.Equal(t, p.URL+"/keys/b", d.JWKSURI())
}

// TestDiscoveryCloseEndsAFetch: Close returns while a metadata fetch is
// stalled, and ends it.
func TestDiscoveryCloseEndsAFetch(t *testing.T) {
	t.Parallel()
	p := newIDP(t)
	p.keys(t, "a", ecKey(t, "k1"))
	p.point("a")
	d, err := jwks.NewDiscovered(context.Background(), jwks.DiscoveryOptions{Issuer: p.URL, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
	require.NoError(t, err)
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	p.set(func(p *idp) { p.stall = stall })
	refreshed := make(chan error, 1)
	go func() { refreshed <- d.Refresh(context.Background()) }()
	require.Eventually(t, func() bool { return p.metaHits.Load() == 2 }, 10*time.Second, time.Millisecond)
	closed := make(chan struct{})
	go func() { _ = d.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a stalled metadata fetch")
	}
	assert.Error(t, <-refreshed)
	assert.Error(t, d.Refresh(context.Background()), "no refresh after Close")
	require.NoError(t, d.Close(), "Close twice is fine")
}

// TestDiscoveryCloseLeavesNoGoroutine: after a move to a new jwks_uri (two
// Remotes started) and Close, no goroutine of the package is left. Not
// parallel: it counts the process's goroutines.
func TestDiscoveryCloseLeavesNoGoroutine(t *testing.T) {
	ctx := context.Background()
	p := newIDP(t)
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	p.keys(t, "a", k1)
	p.keys(t, "b", k2)
	p.point("a")
	transport := &http.Transport{}
	client := &http.Client{Transport: transport}
	before := goroutines()

	d, err := jwks.NewDiscovered(ctx, jwks.DiscoveryOptions{Issuer: p.URL, MetadataRefreshInterval: time.Hour,
		Remote: jwks.RemoteOptions{AllowHTTPLoopback: true, Client: client}})
	require.NoError(t, err)
	p.point("b")
	require.NoError(t, d.Refresh(ctx))
	_, err = authFor(t, d, p.URL).Verify(ctx, sign(t, k2, p.URL))
	require.NoError(t, err)
	require.Greater(t, ours(), 0, "the refresh loops run")

	require.NoError(t, d.Close())
	transport.CloseIdleConnections()
	require.Eventually(t, func() bool { return ours() == 0 }, 10*time.Second, time.Millisecond,
		"goroutines of the package left after Close:\n%s", stacks())
	// Counted here, not in a condition goroutine of require.Eventually,
	// which would count itself.
	for deadline := time.Now().Add(10 * time.Second); goroutines() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before NewDiscovered, more after Close:\n%s", before, stacks())
		}
		time.Sleep(time.Millisecond) // letting closed connections' goroutines end, not timing anything
	}
}

// goroutines counts the goroutines runtime.Stack lists: those of the
// program, not the runtime's own (which runtime.NumGoroutine counts too).
func goroutines() int { return strings.Count(stacks(), "\n\ngoroutine ") + 1 }

func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// ours counts the goroutines running code of this package (not its tests).
func ours() int {
	n := 0
	for _, g := range strings.Split(stacks(), "\n\n") {
		if strings.Contains(g, "core/jwks.(*") && !strings.Contains(g, "jwks_test.") {
			n++
		}
	}
	return n
}

// TestDiscoveryMetadataReadStrictly: the metadata is read as tokens are:
// names equal but for case, or repeated, in any object, refuse it, so that
// {"issuer":"<evil>","ISSUER":"<good>"} is not read as the good issuer by
// one reader and the evil one by another.
func TestDiscoveryMetadataReadStrictly(t *testing.T) {
	t.Parallel()
	p := newIDP(t)
	p.keys(t, "a", ecKey(t, "k1"))
	good := func(s *httptest.Server) string {
		return `"issuer":"` + s.URL + `","jwks_uri":"` + p.URL + `/keys/a"`
	}
	for name, body := range map[string]func(*httptest.Server) string{
		"issuer and ISSUER": func(s *httptest.Server) string {
			return `{"issuer":"https://evil.example","ISSUER":"` + s.URL + `","jwks_uri":"` + p.URL + `/keys/a"}`
		},
		"jwks_uri twice":      func(s *httptest.Server) string { return `{` + good(s) + `,"jwks_uri":"https://evil.example/keys"}` },
		"names alike, nested": func(s *httptest.Server) string { return `{` + good(s) + `,"mtls":{"a":1,"A":2}}` },
		"issuer not a string": func(s *httptest.Server) string {
			return `{"issuer":["` + s.URL + `"],"jwks_uri":"` + p.URL + `/keys/a"}`
		},
		"two objects":           func(s *httptest.Server) string { return `{` + good(s) + `}{}` },
		"jwks_uri not a string": func(s *httptest.Server) string { return `{"issuer":"` + s.URL + `","jwks_uri":1}` },
	} {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body(srv)))
		}))
		t.Cleanup(srv.Close)
		_, err := jwks.NewDiscovered(context.Background(), jwks.DiscoveryOptions{Issuer: srv.URL, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
		assert.ErrorContains(t, err, "is not issuer metadata", name)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{` + good(srv) + `,"scopes_supported":["openid"],"x":{"y":null}}`))
	}))
	t.Cleanup(srv.Close)
	d, err := jwks.NewDiscovered(context.Background(), jwks.DiscoveryOptions{Issuer: srv.URL, Remote: jwks.RemoteOptions{AllowHTTPLoopback: true}})
	require.NoError(t, err, "metadata whose names all differ")
	t.Cleanup(func() { _ = d.Close() })
}
