package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/internal/parse"
)

// Metadata documents an issuer publishes its jwks_uri in.
const (
	// OpenIDConfiguration is OpenID Connect Discovery 1.0 §4: the issuer
	// with any trailing "/" removed, then "/.well-known/openid-configuration".
	// Every OpenID provider publishes it.
	OpenIDConfiguration = "openid-configuration"
	// OAuthAuthorizationServer is RFC 8414 §3: "/.well-known/oauth-authorization-server"
	// inserted between the issuer's host and its path (any trailing "/" of
	// the path removed).
	OAuthAuthorizationServer = "oauth-authorization-server"
)

// ErrIssuerMismatch is wrapped by the error of a metadata document whose
// issuer is not exactly the configured one (OpenID Connect Discovery 1.0
// §4.3, RFC 8414 §3.3). Its keys are never used: that is the mix-up
// protection, and it catches an issuer configured with a typo, such as a
// missing or extra trailing slash.
var ErrIssuerMismatch = errors.New("jwks: the metadata names another issuer")

// DiscoveryOptions configures [NewDiscovered]. Issuer is required.
type DiscoveryOptions struct {
	// Issuer is the issuer identifier, exactly as the tokens' iss names it
	// (with its trailing slash, if it has one): https, or http on a loopback
	// host when Remote.AllowHTTPLoopback is set; no query or fragment.
	Issuer string
	// Metadata is the document to read: OpenIDConfiguration (the default)
	// or OAuthAuthorizationServer.
	Metadata string
	// RequireKeys makes NewDiscovered fail unless the metadata and a key set
	// with a usable key were fetched. Without it, an issuer that cannot be
	// reached at start (a network error, a timeout, a 5xx, 408 or 429
	// answer) is no error: the service starts, tokens are refused (401)
	// until the issuer answers, and the metadata is fetched again in the
	// background every Remote.MinRefreshInterval and on the first token
	// after that. An answer that shows the configuration wrong — another
	// issuer in the metadata, any other 4xx, a document that is not
	// metadata, a jwks_uri that is missing or not https — is an error of
	// NewDiscovered either way.
	RequireKeys bool
	// MetadataRefreshInterval is how often the metadata is fetched again in
	// the background, so that a new jwks_uri is followed. Default 1 hour; a
	// response's Cache-Control max-age makes it sooner (never more often
	// than Remote.MinRefreshInterval). A token whose kid the current key
	// set lacks also fetches the metadata again, at most once per
	// Remote.MinRefreshInterval.
	MetadataRefreshInterval time.Duration
	// Remote configures the key set that follows the metadata's jwks_uri
	// (its URL is ignored: it comes from the metadata). Its
	// AllowHTTPLoopback, Client, FetchTimeout, MaxSize, MinRefreshInterval
	// and Logger apply to the metadata too.
	Remote RemoteOptions
}

// Discovered is an issuer's key set found through its metadata (OpenID
// Connect Discovery 1.0 or RFC 8414): a jwtgate.KeySource that follows the
// issuer's jwks_uri with a [Remote] and, as the metadata is fetched again,
// moves to a new jwks_uri when the issuer publishes one.
//
//   - It fails closed: until the metadata and a key set were fetched, every
//     token is refused (401, ErrUnknownKey).
//   - Metadata naming another issuer is refused, and its jwks_uri never
//     fetched; the last good metadata stays in use.
//   - A new jwks_uri is adopted once its key set was fetched; the old
//     Remote is then closed, and tokens signed with keys only it had are
//     refused from then on.
//   - It implements jwtgate.KeyGeneration: the verified-token cache forgets
//     its entries whenever the keys change, a move to a new jwks_uri
//     included.
//
// Close stops every background refresh.
type Discovered struct {
	opts    DiscoveryOptions
	metaURL string
	client  *http.Client

	state atomic.Pointer[discoveredState]

	refreshing sync.Mutex // serialises refreshes; guards epoch and closed
	epoch      uint64     // how many Remotes were installed
	closed     bool

	mu          sync.Mutex // guards lastUnknown and fetching, never held across a fetch
	lastUnknown time.Time  // last metadata refetch for an unknown kid
	fetching    bool

	ctx    context.Context // cancelled by Close: ends any fetch under way
	cancel context.CancelFunc
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// discoveredState is what Key and KeyGeneration read, swapped at once.
type discoveredState struct {
	remote  *Remote
	jwksURI string
	epoch   uint64
}

// errMisconfigured marks a failure that an answer of the issuer proves to
// be a configuration mistake, not a passing fault.
var errMisconfigured = errors.New("jwks: discovery misconfigured")

// NewDiscovered checks opts, fetches the issuer's metadata and then its key
// set, and starts following both. See DiscoveryOptions.RequireKeys for what
// a failure at start does.
func NewDiscovered(ctx context.Context, opts DiscoveryOptions) (*Discovered, error) {
	metaURL, err := metadataURL(opts.Issuer, opts.Metadata, opts.Remote.AllowHTTPLoopback)
	if err != nil {
		return nil, err
	}
	if opts.MetadataRefreshInterval <= 0 {
		opts.MetadataRefreshInterval = time.Hour
	}
	if opts.Remote.MinRefreshInterval <= 0 {
		opts.Remote.MinRefreshInterval = 30 * time.Second
	}
	if opts.Remote.FetchTimeout <= 0 {
		opts.Remote.FetchTimeout = 10 * time.Second
	}
	if opts.Remote.MaxSize <= 0 {
		opts.Remote.MaxSize = 1 << 20
	}
	d := &Discovered{opts: opts, metaURL: metaURL, client: opts.Remote.Client, stop: make(chan struct{}), done: make(chan struct{})}
	if d.client == nil {
		d.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		d.opts.Remote.Client = d.client
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	next, err := d.refresh(ctx)
	if err != nil && (opts.RequireKeys || errors.Is(err, errMisconfigured)) {
		d.shutdown()
		return nil, err
	}
	go d.loop(next)
	return d, nil
}

// metadataURL checks the issuer and returns where its metadata is.
func metadataURL(issuer, kind string, allowHTTPLoopback bool) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return "", fmt.Errorf("jwks: issuer %q is not an absolute URL", issuer)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#") || u.User != nil {
		return "", fmt.Errorf("jwks: issuer %q has a query, fragment or user information, which an issuer identifier never has", issuer)
	}
	if err := checkURL(issuer, allowHTTPLoopback); err != nil {
		return "", fmt.Errorf("jwks: issuer: %w", err)
	}
	switch kind {
	case "", OpenIDConfiguration:
		return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration", nil
	case OAuthAuthorizationServer:
		path := strings.TrimSuffix(u.EscapedPath(), "/")
		return u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + path, nil
	}
	return "", fmt.Errorf("jwks: Metadata %q is neither %q nor %q", kind, OpenIDConfiguration, OAuthAuthorizationServer)
}

// Issuer returns the configured issuer.
func (d *Discovered) Issuer() string { return d.opts.Issuer }

// MetadataURL returns where the metadata is fetched from.
func (d *Discovered) MetadataURL() string { return d.metaURL }

// JWKSURI returns the jwks_uri in use; empty until metadata was fetched.
func (d *Discovered) JWKSURI() string {
	if st := d.state.Load(); st != nil {
		return st.jwksURI
	}
	return ""
}

// Key implements jwtgate.KeySource. A kid the current set lacks makes the
// Remote fetch its set again and, at most once per MinRefreshInterval, the
// metadata too: a token signed with a key published at a new jwks_uri is
// then accepted without waiting for the background refresh.
func (d *Discovered) Key(ctx context.Context, q jwtgate.KeyQuery) (*jwtgate.Key, error) {
	st := d.state.Load()
	var errs []error
	if st != nil {
		k, err := st.remote.Key(ctx, q)
		if err == nil {
			return k, nil
		}
		errs = append(errs, err)
	}
	if !d.mayRefetch() {
		return nil, errors.Join(append([]error{jwtgate.ErrUnknownKey}, errs...)...)
	}
	_, err := d.refresh(ctx)
	d.mu.Lock()
	d.fetching = false
	d.mu.Unlock()
	if err != nil {
		return nil, errors.Join(jwtgate.ErrUnknownKey, err)
	}
	if now := d.state.Load(); now != nil && now != st {
		return now.remote.Key(ctx, q)
	}
	return nil, errors.Join(append([]error{jwtgate.ErrUnknownKey}, errs...)...)
}

// mayRefetch reports whether this request may fetch the metadata for an
// unknown kid, and if so reserves the fetch.
func (d *Discovered) mayRefetch() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if d.fetching || (!d.lastUnknown.IsZero() && now.Sub(d.lastUnknown) < d.opts.Remote.MinRefreshInterval) {
		return false
	}
	d.lastUnknown, d.fetching = now, true
	return true
}

// Algorithms implements jwtgate.KeySource: every asymmetric algorithm, as
// Remote.
func (d *Discovered) Algorithms() []string { return asymmetric }

// KeyGeneration implements jwtgate.KeyGeneration: it changes whenever the
// Remote's keys change and whenever another Remote (a new jwks_uri) takes
// over, so that the verified-token cache forgets verifications made with
// keys no longer in use.
func (d *Discovered) KeyGeneration() uint64 {
	st := d.state.Load()
	if st == nil {
		return 0
	}
	return st.epoch<<32 + st.remote.KeyGeneration()
}

// Refresh fetches the metadata now, and the key set at its jwks_uri when
// that changed. On failure the last good metadata and key set stay.
func (d *Discovered) Refresh(ctx context.Context) error {
	_, err := d.refresh(ctx)
	return err
}

// Close stops the background refreshes, the Remote's included, and waits
// for them to end. Keys already fetched stay usable.
func (d *Discovered) Close() error {
	d.once.Do(func() {
		close(d.stop)
		<-d.done
		d.shutdown()
	})
	return nil
}

// shutdown cancels any fetch and closes the installed Remote; no Remote is
// installed after it.
func (d *Discovered) shutdown() {
	d.cancel()
	d.refreshing.Lock()
	defer d.refreshing.Unlock()
	d.closed = true
	if st := d.state.Load(); st != nil {
		_ = st.remote.Close()
	}
}

func (d *Discovered) loop(next time.Duration) {
	defer close(d.done)
	t := time.NewTimer(next)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			next, _ = d.refresh(d.ctx)
			t.Reset(next)
		}
	}
}

// refresh fetches the metadata and, when its jwks_uri is new, starts a
// Remote for it; it returns when to fetch the metadata next.
func (d *Discovered) refresh(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopAfter := context.AfterFunc(d.ctx, cancel) // Close ends the fetch
	defer stopAfter()

	d.refreshing.Lock()
	defer d.refreshing.Unlock()
	if d.closed {
		return d.opts.MetadataRefreshInterval, errors.New("jwks: discovery closed")
	}
	jwksURI, maxAge, err := d.fetchMetadata(ctx)
	if err != nil {
		d.log("jwks: fetching the issuer's metadata failed; the last good metadata stays in use", err)
		return d.opts.Remote.MinRefreshInterval, err
	}
	next := d.opts.MetadataRefreshInterval
	if maxAge > 0 && maxAge < next {
		next = max(maxAge, d.opts.Remote.MinRefreshInterval)
	}
	old := d.state.Load()
	if old != nil && old.jwksURI == jwksURI {
		return next, nil
	}
	ropts := d.opts.Remote
	ropts.URL = jwksURI
	remote, err := NewRemote(ctx, ropts)
	if err != nil { // not https: caught by fetchMetadata already
		return d.opts.Remote.MinRefreshInterval, err
	}
	if old != nil && remote.keys.Load() == nil {
		// Keep following the old jwks_uri until the new one serves keys.
		_ = remote.Close()
		err := fmt.Errorf("jwks: the new jwks_uri %s served no usable key set; %s stays in use", jwksURI, old.jwksURI)
		d.log("jwks: moving to the new jwks_uri failed", err)
		return d.opts.Remote.MinRefreshInterval, err
	}
	d.epoch++
	d.state.Store(&discoveredState{remote: remote, jwksURI: jwksURI, epoch: d.epoch})
	if old != nil {
		_ = old.remote.Close()
		if d.opts.Remote.Logger != nil {
			d.opts.Remote.Logger.Info("jwks: the issuer's jwks_uri changed", slog.String("issuer", d.opts.Issuer), slog.String("from", old.jwksURI), slog.String("to", jwksURI))
		}
	}
	if remote.keys.Load() == nil {
		return d.opts.Remote.MinRefreshInterval, fmt.Errorf("jwks: no usable key set could be fetched from %s yet", jwksURI)
	}
	return next, nil
}

// fetchMetadata fetches and checks the metadata; it returns its jwks_uri
// and the response's max-age. Errors that prove the configuration wrong
// wrap errMisconfigured.
func (d *Discovered) fetchMetadata(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Remote.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.metaURL, nil)
	if err != nil {
		return "", 0, errors.Join(errMisconfigured, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("jwks: %s answered %s", d.metaURL, resp.Status)
		transient := resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
		if !transient {
			err = errors.Join(errMisconfigured, err)
		}
		return "", 0, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, d.opts.Remote.MaxSize+1))
	if err != nil {
		return "", 0, err
	}
	if int64(len(body)) > d.opts.Remote.MaxSize {
		return "", 0, errors.Join(errMisconfigured, fmt.Errorf("jwks: metadata over %d bytes", d.opts.Remote.MaxSize))
	}
	meta, err := readMetadata(body)
	if err != nil {
		return "", 0, errors.Join(errMisconfigured, fmt.Errorf("jwks: %s is not issuer metadata: %w", d.metaURL, err))
	}
	switch {
	case meta.Issuer == nil:
		return "", 0, errors.Join(errMisconfigured, fmt.Errorf("jwks: %s names no issuer", d.metaURL))
	case *meta.Issuer != d.opts.Issuer:
		return "", 0, errors.Join(errMisconfigured, fmt.Errorf("%w: %s says %q, not %q", ErrIssuerMismatch, d.metaURL, *meta.Issuer, d.opts.Issuer))
	case meta.JWKSURI == nil || *meta.JWKSURI == "":
		return "", 0, errors.Join(errMisconfigured, fmt.Errorf("jwks: %s names no jwks_uri", d.metaURL))
	}
	if err := checkURL(*meta.JWKSURI, d.opts.Remote.AllowHTTPLoopback); err != nil {
		return "", 0, errors.Join(errMisconfigured, fmt.Errorf("jwks: jwks_uri of %s: %w", d.metaURL, err))
	}
	return *meta.JWKSURI, maxAge(resp.Header.Get("Cache-Control")), nil
}

// metadata is what Discovered reads of an issuer's metadata.
type metadata struct {
	Issuer, JWKSURI *string
}

// readMetadata reads the metadata's issuer and jwks_uri with the reader
// tokens are read with: one JSON object whose member names, in every
// object, differ from each other beyond case (encoding/json would take
// {"issuer":"https://evil","ISSUER":"<good>"} as the good issuer, a name
// matched without case), and whose issuer and jwks_uri, when present, are
// strings.
func readMetadata(body []byte) (metadata, error) {
	var meta metadata
	var m parse.Members[[]byte]
	for {
		name, value, ok := m.Next(body)
		if !ok {
			break
		}
		var field **string
		switch string(name) {
		case "issuer":
			field = &meta.Issuer
		case "jwks_uri":
			field = &meta.JWKSURI
		default:
			continue
		}
		v, ok := parse.String(value)
		if !ok {
			return metadata{}, fmt.Errorf("%s is not a string", name)
		}
		*field = &v
	}
	switch {
	case m.Duplicate():
		return metadata{}, errors.New("two member names equal but for case")
	case m.Failed():
		return metadata{}, errors.New("not one JSON object")
	}
	return meta, nil
}

func (d *Discovered) log(msg string, err error) {
	if d.opts.Remote.Logger != nil {
		d.opts.Remote.Logger.Warn(msg, slog.String("issuer", d.opts.Issuer), slog.String("url", d.metaURL), slog.String("error", err.Error()))
	}
}
