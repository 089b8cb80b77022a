// Command connect is jwtgate's example Connect service: the profile service
// of the gRPC example, served by Connect handlers guarded by the connectjwt
// interceptor, which verifies the same tokens as the HTTP example apps
// (HS256 with JWT_SECRET, the same issuer and audience). It answers each
// client in its protocol: Connect (JSON over HTTP, which curl speaks),
// gRPC and gRPC-Web.
//
// This file is the whole program: copy it into a module of your own, run go
// mod tidy, and it builds. Its messages are protobuf's well-known types
// (emptypb, structpb, wrapperspb) and its procedures are named below, so
// there is no code to generate.
//
//	go run ./examples/connect
//
// Environment (README.md, "gRPC and Connect"): ADDR (default 127.0.0.1:8090),
// JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE as the HTTP apps read them. GET
// /metrics serves jwtgate's metrics as Prometheus text; standard error gets
// one JSON line per request, and jwtgate's refusals.
//
// The service, jwtgate.example.v1.Profile:
//
//	Me(google.protobuf.Empty) returns (google.protobuf.Struct)                  scope read
//	Admin(google.protobuf.Empty) returns (google.protobuf.Struct)               scope admin
//	Ticks(google.protobuf.UInt32Value) returns (stream google.protobuf.StringValue)  scope read
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	connectjwt "github.com/jwtgate/jwtgate/connect"
	jwtgate "github.com/jwtgate/jwtgate/core"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// Settings.

// settings is the app's configuration, read from the environment.
type settings struct {
	addr, issuer, audience string
	secret                 []byte
	randomSecret           bool
	logLevel               slog.Level // LOG_LEVEL: the least level logged (default Info)
}

// loadSettings reads the environment. An error names the variable at fault.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{addr: "127.0.0.1:8090", issuer: "jwtgate-example", audience: "jwtgate-example-api"}
	for name, v := range map[string]*string{"ADDR": &s.addr, "JWT_ISSUER": &s.issuer, "JWT_AUDIENCE": &s.audience} {
		if getenv(name) != "" {
			*v = getenv(name)
		}
	}
	switch secret := getenv("JWT_SECRET"); {
	case secret == "":
		s.secret, s.randomSecret = []byte(rand.Text()+rand.Text()), true
	case len(secret) < 32:
		return s, errors.New("JWT_SECRET must be at least 32 bytes")
	default:
		s.secret = []byte(secret)
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := s.logLevel.UnmarshalText([]byte(v)); err != nil {
			return s, fmt.Errorf("LOG_LEVEL is %q; it must be debug, info, warn or error", v)
		}
	}
	return s, nil
}

// The service.

// Its procedures, which the policy below names.
const (
	procedureMe    = "/jwtgate.example.v1.Profile/Me"
	procedureAdmin = "/jwtgate.example.v1.Profile/Admin"
	procedureTicks = "/jwtgate.example.v1.Profile/Ticks"
)

// policy is each procedure's: Me and Ticks need the scope read, Admin the
// scope admin; a procedure not named here needs a valid token.
func policy(auth *jwtgate.Authenticator) connectjwt.Config {
	return connectjwt.Config{
		Authenticator: auth,
		Procedures: map[string]connectjwt.ProcedurePolicy{
			procedureMe:    {Scopes: []string{"read"}},
			procedureAdmin: {Scopes: []string{"admin"}},
			procedureTicks: {Scopes: []string{"read"}},
		},
	}
}

// me answers with what the verified token in its context says, which the
// interceptor put there.
func me(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[structpb.Struct], error) {
	t, _ := jwtgate.FromContext(ctx)
	scopes := []any{}
	for _, s := range t.Scopes() {
		scopes = append(scopes, s)
	}
	msg, err := structpb.NewStruct(map[string]any{"sub": t.Subject, "scopes": scopes})
	return connect.NewResponse(msg), err
}

func admin(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[structpb.Struct], error) {
	t, _ := jwtgate.FromContext(ctx)
	msg, err := structpb.NewStruct(map[string]any{"sub": t.Subject, "admin": true})
	return connect.NewResponse(msg), err
}

// ticks sends n messages (at most 100), each naming the token's subject,
// which the handler's context carries for as long as the stream lasts.
func ticks(ctx context.Context, req *connect.Request[wrapperspb.UInt32Value], stream *connect.ServerStream[wrapperspb.StringValue]) error {
	for i := range min(req.Msg.GetValue(), 100) {
		t, _ := jwtgate.FromContext(ctx)
		if err := stream.Send(wrapperspb.String(fmt.Sprintf("tick %d for %s", i+1, t.Subject))); err != nil {
			return err
		}
	}
	return nil
}

// Metrics and logs.

// newMetrics returns the Observer that counts jwtgate's work through
// OpenTelemetry (verifications and scope checks by outcome and reason) and
// the handler of GET /metrics, which serves the counts as Prometheus text,
// from a registry of the app's own.
func newMetrics() (jwtgate.Observer, http.Handler, error) {
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

// logRequests logs one line per request once h answered it: its method,
// its path and its status, never its headers or body, where tokens travel.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Float64("duration_ms", float64(time.Since(began).Microseconds())/1000))
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

// Unwrap lets http.ResponseController and Connect reach the connection's
// writer (its flushes, for streams).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush sends what a stream wrote so far.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// compactJSON is Connect's JSON codec with protojson's output on one line
// without spaces: protojson varies its spaces on purpose from one build to
// the next, and the answers should read the same every time.
type compactJSON struct{}

func (compactJSON) Name() string { return "json" }

func (compactJSON) Marshal(msg any) ([]byte, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("json: %T is not a protobuf message", msg)
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = json.Compact(&out, b)
	return out.Bytes(), err
}

func (compactJSON) Unmarshal(b []byte, msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return fmt.Errorf("json: %T is not a protobuf message", msg)
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, m)
}

// The routes and the server.

// newHandler is the app's routes: the service's procedures, guarded by the
// interceptor and answering JSON with compactJSON, and GET /metrics.
func newHandler(auth *jwtgate.Authenticator, metrics http.Handler) http.Handler {
	opts := connect.WithHandlerOptions(connect.WithInterceptors(connectjwt.NewInterceptor(policy(auth))), connect.WithCodec(compactJSON{}))
	mux := http.NewServeMux()
	mux.Handle(procedureMe, connect.NewUnaryHandler(procedureMe, me, opts))
	mux.Handle(procedureAdmin, connect.NewUnaryHandler(procedureAdmin, admin, opts))
	mux.Handle(procedureTicks, connect.NewServerStreamHandler(procedureTicks, ticks, opts))
	mux.Handle("GET /metrics", metrics)
	return mux
}

// grace is how long requests in flight may take to finish once SIGTERM
// came.
const grace = 10 * time.Second

// serve serves h on ln until ctx ends, then shuts down: it stops accepting,
// closes idle connections, and returns once the requests in flight are
// answered, or cuts them after grace. It speaks HTTP/1.1 and, for gRPC
// clients, HTTP/2 without TLS (h2c); headers within 5 s, the whole request
// within 10 s, headers of up to 64 KiB, so that an oversized token gets
// jwtgate's answer rather than a bare 431.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10,
		Protocols: new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
		return fmt.Errorf("requests still running %v after SIGTERM were cut: %w", grace, err)
	}
	return nil
}

// The banner.

// walkthrough is what the banner suggests trying, %[1]s being the app's
// URL, %[2]s its address and %[3]s the CLI's mint flags.
const walkthrough = `# A token: log in at an HTTP example app started with the same JWT_SECRET, or mint one with the
# jwtgate CLI (cmd/jwtgate; -key-env: export JWT_SECRET in this shell first).
ACCESS_TOKEN=$(jwtgate mint %[3]s -sub carol -scope read)
# Call the service in the Connect protocol, JSON over HTTP: carol may call Me, not Admin (403, permission_denied).
curl -s -w '\n' %[1]s/jwtgate.example.v1.Profile/Me -H 'Content-Type: application/json' -H "Authorization: Bearer $ACCESS_TOKEN" -d '{}'
curl -si -w '\n' %[1]s/jwtgate.example.v1.Profile/Admin -H 'Content-Type: application/json' -H "Authorization: Bearer $ACCESS_TOKEN" -d '{}'
# No token: 401, unauthenticated, with the challenge in WWW-Authenticate.
curl -si -w '\n' %[1]s/jwtgate.example.v1.Profile/Me -H 'Content-Type: application/json' -d '{}'
# The same server answers gRPC clients in gRPC, such as the gRPC example's:
go run ./examples/grpc call -addr %[2]s -token "$ACCESS_TOKEN" ticks
`

// banner prints the app's URL on the first line, which scripts wait for,
// then a walk-through; commands only, never a token or the secret.
func banner(w io.Writer, addr string, s settings) {
	var b strings.Builder
	fmt.Fprintf(&b, "jwtgate example listening on http://%s\n", addr)
	if s.randomSecret {
		b.WriteString("warning: JWT_SECRET is not set; using a random secret, so no other app's tokens pass here\n")
	}
	fmt.Fprintf(&b, "\nTry it in a shell:\n\n"+walkthrough, "http://"+addr, addr, "-key-env JWT_SECRET -iss "+s.issuer+" -aud "+s.audience)
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String()) // one write: the banner arrives whole
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal stops the app at once
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "connect:", strings.ReplaceAll(err.Error(), "\n", "; ")) // one line
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
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: s.logLevel}))
	obs, metrics, err := newMetrics()
	if err != nil {
		return err
	}
	// The HTTP apps' verification, but for the token's source: the
	// Authorization header only.
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(s.secret, "HS256"), Issuer: []string{s.issuer}, Audience: []string{s.audience},
		Leeway: 30 * time.Second, Realm: "jwtgate-example",
		Logger: log, RefusalLevel: slog.LevelInfo, Observer: obs,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("ADDR %q: %w", s.addr, err)
	}
	banner(out, ln.Addr().String(), s)
	return serve(ctx, ln, logRequests(log, newHandler(auth, metrics)))
}
