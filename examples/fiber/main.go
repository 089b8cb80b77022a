// Command fiber is jwtgate's Fiber v2 example: login, refresh, logout and
// protected routes, answering the contract of examples/README.md.
//
//	go run ./examples/fiber
//
// Environment: ADDR (default 127.0.0.1:8080), JWT_SECRET (HS256, at least 32
// bytes; default random, so tokens die with the process), JWT_ISSUER (default
// jwtgate-example), JWT_AUDIENCE (default jwtgate-example-api), REDIS_URL
// (unset: an in-memory store; set, e.g. redis://127.0.0.1:6379/0: revocations
// and refresh families live in Redis, shared by every instance),
// ALLOWED_ORIGINS (the origins trusted to send cookie-mode requests; default
// the request's own). POST /login?mode=cookie sets the tokens as HttpOnly
// cookies for a browser; GET / is a page that uses them.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
)

// newApp is the whole app.
func newApp(svc *demo.Service) *fiber.App {
	app := fiber.New(fiber.Config{
		// Fiber reads request headers into this buffer and answers 431 to
		// anything larger: room for the contract's 16 KiB headers, so that an
		// oversized token gets jwtgate's JSON 401.
		ReadBufferSize:        32 << 10,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler,
	})
	cfg := fiberjwt.Config{Authenticator: svc.Auth}
	// Per route rather than on a group, so that an unknown method or path
	// under /api gets Fiber's 405 or 404, as on the other apps, not a 401.
	protect := fiberjwt.New(cfg)

	app.Get("/healthz", func(c *fiber.Ctx) error {
		return writeJSON(c, fiber.StatusOK, fiber.Map{"status": "ok"})
	})
	app.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(demo.Page)
	})

	// The bodies are read raw, as net/http reads them (c.Body() would
	// decompress a Content-Encoding first).
	app.Post("/login", func(c *fiber.Ctx) error {
		login, err := demo.DecodeLogin(bytes.NewReader(c.Request().Body()))
		if err != nil {
			return writeResponse(c, demo.BadRequest)
		}
		grant, ok := demo.CheckPassword(login.Username, login.Password)
		if !ok {
			return writeResponse(c, svc.BadCredentials())
		}
		pair, err := svc.Issuer.Login(c.UserContext(), grant)
		if err != nil {
			return writeResponse(c, svc.Auth.Response(err))
		}
		if demo.CookieMode(string(c.Request().URI().QueryString())) {
			return writeCookies(c, svc, pair)
		}
		return writeJSON(c, fiber.StatusOK, pair)
	})

	app.Post("/refresh", func(c *fiber.Ctx) error {
		token, err := demo.DecodeRefresh(bytes.NewReader(c.Request().Body()))
		cookie, _ := fiberjwt.Request(c).Cookie("refresh_token")
		switch {
		case err != nil:
			return writeResponse(c, demo.BadRequest)
		case token != "" && cookie != "":
			return writeResponse(c, demo.BothRefreshTokens)
		case token != "":
			pair, err := svc.Issuer.Refresh(c.UserContext(), token)
			if err != nil {
				return writeResponse(c, svc.Auth.Response(err))
			}
			return writeJSON(c, fiber.StatusOK, pair)
		case cookie != "": // cookie mode: CSRF-checked, then rotated
			pair, err := svc.Issuer.RefreshCookie(c.UserContext(), fiberjwt.Request(c))
			if err != nil {
				return writeResponse(c, svc.Auth.Response(err))
			}
			return writeCookies(c, svc, pair)
		default:
			return writeResponse(c, demo.NoRefresh)
		}
	})

	app.Post("/logout", protect, func(c *fiber.Ctx) error {
		t, _ := fiberjwt.Token(c)
		if err := svc.Issuer.Logout(c.UserContext(), t); err != nil {
			return writeResponse(c, svc.Auth.Response(err))
		}
		r := fiberjwt.Request(c)
		if demo.HasSessionCookie(func(name string) bool { _, n := r.Cookie(name); return n > 0 }) {
			setCookies(c, issuing.ClearCookies(svc.Cookies))
		}
		return c.SendStatus(fiber.StatusNoContent)
	})

	app.Get("/api/me", protect, func(c *fiber.Ctx) error {
		t, _ := fiberjwt.Token(c)
		return writeJSON(c, fiber.StatusOK, demo.Me(t))
	})
	app.Get("/api/admin", protect, fiberjwt.RequireScopes(cfg, "admin"), func(c *fiber.Ctx) error {
		return writeJSON(c, fiber.StatusOK, fiber.Map{"message": "hello, admin"})
	})
	return app
}

func writeJSON(c *fiber.Ctx, status int, v any) error {
	c.Set(fiber.HeaderCacheControl, "no-store") // token responses must not be cached (RFC 6749 §5.1)
	return c.Status(status).JSON(v)
}

// writeCookies answers a login or refresh in cookie mode.
func writeCookies(c *fiber.Ctx, svc *demo.Service, pair *issuing.Pair) error {
	set, body := svc.CookieAnswer(pair)
	setCookies(c, set)
	return writeJSON(c, fiber.StatusOK, body)
}

// setCookies adds one Set-Cookie line per cookie, as net/http writes them.
func setCookies(c *fiber.Ctx, cookies []*http.Cookie) {
	for _, ck := range cookies {
		c.Response().Header.Add(fiber.HeaderSetCookie, ck.String())
	}
}

// writeResponse answers r as jwtgate.WriteResponse does on net/http.
func writeResponse(c *fiber.Ctx, r jwtgate.Response) error {
	if r.WWWAuthenticate != "" {
		c.Set(fiber.HeaderWWWAuthenticate, r.WWWAuthenticate)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(r.Status).Send(r.Body())
}

// errorHandler answers what Fiber itself refuses (an unknown route, a method
// not allowed, headers over ReadBufferSize, a request it cannot parse) in the
// contract's JSON shape. It never sends err's text: fasthttp's parse errors
// quote the request, tokens included.
func errorHandler(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	if fe := (*fiber.Error)(nil); errors.As(err, &fe) {
		status = fe.Code
	}
	if status >= fiber.StatusInternalServerError {
		demo.Logger().Error("request failed", "status", status, "error", err)
	}
	text := utils.StatusMessage(status)
	code := strings.ToLower(strings.ReplaceAll(text, " ", "_")) // "not_found"
	if status == fiber.StatusBadRequest {
		code = "invalid_request"
	}
	return writeResponse(c, jwtgate.Response{Status: status, Code: code, Description: text})
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fiber:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	a, err := demo.Start(getenv, out)
	if err != nil {
		return err
	}
	defer a.Close()
	app, ln := newApp(a.Service), a.Listener
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
		demo.Logger().Warn("shutdown: requests still running after 5 s", "error", err)
	}
	// fasthttp closes only the listeners it already serves: if the context
	// ended before app.Listener got going, closing ln is what stops it.
	_ = ln.Close()
	return <-served
}
