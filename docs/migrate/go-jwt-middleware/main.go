// Command go-jwt-middleware is a net/http API moved from
// auth0/go-jwt-middleware to jwtgate: the issuer's keys found through its
// OpenID discovery document as jwks.CachingProvider found them, the
// validator's issuer, audience, clock skew and custom claims as
// jwtgate.Config fields, CheckJWT as httpjwt.New, the quickstart's scope
// check as httpjwt.RequireScopes. docs/migrating/go-jwt-middleware.md shows
// this file as it is, beside the program it replaces.
//
//	AUTH0_DOMAIN=your-tenant.eu.auth0.com AUTH0_AUDIENCE=https://orders.example.com go run ./go-jwt-middleware
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// customClaims is what the service gave validator.WithCustomClaims. It
// embeds jwtgate.Claims, which holds the registered claims and the scope
// claim the quickstart's HasScope read.
type customClaims struct {
	jwtgate.Claims
	OrgID       string   `json:"org_id"`
	Permissions []string `json:"permissions"`
}

// Validate is the CustomClaims method of the same name, without its
// context.Context: jwt.ClaimsValidator's. A check that needs the context
// goes in jwtgate.Config.Validate.
func (c *customClaims) Validate() error {
	if c.OrgID == "" {
		return errors.New("org_id claim required")
	}
	return nil
}

// options is what main reads from the environment; the tests pass their
// own issuer, a local one, and a fixed clock.
type options struct {
	issuer   string // with its trailing slash, exactly as the tokens' iss
	audience string
	now      func() time.Time // nil: time.Now
}

// newApp builds the service: main serves it, the tests call it. The key
// source it returns fetches in the background until it is closed.
func newApp(ctx context.Context, o options) (http.Handler, io.Closer, error) {
	// jwks.NewCachingProvider(issuerURL, …): the keys at the jwks_uri of the
	// issuer's discovery document, fetched again when it rotates them.
	keys, err := jwks.NewDiscovered(ctx, jwks.DiscoveryOptions{
		Issuer: o.issuer,
		// https, or http on a loopback host (a local issuer in tests).
		Remote: jwks.RemoteOptions{AllowHTTPLoopback: true},
	})
	if err != nil {
		return nil, nil, err
	}
	auth, err := jwtgate.New(jwtgate.Config{
		// validator.RS256 needs no counterpart: each key of the set is
		// bound to its JWK alg, or to the one its type allows.
		Keys:      keys,
		Issuer:    []string{o.issuer},
		Audience:  []string{o.audience},
		Leeway:    time.Minute, // validator.WithAllowedClockSkew(time.Minute)
		NewClaims: func() jwt.Claims { return &customClaims{} },
		Now:       o.now,
	})
	if err != nil {
		_ = keys.Close() // the error to report is New's
		return nil, nil, err
	}
	cfg := httpjwt.Config{Authenticator: auth}
	protect := httpjwt.New(cfg) // jwtmiddleware.New(…).CheckJWT

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/public", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"message": "Hello from a public endpoint!"})
	})
	mux.Handle("GET /api/private", protect(http.HandlerFunc(private)))
	mux.Handle("GET /api/private-scoped", protect(httpjwt.RequireScopes(cfg, "read:messages")(http.HandlerFunc(private))))
	return mux, keys, nil
}

// private answers with what the token says, read as the go-jwt-middleware
// handlers read it from the request's context.
func private(w http.ResponseWriter, r *http.Request) {
	claims, ok := jwtgate.ClaimsFromContext[*customClaims](r.Context())
	if !ok {
		http.Error(w, "failed to get the claims", http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"sub": claims.Subject, "org_id": claims.OrgID, "permissions": claims.Permissions})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("writing a response: %v", err)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	h, keys, err := newApp(ctx, options{
		issuer:   "https://" + os.Getenv("AUTH0_DOMAIN") + "/",
		audience: os.Getenv("AUTH0_AUDIENCE"),
	})
	if err != nil {
		return err // every configuration problem, at once
	}
	defer keys.Close()
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:3010"
	}
	srv := &http.Server{
		Addr: addr, Handler: h,
		// Slow clients must not hold connections forever.
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done(): // SIGTERM: let the requests in flight finish
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
