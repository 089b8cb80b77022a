package fiberjwt

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/extractors"
)

// TestViewMissAllocatesNothing: looking for a token that is not there costs no
// allocation, whichever method is asked, through either view; a hit through
// the copying view is a copy that outlives fasthttp's buffer, a hit through
// the borrowed view shares it.
// Not parallel: testing.AllocsPerRun refuses to run beside parallel tests.
func TestViewMissAllocatesNothing(t *testing.T) {
	app := fiber.New()
	app.Post("/r/:id", func(c fiber.Ctx) error {
		r := view(c)
		b := r.(interface{ Borrow() extractors.Request }).Borrow()
		for viewName, v := range map[string]extractors.Request{"copying": r, "borrowed": b} {
			misses := map[string]func(){
				"header": func() { v.Header("Authorization") },
				"cookie": func() { v.Cookie("access_token") },
				"query":  func() { v.Query("access_token") },
				"form":   func() { v.Form("access_token") },
				"param":  func() { v.Param("token") },
				"method": func() { v.Method() },
			}
			for name, miss := range misses {
				miss() // warm fasthttp's lazily parsed arguments and pools
				assert.Zero(t, testing.AllocsPerRun(100, miss), "%s view, %s miss", viewName, name)
			}
		}
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = view(c) }), "the view of a *fiber.DefaultCtx")

		// A hit through the copying view is a copy: overwriting fasthttp's
		// bytes does not change it. Through the borrowed view, it does.
		copied, n := r.Header("X-Token")
		require.Equal(t, 1, n)
		shared, _ := b.Header("X-Token")
		cookie, _ := r.Cookie("session")
		query, _ := r.Query("q")
		form, _ := r.Form("name")
		param := r.Param("id")
		overwrite(c.Request().Header.Peek("X-Token"))
		overwrite(c.Request().Header.Peek("Cookie"))
		overwrite(c.Request().URI().QueryString())
		overwrite(c.Request().Body())
		assert.Equal(t, "secret", copied)
		assert.Equal(t, "zzzzzz", shared, "the borrowed view shares fasthttp's buffer")
		assert.Equal(t, []string{"abc", "x", "alice", "7"}, []string{cookie, query, form, param})
		// Fiber's path parameters live in its own buffers, reused as well.
		assert.NotSame(t, unsafe.StringData(c.Params("id")), unsafe.StringData(param), "a copy")
		assert.Same(t, unsafe.StringData(c.Params("id")), unsafe.StringData(b.Param("id")), "borrowed")
		return c.SendStatus(fiber.StatusNoContent)
	})
	req := httptest.NewRequest(fiber.MethodPost, "/r/7?page=2&q=x", strings.NewReader("name=alice&x=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "session=abc; theme=dark")
	req.Header.Set("X-Token", "secret")
	res, err := app.Test(req, fiber.TestConfig{})
	require.NoError(t, err)
	assert.Equal(t, fiber.StatusNoContent, res.StatusCode)
}

func overwrite(b []byte) { copy(b, strings.Repeat("z", len(b))) }

// TestCacheHitAllocatesOnce: a token sent again is answered from the
// verified-token cache through the borrowed view, with one allocation of
// the middleware's own (the request's own copy of the token, which carries
// it in the request's context too), and what the handler gets does not
// share fasthttp's buffers, nor another request's token; so for a token sent in the query, whose answer also gets
// Cache-Control: private. Not parallel: testing.AllocsPerRun.
func TestCacheHitAllocatesOnce(t *testing.T) {
	key := jwtgate.HMAC([]byte("0123456789abcdef0123456789abcdef"), "HS256")
	tok := aliceToken(t, key)

	tests := []struct {
		name string
		send func(r *fasthttp.Request, tok string)
		// private: the answer must carry Cache-Control: private.
		private bool
	}{
		{name: "header", send: func(r *fasthttp.Request, tok string) { r.Header.Set(fiber.HeaderAuthorization, "Bearer "+tok) }},
		{name: "query", send: func(r *fasthttp.Request, tok string) { r.SetRequestURI("/?access_token=" + tok) }, private: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth, err := jwtgate.New(jwtgate.Config{Keys: key, Issuer: []string{"iss"}, Audience: []string{"aud"},
				Extractor: extractors.Exclusive(extractors.AuthorizationBearer(), extractors.Query("access_token"))})
			require.NoError(t, err)
			mw := New(Config{Authenticator: auth, ContextKey: "jwtgate", SuccessHandler: func(fiber.Ctx) error { return nil }})
			var fctx fasthttp.RequestCtx
			fctx.Request.SetRequestURI("/")
			tt.send(&fctx.Request, tok)
			c, serve := serveWith(t, &fctx, mw)
			serve() // verified, noted
			serve() // verified again, cached
			first, ok := Token(c)
			require.True(t, ok)
			assert.LessOrEqual(t, testing.AllocsPerRun(100, serve), 1.0, "allocations on a cache hit")
			second, ok := Token(c)
			require.True(t, ok)
			assert.NotSame(t, first, second, "each request gets a token of its own")
			assert.Equal(t, first.Raw, second.Raw)
			assert.Same(t, second, c.Locals("jwtgate"), "stored under ContextKey at no cost")
			want := ""
			if tt.private {
				want = "private"
			}
			assert.Equal(t, want, string(fctx.Response.Header.Peek(fiber.HeaderCacheControl)))

			// The token keeps its own bytes: overwrite the request's.
			overwrite(fctx.Request.Header.Peek(fiber.HeaderAuthorization))
			overwrite(fctx.Request.URI().QueryString())
			assert.Equal(t, tok, second.Raw)
			assert.Equal(t, "alice", second.Subject)

			// A token not in the cache goes the whole way, through the copying view.
			tt.send(&fctx.Request, tok+"x")
			serve()
			assert.Equal(t, fiber.StatusUnauthorized, fctx.Response.StatusCode())
		})
	}
}

// TestUncachedAllocations: a token verified without the cache costs two
// allocations of the middleware's own: its bytes, copied from fasthttp's
// buffer with the decoded payload in one, and the request's Token with its
// Claims (the HMAC state is kept per secret). Not parallel:
// testing.AllocsPerRun.
func TestUncachedAllocations(t *testing.T) {
	key := jwtgate.HMAC([]byte("0123456789abcdef0123456789abcdef"), "HS256")
	auth, err := jwtgate.New(jwtgate.Config{Keys: key, Issuer: []string{"iss"}, Audience: []string{"aud"}, CacheSize: -1})
	require.NoError(t, err)
	tok := aliceToken(t, key)
	mw := New(Config{Authenticator: auth, SuccessHandler: func(fiber.Ctx) error { return nil }})
	var fctx fasthttp.RequestCtx
	fctx.Request.Header.Set(fiber.HeaderAuthorization, "Bearer "+tok)
	c, serve := serveWith(t, &fctx, mw)
	serve()
	bound := 2.0
	if raceEnabled { // sync.Pool drops pooled HMAC states under the race detector
		bound = 12
	}
	assert.LessOrEqual(t, testing.AllocsPerRun(100, serve), bound)
	got, ok := Token(c)
	require.True(t, ok)
	assert.Equal(t, tok, got.Raw)
}

// serveWith acquires a Ctx of a new app for fctx, released when the test
// ends, and returns it with a function that runs mw on it as a new request
// (a fresh context, as each request starts with), failing the test on an
// error.
func serveWith(t *testing.T, fctx *fasthttp.RequestCtx, mw fiber.Handler) (fiber.Ctx, func()) {
	app := fiber.New()
	c := app.AcquireCtx(fctx)
	t.Cleanup(func() { app.ReleaseCtx(c) })
	return c, func() {
		c.SetContext(context.Background())
		if err := mw(c); err != nil {
			t.Fatal(err)
		}
	}
}

// aliceToken is an HS256 token of key's for the allocation tests: iss "iss",
// aud "aud", valid for an hour.
func aliceToken(t *testing.T, key *jwtgate.Key) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer: "iss", Subject: "alice", Audience: jwt.ClaimStrings{"aud"}, ID: "j1",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).SignedString(key.SignKey)
	require.NoError(t, err)
	return tok
}
