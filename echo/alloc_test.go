package echojwt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"

	echojwt "github.com/jwtgate/jwtgate/echo"
)

// TestAdapterAllocations pins what the middleware adds to a bare Echo app's
// allocations per request, so that a value of the decision path moving to
// the heap (as an adapt.Decision handed to a closure by pointer did) fails
// here. A cache hit adds 3: the request's own Token (which carries it in
// the context), the request that context replaces, and the handler closure
// Echo v4 asks for per request of a route that lists the middleware, which
// a middleware that only calls next costs too (measured beside it). A
// forged token adds what the core's refusal costs and the answer's writing.
// Not parallel: testing.AllocsPerRun; exact without the race detector,
// where the views' sync.Pool drops what is put back (the test command runs
// it so).
func TestAdapterAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector; scripts/test.sh runs this without it")
	}
	auth := newAuth(t, nil)
	ok := func(c echo.Context) error { return c.NoContent(http.StatusOK) }
	bare, passing, guarded := echo.New(), echo.New(), echo.New()
	bare.GET("/", ok)
	// Echo v4 calls a route's middleware per request, and any middleware
	// returns a closure over next: what every middleware costs here.
	passing.GET("/", ok, func(next echo.HandlerFunc) echo.HandlerFunc { return func(c echo.Context) error { return next(c) } })
	guarded.GET("/", ok, echojwt.New(echojwt.Config{Authenticator: auth}))
	valid := "Bearer " + token(t, "")
	serve := func(e *echo.Echo, authz string) func() {
		ctx, cancel := context.WithCancel(context.Background()) // a server's request context
		t.Cleanup(cancel)
		r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		r.Header.Set("Authorization", authz)
		w := httptest.NewRecorder()
		return func() { w.Body.Reset(); e.ServeHTTP(w, r) }
	}
	base := testing.AllocsPerRun(200, serve(bare, valid))
	closure := testing.AllocsPerRun(200, serve(passing, valid)) - base
	hit := testing.AllocsPerRun(200, serve(guarded, valid))
	forged := testing.AllocsPerRun(200, serve(guarded, valid[:len(valid)-2]+"AA"))
	t.Logf("bare %v, a middleware's closure %v, cache hit %v, forged %v", base, closure, hit, forged)
	assert.Equal(t, 1.0, closure, "Echo v4's closure per request and middleware")
	assert.LessOrEqual(t, hit-base-closure, 2.0, "a cache hit, beyond the closure Echo asks of every middleware")
	assert.LessOrEqual(t, forged-base, 12.0, "a forged token")
}
