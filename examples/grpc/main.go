// Command grpc is jwtgate's example gRPC service: a small profile service
// guarded by the grpcjwt interceptors, which verify the same tokens as the
// HTTP example apps (HS256 with JWT_SECRET, the same issuer and audience),
// and the Go client that calls it.
//
// This file is the whole program, server and client: copy it into a module
// of your own, run go mod tidy, and it builds. Its messages are protobuf's
// well-known types (emptypb, structpb, wrapperspb) and its service is
// described in Go below, so there is no code to generate.
//
//	go run ./examples/grpc                                  # the server
//	go run ./examples/grpc call -token "$ACCESS_TOKEN" me   # the client
//
// Environment (README.md, "gRPC and Connect"): ADDR (default 127.0.0.1:50051),
// JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE as the HTTP apps read them, and
// METRICS_ADDR: unset, no metrics; set, GET /metrics there serves jwtgate's
// metrics as Prometheus text. Standard error gets one JSON line per call,
// and jwtgate's refusals.
//
// The service, jwtgate.example.v1.Profile:
//
//	Me(google.protobuf.Empty) returns (google.protobuf.Struct)                  scope read
//	Admin(google.protobuf.Empty) returns (google.protobuf.Struct)               scope admin
//	Ticks(google.protobuf.UInt32Value) returns (stream google.protobuf.StringValue)  scope read
//
// and the standard health service, grpc.health.v1.Health, which answers
// without a token.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	jwtgate "github.com/jwtgate/jwtgate/core"
	grpcjwt "github.com/jwtgate/jwtgate/grpc"
	jwtgateotel "github.com/jwtgate/jwtgate/otel"
)

// Settings.

// settings is the app's configuration, read from the environment.
type settings struct {
	addr, metricsAddr, issuer, audience string
	secret                              []byte
	randomSecret                        bool
	logLevel                            slog.Level // LOG_LEVEL: the least level logged (default Info)
}

// loadSettings reads the environment. An error names the variable at fault.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{addr: "127.0.0.1:50051", issuer: "jwtgate-example", audience: "jwtgate-example-api", metricsAddr: getenv("METRICS_ADDR")}
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

// Its full method names, which the policy below names.
const (
	methodMe    = "/jwtgate.example.v1.Profile/Me"
	methodAdmin = "/jwtgate.example.v1.Profile/Admin"
	methodTicks = "/jwtgate.example.v1.Profile/Ticks"
)

// policy is each method's: Me and Ticks need the scope read, Admin the
// scope admin; a method not named here needs a valid token; the health
// service needs none.
func policy(auth *jwtgate.Authenticator) grpcjwt.Config {
	return grpcjwt.Config{
		Authenticator: auth,
		Methods: map[string]grpcjwt.MethodPolicy{
			methodMe:    {Scopes: []string{"read"}},
			methodAdmin: {Scopes: []string{"admin"}},
			methodTicks: {Scopes: []string{"read"}},
		},
		Skip: grpcjwt.SkipHealthAndReflection,
	}
}

// profile is the service: it answers with what the verified token in its
// context says, which the interceptors put there.
type profile struct{}

func (profile) me(ctx context.Context) (*structpb.Struct, error) {
	t, _ := jwtgate.FromContext(ctx)
	scopes := []any{}
	for _, s := range t.Scopes() {
		scopes = append(scopes, s)
	}
	return structpb.NewStruct(map[string]any{"sub": t.Subject, "scopes": scopes})
}

func (profile) admin(ctx context.Context) (*structpb.Struct, error) {
	t, _ := jwtgate.FromContext(ctx)
	return structpb.NewStruct(map[string]any{"sub": t.Subject, "admin": true})
}

// ticks sends n messages (at most 100), each naming the token's subject,
// which the stream's context carries for as long as the stream lasts.
func (profile) ticks(n uint32, stream grpc.ServerStream) error {
	for i := range min(n, 100) {
		t, _ := jwtgate.FromContext(stream.Context())
		if err := stream.SendMsg(wrapperspb.String(fmt.Sprintf("tick %d for %s", i+1, t.Subject))); err != nil {
			return err
		}
	}
	return nil
}

// profileDesc describes the service to gRPC, as generated code would.
var profileDesc = grpc.ServiceDesc{
	ServiceName: "jwtgate.example.v1.Profile",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Me", Handler: unary(methodMe, profile.me)},
		{MethodName: "Admin", Handler: unary(methodAdmin, profile.admin)},
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Ticks",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			in := new(wrapperspb.UInt32Value)
			if err := stream.RecvMsg(in); err != nil {
				return err
			}
			return srv.(profile).ticks(in.GetValue(), stream)
		},
	}},
}

// unary is the gRPC handler of a method that takes google.protobuf.Empty.
func unary(fullMethod string, fn func(profile, context.Context) (*structpb.Struct, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		if err := dec(new(emptypb.Empty)); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, _ any) (any, error) { return fn(srv.(profile), ctx) }
		if interceptor == nil {
			return h(ctx, nil)
		}
		return interceptor(ctx, nil, &grpc.UnaryServerInfo{Server: srv, FullMethod: fullMethod}, h)
	}
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

// logCalls logs one line per unary call once it is answered: its method,
// its code and how long it took, never its metadata, where tokens travel.
func logCalls(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		began := time.Now()
		res, err := handler(ctx, req)
		logCall(ctx, log, info.FullMethod, err, began)
		return res, err
	}
}

// logStreams logs one line per stream once it ends.
func logStreams(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		began := time.Now()
		err := handler(srv, ss)
		logCall(ss.Context(), log, info.FullMethod, err, began)
		return err
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, err error, began time.Time) {
	log.LogAttrs(ctx, slog.LevelInfo, "call", slog.String("method", method), slog.String("code", status.Code(err).String()),
		slog.Float64("duration_ms", float64(time.Since(began).Microseconds())/1000))
}

// The server.

// newServer is the gRPC server: the calls' log lines outside, jwtgate's
// interceptors inside, then the service and the health service.
func newServer(auth *jwtgate.Authenticator, log *slog.Logger) *grpc.Server {
	cfg := policy(auth)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(logCalls(log), grpcjwt.UnaryServerInterceptor(cfg)),
		grpc.ChainStreamInterceptor(logStreams(log), grpcjwt.StreamServerInterceptor(cfg)),
		grpc.MaxHeaderListSize(64<<10), // metadata well beyond the 8 KiB token limit, no more
	)
	srv.RegisterService(&profileDesc, profile{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	return srv
}

// grace is how long calls in flight may take to finish once SIGTERM came.
const grace = 10 * time.Second

// serve serves srv on ln until ctx ends, then stops gracefully: no new
// calls, the calls in flight finish, or are cut after grace.
func serve(ctx context.Context, ln net.Listener, srv *grpc.Server) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-time.After(grace):
		srv.Stop()
		return fmt.Errorf("calls still running %v after SIGTERM were cut", grace)
	}
}

// The banner.

// walkthrough is what the banner suggests trying, %[1]s being the
// address, %[2]s the CLI's mint flags.
const walkthrough = `# A token: log in at an HTTP example app started with the same JWT_SECRET, or mint one with the
# jwtgate CLI (cmd/jwtgate; -key-env: export JWT_SECRET in this shell first).
ACCESS_TOKEN=$(jwtgate mint %[2]s -sub carol -scope read)
# Call the service with this example's client: carol may call Me and Ticks, not Admin (PermissionDenied).
go run ./examples/grpc call -addr %[1]s -token "$ACCESS_TOKEN" me
go run ./examples/grpc call -addr %[1]s -token "$ACCESS_TOKEN" ticks
go run ./examples/grpc call -addr %[1]s -token "$ACCESS_TOKEN" admin || echo "exit status $?"
# No token: refused (Unauthenticated), but the health service answers.
go run ./examples/grpc call -addr %[1]s me || echo "exit status $?"
go run ./examples/grpc call -addr %[1]s health
`

// banner prints the address on the first line, which scripts wait for,
// then the metrics' URL when there are metrics, then a walk-through;
// commands only, never a token or the secret.
func banner(w io.Writer, addr, metrics string, s settings) {
	var b strings.Builder
	fmt.Fprintf(&b, "jwtgate example listening on grpc://%s\n", addr)
	if metrics != "" {
		fmt.Fprintf(&b, "metrics on http://%s/metrics\n", metrics)
	}
	if s.randomSecret {
		b.WriteString("warning: JWT_SECRET is not set; using a random secret, so no other app's tokens pass here\n")
	}
	fmt.Fprintf(&b, "\nTry it in a shell:\n\n"+walkthrough, addr, "-key-env JWT_SECRET -iss "+s.issuer+" -aud "+s.audience)
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String()) // one write: the banner arrives whole
}

// The client.

// call is the client: it calls one method of the service at -addr, with
// the token of -token (or $ACCESS_TOKEN) as per-RPC credentials, and prints
// the answer as JSON, or the refusal: its code, its message and its
// challenge. It returns the exit status, 1 for a refusal.
func call(ctx context.Context, args []string, getenv func(string) string, out io.Writer) int {
	flags := flag.NewFlagSet("call", flag.ContinueOnError)
	flags.SetOutput(out)
	addr := flags.String("addr", cmpOr(getenv("ADDR"), "127.0.0.1:50051"), "the server's address")
	token := flags.String("token", getenv("ACCESS_TOKEN"), "the access token (default $ACCESS_TOKEN)")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 {
		fmt.Fprintln(out, "usage: grpc call [-addr host:port] [-token TOKEN] me|admin|ticks|health")
		return 2
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if *token != "" {
		// The example's server listens without TLS, on loopback: the
		// credentials must be told that the token may go in clear text.
		opts = append(opts, grpc.WithPerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(*token), AllowInsecure: true}))
	}
	conn, err := grpc.NewClient(*addr, opts...)
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		return 1
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	var header, trailer metadata.MD
	var answers []proto.Message
	switch flags.Arg(0) {
	case "me", "admin":
		method := map[string]string{"me": methodMe, "admin": methodAdmin}[flags.Arg(0)]
		res := new(structpb.Struct)
		err = conn.Invoke(ctx, method, &emptypb.Empty{}, res, grpc.Header(&header), grpc.Trailer(&trailer))
		answers = append(answers, res)
	case "ticks":
		var stream grpc.ClientStream
		stream, err = conn.NewStream(ctx, &profileDesc.Streams[0], methodTicks)
		if err == nil {
			err = stream.SendMsg(wrapperspb.UInt32(3))
		}
		if err == nil {
			err = stream.CloseSend()
		}
		for err == nil {
			msg := new(wrapperspb.StringValue)
			if err = stream.RecvMsg(msg); err == nil {
				answers = append(answers, msg)
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		if stream != nil {
			header, _ = stream.Header()
			trailer = stream.Trailer()
		}
	case "health":
		var res *healthpb.HealthCheckResponse
		res, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		answers = append(answers, res)
	default:
		fmt.Fprintln(out, "usage: grpc call [-addr host:port] [-token TOKEN] me|admin|ticks|health")
		return 2
	}
	if err != nil {
		st := status.Convert(err)
		fmt.Fprintf(out, "code: %s\nmessage: %s\n", st.Code(), st.Message())
		// jwtgate's interceptors send the challenge in the trailer; a server
		// on net/http (a Connect handler) in the header.
		for _, c := range append(trailer.Get("www-authenticate"), header.Get("www-authenticate")...) {
			fmt.Fprintf(out, "www-authenticate: %s\n", c)
		}
		return 1
	}
	for _, a := range answers {
		b, _ := protojson.Marshal(a)
		var compact bytes.Buffer // protojson varies its spaces on purpose; one line, always the same
		_ = json.Compact(&compact, b)
		fmt.Fprintln(out, compact.String())
	}
	return 0
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "call" {
		os.Exit(call(ctx, os.Args[2:], os.Getenv, os.Stdout))
	}
	context.AfterFunc(ctx, stop) // a second signal stops the app at once
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "grpc:", strings.ReplaceAll(err.Error(), "\n", "; ")) // one line
		os.Exit(1)
	}
}

// run starts the server and serves until ctx ends, its banner on out and
// its logs on logs. Nothing listens and nothing is printed unless every
// setting is right.
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
	// authorization metadata only.
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
	metricsAddr := ""
	if s.metricsAddr != "" {
		mln, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("METRICS_ADDR %q: %w", s.metricsAddr, err)
		}
		metricsAddr = mln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
	}
	banner(out, ln.Addr().String(), metricsAddr, s)
	return serve(ctx, ln, newServer(auth, log))
}
