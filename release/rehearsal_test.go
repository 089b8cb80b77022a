package release

import (
	"bufio"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// program returns the directory under testdata/rehearsal of the rehearsal's
// program for the module in dir: nethttp for the root module (the core and
// its net/http adapter), the directory's last element for the others.
func program(dir string) string {
	if dir == "." {
		return "nethttp"
	}
	return path.Base(dir)
}

// answers are what each program prints: the answer to a request with the
// minted token (its status and the subject the handler saw), then to one
// without.
var answers = map[string]string{
	"grpc":    "OK Unauthenticated",
	"connect": "ok alice unauthenticated",
}

const httpAnswer = "200 alice 401"

// TestRehearsal proves that the modules can be used as published, before
// they are: it serves every published module of this checkout from a module
// proxy on disk as though the checkout were tagged at the version the
// go.mod files name (BuildProxy: golang.org/x/mod/zip's zips, .info and .mod
// files), then, in an empty module in a temporary directory, with no
// workspace and no replace, as a user would:
//
//   - runs `go get <module>@latest`, the README's line, for each module
//     (the root module: the core, the net/http adapter, extractors, issuing
//     and JWKS; every adapter; core/redisstore; otel; grpc; connect), each
//     of which must resolve to that version;
//   - runs `go install github.com/jwtgate/jwtgate/cmd/jwtgate@<version>`,
//     which the go command refuses if the CLI's go.mod holds a replace;
//   - builds one small program per module (testdata/rehearsal; a published
//     module without one fails the test), mints a token with the installed
//     CLI, and runs each program: it answers a request with the token 200
//     (gRPC: OK; Connect: ok) and one without 401 (Unauthenticated). The
//     Redis store's program needs redis-server, on a unix socket; without
//     one it is skipped, unless JWTGATE_REQUIRE_REDIS=1.
//
// GOPROXY is file://<the proxy>, then the module cache's download directory
// (read as a proxy, never written), then the usual GOPROXY (go env), so that
// every other module comes from where the go command gets it anyway; the
// module's go.sum starts with the workspace's checksums (knownSums). The
// go command runs with a module cache of its own (the rehearsal's v<version>
// must not land in the real one, where it would shadow the release itself),
// -trimpath (so that the build cache serves the next run, whatever the
// temporary paths), -mod=mod, and GONOSUMDB for the repository's modules,
// which no checksum database knows yet.
func TestRehearsal(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a module proxy and programs with the go command")
	}
	start := time.Now()
	root := repoRoot(t)
	mods, err := Modules(root)
	require.NoError(t, err)
	version, err := Version(mods)
	require.NoError(t, err)

	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	served, err := BuildProxy(root, mods, version, proxy)
	require.NoError(t, err)

	usual := goEnv(t, "GOPROXY")
	cache := filepath.Join(goEnv(t, "GOMODCACHE"), "cache", "download")
	nosumdb := "github.com/jwtgate/jwtgate"
	if v := goEnv(t, "GONOSUMDB"); v != "" {
		nosumdb += "," + v
	}
	app, bin := filepath.Join(tmp, "app"), filepath.Join(tmp, "bin")
	require.NoError(t, os.MkdirAll(app, 0o755))
	environ := env([]string{
		"GOWORK=off",
		"GOFLAGS=-mod=mod -modcacherw -trimpath",
		"GOPROXY=" + fileURL(proxy) + "," + fileURL(cache) + "," + usual,
		"GOMODCACHE=" + filepath.Join(tmp, "modcache"),
		"GONOSUMDB=" + nosumdb,
		"GOBIN=" + bin,
	}, "GOPRIVATE", "GONOPROXY")
	gocmd := func(args ...string) string { return run(t, app, environ, "go", args...) }
	t.Logf("the proxy serves %d modules at %s (%s)", len(served), version, time.Since(start).Round(time.Millisecond))

	gocmd("mod", "init", "example.com/rehearsal")
	require.NoError(t, os.WriteFile(filepath.Join(app, "go.sum"), knownSums(t, root, mods), 0o644))
	var programs []string
	for _, m := range mods {
		if !m.Published() || m.Dir == CLIDir {
			continue
		}
		step := time.Now()
		gocmd("get", m.Path+"@latest")
		listed := strings.Fields(gocmd("list", "-m", m.Path))
		assert.Equal(t, []string{m.Path, version}, listed, "go get %s@latest resolves the release", m.Path)
		name := program(m.Dir)
		src, err := os.ReadFile(filepath.Join("testdata", "rehearsal", name, "main.go"))
		require.NoError(t, err, "the published module %s has a program in testdata/rehearsal/%s", m.Path, name)
		require.NoError(t, os.MkdirAll(filepath.Join(app, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(app, name, "main.go"), src, 0o644))
		programs = append(programs, name)
		t.Logf("go get %s@latest (%s)", m.Path, time.Since(step).Round(time.Millisecond))
	}

	step := time.Now()
	gocmd("install", RepoPath+"/"+CLIDir+"@"+version)
	cli := filepath.Join(bin, "jwtgate")
	assert.Contains(t, gocmd("version", "-m", cli), "\tmod\t"+RepoPath+"/"+CLIDir+"\t"+version+"\t", "the installed CLI is the release's")
	t.Logf("go install %s/%s@%s (%s)", RepoPath, CLIDir, version, time.Since(step).Round(time.Millisecond))

	step = time.Now()
	gocmd("build", "-o", bin+string(filepath.Separator), "./...")
	t.Logf("go build of %d programs (%s)", len(programs), time.Since(step).Round(time.Millisecond))

	secret := strings.TrimSpace(run(t, app, environ, cli, "gen-secret"))
	token := strings.TrimSpace(run(t, app, env([]string{"JWT_SECRET=" + secret}), cli,
		"mint", "-key-env", "JWT_SECRET", "-iss", "rehearsal", "-aud", "rehearsal-api", "-sub", "alice"))
	for _, name := range programs {
		t.Run(name, func(t *testing.T) {
			redisURL := ""
			if name == "redisstore" {
				redisURL = startRedis(t, tmp)
			}
			out := run(t, app, env([]string{"JWT_SECRET=" + secret, "TOKEN=" + token, "REDIS_URL=" + redisURL}), filepath.Join(bin, name))
			want, ok := answers[name]
			if !ok {
				want = httpAnswer
			}
			assert.Equal(t, want, strings.TrimSpace(out))
		})
	}
	t.Logf("the rehearsal took %s", time.Since(start).Round(time.Millisecond))
}

// knownSums returns the lines of every go.sum of the workspace (and
// go.work.sum), each once: the checksums of the modules the rehearsal's
// module needs are among them, so that the go command need not ask the
// checksum database for each (it does for any that is not).
func knownSums(t *testing.T, root string, mods []Module) []byte {
	t.Helper()
	files := []string{filepath.Join(root, "go.work.sum")}
	for _, m := range mods {
		files = append(files, filepath.Join(root, filepath.FromSlash(m.Dir), "go.sum"))
	}
	seen := map[string]bool{}
	var sums strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		for line := range strings.Lines(string(b)) {
			if !seen[line] && strings.HasSuffix(line, "\n") {
				seen[line] = true
				sums.WriteString(line)
			}
		}
	}
	return []byte(sums.String())
}

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// startRedis starts redis-server on a unix socket in dir, with no
// persistence, and returns its URL; it skips the test when there is no
// redis-server, unless JWTGATE_REQUIRE_REDIS=1. The server stops with the
// test.
func startRedis(t *testing.T, dir string) string {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("JWTGATE_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server is not installed, and JWTGATE_REQUIRE_REDIS=1")
		}
		t.Skip("no redis-server: the Redis store's program is built, not run")
	}
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(server, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--save", "", "--appendonly", "no")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// It says so once it accepts connections ("The server is now ready to
	// accept connections at …", "Ready to accept connections unix"); one
	// that has not in 30 s is stopped, which ends its output.
	stuck := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer stuck.Stop()
	sc := bufio.NewScanner(stdout)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(strings.ToLower(sc.Text()), "ready to accept connections") {
			go func() {
				for sc.Scan() { // drain
				}
			}()
			return "unix://" + sock
		}
	}
	t.Fatalf("redis-server did not start:\n%s", strings.Join(lines, "\n"))
	return ""
}
