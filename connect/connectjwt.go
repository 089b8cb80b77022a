// Package connectjwt is jwtgate for Connect services: a connect.Interceptor
// over the same [jwtgate.Authenticator] as the HTTP adapters, for unary and
// streaming handlers, whichever protocol the client speaks (Connect, gRPC,
// gRPC-Web).
//
// It only translates. The token comes from the Authorization header
// ("Bearer <token>", the scheme in any case); the core decides, as it does
// for any HTTP request, with the procedure's [ProcedurePolicy]; the verified
// token goes into the handler's context ([jwtgate.FromContext],
// [jwtgate.ClaimsFromContext]); and a refusal is a *connect.Error whose
// code matches the HTTP status the core answers — CodeUnauthenticated for
// 401, CodePermissionDenied for 403, CodeInvalidArgument for 400,
// CodeUnavailable for 503 — with the RFC 6750 description as its message
// and the same WWW-Authenticate challenge in its metadata, so that the
// client reads the refusal in its own protocol.
//
// A stream is checked once, when it opens: every message its handler
// receives is under the token verified then, in the handler's context.
//
// DPoP is HTTP-only: the interceptor sees a procedure, not the URL a proof
// signs, and refuses a token presented with the DPoP scheme
// ([ErrDPoPNotSupported], CodeInvalidArgument). A Connect handler is an
// http.Handler, so a service that needs DPoP puts the net/http adapter in
// front of it instead, and answers refusals in HTTP and JSON.
package connectjwt

import (
	"context"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// ProcedurePolicy is what one procedure asks of a call.
type ProcedurePolicy struct {
	// CredentialsOptional lets a call without any token through (its
	// handler finds no token in its context); a token that is sent must
	// still be valid.
	CredentialsOptional bool
	// Scopes, when not empty, must all be granted by the token; a call
	// whose token lacks one is refused CodePermissionDenied, as HTTP
	// answers 403 insufficient_scope.
	Scopes []string
}

// Config configures the interceptor. Only Authenticator is required.
type Config struct {
	// Authenticator verifies tokens; required. It must not require DPoP
	// (Config.DPoP's Mode dpop.Required): no call could pass.
	Authenticator *jwtgate.Authenticator
	// Default is the policy of every procedure not in Procedures. Its zero
	// value requires a valid token, with no scope, unless the
	// Authenticator's CredentialsOptional is set.
	Default ProcedurePolicy
	// Procedures is the policy of each procedure named in it
	// ("/package.Service/Method"), instead of Default.
	Procedures map[string]ProcedurePolicy
	// Skip, when it returns true for a call, lets the call through without
	// reading its headers: no token is checked nor put in the context. Use
	// it for procedures that must answer without credentials, such as
	// SkipHealthAndReflection's.
	Skip func(ctx context.Context, procedure string) bool
}

// SkipHealthAndReflection is a Config.Skip for the gRPC health service
// (grpc.health.v1.Health) and server reflection (grpc.reflection.v1 and
// v1alpha), which probes and tools call without credentials.
func SkipHealthAndReflection(_ context.Context, procedure string) bool {
	for _, prefix := range []string{
		"/grpc.health.v1.Health/",
		"/grpc.reflection.v1.ServerReflection/",
		"/grpc.reflection.v1alpha.ServerReflection/",
	} {
		if strings.HasPrefix(procedure, prefix) {
			return true
		}
	}
	return false
}

// Interceptor is the connect.Interceptor NewInterceptor returns. Give it to
// a handler with connect.WithInterceptors; on a client it does nothing.
type Interceptor struct {
	cfg        Config
	def        rule
	procedures map[string]rule
}

// NewInterceptor returns the interceptor that lets a call through only with
// a valid token (or none, where the procedure's policy makes credentials
// optional) that grants the procedure's scopes. It panics if
// cfg.Authenticator is nil or requires DPoP, or a scope is not a valid
// scope token.
func NewInterceptor(cfg Config) *Interceptor {
	checkAuthenticator(cfg.Authenticator)
	i := &Interceptor{cfg: cfg, procedures: make(map[string]rule, len(cfg.Procedures))}
	var err error
	if i.def, err = newRule(cfg.Default); err != nil {
		panic("connectjwt: NewInterceptor: Config.Default: " + err.Error())
	}
	for name, p := range cfg.Procedures {
		if i.procedures[name], err = newRule(p); err != nil {
			panic("connectjwt: NewInterceptor: Config.Procedures[" + name + "]: " + err.Error())
		}
	}
	return i
}

// check authenticates a call. A refusal's challenge goes in the error's
// metadata, which Connect sends as response headers (the Connect protocol)
// or as trailing metadata (gRPC-Web, gRPC) — except over the gRPC protocol,
// whose trailers net/http never sends a WWW-Authenticate in: there it goes
// in respHeader, the call's response headers. Either way the client finds
// it in its error's Meta.
func (i *Interceptor) check(ctx context.Context, h, respHeader http.Header, method, procedure string) (context.Context, error) {
	if i.cfg.Skip != nil && i.cfg.Skip(ctx, procedure) {
		return ctx, nil
	}
	r, ok := i.procedures[procedure]
	if !ok {
		r = i.def
	}
	ctx, cerr, challenge := authenticate(ctx, i.cfg.Authenticator, r, h, method, procedure)
	if cerr == nil {
		return ctx, nil
	}
	if challenge != "" {
		if grpcProtocol(h) && respHeader != nil {
			respHeader["Www-Authenticate"] = []string{challenge}
		} else {
			cerr.Meta()["Www-Authenticate"] = []string{challenge}
		}
	}
	return nil, cerr
}

// grpcProtocol reports whether a request speaks the gRPC protocol (not
// gRPC-Web): Content-Type application/grpc, alone or with a codec suffix.
func grpcProtocol(h http.Header) bool {
	ct := h.Get("Content-Type")
	return ct == "application/grpc" || strings.HasPrefix(ct, "application/grpc+") || strings.HasPrefix(ct, "application/grpc;")
}

// WrapUnary guards a unary handler; a client's calls pass unchanged.
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		var respHeader http.Header
		if info, ok := connect.CallInfoForHandlerContext(ctx); ok {
			respHeader = info.ResponseHeader()
		}
		ctx, err := i.check(ctx, req.Header(), respHeader, req.HTTPMethod(), req.Spec().Procedure)
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient returns next: the interceptor guards handlers only.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler guards a streaming handler, once, when the stream
// opens; the handler's context carries the verified token for every
// message.
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.check(ctx, conn.RequestHeader(), conn.ResponseHeader(), http.MethodPost, conn.Spec().Procedure)
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

var _ connect.Interceptor = (*Interceptor)(nil)
