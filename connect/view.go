package connectjwt

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"

	"connectrpc.com/connect"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/core/dpop"
)

// This file is everything the package asks of jwtgate's core: the request
// view over a call's HTTP headers, the one call that decides
// (adapt.Authenticate, then adapt.Authorize for a procedure's scopes), and the
// translation of the core's answer (Response) into a Connect error and its
// challenge. The rest of the package is Connect plumbing.

// ErrDPoPNotSupported is the cause of the refusal of a call whose
// Authorization header uses the DPoP scheme: the interceptor takes Bearer
// tokens only (see the package documentation) and says so rather than
// ignore the credentials. The core refuses it (Policy dpop.Unsupported),
// logs and observes it as any refusal; the call is answered
// CodeInvalidArgument. It is dpop.ErrNotSupported.
var ErrDPoPNotSupported = dpop.ErrNotSupported

// view is the core's request view (extractors.Request) over a call's HTTP
// request headers. It reads headers only, as the gRPC interceptors do: no
// cookies, query, form or path parameters. Its path is the procedure, for
// the core's log records.
type view struct {
	h         http.Header
	method    string
	procedure string
}

func (v view) Header(name string) (string, int) {
	vals := v.h[textproto.CanonicalMIMEHeaderKey(name)]
	if len(vals) == 0 {
		return "", 0
	}
	return vals[0], len(vals)
}

func (view) Cookie(string) (string, int) { return "", 0 }
func (view) Query(string) (string, int)  { return "", 0 }
func (view) Form(string) (string, int)   { return "", 0 }
func (view) Param(string) string         { return "" }
func (v view) Method() string            { return v.method }

// Path is the call's procedure, "/package.Service/Method".
func (v view) Path() string { return v.procedure }

// Scheme is "http": an RPC's scheme serves only DPoP's htu, and DPoP is
// refused over RPC.
func (view) Scheme() string { return "http" }

// rule is one procedure's policy, as the core takes it.
type rule struct {
	policy jwtgate.Policy
	scopes []string
}

func newRule(p ProcedurePolicy) (rule, error) {
	if len(p.Scopes) > 0 {
		if err := adapt.ValidateScopes(p.Scopes); err != nil {
			return rule{}, err
		}
	}
	// The interceptor takes no proof: the core refuses the DPoP scheme (see
	// ErrDPoPNotSupported) and names Bearer only in its challenges.
	return rule{policy: jwtgate.Policy{CredentialsOptional: p.CredentialsOptional, DPoP: dpop.Unsupported}, scopes: p.Scopes}, nil
}

// checkAuthenticator panics unless auth can guard calls: not nil, and able
// to serve a call's policy (the core refuses one that requires DPoP, which
// the interceptor cannot check).
func checkAuthenticator(auth *jwtgate.Authenticator) {
	if auth == nil {
		panic("connectjwt: NewInterceptor: Config.Authenticator is nil")
	}
	if err := auth.CheckPolicy(jwtgate.Policy{DPoP: dpop.Unsupported}); err != nil {
		panic("connectjwt: NewInterceptor: " + err.Error() + ": put the net/http adapter in front of the handler, or give the interceptor an Authenticator of its own")
	}
}

// authenticate is the core's decision on a call: the context the handler
// gets (with the verified token), or the *connect.Error that refuses it and
// its WWW-Authenticate challenge ("" when it has none).
func authenticate(ctx context.Context, auth *jwtgate.Authenticator, r rule, h http.Header, method, procedure string) (context.Context, *connect.Error, string) {
	v := view{h: h, method: method, procedure: procedure}
	d := adapt.Authenticate(ctx, auth, v, r.policy)
	if d.Passed() && len(r.scopes) > 0 {
		d = adapt.Authorize(ctx, auth, v, d.Token, r.scopes)
	}
	if !d.Passed() {
		cerr, challenge := refuse(d)
		return nil, cerr, challenge
	}
	if d.Token != nil {
		ctx = jwtgate.NewContext(ctx, d.Token)
	}
	return ctx, nil, ""
}

// refuse is the Connect error of the core's answer to the refusal d, and
// its WWW-Authenticate challenge.
func refuse(d adapt.Decision) (*connect.Error, string) {
	resp := d.Response()
	return connect.NewError(Code(resp.Status), errors.New(resp.Description)), resp.WWWAuthenticate
}

// Code is the Connect code of an HTTP status the core answers a refusal
// with: CodeInvalidArgument for 400 (invalid_request), CodeUnauthenticated
// for 401 (missing or invalid token), CodePermissionDenied for 403
// (insufficient_scope), CodeUnavailable for 503 (the revocation store could
// not answer), CodeInternal for 500 (a server misconfigured); CodeUnknown
// otherwise. Connect's own protocol answers each with the same HTTP status.
func Code(httpStatus int) connect.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return connect.CodeInvalidArgument
	case http.StatusUnauthorized:
		return connect.CodeUnauthenticated
	case http.StatusForbidden:
		return connect.CodePermissionDenied
	case http.StatusServiceUnavailable:
		return connect.CodeUnavailable
	case http.StatusInternalServerError:
		return connect.CodeInternal
	}
	return connect.CodeUnknown
}
