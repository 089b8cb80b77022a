package grpcjwt_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	jwtgate "github.com/jwtgate/jwtgate/core"
	grpcjwt "github.com/jwtgate/jwtgate/grpc"
)

// A server guarded by the interceptors, and a client that calls it with
// per-RPC credentials.
func Example() {
	secret := []byte("an-example-secret-of-32-bytes!!!")
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"orders"},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	cfg := grpcjwt.Config{
		Authenticator: auth,
		Methods:       map[string]grpcjwt.MethodPolicy{getMethod: {Scopes: []string{"orders:read"}}},
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(cfg)), grpc.StreamInterceptor(grpcjwt.StreamServerInterceptor(cfg)))
	srv.RegisterService(&protectedDesc, &protectedServer{get: func(ctx context.Context) ([]byte, error) {
		t, _ := jwtgate.FromContext(ctx) // the verified token
		return []byte("orders of " + t.Subject), nil
	}})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://issuer.example", "aud": "orders", "sub": "carol", "scope": "orders:read",
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// In memory: the token may go without transport security.
		grpc.WithPerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(tok), AllowInsecure: true}))
	if err != nil {
		panic(err)
	}
	defer conn.Close()

	out := new(wrapperspb.BytesValue)
	err = conn.Invoke(context.Background(), getMethod, &emptypb.Empty{}, out)
	fmt.Println(string(out.GetValue()), err)

	// Without the credentials: refused, the challenge in the trailer.
	var trailer metadata.MD
	bare, _ := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer bare.Close()
	err = bare.Invoke(context.Background(), getMethod, &emptypb.Empty{}, out, grpc.Trailer(&trailer))
	fmt.Println(status.Code(err), status.Convert(err).Message())
	fmt.Println(trailer.Get("www-authenticate"))
	// Output:
	// orders of carol <nil>
	// Unauthenticated No access token was sent
	// [Bearer realm="jwtgate"]
}

// The code of each answer the core gives a refusal.
func ExampleCode() {
	for _, s := range []int{400, 401, 403, 503, 500} {
		fmt.Println(s, grpcjwt.Code(s))
	}
	// Output:
	// 400 InvalidArgument
	// 401 Unauthenticated
	// 403 PermissionDenied
	// 503 Unavailable
	// 500 Internal
}
