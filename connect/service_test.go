package connectjwt_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The tests' service, without generated code: jwtgatetest.Protected with a
// unary procedure Get and a bidirectional stream Echo, their messages
// protobuf's well-known types.
const (
	getProcedure  = "/jwtgatetest.Protected/Get"
	echoProcedure = "/jwtgatetest.Protected/Echo"
)

// protectedServer answers Get with get's result, and each message of an
// Echo stream with echo's.
type protectedServer struct {
	get  func(ctx context.Context) []byte
	echo func(ctx context.Context, in string) string
}

// serve starts srv's handlers, with opts, on a loopback server that speaks
// HTTP/1.1 and HTTP/2 without TLS (h2c), and returns its URL and a client
// that speaks HTTP/2 to it, for every protocol's streams.
func serve(t *testing.T, srv *protectedServer, opts ...connect.HandlerOption) (string, *http.Client) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(getProcedure, connect.NewUnaryHandler(getProcedure,
		func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[wrapperspb.BytesValue], error) {
			return connect.NewResponse(wrapperspb.Bytes(srv.get(ctx))), nil
		}, opts...))
	mux.Handle(echoProcedure, connect.NewBidiStreamHandler(echoProcedure,
		func(ctx context.Context, s *connect.BidiStream[wrapperspb.StringValue, wrapperspb.StringValue]) error {
			for {
				in, err := s.Receive()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				if err := s.Send(wrapperspb.String(srv.echo(ctx, in.GetValue()))); err != nil {
					return err
				}
			}
		}, opts...))
	s := httptest.NewUnstartedServer(mux)
	s.Config.MaxHeaderBytes = 4 << 20 // FMT-08 sends 1 MiB of token
	s.Config.Protocols = new(http.Protocols)
	s.Config.Protocols.SetHTTP1(true)
	s.Config.Protocols.SetUnencryptedHTTP2(true)
	s.Start()
	t.Cleanup(s.Close)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return s.URL, &http.Client{Transport: tr}
}

// protocols are the client options of the three protocols a Connect
// handler serves.
var protocols = map[string][]connect.ClientOption{
	"connect": nil,
	"grpc":    {connect.WithGRPC()},
	"grpcweb": {connect.WithGRPCWeb()},
}
