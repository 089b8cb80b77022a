package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLossInTheSecondOfALogout: two instances of each app on one Redis; a
// login on A, its logout, and FLUSHALL, all within one second, the second
// the loss marker is then created in: the logged-out token is refused (401)
// on A and on B, and a login after the loss is accepted by both.
//
// The apps read the wall clock, so the test starts each attempt at the
// beginning of a second and checks afterwards that the token's iat and the
// loss marker Redis holds are in one second; an attempt that spilled into
// the next second (a busy machine) proves nothing, and is made again.
func TestLossInTheSecondOfALogout(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t)
			if !srv.Managed() {
				t.Skip("needs a redis-server this test empties, not the one REDIS_URL names")
			}
			env := []string{"REDIS_URL=" + srv.URL()}
			cx, cy := start(t, a.name, env...).client(), start(t, a.name, env...).client()
			rc := srv.Client()
			const attempts = 5
			for attempt := 1; ; attempt++ {
				time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 5*time.Millisecond))) // a second's start: not a timing assertion
				access, _ := cx.login()
				status, _ := cx.do("POST", "/logout", "", access)
				require.Equal(t, 204, status, "logout on A")
				srv.Flush()
				statusA := cx.me(access) // the first request after the loss: it sets the marker
				statusB := cy.me(access)

				marker, err := rc.Get(context.Background(), "jwtgate:epoch").Int64()
				require.NoError(t, err, "the first request after the loss set the marker")
				if marker >= 1e11 {
					marker /= 1000 // milliseconds (a marker below 1e11 is in seconds)
				}
				iat := issuedAt(t, access)
				sameSecond := marker == iat
				if sameSecond || attempt == attempts {
					require.True(t, sameSecond, "%d attempts: the login, the logout and the loss never fitted in one second", attempts)
					t.Logf("attempt %d: iat and marker in second %d", attempt, iat)
					assert.Equal(t, 401, statusA, "the logged-out token, on A, after a loss in its second")
					assert.Equal(t, 401, statusB, "the logged-out token, on B, after a loss in its second")
					break
				}
			}
			// A login after the loss works on both at once.
			access, _ := cy.login()
			assert.Equal(t, 200, cx.me(access), "a login after the loss, on A")
			assert.Equal(t, 200, cy.me(access), "a login after the loss, on B")
		})
	}
}

// issuedAt reads the iat of a token the apps issued (whole seconds).
func issuedAt(t *testing.T, token string) int64 {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var c struct {
		IAT int64 `json:"iat"`
	}
	require.NoError(t, json.Unmarshal(raw, &c))
	return c.IAT
}
