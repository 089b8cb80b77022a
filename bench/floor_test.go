package bench

import (
	"context"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	fiber3 "github.com/gofiber/fiber/v3"
	"github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"
)

// floorKey and floorValue are what the floor middleware carries: a
// pointer that exists already, so that carrying it costs only what the
// framework needs to carry any per-request value.
type floorKey struct{}

var floorValue = new(int)

// floorNext is the net/http handler behind the floor middleware, behind an
// interface as the adapter's next is: a handler the compiler could see
// through would let the request's copy stay on the stack, which no
// middleware that wraps an application's handler gets.
var floorNext http.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// floors build each framework's app with the floor middleware in front of
// the same handler as BenchmarkBare's: the least any authentication
// middleware does on a request it lets through. It reads the Authorization
// field (refusing a request without one) and hands the handler one value
// where the adapter hands it the token: net/http, Echo and Gin in the
// request's context (context.WithValue and r.WithContext, the two
// allocations a net/http request needs to carry a value), Fiber in the
// user context (one). A cache hit's overhead beyond this floor is what
// jwtgate itself costs; the floor is what no middleware on that framework
// can avoid.
var floors = map[string]func() func(header) int{
	"nethttp": func() func(header) int {
		return serveRequest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.Header["Authorization"]) == 0 {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			floorNext.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), floorKey{}, floorValue)))
		}), "/")
	},
	"echo": func() func(header) int {
		e := echo.New()
		floor := func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				r := c.Request()
				if len(r.Header["Authorization"]) == 0 {
					return c.NoContent(http.StatusUnauthorized)
				}
				c.SetRequest(r.WithContext(context.WithValue(r.Context(), floorKey{}, floorValue)))
				return next(c)
			}
		}
		e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, floor)
		return serveRequest(e, "/")
	},
	"echo5": func() func(header) int {
		e := echo5.New()
		floor := func(next echo5.HandlerFunc) echo5.HandlerFunc {
			return func(c *echo5.Context) error {
				r := c.Request()
				if len(r.Header["Authorization"]) == 0 {
					return c.NoContent(http.StatusUnauthorized)
				}
				c.SetRequest(r.WithContext(context.WithValue(r.Context(), floorKey{}, floorValue)))
				return next(c)
			}
		}
		e.GET("/", func(c *echo5.Context) error { return c.NoContent(http.StatusOK) }, floor)
		return serveRequest(e, "/")
	},
	"gin": func() func(header) int {
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		floor := func(c *gin.Context) {
			if len(c.Request.Header["Authorization"]) == 0 {
				c.AbortWithStatus(http.StatusUnauthorized)
				return
			}
			c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), floorKey{}, floorValue))
		}
		r.GET("/", floor, func(c *gin.Context) { c.Status(http.StatusOK) })
		return serveRequest(r, "/")
	},
	"fiber": func() func(header) int {
		app := fiber.New()
		floor := func(c *fiber.Ctx) error {
			if c.Get(fiber.HeaderAuthorization) == "" {
				return c.SendStatus(fiber.StatusUnauthorized)
			}
			c.SetUserContext(context.WithValue(c.UserContext(), floorKey{}, floorValue))
			return c.Next()
		}
		app.Get("/", floor, func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
		return serveFastHTTP(app.Handler())
	},
	"fiber3": func() func(header) int {
		app := fiber3.New()
		floor := func(c fiber3.Ctx) error {
			if c.Get(fiber3.HeaderAuthorization) == "" {
				return c.SendStatus(fiber3.StatusUnauthorized)
			}
			c.SetContext(context.WithValue(c.Context(), floorKey{}, floorValue))
			return c.Next()
		}
		app.Get("/", floor, func(c fiber3.Ctx) error { return c.SendStatus(fiber3.StatusOK) })
		return serveFastHTTP(app.Handler())
	},
}

// BenchmarkFloor is each framework with the floor middleware (see floors)
// and a valid token's Authorization field: the framework's share of a
// cache hit, which the ratio report takes from the hit's overhead.
func BenchmarkFloor(b *testing.B) {
	for _, fw := range frameworks {
		build, ok := floors[fw.name]
		if !ok {
			b.Fatalf("no floor middleware for %s", fw.name)
		}
		b.Run("fw="+fw.name, func(b *testing.B) {
			serve, hd := build(), bearer(algs[0].valid)
			if serve(header{}) != http.StatusUnauthorized {
				b.Fatal("the floor middleware let a request without Authorization through")
			}
			b.ReportAllocs()
			for b.Loop() {
				if serve(hd) != http.StatusOK {
					b.Fatal("status")
				}
			}
		})
	}
}
