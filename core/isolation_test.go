package jwtgate_test

import (
	"context"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
)

// tenantClaims is a claims type of an application's, with a slice and a map
// a handler could write to.
type tenantClaims struct {
	jwt.RegisteredClaims
	Tenant string            `json:"tenant"`
	Roles  []string          `json:"roles"`
	Attrs  map[string]string `json:"attrs"`
}

// TestRequestsShareNothing: what a handler gets cannot change what another
// request sees. Handlers running at once, each with the same token served
// from the cache, write to every part of what they receive — the Token's
// fields, jwtgate's *Claims (its lists and dates too), a jwt.MapClaims, a
// claims type of the application's with a slice and a map — and each
// still receives the token as it was sent. Run under the race detector, as
// the test command does, it also fails on any shared write.
func TestRequestsShareNothing(t *testing.T) {
	t.Parallel()
	tok := mint(testSecret, goodHeader, claimsJSON(`"scp":["a","b"],"tenant":"acme","roles":["r1"],"attrs":{"k":"v"},"aud2":1`))
	kinds := map[string]struct {
		config func(*jwtgate.Config)
		check  func(t *testing.T, tk *jwtgate.Token) // asserts the claims are pristine, then writes to them
	}{
		"*Claims": {nil, func(t *testing.T, tk *jwtgate.Token) {
			c := tk.Claims.(*jwtgate.Claims)
			assert.Equal(t, "user-1", c.Subject)
			assert.Equal(t, jwt.ClaimStrings{"api://svc"}, c.Audience)
			assert.Equal(t, jwt.ClaimStrings{"a", "b"}, c.Scp)
			assert.Equal(t, int64(1795867500), c.ExpiresAt.Unix())
			c.Subject = "mallory"
			c.Audience[0] = "elsewhere"
			c.Audience = append(c.Audience, "more")
			c.Scp[0] = "admin"
			c.Scp = append(c.Scp[:1], "x")
			c.ExpiresAt.Time = c.ExpiresAt.AddDate(1, 0, 0)
			c.Scope = "admin"
		}},
		"jwt.MapClaims": {func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return jwt.MapClaims{} } }, func(t *testing.T, tk *jwtgate.Token) {
			m := tk.Claims.(jwt.MapClaims)
			assert.Equal(t, "user-1", m["sub"])
			assert.Equal(t, []any{"r1"}, m["roles"])
			m["sub"] = "mallory"
			m["roles"].([]any)[0] = "admin"
			m["attrs"].(map[string]any)["k"] = "w"
			delete(m, "exp")
		}},
		"a claims type of the application's": {func(c *jwtgate.Config) { c.NewClaims = func() jwt.Claims { return &tenantClaims{} } }, func(t *testing.T, tk *jwtgate.Token) {
			c := tk.Claims.(*tenantClaims)
			assert.Equal(t, "acme", c.Tenant)
			assert.Equal(t, []string{"r1"}, c.Roles)
			assert.Equal(t, map[string]string{"k": "v"}, c.Attrs)
			c.Tenant = "evil"
			c.Roles[0] = "admin"
			c.Attrs["k"] = "w"
			c.Audience[0] = "elsewhere"
		}},
	}
	for name, k := range kinds {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := testAuth(t, k.config)
			for range 3 { // into the cache: a token is filed on its second verification
				_, err := a.Authenticate(context.Background(), bearer(tok))
				require.NoError(t, err)
			}
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 50 {
						tk, err := a.Authenticate(context.Background(), bearer(tok))
						if !assert.NoError(t, err) {
							return
						}
						assert.Equal(t, "user-1", tk.Subject)
						ctx := jwtgate.NewContext(context.Background(), tk)
						got, _ := jwtgate.FromContext(ctx)
						assert.Same(t, tk, got)
						k.check(t, tk)
						tk.Subject, tk.Raw = "mallory", "x"
					}
				}()
			}
			wg.Wait()
		})
	}
}
