// Package grpcjwt is jwtgate for gRPC servers: unary and stream server
// interceptors over the same [jwtgate.Authenticator] as the HTTP adapters,
// and per-RPC credentials for the clients that call them.
//
// It only translates. The token comes from the call's authorization
// metadata ("Bearer <token>", the scheme in any case); the core decides, as
// it does for an HTTP request, with the method's [MethodPolicy]; the
// verified token goes into the handler's context ([jwtgate.FromContext],
// [jwtgate.ClaimsFromContext]); and a refusal is the status whose code
// matches the HTTP status the core answers — Unauthenticated for 401,
// PermissionDenied for 403, InvalidArgument for 400, Unavailable for 503 —
// with the RFC 6750 description as its message and the same
// WWW-Authenticate challenge in the trailer, under www-authenticate.
//
// A stream is checked once, when it opens: every message its handler
// receives is under the token verified then, in the stream's context.
//
// DPoP is HTTP-only: a proof is bound to an HTTP method and URL, which a
// call has not. A call that presents a token with the DPoP scheme is
// refused InvalidArgument ([ErrDPoPNotSupported]); a token bound to a key
// (cnf.jkt) sent as Bearer is refused by the core as on HTTP.
package grpcjwt

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// MethodPolicy is what one method asks of a call.
type MethodPolicy struct {
	// CredentialsOptional lets a call without any token through (its
	// handler finds no token in its context); a token that is sent must
	// still be valid.
	CredentialsOptional bool
	// Scopes, when not empty, must all be granted by the token; a call
	// whose token lacks one is refused PermissionDenied, as HTTP answers
	// 403 insufficient_scope.
	Scopes []string
}

// Config configures the interceptors. Only Authenticator is required.
type Config struct {
	// Authenticator verifies tokens; required. It must not require DPoP
	// (Config.DPoP's Mode dpop.Required): no call could pass.
	Authenticator *jwtgate.Authenticator
	// Default is the policy of every method not in Methods. Its zero value
	// requires a valid token, with no scope, unless the Authenticator's
	// CredentialsOptional is set.
	Default MethodPolicy
	// Methods is the policy of each method named in it, by full method
	// name ("/package.Service/Method"), instead of Default.
	Methods map[string]MethodPolicy
	// Skip, when it returns true for a call, lets the call through without
	// reading its metadata: no token is checked nor put in the context. Use
	// it for methods that must answer without credentials, such as
	// SkipHealthAndReflection's.
	Skip func(ctx context.Context, fullMethod string) bool
}

// SkipHealthAndReflection is a Config.Skip for the gRPC health service
// (grpc.health.v1.Health) and server reflection (grpc.reflection.v1 and
// v1alpha), which probes and tools call without credentials.
func SkipHealthAndReflection(_ context.Context, fullMethod string) bool {
	for _, prefix := range []string{
		"/grpc.health.v1.Health/",
		"/grpc.reflection.v1.ServerReflection/",
		"/grpc.reflection.v1alpha.ServerReflection/",
	} {
		if strings.HasPrefix(fullMethod, prefix) {
			return true
		}
	}
	return false
}

// guard is what both interceptors share.
type guard struct {
	cfg     Config
	def     rule
	methods map[string]rule
}

func newGuard(cfg Config, fn string) *guard {
	checkAuthenticator(cfg.Authenticator, fn)
	g := &guard{cfg: cfg, methods: make(map[string]rule, len(cfg.Methods))}
	var err error
	if g.def, err = newRule(cfg.Default); err != nil {
		panic("grpcjwt: " + fn + ": Config.Default: " + err.Error())
	}
	for name, p := range cfg.Methods {
		if g.methods[name], err = newRule(p); err != nil {
			panic("grpcjwt: " + fn + ": Config.Methods[" + name + "]: " + err.Error())
		}
	}
	return g
}

// check authenticates a call: the handler's context, or the refusal and
// the trailer that carries its challenge.
func (g *guard) check(ctx context.Context, fullMethod string) (context.Context, metadata.MD, error) {
	if g.cfg.Skip != nil && g.cfg.Skip(ctx, fullMethod) {
		return ctx, nil, nil
	}
	r, ok := g.methods[fullMethod]
	if !ok {
		r = g.def
	}
	return authenticate(ctx, g.cfg.Authenticator, r, fullMethod)
}

// UnaryServerInterceptor returns the interceptor that lets a unary call
// through only with a valid token (or none, where the method's policy makes
// credentials optional) that grants the method's scopes. It panics if
// cfg.Authenticator is nil or requires DPoP, or a scope is not a valid scope
// token.
func UnaryServerInterceptor(cfg Config) grpc.UnaryServerInterceptor {
	g := newGuard(cfg, "UnaryServerInterceptor")
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		hctx, trailer, err := g.check(ctx, info.FullMethod)
		if err != nil {
			if trailer != nil {
				_ = grpc.SetTrailer(ctx, trailer)
			}
			return nil, err
		}
		return handler(hctx, req)
	}
}

// StreamServerInterceptor returns the interceptor that checks a stream once,
// when it opens, as UnaryServerInterceptor checks a call; the handler's
// stream carries the verified token in its Context for every message. It
// panics as UnaryServerInterceptor does.
func StreamServerInterceptor(cfg Config) grpc.StreamServerInterceptor {
	g := newGuard(cfg, "StreamServerInterceptor")
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, trailer, err := g.check(ss.Context(), info.FullMethod)
		if err != nil {
			if trailer != nil {
				ss.SetTrailer(trailer)
			}
			return err
		}
		return handler(srv, &stream{ServerStream: ss, ctx: ctx})
	}
}

// stream is a ServerStream whose Context carries the verified token.
type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }
