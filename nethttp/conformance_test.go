package httpjwt_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/nethttp"
)

func TestConformance(t *testing.T) {
	require.GreaterOrEqual(t, jwtgatetest.CaseCount(), 60, "conformance cases")
	jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler {
		cfg := httpjwt.Config{Authenticator: r.Authenticator, Policy: r.Policy}
		h := r.Handler
		if len(r.Scopes) > 0 {
			h = httpjwt.RequireScopes(cfg, r.Scopes...)(h)
		}
		if r.Miswired {
			return h
		}
		return httpjwt.New(cfg)(h)
	})
}
