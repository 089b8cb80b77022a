package fiberjwt

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestViewMissAllocatesNothing: looking for a token that is not there costs no
// allocation, whichever method is asked; a hit is a copy that outlives
// fasthttp's buffer.
// Not parallel: testing.AllocsPerRun refuses to run beside parallel tests.
func TestViewMissAllocatesNothing(t *testing.T) {
	app := fiber.New()
	app.Post("/r/:id", func(c *fiber.Ctx) error {
		r := request{c}
		misses := map[string]func(){
			"header": func() { r.Header("Authorization") },
			"cookie": func() { r.Cookie("access_token") },
			"query":  func() { r.Query("access_token") },
			"form":   func() { r.Form("access_token") },
			"param":  func() { r.Param("token") },
			"method": func() { r.Method() },
		}
		for name, miss := range misses {
			if name == "form" && raceEnabled {
				continue // the form is parsed into a pooled fasthttp.Args
			}
			miss() // warm fasthttp's lazily parsed arguments and pools
			assert.Zero(t, testing.AllocsPerRun(100, miss), "%s miss", name)
		}

		// A hit is a copy: overwriting fasthttp's bytes does not change it.
		v, n := r.Header("X-Token")
		require.Equal(t, 1, n)
		peeked := c.Request().Header.Peek("X-Token")
		copy(peeked, strings.Repeat("z", len(peeked)))
		assert.Equal(t, "secret", v)
		assert.Equal(t, "zzzzzz", string(c.Request().Header.Peek("X-Token")), "the test overwrote the buffer")
		return c.SendStatus(fiber.StatusNoContent)
	})
	req := httptest.NewRequest(fiber.MethodPost, "/r/7?page=2&q=x", strings.NewReader("name=alice&x=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "session=abc; theme=dark")
	req.Header.Set("X-Token", "secret")
	res, err := app.Test(req, -1)
	require.NoError(t, err)
	assert.Equal(t, fiber.StatusNoContent, res.StatusCode)
}
