package issuing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/jwtgate/jwtgate/extractors"
)

// mount serves e's three endpoints over net/http with issuing.FromHTTP, as
// the reference the adapters' wrappers are held to.
func mount(e *issuing.Endpoints) http.Handler {
	if err := e.Validate(); err != nil {
		panic("test: " + err.Error())
	}
	mux := http.NewServeMux()
	for path, handle := range map[string]func(context.Context, issuing.Request) issuing.Response{
		"/login": e.HandleLogin, "/refresh": e.HandleRefresh, "/logout": e.HandleLogout,
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			handle(r.Context(), issuing.FromHTTP(r)).Write(w)
		})
	}
	return mux
}

// TestEndpointsSuite runs the wrappers' suite against the Endpoints
// themselves, served over net/http.
func TestEndpointsSuite(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, jwtgatetest.EndpointsCaseCount(), 80, "endpoint cases")
	jwtgatetest.RunEndpoints(t, func(_ *testing.T, e *issuing.Endpoints) http.Handler { return mount(e) })
}

// endpointsWorld is a cookie-mode world with Endpoints whose credentials
// check is check.
func endpointsWorld(t *testing.T, check func(context.Context, issuing.LoginRequest) (issuing.Grant, error)) (*world, *issuing.Endpoints, *bytes.Buffer) {
	t.Helper()
	w := cookieWorld(t, &jwtgate.Cookies{CSRFKey: csrfKey})
	logs := &bytes.Buffer{}
	e := &issuing.Endpoints{
		Issuer: w.issuer, Authenticator: w.auth, CheckCredentials: check,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}
	require.NoError(t, e.Validate())
	return w, e, logs
}

func alice(_ context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
	if l.Username == "alice" && l.Password == "pw" {
		return issuing.Grant{Subject: "alice", Scope: "read"}, nil
	}
	return issuing.Grant{}, issuing.ErrBadCredentials
}

func jsonRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestEndpointsValidate(t *testing.T) {
	t.Parallel()
	var nilEndpoints *issuing.Endpoints
	assert.EqualError(t, nilEndpoints.Validate(), "jwtgate: endpoints: *Endpoints is nil")
	err := (&issuing.Endpoints{MaxBody: -1}).Validate()
	require.Error(t, err)
	for _, msg := range []string{"Issuer is required", "Authenticator is required", "CheckCredentials is required", "MaxBody may not be negative"} {
		assert.Contains(t, err.Error(), msg, "every mistake is reported at once")
	}

	// A Handle method of an invalid Endpoints answers 500 and logs, rather
	// than dereferencing nil.
	logs := &bytes.Buffer{}
	bad := &issuing.Endpoints{Logger: slog.New(slog.NewTextHandler(logs, nil))}
	for name, handle := range map[string]func(context.Context, issuing.Request) issuing.Response{
		"login": bad.HandleLogin, "refresh": bad.HandleRefresh, "logout": bad.HandleLogout,
	} {
		resp := handle(context.Background(), issuing.FromHTTP(jsonRequest("POST", "/", "{}")))
		assert.Equal(t, 500, resp.Status, name)
		assert.JSONEq(t, `{"error":"server_error","error_description":"Internal error"}`, string(resp.Body), name)
	}
	assert.Contains(t, logs.String(), "Issuer is required")
	resp := nilEndpoints.HandleLogin(context.Background(), issuing.FromHTTP(jsonRequest("POST", "/", "{}")))
	assert.Equal(t, 500, resp.Status, "a nil *Endpoints answers too")
}

// TestLoginRequest: CheckCredentials gets the fields, and the whole body in
// Raw for the application's own members.
func TestLoginRequest(t *testing.T) {
	t.Parallel()
	var got issuing.LoginRequest
	_, e, _ := endpointsWorld(t, func(ctx context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
		got = l
		var extra struct {
			OTP string `json:"otp"`
		}
		if err := json.Unmarshal(l.Raw, &extra); err != nil || extra.OTP != "123456" {
			return issuing.Grant{}, fmt.Errorf("second factor: %w", issuing.ErrBadCredentials)
		}
		return alice(ctx, l)
	})
	body := `{"username":"alice","password":"pw","otp":"123456"}`
	resp := e.HandleLogin(context.Background(), issuing.FromHTTP(jsonRequest("POST", "/login", body)))
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "alice", got.Username)
	assert.Equal(t, "pw", got.Password)
	assert.JSONEq(t, body, string(got.Raw))

	resp = e.HandleLogin(context.Background(), issuing.FromHTTP(jsonRequest("POST", "/login", `{"username":"alice","password":"pw","otp":"000000"}`)))
	assert.Equal(t, 401, resp.Status, "an error wrapping ErrBadCredentials")
	assert.Equal(t, `Bearer realm="jwtgate"`, resp.Header.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"error":"invalid_credentials","error_description":"Wrong username or password"}`, string(resp.Body))

	// Escapes are decoded as JSON says.
	resp = e.HandleLogin(context.Background(), issuing.FromHTTP(jsonRequest("POST", "/login", `{"username":"\u0061lice","password":"p\u0077","otp":"123456"}`)))
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "alice", got.Username)
}

// TestLoginAnswers checks the bodies and cookies of a login as the
// contract states them, without the suite's placeholders.
func TestLoginAnswers(t *testing.T) {
	t.Parallel()
	w, e, _ := endpointsWorld(t, alice)
	ctx := context.Background()

	resp := e.HandleLogin(ctx, issuing.FromHTTP(jsonRequest("POST", "/login", `{"username":"alice","password":"pw"}`)))
	require.Equal(t, 200, resp.Status)
	var pair issuing.Pair
	require.NoError(t, json.Unmarshal(resp.Body, &pair))
	assert.Equal(t, "Bearer", pair.TokenType)
	assert.Equal(t, int64(900), pair.ExpiresIn)
	tok, err := w.access(t, pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "alice", tok.Subject)
	assert.Empty(t, resp.Cookies)

	resp = e.HandleLogin(ctx, issuing.FromHTTP(jsonRequest("POST", "/login?mode=cookie", `{"username":"alice","password":"pw"}`)))
	require.Equal(t, 200, resp.Status)
	var body map[string]any
	require.NoError(t, json.Unmarshal(resp.Body, &body))
	require.Len(t, resp.Cookies, 3)
	access, err := w.access(t, resp.Cookies[0].Value)
	require.NoError(t, err)
	c := &jwtgate.Cookies{CSRFKey: csrfKey}
	assert.Equal(t, map[string]any{"csrf_token": c.CSRFToken(access.SessionID), "expires_in": float64(900)}, body, "no token in the body")
	assert.Equal(t, c.CSRFToken(access.SessionID), resp.Cookies[2].Value)
}

// TestRefreshCookieKeepsCSRFToken: a cookie refresh answers the same CSRF
// token, and spends the cookie: presenting it again revokes the family.
func TestRefreshCookieKeepsCSRFToken(t *testing.T) {
	t.Parallel()
	w, e, _ := endpointsWorld(t, alice)
	ctx := context.Background()
	p, err := w.issuer.Login(ctx, issuing.Grant{Subject: "alice"})
	require.NoError(t, err)
	c := &jwtgate.Cookies{CSRFKey: csrfKey}
	refresh := func() issuing.Response {
		r := httptest.NewRequest("POST", "https://api.example/refresh", nil)
		r.Header.Set("Cookie", "refresh_token="+p.RefreshToken)
		r.Header.Set("X-CSRF-Token", c.CSRFToken(p.Family))
		return e.HandleRefresh(ctx, issuing.FromHTTP(r))
	}
	resp := refresh()
	require.Equal(t, 200, resp.Status)
	assert.JSONEq(t, `{"csrf_token":"`+c.CSRFToken(p.Family)+`","expires_in":900}`, string(resp.Body))
	next, err := w.access(t, resp.Cookies[0].Value)
	require.NoError(t, err)
	assert.Equal(t, p.Family, next.SessionID)

	resp = refresh()
	assert.Equal(t, 401, resp.Status, "the spent cookie again")
	_, err = w.access(t, next.Raw)
	assert.ErrorIs(t, err, jwtgate.ErrTokenRevoked, "reuse revoked the family")
}

// errReader fails as a broken connection does.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestBodyLimits: a body the application's own http.MaxBytesReader cuts
// short is 413 as one over MaxBody is; one that cannot be read is 400.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	_, e, _ := endpointsWorld(t, alice)
	ctx := context.Background()
	body := `{"username":"alice","password":"pw"}`

	r := jsonRequest("POST", "/login", body)
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 10)
	resp := e.HandleLogin(ctx, issuing.FromHTTP(r))
	assert.Equal(t, 413, resp.Status)
	assert.JSONEq(t, `{"error":"invalid_request","error_description":"The request body is too large"}`, string(resp.Body))

	r = jsonRequest("POST", "/login", "")
	r.Body = io.NopCloser(errReader{})
	resp = e.HandleLogin(ctx, issuing.FromHTTP(r))
	assert.Equal(t, 400, resp.Status)
	assert.JSONEq(t, `{"error":"invalid_request","error_description":"The request body could not be read"}`, string(resp.Body))

	r = jsonRequest("POST", "/login", "")
	r.Body = nil
	resp = e.HandleLogin(ctx, issuing.FromHTTP(r))
	assert.Equal(t, 400, resp.Status, "a nil Body is an empty one")

	e.MaxBody = int64(len(body))
	resp = e.HandleLogin(ctx, issuing.FromHTTP(jsonRequest("POST", "/login", body)))
	assert.Equal(t, 200, resp.Status, "a body of MaxBody bytes")
	resp = e.HandleLogin(ctx, issuing.FromHTTP(jsonRequest("POST", "/login", body+" ")))
	assert.Equal(t, 413, resp.Status, "one byte more")
}

// TestContentType: the media type alone decides, in ASCII case only.
func TestContentType(t *testing.T) {
	t.Parallel()
	_, e, _ := endpointsWorld(t, alice)
	for _, tc := range []struct {
		types []string
		ok    bool
	}{
		{[]string{"application/json"}, true},
		{[]string{"APPLICATION/JSON"}, true},
		{[]string{"application/json;charset=utf-8"}, true},
		{[]string{" application/json ; charset=UTF-8"}, true},
		{[]string{"	application/json	"}, true},
		{[]string{"application/json, text/plain"}, false},
		{[]string{"application/json", "application/json"}, false},
		{[]string{"application/jsonp"}, false},
		{[]string{"application/ld+json"}, false},
		{[]string{"application/jſon"}, false}, // ſ folds to s in Unicode, not in ASCII
		{[]string{"applicatİon/json"}, false},
		{[]string{"text/plain"}, false},
		{[]string{"application/x-www-form-urlencoded"}, false},
		{[]string{"multipart/form-data; boundary=x"}, false},
		{[]string{""}, false},
		{nil, false},
	} {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(`{"username":"alice","password":"pw"}`))
		r.Header["Content-Type"] = tc.types
		resp := e.HandleLogin(context.Background(), issuing.FromHTTP(r))
		if tc.ok {
			assert.Equal(t, 200, resp.Status, "%q", tc.types)
		} else {
			assert.Equal(t, 415, resp.Status, "%q", tc.types)
			assert.JSONEq(t, `{"error":"invalid_request","error_description":"The request body must be application/json"}`, string(resp.Body))
		}
	}
}

// TestServerErrorsAreLoggedNotAnswered: the text of an error the server is
// to blame for goes to the Logger, never into the answer.
func TestServerErrorsAreLoggedNotAnswered(t *testing.T) {
	t.Parallel()
	_, e, logs := endpointsWorld(t, func(context.Context, issuing.LoginRequest) (issuing.Grant, error) {
		return issuing.Grant{}, errors.New("db: SELECT hash FROM users: secret-detail")
	})
	resp := e.HandleLogin(context.Background(), issuing.FromHTTP(jsonRequest("POST", "/login", `{"username":"alice","password":"pw"}`)))
	assert.Equal(t, 500, resp.Status)
	assert.NotContains(t, string(resp.Body), "secret-detail")
	assert.Contains(t, logs.String(), "secret-detail")
	assert.Contains(t, logs.String(), "level=ERROR")
}

// TestResponseWrite: Write sets the fields, replacing earlier values, one
// Set-Cookie line per cookie, then the status and the body.
func TestResponseWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rec.Header().Set("Cache-Control", "public")
	issuing.Response{
		Status:  201,
		Header:  http.Header{"Cache-Control": {"no-store"}, "Content-Type": {"application/json"}},
		Cookies: []*http.Cookie{{Name: "a", Value: "1"}, {Name: "b", Value: "2", Path: "/x"}},
		Body:    []byte(`{}`),
	}.Write(rec)
	assert.Equal(t, 201, rec.Code)
	assert.Equal(t, []string{"no-store"}, rec.Header().Values("Cache-Control"))
	assert.Equal(t, []string{"a=1", "b=2; Path=/x"}, rec.Header().Values("Set-Cookie"))
	assert.Equal(t, `{}`, rec.Body.String())
}

// TestLogoutWithCredentialsOptional: an Authenticator that lets a request
// without a token through still has nothing to log out: 401.
func TestLogoutWithCredentialsOptional(t *testing.T) {
	t.Parallel()
	w, e, _ := endpointsWorld(t, alice)
	e.Authenticator = testAuth(t, func(c *jwtgate.Config) {
		c.CredentialsOptional = true
		c.Revoker = w.store
		c.Extractor = extractors.AuthorizationBearer()
	})
	resp := e.HandleLogout(context.Background(), issuing.FromHTTP(httptest.NewRequest("POST", "/logout", nil)))
	assert.Equal(t, 401, resp.Status)
	assert.Equal(t, `Bearer realm="jwtgate"`, resp.Header.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"error":"missing_token","error_description":"No access token was sent"}`, string(resp.Body))
}
