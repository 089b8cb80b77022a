package jwtgateotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	jwtgate "github.com/jwtgate/jwtgate/core"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// One Observer for the Authenticator (and the Issuer and any jwks.Remote):
// here on an SDK MeterProvider whose reader the example reads at once; an
// application gives its own, or sets the global ones.
func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	obs, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		panic(err)
	}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte("0123456789abcdef0123456789abcdef"), "HS256"),
		Issuer:   []string{"https://issuer.example"},
		Audience: []string{"api://example"},
		Observer: obs,
	})
	if err != nil {
		panic(err)
	}
	h := httpjwt.New(httpjwt.Config{Authenticator: auth})(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)) // no token: refused

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	var names []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		names = append(names, m.Name+" ("+m.Unit+")")
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Println(n)
	}
	// Output:
	// jwtgate.auth.duration (s)
	// jwtgate.auth.requests ({request})
}
