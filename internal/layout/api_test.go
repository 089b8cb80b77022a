package layout

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxCoreNames is the most exported top-level names package jwtgate (./core)
// may have: what an application writes (New, Config, keys, Token and claims
// access, errors, stores' interfaces, policy, the Observer). What only
// adapter authors need is in core/adapt, DPoP's configuration in core/dpop,
// the algorithms in core/signing.
const maxCoreNames = 45

// TestCoreNames counts package jwtgate's exported top-level names — every
// const, var, type and func, one per name — and fails above maxCoreNames, so
// that the face of the package an application reads stays small.
func TestCoreNames(t *testing.T) {
	names := exportedNames(t, filepath.Join(repoRoot(t), "core"))
	t.Logf("package jwtgate exports %d top-level names: %s", len(names), strings.Join(names, " "))
	assert.LessOrEqual(t, len(names), maxCoreNames, "package jwtgate's exported top-level names; move what only adapters need to core/adapt")
	// The counter itself: a package with a grouped const, a var pair, a
	// type, a method (not counted) and an unexported func.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.go"), []byte(`package p
const (
	A = iota
	B
	c
)
var X, Y int
type T struct{}
func (T) M() {}
func f() {}
func F() {}
`), 0o644))
	assert.Equal(t, []string{"A", "B", "F", "T", "X", "Y"}, exportedNames(t, dir))
}

// exportedNames lists the exported top-level names of the package in dir,
// tests aside.
func exportedNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	fset := token.NewFileSet()
	var names []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names = append(names, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names = append(names, n.Name)
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// adapterPairs are the adapters of two majors of one framework: each pair's
// files (the middleware, the endpoints) must be the same program once the
// framework's names are normalised. What truly differs between the majors
// lives in each adapter's framework.go, which is not compared.
var adapterPairs = []struct {
	older, newer string
	files        []string
	normalise    [][2]string // in the newer file: regexp → replacement
}{
	{
		older: "echo", newer: "echov5",
		files: []string{"echojwt.go", "endpoints.go"},
		normalise: [][2]string{
			{`"github.com/labstack/echo/v5"`, `"github.com/labstack/echo/v4"`},
			{`\*echo\.Context\b`, `echo.Context`},
		},
	},
	{
		older: "fiber", newer: "fiberv3",
		files: []string{"fiberjwt.go", "endpoints.go"},
		normalise: [][2]string{
			{`"github.com/gofiber/fiber/v3"`, `"github.com/gofiber/fiber/v2"`},
			{`"github.com/gofiber/utils/v2"`, `"github.com/gofiber/fiber/v2/utils"`},
			{`\bfiber\.Ctx\b`, `*fiber.Ctx`},
		},
	},
}

// TestAdapterPairs: the v4 and v5 Echo adapters, and the v2 and v3 Fiber
// ones, differ only in the framework's types. Each pair's files are parsed
// without their comments (the docs name each major's own behaviour),
// printed, and compared after the newer major's names are mapped to the
// older's: a fix made to one adapter and not the other fails here.
func TestAdapterPairs(t *testing.T) {
	root := repoRoot(t)
	for _, p := range adapterPairs {
		for _, f := range p.files {
			older := code(t, filepath.Join(root, p.older, f), nil)
			newer := code(t, filepath.Join(root, p.newer, f), p.normalise)
			assert.Equal(t, older, newer, "%s/%s and %s/%s differ in more than the framework's names", p.older, f, p.newer, f)
		}
	}
	// The comparison itself: a difference outside the names is found.
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.go"), filepath.Join(dir, "b.go")
	require.NoError(t, os.WriteFile(a, []byte("package p\n\n// v4\nfunc f(c echo.Context) int { return 1 }\n"), 0o644))
	require.NoError(t, os.WriteFile(b, []byte("package p\n\n// v5, other docs\nfunc f(c *echo.Context) int { return 1 }\n"), 0o644))
	norm := adapterPairs[0].normalise
	assert.Equal(t, code(t, a, nil), code(t, b, norm), "docs and framework names aside, the same")
	require.NoError(t, os.WriteFile(b, []byte("package p\n\nfunc f(c *echo.Context) int { return 2 }\n"), 0o644))
	assert.NotEqual(t, code(t, a, nil), code(t, b, norm), "a changed body differs")
}

// code returns the file at path without comments, as gofmt prints it,
// after applying the normalising replacements to its source.
func code(t *testing.T, path string, normalise [][2]string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, n := range normalise {
		src = regexp.MustCompile(n[0]).ReplaceAll(src, []byte(n[1]))
	}
	src = regexp.MustCompile(`\*\*`).ReplaceAll(src, []byte("*")) // a pointer normalised twice
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	require.NoError(t, err, path)
	var b bytes.Buffer
	require.NoError(t, printer.Fprint(&b, fset, f))
	return b.String()
}

// repoRoot is the repository's root, two directories up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}
