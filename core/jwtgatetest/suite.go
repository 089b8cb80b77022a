// Package jwtgatetest is jwtgate's conformance suite: one table of requests
// that every adapter must answer identically, in the spirit of
// testing/slogtest and testing/fstest.
//
// An adapter's conformance test is three lines:
//
//	func TestConformance(t *testing.T) {
//		jwtgatetest.Run(t, func(t *testing.T, r jwtgatetest.Route) http.Handler { … })
//	}
//
// The suite owns the keys, the clock and the tokens. For each case it builds an
// Authenticator, asks the adapter for an http.Handler that protects
// Route.Handler with it (and with Route.Scopes when set), sends the request,
// and checks the status, the WWW-Authenticate challenge, the JSON body, and
// whether the protected handler ran and saw the token in its context.
package jwtgatetest

import (
	"net/http"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// Route is what the suite asks an adapter to build for one case.
type Route struct {
	// Authenticator verifies the tokens.
	Authenticator *jwtgate.Authenticator
	// Scopes, when not empty, must be required by the adapter's RequireScopes
	// in front of Handler.
	Scopes []string
	// Handler is the protected handler. It answers 200 and reports the token it
	// finds with jwtgate.FromContext(r.Context()); adapters wrap it in their
	// framework's way (echo.WrapHandler, gin.WrapH, fiber's adaptor).
	Handler http.Handler
	// Policy is the route's own Policy (per-route optional credentials, DPoP
	// mode): the adapter's Config.Policy. The zero value is the
	// Authenticator's.
	Policy jwtgate.Policy
	// Miswired asks for a wiring mistake: Scopes' RequireScopes in front of
	// Handler without the authenticating middleware (New) before it. The
	// guard must answer 500, never let the request through (RSP-06).
	Miswired bool
}

// NewServer builds the adapter's handler for a route.
type NewServer func(t *testing.T, r Route) http.Handler
