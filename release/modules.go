package release

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// RepoPath is the module path of the repository's root module; every other
// module's path is RepoPath plus its directory.
const RepoPath = "github.com/jwtgate/jwtgate"

// CLIDir is the directory of the command-line tool's module, which
// `go install github.com/jwtgate/jwtgate/cmd/jwtgate@version` installs: the
// go command refuses to install from a module whose go.mod holds a replace
// directive, so its go.mod has none and it builds from released versions
// alone (in the repository, go.work stands in for them).
const CLIDir = "cmd/jwtgate"

// unpublished are the workspace's modules that are never tagged: they hold
// tests, benchmarks, examples and this tooling, not code a user imports.
// Every other module of go.work is published, and tagged at each release.
var unpublished = []string{"bench", "grpc/bench", "docs/migrate", "examples", "interop", "release"}

// Module is one module of the workspace.
type Module struct {
	Dir  string // slash-separated, relative to the repository root: "." for the root module
	Path string // the module path
	File *modfile.File
}

// Published reports whether m is tagged at a release (see unpublished).
func (m Module) Published() bool { return !slices.Contains(unpublished, m.Dir) }

// Tag returns m's tag for version: the version itself for the root module,
// the directory then the version for the others ("gin/v0.1.0"), as the go
// command looks them up.
func (m Module) Tag(version string) string {
	if m.Dir == "." {
		return version
	}
	return m.Dir + "/" + version
}

// Own returns the requirements of m on the repository's other modules.
func (m Module) Own() []*modfile.Require {
	var own []*modfile.Require
	for _, r := range m.File.Require {
		if isOwn(r.Mod.Path) {
			own = append(own, r)
		}
	}
	return own
}

// isOwn reports whether path is a module of this repository.
func isOwn(path string) bool {
	return path == RepoPath || strings.HasPrefix(path, RepoPath+"/")
}

// Modules reads go.work under root and returns its modules, in go.work's
// order, with their go.mod files parsed. A module whose path is not RepoPath
// plus its directory is an error: its tags would name another module.
func Modules(root string) ([]Module, error) {
	work, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, err
	}
	wf, err := modfile.ParseWork("go.work", work, nil)
	if err != nil {
		return nil, err
	}
	var mods []Module
	for _, u := range wf.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		name := path.Join(dir, "go.mod")
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		f, err := modfile.Parse(name, data, nil)
		if err != nil {
			return nil, err
		}
		if f.Module == nil {
			return nil, fmt.Errorf("%s: no module line", name)
		}
		want := RepoPath
		if dir != "." {
			want = RepoPath + "/" + dir
		}
		if f.Module.Mod.Path != want {
			return nil, fmt.Errorf("%s: module %s, want %s (the path its directory gives it)", name, f.Module.Mod.Path, want)
		}
		mods = append(mods, Module{Dir: dir, Path: want, File: f})
	}
	return mods, nil
}

// CheckVersion reports whether version can be released: a canonical semantic
// version (vX.Y.Z, no build suffix) of major 0 or 1, since a major of 2 or
// more would need a /vN suffix on every module path.
func CheckVersion(version string) error {
	if !semver.IsValid(version) || semver.Canonical(version) != version || strings.Count(version, ".") < 2 {
		return fmt.Errorf("version %q is not a semantic version vX.Y.Z", version)
	}
	if m := semver.Major(version); m != "v0" && m != "v1" {
		return fmt.Errorf("version %s: a major version above v1 needs a /%s suffix on every module path, which this release command does not do", version, m)
	}
	return nil
}

// Version returns the version every module's requirements on the
// repository's modules name, or an error when they disagree or name one that
// is not a release version: the tree is consistent when all of them name
// the release being prepared.
func Version(mods []Module) (string, error) {
	found := map[string][]string{}
	for _, m := range mods {
		for _, r := range m.Own() {
			found[r.Mod.Version] = append(found[r.Mod.Version], m.Dir+"/go.mod: "+r.Mod.Path)
		}
	}
	if len(found) == 0 {
		return "", errors.New("no module requires another module of the repository")
	}
	if len(found) > 1 {
		var b strings.Builder
		b.WriteString("the modules require the repository's modules at different versions:")
		for _, v := range slices.Sorted(maps.Keys(found)) {
			fmt.Fprintf(&b, "\n  %s: %s", v, strings.Join(found[v], ", "))
		}
		return "", errors.New(b.String())
	}
	for v := range found {
		if err := CheckVersion(v); err != nil {
			return "", fmt.Errorf("%s (required by %s)", err, found[v][0])
		}
		return v, nil
	}
	panic("unreachable")
}

// SetVersion rewrites every module's requirements on the repository's
// modules to version, changing nothing else in the go.mod files, and returns
// the go.mod files it changed (slash-separated, relative to root).
func SetVersion(root string, mods []Module, version string) ([]string, error) {
	if err := CheckVersion(version); err != nil {
		return nil, err
	}
	var changed []string
	for _, m := range mods {
		name := path.Join(m.Dir, "go.mod")
		file := filepath.Join(root, filepath.FromSlash(name))
		before, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, r := range m.Own() {
			if err := m.File.AddRequire(r.Mod.Path, version); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		after, err := m.File.Format()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if bytes.Equal(before, after) {
			continue
		}
		if err := os.WriteFile(file, after, 0o644); err != nil {
			return nil, err
		}
		changed = append(changed, name)
	}
	return changed, nil
}

// Tags returns the tags of a release of version: one per published module,
// the root module's first, then in the order of their names.
func Tags(mods []Module, version string) []string {
	var tags []string
	for _, m := range mods {
		if m.Published() && m.Dir != "." {
			tags = append(tags, m.Tag(version))
		}
	}
	slices.Sort(tags)
	return append([]string{version}, tags...)
}

// escape returns path as a module proxy spells it.
func escape(p string) string {
	e, err := module.EscapePath(p)
	if err != nil {
		panic(err) // Modules checked every path
	}
	return e
}

// unreleased is the heading of the changelog's section of changes not yet
// released.
const unreleased = "## [Unreleased]"

// ReleaseChangelog turns the changelog's Unreleased section (its heading is
// unreleased) into the section of version, released on date (YYYY-MM-DD),
// and opens an empty Unreleased section above it, as Keep a Changelog does.
// It fails when the changelog has no such section.
func ReleaseChangelog(changelog, version, date string) (string, error) {
	i := strings.Index(changelog, "\n"+unreleased+"\n")
	if i < 0 {
		return "", fmt.Errorf("CHANGELOG.md has no %q line", unreleased)
	}
	heading := fmt.Sprintf("## [%s] - %s", strings.TrimPrefix(version, "v"), date)
	return changelog[:i+1] + unreleased + "\n\n" + heading + changelog[i+1+len(unreleased):], nil
}
