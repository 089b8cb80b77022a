package ginjwt_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/issuing"
	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	ginjwt "github.com/jwtgate/jwtgate/gin"
)

// TestEndpoints runs the endpoints' suite through the three handlers on a
// Gin engine, mounted for every method.
func TestEndpoints(t *testing.T) {
	require.GreaterOrEqual(t, jwtgatetest.EndpointsCaseCount(), 80, "endpoint cases")
	jwtgatetest.RunEndpoints(t, func(_ *testing.T, e *issuing.Endpoints) http.Handler {
		r := gin.New()
		r.Any("/login", ginjwt.LoginHandler(e))
		r.Any("/refresh", ginjwt.RefreshHandler(e))
		r.Any("/logout", ginjwt.LogoutHandler(e))
		return r
	})
}

func TestEndpointsPanic(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "ginjwt: LoginHandler: jwtgate: endpoints: *Endpoints is nil", func() { ginjwt.LoginHandler(nil) })
	noCredentials := func(context.Context, issuing.LoginRequest) (issuing.Grant, error) {
		return issuing.Grant{}, issuing.ErrBadCredentials
	}
	assert.PanicsWithValue(t, "ginjwt: RefreshHandler: jwtgate: endpoints: Authenticator is required", func() {
		ginjwt.RefreshHandler(&issuing.Endpoints{Issuer: &issuing.Issuer{}, CheckCredentials: noCredentials})
	})
	assert.Panics(t, func() { ginjwt.LogoutHandler(&issuing.Endpoints{}) })
}
