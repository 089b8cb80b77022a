package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"

	connectjwt "github.com/jwtgate/jwtgate/connect"
	jwtgate "github.com/jwtgate/jwtgate/core"
	grpcjwt "github.com/jwtgate/jwtgate/grpc"
)

// alg is one algorithm's key pair and a token signed with it, as the
// repository's HTTP benchmarks make them.
type alg struct {
	name          string
	sign, verify  any
	method        jwt.SigningMethod
	valid, forged string
	key           *jwtgate.Key
}

var algs = func() []*alg {
	secret := []byte("0123456789abcdef0123456789abcdef")
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	out := []*alg{
		{name: "HS256", sign: secret, verify: secret, method: jwt.SigningMethodHS256},
		{name: "RS256", sign: rsaKey, verify: &rsaKey.PublicKey, method: jwt.SigningMethodRS256},
	}
	for _, a := range out {
		tok, err := jwt.NewWithClaims(a.method, jwt.RegisteredClaims{
			Issuer: "https://issuer.example", Subject: "user-1", Audience: jwt.ClaimStrings{"api://svc"},
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(24 * time.Hour)), ID: "j-1",
		}).SignedString(a.sign)
		if err != nil {
			panic(err)
		}
		a.valid = tok
		// A forged token: the payload changed, the signature kept.
		a.forged = tok[:len(tok)/2] + "A" + tok[len(tok)/2+1:]
		if a.forged == tok {
			a.forged = tok[:len(tok)/2] + "B" + tok[len(tok)/2+1:]
		}
		a.key = &jwtgate.Key{Algorithm: a.name, VerifyKey: a.verify}
	}
	return out
}()

func newAuth(tb testing.TB, a *alg, cache bool) *jwtgate.Authenticator {
	size := -1
	if cache {
		size = 0
	}
	au, err := jwtgate.New(jwtgate.Config{Keys: a.key, Issuer: []string{"https://issuer.example"}, Audience: []string{"api://svc"}, CacheSize: size})
	require.NoError(tb, err)
	return au
}

// parser is golang-jwt's, with the checks jwtgate makes by default.
func parser(a *alg) (*jwt.Parser, jwt.Keyfunc) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{a.name}), jwt.WithIssuer("https://issuer.example"),
		jwt.WithAudience("api://svc"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
	return p, func(*jwt.Token) (any, error) { return a.verify, nil }
}

type claimsKey struct{}

// middlewareAuth is go-grpc-middleware's auth interceptor with the AuthFunc
// its documentation suggests, verifying with golang-jwt: the token from the
// authorization metadata's Bearer scheme, its claims put in the context.
func middlewareAuth(a *alg) grpc.UnaryServerInterceptor {
	p, keyfunc := parser(a)
	return grpcauth.UnaryServerInterceptor(func(ctx context.Context) (context.Context, error) {
		raw, err := grpcauth.AuthFromMD(ctx, "bearer")
		if err != nil {
			return nil, err
		}
		claims := &jwt.RegisteredClaims{}
		if _, err := p.ParseWithClaims(raw, claims, keyfunc); err != nil {
			return nil, status.Error(codes.Unauthenticated, "invalid token")
		}
		return context.WithValue(ctx, claimsKey{}, claims), nil
	})
}

var info = &grpc.UnaryServerInfo{FullMethod: "/bench.Service/Get"}

func handler(context.Context, any) (any, error) { return nil, nil }

// incoming is a server context with the token in its authorization
// metadata, as gRPC builds it for a handler.
func incoming(tok string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": []string{"Bearer " + tok}})
}

// BenchmarkRaw is golang-jwt's ParseWithClaims with RegisteredClaims of the
// same token: the ratios' denominator.
func BenchmarkRaw(b *testing.B) {
	for _, a := range algs {
		p, keyfunc := parser(a)
		b.Run("alg="+a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseWithClaims(a.valid, &jwt.RegisteredClaims{}, keyfunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnary is one unary call through an interceptor, called as gRPC
// calls it (the metadata in the context, a handler that does nothing):
// grpcjwt's, cache on and off, and go-grpc-middleware's auth with a
// golang-jwt AuthFunc; valid and forged tokens.
func BenchmarkUnary(b *testing.B) {
	for _, a := range algs {
		for _, tc := range []struct {
			name        string
			interceptor func(b *testing.B) grpc.UnaryServerInterceptor
		}{
			{"grpcjwt/cache=on", func(b *testing.B) grpc.UnaryServerInterceptor {
				return grpcjwt.UnaryServerInterceptor(grpcjwt.Config{Authenticator: newAuth(b, a, true)})
			}},
			{"grpcjwt/cache=off", func(b *testing.B) grpc.UnaryServerInterceptor {
				return grpcjwt.UnaryServerInterceptor(grpcjwt.Config{Authenticator: newAuth(b, a, false)})
			}},
			{"go-grpc-middleware", func(*testing.B) grpc.UnaryServerInterceptor { return middlewareAuth(a) }},
		} {
			for _, valid := range []bool{true, false} {
				tok, name := a.valid, "valid"
				if !valid {
					tok, name = a.forged, "invalid"
				}
				b.Run("mw="+tc.name+"/alg="+a.name+"/token="+name, func(b *testing.B) {
					in := tc.interceptor(b)
					ctx := incoming(tok)
					b.ReportAllocs()
					for b.Loop() {
						if _, err := in(ctx, nil, info, handler); (err == nil) != valid {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkConnect is one unary call through connectjwt's interceptor, as
// Connect calls it for a handler, cache on and off.
func BenchmarkConnect(b *testing.B) {
	for _, a := range algs {
		for _, cache := range []bool{true, false} {
			for _, valid := range []bool{true, false} {
				tok, name, cacheName := a.valid, "valid", "off"
				if !valid {
					tok, name = a.forged, "invalid"
				}
				if cache {
					cacheName = "on"
				}
				b.Run("cache="+cacheName+"/alg="+a.name+"/token="+name, func(b *testing.B) {
					next := connectjwt.NewInterceptor(connectjwt.Config{Authenticator: newAuth(b, a, cache)}).WrapUnary(
						func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) { return nil, nil })
					req := connect.NewRequest(&emptypb.Empty{})
					req.Header().Set("Authorization", "Bearer "+tok)
					ctx := context.Background()
					b.ReportAllocs()
					for b.Loop() {
						if _, err := next(ctx, req); (err == nil) != valid {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkCall is a whole unary call over an in-memory connection
// (bufconn): the client, HTTP/2, the server and the interceptor, whose
// share of a call it shows; none (no interceptor), grpcjwt cached and
// not, go-grpc-middleware's auth. HS256, valid tokens.
func BenchmarkCall(b *testing.B) {
	a := algs[0]
	for _, tc := range []struct {
		name string
		opts func(b *testing.B) []grpc.ServerOption
	}{
		{"none", func(*testing.B) []grpc.ServerOption { return nil }},
		{"grpcjwt/cache=on", func(b *testing.B) []grpc.ServerOption {
			return []grpc.ServerOption{grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(grpcjwt.Config{Authenticator: newAuth(b, a, true)}))}
		}},
		{"grpcjwt/cache=off", func(b *testing.B) []grpc.ServerOption {
			return []grpc.ServerOption{grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(grpcjwt.Config{Authenticator: newAuth(b, a, false)}))}
		}},
		{"go-grpc-middleware", func(*testing.B) []grpc.ServerOption {
			return []grpc.ServerOption{grpc.UnaryInterceptor(middlewareAuth(a))}
		}},
	} {
		b.Run("mw="+tc.name, func(b *testing.B) {
			conn := serve(b, tc.opts(b)...)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+a.valid)
			b.ReportAllocs()
			for b.Loop() {
				if err := conn.Invoke(ctx, info.FullMethod, &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// serviceDesc is bench.Service/Get, google.protobuf.Empty both ways.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: "bench.Service",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Get",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(context.Context, any) (any, error) { return &emptypb.Empty{}, nil }
			if interceptor == nil {
				return h(ctx, in)
			}
			return interceptor(ctx, in, info, h)
		},
	}},
}

func serve(tb testing.TB, opts ...grpc.ServerOption) *grpc.ClientConn {
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer(opts...)
	s.RegisterService(&serviceDesc, struct{}{})
	go func() { _ = s.Serve(lis) }()
	tb.Cleanup(s.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}

// TestSetups checks what the benchmarks measure: each interceptor lets the
// valid token through and refuses the forged one, the refusal is
// Unauthenticated, and the whole-call setups answer.
func TestSetups(t *testing.T) {
	for _, a := range algs {
		for name, in := range map[string]grpc.UnaryServerInterceptor{
			"grpcjwt":            grpcjwt.UnaryServerInterceptor(grpcjwt.Config{Authenticator: newAuth(t, a, true)}),
			"go-grpc-middleware": middlewareAuth(a),
		} {
			_, err := in(incoming(a.valid), nil, info, handler)
			assert.NoError(t, err, "%s %s valid", name, a.name)
			_, err = in(incoming(a.forged), nil, info, handler)
			assert.Equal(t, codes.Unauthenticated, status.Code(err), "%s %s forged", name, a.name)
		}
		next := connectjwt.NewInterceptor(connectjwt.Config{Authenticator: newAuth(t, a, false)}).WrapUnary(
			func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) { return nil, nil })
		req := connect.NewRequest(&emptypb.Empty{})
		req.Header().Set("Authorization", "Bearer "+a.forged)
		_, err := next(context.Background(), req)
		var cerr *connect.Error
		if assert.True(t, errors.As(err, &cerr)) {
			assert.Equal(t, connect.CodeUnauthenticated, cerr.Code())
			assert.NotEmpty(t, cerr.Meta().Get("Www-Authenticate"))
		}
	}
	conn := serve(t, grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(grpcjwt.Config{Authenticator: newAuth(t, algs[0], true)})))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+algs[0].valid)
	assert.NoError(t, conn.Invoke(ctx, info.FullMethod, &emptypb.Empty{}, &emptypb.Empty{}))
	assert.Equal(t, codes.Unauthenticated, status.Code(conn.Invoke(context.Background(), info.FullMethod, &emptypb.Empty{}, &emptypb.Empty{})))
}
