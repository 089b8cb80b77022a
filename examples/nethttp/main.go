// Command nethttp is jwtgate's net/http example: login, refresh, logout and
// protected routes, answering the contract of examples/README.md.
//
//	go run ./examples/nethttp
//
// Environment: ADDR (default 127.0.0.1:8080), JWT_SECRET (HS256, at least 32
// bytes; default random, so tokens die with the process), JWT_ISSUER (default
// jwtgate-example), JWT_AUDIENCE (default jwtgate-example-api), REDIS_URL
// (unset: an in-memory store; set, e.g. redis://127.0.0.1:6379/0: revocations
// and refresh families live in Redis, shared by every instance),
// JWT_SIGNING_KEY (a PEM private key file: sign with RSA, ECDSA or Ed25519
// instead of the HS256 secret, and publish the public key at
// GET /.well-known/jwks.json; JWT_ALG picks PS256 and the like).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// newHandler is the whole app.
func newHandler(svc *demo.Service) http.Handler {
	cfg := httpjwt.Config{Authenticator: svc.Auth}
	protect := httpjwt.New(cfg)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, demo.Page)
	})

	if key := svc.SigningKey(); key != nil {
		// Verifiers elsewhere fetch the public key here (examples/jwks).
		mux.Handle("GET /.well-known/jwks.json", jwks.Handler(5*time.Minute, key))
	}

	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		login, err := demo.DecodeLogin(r.Body)
		if err != nil {
			jwtgate.WriteResponse(w, demo.BadRequest)
			return
		}
		grant, ok := demo.CheckPassword(login.Username, login.Password)
		if !ok {
			jwtgate.WriteResponse(w, svc.BadCredentials())
			return
		}
		pair, err := svc.Issuer.Login(r.Context(), grant)
		if err != nil {
			svc.Auth.WriteError(w, err)
			return
		}
		if demo.CookieMode(r.URL.RawQuery) {
			writeCookies(w, svc, pair)
			return
		}
		writeJSON(w, http.StatusOK, pair)
	})

	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		token, err := demo.DecodeRefresh(r.Body)
		c, cookieErr := r.Cookie("refresh_token")
		hasCookie := cookieErr == nil && c.Value != ""
		switch {
		case err != nil:
			jwtgate.WriteResponse(w, demo.BadRequest)
		case token != "" && hasCookie:
			jwtgate.WriteResponse(w, demo.BothRefreshTokens)
		case token != "":
			pair, err := svc.Issuer.Refresh(r.Context(), token)
			if err != nil {
				svc.Auth.WriteError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, pair)
		case hasCookie: // cookie mode: CSRF-checked, then rotated
			pair, err := svc.Issuer.RefreshCookie(r.Context(), extractors.FromHTTP(r))
			if err != nil {
				svc.Auth.WriteError(w, err)
				return
			}
			writeCookies(w, svc, pair)
		default:
			jwtgate.WriteResponse(w, demo.NoRefresh)
		}
	})

	mux.Handle("POST /logout", protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := jwtgate.FromContext(r.Context())
		if err := svc.Issuer.Logout(r.Context(), t); err != nil {
			svc.Auth.WriteError(w, err)
			return
		}
		if demo.HasSessionCookie(func(name string) bool { return len(r.CookiesNamed(name)) > 0 }) {
			for _, c := range issuing.ClearCookies(svc.Cookies) {
				http.SetCookie(w, c)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})))

	mux.Handle("GET /api/me", protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := jwtgate.FromContext(r.Context())
		writeJSON(w, http.StatusOK, demo.Me(t))
	})))

	mux.Handle("GET /api/admin", protect(httpjwt.RequireScopes(cfg, "admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"message": "hello, admin"})
	}))))
	return mux
}

// writeCookies answers a login or refresh in cookie mode.
func writeCookies(w http.ResponseWriter, svc *demo.Service, pair *issuing.Pair) {
	cookies, body := svc.CookieAnswer(pair)
	for _, c := range cookies {
		http.SetCookie(w, c)
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // token responses must not be cached (RFC 6749 §5.1)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	app, err := demo.Start(getenv, out)
	if err != nil {
		return err
	}
	defer app.Close()
	return demo.ServeHTTP(ctx, app.Listener, newHandler(app.Service))
}
