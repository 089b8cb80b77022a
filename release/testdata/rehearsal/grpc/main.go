// The gRPC interceptors, from go get github.com/jwtgate/jwtgate/grpc@latest,
// guarding the standard health service on a loopback listener: one call with
// the token in TOKEN (per-RPC credentials), one without; it prints each
// call's code.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	jwtgate "github.com/jwtgate/jwtgate/core"
	grpcjwt "github.com/jwtgate/jwtgate/grpc"
)

func main() {
	auth, err := jwtgate.New(jwtgate.Config{
		Keys:     jwtgate.HMAC([]byte(os.Getenv("JWT_SECRET")), "HS256"),
		Issuer:   []string{"rehearsal"},
		Audience: []string{"rehearsal-api"},
	})
	if err != nil {
		log.Fatal(err)
	}
	cfg := grpcjwt.Config{Authenticator: auth}
	srv := grpc.NewServer(grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(cfg)))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	call := func(opts ...grpc.DialOption) string {
		conn, err := grpc.NewClient(lis.Addr().String(), append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close()
		_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		return status.Code(err).String()
	}
	// On loopback the token may go without transport security.
	withToken := grpc.WithPerRPCCredentials(grpcjwt.Credentials{Token: grpcjwt.StaticToken(os.Getenv("TOKEN")), AllowInsecure: true})
	fmt.Println(call(withToken), call())
}
