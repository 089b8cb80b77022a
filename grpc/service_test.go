package grpcjwt_test

import (
	"context"
	"google.golang.org/grpc/test/bufconn"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The tests' service, without generated code: jwtgatetest.Protected with a
// unary method Get and a bidirectional stream Echo, their messages
// protobuf's well-known types.
const (
	getMethod  = "/jwtgatetest.Protected/Get"
	echoMethod = "/jwtgatetest.Protected/Echo"
)

// protectedServer answers Get with get's result, and each message of an
// Echo stream with echo's.
type protectedServer struct {
	get  func(ctx context.Context) ([]byte, error)
	echo func(ctx context.Context, in string) string
}

var protectedDesc = grpc.ServiceDesc{
	ServiceName: "jwtgatetest.Protected",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Get",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, _ any) (any, error) {
				b, err := srv.(*protectedServer).get(ctx)
				if err != nil {
					return nil, err
				}
				return wrapperspb.Bytes(b), nil
			}
			if interceptor == nil {
				return h(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: getMethod}, h)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Echo",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			for {
				in := new(wrapperspb.StringValue)
				if err := stream.RecvMsg(in); err != nil {
					return nil // io.EOF: the client is done
				}
				out := srv.(*protectedServer).echo(stream.Context(), in.GetValue())
				if err := stream.SendMsg(wrapperspb.String(out)); err != nil {
					return err
				}
			}
		},
	}},
}

var echoDesc = &grpc.StreamDesc{StreamName: "Echo", ServerStreams: true, ClientStreams: true}

// serve starts srv on an in-memory listener with opts and returns a client
// connection to it, without transport security.
func serve(t *testing.T, srv *protectedServer, opts ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	lis := listen(t, srv, opts, nil)
	conn, err := grpc.NewClient("passthrough:///bufconn", dialer(lis), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func newBufListener() bufListener { return bufconn.Listen(1 << 20) }
