package release

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// TestVersions holds the go.mod files to the versioning rules (see the
// package doc): every module requires the repository's other modules at one
// release version; the CLI's module has no replace (nor exclude), which
// `go install …/cmd/jwtgate@version` refuses; every other module replaces
// each of the repository's modules it requires with that module's directory,
// so that it builds with GOWORK=off; a published module requires no
// unpublished one, which no proxy would serve.
func TestVersions(t *testing.T) {
	root := repoRoot(t)
	mods, err := Modules(root)
	require.NoError(t, err)
	version, err := Version(mods)
	require.NoError(t, err)
	t.Logf("every module requires the others at %s", version)

	dirs := map[string]Module{}
	for _, m := range mods {
		dirs[m.Path] = m
	}
	for _, m := range mods {
		t.Run(m.Dir, func(t *testing.T) {
			if m.Dir == CLIDir {
				assert.Empty(t, m.File.Replace, "%s/go.mod has no replace: go install of a module whose go.mod has one fails", m.Dir)
				assert.Empty(t, m.File.Exclude, "%s/go.mod has no exclude: go install of a module whose go.mod has one fails", m.Dir)
			}
			for _, r := range m.Own() {
				dep, ok := dirs[r.Mod.Path]
				if !assert.True(t, ok, "%s requires %s, which is no module of go.work", m.Dir, r.Mod.Path) {
					continue
				}
				if m.Published() {
					assert.True(t, dep.Published(), "the published %s requires %s, which is never published", m.Dir, dep.Dir)
				}
				if m.Dir == CLIDir {
					continue
				}
				i := slices.IndexFunc(m.File.Replace, func(rep *modfile.Replace) bool { return rep.Old.Path == r.Mod.Path })
				if !assert.GreaterOrEqual(t, i, 0, "%s/go.mod replaces %s with its directory, so that the module builds alone", m.Dir, r.Mod.Path) {
					continue
				}
				rep := m.File.Replace[i]
				assert.Empty(t, rep.Old.Version, "%s/go.mod replaces every version of %s", m.Dir, r.Mod.Path)
				assert.Equal(t, dep.Dir, path.Clean(path.Join(m.Dir, rep.New.Path)), "%s/go.mod replaces %s with its directory", m.Dir, r.Mod.Path)
			}
		})
	}
}

// TestReleaseDryRun runs the release command, make release (scripts/release.sh)
// with SKIP_TESTS=1, in a throwaway repository holding this checkout's files
// in one commit, for the next patch version. It must refuse a version above
// v1, a tag that exists, a dirty tree and a failing suite, changing nothing;
// then make one commit in which only the version in the go.mod files'
// requires of the repository's modules, CHANGELOG.md's heading and api/
// changed, leave the tree clean, and print every tag.
func TestReleaseDryRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("copies the checkout and runs the release command")
	}
	root := repoRoot(t)
	mods, err := Modules(root)
	require.NoError(t, err)
	version, err := Version(mods)
	require.NoError(t, err)
	next := nextPatch(t, version)

	repo := filepath.Join(t.TempDir(), "jwtgate")
	files, err := Files(root)
	require.NoError(t, err)
	for _, f := range files {
		from := filepath.Join(root, filepath.FromSlash(f))
		to := filepath.Join(repo, filepath.FromSlash(f))
		info, err := os.Stat(from)
		require.NoError(t, err)
		data, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
		require.NoError(t, os.WriteFile(to, data, info.Mode().Perm()))
	}
	environ := env([]string{
		"GIT_AUTHOR_NAME=jwtgate release test", "GIT_AUTHOR_EMAIL=release-test@example.com",
		"GIT_COMMITTER_NAME=jwtgate release test", "GIT_COMMITTER_EMAIL=release-test@example.com",
		"GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
	}, "GOWORK", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "JWTGATE_RELEASE_SUITE")
	git := func(args ...string) string { return run(t, repo, environ, "git", args...) }
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "the checkout")
	base := strings.TrimSpace(git("rev-parse", "HEAD"))

	refused := func(why string, environ []string, args ...string) {
		t.Helper()
		out, err := try(repo, environ, args[0], args[1:]...)
		require.Error(t, err, "%s: %s", strings.Join(args, " "), out)
		assert.Contains(t, out, why, "%s", strings.Join(args, " "))
		assert.Equal(t, base, strings.TrimSpace(git("rev-parse", "HEAD")), "a refused release commits nothing")
	}
	refused("a major version above v1", environ, "make", "release", "VERSION=v2.0.0", "SKIP_TESTS=1")
	refused("not a semantic version", environ, "make", "release", "VERSION=0.1.1", "SKIP_TESTS=1")
	git("tag", next)
	refused("tag "+next+" exists already", environ, "scripts/release.sh", "--skip-tests", next)
	git("tag", "-d", next)
	require.NoError(t, os.WriteFile(filepath.Join(repo, "scratch.txt"), []byte("work in progress\n"), 0o644))
	refused("the work tree is not clean", environ, "scripts/release.sh", "--skip-tests", next)
	require.NoError(t, os.Remove(filepath.Join(repo, "scratch.txt")))
	refused("the test suite failed", env([]string{"JWTGATE_RELEASE_SUITE=false"}, "GOWORK"), "scripts/release.sh", next)
	assert.Empty(t, git("status", "--porcelain"), "a refused release leaves the tree as it was")
	assert.Empty(t, git("tag", "-l"), "a refused release tags nothing")

	out := run(t, repo, environ, "make", "release", "VERSION="+next, "SKIP_TESTS=1")
	t.Logf("make release VERSION=%s SKIP_TESTS=1:\n%s", next, out)
	tags := Tags(mods, next)
	require.Len(t, tags, len(slices.DeleteFunc(slices.Clone(mods), func(m Module) bool { return !m.Published() })))
	assert.Equal(t, next, tags[0], "the root module's tag first")
	for _, tag := range tags {
		assert.Contains(t, out, "\n  "+tag+"\n", "the tags to push")
	}
	assert.Contains(t, tags, CLIDir+"/"+next)
	assert.Contains(t, tags, "core/redisstore/"+next)
	assert.NotContains(t, out, "\n  examples/", "an unpublished module is not tagged")

	assert.Equal(t, base, strings.TrimSpace(git("rev-parse", "HEAD~1")), "one commit")
	assert.Empty(t, git("status", "--porcelain"), "the release leaves nothing uncommitted")
	assert.Empty(t, git("tag", "-l"), "the release creates no tag: it prints them")
	after, err := Modules(repo)
	require.NoError(t, err)
	v, err := Version(after)
	require.NoError(t, err)
	assert.Equal(t, next, v, "every go.mod names the release")

	own := regexp.MustCompile(`(` + regexp.QuoteMeta(RepoPath) + `(?:/[^\s]+)?) ` + regexp.QuoteMeta(version) + `\b`)
	for name := range strings.Lines(git("diff", "--name-only", "HEAD~1", "HEAD")) {
		name = strings.TrimSpace(name)
		switch {
		case path.Base(name) == "go.mod":
			before, now := git("show", "HEAD~1:"+name), git("show", "HEAD:"+name)
			assert.Equal(t, own.ReplaceAllString(before, "$1 "+next), now, "%s: only the requires' version changed", name)
		case name == "CHANGELOG.md":
			before, now := git("show", "HEAD~1:"+name), git("show", "HEAD:"+name)
			heading := regexp.MustCompile(`\n## \[Unreleased\]\n\n## \[` + regexp.QuoteMeta(strings.TrimPrefix(next, "v")) + `\] - \d{4}-\d\d-\d\d\n`)
			assert.Regexp(t, heading, now, "CHANGELOG.md: [Unreleased] becomes %s's section, and a new one opens", next)
			assert.Equal(t, before, heading.ReplaceAllString(now, "\n## [Unreleased]\n"), "CHANGELOG.md: only the headings changed")
		case strings.HasPrefix(name, APIDir+"/"):
			// The API snapshots become the release's.
		default:
			t.Errorf("the release changed %s", name)
		}
	}
}

// nextPatch returns version with its patch number one more.
func nextPatch(t *testing.T, version string) string {
	t.Helper()
	mm := semver.MajorMinor(version)
	n, err := strconv.Atoi(strings.TrimPrefix(version, mm+"."))
	require.NoError(t, err, "version %s", version)
	return fmt.Sprintf("%s.%d", mm, n+1)
}
