package fiberjwt_test

import (
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
	fiberjwt "github.com/jwtgate/jwtgate/fiber"
)

// TestContribJWTLookup: gofiber's contrib jwt TokenLookup works end to end
// through extractors.Parse and the adapter: its default "header:Authorization"
// (with its default AuthScheme "Bearer") reads Authorization: Bearer, and a
// lookup of every source it has reads each of them, path parameters
// included, and refuses a token sent by two (RFC 6750 §2).
func TestContribJWTLookup(t *testing.T) {
	t.Parallel()
	tok := signed(t, "alice", "", time.Hour)
	app := func(lookup string) *fiber.App {
		ex, err := extractors.Parse(lookup)
		require.NoError(t, err)
		mw := fiberjwt.New(fiberjwt.Config{Authenticator: newAuth(t, func(c *jwtgate.Config) { c.Extractor = ex })})
		app := fiber.New()
		app.Get("/files", mw, whoami)
		app.Get("/files/:token", mw, whoami)
		return app
	}

	def := app("header:Authorization")
	check(t, def, request{target: "/files", headers: bearer(tok), status: 200, answer: "alice"})
	check(t, def, request{target: "/files", headers: [][2]string{{"Authorization", "BEARER " + tok}}, status: 200, answer: "alice"})
	check(t, def, request{target: "/files", headers: [][2]string{{"Authorization", "Basic dXNlcjpwYXNz"}}, status: 401})
	check(t, def, request{target: "/files", headers: [][2]string{{"Authorization", "Bearer"}}, status: 400})
	check(t, def, request{target: "/files", status: 401})

	every := app("header:Authorization, query:token, param:token, cookie:jwt")
	check(t, every, request{target: "/files", headers: bearer(tok), status: 200, answer: "alice"})
	check(t, every, request{target: "/files?token=" + tok, status: 200, answer: "alice"})
	check(t, every, request{target: "/files/" + tok, status: 200, answer: "alice"})
	check(t, every, request{target: "/files", headers: [][2]string{{"Cookie", "jwt=" + tok}}, status: 200, answer: "alice"})
	check(t, every, request{target: "/files?token=" + tok, headers: bearer(tok), status: 400})
}
