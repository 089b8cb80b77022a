package release

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/exp/apidiff"
)

// TestAPICompatibility is the API gate. For every published module with
// importable packages (not main, not internal), it compares the API of
// those packages now (LoadAPI) with the module's snapshot in api/ (the API
// of the last release; before the first release, the snapshot `make api`
// took) using golang.org/x/exp/apidiff, and fails on every incompatible
// change that the topmost section of CHANGELOG.md does not name.
//
// The rule: an incompatible change (what apidiff calls one: a name removed,
// a signature or a type changed, a method added to an interface, …) is
// named in the topmost section by its package-qualified name
// (QualifiedName): the package's path below github.com/jwtgate/jwtgate, a
// dot, then the name apidiff gives, a method or a field after its type, a
// pointer receiver's type without the star: core.Config.Keys, gin.New,
// core.Authenticator.Check, core/jwks.Remote; a removed package by its path,
// core/jwks. A module without a snapshot is new since the last release and
// has nothing to break; a snapshot of no module fails the test.
// scripts/release.sh writes the snapshots of the release it makes.
func TestAPICompatibility(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("type-checks every published module with the go command")
	}
	root := repoRoot(t)
	mods, err := Modules(root)
	require.NoError(t, err)
	api, err := LoadAPI(root, mods)
	require.NoError(t, err)
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	require.NoError(t, err)

	snapshots := map[string]bool{}
	for _, m := range mods {
		now := api[m.Path]
		if now == nil {
			continue
		}
		name := SnapshotFile(m.Dir)
		snapshots[path.Base(name)] = true
		t.Run(m.Dir, func(t *testing.T) {
			f, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
			if os.IsNotExist(err) {
				t.Skipf("no %s: %s is new since the last release", name, m.Path)
			}
			require.NoError(t, err)
			defer f.Close()
			old, err := ReadSnapshot(f)
			require.NoError(t, err, name)
			require.Equal(t, m.Path, old.Path, "%s is the snapshot of %s", name, m.Path)
			breaks := Breaks(RepoPath, old, now)
			for _, b := range breaks {
				t.Logf("incompatible: %s", b)
			}
			var list strings.Builder
			for _, b := range Unlisted(breaks, string(changelog)) {
				list.WriteString("\n\t" + b.String())
			}
			assert.Empty(t, list.String(), "incompatible changes to the API of %s since the last release (%s) that CHANGELOG.md's topmost section does not name; name each as shown first (see this test's doc):%s", m.Path, name, list.String())
		})
	}
	entries, err := os.ReadDir(filepath.Join(root, APIDir))
	require.NoError(t, err)
	for _, e := range entries {
		assert.True(t, snapshots[e.Name()], "%s/%s is the snapshot of no published module with an API: `make api` removes it", APIDir, e.Name())
	}
}

// fixture type-checks the fixture package in testdata/apidiff/dir (no
// imports) as example.com/fixture.
func fixture(t *testing.T, dir string) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	matches, err := filepath.Glob(filepath.Join("testdata", "apidiff", dir, "*.go"))
	require.NoError(t, err)
	var files []*ast.File
	for _, m := range matches {
		f, err := parser.ParseFile(fset, m, nil, 0)
		require.NoError(t, err)
		files = append(files, f)
	}
	p, err := new(types.Config).Check("example.com/fixture", fset, files, nil)
	require.NoError(t, err)
	return p
}

// TestAPIGate proves the gate on a fixture: testdata/apidiff/new breaks
// testdata/apidiff/old three ways (Parse's signature, Options.Retries and
// Client.Close removed) and adds Dial. The gate finds the three, through a
// snapshot written and read back as api/ holds them, and fails unless the
// changelog's topmost section names each.
func TestAPIGate(t *testing.T) {
	old, now := fixture(t, "old"), fixture(t, "new")
	var snap bytes.Buffer
	require.NoError(t, WriteSnapshot(&snap, &apidiff.Module{Path: "example.com/fixture", Packages: []*types.Package{old}}))
	assert.Contains(t, snap.String(), "\nfunc Parse(s string) (int, error)\n", "the snapshot lists the API for people to read")
	assert.Contains(t, snap.String(), "\n\tfunc (*Client).Close() error\n")
	released, err := ReadSnapshot(&snap)
	require.NoError(t, err)
	require.Equal(t, "example.com/fixture", released.Path)

	breaks := Breaks("example.com", released, &apidiff.Module{Path: "example.com/fixture", Packages: []*types.Package{now}})
	var names []string
	for _, b := range breaks {
		names = append(names, b.Name)
	}
	assert.ElementsMatch(t, []string{"fixture.Parse", "fixture.Options.Retries", "fixture.Client.Close"}, names, "the incompatible changes, and only those (Dial is compatible)")

	names = nil
	for _, b := range Unlisted(breaks, "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- `fixture.Dial`.\n") {
		names = append(names, b.Name)
	}
	assert.ElementsMatch(t, []string{"fixture.Parse", "fixture.Options.Retries", "fixture.Client.Close"}, names, "none listed: the gate fails on all three")

	listed := "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- `fixture.Parse` takes a base.\n\n### Removed\n\n" +
		"- `fixture.Options.Retries`, and fixture.Client.Close.\n\n## [0.1.0] - 2026-12-01\n"
	assert.Empty(t, Unlisted(breaks, listed), "each named in the topmost section: the gate passes")

	older := "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- `fixture.Parse` takes a base; `fixture.Options` changed.\n\n" +
		"## [0.1.0] - 2026-12-01\n\n- `fixture.Options.Retries`, `fixture.Client.Close`.\n"
	names = nil
	for _, b := range Unlisted(breaks, older) {
		names = append(names, b.Name)
	}
	assert.ElementsMatch(t, []string{"fixture.Options.Retries", "fixture.Client.Close"}, names,
		"a name in an older section does not count, nor does its type's name for a field")

	gone := Breaks("example.com", released, &apidiff.Module{Path: "example.com/fixture"})
	require.Len(t, gone, 1)
	assert.Equal(t, "fixture", gone[0].Name, "a removed package is named by its path")
}

func TestQualifiedName(t *testing.T) {
	for _, tc := range []struct{ pkg, message, want string }{
		{RepoPath + "/core", "Config.Keys: removed", "core.Config.Keys"},
		{RepoPath + "/core", "(*Authenticator).Check: changed from func() to func(int)", "core.Authenticator.Check"},
		{RepoPath + "/core", "(*Cache[K, V]).Get: removed", "core.Cache.Get"},
		{RepoPath + "/core/jwks", "Remote: removed", "core/jwks.Remote"},
		{RepoPath + "/gin", "New: changed from func(Config) gin.HandlerFunc to func() gin.HandlerFunc", "gin.New"},
		{RepoPath + "/core", "Store, method set of *MemoryStore: removed Put", "core.Store"},
		{RepoPath + "/core", "./issuing.Grant: removed", "core/issuing.Grant"},
	} {
		assert.Equal(t, tc.want, QualifiedName(RepoPath, tc.pkg, tc.message), "%s in %s", tc.message, tc.pkg)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		text, name string
		want       bool
	}{
		{"- `core.HMAC` takes a key.", "core.HMAC", true},
		{"- removed core.HMAC.", "core.HMAC", true},
		{"- removed core.HMAC", "core.HMAC", true},
		{"- `core.HMACKey`", "core.HMAC", false},
		{"- `core.HMAC.Size`", "core.HMAC", false},
		{"- `xcore.HMAC`", "core.HMAC", false},
		{"- `jwtcore/core.HMAC`", "core.HMAC", false},
		{"- core.Config.Keys, then `core.Config`", "core.Config", true},
	} {
		assert.Equal(t, tc.want, Names(tc.text, tc.name), "%q in %q", tc.name, tc.text)
	}
}

func TestTopSection(t *testing.T) {
	log := "# Changelog\n\nintro `core.A`\n\n## [Unreleased]\n\n- `core.B`\n\n## [0.1.0] - 2026-12-01\n\n- `core.C`\n"
	assert.Equal(t, "## [Unreleased]\n\n- `core.B`\n\n", TopSection(log))
}
