package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwtgate "github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwks"
	"github.com/jwtgate/jwtgate/examples/internal/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCopiedExamplesBuild copies each example's files (main.go, and
// index.html where there is one: nothing else) into an empty module in a
// temporary directory outside the repository, requires this checkout's
// library modules there (replace directives, as a user's go get would fetch
// them), runs go mod tidy and go build outside the workspace, and runs the
// binary: the token-issuing apps through the contract walk, the JWKS server
// against a key set of the test's. An example that imported anything the
// copy lacks (examples/internal, a sibling file) would fail here; the last
// subtest shows that it does.
func TestCopiedExamplesBuild(t *testing.T) {
	t.Parallel()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			bin, err := buildCopy(t, repo, a.name)
			require.NoError(t, err)
			p := startBinary(t, a.name+" (copy)", bin)
			contract.Walk(t, contract.App{Base: p.base, Secret: secret, Issuer: "jwtgate-example", Audience: "jwtgate-example-api"})
		})
	}
	t.Run("jwks", func(t *testing.T) {
		t.Parallel()
		bin, err := buildCopy(t, repo, "jwks")
		require.NoError(t, err)
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		issuer := httptest.NewServer(jwks.Handler(time.Minute, &jwtgate.Key{ID: "k", Algorithm: "ES256", VerifyKey: &key.PublicKey, SignKey: key}))
		t.Cleanup(issuer.Close)
		api := startBinary(t, "jwks (copy)", bin, "JWKS_URL="+issuer.URL).client()
		tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "jwtgate-example", "aud": "jwtgate-example-api", "sub": "carol", "exp": time.Now().Add(time.Minute).Unix(),
		}).SignedString(key)
		require.NoError(t, err)
		assert.Equal(t, 200, api.me(tok))
		assert.Equal(t, 401, api.me(""))
	})
	t.Run("an import the copy lacks fails", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(
			"package main\n\nimport _ \"github.com/jwtgate/jwtgate/examples/internal/contract\"\n\nfunc main() {}\n"), 0o644))
		_, err := buildIn(t, repo, dir)
		require.Error(t, err, "a copy that imports the examples module's internal package must not build")
		assert.ErrorContains(t, err, "examples/internal/contract")
	})
}

// buildCopy copies examples/<name>'s main.go and index.html into an empty
// directory and builds them there as a module of their own.
func buildCopy(t *testing.T, repo, name string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	for _, file := range []string{"main.go", "index.html"} {
		b, err := os.ReadFile(filepath.Join(repo, "examples", name, file))
		if os.IsNotExist(err) && file != "main.go" {
			continue
		}
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), b, 0o644))
	}
	return buildIn(t, repo, dir)
}

// buildIn writes a go.mod in dir that requires the library modules dir's
// main.go imports, each replaced by this checkout's directory (and the root
// module always: the adapters require it), then runs go mod tidy and go
// build with no workspace. It returns the binary, or the first failure with
// the go command's output.
func buildIn(t *testing.T, repo, dir string) (string, error) {
	t.Helper()
	paths := map[string]string{} // module path → directory
	for _, d := range workspaceModules(t, repo) {
		b, err := os.ReadFile(filepath.Join(repo, d, "go.mod"))
		require.NoError(t, err)
		first, _, _ := strings.Cut(string(b), "\n")
		path, ok := strings.CutPrefix(first, "module ")
		require.True(t, ok, "%s/go.mod starts with its module line", d)
		paths[strings.TrimSpace(path)] = filepath.Join(repo, d)
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, "main.go"), nil, parser.ImportsOnly)
	require.NoError(t, err)
	need := map[string]bool{"github.com/jwtgate/jwtgate": true}
	for _, imp := range f.Imports {
		pkg, _ := strconv.Unquote(imp.Path.Value)
		best := ""
		for mod := range paths {
			if (pkg == mod || strings.HasPrefix(pkg, mod+"/")) && len(mod) > len(best) {
				best = mod
			}
		}
		if best != "" {
			need[best] = true
		}
	}
	var gomod strings.Builder
	gomod.WriteString("module example.com/app\n\ngo 1.26.0\n\n")
	for mod := range need {
		fmt.Fprintf(&gomod, "require %s v0.1.0\n", mod)
		fmt.Fprintf(&gomod, "replace %s => %s\n", mod, paths[mod])
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod.String()), 0o644))

	bin := filepath.Join(dir, "app")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s in a copy: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin, nil
}

// workspaceModules returns the directories of the modules go.work uses,
// but the examples' own: what a copy of an example may require.
func workspaceModules(t *testing.T, repo string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "go.work"))
	require.NoError(t, err)
	var dirs []string
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "use "))
		if len(f) == 1 && (f[0] == "." || strings.HasPrefix(f[0], "./")) && f[0] != "./examples" {
			dirs = append(dirs, f[0])
		}
	}
	require.Contains(t, dirs, ".", "go.work uses the root module")
	return dirs
}
