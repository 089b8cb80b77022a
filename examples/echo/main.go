// Command echo is jwtgate's Echo v4 example: login, refresh, logout and
// protected routes, answering the contract of examples/README.md.
//
//	go run ./examples/echo
//
// Environment: ADDR (default 127.0.0.1:8080), JWT_SECRET (HS256, at least 32
// bytes; default random, so tokens die with the process), JWT_ISSUER (default
// jwtgate-example), JWT_AUDIENCE (default jwtgate-example-api).
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/labstack/echo/v4"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	echojwt "github.com/jwtgate/jwtgate/echo"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	"github.com/jwtgate/jwtgate/extractors"
)

// newApp is the whole app. Refusals of echojwt reach echo's default
// HTTPErrorHandler as *echo.HTTPError and are rendered in the contract's shape.
func newApp(svc *demo.Service) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	cfg := echojwt.Config{Authenticator: svc.Auth}
	protect := echojwt.New(cfg)

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, demo.Page) })

	e.POST("/login", func(c echo.Context) error {
		login, err := demo.DecodeLogin(c.Request().Body)
		if err != nil {
			return answer(c, demo.BadRequest)
		}
		grant, ok := demo.CheckPassword(login.Username, login.Password)
		if !ok {
			return answer(c, svc.BadCredentials())
		}
		pair, err := svc.Issuer.Login(c.Request().Context(), grant)
		if err != nil {
			return answer(c, svc.Auth.Response(err))
		}
		if demo.CookieMode(c.QueryString()) {
			return cookies(c, svc, pair)
		}
		return tokens(c, pair)
	})

	e.POST("/refresh", func(c echo.Context) error {
		token, err := demo.DecodeRefresh(c.Request().Body)
		cookie, cookieErr := c.Cookie("refresh_token")
		hasCookie := cookieErr == nil && cookie.Value != ""
		switch {
		case err != nil:
			return answer(c, demo.BadRequest)
		case token != "" && hasCookie:
			return answer(c, demo.BothRefreshTokens)
		case token != "":
			pair, err := svc.Issuer.Refresh(c.Request().Context(), token)
			if err != nil {
				return answer(c, svc.Auth.Response(err))
			}
			return tokens(c, pair)
		case hasCookie: // cookie mode: CSRF-checked, then rotated
			pair, err := svc.Issuer.RefreshCookie(c.Request().Context(), extractors.FromHTTP(c.Request()))
			if err != nil {
				return answer(c, svc.Auth.Response(err))
			}
			return cookies(c, svc, pair)
		default:
			return answer(c, demo.NoRefresh)
		}
	})

	e.POST("/logout", func(c echo.Context) error {
		t, _ := echojwt.Token(c)
		if err := svc.Issuer.Logout(c.Request().Context(), t); err != nil {
			return answer(c, svc.Auth.Response(err))
		}
		if demo.HasSessionCookie(func(name string) bool { _, err := c.Cookie(name); return err == nil }) {
			for _, ck := range issuing.ClearCookies(svc.Cookies) {
				c.SetCookie(ck)
			}
		}
		return c.NoContent(http.StatusNoContent)
	}, protect)

	api := e.Group("/api", protect)
	api.GET("/me", func(c echo.Context) error {
		t, _ := echojwt.Token(c)
		return c.JSON(http.StatusOK, demo.Me(t))
	})
	api.GET("/admin", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"message": "hello, admin"})
	}, echojwt.RequireScopes(cfg, "admin"))
	return e
}

// tokens answers a token pair; token responses must not be cached (RFC 6749
// §5.1).
func tokens(c echo.Context, pair *issuing.Pair) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, pair)
}

// cookies answers a login or refresh in cookie mode.
func cookies(c echo.Context, svc *demo.Service, pair *issuing.Pair) error {
	set, body := svc.CookieAnswer(pair)
	for _, ck := range set {
		c.SetCookie(ck)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, body)
}

// answer sends one of the app's own failures in the contract's shape.
func answer(c echo.Context, r jwtgate.Response) error {
	jwtgate.WriteResponse(c.Response(), r)
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	app, err := demo.Start(getenv, out)
	if err != nil {
		return err
	}
	defer app.Close()
	// *echo.Echo is an http.Handler: served like the others.
	return demo.ServeHTTP(ctx, app.Listener, newApp(app.Service))
}
