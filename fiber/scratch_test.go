package fiberjwt_test

import (
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/valyala/fasthttp"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
)

func bridgeH(h http.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		return adaptor.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(ctx))
		}))(c)
	}
}

func build(r jwtgatetest.Route, fc fiber.Config) *fiber.App {
	app := fiber.New(fc)
	cfg := fiberjwt.Config{Authenticator: r.Authenticator}
	hs := []fiber.Handler{fiberjwt.New(cfg)}
	if len(r.Scopes) > 0 {
		hs = append(hs, fiberjwt.RequireScopes(cfg, r.Scopes...))
	}
	app.All("/protected", append(hs, bridgeH(r.Handler))...)
	return app
}

func inMemory(app *fiber.App) http.Handler {
	h := app.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var fctx fasthttp.RequestCtx
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		body, _ := io.ReadAll(r.Body)
		req.SetBody(body)
		req.Header.SetMethod(r.Method)
		req.SetRequestURI(r.URL.RequestURI())
		req.SetHost(r.Host)
		for k, vs := range r.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		fctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
		h(&fctx)
		fctx.Response.Header.VisitAll(func(k, v []byte) { w.Header().Add(string(k), string(v)) })
		w.WriteHeader(fctx.Response.StatusCode())
		_, _ = w.Write(fctx.Response.Body())
	})
}

func viaTest(app *fiber.App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := app.Test(r, -1)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	})
}

func TestScratchAdaptor(t *testing.T) {
	jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler { return adaptor.FiberApp(build(r, fiber.Config{})) })
}
func TestScratchInMemory(t *testing.T) {
	jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler { return inMemory(build(r, fiber.Config{})) })
}
func TestScratchWireDefault(t *testing.T) {
	jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler { return viaTest(build(r, fiber.Config{})) })
}
func TestScratchWireBig(t *testing.T) {
	jwtgatetest.Run(t, func(_ *testing.T, r jwtgatetest.Route) http.Handler {
		return viaTest(build(r, fiber.Config{ReadBufferSize: 2 << 20}))
	})
}
