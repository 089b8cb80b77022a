package release

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeInstall ties the README's install section to the rehearsal: every
// module its `go get …@latest` lines and its module table name is a
// published module of the workspace — one TestRehearsal fetches from the
// proxy as though tagged, builds a program for and asks one request of — and
// every published module is named there, the CLI by its `go install` line.
// A module added without a line in the README, or a line naming a module
// that does not exist, fails here.
func TestReadmeInstall(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	mods, err := Modules(root)
	require.NoError(t, err)
	var published []string
	for _, m := range mods {
		if m.Published() {
			published = append(published, m.Path)
		}
	}

	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`go get (github\.com/jwtgate/jwtgate[a-z0-9/]*)@latest`).FindAllSubmatch(readme, -1) {
		named[string(m[1])] = true
	}
	for _, m := range regexp.MustCompile("\\| `(github\\.com/jwtgate/jwtgate[a-z0-9/]*)` \\|").FindAllSubmatch(readme, -1) {
		named[string(m[1])] = true
	}
	install := regexp.MustCompile(`go install (github\.com/jwtgate/jwtgate/[a-z0-9/]+)@latest`).FindAllSubmatch(readme, -1)
	require.NotEmpty(t, install, "the README's go install line of the command-line tool")
	for _, m := range install {
		assert.Equal(t, RepoPath+"/"+CLIDir, string(m[1]), "what go install installs is the CLI's module")
		named[string(m[1])] = true
	}
	require.NotEmpty(t, named, "the README's install section")
	for path := range named {
		assert.True(t, slices.Contains(published, path), "README.md names %s, which is no published module of the workspace", path)
	}
	for _, path := range published {
		assert.True(t, named[path], "the published module %s has no go get line or row in README.md's install section", path)
	}
}
