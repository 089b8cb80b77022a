package echojwt_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	echojwt "github.com/jwtgate/jwtgate/echo"
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
