// Command gin is jwtgate's Gin example: login, refresh, logout and protected
// routes, answering the contract of examples/README.md.
//
//	go run ./examples/gin
//
// Environment: ADDR (default 127.0.0.1:8080), JWT_SECRET (HS256, at least 32
// bytes; default random, so tokens die with the process), JWT_ISSUER (default
// jwtgate-example), JWT_AUDIENCE (default jwtgate-example-api), REDIS_URL
// (unset: an in-memory store; set, e.g. redis://127.0.0.1:6379/0: revocations
// and refresh families live in Redis, shared by every instance). Gin runs in
// release mode unless GIN_MODE says otherwise.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	"github.com/jwtgate/jwtgate/extractors"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

// newEngine is the whole app.
func newEngine(svc *demo.Service) *gin.Engine {
	cfg := ginjwt.Config{Authenticator: svc.Auth}
	protect := ginjwt.New(cfg)

	r := gin.New()
	r.Use(gin.Recovery())
	r.HandleMethodNotAllowed = true // 405 for a known path, as net/http's ServeMux answers

	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/", func(c *gin.Context) {
		c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(demo.Page))
	})

	r.POST("/login", func(c *gin.Context) {
		login, err := demo.DecodeLogin(c.Request.Body)
		if err != nil {
			abort(c, demo.BadRequest)
			return
		}
		grant, ok := demo.CheckPassword(login.Username, login.Password)
		if !ok {
			abort(c, svc.BadCredentials())
			return
		}
		pair, err := svc.Issuer.Login(c.Request.Context(), grant)
		if err != nil {
			abort(c, svc.Auth.Response(err))
			return
		}
		if demo.CookieMode(c.Request.URL.RawQuery) {
			cookies(c, svc, pair)
			return
		}
		tokens(c, pair)
	})

	r.POST("/refresh", func(c *gin.Context) {
		token, err := demo.DecodeRefresh(c.Request.Body)
		cookie, _ := c.Cookie("refresh_token")
		switch {
		case err != nil:
			abort(c, demo.BadRequest)
		case token != "" && cookie != "":
			abort(c, demo.BothRefreshTokens)
		case token != "":
			pair, err := svc.Issuer.Refresh(c.Request.Context(), token)
			if err != nil {
				abort(c, svc.Auth.Response(err))
				return
			}
			tokens(c, pair)
		case cookie != "": // cookie mode: CSRF-checked, then rotated
			pair, err := svc.Issuer.RefreshCookie(c.Request.Context(), extractors.FromHTTP(c.Request))
			if err != nil {
				abort(c, svc.Auth.Response(err))
				return
			}
			cookies(c, svc, pair)
		default:
			abort(c, demo.NoRefresh)
		}
	})

	r.POST("/logout", protect, func(c *gin.Context) {
		t, _ := ginjwt.Token(c)
		if err := svc.Issuer.Logout(c.Request.Context(), t); err != nil {
			abort(c, svc.Auth.Response(err))
			return
		}
		if demo.HasSessionCookie(func(name string) bool { _, err := c.Cookie(name); return err == nil }) {
			for _, ck := range issuing.ClearCookies(svc.Cookies) {
				http.SetCookie(c.Writer, ck)
			}
		}
		c.Status(http.StatusNoContent)
	})

	api := r.Group("/api", protect)
	api.GET("/me", func(c *gin.Context) {
		t, _ := ginjwt.Token(c)
		c.JSON(http.StatusOK, demo.Me(t))
	})
	api.GET("/admin", ginjwt.RequireScopes(cfg, "admin"), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "hello, admin"})
	})
	return r
}

// tokens answers a new token pair; token responses must not be cached (RFC
// 6749 §5.1).
func tokens(c *gin.Context, pair *issuing.Pair) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, pair)
}

// cookies answers a login or refresh in cookie mode.
func cookies(c *gin.Context, svc *demo.Service, pair *issuing.Pair) {
	set, body := svc.CookieAnswer(pair)
	for _, ck := range set {
		http.SetCookie(c.Writer, ck)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, body)
}

// abort answers one of the app's own errors in the contract's shape, as
// ginjwt answers a refused token.
func abort(c *gin.Context, r jwtgate.Response) {
	if r.WWWAuthenticate != "" {
		c.Header("WWW-Authenticate", r.WWWAuthenticate)
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(r.Status, gin.H{"error": r.Code, "error_description": r.Description})
}

func main() {
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode) // no debug lines on stdout before the banner
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	app, err := demo.Start(getenv, out)
	if err != nil {
		return err
	}
	defer app.Close()
	return demo.ServeHTTP(ctx, app.Listener, newEngine(app.Service))
}
