package connectjwt

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"strings"

	"connectrpc.com/connect"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// This file is everything the package asks of jwtgate's core: the request
// view over a call's HTTP headers, the one call that decides
// (AuthenticateWith, then Authorize for a procedure's scopes), and the
// translation of the core's answer (Response) into a Connect error and its
// challenge. The rest of the package is Connect plumbing.

// ErrDPoPNotSupported is the cause of the refusal of a call whose
// Authorization header uses the DPoP scheme: the interceptor takes Bearer
// tokens only (see the package documentation) and says so rather than
// ignore the credentials. The call is answered CodeInvalidArgument.
var ErrDPoPNotSupported = errors.New("connectjwt: the DPoP scheme is not supported by the Connect interceptor")

const descDPoP = "DPoP is not supported for RPCs: send the access token with the Bearer scheme"

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
		if err := jwtgate.ValidateScopes(p.Scopes); err != nil {
			return rule{}, err
		}
	}
	// DPoPOff: the interceptor takes no proof (see ErrDPoPNotSupported), so
	// its challenge names Bearer only.
	return rule{policy: jwtgate.Policy{CredentialsOptional: p.CredentialsOptional, DPoP: jwtgate.DPoPOff}, scopes: p.Scopes}, nil
}

// checkAuthenticator panics unless auth can guard calls: not nil, and not
// requiring DPoP of every request, which the interceptor cannot check.
func checkAuthenticator(auth *jwtgate.Authenticator) {
	if auth == nil {
		panic("connectjwt: NewInterceptor: Config.Authenticator is nil")
	}
	if auth.DPoPMode() == jwtgate.DPoPRequired {
		panic("connectjwt: NewInterceptor: the Authenticator requires DPoP, which the interceptor cannot check: put the net/http adapter in front of the handler, or give the interceptor an Authenticator of its own")
	}
}

// authenticate is the core's decision on a call: the context the handler
// gets (with the verified token), or the *connect.Error that refuses it and
// its WWW-Authenticate challenge ("" when it has none).
func authenticate(ctx context.Context, auth *jwtgate.Authenticator, r rule, h http.Header, method, procedure string) (context.Context, *connect.Error, string) {
	v := view{h: h, method: method, procedure: procedure}
	if vals := h["Authorization"]; len(vals) == 1 && isDPoP(vals[0]) {
		cerr, challenge := refuse(auth, &jwtgate.Error{Kind: jwtgate.ErrInvalidRequest, Cause: ErrDPoPNotSupported, Description: descDPoP})
		return nil, cerr, bearerOnly(challenge)
	}
	t, err := auth.AuthenticateWith(ctx, v, r.policy)
	if err == nil && len(r.scopes) > 0 {
		err = auth.Authorize(ctx, v, t, r.scopes...)
	}
	if err != nil {
		cerr, challenge := refuse(auth, err)
		return nil, cerr, challenge
	}
	if t != nil {
		ctx = jwtgate.NewContext(ctx, t)
	}
	return ctx, nil, ""
}

// refuse is the Connect error of the core's answer to err, and its
// WWW-Authenticate challenge.
func refuse(auth *jwtgate.Authenticator, err error) (*connect.Error, string) {
	resp := auth.Response(err)
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

// isDPoP reports whether credentials use the DPoP scheme, in any case.
func isDPoP(v string) bool {
	v = strings.TrimLeft(v, " ")
	if len(v) < 4 || !strings.EqualFold(v[:4], "dpop") {
		return false
	}
	return len(v) == 4 || v[4] == ' '
}

// bearerOnly is a challenge without its DPoP part. The core answers the
// DPoP refusal, which this package makes before calling it, with the
// Authenticator's own challenges, the DPoP one among them when its
// Config.DPoP allows DPoP; a call cannot carry DPoP, so the challenge names
// Bearer only, as the core's answers to calls do (their Policy is
// DPoPOff). No quoted value holds a '"', so the DPoP challenge starts at
// the first `, DPoP realm="`.
func bearerOnly(challenge string) string {
	if i := strings.Index(challenge, `, DPoP realm="`); i >= 0 {
		return challenge[:i]
	}
	return challenge
}
