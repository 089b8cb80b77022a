package jwtgateotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	jwtgate "github.com/jwtgate/jwtgate/core"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// BenchmarkRequest is one GET through httpjwt with an HS256 token (the
// cheapest verification, so the Observer's share is at its largest), with
// the verified-token cache on and off, and:
//
//   - observer=none: no Observer, the core's zero-cost path;
//   - observer=metrics: the SDK's MeterProvider (a ManualReader, never
//     collected: what recording costs) and no tracing (a no-op
//     TracerProvider);
//   - observer=metrics+global: metrics, and the global TracerProvider with
//     no SDK behind it (what New uses when it is given none and the
//     application sets none): its spans record nothing, but each is still
//     started, put in a context and ended. Run the benchmarks alone
//     (-run='^$'): TestGlobalProviders sets the global providers;
//   - observer=metrics+traces: and the SDK's TracerProvider, sampling
//     every span, with a batch span processor in front of an exporter that
//     discards, as a production set-up exports in the background.
//
// go test -run='^$' -bench=Request -benchmem -count=6 ./otel
func BenchmarkRequest(b *testing.B) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer: testIssuer, Subject: "user-1", Audience: jwt.ClaimStrings{testAudience}, ID: "j-1",
		IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(24 * time.Hour)),
	}).SignedString(secretKey)
	if err != nil {
		b.Fatal(err)
	}
	observers := []struct {
		name string
		new  func(b *testing.B) jwtgate.Observer
	}{
		{"none", func(*testing.B) jwtgate.Observer { return nil }},
		{"metrics", func(b *testing.B) jwtgate.Observer {
			return observer(b, jwtgateotel.WithTracerProvider(noop.NewTracerProvider()))
		}},
		{"metrics+global", func(b *testing.B) jwtgate.Observer { return observer(b) }},
		{"metrics+traces", func(b *testing.B) jwtgate.Observer {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return observer(b, jwtgateotel.WithTracerProvider(tp))
		}},
	}
	for _, cache := range []string{"on", "off"} {
		for _, o := range observers {
			b.Run("cache="+cache+"/observer="+o.name, func(b *testing.B) {
				cfg := jwtgate.Config{Keys: jwtgate.HMAC(secretKey, "HS256"), Issuer: []string{testIssuer}, Audience: []string{testAudience}}
				if cache == "off" {
					cfg.CacheSize = -1
				}
				if obs := o.new(b); obs != nil {
					cfg.Observer = obs
				}
				auth, err := jwtgate.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				w := &recorder{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					w.code = http.StatusOK
					h.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}
	}
}

// observer is an Observer on the SDK's MeterProvider.
func observer(b *testing.B, opts ...jwtgateotel.Option) jwtgate.Observer {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o, err := jwtgateotel.New(append([]jwtgateotel.Option{jwtgateotel.WithMeterProvider(mp)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return o
}

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// recorder is a reusable http.ResponseWriter: a benchmark measures the
// middleware, not an httptest.ResponseRecorder per request.
type recorder struct {
	h    http.Header
	code int
}

func (w *recorder) Header() http.Header         { return w.h }
func (w *recorder) Write(p []byte) (int, error) { return len(p), nil }
func (w *recorder) WriteHeader(code int)        { w.code = code }
