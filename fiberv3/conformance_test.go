package fiberjwt_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

// TestConformance runs the whole suite through a Fiber app with its default
// configuration (Immutable false: fasthttp's buffers are reused) and with
// Immutable set.
func TestConformance(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, jwtgatetest.CaseCount(), 280, "conformance cases")
	for name, config := range map[string]fiber.Config{"default": {}, "immutable": {Immutable: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var built atomic.Int32
			t.Run("suite", func(t *testing.T) {
				jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler {
					built.Add(1)
					app := fiber.New(config)
					cfg := fiberjwt.Config{Authenticator: r.Authenticator, Policy: r.Policy}
					handlers := []any{fiberjwt.New(cfg)}
					if r.Miswired {
						handlers = nil
					}
					if len(r.Scopes) > 0 {
						handlers = append(handlers, fiberjwt.RequireScopes(cfg, r.Scopes...))
					}
					handlers = append(handlers, wrapHandler(r.Handler))
					app.All("/protected", handlers[0], handlers[1:]...)
					return serve(app)
				})
			})
			assert.Equal(t, int32(jwtgatetest.ServerCount()), built.Load(), "cases run")
		})
	}
}

// wrapHandler is adaptor.HTTPHandler, with the request's context.Context
// bridged: the net/http handler sees c.Context(), where New put the token.
func wrapHandler(h http.Handler) fiber.Handler {
	return func(c fiber.Ctx) error {
		ctx := c.Context()
		return adaptor.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(ctx))
		}))(c)
	}
}

// serve is adaptor.FiberApp(app) made faithful: every header line is added
// (adaptor.FiberApp calls Header.Set per value, so of two Authorization lines
// the app sees one), and the target is r.URL (the suite edits URL.RawQuery
// without RequestURI, which adaptor.FiberApp reads). Like adaptor.FiberApp, it
// builds the fasthttp request in memory: fasthttp's header parser and
// fiber.Config.ReadBufferSize are not involved (see TestReadBufferSize).
func serve(app *fiber.App) http.Handler {
	handler := app.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var fctx fasthttp.RequestCtx
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.SetBody(body)
		req.Header.SetMethod(r.Method)
		req.SetRequestURI(r.URL.RequestURI())
		req.SetHost(r.Host)
		for name, lines := range r.Header {
			for _, v := range lines {
				req.Header.Add(name, v)
			}
		}
		fctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1234}, nil)
		handler(&fctx)
		for k, v := range fctx.Response.Header.All() {
			w.Header().Add(string(k), string(v))
		}
		w.WriteHeader(fctx.Response.StatusCode())
		_, _ = w.Write(fctx.Response.Body())
	})
}

// TestAdaptorFiberAppCollapsesRepeatedHeaders is why the suite does not use
// adaptor.FiberApp as it is: the app sees one of two Authorization lines, so
// RFC 6750's "repeated" check could not be tested through it. The real
// server, and serve, keep both lines.
func TestAdaptorFiberAppCollapsesRepeatedHeaders(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Get("/", func(c fiber.Ctx) error {
		return c.JSON(len(c.Request().Header.PeekAll(fiber.HeaderAuthorization)))
	})
	lines := func(h http.Handler) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{"Bearer a", "Bearer b"}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Body.String()
	}
	assert.Equal(t, "1", lines(adaptor.FiberApp(app)), "adaptor.FiberApp")
	assert.Equal(t, "2", lines(serve(app)), "serve")
}
