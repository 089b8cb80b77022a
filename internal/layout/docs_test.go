package layout

import (
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxReadmeLines bounds README.md: it is the front page a newcomer reads in
// ten minutes (what and why, the two commands, install, a quick start per
// framework, the answers, the links); each reference topic has its page
// under docs/.
const maxReadmeLines = 400

// goFence is a fenced Go block of a Markdown file.
var goFence = regexp.MustCompile("(?s)```go\n(.*?)```")

// docBlock is one Go block of a page, with the line of the page its first
// line of code is on.
type docBlock struct {
	page string // relative to the repository's root, slashed
	line int
	src  string
}

// program reports whether the block is a complete program, which a user
// copies whole: it holds a line "package main". Every other Go block is a
// fragment: it leans on names its page defines around it (a store, a key,
// the request's context), so it cannot be built alone.
func (b docBlock) program() bool {
	return strings.HasPrefix(b.src, "package main\n") || strings.Contains(b.src, "\npackage main\n")
}

// name is the block's name for a subtest: its first line when that is a
// comment naming it ("// Echo v5"), else its page and line.
func (b docBlock) name() string {
	if first, ok := strings.CutPrefix(strings.SplitN(b.src, "\n", 2)[0], "// "); ok && !strings.Contains(first, ":") {
		return b.page + "/" + first
	}
	return b.page + ":" + strconv.Itoa(b.line)
}

// docPages are the pages whose Go blocks are built: README.md and every page
// of docs/ (docs/migrating's guides are held to the programs of the module
// docs/migrate by that module's own test).
func docPages(t *testing.T, root string) []string {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append([]string{filepath.Join(root, "README.md")}, pages...)
	require.Greater(t, len(pages), 10, "README.md and the pages of docs/")
	return pages
}

func docBlocks(t *testing.T, root string) []docBlock {
	var blocks []docBlock
	for _, path := range docPages(t, root) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		rel, err := filepath.Rel(root, path)
		require.NoError(t, err)
		for _, m := range goFence.FindAllStringSubmatchIndex(string(data), -1) {
			blocks = append(blocks, docBlock{
				page: filepath.ToSlash(rel),
				line: strings.Count(string(data[:m[2]]), "\n") + 1,
				src:  string(data[m[2]:m[3]]),
			})
		}
	}
	return blocks
}

// docModules are the repository's modules a block may import, by directory
// ("" is the root), each replaced by its directory in this checkout.
var docModules = []string{"", "echo", "echov5", "gin", "fiber", "fiberv3", "grpc", "connect", "core/redisstore", "otel"}

// throwawayModule writes the go.mod of a module that requires the
// repository's modules src imports (the root always), each replaced by its
// directory in this checkout, as a user with a clone would.
func throwawayModule(t *testing.T, dir, root, src string) {
	t.Helper()
	var mod strings.Builder
	mod.WriteString("module example.com/readme\n\ngo 1.26\n")
	for _, m := range docModules {
		path := strings.TrimSuffix("github.com/jwtgate/jwtgate/"+m, "/")
		if m == "" || strings.Contains(src, `"`+path+`"`) || strings.Contains(src, `"`+path+`/`) {
			mod.WriteString("require " + path + " v0.1.0\n")
			mod.WriteString("replace " + path + " => " + filepath.Join(root, m) + "\n")
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod.String()), 0o644))
}

// TestDocPrograms builds every complete program (a Go block holding
// "package main") of README.md and of docs/*.md, each in a throwaway module
// that requires this checkout's modules, as a user who copies it would: a
// program that does not build, fails go vet, or is not gofmt'ed as shown
// fails here rather than in a user's editor. Between them the pages hold a
// complete program for each adapter and interceptor. The fragments are
// TestDocFragments'.
func TestDocPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds throwaway modules with the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	var programs []docBlock
	for _, b := range docBlocks(t, root) {
		if b.program() {
			programs = append(programs, b)
		}
	}
	for _, adapter := range []string{"nethttp", "echo", "echov5", "gin", "fiber", "fiberv3", "grpc", "connect"} {
		found := false
		for _, p := range programs {
			found = found || strings.Contains(p.src, `"github.com/jwtgate/jwtgate/`+adapter+`"`)
		}
		assert.True(t, found, "no complete program in README.md or docs/*.md imports github.com/jwtgate/jwtgate/%s", adapter)
	}
	for _, p := range programs {
		t.Run(p.name(), func(t *testing.T) {
			t.Parallel()
			formatted, err := format.Source([]byte(p.src))
			require.NoError(t, err, "%s:%d", p.page, p.line)
			assert.Equal(t, string(formatted), p.src, "%s:%d: the program is gofmt'ed as shown", p.page, p.line)
			dir := t.TempDir()
			throwawayModule(t, dir, root, p.src)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(p.src), 0o644))
			gocmd(t, dir, "mod", "tidy")
			gocmd(t, dir, "vet", "./...")
			gocmd(t, dir, "build", "./...")
		})
	}
}

// fragmentImports are the packages a fragment may name, by the name the
// pages use for each: every package of the repository's modules a user may
// import (docModules), by its package name, and the others the pages use.
// A fragment has no import lines; it gets those of the names it uses. Two
// packages of one name (echojwt for Echo v4 and v5) are the one of the
// shorter import path. A package of the repository missing here would let a
// fragment's stale name pass for a name its page leaves free.
func fragmentImports(t *testing.T, root string) map[string]string {
	imports := map[string]string{
		"jwt":         "github.com/golang-jwt/jwt/v5",
		"grpc":        "google.golang.org/grpc",
		"credentials": "google.golang.org/grpc/credentials",
		"connect":     "connectrpc.com/connect",
		"redis":       "github.com/redis/go-redis/v9",
		"context":     "context",
		"errors":      "errors",
		"fmt":         "fmt",
		"http":        "net/http",
		"log":         "log",
		"slog":        "log/slog",
		"os":          "os",
		"time":        "time",
		"tls":         "crypto/tls",
	}
	modules := map[string]bool{}
	for _, m := range docModules {
		modules[strings.TrimSuffix("github.com/jwtgate/jwtgate/"+m, "/")] = true
	}
	ours := map[string]string{}
	for path, p := range readPackages(t, root) {
		if p.doc.Name == "main" || strings.Contains(path+"/", "/internal/") {
			continue
		}
		inModule := false
		for mod := range modules {
			inModule = inModule || path == mod || strings.HasPrefix(path, mod+"/") && !nestedModule(root, path, mod)
		}
		if !inModule {
			continue
		}
		if prev, ok := ours[p.doc.Name]; !ok || len(path) < len(prev) {
			ours[p.doc.Name] = path
		}
	}
	require.Contains(t, ours, "jwtgate", "the core among the repository's packages")
	for name, path := range ours {
		imports[name] = path
	}
	return imports
}

// nestedModule reports whether the package path, under module mod, lies in
// a module of its own (a directory between them holds a go.mod): bench and
// examples modules are no part of what a user imports.
func nestedModule(root, path, mod string) bool {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, mod), "/")
	base := filepath.Join(root, strings.TrimPrefix(strings.TrimPrefix(mod, "github.com/jwtgate/jwtgate"), "/"))
	for d := rel; d != "." && d != ""; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(base, d, "go.mod")); err == nil {
			return true
		}
	}
	return false
}

// freeNameErrors are the compiler's complaints that a fragment leaves to its
// page: a name the page defines around it ("undefined: store"), a result it
// does not use, a variable two examples on one page both declare, a
// function body cut short.
var freeNameErrors = regexp.MustCompile(`^undefined: [\pL_][\pL\pN_]*$|^declared and not used|imported (as \S+ )?and not used$|` +
	`^no new variables on left side of :=$|is not used$|^missing return$|^too many errors$`)

// redeclared is the compiler's complaint about a line that declares again,
// with ":=", a name an earlier line of the fragment declared: a page that
// shows alternatives one under the other (a key set, or else keys by
// issuer). On such a line, an assignment of another type is forgiven too.
const redeclared = "no new variables on left side of :="

// otherType is the compiler's complaint about assigning a value of another
// type.
var otherType = regexp.MustCompile(`^cannot use .* in assignment$`)

// compilerError is a line of the compiler's output: file, line, message.
var compilerError = regexp.MustCompile(`^(?:\./)?(f\d+)/main\.go:(\d+):\d+: (.*)$`)

// TestDocFragments holds every Go block of README.md and docs/*.md that is
// no complete program (a fragment) to the code it shows. A fragment must
// parse as Go — as declarations, or as the statements of a function body —
// and it is type-checked in a throwaway module with the packages it names
// imported and the names its page defines around it left undefined: every
// package-qualified name, field, method and argument it uses must exist and
// fit today's API. Only what a fragment leaves to its page is forgiven
// (freeNameErrors).
func TestDocFragments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a throwaway module with the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	imports := fragmentImports(t, root)
	dir := t.TempDir()
	type placed struct {
		block  docBlock
		offset int // lines of main.go before the block's first line
	}
	files := map[string]placed{}
	var all strings.Builder
	n := 0
	for _, b := range docBlocks(t, root) {
		if b.program() {
			continue
		}
		n++
		declarations := true
		if _, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+b.src, 0); err != nil {
			declarations = false
			_, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() error {\n"+b.src+"\n}\n", 0)
			if !assert.NoError(t, err, "%s:%d: the fragment parses neither as declarations nor as statements", b.page, b.line) {
				continue
			}
		}
		var head strings.Builder
		head.WriteString("package p\n\nimport (\n")
		names := make([]string, 0, len(imports))
		for name := range imports {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if regexp.MustCompile(`\b` + name + `\.`).MatchString(b.src) {
				fmt.Fprintf(&head, "\t%s %q\n", name, imports[name])
			}
		}
		head.WriteString(")\n\n")
		if !declarations {
			head.WriteString("func _() error {\n")
		}
		src := head.String() + b.src
		if !declarations {
			src += "}\n"
		}
		pkg := fmt.Sprintf("f%03d", n)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, pkg), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, pkg, "main.go"), []byte(src), 0o644))
		files[pkg] = placed{b, strings.Count(head.String(), "\n")}
		all.WriteString(src)
	}
	require.Greater(t, n, 15, "the fragments of README.md and docs/*.md")

	throwawayModule(t, dir, root, all.String())
	gocmd(t, dir, "mod", "tidy")
	// The build fails, with the names the fragments leave to their pages;
	// -e reports every error, not the first ten of each package.
	cmd := exec.Command("go", "build", "-gcflags=-e", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, _ := cmd.CombinedOutput()
	type complaint struct {
		pkg     string
		line    int
		message string
	}
	var complaints []complaint
	redeclaring := map[string]bool{} // "pkg:line" of the lines that declare a name again
	var wrong []string
	for _, line := range strings.Split(string(out), "\n") {
		m := compilerError.FindStringSubmatch(line)
		if m == nil {
			if line != "" && !strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "go: downloading ") {
				wrong = append(wrong, line) // not the compiler's: the build itself failed
			}
			continue
		}
		l, _ := strconv.Atoi(m[2])
		complaints = append(complaints, complaint{m[1], l, m[3]})
		if m[3] == redeclared {
			redeclaring[m[1]+":"+m[2]] = true
		}
	}
	for _, c := range complaints {
		if freeNameErrors.MatchString(c.message) ||
			otherType.MatchString(c.message) && redeclaring[c.pkg+":"+strconv.Itoa(c.line)] {
			continue
		}
		p, ok := files[c.pkg]
		require.True(t, ok, "the compiler's complaint about %s", c.pkg)
		wrong = append(wrong, fmt.Sprintf("%s:%d: %s", p.block.page, p.block.line+c.line-1-p.offset, c.message))
	}
	sort.Strings(wrong)
	assert.Empty(t, wrong, "fragments that do not fit the API they show")
}

// TestReadmeLength: README.md stays the front page, under maxReadmeLines
// lines; reference belongs on a page of docs/.
func TestReadmeLength(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	lines := strings.Count(string(readme), "\n")
	assert.Less(t, lines, maxReadmeLines, "README.md has %d lines: move reference to a page of docs/", lines)
}
