package ginjwt_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

// TestConformance runs the shared suite through a Gin engine, once with the
// engine's ContextWithFallback off (Gin's default) and once with it on.
func TestConformance(t *testing.T) {
	require.GreaterOrEqual(t, jwtgatetest.CaseCount(), 280, "conformance cases")
	for _, fallback := range []bool{false, true} {
		var built atomic.Int32
		t.Run(map[bool]string{false: "fallback=off", true: "fallback=on"}[fallback], func(t *testing.T) {
			jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler {
				built.Add(1)
				cfg := ginjwt.Config{Authenticator: r.Authenticator, Policy: r.Policy}
				chain := []gin.HandlerFunc{ginjwt.New(cfg)}
				if r.Miswired {
					chain = nil
				}
				if len(r.Scopes) > 0 {
					chain = append(chain, ginjwt.RequireScopes(cfg, r.Scopes...))
				}
				e := gin.New()
				e.ContextWithFallback = fallback
				e.Any("/protected", append(chain, gin.WrapH(r.Handler))...)
				return e
			})
		})
		// Run's subtests are parallel: they have all finished when t.Run returns.
		assert.Equal(t, int32(jwtgatetest.ServerCount()), built.Load(), "servers built (one per case, two for a case with another instance)")
	}
}
