// Command chi-jwtauth is a chi service moved from go-chi/jwtauth v5 to
// jwtgate: the same routes and router, the same two places for the token
// (Authorization: Bearer and the "jwt" cookie), the claims read as a map.
// docs/migrating/chi-jwtauth.md shows this file as it is, beside the
// program it replaces.
//
//	JWT_SECRET=$(openssl rand -base64 32) go run ./chi-jwtauth
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// options is what main reads from the environment; the tests pass a secret
// of their own and a fixed clock.
type options struct {
	secret []byte
	now    func() time.Time // nil: time.Now
}

// newApp builds the service: main serves it, the tests call it.
func newApp(o options) (http.Handler, error) {
	auth, err := jwtgate.New(jwtgate.Config{
		// jwtauth.New("HS256", secret, nil): the key and its algorithm in
		// one value. The secret must be 32 bytes or more.
		Keys: jwtgate.HMAC(o.secret, "HS256"),
		// jwtauth checked what its validate options asked, none by
		// default; jwtgate requires both.
		Issuer:   []string{"https://id.example.com"},
		Audience: []string{"orders-api"},
		// jwtauth.Verifier's two places, read exclusively: a token in both
		// is refused with 400, where jwtauth took the header's. The cookie
		// authenticates safe methods only (GET, HEAD, OPTIONS): a POST with
		// it is refused 403 csrf, since nothing tells it from a forged one,
		// unless Config.Cookies turns on cookie mode's CSRF checks.
		Extractor: extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("jwt")),
		// jwtauth's claims were a map (FromContext's second result).
		NewClaims: func() jwt.Claims { return jwt.MapClaims{} },
		Now:       o.now,
	})
	if err != nil {
		return nil, err
	}
	// jwtauth.Verifier and jwtauth.Authenticator in one middleware: a
	// refusal is answered here, 401 with the RFC 6750 challenge, never
	// passed on to a handler to check.
	protect := httpjwt.New(httpjwt.Config{Authenticator: auth})

	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	r.Group(func(r chi.Router) {
		r.Use(protect)
		r.Get("/api/me", me)
		r.Post("/api/orders", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
		})
	})
	return r, nil
}

// me answers with the caller's subject and tenant, from the claims map as
// jwtauth.FromContext gave it.
func me(w http.ResponseWriter, r *http.Request) {
	claims, ok := jwtgate.ClaimsFromContext[jwt.MapClaims](r.Context())
	if !ok {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"sub": claims["sub"], "tenant": claims["tenant"]})
}

func main() {
	h, err := newApp(options{secret: []byte(os.Getenv("JWT_SECRET"))})
	if err != nil {
		log.Fatal(err) // every configuration problem, at once
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{
		Addr: addr, Handler: h,
		// Slow clients must not hold connections forever.
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute,
	}
	log.Fatal(srv.ListenAndServe())
}
