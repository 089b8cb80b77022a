package grpcjwt

import (
	"context"
	"errors"

	"google.golang.org/grpc/credentials"
)

// Credentials are per-RPC credentials (credentials.PerRPCCredentials) for a
// service that calls another guarded by these interceptors: each call sends
// "authorization: Bearer <token>", the token from Token. Give them to
// grpc.WithPerRPCCredentials when dialing, or to grpc.PerRPCCredentials for
// one call.
//
// They refuse to send a token over a connection without transport security
// (grpc.NewClient fails, and so does a call with them on an insecure
// connection) unless AllowInsecure is set: a bearer token sent in clear text
// is anyone's who sees it.
type Credentials struct {
	// Token returns the access token for a call, such as a token the
	// service keeps fresh; required. An error fails the call.
	Token func(ctx context.Context) (string, error)
	// AllowInsecure lets the token go over a connection without transport
	// security: for tests, loopback and a sidecar that encrypts.
	AllowInsecure bool
}

// StaticToken is a Credentials.Token that always returns token.
func StaticToken(token string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return token, nil }
}

var (
	errNoTokenFunc = errors.New("grpcjwt: Credentials.Token is nil")
	errBadToken    = errors.New("grpcjwt: the token is empty or not a b64token")
)

// GetRequestMetadata returns the call's authorization metadata.
func (c Credentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if !c.AllowInsecure {
		ri, _ := credentials.RequestInfoFromContext(ctx)
		if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
			return nil, err
		}
	}
	if c.Token == nil {
		return nil, errNoTokenFunc
	}
	tok, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	if !b64Token(tok) {
		return nil, errBadToken
	}
	return map[string]string{"authorization": "Bearer " + tok}, nil
}

// RequireTransportSecurity reports whether the token needs a secure
// connection: true unless AllowInsecure.
func (c Credentials) RequireTransportSecurity() bool { return !c.AllowInsecure }

// b64Token reports whether s is one RFC 6750 b64token, which a server reads
// after "Bearer ".
func b64Token(s string) bool {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' ||
		s[i] == '-' || s[i] == '.' || s[i] == '_' || s[i] == '~' || s[i] == '+' || s[i] == '/') {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

var _ credentials.PerRPCCredentials = Credentials{}
