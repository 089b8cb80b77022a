// Command jwks is jwtgate's resource-server example: it issues nothing and
// verifies tokens signed by an issuer that publishes its public keys as a JWK
// Set, following the issuer's key rotation.
//
//	JWKS_URL=https://id.example.com/.well-known/jwks.json go run ./examples/jwks
//
// Environment: JWKS_URL (required; https, or http on a loopback host),
// JWT_ISSUER (default jwtgate-example), JWT_AUDIENCE (default
// jwtgate-example-api), ADDR (default 127.0.0.1:8080).
//
// Try it with the net/http example as the issuer:
//
//	openssl ecparam -name prime256v1 -genkey -noout -out issuer.pem
//	JWT_SIGNING_KEY=issuer.pem ADDR=127.0.0.1:8081 go run ./examples/nethttp &
//	JWKS_URL=http://127.0.0.1:8081/.well-known/jwks.json go run ./examples/jwks
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/examples/internal/demo"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

type settings struct {
	Addr, Issuer, Audience, JWKSURL string
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Addr: "127.0.0.1:8080", Issuer: "jwtgate-example", Audience: "jwtgate-example-api", JWKSURL: getenv("JWKS_URL")}
	if v := getenv("ADDR"); v != "" {
		s.Addr = v
	}
	if v := getenv("JWT_ISSUER"); v != "" {
		s.Issuer = v
	}
	if v := getenv("JWT_AUDIENCE"); v != "" {
		s.Audience = v
	}
	if s.JWKSURL == "" {
		return s, errors.New("JWKS_URL is required: the issuer's JWK Set, e.g. https://id.example.com/.well-known/jwks.json")
	}
	return s, nil
}

// newAuthenticator verifies as the contract says, with the issuer's keys:
// each bound to its JWK alg, or the only one its type allows.
func newAuthenticator(s settings, keys jwtgate.KeySource) (*jwtgate.Authenticator, error) {
	return jwtgate.New(jwtgate.Config{
		Keys:           keys,
		Issuer:         []string{s.Issuer},
		Audience:       []string{s.Audience},
		RequiredClaims: []string{"jti"},
		Leeway:         30 * time.Second,
		Extractor:      extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
		Realm:          demo.Realm,
		Logger:         demo.Logger(),
	})
}

func newHandler(auth *jwtgate.Authenticator) http.Handler {
	protect := httpjwt.New(httpjwt.Config{Authenticator: auth})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /api/me", protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := jwtgate.FromContext(r.Context())
		writeJSON(w, demo.Me(t))
	})))
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jwks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	remote, err := jwks.NewRemote(ctx, jwks.RemoteOptions{
		URL:               s.JWKSURL,
		AllowHTTPLoopback: true, // the URL rule: https, or http only on a loopback host
		Logger:            demo.Logger(),
	})
	if err != nil {
		return fmt.Errorf("JWKS_URL: %w", err)
	}
	defer remote.Close()
	auth, err := newAuthenticator(s, remote)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("ADDR %q: %w", s.Addr, err)
	}
	srv := &http.Server{Handler: newHandler(auth), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "jwtgate example listening on %s\nverifying tokens of %s with the keys at %s\n\ntry:\n  curl -s %s/api/me -H \"Authorization: Bearer $ACCESS_TOKEN\"\n", base, s.Issuer, s.JWKSURL, base)
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
