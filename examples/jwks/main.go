// Command jwks is jwtgate's resource-server example: it issues nothing and
// verifies access tokens signed by an issuer that publishes its public keys
// as a JWK Set, following the issuer's key rotation. It keeps no revocation
// store, so it does not require jti, which identity providers' access tokens
// often lack.
//
// This file is the whole program: copy it into a module of your own, run go
// mod tidy, and it builds.
//
//	JWKS_URL=https://id.example.com/.well-known/jwks.json go run ./examples/jwks
//
// Environment (examples/README.md): JWKS_URL (required; https, or http on a
// loopback host), JWT_ISSUER, JWT_AUDIENCE, ADDR, and MAX_TOKEN_SIZE (bytes,
// default 8192) for providers that put many groups in a token.
//
// GET /metrics serves jwtgate's metrics (the verifier's and the key set's)
// as Prometheus text; standard error gets one JSON line per request, and
// jwtgate's refusals with its request ID.
//
// Try it with the net/http example as the issuer:
//
//	openssl ecparam -name prime256v1 -genkey -noout -out issuer.pem
//	JWT_SIGNING_KEY=issuer.pem ADDR=127.0.0.1:8081 go run ./examples/nethttp &
//	JWKS_URL=http://127.0.0.1:8081/.well-known/jwks.json go run ./examples/jwks
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/extractors"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// Settings.

// settings is the app's configuration, read from the environment.
type settings struct {
	addr, issuer, audience, jwksURL string
	maxTokenSize                    int
	logLevel                        slog.Level // LOG_LEVEL: the least level logged (default Info)
}

// loadSettings reads the environment. An error names the variable at fault.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{addr: "127.0.0.1:8080", issuer: "jwtgate-example", audience: "jwtgate-example-api", jwksURL: getenv("JWKS_URL"), maxTokenSize: defaultMaxTokenSize}
	for name, v := range map[string]*string{"ADDR": &s.addr, "JWT_ISSUER": &s.issuer, "JWT_AUDIENCE": &s.audience} {
		if getenv(name) != "" {
			*v = getenv(name)
		}
	}
	if s.jwksURL == "" {
		return s, errors.New("JWKS_URL is required: the issuer's JWK Set, e.g. https://id.example.com/.well-known/jwks.json")
	}
	if v := getenv("MAX_TOKEN_SIZE"); v != "" {
		// At least 1 KiB, so that a size meant in KiB is not taken for bytes.
		n, err := strconv.Atoi(v)
		if err != nil || n < 1<<10 || n > 1<<20 {
			return s, fmt.Errorf("MAX_TOKEN_SIZE is %q; it must be a number of bytes from 1024 to 1048576", v)
		}
		s.maxTokenSize = n
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := s.logLevel.UnmarshalText([]byte(v)); err != nil {
			return s, fmt.Errorf("LOG_LEVEL is %q; it must be debug, info, warn or error", v)
		}
	}
	return s, nil
}

// The verifier.

// newAuthenticator verifies with the issuer's keys, each bound to its JWK
// alg or the only one its type allows: iss, aud and exp required (no jti:
// nothing here could revoke one), 30 s of leeway, the token read from the
// Authorization header or the access_token cookie, never both; refusals
// logged at Info, and counted by obs.
func newAuthenticator(s settings, keys jwtgate.KeySource, obs *jwtgateotel.Observer, log *slog.Logger) (*jwtgate.Authenticator, error) {
	return jwtgate.New(jwtgate.Config{
		Keys: keys, Issuer: []string{s.issuer}, Audience: []string{s.audience}, Leeway: 30 * time.Second,
		MaxTokenSize: s.maxTokenSize,
		Extractor:    extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
		Realm:        "jwtgate-example", Logger: log, RefusalLevel: slog.LevelInfo, Observer: obs,
	})
}

// Metrics and logs.

// newMetrics returns the Observer that counts jwtgate's work through
// OpenTelemetry (verifications by outcome and reason, store calls, logins,
// refreshes, spent refresh tokens presented again) and the handler of GET
// /metrics, which serves the counts as Prometheus text. The registry is the
// app's own, not Prometheus's global one, so that nothing else lands in it
// and the app can be built twice in one process (its tests).
func newMetrics() (*jwtgateotel.Observer, http.Handler, error) {
	registry := prometheus.NewRegistry()
	exporter, err := otelprometheus.New(otelprometheus.WithRegisterer(registry))
	if err != nil {
		return nil, nil, err
	}
	// No traces are exported here: the no-op TracerProvider turns jwtgate's
	// spans off, where the global one, the default, would start each for
	// nothing. A service that exports traces gives its own instead.
	obs, err := jwtgateotel.New(jwtgateotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))),
		jwtgateotel.WithTracerProvider(noop.NewTracerProvider()))
	if err != nil {
		return nil, nil, err
	}
	return obs, promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), nil
}

// newLogger writes JSON lines to w: one per request, jwtgate's refusals,
// warnings and errors; never a token, a cookie or an Authorization header.
// Records below level (LOG_LEVEL; Info by default) are dropped: at warn,
// neither the request lines nor the refusal records, which are Info.
func newLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(logHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// requestIDKey is the context key of the request's ID.
type requestIDKey struct{}

// logHandler adds the request's ID to every record logged with its context:
// the request's own line, and jwtgate's refusal records, which it logs with
// the context it verifies in, so that the two can be matched.
type logHandler struct{ slog.Handler }

// Handle adds the ID of ctx's request, if any, and writes the record.
func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs wraps the handler with attrs, so that a logger made by With
// still adds the ID.
func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup wraps the handler with the group, for the same reason.
func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }

// requestID returns a request's ID: its X-Request-ID when a log line can
// hold that as it is (1 to 64 letters, digits, '-', '_', '.' or ':'), or
// else a new random one, so that a client can neither forge log lines nor
// swell them.
func requestID(header string) string {
	const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"
	if header != "" && len(header) <= 64 && strings.Trim(header, allowed) == "" {
		return header
	}
	return rand.Text()
}

// logRequest writes a request's line once it is answered: its method and
// path, never its query, headers or body, where tokens travel.
func logRequest(ctx context.Context, log *slog.Logger, method, path string, status int, began time.Time) {
	log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", method), slog.String("path", path),
		slog.Int("status", status), slog.Float64("duration_ms", float64(time.Since(began).Microseconds())/1000))
}

// The routes.

func newHandler(auth *jwtgate.Authenticator, metrics http.Handler) http.Handler {
	protect := httpjwt.New(httpjwt.Config{Authenticator: auth})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", metrics) // no token: in production, on an internal port
	mux.Handle("GET /api/me", protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := jwtgate.FromContext(r.Context())
		writeJSON(w, map[string]string{"sub": t.Subject, "scope": strings.Join(t.Scopes(), " ")})
	})))
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v) // maps of strings: it cannot fail
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// The server.

// grace is how long requests in flight may take to finish once SIGTERM
// came: as long as a request may take to arrive (ReadTimeout).
const grace = 10 * time.Second

// serve serves h on ln until ctx ends, then shuts down: it stops accepting,
// closes idle connections, and returns once the requests in flight are
// answered, or cuts them after grace. The limits are the token-issuing
// examples' (headers within 5 s, the request within 10 s, the answer within
// 10 s, idle connections closed after 60 s), with room in the headers for a
// token of maxTokenSize and more, so that a larger one gets the JSON answer
// rather than a bare 431.
func serve(ctx context.Context, ln net.Listener, h http.Handler, maxTokenSize int) error {
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: max(64<<10, 2*maxTokenSize),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Serve returns as soon as Shutdown begins: Shutdown is what waits.
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
		return fmt.Errorf("requests still running %v after SIGTERM were cut: %w", grace, err)
	}
	return nil
}

// logRequests gives each request its ID, answered in X-Request-ID and put
// in its context for every record logged while it is served, and logs its
// line once h answered it.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began, id := time.Now(), requestID(r.Header.Get("X-Request-ID"))
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r.WithContext(ctx))
		logRequest(ctx, log, r.Method, r.URL.Path, rec.status, began)
	})
}

// statusRecorder remembers the status its handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader remembers status and writes it.
func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal stops the app at once
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "jwks:", strings.ReplaceAll(err.Error(), "\n", "; ")) // one line
		os.Exit(1)
	}
}

// run starts the app and serves until ctx ends, its banner on out and its
// logs on logs. Nothing listens and nothing is printed unless every setting
// is right; an issuer that cannot be reached is not a wrong setting (tokens
// are refused until a fetch succeeds).
func run(ctx context.Context, getenv func(string) string, out, logs io.Writer) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	log := newLogger(logs, s.logLevel)
	obs, metrics, err := newMetrics()
	if err != nil {
		return err
	}
	remote, err := jwks.NewRemote(ctx, jwks.RemoteOptions{
		URL:               s.jwksURL,
		AllowHTTPLoopback: true, // the URL rule: https, or http only on a loopback host
		Logger:            log,
		Observer:          obs,
	})
	if err != nil {
		return fmt.Errorf("JWKS_URL: %w", err)
	}
	defer remote.Close()
	auth, err := newAuthenticator(s, remote, obs, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("ADDR %q: %w", s.addr, err)
	}
	base, keys := "http://"+ln.Addr().String(), s.jwksURL
	if u, err := url.Parse(keys); err == nil {
		keys = u.Redacted() // a password in the URL is not printed
	}
	fmt.Fprintf(out, "jwtgate example listening on %s\nverifying tokens of %s for %s with the keys at %s\n\n"+
		"Try it with an access token of that issuer in ACCESS_TOKEN:\n\ncurl -s -w '\\n' %s/api/me -H \"Authorization: Bearer $ACCESS_TOKEN\"\n\n",
		base, s.issuer, s.audience, keys, base)
	return serve(ctx, ln, logRequests(log, newHandler(auth, metrics)), s.maxTokenSize)
}

// defaultMaxTokenSize is the core's default Config.MaxTokenSize: 8 KiB.
const defaultMaxTokenSize = 8 << 10
