package echojwt_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	echojwt "github.com/jwtgate/jwtgate/echov5"
)

// TestConformance runs jwtgate's whole conformance table through an Echo v5
// app with its default HTTPErrorHandler.
func TestConformance(t *testing.T) {
	require.GreaterOrEqual(t, jwtgatetest.CaseCount(), 280, "conformance cases")
	var built atomic.Int32
	t.Run("suite", func(t *testing.T) {
		jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler {
			built.Add(1)
			cfg := echojwt.Config{Authenticator: r.Authenticator, Policy: r.Policy}
			mw := []echo.MiddlewareFunc{echojwt.New(cfg)}
			if r.Miswired {
				mw = nil
			}
			if len(r.Scopes) > 0 {
				mw = append(mw, echojwt.RequireScopes(cfg, r.Scopes...))
			}
			e := echo.New()
			e.Any("/protected", echo.WrapHandler(r.Handler), mw...)
			return e
		})
	})
	assert.Equal(t, int32(jwtgatetest.ServerCount()), built.Load(), "cases run")
}
