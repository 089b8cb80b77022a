package connectjwt_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	connectjwt "github.com/jwtgate/jwtgate/connect"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
)

// The suite's token cases through the interceptor over a real connection
// (a loopback server), in each of the three protocols a Connect handler
// serves: each case's HTTP request becomes a call with its Authorization
// field lines, and the call's answer becomes the HTTP answer the suite
// checks — the status from the code, the challenge from the error's
// metadata, the description from its message.

// TestConformanceUnary runs them through a unary handler.
func TestConformanceUnary(t *testing.T) {
	for name, opts := range protocols {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runSuite(t, false, opts)
		})
	}
}

// TestConformanceStream runs them through a bidirectional stream's
// handler, the protected handler called for the stream's first message.
func TestConformanceStream(t *testing.T) {
	for name, opts := range protocols {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runSuite(t, true, opts)
		})
	}
}

func runSuite(t *testing.T, streaming bool, opts []connect.ClientOption) {
	var built atomic.Int32
	t.Cleanup(func() {
		assert.Equal(t, int32(jwtgatetest.TokenCaseCount()), built.Load(), "servers built: one per token case")
	})
	procedure := getProcedure
	if streaming {
		procedure = echoProcedure
	}
	jwtgatetest.RunTokens(t, procedure, func(t *testing.T, r jwtgatetest.Route) http.Handler {
		built.Add(1)
		i := connectjwt.NewInterceptor(connectjwt.Config{
			Authenticator: r.Authenticator,
			Default:       connectjwt.ProcedurePolicy{CredentialsOptional: r.Policy.CredentialsOptional, Scopes: r.Scopes},
		})
		// The protected handler runs in the call's context, as an HTTP
		// handler would in the request's.
		report := func(ctx context.Context) []byte {
			rec := httptest.NewRecorder()
			r.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, procedure, nil).WithContext(ctx))
			return rec.Body.Bytes()
		}
		url, hc := serve(t, &protectedServer{
			get:  report,
			echo: func(ctx context.Context, _ string) string { return string(report(ctx)) },
		}, connect.WithInterceptors(i))
		get := connect.NewClient[emptypb.Empty, wrapperspb.BytesValue](hc, url+getProcedure, opts...)
		echo := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](hc, url+echoProcedure, opts...)
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			lines := req.Header["Authorization"]
			var (
				body []byte
				err  error
			)
			if streaming {
				s := echo.CallBidiStream(req.Context())
				if len(lines) > 0 {
					s.RequestHeader()["Authorization"] = lines
				}
				if serr := s.Send(wrapperspb.String("")); serr != nil && !errors.Is(serr, io.EOF) {
					t.Errorf("Send: %v", serr)
				}
				_ = s.CloseRequest()
				var out *wrapperspb.StringValue
				out, err = s.Receive()
				_ = s.CloseResponse()
				body = []byte(out.GetValue())
			} else {
				creq := connect.NewRequest(&emptypb.Empty{})
				if len(lines) > 0 {
					creq.Header()["Authorization"] = lines
				}
				var res *connect.Response[wrapperspb.BytesValue]
				res, err = get.CallUnary(req.Context(), creq)
				if err == nil {
					body = res.Msg.GetValue()
				}
			}
			answer(t, w, body, err)
		})
	})
}

// answer writes what the call answered as the suite's HTTP answer.
func answer(t *testing.T, w http.ResponseWriter, body []byte, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err == nil {
		_, _ = w.Write(body)
		return
	}
	var cerr *connect.Error
	require.True(t, errors.As(err, &cerr), "a *connect.Error: %v", err)
	challenges := cerr.Meta().Values("Www-Authenticate")
	assert.LessOrEqual(t, len(challenges), 1, "WWW-Authenticate values")
	challenge := ""
	if len(challenges) == 1 {
		challenge = challenges[0]
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.WriteHeader(httpStatus(t, cerr.Code()))
	b, _ := json.Marshal(map[string]string{"error": errorCode(cerr.Code(), challenge), "error_description": cerr.Message()})
	_, _ = w.Write(b)
}

// httpStatus is the HTTP status whose refusal the issue maps to c.
func httpStatus(t *testing.T, c connect.Code) int {
	switch c {
	case connect.CodeInvalidArgument:
		return http.StatusBadRequest
	case connect.CodeUnauthenticated:
		return http.StatusUnauthorized
	case connect.CodePermissionDenied:
		return http.StatusForbidden
	case connect.CodeUnavailable:
		return http.StatusServiceUnavailable
	case connect.CodeInternal:
		return http.StatusInternalServerError
	}
	t.Errorf("code %v answers no refusal of the core", c)
	return http.StatusTeapot
}

var errorParam = regexp.MustCompile(`error="([^"]*)"`)

// errorCode is the RFC 6750 error code a client reads from a refusal: the
// challenge's error attribute, else what the code alone says.
func errorCode(c connect.Code, challenge string) string {
	if m := errorParam.FindStringSubmatch(challenge); m != nil {
		return m[1]
	}
	switch c {
	case connect.CodeUnauthenticated:
		return "missing_token" // a bare challenge: no token (RFC 6750 §3.1)
	case connect.CodeUnavailable:
		return "temporarily_unavailable"
	case connect.CodeInternal:
		return "server_error"
	}
	return "unknown"
}
