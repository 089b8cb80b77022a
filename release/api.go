package release

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/exp/apidiff"
	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// APIDir is where the API snapshots are, relative to the repository root.
const APIDir = "api"

// SnapshotFile returns the name of the snapshot of the module in dir,
// relative to the repository root: api/root.txt for the root module,
// api/core-redisstore.txt for core/redisstore.
func SnapshotFile(dir string) string {
	name := strings.ReplaceAll(dir, "/", "-")
	if dir == "." {
		name = "root"
	}
	return path.Join(APIDir, name+".txt")
}

// LoadAPI type-checks the importable packages of every published module of
// the workspace at root (not main, not internal, not tests) and returns
// each module's API, by module path; a module with no such package (the
// command-line tool) is left out. The go command builds them in workspace
// mode, as make test does.
func LoadAPI(root string, mods []Module) (map[string]*apidiff.Module, error) {
	var patterns []string
	for _, m := range mods {
		if m.Published() {
			patterns = append(patterns, "./"+path.Join(m.Dir, "..."))
		}
	}
	cfg := &packages.Config{
		Dir: root,
		// The go command's plain build, whose export data make test's go vet
		// has compiled already for every dependency.
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedModule,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	api := map[string]*apidiff.Module{}
	var errs []error
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, fmt.Errorf("%s: %v", p.PkgPath, e))
		}
		if len(p.Errors) > 0 || p.Name == "main" || p.Module == nil || isInternal(p.PkgPath) {
			continue
		}
		m := api[p.Module.Path]
		if m == nil {
			m = &apidiff.Module{Path: p.Module.Path}
			api[p.Module.Path] = m
		}
		m.Packages = append(m.Packages, p.Types)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, m := range api {
		slices.SortFunc(m.Packages, func(a, b *types.Package) int { return strings.Compare(a.Path(), b.Path()) })
	}
	return api, nil
}

// isInternal reports whether a package of that path can only be imported
// from within the repository.
func isInternal(pkgPath string) bool {
	return slices.Contains(strings.Split(pkgPath, "/"), "internal")
}

// The snapshot of a module's API is a text file: comment lines (#), the
// module line, then for each package a listing of its exported names for
// people to read ("-- package <path> --"), and its export data for apidiff
// ("-- export data of <path> --": golang.org/x/tools/go/gcexportdata's
// format, gzipped, in base64, without source positions, so that it changes
// only when the API does, or a type of a dependency it names). Only the export data is read back.
const (
	sectionPackage = "-- package "
	sectionExport  = "-- export data of "
	sectionEnd     = " --"
)

// WriteSnapshot writes m's snapshot to w.
func WriteSnapshot(w io.Writer, m *apidiff.Module) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The API of %s at its last release: the baseline of the API gate\n", m.Path)
	b.WriteString("# (release/api_test.go). Written by `make api`, and by scripts/release.sh at\n")
	b.WriteString("# each release; do not edit.\n")
	fmt.Fprintf(&b, "module %s\n", m.Path)
	for _, p := range m.Packages {
		fmt.Fprintf(&b, "\n%s%s%s\n", sectionPackage, p.Path(), sectionEnd)
		for _, line := range listing(p) {
			b.WriteString(line + "\n")
		}
		var data bytes.Buffer
		zw, err := gzip.NewWriterLevel(&data, gzip.BestCompression)
		if err != nil {
			return err
		}
		if err := gcexportdata.Write(zw, nil, p); err != nil {
			return fmt.Errorf("%s: %w", p.Path(), err)
		}
		if err := zw.Close(); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s%s%s\n", sectionExport, p.Path(), sectionEnd)
		enc := base64.StdEncoding.EncodeToString(data.Bytes())
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// listing returns the exported names of p, one declaration a line, with the
// exported methods of its named types.
func listing(p *types.Package) []string {
	q := func(other *types.Package) string {
		if other == p {
			return ""
		}
		return other.Name()
	}
	var lines []string
	for _, name := range p.Scope().Names() {
		obj := p.Scope().Lookup(name)
		if !obj.Exported() {
			continue
		}
		lines = append(lines, types.ObjectString(obj, q))
		tn, ok := obj.(*types.TypeName)
		if !ok || tn.IsAlias() {
			continue
		}
		named, ok := tn.Type().(*types.Named)
		if !ok {
			continue
		}
		var methods []string
		for m := range named.Methods() {
			if m.Exported() {
				methods = append(methods, "\t"+types.ObjectString(m, q))
			}
		}
		slices.Sort(methods)
		lines = append(lines, methods...)
	}
	return lines
}

// ReadSnapshot reads a snapshot WriteSnapshot wrote.
func ReadSnapshot(r io.Reader) (*apidiff.Module, error) {
	m := &apidiff.Module{}
	fset := token.NewFileSet()
	var pkgPath string
	var data strings.Builder
	flush := func() error {
		if pkgPath == "" {
			return nil
		}
		raw, err := base64.StdEncoding.DecodeString(data.String())
		if err != nil {
			return fmt.Errorf("the export data of %s: %w", pkgPath, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("the export data of %s: %w", pkgPath, err)
		}
		p, err := gcexportdata.Read(zr, fset, map[string]*types.Package{}, pkgPath)
		if err != nil {
			return fmt.Errorf("the export data of %s: %w", pkgPath, err)
		}
		m.Packages = append(m.Packages, p)
		pkgPath = ""
		data.Reset()
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "-- "):
			if err := flush(); err != nil {
				return nil, err
			}
			if p, ok := strings.CutPrefix(line, sectionExport); ok {
				pkgPath = strings.TrimSuffix(p, sectionEnd)
			}
		case pkgPath != "":
			data.WriteString(line)
		case strings.HasPrefix(line, "module "):
			m.Path = strings.TrimPrefix(line, "module ")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if m.Path == "" {
		return nil, errors.New("a snapshot without a module line")
	}
	return m, nil
}

// WriteSnapshots writes the snapshot of every published module of the
// workspace at root that has an API into api/, and removes the snapshots of
// modules that have none. It returns the files it wrote.
func WriteSnapshots(root string, mods []Module) ([]string, error) {
	api, err := LoadAPI(root, mods)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, APIDir), 0o755); err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	var written []string
	for _, m := range mods {
		a := api[m.Path]
		if a == nil {
			continue
		}
		var b bytes.Buffer
		if err := WriteSnapshot(&b, a); err != nil {
			return nil, err
		}
		name := SnapshotFile(m.Dir)
		keep[path.Base(name)] = true
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		written = append(written, name)
	}
	entries, err := os.ReadDir(filepath.Join(root, APIDir))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".txt") && !keep[e.Name()] {
			if err := os.Remove(filepath.Join(root, APIDir, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	return written, nil
}

// A Break is an incompatible change apidiff found, with the name that
// CHANGELOG.md must give it.
type Break struct {
	Name    string // the package-qualified name: "core.Config.Keys"
	Message string // apidiff's message: "Config.Keys: removed"
	Package string // the package's import path
}

func (b Break) String() string {
	return fmt.Sprintf("%s (%s: %s)", b.Name, b.Package, b.Message)
}

// Breaks returns the incompatible changes from old to new, a module's API at
// its last release and now, each package compared by apidiff.Changes (a
// package removed is one change too), named by QualifiedName relative to
// repo.
func Breaks(repo string, old, new *apidiff.Module) []Break {
	newPkgs := map[string]*types.Package{}
	for _, p := range new.Packages {
		newPkgs[p.Path()] = p
	}
	var breaks []Break
	for _, op := range old.Packages {
		np := newPkgs[op.Path()]
		if np == nil {
			breaks = append(breaks, Break{Name: relative(repo, op.Path()), Message: "package removed", Package: op.Path()})
			continue
		}
		for _, c := range apidiff.Changes(op, np).Changes {
			if !c.Compatible {
				breaks = append(breaks, Break{Name: QualifiedName(repo, op.Path(), c.Message), Message: c.Message, Package: op.Path()})
			}
		}
	}
	return breaks
}

// relative returns pkgPath relative to repo: "core/jwks" for
// github.com/jwtgate/jwtgate/core/jwks in github.com/jwtgate/jwtgate.
func relative(repo, pkgPath string) string {
	if rel, ok := strings.CutPrefix(pkgPath, repo+"/"); ok {
		return rel
	}
	return pkgPath
}

var typeParams = regexp.MustCompile(`\[[^\]]*\]`)

// QualifiedName turns the object apidiff's message about package pkgPath
// names into the name CHANGELOG.md gives it: the package's path relative to
// repo, a dot, then the object as apidiff names it with a method's receiver
// as its type's name, without a pointer or type parameters:
// "Config.Keys: removed" in github.com/jwtgate/jwtgate/core is core.Config.Keys,
// "(*Authenticator).Check: removed" is core.Authenticator.Check.
func QualifiedName(repo, pkgPath, message string) string {
	name, _, _ := strings.Cut(message, ": ")
	name = typeParams.ReplaceAllString(name, "")
	name, _, _ = strings.Cut(name, ",")
	name = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(strings.TrimSpace(name))
	rel := relative(repo, pkgPath)
	switch {
	case strings.HasPrefix(name, "./"): // in a package below pkgPath
		return rel + "/" + name[2:]
	case strings.Contains(name, "/"): // in another package, by its whole path
		return relative(repo, name)
	}
	return rel + "." + name
}

// TopSection returns the topmost section of a changelog: from its first
// level-two heading ("## ") to the next, the heading included.
func TopSection(changelog string) string {
	var b strings.Builder
	in := false
	for line := range strings.Lines(changelog) {
		if strings.HasPrefix(line, "## ") {
			if in {
				break
			}
			in = true
		}
		if in {
			b.WriteString(line)
		}
	}
	return b.String()
}

// Names reports whether text names name as a whole: not as part of a longer
// name (core.Config does not name core.Config.Keys, nor core.ConfigX).
func Names(text, name string) bool {
	isName := func(c byte) bool {
		return c == '_' || c == '/' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		before := start == 0 || !isName(text[start-1])
		// A period that ends a sentence is not part of the name.
		after := end == len(text) || !isName(text[end]) ||
			text[end] == '.' && (end+1 == len(text) || !isName(text[end+1]))
		if before && after {
			return true
		}
		i = start + 1
	}
}

// Unlisted returns the breaks whose names the topmost section of changelog
// does not give.
func Unlisted(breaks []Break, changelog string) []Break {
	top := TopSection(changelog)
	var out []Break
	for _, b := range breaks {
		if !Names(top, b.Name) {
			out = append(out, b)
		}
	}
	return out
}
