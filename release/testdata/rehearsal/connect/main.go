// The Connect interceptor, from go get github.com/jwtgate/jwtgate/connect@latest,
// guarding a unary handler: one call with the token in TOKEN, one without;
// it prints each call's code, and the subject the handler saw.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	connectjwt "github.com/jwtgate/jwtgate/connect"
	jwtgate "github.com/jwtgate/jwtgate/core"
)

const procedure = "/rehearsal.v1.Greeter/Hello"

func main() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte(os.Getenv("JWT_SECRET")), "HS256"),
		Issuer:   []string{"rehearsal"},
		Audience: []string{"rehearsal-api"},
	})
	if err != nil {
		log.Fatal(err)
	}
	guard := connectjwt.NewInterceptor(connectjwt.Config{Authenticator: auth})
	mux := http.NewServeMux()
	mux.Handle(procedure, connect.NewUnaryHandler(procedure,
		func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[wrapperspb.StringValue], error) {
			t, _ := jwtgate.FromContext(ctx)
			return connect.NewResponse(wrapperspb.String(t.Subject)), nil
		}, connect.WithInterceptors(guard)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](srv.Client(), srv.URL+procedure)
	call := func(token string) string {
		req := connect.NewRequest(&emptypb.Empty{})
		if token != "" {
			req.Header().Set("Authorization", "Bearer "+token)
		}
		res, err := client.CallUnary(context.Background(), req)
		if err != nil {
			return connect.CodeOf(err).String()
		}
		return "ok " + res.Msg.GetValue()
	}
	fmt.Println(call(os.Getenv("TOKEN")), call(""))
}
