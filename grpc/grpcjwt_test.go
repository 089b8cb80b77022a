package grpcjwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/extractors"
	grpcjwt "github.com/jwtgate/jwtgate/grpc"
)

var (
	secret = []byte("grpcjwt-test-secret-of-32-bytes!")
	now    = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
)

// outcomes counts what the Observer sees.
type outcomes struct {
	jwtgate.NopObserver
	mu         sync.Mutex
	reasons    []string
	authorized []string
}

func (o *outcomes) Authenticated(_ context.Context, oc *jwtgate.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reasons = append(o.reasons, oc.Reason)
}

func (o *outcomes) Authorized(_ context.Context, oc *jwtgate.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.authorized = append(o.authorized, oc.Reason)
}

func (o *outcomes) seen() ([]string, []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.reasons...), append([]string(nil), o.authorized...)
}

func newAuth(t *testing.T, obs jwtgate.Observer, edit ...func(*jwtgate.Config)) *jwtgate.Authenticator {
	t.Helper()
	cfg := jwtgate.Config{
		Keys:     jwtgate.HMAC(secret, "HS256"),
		Issuer:   []string{"https://issuer.test"},
		Audience: []string{"api"},
		Now:      func() time.Time { return now },
		Logger:   slog.New(slog.DiscardHandler),
		Observer: obs,
	}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := jwtgate.New(cfg)
	require.NoError(t, err)
	return a
}

// mint signs a token for sub with scope, valid at now unless edited.
func mint(t *testing.T, sub, scope string, edit ...func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{"iss": "https://issuer.test", "aud": "api", "sub": sub, "jti": sub + "-1",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
	if scope != "" {
		c["scope"] = scope
	}
	for _, e := range edit {
		e(c)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	require.NoError(t, err)
	return tok
}

func withToken(ctx context.Context, scheme, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", scheme+" "+tok)
}

// subject is the server that answers with the subject it finds in its
// context, or "-" without a token.
func subject() *protectedServer {
	who := func(ctx context.Context) string {
		if tk, ok := jwtgate.FromContext(ctx); ok {
			return tk.Subject
		}
		return "-"
	}
	return &protectedServer{
		get:  func(ctx context.Context) ([]byte, error) { return []byte(who(ctx)), nil },
		echo: func(ctx context.Context, in string) string { return who(ctx) + ":" + in },
	}
}

func interceptors(cfg grpcjwt.Config) []grpc.ServerOption {
	return []grpc.ServerOption{grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(cfg)), grpc.StreamInterceptor(grpcjwt.StreamServerInterceptor(cfg))}
}

func get(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.BytesValue)
	err := conn.Invoke(ctx, getMethod, &emptypb.Empty{}, out, opts...)
	return string(out.GetValue()), err
}

// TestStreamCheckedOnce: a stream's token is verified once, when it opens,
// and every message's handler finds it in the stream's context.
func TestStreamCheckedOnce(t *testing.T) {
	obs := &outcomes{}
	auth := newAuth(t, obs)
	conn := serve(t, subject(), interceptors(grpcjwt.Config{Authenticator: auth})...)

	ctx := withToken(t.Context(), "Bearer", mint(t, "alice", ""))
	s, err := conn.NewStream(ctx, echoDesc, echoMethod)
	require.NoError(t, err)
	for _, msg := range []string{"one", "two", "three", "four"} {
		require.NoError(t, s.SendMsg(wrapperspb.String(msg)))
		out := new(wrapperspb.StringValue)
		require.NoError(t, s.RecvMsg(out))
		assert.Equal(t, "alice:"+msg, out.GetValue())
	}
	require.NoError(t, s.CloseSend())
	assert.ErrorIs(t, s.RecvMsg(new(wrapperspb.StringValue)), io.EOF)
	reasons, _ := obs.seen()
	assert.Equal(t, []string{""}, reasons, "one authentication for the stream, accepted")

	// A refused stream: its handler never runs, the refusal is observed once.
	s, err = conn.NewStream(withToken(t.Context(), "Bearer", mint(t, "bob", "", func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), echoDesc, echoMethod)
	require.NoError(t, err)
	_ = s.SendMsg(wrapperspb.String("one"))
	err = s.RecvMsg(new(wrapperspb.StringValue))
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Equal(t, "The access token expired", status.Convert(err).Message())
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="invalid_token", error_description="The access token expired"`}, s.Trailer().Get("www-authenticate"))
	reasons, _ = obs.seen()
	assert.Equal(t, []string{"", "expired"}, reasons)
}

// TestMethodPolicy: a method's policy instead of the default, optional
// credentials, scopes, and the Observer's reasons.
func TestMethodPolicy(t *testing.T) {
	obs := &outcomes{}
	auth := newAuth(t, obs)
	conn := serve(t, subject(), interceptors(grpcjwt.Config{
		Authenticator: auth,
		Default:       grpcjwt.MethodPolicy{Scopes: []string{"echo"}},
		Methods:       map[string]grpcjwt.MethodPolicy{getMethod: {CredentialsOptional: true, Scopes: nil}},
	})...)

	// Get: optional credentials.
	who, err := get(t.Context(), conn)
	require.NoError(t, err)
	assert.Equal(t, "-", who, "no token, let through, none in the context")
	who, err = get(withToken(t.Context(), "bearer", mint(t, "carol", "")), conn)
	require.NoError(t, err)
	assert.Equal(t, "carol", who)
	var trailer metadata.MD
	_, err = get(withToken(t.Context(), "Bearer", mint(t, "carol", "")+"x"), conn, grpc.Trailer(&trailer))
	assert.Equal(t, codes.Unauthenticated, status.Code(err), "a token sent must be valid")
	assert.Equal(t, "The access token signature is invalid", status.Convert(err).Message())

	// Echo: the default, which requires the scope echo.
	echo := func(tok string) (string, metadata.MD, error) {
		s, err := conn.NewStream(withToken(t.Context(), "Bearer", tok), echoDesc, echoMethod)
		require.NoError(t, err)
		_ = s.SendMsg(wrapperspb.String("hi"))
		out := new(wrapperspb.StringValue)
		err = s.RecvMsg(out)
		return out.GetValue(), s.Trailer(), err
	}
	got, _, err := echo(mint(t, "dave", "read echo"))
	require.NoError(t, err)
	assert.Equal(t, "dave:hi", got)
	_, trailer, err = echo(mint(t, "erin", "read"))
	assert.Equal(t, codes.PermissionDenied, status.Code(err))
	assert.Equal(t, "The access token lacks a required scope", status.Convert(err).Message())
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="insufficient_scope", scope="echo"`}, trailer.Get("www-authenticate"))

	reasons, authorized := obs.seen()
	assert.Equal(t, []string{"", "", "bad_signature", "", ""}, reasons)
	assert.Equal(t, []string{"", "insufficient_scope"}, authorized)
}

// TestRefusals: two authorization values, the DPoP scheme, a store that
// cannot answer.
func TestRefusals(t *testing.T) {
	obs := &outcomes{}
	down := revoker(func() error { return io.ErrUnexpectedEOF })
	auth := newAuth(t, obs, func(c *jwtgate.Config) { c.Revoker = down })
	conn := serve(t, subject(), interceptors(grpcjwt.Config{Authenticator: auth})...)
	tok := mint(t, "frank", "")

	for _, tc := range []struct {
		name      string
		md        metadata.MD
		code      codes.Code
		desc      string
		challenge string
		reason    string
	}{
		{"two values", metadata.Pairs("authorization", "Bearer "+tok, "authorization", "Bearer "+tok), codes.InvalidArgument,
			"The access token credential is repeated", `Bearer realm="jwtgate", error="invalid_request", error_description="The access token credential is repeated"`, "repeated"},
		{"DPoP scheme", metadata.Pairs("authorization", "DPoP "+tok, "dpop", "proof"), codes.InvalidArgument,
			"DPoP is not supported here: send the access token with the Bearer scheme",
			`Bearer realm="jwtgate", error="invalid_request", error_description="DPoP is not supported here: send the access token with the Bearer scheme"`, "dpop_not_supported"},
		{"dpop scheme, lower case", metadata.Pairs("authorization", "dpop "+tok), codes.InvalidArgument,
			"DPoP is not supported here: send the access token with the Bearer scheme",
			`Bearer realm="jwtgate", error="invalid_request", error_description="DPoP is not supported here: send the access token with the Bearer scheme"`, "dpop_not_supported"},
		{"no token", nil, codes.Unauthenticated, "No access token was sent", `Bearer realm="jwtgate"`, "missing_token"},
		{"store down", metadata.Pairs("authorization", "Bearer "+tok), codes.Unavailable, "The token could not be checked; try again later", "", "store_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.md != nil {
				ctx = metadata.NewOutgoingContext(ctx, tc.md)
			}
			before, _ := obs.seen()
			var trailer metadata.MD
			_, err := get(ctx, conn, grpc.Trailer(&trailer))
			assert.Equal(t, tc.code, status.Code(err))
			assert.Equal(t, tc.desc, status.Convert(err).Message())
			if tc.challenge == "" {
				assert.Empty(t, trailer.Get("www-authenticate"))
			} else {
				assert.Equal(t, []string{tc.challenge}, trailer.Get("www-authenticate"))
			}
			after, _ := obs.seen()
			assert.Equal(t, append(before, tc.reason), after, "the core refused it, and the Observer saw it")
		})
	}
}

type revoker func() error

func (r revoker) IsRevoked(context.Context, *jwtgate.Token) (bool, error) { return false, r() }

// TestSkip: a skipped method answers without credentials and finds no
// token; the others are still guarded.
func TestSkip(t *testing.T) {
	auth := newAuth(t, nil)
	conn := serve(t, subject(), interceptors(grpcjwt.Config{
		Authenticator: auth,
		Skip: func(ctx context.Context, m string) bool {
			return m == getMethod || grpcjwt.SkipHealthAndReflection(ctx, m)
		},
	})...)
	who, err := get(withToken(t.Context(), "Bearer", "not-a-token"), conn)
	require.NoError(t, err)
	assert.Equal(t, "-", who)
	s, err := conn.NewStream(t.Context(), echoDesc, echoMethod)
	require.NoError(t, err)
	_ = s.SendMsg(wrapperspb.String("hi"))
	assert.Equal(t, codes.Unauthenticated, status.Code(s.RecvMsg(new(wrapperspb.StringValue))))

	for m, want := range map[string]bool{
		"/grpc.health.v1.Health/Check":                                   true,
		"/grpc.health.v1.Health/Watch":                                   true,
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      true,
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": true,
		"/grpc.health.v1.HealthX/Check":                                  false,
		"/shop.Orders/Get":                                               false,
	} {
		assert.Equal(t, want, grpcjwt.SkipHealthAndReflection(t.Context(), m), m)
	}
}

// TestConfigPanics: the mistakes the interceptors refuse when built.
func TestConfigPanics(t *testing.T) {
	auth := newAuth(t, nil)
	dpopOnly := newAuth(t, nil, func(c *jwtgate.Config) {
		c.DPoP = &dpop.Config{Mode: dpop.Required, Replay: dpop.NewMemoryReplayStore(c.Now)}
	})
	for name, cfg := range map[string]grpcjwt.Config{
		"nil Authenticator": {},
		"DPoP required":     {Authenticator: dpopOnly},
		"bad default scope": {Authenticator: auth, Default: grpcjwt.MethodPolicy{Scopes: []string{"a b"}}},
		"bad method scope":  {Authenticator: auth, Methods: map[string]grpcjwt.MethodPolicy{getMethod: {Scopes: []string{""}}}},
	} {
		assert.Panics(t, func() { grpcjwt.UnaryServerInterceptor(cfg) }, name)
		assert.Panics(t, func() { grpcjwt.StreamServerInterceptor(cfg) }, name)
	}
}

// TestCredentials: the client's per-RPC credentials send the token, and
// refuse to over a connection without transport security unless told.
func TestCredentials(t *testing.T) {
	auth := newAuth(t, nil)
	lis := listen(t, subject(), interceptors(grpcjwt.Config{Authenticator: auth}), nil)
	tok := mint(t, "grace", "")

	// Insecure, not allowed: the client is not even built, or the call
	// fails before anything is sent.
	_, err := grpc.NewClient("passthrough:///bufconn", dialer(lis), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(tok)}))
	assert.Error(t, err, "per-RPC credentials that need transport security on an insecure connection")
	conn, err := grpc.NewClient("passthrough:///bufconn", dialer(lis), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	_, err = get(t.Context(), conn, grpc.PerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(tok)}))
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "insecure")

	// Insecure, allowed.
	who, err := get(t.Context(), conn, grpc.PerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(tok), AllowInsecure: true}))
	require.NoError(t, err)
	assert.Equal(t, "grace", who)

	// A token that is not a b64token is never sent.
	_, err = get(t.Context(), conn, grpc.PerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken("a b"), AllowInsecure: true}))
	assert.Error(t, err)
	assert.NotEqual(t, codes.OK, status.Code(err))

	// Over TLS, with the credentials given when dialing.
	cert, pool := selfSigned(t)
	tlsLis := listen(t, subject(), interceptors(grpcjwt.Config{Authenticator: auth}), credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}))
	tlsConn, err := grpc.NewClient("passthrough:///localhost", dialer(tlsLis),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS13})),
		grpc.WithPerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(tok)}))
	require.NoError(t, err)
	defer tlsConn.Close()
	who, err = get(t.Context(), tlsConn)
	require.NoError(t, err)
	assert.Equal(t, "grace", who)
}

type bufListener interface {
	net.Listener
	DialContext(context.Context) (net.Conn, error)
}

func listen(t *testing.T, srv *protectedServer, opts []grpc.ServerOption, creds credentials.TransportCredentials) bufListener {
	t.Helper()
	lis := newBufListener()
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	s := grpc.NewServer(opts...)
	s.RegisterService(&protectedDesc, srv)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis
}

func dialer(lis bufListener) grpc.DialOption {
	return grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
}

// selfSigned is a certificate for localhost and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestDPoPAllowed: with an Authenticator that takes DPoP on HTTP, calls
// take Bearer tokens, a token bound to a key sent as Bearer is refused by
// the core, and the DPoP scheme by the interceptor.
func TestDPoPAllowed(t *testing.T) {
	obs := &outcomes{}
	auth := newAuth(t, obs, func(c *jwtgate.Config) {
		c.DPoP = &dpop.Config{Mode: dpop.Allowed, Replay: dpop.NewMemoryReplayStore(c.Now)}
	})
	conn := serve(t, subject(), interceptors(grpcjwt.Config{Authenticator: auth})...)

	who, err := get(withToken(t.Context(), "Bearer", mint(t, "hana", "")), conn)
	require.NoError(t, err)
	assert.Equal(t, "hana", who)

	bound := mint(t, "ivan", "", func(c jwt.MapClaims) {
		c["cnf"] = map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	})
	var trailer metadata.MD
	_, err = get(withToken(t.Context(), "Bearer", bound), conn, grpc.Trailer(&trailer))
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Equal(t, "The access token is bound to a key: present it with DPoP", status.Convert(err).Message())
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="invalid_token", error_description="The access token is bound to a key: present it with DPoP"`},
		trailer.Get("www-authenticate"), "the challenge names Bearer only: a call cannot carry DPoP")

	_, err = get(withToken(t.Context(), "DPoP", bound), conn, grpc.Trailer(&trailer))
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Equal(t, "DPoP is not supported here: send the access token with the Bearer scheme", status.Convert(err).Message())
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="invalid_request", error_description="DPoP is not supported here: send the access token with the Bearer scheme"`},
		trailer.Get("www-authenticate"), "the challenge names Bearer only")

	reasons, _ := obs.seen()
	assert.Equal(t, []string{"", "dpop_bound", "dpop_not_supported"}, reasons, "the DPoP scheme's refusal is the core's, observed")
}

// TestCustomHeader: an Authenticator whose extractor reads another header
// reads the metadata of that name.
func TestCustomHeader(t *testing.T) {
	auth := newAuth(t, nil, func(c *jwtgate.Config) { c.Extractor = extractors.Header("X-Api-Token", "") })
	conn := serve(t, subject(), interceptors(grpcjwt.Config{Authenticator: auth})...)
	who, err := get(metadata.AppendToOutgoingContext(t.Context(), "x-api-token", mint(t, "jane", "")), conn)
	require.NoError(t, err)
	assert.Equal(t, "jane", who)
	_, err = get(metadata.AppendToOutgoingContext(t.Context(), "x-api-token", "a", "x-api-token", "b"), conn)
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "repeated")
	_, err = get(withToken(t.Context(), "Bearer", mint(t, "jane", "")), conn)
	assert.Equal(t, codes.Unauthenticated, status.Code(err), "the Authorization metadata is not this Authenticator's source")
}
