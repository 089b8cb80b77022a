package jwtgateotel

import (
	"context"
	"errors"
	"net"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"time"
	"weak"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwks"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the Meter and Tracer the
// Observer uses: the package's import path, as OpenTelemetry asks.
const ScopeName = "github.com/jwtgate/jwtgate/otel"

// DurationBuckets returns the explicit bucket boundaries, in seconds, of
// every duration histogram: from 1 µs (a cached token) through the tens of
// µs of a signature and the ms of a store or a key fetch, to 10 s (a fetch
// timing out). A View can replace them.
func DurationBuckets() []float64 { return slices.Clone(durationBuckets) }

var durationBuckets = []float64{
	0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005,
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Option configures [New].
type Option func(*config)

type config struct {
	meters  metric.MeterProvider
	tracers trace.TracerProvider
	attrs   []attribute.KeyValue
}

// WithMeterProvider sets where the instruments are created. Default
// otel.GetMeterProvider() at the time New is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meters = mp }
}

// WithTracerProvider sets where the spans are recorded. Default
// otel.GetTracerProvider() at the time New is called. A no-op provider
// (trace/noop's) turns them off, for metrics alone: give one where no
// traces are exported, since the global provider's spans cost five
// allocations a request even before an SDK is set behind it.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracers = tp }
}

// WithAttributes adds attrs to every measurement and span, for telling
// apart two Authenticators of one process (one Observer each). They must be
// bounded values: each distinct set is a time series.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, attrs...) }
}

// Observer implements [jwtgate.Observer], [issuing.Observer] and
// [jwks.Observer] with OpenTelemetry metrics and traces. Build it with [New]
// and give the same one to jwtgate.Config, issuing.Config and
// jwks.RemoteOptions: their instruments are shared. It is safe for
// concurrent use.
type Observer struct {
	tracer trace.Tracer // nil: no spans
	kind   trace.SpanStartOption
	extra  []attribute.KeyValue

	authRequests    *tally
	authDuration    metric.Float64Histogram
	cacheLookups    *tally
	cacheEvictions  metric.Int64Counter
	storeDuration   metric.Float64Histogram
	fetchDuration   metric.Float64Histogram
	keyCount        metric.Int64Gauge
	issuingDuration metric.Float64Histogram
	refreshReuses   metric.Int64Counter
	authzRequests   *tally

	// Attribute sets built once, so that recording allocates nothing for
	// them: the common outcomes in fields and read-only maps, the rest
	// (reasons the core may add, store errors, key-set URLs) in bounded
	// caches.
	base               *measure
	accepted, anon     *measure
	granted            *measure
	scopeRefusals      *cache[string]
	refusals           map[string]*measure
	refusalsMore       *cache[string]
	durations          [3][2]*measure // outcome × cache hit
	hit, miss          *measure
	stores             map[string]*measure // success, by operation
	storesMore         *cache[[2]string]   // operation, error.type
	fetches            *cache[string]      // by URL
	fetchFailures      *cache[[2]string]   // URL, error.type
	issued             map[string]*measure // success, by operation
	issuedMore         *cache[[2]string]   // operation, error.type
	authSpan, jwksSpan string
}

var (
	_ jwtgate.Observer = (*Observer)(nil)
	_ issuing.Observer = (*Observer)(nil)
	_ jwks.Observer    = (*Observer)(nil)
)

// Outcomes of an authentication (jwtgate.auth.outcome).
const (
	outcomeAccepted = iota
	outcomeRefused
	outcomeAnonymous
)

var outcomeNames = [...]string{"accepted", "refused", "anonymous"}

// Attribute keys of jwtgate's own; the others are OpenTelemetry's
// (error.type, server.address, server.port, url.full).
const (
	keyOutcome      = attribute.Key("jwtgate.auth.outcome")
	keyAuthzOutcome = attribute.Key("jwtgate.authz.outcome")
	keyReason       = attribute.Key("jwtgate.auth.reason")
	keyCacheHit     = attribute.Key("jwtgate.cache.hit")
	keyResult       = attribute.Key("jwtgate.cache.result")
	keyAlg          = attribute.Key("jwtgate.token.alg")
	keySource       = attribute.Key("jwtgate.token.source")
	keyStoreOp      = attribute.Key("jwtgate.store.operation")
	keyIssuingOp    = attribute.Key("jwtgate.issuing.operation")
	keyKeys         = attribute.Key("jwtgate.jwks.keys")
	keyRefused      = attribute.Key("jwtgate.jwks.keys.refused")
	keyChanged      = attribute.Key("jwtgate.jwks.changed")
)

// reasons are jwtgate.Reason's documented values, whose attribute sets are
// built at once; a reason the core adds later is cached on first use.
var reasons = []string{
	"missing_token", "malformed_request", "multiple_methods", "repeated", "too_large", "malformed",
	"header", "type", "critical_header", "algorithm", "unknown_key", "bad_signature",
	"expired", "not_yet_valid", "issued_in_future", "issuer", "audience", "subject",
	"authorized_party", "missing_claim", "validation", "revoked", "store_unavailable", "csrf",
	"insufficient_scope", "misconfigured", "invalid_grant", "dpop_proof", "use_dpop_nonce", "dpop_bound",
	"dpop_not_bound", "dpop_required", "error",
}

var (
	storeOps   = []string{"is_revoked", "start_family", "rotate_family", "revoke_token", "revoke_family", "revoke_subject", "remember_proof"}
	issuingOps = []string{"login", "refresh", "logout", "revoke_subject"}
)

// New creates the instruments on the MeterProvider's Meter and the Tracer
// of the TracerProvider, both named [ScopeName]. An error says an
// instrument could not be created; the Observer returned with it still
// works, without that instrument.
func New(opts ...Option) (*Observer, error) {
	var c config
	for _, opt := range opts {
		opt(&c)
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	if c.tracers == nil {
		c.tracers = otel.GetTracerProvider()
	}
	version := moduleVersion()
	meter := c.meters.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL), metric.WithInstrumentationVersion(version))
	o := &Observer{
		kind:     trace.WithSpanKind(trace.SpanKindInternal), // built once: an option is an allocation
		extra:    c.attrs,
		authSpan: "jwtgate.authenticate",
		jwksSpan: "jwtgate.jwks.fetch",
	}
	// A no-op TracerProvider given explicitly turns the spans off: their
	// options and the context the no-op Start returns would be allocated
	// for nothing.
	if _, off := c.tracers.(noop.TracerProvider); !off {
		o.tracer = c.tracers.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL), trace.WithInstrumentationVersion(version))
	}
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		i, err := meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		check(err)
		return i
	}
	histogram := func(name, desc string) metric.Float64Histogram {
		i, err := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		check(err)
		return i
	}
	// The counters of every request are tallies: see tally.
	tallies := func(name, unit, desc string) *tally {
		i, err := meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		check(err)
		return &tally{inst: i}
	}
	o.authRequests = tallies("jwtgate.auth.requests", "{request}", "Authentications (Authenticate or Verify), by outcome and refusal reason.")
	o.authDuration = histogram("jwtgate.auth.duration", "How long an authentication took, the revocation check included.")
	o.cacheLookups = tallies("jwtgate.cache.lookups", "{lookup}", "Tokens looked up in the verified-token cache, by result.")
	o.cacheEvictions = counter("jwtgate.cache.evictions", "{eviction}", "Entries the verified-token cache dropped to make room.")
	o.storeDuration = histogram("jwtgate.store.duration", "How long a call to the revocation or issuing store took.")
	o.fetchDuration = histogram("jwtgate.jwks.fetch.duration", "How long a fetch of a remote JWK Set took.")
	var err error
	o.keyCount, err = meter.Int64Gauge("jwtgate.jwks.key.count", metric.WithUnit("{key}"),
		metric.WithDescription("Usable keys in a remote JWK Set after its last fetch (the last good set's after a failure)."))
	check(err)
	o.issuingDuration = histogram("jwtgate.issuing.duration", "How long a login, refresh, logout or revoke_subject took.")
	o.refreshReuses = counter("jwtgate.issuing.refresh.reuses", "{reuse}", "Spent refresh tokens presented again: their family was revoked.")
	o.authzRequests = tallies("jwtgate.authz.requests", "{request}", "Scope checks of a route's scope guard (RequireScopes), by outcome and refusal reason.")

	o.base = o.measure()
	o.accepted = o.measure(keyOutcome.String("accepted"))
	o.anon = o.measure(keyOutcome.String("anonymous"))
	o.refusals = make(map[string]*measure, len(reasons))
	for _, r := range reasons {
		o.refusals[r] = o.refusal(r)
	}
	o.refusalsMore = newCache(o.refusal, otherReason)
	o.granted = o.measure(keyAuthzOutcome.String("granted"))
	o.scopeRefusals = newCache(func(r string) *measure {
		return o.measure(keyAuthzOutcome.String("refused"), keyReason.String(r))
	}, otherReason)
	for outcome, name := range outcomeNames {
		for hit := range 2 {
			o.durations[outcome][hit] = o.measure(keyOutcome.String(name), keyCacheHit.Bool(hit == 1))
		}
	}
	o.hit = o.measure(keyResult.String("hit"))
	o.miss = o.measure(keyResult.String("miss"))
	o.stores = make(map[string]*measure, len(storeOps))
	for _, op := range storeOps {
		o.stores[op] = o.storeMeasure([2]string{op, ""})
	}
	o.storesMore = newCache(o.storeMeasure, otherError)
	o.fetches = newCache(func(u string) *measure { return o.fetchMeasure([2]string{u, ""}) }, otherReason)
	o.fetchFailures = newCache(o.fetchMeasure, otherError)
	o.issued = make(map[string]*measure, len(issuingOps))
	for _, op := range issuingOps {
		o.issued[op] = o.issuingMeasure([2]string{op, ""})
	}
	o.issuedMore = newCache(o.issuingMeasure, otherError)

	o.authRequests.fixed = append([]*measure{o.accepted, o.anon}, mapValues(o.refusals)...)
	o.authRequests.more = o.refusalsMore
	o.cacheLookups.fixed = []*measure{o.hit, o.miss}
	o.authzRequests.fixed = []*measure{o.granted}
	o.authzRequests.more = o.scopeRefusals
	check(o.registerTallies(meter))
	return o, errors.Join(errs...)
}

// registerTallies registers the callback that reports the tallies at each
// collection. It holds o weakly, and o's cleanup unregisters it: the
// MeterProvider, which lives as long as the process, does not keep alive an
// Observer its application dropped, nor report it.
func (o *Observer) registerTallies(meter metric.Meter) error {
	var insts []metric.Observable
	for _, t := range o.tallies() {
		if t.inst != nil {
			insts = append(insts, t.inst)
		}
	}
	w := weak.Make(o)
	reg, err := meter.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		if o := w.Value(); o != nil {
			for _, t := range o.tallies() {
				t.observe(obs)
			}
		}
		return nil
	}, insts...)
	if reg != nil {
		runtime.AddCleanup(o, func(reg metric.Registration) { _ = reg.Unregister() }, reg)
	}
	return err
}

func (o *Observer) tallies() [3]*tally {
	return [3]*tally{o.authRequests, o.cacheLookups, o.authzRequests}
}

// moduleVersion is this module's version in the binary's build, for the
// instrumentation scope: "" when it is not known (tests, a replace).
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path == ScopeName && m.Replace == nil {
			return m.Version
		}
	}
	return ""
}

func (o *Observer) refusal(reason string) *measure {
	return o.measure(keyOutcome.String("refused"), keyReason.String(reason))
}

func (o *Observer) storeMeasure(k [2]string) *measure {
	m := o.measure(withError(k[1], keyStoreOp.String(k[0]))...)
	m.span = "jwtgate.store." + k[0]
	return m
}

func (o *Observer) issuingMeasure(k [2]string) *measure {
	m := o.measure(withError(k[1], keyIssuingOp.String(k[0]))...)
	m.span = "jwtgate.issuing." + k[0]
	return m
}

// fetchMeasure holds the metric attributes of a key set, and for its spans
// the redacted URL too. The metrics carry the server's address and port,
// not the URL: the same bounded values OpenTelemetry's HTTP client metrics
// use, while the URL, configuration too, may hold a tenant in its path.
func (o *Observer) fetchMeasure(k [2]string) *measure {
	var kv []attribute.KeyValue
	var full attribute.KeyValue // none for a URL that does not parse (jwks.NewRemote refuses one)
	if u, err := url.Parse(k[0]); err == nil {
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if host != "" {
			kv = append(kv, semconv.ServerAddress(host))
		}
		if n, err := strconv.Atoi(port); err == nil {
			kv = append(kv, semconv.ServerPort(n))
		}
		full = semconv.URLFull(redact(u))
	}
	m := o.measure(withError(k[1], kv...)...)
	m.url = full
	return m
}

// redact replaces what url.full must not carry, credentials and the values
// of the query (which may hold a key), with REDACTED, and drops the
// fragment.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.UserPassword("REDACTED", "REDACTED")
	}
	if q := c.Query(); len(q) > 0 {
		for name := range q {
			q[name] = []string{"REDACTED"}
		}
		c.RawQuery = q.Encode()
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

func withError(errType string, kv ...attribute.KeyValue) []attribute.KeyValue {
	if errType != "" {
		kv = append(kv, semconv.ErrorTypeKey.String(errType))
	}
	return kv
}

// Authenticated implements [jwtgate.Observer]: jwtgate.auth.requests,
// jwtgate.auth.duration, jwtgate.cache.lookups and a jwtgate.authenticate
// span.
func (o *Observer) Authenticated(ctx context.Context, out *jwtgate.Outcome) {
	outcome, m := outcomeAccepted, o.accepted
	switch {
	case out.Err != nil:
		outcome = outcomeRefused
		if m = o.refusals[out.Reason]; m == nil {
			m = o.refusalsMore.get(out.Reason)
		}
	case out.Token == nil:
		outcome, m = outcomeAnonymous, o.anon
	}
	ctx, span := o.start(ctx, o.authSpan, out.Start)
	m.count.Add(1)
	hit := 0
	if out.Cached {
		hit = 1
	}
	o.authDuration.Record(ctx, out.Duration.Seconds(), o.durations[outcome][hit].rec...)
	switch {
	case out.Cached:
		o.hit.count.Add(1)
	case out.CacheLookup:
		o.miss.count.Add(1)
	}
	if span == nil || endUnrecorded(span) {
		return
	}
	// Set after Start rather than given to it: a span that is not sampled
	// then costs no attribute slice.
	kv := make([]attribute.KeyValue, 0, 5+len(o.extra))
	kv = append(kv, o.extra...) // first: the span keeps the last of a key
	kv = append(kv, keyOutcome.String(outcomeNames[outcome]), keyCacheHit.Bool(out.Cached))
	if out.Alg != "" {
		kv = append(kv, keyAlg.String(out.Alg))
	}
	if !out.Source.IsZero() {
		kv = append(kv, keySource.String(out.Source.String()))
	}
	if out.Err != nil {
		kv = append(kv, keyReason.String(out.Reason))
		span.SetStatus(codes.Error, out.Reason) // the reason, never the error's text
	}
	span.SetAttributes(kv...)
	span.End(trace.WithTimestamp(out.Start.Add(out.Duration)))
}

// endUnrecorded ends span if it records nothing (not sampled, or a global
// TracerProvider with no SDK behind it), and says so. It is ended without
// the end time, which it would not keep: the option and its slice are two
// allocations.
func endUnrecorded(span trace.Span) bool {
	if span.IsRecording() {
		return false
	}
	span.End()
	return true
}

// start starts a span at the core's start time, as a child of the span in
// ctx, and returns the context holding it: the measurements are recorded
// in it, so that an exemplar points at jwtgate's span, not the request's.
// The span is nil when spans are off.
func (o *Observer) start(ctx context.Context, name string, at time.Time) (context.Context, trace.Span) {
	if o.tracer == nil {
		return ctx, nil
	}
	return o.tracer.Start(ctx, name, trace.WithTimestamp(at), o.kind)
}

// StoreCall implements [jwtgate.Observer] and [issuing.Observer]:
// jwtgate.store.duration and a jwtgate.store.<op> span.
func (o *Observer) StoreCall(ctx context.Context, c *jwtgate.StoreCall) {
	op, start, d := c.Op, c.Start, c.Duration
	errType := storeErrorType(c.Err)
	m := o.stores[op]
	if m == nil || errType != "" {
		m = o.storesMore.get([2]string{op, errType})
	}
	ctx, span := o.start(ctx, m.span, start)
	o.storeDuration.Record(ctx, d.Seconds(), m.rec...)
	o.end(span, m, start, d, errType)
}

// storeErrorType is the error.type of a store call: "" when the store
// answered, which ErrRefreshReused and ErrFamilyUnknown are (a verdict on
// the token, not a store failing); else OpenTelemetry's name for the
// error's type.
func storeErrorType(err error) string {
	if err == nil || errors.Is(err, issuing.ErrRefreshReused) || errors.Is(err, issuing.ErrFamilyUnknown) {
		return ""
	}
	return errorType(err)
}

// errorType names err's type as semconv.ErrorType does, with the context's
// two errors, which are the common failures, by name.
func errorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return semconv.ErrorType(err).Value.AsString()
}

// KeysFetched implements [jwks.Observer]: jwtgate.jwks.fetch.duration,
// jwtgate.jwks.key.count and a jwtgate.jwks.fetch span.
func (o *Observer) KeysFetched(ctx context.Context, f *jwks.KeyFetch) {
	set := o.fetches.get(f.URL)
	m := set
	var errType string
	if f.Err != nil {
		errType = errorType(f.Err)
		m = o.fetchFailures.get([2]string{f.URL, errType})
	}
	ctx, span := o.start(ctx, o.jwksSpan, f.Start)
	o.fetchDuration.Record(ctx, f.Duration.Seconds(), m.rec...)
	o.keyCount.Record(ctx, int64(f.Keys), set.rec...)
	if span != nil && span.IsRecording() {
		span.SetAttributes(keyKeys.Int(f.Keys), keyRefused.Int(f.Refused), keyChanged.Bool(f.Changed))
		if m.url.Valid() {
			span.SetAttributes(m.url)
		}
	}
	o.end(span, m, f.Start, f.Duration, errType)
}

// Issued implements [issuing.Observer]: jwtgate.issuing.duration,
// jwtgate.issuing.refresh.reuses and a jwtgate.issuing.<op> span.
func (o *Observer) Issued(ctx context.Context, e *issuing.Issue) {
	op, reason, start, d := e.Op, e.Reason, e.Start, e.Duration
	m := o.issued[op]
	if m == nil || reason != "" {
		m = o.issuedMore.get([2]string{op, reason})
	}
	ctx, span := o.start(ctx, m.span, start)
	o.issuingDuration.Record(ctx, d.Seconds(), m.rec...)
	if reason == "refresh_reused" {
		o.refreshReuses.Add(ctx, 1, o.base.add...)
	}
	o.end(span, m, start, d, reason)
}

// Authorized implements [jwtgate.Observer]: jwtgate.authz.requests, by
// outcome (granted, refused) and, refused, the reason (insufficient_scope,
// missing_token, misconfigured). No span: a scope check takes no time worth
// one, and the request's own span holds it.
func (o *Observer) Authorized(_ context.Context, out *jwtgate.Outcome) {
	m := o.granted
	if out.Err != nil {
		m = o.scopeRefusals.get(out.Reason)
	}
	m.count.Add(1)
}

// CacheEvicted implements [jwtgate.Observer]: jwtgate.cache.evictions.
func (o *Observer) CacheEvicted(ctx context.Context, _ *jwtgate.Eviction) {
	o.cacheEvictions.Add(ctx, 1, o.base.add...)
}

// end ends a store call's, a key fetch's or an issuing operation's span
// (nil: spans are off) at start+d, with its metric's attributes (the
// operation, error.type, the extra ones) and, for a failure, status Error.
func (o *Observer) end(span trace.Span, m *measure, start time.Time, d time.Duration, errType string) {
	if span == nil || endUnrecorded(span) {
		return
	}
	span.SetAttributes(m.kv...)
	if errType != "" {
		span.SetStatus(codes.Error, errType)
	}
	span.End(trace.WithTimestamp(start.Add(d)))
}
