package connectjwt_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	connectjwt "github.com/jwtgate/jwtgate/connect"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
)

var (
	secret = []byte("connectjwt-test-secret-32-bytes!")
	now    = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
)

// outcomes records what the Observer sees.
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

// subject answers with the subject it finds in its context, or "-".
func subject() *protectedServer {
	who := func(ctx context.Context) string {
		if tk, ok := jwtgate.FromContext(ctx); ok {
			return tk.Subject
		}
		return "-"
	}
	return &protectedServer{
		get:  func(ctx context.Context) []byte { return []byte(who(ctx)) },
		echo: func(ctx context.Context, in string) string { return who(ctx) + ":" + in },
	}
}

type clients struct {
	get  *connect.Client[emptypb.Empty, wrapperspb.BytesValue]
	echo *connect.Client[wrapperspb.StringValue, wrapperspb.StringValue]
}

func start(t *testing.T, cfg connectjwt.Config, opts ...connect.ClientOption) clients {
	url, hc := serve(t, subject(), connect.WithInterceptors(connectjwt.NewInterceptor(cfg)))
	return clients{
		get:  connect.NewClient[emptypb.Empty, wrapperspb.BytesValue](hc, url+getProcedure, opts...),
		echo: connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](hc, url+echoProcedure, opts...),
	}
}

func (c clients) call(ctx context.Context, authorization ...string) (string, error) {
	req := connect.NewRequest(&emptypb.Empty{})
	if len(authorization) > 0 {
		req.Header()["Authorization"] = authorization
	}
	res, err := c.get.CallUnary(ctx, req)
	if err != nil {
		return "", err
	}
	return string(res.Msg.GetValue()), nil
}

func challenge(err error) []string {
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		return nil
	}
	return cerr.Meta().Values("Www-Authenticate")
}

func message(err error) string {
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		return ""
	}
	return cerr.Message()
}

// TestStreamCheckedOnce: a stream's token is verified once, when it opens,
// and every message's handler finds it in its context; in each protocol.
func TestStreamCheckedOnce(t *testing.T) {
	for name, opts := range protocols {
		t.Run(name, func(t *testing.T) {
			obs := &outcomes{}
			c := start(t, connectjwt.Config{Authenticator: newAuth(t, obs)}, opts...)
			s := c.echo.CallBidiStream(t.Context())
			s.RequestHeader().Set("Authorization", "Bearer "+mint(t, "alice", ""))
			for _, msg := range []string{"one", "two", "three", "four"} {
				require.NoError(t, s.Send(wrapperspb.String(msg)))
				out, err := s.Receive()
				require.NoError(t, err)
				assert.Equal(t, "alice:"+msg, out.GetValue())
			}
			require.NoError(t, s.CloseRequest())
			_, err := s.Receive()
			assert.ErrorIs(t, err, io.EOF)
			require.NoError(t, s.CloseResponse())
			reasons, _ := obs.seen()
			assert.Equal(t, []string{""}, reasons, "one authentication for the stream, accepted")

			// A refused stream: its handler never runs.
			s = c.echo.CallBidiStream(t.Context())
			s.RequestHeader().Set("Authorization", "Bearer "+mint(t, "bob", "", func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }))
			_ = s.Send(wrapperspb.String("one"))
			_ = s.CloseRequest()
			_, err = s.Receive()
			_ = s.CloseResponse()
			assert.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
			assert.Equal(t, "The access token expired", message(err))
			assert.Equal(t, []string{`Bearer realm="jwtgate", error="invalid_token", error_description="The access token expired"`}, challenge(err))
			reasons, _ = obs.seen()
			assert.Equal(t, []string{"", "expired"}, reasons)
		})
	}
}

// TestProcedurePolicy: a procedure's policy instead of the default,
// optional credentials, scopes, and the Observer's reasons.
func TestProcedurePolicy(t *testing.T) {
	obs := &outcomes{}
	c := start(t, connectjwt.Config{
		Authenticator: newAuth(t, obs),
		Default:       connectjwt.ProcedurePolicy{Scopes: []string{"echo"}},
		Procedures:    map[string]connectjwt.ProcedurePolicy{getProcedure: {CredentialsOptional: true}},
	})
	who, err := c.call(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "-", who, "no token, let through, none in the context")
	who, err = c.call(t.Context(), "bearer "+mint(t, "carol", ""))
	require.NoError(t, err)
	assert.Equal(t, "carol", who)
	_, err = c.call(t.Context(), "Bearer "+mint(t, "carol", "")+"x")
	assert.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err), "a token sent must be valid")
	assert.Equal(t, "The access token signature is invalid", message(err))

	echo := func(tok string) (string, error) {
		s := c.echo.CallBidiStream(t.Context())
		s.RequestHeader().Set("Authorization", "Bearer "+tok)
		_ = s.Send(wrapperspb.String("hi"))
		_ = s.CloseRequest()
		defer s.CloseResponse()
		out, err := s.Receive()
		return out.GetValue(), err
	}
	got, err := echo(mint(t, "dave", "read echo"))
	require.NoError(t, err)
	assert.Equal(t, "dave:hi", got)
	_, err = echo(mint(t, "erin", "read"))
	assert.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err))
	assert.Equal(t, "The access token lacks a required scope", message(err))
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="insufficient_scope", scope="echo"`}, challenge(err))

	reasons, authorized := obs.seen()
	assert.Equal(t, []string{"", "", "bad_signature", "", ""}, reasons)
	assert.Equal(t, []string{"", "insufficient_scope"}, authorized)
}

type revoker func() error

func (r revoker) IsRevoked(context.Context, *jwtgate.Token) (bool, error) { return false, r() }

// TestRefusals: two Authorization lines, the DPoP scheme, no token, a store
// that cannot answer; in each protocol.
func TestRefusals(t *testing.T) {
	tok := mint(t, "frank", "")
	dpop := "DPoP is not supported here: send the access token with the Bearer scheme"
	for name, opts := range protocols {
		t.Run(name, func(t *testing.T) {
			obs := &outcomes{}
			down := revoker(func() error { return io.ErrUnexpectedEOF })
			c := start(t, connectjwt.Config{Authenticator: newAuth(t, obs, func(c *jwtgate.Config) { c.Revoker = down })}, opts...)
			for _, tc := range []struct {
				name      string
				lines     []string
				code      connect.Code
				desc      string
				challenge string
				reason    string
			}{
				{"two lines", []string{"Bearer " + tok, "Bearer " + tok}, connect.CodeInvalidArgument, "The access token credential is repeated",
					`Bearer realm="jwtgate", error="invalid_request", error_description="The access token credential is repeated"`, "repeated"},
				{"DPoP scheme", []string{"DPoP " + tok}, connect.CodeInvalidArgument, dpop,
					`Bearer realm="jwtgate", error="invalid_request", error_description="` + dpop + `"`, "dpop_not_supported"},
				{"no token", nil, connect.CodeUnauthenticated, "No access token was sent", `Bearer realm="jwtgate"`, "missing_token"},
				{"store down", []string{"Bearer " + tok}, connect.CodeUnavailable, "The token could not be checked; try again later", "", "store_unavailable"},
			} {
				before, _ := obs.seen()
				_, err := c.call(t.Context(), tc.lines...)
				assert.Equal(t, tc.code, connect.CodeOf(err), tc.name)
				assert.Equal(t, tc.desc, message(err), tc.name)
				if tc.challenge == "" {
					assert.Empty(t, challenge(err), tc.name)
				} else {
					assert.Equal(t, []string{tc.challenge}, challenge(err), tc.name)
				}
				after, _ := obs.seen()
				assert.Equal(t, append(before, tc.reason), after, "%s: the core refused it, and the Observer saw it", tc.name)
			}
		})
	}
}

// TestConnectStatus: over the Connect protocol, a refusal is the HTTP
// status the HTTP adapters answer, with the challenge in its header.
func TestConnectStatus(t *testing.T) {
	url, hc := serve(t, subject(), connect.WithInterceptors(connectjwt.NewInterceptor(connectjwt.Config{Authenticator: newAuth(t, nil)})))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+getProcedure, strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+mint(t, "gina", "")+"x")
	res, err := hc.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, `Bearer realm="jwtgate", error="invalid_token", error_description="The access token signature is invalid"`, res.Header.Get("WWW-Authenticate"))
}

// TestSkip: a skipped procedure answers without credentials and finds no
// token; the others are still guarded.
func TestSkip(t *testing.T) {
	c := start(t, connectjwt.Config{
		Authenticator: newAuth(t, nil),
		Skip: func(ctx context.Context, p string) bool {
			return p == getProcedure || connectjwt.SkipHealthAndReflection(ctx, p)
		},
	})
	who, err := c.call(t.Context(), "Bearer not-a-token")
	require.NoError(t, err)
	assert.Equal(t, "-", who)
	s := c.echo.CallBidiStream(t.Context())
	_ = s.Send(wrapperspb.String("hi"))
	_ = s.CloseRequest()
	_, err = s.Receive()
	_ = s.CloseResponse()
	assert.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))

	for p, want := range map[string]bool{
		"/grpc.health.v1.Health/Check":                                   true,
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      true,
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": true,
		"/grpc.health.v1.HealthX/Check":                                  false,
		"/shop.Orders/Get":                                               false,
	} {
		assert.Equal(t, want, connectjwt.SkipHealthAndReflection(t.Context(), p), p)
	}
}

// TestConfigPanics: the mistakes NewInterceptor refuses.
func TestConfigPanics(t *testing.T) {
	auth := newAuth(t, nil)
	dpopOnly := newAuth(t, nil, func(c *jwtgate.Config) {
		c.DPoP = &dpop.Config{Mode: dpop.Required, Replay: dpop.NewMemoryReplayStore(c.Now)}
	})
	for name, cfg := range map[string]connectjwt.Config{
		"nil Authenticator":   {},
		"DPoP required":       {Authenticator: dpopOnly},
		"bad default scope":   {Authenticator: auth, Default: connectjwt.ProcedurePolicy{Scopes: []string{"a b"}}},
		"bad procedure scope": {Authenticator: auth, Procedures: map[string]connectjwt.ProcedurePolicy{getProcedure: {Scopes: []string{""}}}},
	} {
		assert.Panics(t, func() { connectjwt.NewInterceptor(cfg) }, name)
	}
}

// TestDPoPAllowed: with an Authenticator that takes DPoP on HTTP, calls
// take Bearer tokens, a token bound to a key sent as Bearer is refused by
// the core, the DPoP scheme by the interceptor, and the challenges name
// Bearer only.
func TestDPoPAllowed(t *testing.T) {
	obs := &outcomes{}
	c := start(t, connectjwt.Config{Authenticator: newAuth(t, obs, func(c *jwtgate.Config) {
		c.DPoP = &dpop.Config{Mode: dpop.Allowed, Replay: dpop.NewMemoryReplayStore(c.Now)}
	})})
	who, err := c.call(t.Context(), "Bearer "+mint(t, "hana", ""))
	require.NoError(t, err)
	assert.Equal(t, "hana", who)

	bound := mint(t, "ivan", "", func(c jwt.MapClaims) {
		c["cnf"] = map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	})
	_, err = c.call(t.Context(), "Bearer "+bound)
	assert.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="invalid_token", error_description="The access token is bound to a key: present it with DPoP"`}, challenge(err))
	_, err = c.call(t.Context(), "DPoP "+bound)
	assert.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	assert.Equal(t, []string{`Bearer realm="jwtgate", error="invalid_request", error_description="DPoP is not supported here: send the access token with the Bearer scheme"`}, challenge(err))

	reasons, _ := obs.seen()
	assert.Equal(t, []string{"", "dpop_bound", "dpop_not_supported"}, reasons, "the DPoP scheme's refusal is the core's, observed")
}

// TestClientSide: on a client the interceptor does nothing; the server's
// own interceptor still decides.
func TestClientSide(t *testing.T) {
	url, hc := serve(t, subject(), connect.WithInterceptors(connectjwt.NewInterceptor(connectjwt.Config{Authenticator: newAuth(t, nil)})))
	// An Authenticator that would refuse every token of the test's issuer:
	// the calls pass only if the client's interceptor checks nothing.
	other := newAuth(t, nil, func(c *jwtgate.Config) { c.Issuer = []string{"https://another-issuer.test"} })
	onClient := connect.WithInterceptors(connectjwt.NewInterceptor(connectjwt.Config{Authenticator: other}))
	get := connect.NewClient[emptypb.Empty, wrapperspb.BytesValue](hc, url+getProcedure, onClient)
	req := connect.NewRequest(&emptypb.Empty{})
	req.Header().Set("Authorization", "Bearer "+mint(t, "kim", ""))
	res, err := get.CallUnary(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "kim", string(res.Msg.GetValue()))
	_, err = get.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{}))
	assert.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err), "refused by the server, not the client")

	echo := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](hc, url+echoProcedure, onClient)
	s := echo.CallBidiStream(t.Context())
	s.RequestHeader().Set("Authorization", "Bearer "+mint(t, "kim", ""))
	require.NoError(t, s.Send(wrapperspb.String("hi")))
	out, err := s.Receive()
	require.NoError(t, err)
	assert.Equal(t, "kim:hi", out.GetValue())
	require.NoError(t, s.CloseRequest())
	require.NoError(t, s.CloseResponse())
}
