package layout

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forbidden are module path prefixes that a module graph may hold only when
// the import asks for them.
var forbidden = map[string]string{
	"gin":      "github.com/gin-gonic/",
	"echo":     "github.com/labstack/echo",
	"fiber":    "github.com/gofiber/",
	"fasthttp": "github.com/valyala/fasthttp",
	"redis":    "github.com/redis/",
	"browser":  "github.com/chromedp/",
	"mongodb":  "go.mongodb.org/",
	"quic":     "github.com/quic-go/",
	"sql":      "github.com/lib/pq",
	"otel":     "go.opentelemetry.io/",
	"grpc":     "google.golang.org/grpc",
	"connect":  "connectrpc.com/",
}

// TestModuleGraphs builds a throwaway module for each way a service uses
// jwtgate — the core and net/http adapter alone, each framework adapter, the
// Redis store — with replace directives to this checkout, and fails if its
// module graph (go list -m all, what licence and dependency scanners read)
// holds a framework, a Redis client, a browser driver or a database driver
// that the import does not need. One go.mod per integration is what makes
// this hold.
func TestModuleGraphs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds throwaway modules with the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		imports []string
		modules []string // this repository's modules the throwaway requires, besides the root
		allowed []string // keys of forbidden the import needs
	}{
		{name: "core and net/http", imports: []string{"github.com/jwtgate/jwtgate/core", "github.com/jwtgate/jwtgate/nethttp", "github.com/jwtgate/jwtgate/core/jwks", "github.com/jwtgate/jwtgate/core/issuing"}},
		{name: "echo", imports: []string{"github.com/jwtgate/jwtgate/echo"}, modules: []string{"echo"}, allowed: []string{"echo"}},
		{name: "gin", imports: []string{"github.com/jwtgate/jwtgate/gin"}, modules: []string{"gin"}, allowed: []string{"gin", "quic", "mongodb"}},
		{name: "fiber", imports: []string{"github.com/jwtgate/jwtgate/fiber"}, modules: []string{"fiber"}, allowed: []string{"fiber", "fasthttp"}},
		{name: "echo v5", imports: []string{"github.com/jwtgate/jwtgate/echov5"}, modules: []string{"echov5"}, allowed: []string{"echo"}},
		{name: "fiber v3", imports: []string{"github.com/jwtgate/jwtgate/fiberv3"}, modules: []string{"fiberv3"}, allowed: []string{"fiber", "fasthttp"}},
		{name: "redis store", imports: []string{"github.com/jwtgate/jwtgate/core/redisstore"}, modules: []string{"core/redisstore"}, allowed: []string{"redis"}},
		{name: "opentelemetry", imports: []string{"github.com/jwtgate/jwtgate/otel"}, modules: []string{"otel"}, allowed: []string{"otel"}},
		// gRPC's own go.mod requires OpenTelemetry (its stats/opentelemetry
		// package), so its graph holds it, whatever jwtgate imports.
		{name: "grpc", imports: []string{"github.com/jwtgate/jwtgate/grpc"}, modules: []string{"grpc"}, allowed: []string{"grpc", "otel"}},
		{name: "connect", imports: []string{"github.com/jwtgate/jwtgate/connect"}, modules: []string{"connect"}, allowed: []string{"connect"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var mod, src strings.Builder
			mod.WriteString("module example.com/service\n\ngo 1.26\n\nrequire github.com/jwtgate/jwtgate v0.1.0\n")
			mod.WriteString("replace github.com/jwtgate/jwtgate => " + root + "\n")
			for _, m := range tc.modules {
				path := "github.com/jwtgate/jwtgate/" + m
				mod.WriteString("require " + path + " v0.1.0\n")
				mod.WriteString("replace " + path + " => " + filepath.Join(root, m) + "\n")
			}
			src.WriteString("package main\n\nimport (\n")
			for _, imp := range tc.imports {
				src.WriteString("\t_ \"" + imp + "\"\n")
			}
			src.WriteString(")\n\nfunc main() {}\n")
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod.String()), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644))
			gocmd(t, dir, "mod", "tidy")
			gocmd(t, dir, "build", "./...")
			graph := gocmd(t, dir, "list", "-m", "all")
			for kind, prefix := range forbidden {
				needed := false
				for _, a := range tc.allowed {
					needed = needed || a == kind
				}
				if !needed {
					assert.NotContains(t, graph, prefix, "%s imports no %s, yet its module graph holds one", tc.name, kind)
				}
			}
			t.Logf("%s: %d modules in the graph", tc.name, strings.Count(graph, "\n"))
		})
	}
}

func gocmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
	return string(out)
}
