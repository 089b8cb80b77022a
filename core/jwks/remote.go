package jwks

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// RemoteOptions configures a Remote. URL is required.
type RemoteOptions struct {
	// URL is the issuer's JWK Set. It must be https, or http on a loopback
	// host when AllowHTTPLoopback is set (tests, a sidecar).
	URL string
	// AllowHTTPLoopback accepts an http:// URL whose host is localhost or a
	// loopback address.
	AllowHTTPLoopback bool
	// Client fetches the set. Default: an http.Client that follows no
	// redirect, so the set comes from URL and nowhere else.
	Client *http.Client
	// RefreshInterval is how often the set is fetched in the background.
	// Default 5 minutes; a response's Cache-Control max-age makes it sooner
	// (never more often than MinRefreshInterval).
	RefreshInterval time.Duration
	// MinRefreshInterval bounds how often the set is fetched, in the
	// background after a short max-age or a failure, and for tokens with an
	// unknown kid. Default 30 s.
	MinRefreshInterval time.Duration
	// FetchTimeout bounds one fetch. Default 10 s.
	FetchTimeout time.Duration
	// MaxSize is the largest set read, in bytes. Default 1 MiB.
	MaxSize int64
	// Logger gets a line per failed fetch (Warn) and per refused key of a new
	// set (Warn), and the count of encryption keys left out (Debug).
	// Default slog.Default().
	Logger *slog.Logger
	// Observer is told of every fetch (see [Observer]): its duration,
	// outcome and key counts. Default none.
	Observer Observer
}

// Observer sees each fetch of a remote key set, where it happens, for
// metrics and traces. The OpenTelemetry module implements it. A fetch is a
// struct, so that a fact added later breaks no implementation. Called
// synchronously after the fact: keep it fast, and keep nothing it points
// to.
type Observer interface {
	KeysFetched(ctx context.Context, f *KeyFetch)
}

// KeyFetch is one fetch of a remote key set.
type KeyFetch struct {
	// URL is the set's address.
	URL string
	// Start and Duration time the fetch.
	Start    time.Time
	Duration time.Duration
	// Err is why it failed; nil when it succeeded. The last good set stays
	// in use after a failure.
	Err error
	// Keys is how many usable keys the set holds (after a failure, the last
	// good set's); Refused how many of its keys were not usable.
	Keys, Refused int
	// Changed says the set differs from the one before: the verified-token
	// cache forgets its entries.
	Changed bool
}

// Remote is a JWK Set fetched from an issuer: a jwtgate.KeySource that
// follows key rotation.
//
//   - The set is fetched at start and then in the background, every
//     RefreshInterval or sooner per Cache-Control max-age.
//   - A token whose kid is not in the set triggers one refetch; such
//     refetches happen at most once per MinRefreshInterval, and a request that
//     is not allowed one does not wait: its token is refused at once.
//   - When a fetch fails, the last good set stays in use.
//   - Keys are found by kid in the fetched set only; a token's jku, x5u, jwk
//     and x5c are refused by the core and never fetched.
//
// Close stops the background refresh.
type Remote struct {
	opts   RemoteOptions
	client *http.Client
	keys   atomic.Pointer[jwtgate.KeySet]

	mu          sync.Mutex
	lastUnknown time.Time // last refetch for an unknown kid
	fetching    bool

	fetches atomic.Int64
	gen     atomic.Uint64 // bumped when a fetched set differs from the last
	lastSum [32]byte      // guarded by mu
	stop    chan struct{}
	done    chan struct{}
	close   sync.Once
}

// asymmetric is every algorithm a fetched key may be bound to.
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// NewRemote checks opts, fetches the set once and starts the background
// refresh. A failed first fetch is not an error: tokens are refused until a
// fetch succeeds (at the latest MinRefreshInterval later, on the next token
// or refresh). Only a bad configuration is.
func NewRemote(ctx context.Context, opts RemoteOptions) (*Remote, error) {
	if err := checkURL(opts.URL, opts.AllowHTTPLoopback); err != nil {
		return nil, err
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = 5 * time.Minute
	}
	if opts.MinRefreshInterval <= 0 {
		opts.MinRefreshInterval = 30 * time.Second
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = 10 * time.Second
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Remote{opts: opts, client: opts.Client, stop: make(chan struct{}), done: make(chan struct{})}
	if r.client == nil {
		r.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	next, _ := r.refresh(ctx)
	go r.loop(next)
	return r, nil
}

func checkURL(raw string, allowHTTPLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("jwks: JWKS URL %q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTPLoopback && isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("jwks: JWKS URL %q is not https (plain http only on a loopback host, with AllowHTTPLoopback)", raw)
	}
	return fmt.Errorf("jwks: JWKS URL %q is not https", raw)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Key implements jwtgate.KeySource.
func (r *Remote) Key(ctx context.Context, q jwtgate.KeyQuery) (*jwtgate.Key, error) {
	if set := r.keys.Load(); set != nil {
		if k, err := set.Key(ctx, q); err == nil {
			return k, nil
		}
	}
	if !r.mayRefetch() {
		return nil, jwtgate.ErrUnknownKey
	}
	_, err := r.refresh(ctx)
	r.mu.Lock()
	r.fetching = false
	r.mu.Unlock()
	if err != nil {
		return nil, errors.Join(jwtgate.ErrUnknownKey, err)
	}
	if set := r.keys.Load(); set != nil {
		return set.Key(ctx, q)
	}
	return nil, jwtgate.ErrUnknownKey
}

// mayRefetch reports whether this request may refetch for an unknown kid,
// and if so reserves the refetch.
func (r *Remote) mayRefetch() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.fetching || (!r.lastUnknown.IsZero() && now.Sub(r.lastUnknown) < r.opts.MinRefreshInterval) {
		return false
	}
	r.lastUnknown, r.fetching = now, true
	return true
}

// Algorithms implements jwtgate.KeySource.
func (r *Remote) Algorithms() []string { return asymmetric }

// KeyGeneration implements jwtgate.KeyGeneration: it changes whenever a
// fetched set differs from the one before, so that an Authenticator's cache of
// verified tokens forgets verifications made with keys since removed.
func (r *Remote) KeyGeneration() uint64 { return r.gen.Load() }

// Fetches returns how many times the set was fetched (for tests and metrics).
func (r *Remote) Fetches() int64 { return r.fetches.Load() }

// Refresh fetches the set now. On failure the last good set stays.
func (r *Remote) Refresh(ctx context.Context) error {
	_, err := r.refresh(ctx)
	return err
}

// Close stops the background refresh and waits for it to end.
func (r *Remote) Close() error {
	r.close.Do(func() { close(r.stop) })
	<-r.done
	return nil
}

func (r *Remote) loop(next time.Duration) {
	defer close(r.done)
	t := time.NewTimer(next)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-r.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			next, _ = r.refresh(ctx)
			cancel()
			t.Reset(next)
		}
	}
}

// refresh fetches and installs the set; it returns when to fetch next.
func (r *Remote) refresh(ctx context.Context) (time.Duration, error) {
	r.fetches.Add(1)
	start := time.Now()
	fctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	set, sum, maxAge, refused, err := r.fetch(fctx)
	if err != nil {
		r.log("jwks: fetching the key set failed; the last good set stays in use", err)
		r.observe(ctx, start, err, refused, false)
		return r.opts.MinRefreshInterval, err
	}
	r.mu.Lock()
	r.keys.Store(set)
	changed := sum != r.lastSum
	if changed {
		r.lastSum = sum
		r.gen.Add(1)
	}
	r.mu.Unlock()
	r.observe(ctx, start, nil, refused, changed)
	next := r.opts.RefreshInterval
	if maxAge > 0 && maxAge < next {
		next = max(maxAge, r.opts.MinRefreshInterval)
	}
	return next, nil
}

// fetch reads the set; refused counts the keys it could not use.
func (r *Remote) fetch(ctx context.Context) (set *jwtgate.KeySet, sum [32]byte, age time.Duration, refused int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.opts.URL, nil)
	if err != nil {
		return nil, sum, 0, refused, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, sum, 0, refused, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, sum, 0, refused, fmt.Errorf("jwks: %s answered %s", r.opts.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.opts.MaxSize+1))
	if err != nil {
		return nil, sum, 0, refused, err
	}
	if int64(len(body)) > r.opts.MaxSize {
		return nil, sum, 0, refused, fmt.Errorf("jwks: key set over %d bytes", r.opts.MaxSize)
	}
	keys, skipped, encryption, err := parseSet(body, false)
	if err != nil {
		return nil, sum, 0, refused, err
	}
	keys, dropped := dedupe(keys)
	refused = len(skipped) + len(dropped)
	sum = sha256.Sum256(body)
	// A key the set holds but jwtgate cannot use never takes the good ones
	// down. Said once per new set, not on every fetch of the same one.
	r.mu.Lock()
	changed := sum != r.lastSum
	r.mu.Unlock()
	if changed {
		for _, e := range append(skipped, dropped...) {
			r.log("jwks: key refused; the set's other keys stay in use", e)
		}
		if encryption > 0 && r.opts.Logger != nil {
			r.opts.Logger.Debug("jwks: encryption keys left out", slog.String("url", r.opts.URL), slog.Int("keys", encryption))
		}
	}
	if len(keys) == 0 {
		return nil, sum, 0, refused, errors.New("jwks: the key set holds no usable signature key")
	}
	set, err = newSet(keys)
	if err != nil {
		return nil, sum, 0, refused, err
	}
	return set, sum, maxAge(resp.Header.Get("Cache-Control")), refused, nil
}

// observe tells the Observer how a fetch went.
func (r *Remote) observe(ctx context.Context, start time.Time, err error, refused int, changed bool) {
	if r.opts.Observer == nil {
		return
	}
	f := &KeyFetch{URL: r.opts.URL, Start: start, Duration: time.Since(start), Err: err, Refused: refused, Changed: changed}
	if set := r.keys.Load(); set != nil {
		f.Keys = set.Len()
	}
	r.opts.Observer.KeysFetched(ctx, f)
}

func (r *Remote) log(msg string, err error) {
	if r.opts.Logger != nil {
		r.opts.Logger.Warn(msg, slog.String("url", r.opts.URL), slog.String("error", strings.ReplaceAll(err.Error(), "\n", "; ")))
	}
}

// maxAge reads max-age from a Cache-Control value; 0 when absent.
func maxAge(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(d)
		if v, ok := strings.CutPrefix(strings.ToLower(d), "max-age="); ok {
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}
