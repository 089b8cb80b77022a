package connectjwt_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	connectjwt "github.com/jwtgate/jwtgate/connect"
	jwtgate "github.com/jwtgate/jwtgate/core"
)

// A Connect handler guarded by the interceptor, called in the Connect
// protocol with a token and without one.
func Example() {
	secret := []byte("an-example-secret-of-32-bytes!!!")
	auth, err := jwtgate.New(jwtgate.Config{
		Keys: jwtgate.HMAC(secret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"orders"},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	guard := connectjwt.NewInterceptor(connectjwt.Config{
		Authenticator: auth,
		Procedures:    map[string]connectjwt.ProcedurePolicy{"/shop.v1.Orders/List": {Scopes: []string{"orders:read"}}},
	})
	mux := http.NewServeMux()
	mux.Handle("/shop.v1.Orders/List", connect.NewUnaryHandler("/shop.v1.Orders/List",
		func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[wrapperspb.StringValue], error) {
			t, _ := jwtgate.FromContext(ctx) // the verified token
			return connect.NewResponse(wrapperspb.String("orders of " + t.Subject)), nil
		}, connect.WithInterceptors(guard)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://issuer.example", "aud": "orders", "sub": "carol", "scope": "orders:read",
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](srv.Client(), srv.URL+"/shop.v1.Orders/List")
	req := connect.NewRequest(&emptypb.Empty{})
	req.Header().Set("Authorization", "Bearer "+tok)
	res, err := client.CallUnary(context.Background(), req)
	fmt.Println(res.Msg.GetValue(), err)

	_, err = client.CallUnary(context.Background(), connect.NewRequest(&emptypb.Empty{}))
	var cerr *connect.Error
	if errors.As(err, &cerr) {
		fmt.Println(cerr.Code(), cerr.Message())
		fmt.Println(cerr.Meta().Get("Www-Authenticate"))
	}
	// Output:
	// orders of carol <nil>
	// unauthenticated No access token was sent
	// Bearer realm="jwtgate"
}

// The code of each answer the core gives a refusal.
func ExampleCode() {
	for _, s := range []int{400, 401, 403, 503, 500} {
		fmt.Println(s, connectjwt.Code(s))
	}
	// Output:
	// 400 invalid_argument
	// 401 unauthenticated
	// 403 permission_denied
	// 503 unavailable
	// 500 internal
}
