package fiberjwt_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/dpop"
	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	fiberjwt "github.com/jwtgate/jwtgate/fiberv3"
)

// TestEndpoints runs the endpoints' suite through the three handlers on a
// Fiber app, with its default configuration (buffers reused) and with
// Immutable, mounted for every method. Requests go through app.Test, so
// fasthttp parses them and writes the answers as on the wire.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, jwtgatetest.EndpointsCaseCount(), 80, "endpoint cases")
	for name, config := range map[string]fiber.Config{"default": {}, "immutable": {Immutable: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			jwtgatetest.RunEndpoints(t, func(t *testing.T, e *issuing.Endpoints) http.Handler {
				app := fiber.New(config)
				app.All("/login", fiberjwt.LoginHandler(e))
				app.All("/refresh", fiberjwt.RefreshHandler(e))
				app.All("/logout", fiberjwt.LogoutHandler(e))
				return wire(t, app)
			})
		})
	}
}

// wire serves a request through app.Test: fasthttp's parser and writer.
func wire(t *testing.T, app *fiber.App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := app.Test(r, fiber.TestConfig{}) // no timeout
		require.NoError(t, err)
		defer res.Body.Close()
		for name, values := range res.Header {
			w.Header()[name] = values
		}
		w.WriteHeader(res.StatusCode)
		_, err = io.Copy(w, res.Body)
		require.NoError(t, err)
	})
}

func TestEndpointsPanic(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "fiberjwt: LoginHandler: jwtgate: endpoints: *Endpoints is nil", func() { fiberjwt.LoginHandler(nil) })
	noCredentials := func(context.Context, issuing.LoginRequest) (issuing.Grant, error) {
		return issuing.Grant{}, issuing.ErrBadCredentials
	}
	assert.PanicsWithValue(t, "fiberjwt: RefreshHandler: jwtgate: endpoints: Authenticator is required", func() {
		fiberjwt.RefreshHandler(&issuing.Endpoints{Issuer: &issuing.Issuer{}, CheckCredentials: noCredentials})
	})
	assert.Panics(t, func() { fiberjwt.LogoutHandler(&issuing.Endpoints{}) })
}

// TestEndpointsKeepNoFasthttpBuffer: what CheckCredentials keeps of a login
// (Raw, the fields) is the request's own copy, intact after fasthttp has
// reused its buffers for later requests.
func TestEndpointsKeepNoFasthttpBuffer(t *testing.T) {
	t.Parallel()
	var kept []issuing.LoginRequest
	e := &issuing.Endpoints{
		Issuer: endpointsIssuer(t), Authenticator: endpointsAuth(t),
		CheckCredentials: func(_ context.Context, l issuing.LoginRequest) (issuing.Grant, error) {
			kept = append(kept, l) // handlers run one at a time here: requests are sent in turn
			return issuing.Grant{}, issuing.ErrBadCredentials
		},
	}
	app := fiber.New()
	app.Post("/login", fiberjwt.LoginHandler(e))
	bodies := []string{
		`{"username":"alice","password":"first-password","otp":"111111"}`,
		`{"username":"bobby","password":"other-password","otp":"222222"}`,
		`{"username":"carol","password":"third-password","otp":"333333"}`,
	}
	for _, b := range bodies {
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		res, err := app.Test(r, fiber.TestConfig{}) // no timeout
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	}
	require.Len(t, kept, len(bodies))
	for i, b := range bodies {
		assert.Equal(t, b, string(kept[i].Raw), "Raw of request %d", i)
		assert.Contains(t, b, `"username":"`+kept[i].Username+`"`, "Username of request %d", i)
		assert.Contains(t, b, `"password":"`+kept[i].Password+`"`, "Password of request %d", i)
	}
}

func endpointsIssuer(t *testing.T) *issuing.Issuer {
	t.Helper()
	i, err := issuing.New(issuing.Config{Key: jwtgate.HMAC(testSecret, "HS256"), Issuer: "https://issuer.example", Audience: []string{"api"}, Store: issuing.NewMemoryStore(nil)})
	require.NoError(t, err)
	return i
}

func endpointsAuth(t *testing.T) *jwtgate.Authenticator {
	t.Helper()
	a, err := jwtgate.New(jwtgate.Config{Keys: jwtgate.HMAC(testSecret, "HS256"), Issuer: []string{"https://issuer.example"}, Audience: []string{"api"}})
	require.NoError(t, err)
	return a
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
	app := fiber.New()
	app.Post("/auth/login", fiberjwt.LoginHandler(e))
	client := jwtgatetest.NewDPoPKey("ES256")

	login := func(htu string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "http://api.example/auth/login", strings.NewReader(`{"username":"alice","password":"x"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("DPoP", client.Proof(http.MethodPost, htu, now, "", jwtgatetest.ProofOptions{}))
		w := httptest.NewRecorder()
		wire(t, app).ServeHTTP(w, r)
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
