package httpjwt_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	httpjwt "github.com/jwtgate/jwtgate/nethttp"
)

// TestEndpoints runs the endpoints' suite through the three handlers on a
// ServeMux, mounted for every method (the handlers refuse what is not POST).
func TestEndpoints(t *testing.T) {
	require.GreaterOrEqual(t, jwtgatetest.EndpointsCaseCount(), 80, "endpoint cases")
	jwtgatetest.RunEndpoints(t, func(_ *testing.T, e *issuing.Endpoints) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/login", httpjwt.LoginHandler(e))
		mux.Handle("/refresh", httpjwt.RefreshHandler(e))
		mux.Handle("/logout", httpjwt.LogoutHandler(e))
		return mux
	})
}

func TestEndpointsPanic(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "httpjwt: LoginHandler: jwtgate: endpoints: *Endpoints is nil", func() { httpjwt.LoginHandler(nil) })
	assert.PanicsWithValue(t, "httpjwt: RefreshHandler: jwtgate: endpoints: Authenticator is required",
		func() {
			httpjwt.RefreshHandler(&issuing.Endpoints{Issuer: &issuing.Issuer{}, CheckCredentials: noCredentials})
		})
	assert.Panics(t, func() { httpjwt.LogoutHandler(&issuing.Endpoints{}) })
}

func noCredentials(context.Context, issuing.LoginRequest) (issuing.Grant, error) {
	return issuing.Grant{}, issuing.ErrBadCredentials
}
