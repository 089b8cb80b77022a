// Command nethttp is jwtgate's net/http example: an API whose /api routes
// need a bearer token, configured from the environment with safe defaults.
//
//	go run ./examples/nethttp
//
// Environment: ADDR (default 127.0.0.1:8080), JWT_SECRET (HS256, at least 32
// bytes; default random, so tokens die with the process), JWT_ISSUER (default
// jwtgate-example), JWT_AUDIENCE (default jwtgate-example-api).
//
// Until the login and refresh routes arrive, it prints a demo token for each
// demo user at start, for curl.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// settings is the app's configuration, read from the environment.
type settings struct {
	Addr, Issuer, Audience string
	Secret                 []byte
	RandomSecret           bool
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Addr: "127.0.0.1:8080", Issuer: "jwtgate-example", Audience: "jwtgate-example-api"}
	if v := getenv("ADDR"); v != "" {
		s.Addr = v
	}
	if v := getenv("JWT_ISSUER"); v != "" {
		s.Issuer = v
	}
	if v := getenv("JWT_AUDIENCE"); v != "" {
		s.Audience = v
	}
	if v := getenv("JWT_SECRET"); v != "" {
		if len(v) < 32 {
			return s, fmt.Errorf("JWT_SECRET is %d bytes; it must be at least 32 (RFC 7518 §3.2)", len(v))
		}
		s.Secret = []byte(v)
	} else {
		s.Secret = make([]byte, 32)
		if _, err := rand.Read(s.Secret); err != nil {
			return s, err
		}
		s.RandomSecret = true
	}
	return s, nil
}

// newAuthenticator applies the contract's verification rules.
func newAuthenticator(s settings, now func() time.Time) (*jwtgate.Authenticator, error) {
	return jwtgate.New(jwtgate.Config{
		Keys:           jwtgate.HMAC(s.Secret, "HS256"),
		Issuer:         []string{s.Issuer},
		Audience:       []string{s.Audience},
		RequiredClaims: []string{"jti"},
		Leeway:         30 * time.Second,
		Extractor:      extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
		Realm:          "jwtgate-example",
		Now:            now,
	})
}

// newHandler is the whole app: public /healthz, protected /api/me and
// /api/admin (scope admin).
func newHandler(auth *jwtgate.Authenticator) http.Handler {
	cfg := httpjwt.Config{Authenticator: auth}
	protect := httpjwt.New(cfg)
	admin := httpjwt.RequireScopes(cfg, "admin")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /api/me", protect(http.HandlerFunc(me)))
	mux.Handle("GET /api/admin", protect(admin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"message": "hello, admin"})
	}))))
	return mux
}

func me(w http.ResponseWriter, r *http.Request) {
	claims, _ := jwtgate.ClaimsFromContext[*jwtgate.Claims](r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"sub": claims.Subject, "scope": claims.Scope})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// demoToken mints an access token as the contract describes them.
func demoToken(s settings, sub, scope string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtgate.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: s.Issuer, Subject: sub, Audience: jwt.ClaimStrings{s.Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
			ID: fmt.Sprintf("%x", jti),
		},
		Scope: scope,
	})
	t.Header["typ"] = "at+jwt"
	return t.SignedString(s.Secret)
}

func main() {
	if err := run(context.Background(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out *os.File) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	if s.RandomSecret {
		log.Warn("JWT_SECRET is not set: using a random secret; tokens die with the process")
	}
	auth, err := newAuthenticator(s, time.Now)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newHandler(auth), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}

	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "listening on %s\n\n", base)
	for _, u := range []struct{ sub, scope string }{{"alice", "read"}, {"admin", "read admin"}} {
		tok, err := demoToken(s, u.sub, u.scope, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "# %s (scope %q), valid 15 minutes:\ncurl -H 'Authorization: Bearer %s' %s/api/me\n\n", u.sub, u.scope, tok, base)
	}
	fmt.Fprintf(out, "# without a token (401):\ncurl -i %s/api/me\n", base)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
