package jwks_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
)

// keycloak is a stand-in for a Keycloak realm: its discovery document and
// its JWK Set, at the paths Keycloak serves them, and tokens shaped as
// Keycloak's default access tokens.
type keycloak struct {
	*httptest.Server
	realm string
	key   *rsa.PrivateKey
}

func newKeycloak() *keycloak {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	kc := &keycloak{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /realms/acme/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":   kc.realm,
			"jwks_uri": kc.realm + "/protocol/openid-connect/certs",
		})
	})
	mux.Handle("GET /realms/acme/protocol/openid-connect/certs",
		jwks.Handler(time.Hour, &jwtgate.Key{ID: "rsa-1", Algorithm: "RS256", VerifyKey: &key.PublicKey}))
	kc.Server = httptest.NewServer(mux)
	kc.realm = kc.URL + "/realms/acme"
	return kc
}

// token is what Keycloak issues to the client azp by default: header typ
// "JWT", aud "account" (the account console, through the Audience Resolve
// mapper), not the API; the client in azp; scopes in a space-separated
// scope claim; a private typ claim "Bearer".
func (kc *keycloak) token(azp string) string {
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": kc.realm, "aud": "account", "azp": azp, "typ": "Bearer",
		"sub": "f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "preferred_username": "alice",
		"scope": "openid profile email orders:read", "jti": "a1b2c3",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"realm_access": map[string]any{"roles": []string{"default-roles-acme", "offline_access"}},
	})
	t.Header["kid"] = "rsa-1"
	s, err := t.SignedString(kc.key)
	if err != nil {
		panic(err)
	}
	return s
}

// Keycloak's default access token names the account console in aud and
// the client it was issued to in azp: without an audience mapper for the
// API, skip the audience check and accept the API's own clients by azp.
// The realm's keys are found through its discovery document.
func ExampleNewDiscovered_keycloak() {
	kc := newKeycloak() // https://sso.example.com/realms/acme in production
	defer kc.Close()

	keys, err := jwks.NewDiscovered(context.Background(), jwks.DiscoveryOptions{
		Issuer:      kc.realm,
		RequireKeys: true,                                        // fail at start on a wrong realm URL
		Remote:      jwks.RemoteOptions{AllowHTTPLoopback: true}, // only for this local stand-in
	})
	if err != nil {
		panic(err)
	}
	defer keys.Close()

	auth, err := jwtgate.New(jwtgate.Config{
		Keys:              keys,
		Issuer:            []string{kc.realm},
		SkipAudienceCheck: true,                   // aud is "account"...
		AuthorizedParties: []string{"orders-web"}, // ...so azp must be one of ours
		RequiredClaims:    []string{"sub"},
	})
	if err != nil {
		panic(err)
	}

	tok, err := auth.Verify(context.Background(), kc.token("orders-web"))
	fmt.Println(tok.ClientID, tok.Scopes(), tok.HasScope("orders:read"), err)

	_, err = auth.Verify(context.Background(), kc.token("another-app"))
	fmt.Println(jwtgate.Reason(err), auth.Response(err).Status)
	// Output:
	// orders-web [openid profile email orders:read] true <nil>
	// authorized_party 401
}
