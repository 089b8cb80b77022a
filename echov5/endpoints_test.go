package echojwt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	echojwt "github.com/jwtgate/jwtgate/echov5"
)

// TestEndpoints runs the endpoints' suite through the three handlers on an
// Echo app with its default HTTPErrorHandler, mounted for every method.
func TestEndpoints(t *testing.T) {
	require.GreaterOrEqual(t, jwtgatetest.EndpointsCaseCount(), 80, "endpoint cases")
	jwtgatetest.RunEndpoints(t, func(_ *testing.T, e *issuing.Endpoints) http.Handler {
		app := echo.New()
		app.Any("/login", echojwt.LoginHandler(e))
		app.Any("/refresh", echojwt.RefreshHandler(e))
		app.Any("/logout", echojwt.LogoutHandler(e))
		return app
	})
}

func TestEndpointsPanic(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "echojwt: LoginHandler: jwtgate: endpoints: *Endpoints is nil", func() { echojwt.LoginHandler(nil) })
	noCredentials := func(context.Context, issuing.LoginRequest) (issuing.Grant, error) {
		return issuing.Grant{}, issuing.ErrBadCredentials
	}
	assert.PanicsWithValue(t, "echojwt: RefreshHandler: jwtgate: endpoints: Authenticator is required", func() {
		echojwt.RefreshHandler(&issuing.Endpoints{Issuer: &issuing.Issuer{}, CheckCredentials: noCredentials})
	})
	assert.Panics(t, func() { echojwt.LogoutHandler(&issuing.Endpoints{}) })
}

// TestEndpointsDPoP: a login with a DPoP proof for the endpoint's URL binds
// the tokens to the proof's key: the wrapper's view gives the core the
// method, host, scheme and path the proof's htm and htu are compared with.
func TestEndpointsDPoP(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	key := jwtgate.HMAC(testSecret, "HS256")
	issuer, err := issuing.New(issuing.Config{Key: key, Issuer: "https://issuer.example", Audience: []string{"api"}, Store: issuing.NewMemoryStore(clock), Now: clock})
	require.NoError(t, err)
	auth, err := jwtgate.New(jwtgate.Config{Keys: key, Issuer: []string{"https://issuer.example"}, Audience: []string{"api"}, Now: clock,
		DPoP: &dpop.Config{Replay: dpop.NewMemoryReplayStore(clock)}})
	require.NoError(t, err)
	e := &issuing.Endpoints{Issuer: issuer, Authenticator: auth,
		CheckCredentials: func(context.Context, issuing.LoginRequest) (issuing.Grant, error) {
			return issuing.Grant{Subject: "alice"}, nil
		}}
	app := echo.New()
	app.POST("/auth/login", echojwt.LoginHandler(e))
	client := jwtgatetest.NewDPoPKey("ES256")

	login := func(htu string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "http://api.example/auth/login", strings.NewReader(`{"username":"alice","password":"x"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("DPoP", client.Proof(http.MethodPost, htu, now, "", jwtgatetest.ProofOptions{}))
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		return w
	}
	w := login("http://api.example/auth/login")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var pair issuing.Pair
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &pair))
	assert.Equal(t, "DPoP", pair.TokenType)
	_, err = auth.Verify(context.Background(), pair.AccessToken)
	require.ErrorIs(t, err, dpop.ErrTokenBound, "a bound token outside its request")
	bound, err := auth.VerifyBound(context.Background(), pair.AccessToken, client.JKT())
	require.NoError(t, err)
	assert.Equal(t, client.JKT(), bound.JKT)

	w = login("http://api.example/other")
	assert.Equal(t, http.StatusBadRequest, w.Code, "a proof for another URL")
	assert.Contains(t, w.Body.String(), "invalid_dpop_proof")
}
