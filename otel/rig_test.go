package jwtgateotel_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwks"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// rig is one test's OpenTelemetry SDK: a ManualReader for the metrics, a
// SpanRecorder for the spans, and the Observer under test behind a tee
// that keeps what the core told it, to compare the spans' timestamps with.
// Every secret the test makes (tokens, subjects, token IDs) is noted, and
// at the end no recorded attribute may hold one.
type rig struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	obs    *tee

	mu      sync.Mutex
	secrets []string
}

func newRig(t *testing.T, opts ...jwtgateotel.Option) *rig {
	t.Helper()
	r := &rig{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	t.Cleanup(func() {
		ctx := context.Background()
		assert.NoError(t, mp.Shutdown(ctx))
		assert.NoError(t, r.tp.Shutdown(ctx))
	})
	obs, err := jwtgateotel.New(append([]jwtgateotel.Option{jwtgateotel.WithMeterProvider(mp), jwtgateotel.WithTracerProvider(r.tp)}, opts...)...)
	require.NoError(t, err)
	r.obs = &tee{Observer: obs}
	t.Cleanup(func() { r.assertNoSecrets(t) })
	return r
}

// secret notes values no attribute may hold.
func (r *rig) secret(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range s {
		if v != "" {
			r.secrets = append(r.secrets, v)
		}
	}
}

// random is a fresh value, so that a secret found in an attribute cannot be
// there by chance.
func random(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

var secretKey = []byte("0123456789abcdef0123456789abcdef")

const (
	testIssuer   = "https://issuer.test"
	testAudience = "api://test"
)

// token mints an HS256 token with a random sub and jti, noted as secrets.
func (r *rig) token(t *testing.T, key []byte, exp time.Time) string {
	t.Helper()
	sub, jti := random("sub-"), random("jti-")
	now := time.Now()
	if exp.Before(now) {
		now = exp.Add(-time.Hour)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer: testIssuer, Subject: sub, Audience: jwt.ClaimStrings{testAudience}, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}).SignedString(key)
	require.NoError(t, err)
	r.secret(s, sub, jti)
	return s
}

// tokenClaims notes a token minted elsewhere (by an Issuer) and its
// claims as secrets.
func (r *rig) tokenClaims(t *testing.T, raw string) {
	t.Helper()
	var c struct {
		jwt.RegisteredClaims
		SID string `json:"sid"`
	}
	_, _, err := jwt.NewParser().ParseUnverified(raw, &c)
	require.NoError(t, err)
	r.secret(raw, c.Subject, c.ID, c.SID)
}

// auth builds an Authenticator reporting to the rig.
func (r *rig) auth(t *testing.T, modify func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{
		Keys: jwtgate.HMAC(secretKey, "HS256"), Issuer: []string{testIssuer}, Audience: []string{testAudience},
		Observer: r.obs, Logger: slog.New(slog.DiscardHandler),
	}
	if modify != nil {
		modify(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}

// serve sends req to h inside a span of the test's own, the request's
// span as an HTTP server instrumentation would start it, and returns the
// status and that span's context.
func (r *rig) serve(h http.Handler, req *http.Request) (int, trace.SpanContext) {
	ctx, span := r.tp.Tracer("test").Start(req.Context(), "request", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(ctx))
	return w.Code, span.SpanContext()
}

// get serves GET / with token as a bearer token ("" for none).
func (r *rig) get(h http.Handler, token string) (int, trace.SpanContext) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return r.serve(h, req)
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

// metrics collects every metric by name.
func (r *rig) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != jwtgateotel.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// ended returns the ended spans named name, in the order they ended.
func (r *rig) ended(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// count is a counter's value for exactly the attributes kv (0 when no such
// series).
func count(t *testing.T, ms map[string]metricdata.Metrics, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	m, found := ms[name]
	if !found {
		return 0
	}
	sum, isSum := m.Data.(metricdata.Sum[int64])
	require.True(t, isSum, "%s is an int64 sum, not %T", name, m.Data)
	assert.True(t, sum.IsMonotonic, "%s is a counter", name)
	want := attribute.NewSet(kv...)
	for _, dp := range sum.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

// histogram is a histogram's data point for exactly the attributes kv.
func histogram(t *testing.T, ms map[string]metricdata.Metrics, name string, kv ...attribute.KeyValue) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	m, found := ms[name]
	require.True(t, found, "metric %s", name)
	h, isHist := m.Data.(metricdata.Histogram[float64])
	require.True(t, isHist, "%s is a float64 histogram, not %T", name, m.Data)
	want := attribute.NewSet(kv...)
	for _, dp := range h.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp
		}
	}
	return metricdata.HistogramDataPoint[float64]{}
}

// gauge is a gauge's value for exactly the attributes kv.
func gauge(t *testing.T, ms map[string]metricdata.Metrics, name string, kv ...attribute.KeyValue) (int64, bool) {
	t.Helper()
	m, found := ms[name]
	require.True(t, found, "metric %s", name)
	g, isGauge := m.Data.(metricdata.Gauge[int64])
	require.True(t, isGauge, "%s is an int64 gauge, not %T", name, m.Data)
	want := attribute.NewSet(kv...)
	for _, dp := range g.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value, true
		}
	}
	return 0, false
}

// attrs is a span's attributes as a map.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

// assertChild checks that s is a child of the request span parent, and an
// internal span.
func assertChild(t *testing.T, s sdktrace.ReadOnlySpan, parent trace.SpanContext) {
	t.Helper()
	assert.Equal(t, parent.TraceID(), s.Parent().TraceID(), "%s: the request's trace", s.Name())
	assert.Equal(t, parent.SpanID(), s.Parent().SpanID(), "%s: a child of the request's span", s.Name())
	assert.Equal(t, trace.SpanKindInternal, s.SpanKind(), s.Name())
}

// assertTimes checks that s starts and ends when the core said.
func assertTimes(t *testing.T, s sdktrace.ReadOnlySpan, start time.Time, d time.Duration) {
	t.Helper()
	require.False(t, start.IsZero(), "the core gave a start")
	assert.True(t, s.StartTime().Equal(start), "%s starts at the core's start: %v, want %v", s.Name(), s.StartTime(), start)
	assert.True(t, s.EndTime().Equal(start.Add(d)), "%s ends at start+duration: %v, want %v", s.Name(), s.EndTime(), start.Add(d))
}

// values returns every attribute value recorded anywhere: every data
// point's attributes (exemplars' too), every span's attributes, status
// description, events, links and resource.
func (r *rig) values(t *testing.T) (vals []string) {
	t.Helper()
	add := func(kvs ...attribute.KeyValue) {
		for _, kv := range kvs {
			vals = append(vals, string(kv.Key)+"="+kv.Value.String())
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(context.Background(), &rm))
	add(rm.Resource.Attributes()...)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice()...)
					for _, e := range dp.Exemplars {
						add(e.FilteredAttributes...)
					}
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice()...)
					for _, e := range dp.Exemplars {
						add(e.FilteredAttributes...)
					}
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice()...)
					for _, e := range dp.Exemplars {
						add(e.FilteredAttributes...)
					}
				}
			default:
				t.Errorf("metric %s: data %T not scanned", m.Name, m.Data)
			}
		}
	}
	for _, s := range r.spans.Ended() {
		vals = append(vals, s.Name(), s.Status().Description)
		add(s.Attributes()...)
		add(s.Resource().Attributes()...)
		for _, e := range s.Events() {
			vals = append(vals, e.Name)
			add(e.Attributes...)
		}
		for _, l := range s.Links() {
			add(l.Attributes...)
		}
	}
	return vals
}

// assertNoSecrets checks that no recorded value holds a secret.
func (r *rig) assertNoSecrets(t *testing.T) {
	t.Helper()
	assert.Empty(t, r.leaks(t), "recorded values holding a token, a sub or a jti")
}

// leaks returns the recorded values that hold a secret.
func (r *rig) leaks(t *testing.T) []string {
	t.Helper()
	vals := r.values(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, v := range vals {
		for _, s := range r.secrets {
			if strings.Contains(v, s) {
				out = append(out, v)
			}
		}
	}
	return out
}

// tee keeps what the core reports before passing it on to the Observer.
type tee struct {
	*jwtgateotel.Observer

	mu        sync.Mutex
	outcomes  []jwtgate.Outcome
	stores    []call
	fetches   []jwks.KeyFetch
	issued    []call
	evictions int
}

// call is a store call or an issuing operation as the core reported it.
type call struct {
	op, reason string
	start      time.Time
	d          time.Duration
	err        error
}

func (o *tee) Authenticated(ctx context.Context, out *jwtgate.Outcome) {
	o.mu.Lock()
	o.outcomes = append(o.outcomes, *out)
	o.mu.Unlock()
	o.Observer.Authenticated(ctx, out)
}

func (o *tee) StoreCall(ctx context.Context, c *jwtgate.StoreCall) {
	o.mu.Lock()
	o.stores = append(o.stores, call{op: c.Op, start: c.Start, d: c.Duration, err: c.Err})
	o.mu.Unlock()
	o.Observer.StoreCall(ctx, c)
}

func (o *tee) KeysFetched(ctx context.Context, f *jwks.KeyFetch) {
	o.mu.Lock()
	o.fetches = append(o.fetches, *f)
	o.mu.Unlock()
	o.Observer.KeysFetched(ctx, f)
}

func (o *tee) Issued(ctx context.Context, e *issuing.Issue) {
	o.mu.Lock()
	o.issued = append(o.issued, call{op: e.Op, reason: e.Reason, start: e.Start, d: e.Duration, err: e.Err})
	o.mu.Unlock()
	o.Observer.Issued(ctx, e)
}

func (o *tee) CacheEvicted(ctx context.Context, e *jwtgate.Eviction) {
	o.mu.Lock()
	o.evictions++
	o.mu.Unlock()
	o.Observer.CacheEvicted(ctx, e)
}

// storeCalls returns the store calls of op, in order.
func (o *tee) storeCalls(op string) []call {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []call
	for _, c := range o.stores {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}
