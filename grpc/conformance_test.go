package grpcjwt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	grpcjwt "github.com/jwtgate/jwtgate/grpc"
)

// The suite's token cases through the interceptors over a real gRPC
// connection (bufconn): each case's HTTP request becomes a call with its
// Authorization field lines as authorization metadata, and the call's
// answer becomes the HTTP answer the suite checks — the status from the
// code, the challenge from the trailer, the description from the status
// message — so that every code, description and challenge is the one the
// HTTP adapters answer.

// TestConformanceUnary runs them through UnaryServerInterceptor.
func TestConformanceUnary(t *testing.T) {
	runSuite(t, false)
}

// TestConformanceStream runs them through StreamServerInterceptor, the
// protected handler called from the stream's first message.
func TestConformanceStream(t *testing.T) {
	runSuite(t, true)
}

func runSuite(t *testing.T, streaming bool) {
	var built atomic.Int32
	t.Cleanup(func() {
		assert.Equal(t, int32(jwtgatetest.TokenCaseCount()), built.Load(), "servers built: one per token case")
	})
	method := getMethod
	if streaming {
		method = echoMethod
	}
	jwtgatetest.RunTokens(t, method, func(t *testing.T, r jwtgatetest.Route) http.Handler {
		built.Add(1)
		cfg := grpcjwt.Config{
			Authenticator: r.Authenticator,
			Default:       grpcjwt.MethodPolicy{CredentialsOptional: r.Policy.CredentialsOptional, Scopes: r.Scopes},
		}
		// The protected handler runs in the call's context, as an HTTP
		// handler would in the request's.
		report := func(ctx context.Context) []byte {
			rec := httptest.NewRecorder()
			r.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, method, nil).WithContext(ctx))
			return rec.Body.Bytes()
		}
		srv := &protectedServer{
			get:  func(ctx context.Context) ([]byte, error) { return report(ctx), nil },
			echo: func(ctx context.Context, _ string) string { return string(report(ctx)) },
		}
		conn := serve(t, srv, grpc.UnaryInterceptor(grpcjwt.UnaryServerInterceptor(cfg)), grpc.StreamInterceptor(grpcjwt.StreamServerInterceptor(cfg)))
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			ctx := req.Context()
			if lines := req.Header["Authorization"]; len(lines) > 0 {
				ctx = metadata.NewOutgoingContext(ctx, metadata.MD{"authorization": lines})
			}
			var (
				body            []byte
				err             error
				header, trailer metadata.MD
			)
			if streaming {
				body, header, trailer, err = callEcho(ctx, conn)
			} else {
				out := new(wrapperspb.BytesValue)
				err = conn.Invoke(ctx, getMethod, &emptypb.Empty{}, out, grpc.Header(&header), grpc.Trailer(&trailer))
				body = out.GetValue()
			}
			answer(t, w, body, header, trailer, err)
		})
	})
}

// callEcho opens an Echo stream, sends one message and returns the answer
// to it.
func callEcho(ctx context.Context, conn *grpc.ClientConn) ([]byte, metadata.MD, metadata.MD, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := conn.NewStream(ctx, echoDesc, echoMethod)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.SendMsg(wrapperspb.String("")); err != nil {
		// The server may have refused the stream already: RecvMsg says why.
		_ = err
	}
	_ = s.CloseSend()
	out := new(wrapperspb.StringValue)
	err = s.RecvMsg(out)
	header, _ := s.Header()
	if err != nil {
		return nil, header, s.Trailer(), err
	}
	return []byte(out.GetValue()), header, nil, nil
}

// answer writes what the call answered as the suite's HTTP answer.
func answer(t *testing.T, w http.ResponseWriter, body []byte, header, trailer metadata.MD, err error) {
	if err == nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	}
	st, ok := status.FromError(err)
	require.True(t, ok, "a status error: %v", err)
	assert.Empty(t, header.Get("www-authenticate"), "the challenge is in the trailer, not the header")
	challenges := trailer.Get("www-authenticate")
	assert.LessOrEqual(t, len(challenges), 1, "www-authenticate values")
	challenge := ""
	if len(challenges) == 1 {
		challenge = challenges[0]
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(t, st.Code()))
	b, _ := json.Marshal(map[string]string{"error": errorCode(st.Code(), challenge), "error_description": st.Message()})
	_, _ = w.Write(b)
}

// httpStatus is the HTTP status whose refusal the issue maps to c.
func httpStatus(t *testing.T, c codes.Code) int {
	switch c {
	case codes.InvalidArgument:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.Internal:
		return http.StatusInternalServerError
	}
	t.Errorf("code %v answers no refusal of the core", c)
	return http.StatusTeapot
}

var errorParam = regexp.MustCompile(`error="([^"]*)"`)

// errorCode is the RFC 6750 error code a client reads from a refusal: the
// challenge's error attribute, else what the code alone says.
func errorCode(c codes.Code, challenge string) string {
	if m := errorParam.FindStringSubmatch(challenge); m != nil {
		return m[1]
	}
	switch c {
	case codes.Unauthenticated:
		return "missing_token" // a bare challenge: no token (RFC 6750 §3.1)
	case codes.Unavailable:
		return "temporarily_unavailable"
	case codes.Internal:
		return "server_error"
	}
	return "unknown"
}
