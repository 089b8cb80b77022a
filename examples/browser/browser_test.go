// Package browser drives the cookie mode of the example apps
// (examples/README.md, "Cookie mode") in a real headless
// Chromium through chromedp: the page's login, /api/me, refresh and logout
// buttons, with the tokens never in JavaScript's reach, and a cross-site page
// whose POSTs the CSRF check refuses.
//
// The tests skip when no Chromium is installed (apt-get install chromium),
// unless JWTGATE_REQUIRE_BROWSER=1, which makes a missing browser a failure.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examples lists the apps that serve the cookie-mode page; adding one is
// adding its name.
var examples = []string{
	"nethttp",
	"echo",
	"echov5",
	"gin",
	"fiber",
	"fiberv3",
}

const (
	secret = "browser-secret-0123456789abcdef-0123456789"
	// stepTimeout bounds every chromedp run.
	stepTimeout = 60 * time.Second
	// browserLife bounds a whole browser, from its start to its end.
	browserLife = 3 * time.Minute
	// Lifetimes of the contract: access 15 minutes, refresh 7 days.
	accessLife  = 15 * 60
	refreshLife = 7 * 24 * 60 * 60
)

// chromium returns the browser's path. Without one it skips the test, or
// fails it when JWTGATE_REQUIRE_BROWSER=1.
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no Chromium on PATH (looked for %s); install it to run the browser tests, e.g. `apt-get install chromium` on Debian",
		strings.Join(names, ", "))
	if os.Getenv("JWTGATE_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (JWTGATE_REQUIRE_BROWSER=1 requires it)")
	}
	t.Skip(msg)
	return ""
}

// forEachExample runs f in a subtest per example, one after the other, with
// the example built and started.
func forEachExample(t *testing.T, f func(t *testing.T, base string)) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			f(t, start(t, build(t, name)))
		})
	}
}

var (
	buildOnce sync.Once
	buildErr  error
	binDir    string
)

// build returns the binary of ./examples/<name>, one of examples. The first
// call builds them all, in one go build, which compiles what they share once
// and links them side by side: each is built once per run.
func build(t *testing.T, name string) string {
	t.Helper()
	require.Contains(t, examples, name)
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "jwtgate-browser"); buildErr != nil {
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command builds the examples: %w", err)
			return
		}
		args := []string{"build", "-o", binDir + string(filepath.Separator)}
		for _, e := range examples {
			args = append(args, "./examples/"+e)
		}
		cmd := exec.Command(goBin, args...)
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, name)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// start runs bin on a free loopback port and returns its base URL once it
// listens; the app gets SIGTERM at cleanup.
func start(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "JWT_SECRET="+secret)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "%s stops cleanly on SIGTERM; stderr: %s", bin, stderr.String())
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within 15 s of SIGTERM", bin)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "listening on "); i >= 0 {
				select {
				case found <- strings.TrimSpace(sc.Text()[i+len("listening on "):]):
				default:
				}
			}
		}
	}()
	select {
	case base := <-found:
		require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), "the app listens on loopback: %s", base)
		return base
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start; stderr: %s", bin, stderr.String())
		return ""
	}
}

// lockedBuffer is a bytes.Buffer that a process's output goroutine can
// write while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newBrowser starts a headless Chromium with a fresh profile and returns the
// chromedp context of its first tab. Everything ends at cleanup, and at the
// latest browserLife after the start.
func newBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	profile := filepath.Join(t.TempDir(), "profile")
	var output lockedBuffer
	life, cancelLife := context.WithTimeout(context.Background(), browserLife)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(life,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-pings", true),
		// No name resolves: the browser reaches only the loopback IP.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.CombinedOutput(&output),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		cancelLife()
		if t.Failed() {
			t.Logf("chromium output (D-Bus noise left out):\n%s", withoutDBus(output.String()))
		}
		// Chromium's helpers can write to the profile for a moment after
		// the browser exits; TempDir's own removal would then fail.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	// The first run starts the browser; it lives as long as ctx.
	require.NoError(t, chromedp.Do(ctx), "start %s; output:\n%s", exe, output.String())
	return ctx
}

// withoutDBus drops the lines about the missing D-Bus, which a headless
// Chromium in a container logs by the dozen.
func withoutDBus(s string) string {
	var keep []string
	for line := range strings.Lines(s) {
		if !strings.Contains(line, "dbus") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

// run runs one chromedp action, bounded by stepTimeout.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

// appPage is the app's GET / page open in a tab.
type appPage struct {
	ctx  context.Context
	base string
	// secrets are every token value that the browser has held: none may
	// ever be readable by the page.
	secrets map[string]bool
}

func openApp(t *testing.T, ctx context.Context, base string) *appPage {
	t.Helper()
	resp := run(t, ctx, chromedp.NavigateResponse(base+"/"))
	require.Equal(t, int64(200), resp.Status, "GET /")
	return &appPage{ctx: ctx, base: base, secrets: map[string]bool{}}
}

// press runs trigger (a click that makes the page call the app), waits until
// body[data-calls] increments, and returns #out and the response body.
func (p *appPage) press(t *testing.T, trigger chromedp.Action[chromedp.Void]) (out string, body map[string]any) {
	t.Helper()
	before := run(t, p.ctx, chromedp.Evaluate[int](`Number(document.body.dataset.calls || 0)`))
	run(t, p.ctx, trigger)
	run(t, p.ctx, chromedp.Poll[bool](fmt.Sprintf(`Number(document.body.dataset.calls || 0) > %d`, before),
		chromedp.WithPollingTimeout(stepTimeout/2)))
	out = run(t, p.ctx, chromedp.Evaluate[string](`document.getElementById("out").textContent`))
	if _, text, _ := strings.Cut(out, "\n"); strings.TrimSpace(text) != "" {
		assert.NoError(t, json.Unmarshal([]byte(text), &body), "the response body is JSON: %q", out)
	}
	return out, body
}

func (p *appPage) click(t *testing.T, id string) (string, map[string]any) {
	t.Helper()
	return p.press(t, chromedp.Click(chromedp.ID(id)))
}

// login fills the form, submits it with its button, and returns #out and
// the body.
func (p *appPage) login(t *testing.T) (string, map[string]any) {
	t.Helper()
	return p.press(t, chromedp.Steps(
		chromedp.Clear(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.Clear(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "alice-password"),
		chromedp.Click(chromedp.ID("login-button")),
	))
}

// cookies returns the browser's cookies for the app, HttpOnly ones
// included, by name.
func (p *appPage) cookies(t *testing.T) map[string]*network.Cookie {
	t.Helper()
	res := run(t, p.ctx, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{p.base + "/", p.base + "/refresh"}})
	})
	jar := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		assert.Nil(t, jar[c.Name], "one cookie named %s", c.Name)
		jar[c.Name] = c
		if c.Name == "access_token" || c.Name == "refresh_token" {
			p.secrets[c.Value] = true
		}
	}
	return jar
}

// checkUnreadable asserts that the page's JavaScript sees no token: neither
// in document.cookie nor anywhere in the page (the responses it shows).
func (p *appPage) checkUnreadable(t *testing.T, step string) (documentCookie string) {
	t.Helper()
	p.cookies(t) // learn the current token values
	documentCookie = run(t, p.ctx, chromedp.Evaluate[string](`document.cookie`))
	html := run(t, p.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	for _, name := range []string{"access_token", "refresh_token"} {
		assert.NotContains(t, documentCookie, name, "%s: document.cookie has no %s", step, name)
	}
	for v := range p.secrets {
		require.NotEmpty(t, v)
		assert.NotContains(t, documentCookie, v, "%s: document.cookie holds no token", step)
		assert.False(t, strings.Contains(html, v), "%s: the page shows a token (%.24s…)", step, v)
	}
	shown := run(t, p.ctx, chromedp.Evaluate[string](`document.getElementById("cookies").textContent`))
	assert.Equal(t, documentCookie, shown, "%s: #cookies shows document.cookie", step)
	return documentCookie
}

// checkAttributes asserts the contract's attributes of the three cookies.
func checkAttributes(t *testing.T, jar map[string]*network.Cookie, host string) {
	t.Helper()
	now := float64(time.Now().Unix())
	for _, want := range []struct {
		name     string
		httpOnly bool
		sameSite network.CookieSameSite
		path     string
		life     float64
	}{
		{"access_token", true, network.CookieSameSiteLax, "/", accessLife},
		{"refresh_token", true, network.CookieSameSiteStrict, "/refresh", refreshLife},
		{"csrf_token", false, network.CookieSameSiteLax, "/", refreshLife},
	} {
		c := jar[want.name]
		if !assert.NotNil(t, c, "the browser holds %s", want.name) {
			continue
		}
		assert.NotEmpty(t, c.Value, want.name)
		assert.Equal(t, want.httpOnly, c.HTTPOnly, "%s HttpOnly", want.name)
		assert.True(t, c.Secure, "%s Secure", want.name)
		assert.Equal(t, want.sameSite, c.SameSite, "%s SameSite", want.name)
		assert.Equal(t, want.path, c.Path, "%s Path", want.name)
		assert.Equal(t, host, c.Domain, "%s is host-only", want.name)
		assert.False(t, c.Session, "%s has a Max-Age", want.name)
		assert.InDelta(t, now+want.life, c.Expires, 60, "%s Max-Age", want.name)
	}
}

func hostOf(base string) string {
	host := strings.TrimPrefix(base, "http://")
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	return host
}

// TestBrowserFlow walks the page of each app in Chromium: log in, /api/me,
// refresh, /api/me, log out, /api/me. After every step the page's JavaScript
// must see no token, and the browser must hold the cookies the contract sets.
func TestBrowserFlow(t *testing.T) {
	exe := chromium(t)
	forEachExample(t, func(t *testing.T, base string) {
		p := openApp(t, newBrowser(t, exe), base)
		host := hostOf(base)

		assert.Equal(t, "(none yet)", run(t, p.ctx, chromedp.Evaluate[string](`document.getElementById("out").textContent`)))
		assert.Empty(t, p.cookies(t), "a fresh profile holds no cookie")
		p.checkUnreadable(t, "page loaded")

		out, body := p.login(t)
		require.True(t, strings.HasPrefix(out, "200 POST /login?mode=cookie\n"), "login: %q", out)
		assert.NotContains(t, body, "access_token", "cookie-mode login keeps the access token out of the body")
		assert.NotContains(t, body, "refresh_token", "cookie-mode login keeps the refresh token out of the body")
		csrf, _ := body["csrf_token"].(string)
		require.NotEmpty(t, csrf, "login answers the CSRF token: %q", out)
		login := p.cookies(t)
		checkAttributes(t, login, host)
		for _, name := range []string{"access_token", "refresh_token", "csrf_token"} {
			require.NotNil(t, login[name], "login sets %s", name)
		}
		assert.Equal(t, csrf, login["csrf_token"].Value, "the csrf_token cookie holds the body's token")
		dc := p.checkUnreadable(t, "login")
		assert.Contains(t, strings.Split(dc, "; "), "csrf_token="+csrf, "the page reads the CSRF cookie")

		out, body = p.click(t, "me")
		assert.True(t, strings.HasPrefix(out, "200 GET /api/me\n"), "me: %q", out)
		assert.Equal(t, "alice", body["sub"], "me: %q", out)
		p.checkUnreadable(t, "me")

		out, _ = p.click(t, "refresh")
		assert.True(t, strings.HasPrefix(out, "200 POST /refresh\n"), "refresh: %q", out)
		jar := p.cookies(t)
		checkAttributes(t, jar, host)
		if jar["access_token"] != nil && jar["refresh_token"] != nil && jar["csrf_token"] != nil {
			assert.NotEqual(t, login["access_token"].Value, jar["access_token"].Value, "refresh sets a new access token")
			assert.NotEqual(t, login["refresh_token"].Value, jar["refresh_token"].Value, "refresh rotates the refresh token")
			assert.Equal(t, csrf, jar["csrf_token"].Value, "the CSRF token stays across refreshes")
		}
		p.checkUnreadable(t, "refresh")

		out, body = p.click(t, "me")
		assert.True(t, strings.HasPrefix(out, "200 GET /api/me\n"), "me after refresh: %q", out)
		assert.Equal(t, "alice", body["sub"], "me after refresh: %q", out)
		p.checkUnreadable(t, "me after refresh")

		out, _ = p.click(t, "logout")
		assert.Equal(t, "204 POST /logout\n", out, "logout")
		assert.Empty(t, p.cookies(t), "logout clears the cookies")
		dc = p.checkUnreadable(t, "logout")
		assert.NotContains(t, dc, "csrf_token", "logout clears the CSRF cookie")

		out, body = p.click(t, "me")
		assert.True(t, strings.HasPrefix(out, "401 GET /api/me\n"), "me after logout: %q", out)
		assert.Equal(t, "missing_token", body["error"], "me after logout: %q", out)
		p.checkUnreadable(t, "me after logout")
		assert.Len(t, p.secrets, 4, "two access and two refresh tokens went by")
	})
}

// attackerPage is served by another origin (another port on 127.0.0.1, so
// the same site): it fires POSTs at the app with the browser's cookies, as a
// cross-site request forgery would, and reports on body[data-*].
const attackerPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>attacker</title></head>
<body>
<iframe name="sink" id="sink"></iframe>
<form id="forged" method="POST" action="%[1]s/logout" target="sink"><input type="hidden" name="x" value="1"></form>
<script>
const app = %[2]s;
function report(key, value) { document.body.dataset[key] = value; }
function attempt(key, path, opts) {
  fetch(app + path, Object.assign({method: "POST", credentials: "include"}, opts))
    .then(r => report(key, r.type + " " + r.status), e => report(key, "rejected " + e.name));
}
attempt("fetchLogout", "/logout", {});
attempt("fetchLogoutNoCors", "/logout", {mode: "no-cors"});
attempt("fetchRefresh", "/refresh", {});
const sink = document.getElementById("sink");
sink.addEventListener("load", () => {
  try { sink.contentWindow.location.href; } catch (e) { report("form", "loaded"); }
});
document.getElementById("forged").submit();
</script>
</body></html>
`

// sent is one request to the app, as the browser's network events show it.
type sent struct {
	id          network.RequestID
	typ         network.ResourceType
	method, url string
	cookies     []string // the cookies the browser attached
	status      int64
}

// requestLog records the tab's requests to the app.
type requestLog struct {
	mu   sync.Mutex
	base string
	reqs map[network.RequestID]*sent
}

func (l *requestLog) get(id network.RequestID) *sent {
	if l.reqs[id] == nil {
		l.reqs[id] = &sent{}
	}
	return l.reqs[id]
}

// listen is called on chromedp's read loop: it must be quick.
func (l *requestLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if strings.HasPrefix(ev.Request.URL, l.base+"/") {
			s := l.get(ev.RequestID)
			s.id, s.typ, s.method, s.url = ev.RequestID, ev.Type, ev.Request.Method, ev.Request.URL
		}
	case *network.EventRequestWillBeSentExtraInfo:
		s := l.get(ev.RequestID)
		for _, c := range ev.AssociatedCookies {
			if len(c.BlockedReasons) == 0 && c.Cookie != nil {
				s.cookies = append(s.cookies, c.Cookie.Name)
			}
		}
	case *network.EventResponseReceivedExtraInfo:
		l.get(ev.RequestID).status = ev.StatusCode
	case *network.EventResponseReceived:
		if s := l.get(ev.RequestID); s.status == 0 && ev.Response != nil {
			s.status = ev.Response.Status
		}
	}
}

// posts returns the POSTs to the app seen so far.
func (l *requestLog) posts() []sent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []sent
	for _, s := range l.reqs {
		if s.method == http.MethodPost {
			out = append(out, *s)
		}
	}
	return out
}

// TestCrossSite logs in on each app's page, then opens a page of another
// origin on the same site (127.0.0.1, another port) that POSTs to /logout
// and /refresh with fetch and with a form. SameSite=Lax and Strict cookies
// go along with such same-site requests, so only the CSRF check stands in
// the way: the app must answer 403, and the session must live on.
func TestCrossSite(t *testing.T) {
	exe := chromium(t)
	forEachExample(t, func(t *testing.T, base string) {
		attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			app, _ := json.Marshal(base)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, attackerPage, base, app)
		}))
		t.Cleanup(attacker.Close)
		require.NotEqual(t, base, attacker.URL)
		require.Equal(t, hostOf(base), hostOf(attacker.URL), "same host, another port: the same site")

		ctx := newBrowser(t, exe)
		p := openApp(t, ctx, base)
		out, _ := p.login(t)
		require.True(t, strings.HasPrefix(out, "200 POST /login?mode=cookie\n"), "login: %q", out)
		before := p.cookies(t)
		checkAttributes(t, before, hostOf(base))

		log := &requestLog{base: base, reqs: map[network.RequestID]*sent{}}
		require.NoError(t, chromedp.Listen(ctx, log.listen))
		run(t, ctx, chromedp.Navigate(attacker.URL+"/"))
		run(t, ctx, chromedp.Poll[bool](`["fetchLogout", "fetchLogoutNoCors", "fetchRefresh", "form"].every(k => document.body.dataset[k])`,
			chromedp.WithPollingTimeout(stepTimeout/2)))
		report := run(t, ctx, chromedp.Evaluate[map[string]string](`Object.assign({}, document.body.dataset)`))
		t.Logf("attacker page: %v", report)
		// Without CORS headers the attacker cannot read an answer.
		assert.Equal(t, "rejected TypeError", report["fetchLogout"])
		assert.Equal(t, "rejected TypeError", report["fetchRefresh"])
		assert.Equal(t, "opaque 0", report["fetchLogoutNoCors"])

		// Every forged POST reached the app with the session's cookies, and
		// the app refused it. The extra-info events can trail the page.
		const forged = 4
		deadline := time.Now().Add(10 * time.Second)
		var posts []sent
		for {
			posts = log.posts()
			complete := len(posts) >= forged
			for _, s := range posts {
				complete = complete && s.status != 0
			}
			if complete || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, s := range posts {
			t.Logf("forged %s %s (%s): cookies %v, status %d", s.method, s.url, s.typ, s.cookies, s.status)
		}
		assert.Len(t, posts, forged, "the browser sent every forged POST: %+v", posts)
		for _, s := range posts {
			assert.Equal(t, int64(http.StatusForbidden), s.status, "%s %s is refused", s.method, s.url)
			switch strings.TrimPrefix(s.url, base) {
			case "/logout":
				assert.Contains(t, s.cookies, "access_token", "%s carried the access cookie (SameSite=Lax, same site)", s.url)
			case "/refresh":
				assert.Contains(t, s.cookies, "refresh_token", "%s carried the refresh cookie (SameSite=Strict, same site)", s.url)
			default:
				t.Errorf("unexpected POST %s", s.url)
			}
			// The form's answer loaded in the iframe: the browser keeps its
			// body, the CSRF refusal.
			if s.typ == network.ResourceTypeDocument {
				res := run(t, ctx, func(ctx context.Context, tg *chromedp.Target) (network.GetResponseBodyResult, error) {
					return cdp.Call(ctx, tg, network.GetResponseBody, network.GetResponseBodyParams{RequestID: s.id})
				})
				var answer map[string]any
				assert.NoError(t, json.Unmarshal(res.Body, &answer), "the answer is JSON: %s", res.Body)
				assert.Equal(t, "csrf", answer["error"], "the app refused the forged form: %s", res.Body)
			}
		}
		assert.True(t, slices.ContainsFunc(posts, func(s sent) bool { return s.typ == network.ResourceTypeDocument }), "the forged form was posted")

		// The session lives on, its cookies untouched.
		p = openApp(t, ctx, base)
		after := p.cookies(t)
		for _, name := range []string{"access_token", "refresh_token", "csrf_token"} {
			if assert.NotNil(t, after[name], name) && before[name] != nil {
				assert.Equal(t, before[name].Value, after[name].Value, "%s is unchanged", name)
			}
		}
		out, body := p.click(t, "me")
		assert.True(t, strings.HasPrefix(out, "200 GET /api/me\n"), "me after the attack: %q", out)
		assert.Equal(t, "alice", body["sub"])
		// The same cookies do log out from the app's own page.
		out, _ = p.click(t, "logout")
		assert.Equal(t, "204 POST /logout\n", out, "logout from the app's page")
		out, _ = p.click(t, "me")
		assert.True(t, strings.HasPrefix(out, "401 GET /api/me\n"), "me after logout: %q", out)
	})
}
