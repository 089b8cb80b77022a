// Command fiberv3 is jwtgate's example API on Fiber v3: login, refresh and
// logout (the library's issuing.Endpoints), two protected routes and a
// browser page, answering the contract of examples/README.md exactly as the
// examples on the other frameworks do.
//
// This file and index.html are the whole program: copy the two into a module
// of your own, run go mod tidy, and it builds.
//
//	go run ./examples/fiberv3
//
// Environment (examples/README.md): ADDR, JWT_SECRET, JWT_ISSUER,
// JWT_AUDIENCE, REDIS_URL, REDIS_REPLICAS, REDIS_LOCAL_CACHE,
// ALLOWED_ORIGINS, DPOP, PUBLIC_URL.
//
// GET /metrics serves jwtgate's metrics as Prometheus text; standard error
// gets one JSON line per request, and jwtgate's refusals with its request ID.
package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
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

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/gofiber/utils/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/redisstore"
	"github.com/jwtgate/jwtgate/extractors"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// Settings.

// settings is the app's configuration, read from the environment.
type settings struct {
	addr, issuer, audience string
	secret                 []byte // signs HS256 tokens; derives cookie mode's CSRF key
	randomSecret           bool   // JWT_SECRET is unset: tokens die with the process
	redisURL               string // unset: revocations are kept in memory
	redisReplicas          int    // REDIS_REPLICAS: how many replicas must acknowledge each write (WAIT)
	redisLocalCache        bool   // REDIS_LOCAL_CACHE=on: checks answered from memory, kept correct by Redis
	allowedOrigins         []string
	dpop                   dpop.Mode  // DPoPOff, DPoPAllowed or DPoPRequired
	publicURL              string     // the origin DPoP proofs name; unset: http:// and the request's Host
	mintKey                string     // the jwtgate CLI's flag for a key this app accepts, if any
	logLevel               slog.Level // LOG_LEVEL: the least level logged (default Info)
}

// loadSettings reads the environment. An error names the variable at fault.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{addr: "127.0.0.1:8080", issuer: "jwtgate-example", audience: "jwtgate-example-api", redisURL: getenv("REDIS_URL")}
	for name, v := range map[string]*string{"ADDR": &s.addr, "JWT_ISSUER": &s.issuer, "JWT_AUDIENCE": &s.audience} {
		if getenv(name) != "" {
			*v = getenv(name)
		}
	}
	switch secret := getenv("JWT_SECRET"); {
	case secret == "":
		s.secret, s.randomSecret = make([]byte, 32), true
		rand.Read(s.secret)
	case len(secret) < 32:
		return s, fmt.Errorf("JWT_SECRET is %d bytes; it must be at least 32 (RFC 7518 §3.2)", len(secret))
	default:
		s.secret, s.mintKey = []byte(secret), "-key-env JWT_SECRET"
	}
	s.allowedOrigins = strings.FieldsFunc(getenv("ALLOWED_ORIGINS"), func(r rune) bool { return r == ',' || r == ' ' })
	// Cookie mode's own rule checks the origins (the secret stands in for its key).
	if err := (&jwtgate.Cookies{CSRFKey: s.secret, TrustedOrigins: s.allowedOrigins}).Validate(); err != nil {
		return s, fmt.Errorf("ALLOWED_ORIGINS: %w", err)
	}
	if v := getenv("REDIS_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s, fmt.Errorf("REDIS_REPLICAS is %q; it must be a number of replicas, 0 or more", v)
		}
		s.redisReplicas = n
	}
	switch v := getenv("REDIS_LOCAL_CACHE"); v {
	case "", "off":
	case "on":
		s.redisLocalCache = true
	default:
		return s, fmt.Errorf("REDIS_LOCAL_CACHE is %q; it must be on or off", v)
	}
	modes := map[string]dpop.Mode{"": dpop.Off, "off": dpop.Off, "allowed": dpop.Allowed, "required": dpop.Required}
	var known bool
	if s.dpop, known = modes[getenv("DPOP")]; !known {
		return s, fmt.Errorf("DPOP is %q; it must be off, allowed or required", getenv("DPOP"))
	}
	// jwtgate checks it too, but names its own field: this names the variable.
	if s.publicURL = strings.TrimSuffix(getenv("PUBLIC_URL"), "/"); s.publicURL != "" {
		u, err := url.Parse(s.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return s, errors.New("PUBLIC_URL must be an origin, http(s)://host[:port], the app's as its clients reach it")
		}
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := s.logLevel.UnmarshalText([]byte(v)); err != nil {
			return s, fmt.Errorf("LOG_LEVEL is %q; it must be debug, info, warn or error", v)
		}
	}
	return s, nil
}

// The demo users.

// users are the demo accounts: name → password and scope. A real service
// keeps password hashes (argon2id, bcrypt), never passwords.
var users = map[string]struct{ password, scope string }{
	"alice": {"alice-password", "read"},
	"admin": {"admin-password", "read admin"},
}

// checkCredentials is the endpoints' login check. Comparing hashes takes as
// long whatever the lengths, and as long for an unknown user as for a known
// one.
func checkCredentials(_ context.Context, req issuing.LoginRequest) (issuing.Grant, error) {
	u, known := users[req.Username]
	got, want := sha256.Sum256([]byte(req.Password)), sha256.Sum256([]byte(u.password))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
		return issuing.Grant{}, issuing.ErrBadCredentials
	}
	return issuing.Grant{Subject: req.Username, Scope: u.scope}, nil
}

// The store, the verifier, the issuer and the endpoints.

// openStore returns where revocations and refresh-token families live: Redis
// when REDIS_URL is set (a master_name in it names Sentinels), shared by
// every instance, or else this process's memory. REDIS_REPLICAS makes every
// write wait for that many replicas, REDIS_LOCAL_CACHE answers checks from
// memory. A Redis that cannot be reached is not a wrong setting: the app
// starts, and answers 503 where it needs the store until Redis is back.
func openStore(s settings, log *slog.Logger) (store issuing.Store, closeStore func(), err error) {
	if s.redisURL == "" {
		return issuing.NewMemoryStore(nil), func() {}, nil
	}
	client, err := redisstore.NewClient(s.redisURL) // with the context timeouts redisstore.New requires
	if err != nil {
		// Not err's text: it may quote the URL, password and all.
		return nil, nil, errors.New("REDIS_URL is not a redis://, rediss:// or unix:// URL")
	}
	opts := redisstore.Options{Replicas: s.redisReplicas} // each call ends within 500 ms
	if s.redisLocalCache {
		opts.LocalCache = &redisstore.LocalCache{} // a logout elsewhere reaches memory within 100 ms at most
	}
	rs, err := redisstore.New(client, opts)
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		log.Warn("redis cannot be reached; what needs it answers 503 until it is back", "error", err)
	}
	return rs, func() { _ = rs.Close(); _ = client.Close() }, nil
}

// newEndpoints builds what the contract asks for: tokens signed and verified
// with key; iss, aud and exp required, and jti (a Revoker requires it); 30 s
// of leeway; the token read from the Authorization header or the
// access_token cookie, never both; access tokens of 15 minutes and refresh
// tokens of 7 days (the issuer's defaults); cookie mode; DPoP as DPOP says,
// its proofs remembered by the Redis store when there is one, so that a
// proof replayed to another instance is refused too; refusals logged at
// Info, and everything counted by obs.
func newEndpoints(s settings, key *jwtgate.Key, store issuing.Store, obs *jwtgateotel.Observer, log *slog.Logger) (*issuing.Endpoints, error) {
	// Derived from the secret, so that instances sharing JWT_SECRET share it.
	csrfKey := hmac.New(sha256.New, s.secret)
	csrfKey.Write([]byte("jwtgate-example csrf key"))
	cookies := &jwtgate.Cookies{CSRFKey: csrfKey.Sum(nil), TrustedOrigins: s.allowedOrigins}
	replay, shared := store.(dpop.ReplayStore)
	if !shared {
		replay = dpop.NewMemoryReplayStore(nil)
	}
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: key, Issuer: []string{s.issuer}, Audience: []string{s.audience}, Leeway: 30 * time.Second,
		Extractor: extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Cookie("access_token")),
		Revoker:   store, Cookies: cookies, Realm: "jwtgate-example",
		DPoP:   &dpop.Config{Mode: s.dpop, Replay: replay, PublicURL: s.publicURL},
		Logger: log, RefusalLevel: slog.LevelInfo, Observer: obs,
	})
	if err != nil {
		return nil, err
	}
	issuer, err := issuing.New(issuing.Config{
		Key: key, Issuer: s.issuer, Audience: []string{s.audience}, Store: store, Leeway: 30 * time.Second, Cookies: cookies, Observer: obs, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return &issuing.Endpoints{Issuer: issuer, Authenticator: auth, CheckCredentials: checkCredentials, Logger: log}, nil
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

//go:embed index.html
var page []byte

// newApp is the app's routes, on a server whose limits suit an API of small
// requests: the whole request, headers and body, within 10 s (fasthttp has
// no separate header timeout), the answer within 10 s, idle keep-alive
// connections closed after 60 s, and a 32 KiB read buffer for the headers,
// so that an oversized token gets the JSON answer rather than a bare 431.
func newApp(e *issuing.Endpoints, metrics http.Handler, log *slog.Logger) *fiber.App {
	handleError := errorHandler(log)
	app := fiber.New(fiber.Config{
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		ReadBufferSize: 32 << 10, ErrorHandler: handleError,
		// fasthttp would parse a multipart body before any handler and answer
		// 400 to a bad one: the endpoints refuse it with 415, as elsewhere.
		DisablePreParseMultipartForm: true,
	})
	// First, for every request: its ID, answered in X-Request-ID and in its
	// context for every record logged while it is served, and its line. An
	// error is answered here rather than after, so that the line has its
	// status.
	app.Use(func(c fiber.Ctx) error {
		began, id := time.Now(), requestID(c.Get("X-Request-ID"))
		c.Set("X-Request-ID", id)
		ctx := context.WithValue(c.Context(), requestIDKey{}, id)
		c.SetContext(ctx)
		if err := c.Next(); err != nil {
			_ = handleError(c, err)
		}
		logRequest(ctx, log, c.Method(), c.Path(), c.Response().StatusCode(), began)
		return nil
	})
	cfg := fiberjwt.Config{Authenticator: e.Authenticator}
	// Per route rather than on a group, so that an unknown method or path
	// under /api gets Fiber's 405 or 404, not a 401.
	protect := fiberjwt.New(cfg)
	app.Get("/healthz", func(c fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/metrics", adaptor.HTTPHandler(metrics)) // no token: in production, on an internal port
	app.Get("/", func(c fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(page)
	})
	// For every method: the endpoints answer all but POST with their own 405.
	app.All("/login", fiberjwt.LoginHandler(e))
	app.All("/refresh", fiberjwt.RefreshHandler(e))
	app.All("/logout", fiberjwt.LogoutHandler(e)) // it verifies the token itself
	app.Get("/api/me", protect, func(c fiber.Ctx) error {
		t, _ := fiberjwt.Token(c)
		return c.JSON(fiber.Map{"sub": t.Subject, "scope": strings.Join(t.Scopes(), " ")})
	})
	app.Get("/api/admin", protect, fiberjwt.RequireScopes(cfg, "admin"), func(c fiber.Ctx) error {
		return c.JSON(fiber.Map{"message": "hello, admin"})
	})
	return app
}

// errorHandler answers what Fiber itself refuses (an unknown route, a method
// not allowed, headers over the read buffer, a request it cannot parse) in
// the contract's JSON shape. Never with err's text: fasthttp's parse errors
// quote the request, tokens included.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c fiber.Ctx, err error) error {
		status := fiber.StatusInternalServerError
		if fe := (*fiber.Error)(nil); errors.As(err, &fe) {
			status = fe.Code
		}
		if status >= fiber.StatusInternalServerError {
			log.ErrorContext(c.Context(), "request failed", "status", status, "error", err)
		}
		text := utils.StatusMessage(status)
		code := strings.ToLower(strings.ReplaceAll(text, " ", "_")) // "not_found"
		if status == fiber.StatusBadRequest {
			code = "invalid_request"
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(status).Send(jwtgate.Response{Status: status, Code: code, Description: text}.Body())
	}
}

// The server.

// grace is how long requests in flight may take to finish once SIGTERM
// came: as long as a request may take to arrive (ReadTimeout).
const grace = 10 * time.Second

// serve serves app on ln until ctx ends, then shuts down: it stops
// accepting, closes idle connections, and returns once the requests in
// flight are answered, or stops waiting for them after grace.
func serve(ctx context.Context, ln net.Listener, app *fiber.App) error {
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	err := app.ShutdownWithTimeout(grace)
	// fasthttp closes only the listeners it already serves: if ctx ended
	// before app.Listener got going, closing ln is what stops it.
	_ = ln.Close()
	<-served
	if err != nil {
		return fmt.Errorf("requests still running %v after SIGTERM were cut: %w", grace, err)
	}
	return nil
}

// The banner.

// walkthrough is what the banner suggests trying, %[1]s being the app's URL.
// It works as printed, each line setting what the next ones use: examples/e2e
// runs it, and checks that README.md and examples/README.md show it alike.
const walkthrough = `# Log in: the answer is a token pair (admin/admin-password has the admin scope too).
PAIR=$(curl -s -X POST %[1]s/login -H 'Content-Type: application/json' -d '{"username":"alice","password":"alice-password"}')
ACCESS_TOKEN=$(echo "$PAIR" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
REFRESH_TOKEN=$(echo "$PAIR" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p')
# Call the protected routes: alice may read /api/me, not /api/admin (403).
curl -s -w '\n' %[1]s/api/me -H "Authorization: Bearer $ACCESS_TOKEN"
curl -s -w '\n' %[1]s/api/admin -H "Authorization: Bearer $ACCESS_TOKEN"
# Spend the refresh token for a new pair; spent twice, it would revoke the whole login.
PAIR=$(curl -s -X POST %[1]s/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$REFRESH_TOKEN\"}")
ACCESS_TOKEN=$(echo "$PAIR" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
curl -s -w '\n' %[1]s/api/me -H "Authorization: Bearer $ACCESS_TOKEN"
# Log out (204): every token of this login is revoked.
curl -si -X POST %[1]s/logout -H "Authorization: Bearer $ACCESS_TOKEN"
curl -s -w '\n' %[1]s/api/me -H "Authorization: Bearer $ACCESS_TOKEN"
`

// dpopWalkthrough is what the banner suggests trying when DPOP is set,
// %[1]s being the app's URL and %[2]s the origin its proofs name
// (PUBLIC_URL, or the app's URL): the jwtgate CLI makes the client's key and
// its proofs. examples/e2e runs it, and checks that examples/README.md shows
// it.
const dpopWalkthrough = `# A key for DPoP proofs; its thumbprint (jkt) goes to standard error.
jwtgate dpop-key -out client.jwk
# Log in with a proof of the key: the tokens are bound to it (token_type DPoP).
ACCESS_TOKEN=$(curl -s -X POST %[1]s/login -H 'Content-Type: application/json' \
  -H "DPoP: $(jwtgate dpop-proof -key client.jwk -htm POST -htu %[2]s/login)" \
  -d '{"username":"alice","password":"alice-password"}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
# Call the API with the bound token and a fresh proof that carries its hash (-token).
curl -s -w '\n' %[1]s/api/me -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(jwtgate dpop-proof -key client.jwk -htm GET -htu %[2]s/api/me -token "$ACCESS_TOKEN")"
# Without the key the token is useless: as a Bearer token it is refused (401).
curl -s -w '\n' %[1]s/api/me -H "Authorization: Bearer $ACCESS_TOKEN"
`

// banner prints the app's URL on the first line, which scripts wait for,
// then a walk-through (DPoP's when DPOP is set); commands only, never a
// token or the secret.
func banner(w io.Writer, base string, s settings) {
	var b strings.Builder
	fmt.Fprintf(&b, "jwtgate example listening on %s\n", base)
	if s.randomSecret {
		b.WriteString("warning: JWT_SECRET is not set; using a random secret, so tokens die with the process\n")
	}
	if s.dpop != dpop.Off {
		fmt.Fprintf(&b, "\nTry DPoP in a shell (curl, sed and the jwtgate CLI, cmd/jwtgate):\n\n"+dpopWalkthrough, base, cmp.Or(s.publicURL, base))
	} else {
		fmt.Fprintf(&b, "\nTry it in a shell (curl and sed; each line sets what the next ones use):\n\n"+walkthrough, base)
		if s.mintKey == "" {
			b.WriteString("# Set JWT_SECRET (jwtgate gen-secret) and the jwtgate CLI (cmd/jwtgate) mints tokens this app accepts.\n")
		} else {
			fmt.Fprintf(&b, "# The jwtgate CLI (cmd/jwtgate) mints tokens this app accepts too (-key-env: export the variable in this shell first):\n"+
				"ACCESS_TOKEN=$(jwtgate mint %s -iss %s -aud %s -sub carol -scope read)\n"+
				"curl -s -w '\\n' %s/api/me -H \"Authorization: Bearer $ACCESS_TOKEN\"\n", s.mintKey, s.issuer, s.audience, base)
		}
	}
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String()) // one write: the banner arrives whole
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal stops the app at once
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fiberv3:", strings.ReplaceAll(err.Error(), "\n", "; ")) // one line
		os.Exit(1)
	}
}

// run starts the app and serves until ctx ends, its banner on out and its
// logs on logs. Nothing listens and nothing is printed unless every setting
// is right.
func run(ctx context.Context, getenv func(string) string, out, logs io.Writer) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	log := newLogger(logs, s.logLevel)
	store, closeStore, err := openStore(s, log)
	if err != nil {
		return err
	}
	defer closeStore()
	obs, metrics, err := newMetrics()
	if err != nil {
		return err
	}
	endpoints, err := newEndpoints(s, jwtgate.HMAC(s.secret, "HS256"), store, obs, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("ADDR %q: %w", s.addr, err)
	}
	banner(out, "http://"+ln.Addr().String(), s)
	return serve(ctx, ln, newApp(endpoints, metrics, log))
}
