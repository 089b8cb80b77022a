package release

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// Files returns the files of the checkout at root that a commit of it would
// hold, slash-separated and relative to root: git's tracked and untracked
// but not ignored files when root is a git work tree, every regular file but
// version-control directories otherwise (a copy of the checkout, such as
// scripts/test.sh runs in).
func Files(root string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(root, ".git")); err == nil {
		cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return nil, err
		}
		var files []string
		for f := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
			if info, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); err == nil && info.Mode().IsRegular() {
				files = append(files, f)
			}
		}
		return files, nil
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && p != root && (d.Name() == ".git" || d.Name() == ".hg"):
			return filepath.SkipDir
		case d.Type().IsRegular():
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// file is a file of a module zip: its path in the module, and where it is.
type file struct {
	rel, abs string
	info     fs.FileInfo
}

func (f file) Path() string                 { return f.rel }
func (f file) Lstat() (fs.FileInfo, error)  { return f.info, nil }
func (f file) Open() (io.ReadCloser, error) { return os.Open(f.abs) }

// BuildProxy lays out, under dir, a module proxy as the go command reads it
// through GOPROXY=file://dir (the GOPROXY protocol: for each module,
// <escaped path>/@v/list, and <version>.info, .mod and .zip), serving each
// published module of the checkout at root as version, as though the
// checkout were committed and tagged: the zips are golang.org/x/mod/zip's,
// of the files Files returns, without a nested module's files (zip.Create
// leaves out every directory below one that holds a go.mod), each go.mod as
// it is in the checkout. It returns the modules it serves.
func BuildProxy(root string, mods []Module, version, dir string) ([]module.Version, error) {
	if err := CheckVersion(version); err != nil {
		return nil, err
	}
	all, err := Files(root)
	if err != nil {
		return nil, err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	var served []module.Version
	for _, m := range mods {
		if !m.Published() {
			continue
		}
		mv := module.Version{Path: m.Path, Version: version}
		var files []zip.File
		prefix := ""
		if m.Dir != "." {
			prefix = m.Dir + "/"
		}
		for _, f := range all {
			rel, ok := strings.CutPrefix(f, prefix)
			if !ok {
				continue
			}
			abs := filepath.Join(root, filepath.FromSlash(f))
			fi, err := os.Lstat(abs)
			if err != nil {
				return nil, err
			}
			files = append(files, file{rel: rel, abs: abs, info: fi})
		}
		var z bytes.Buffer
		if err := zip.Create(&z, mv, files); err != nil {
			return nil, err
		}
		gomod, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path.Join(m.Dir, "go.mod"))))
		if err != nil {
			return nil, err
		}
		at := filepath.Join(dir, filepath.FromSlash(escape(m.Path)), "@v")
		if err := os.MkdirAll(at, 0o755); err != nil {
			return nil, err
		}
		for name, data := range map[string][]byte{
			"list":            []byte(version + "\n"),
			version + ".info": info,
			version + ".mod":  gomod,
			version + ".zip":  z.Bytes(),
		} {
			if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
				return nil, err
			}
		}
		served = append(served, mv)
	}
	return served, nil
}
