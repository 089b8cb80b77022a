package grpcjwt

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/adapt"
	"github.com/jwtgate/jwtgate/core/dpop"
)

// This file is everything the package asks of jwtgate's core: the request
// view over gRPC metadata, the one call that decides (adapt.Authenticate, then
// Authorize for a method's scopes), and the translation of the core's answer
// (Response) into a status and its challenge. The rest of the package is
// gRPC plumbing.

// ErrDPoPNotSupported is the cause of the refusal of a call whose
// authorization metadata uses the DPoP scheme: a DPoP proof is bound to an
// HTTP method and URL (RFC 9449 §4.2), which a gRPC call does not have, so
// the interceptors take Bearer tokens only and say so rather than ignore the
// credentials. The core refuses it (Policy dpop.Unsupported), logs and
// observes it as any refusal; the call is answered InvalidArgument. It is
// dpop.ErrNotSupported.
var ErrDPoPNotSupported = dpop.ErrNotSupported

// view is the core's request view (extractors.Request) over a call's
// incoming metadata. It reads headers only: a call has no cookies, query,
// form or path parameters. Its method is POST, as every gRPC call's, and its
// path the call's full method name, for the core's log records. It reads
// the metadata a key at a time (metadata.FromIncomingContext would copy it
// all), the authorization values once.
type view struct {
	ctx    context.Context
	auth   []string // the authorization values
	method string
}

func newView(ctx context.Context, fullMethod string) view {
	return view{ctx: ctx, auth: metadata.ValueFromIncomingContext(ctx, "authorization"), method: fullMethod}
}

func (v view) Header(name string) (string, int) {
	vals := v.auth
	if name != "Authorization" && !strings.EqualFold(name, "authorization") {
		vals = metadata.ValueFromIncomingContext(v.ctx, strings.ToLower(name))
	}
	if len(vals) == 0 {
		return "", 0
	}
	return vals[0], len(vals)
}

func (view) Cookie(string) (string, int) { return "", 0 }
func (view) Query(string) (string, int)  { return "", 0 }
func (view) Form(string) (string, int)   { return "", 0 }
func (view) Param(string) string         { return "" }
func (view) Method() string              { return http.MethodPost }

// Path is the call's full method name, "/package.Service/Method".
func (v view) Path() string { return v.method }

// Scheme is "http": an RPC's scheme serves only DPoP's htu, and DPoP is
// refused over RPC.
func (view) Scheme() string { return "http" }

// rule is one method's policy, as the core takes it.
type rule struct {
	policy jwtgate.Policy
	scopes []string
}

func newRule(p MethodPolicy) (rule, error) {
	if len(p.Scopes) > 0 {
		if err := adapt.ValidateScopes(p.Scopes); err != nil {
			return rule{}, err
		}
	}
	// A call carries no proof: the core refuses the DPoP scheme (see
	// ErrDPoPNotSupported) and names Bearer only in its challenges.
	return rule{policy: jwtgate.Policy{CredentialsOptional: p.CredentialsOptional, DPoP: dpop.Unsupported}, scopes: p.Scopes}, nil
}

// checkAuthenticator panics unless auth can guard calls: not nil, and able
// to serve a call's policy (the core refuses one that requires DPoP, which
// no call can carry).
func checkAuthenticator(auth *jwtgate.Authenticator, fn string) {
	if auth == nil {
		panic("grpcjwt: " + fn + ": Config.Authenticator is nil")
	}
	if err := auth.CheckPolicy(jwtgate.Policy{DPoP: dpop.Unsupported}); err != nil {
		panic("grpcjwt: " + fn + ": " + err.Error() + ": give the interceptors an Authenticator of their own")
	}
}

// authenticate is the core's decision on a call: the context the handler
// gets (with the verified token), or the status that refuses the call and
// the trailer that carries its challenge.
func authenticate(ctx context.Context, auth *jwtgate.Authenticator, r rule, fullMethod string) (context.Context, metadata.MD, error) {
	v := newView(ctx, fullMethod)
	d := adapt.Authenticate(ctx, auth, v, r.policy)
	if d.Passed() && len(r.scopes) > 0 {
		d = adapt.Authorize(ctx, auth, v, d.Token, r.scopes)
	}
	if !d.Passed() {
		md, serr := refuse(d)
		return nil, md, serr
	}
	if d.Token != nil {
		ctx = jwtgate.NewContext(ctx, d.Token)
	}
	return ctx, nil, nil
}

// refuse is the status of the core's answer to the refusal d, and the
// trailer with its WWW-Authenticate challenge when it has one.
func refuse(d adapt.Decision) (metadata.MD, error) {
	resp := d.Response()
	var md metadata.MD
	if resp.WWWAuthenticate != "" {
		md = metadata.MD{"www-authenticate": []string{resp.WWWAuthenticate}}
	}
	return md, status.Error(Code(resp.Status), resp.Description)
}

// Code is the gRPC code of an HTTP status the core answers a refusal with:
// InvalidArgument for 400 (invalid_request), Unauthenticated for 401
// (missing or invalid token), PermissionDenied for 403
// (insufficient_scope), Unavailable for 503 (the revocation store could not
// answer), Internal for 500 (a server misconfigured); Unknown otherwise.
func Code(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusInternalServerError:
		return codes.Internal
	}
	return codes.Unknown
}
