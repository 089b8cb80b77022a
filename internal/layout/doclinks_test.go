package layout

import (
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoPackage is one package of the repository, read from its source.
type repoPackage struct {
	importPath string
	doc        *doc.Package
	files      []*ast.File
	symbols    map[string]bool // "Name" and "Type.Method", exported or not
}

// TestDocLinks: every doc link ([Name], [Type.Method], [pkg.Name]) in the
// doc comments of the repository's packages names something that exists:
// a symbol of the package, or of the package of this repository it names.
// go doc renders a link that resolves to nothing as plain text, and a
// reader is sent looking for a name that moved away (the core's doc once
// linked [Issuer] and [MemoryStore], which live in core/issuing). Links to
// packages outside the repository are checked for their import only.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	pkgs := readPackages(t, root)
	require.Greater(t, len(pkgs), 10, "the repository's packages")

	var broken []string
	for _, p := range pkgs {
		for _, group := range docComments(p.files) {
			text := group.Text()
			for _, link := range links(p, text) {
				if !resolves(pkgs, p, link) {
					broken = append(broken, p.importPath+": ["+linkText(link)+"]")
				}
			}
		}
	}
	sort.Strings(broken)
	assert.Empty(t, broken, "doc links that resolve to nothing")
}

func linkText(l *comment.DocLink) string {
	s := l.Name
	if l.Recv != "" {
		s = l.Recv + "." + s
	}
	if l.ImportPath != "" {
		s = l.ImportPath + "." + s
	}
	return s
}

// links parses text as go doc does, taking every [Name] for a link, and
// returns the links.
func links(p *repoPackage, text string) []*comment.DocLink {
	parser := p.doc.Parser()
	parser.LookupSym = func(string, string) bool { return true }
	var out []*comment.DocLink
	var walk func([]comment.Text)
	walk = func(ts []comment.Text) {
		for _, t := range ts {
			switch t := t.(type) {
			case *comment.DocLink:
				out = append(out, t)
			case *comment.Link:
				walk(t.Text)
			case *comment.Italic, *comment.Plain:
			}
		}
	}
	for _, b := range parser.Parse(text).Content {
		switch b := b.(type) {
		case *comment.Paragraph:
			walk(b.Text)
		case *comment.Heading:
			walk(b.Text)
		case *comment.List:
			for _, it := range b.Items {
				for _, c := range it.Content {
					if para, ok := c.(*comment.Paragraph); ok {
						walk(para.Text)
					}
				}
			}
		}
	}
	return out
}

func resolves(pkgs map[string]*repoPackage, p *repoPackage, l *comment.DocLink) bool {
	target := p
	if l.ImportPath != "" {
		target = pkgs[l.ImportPath]
		if target == nil {
			// Outside the repository: go doc found the import, which is
			// all that can be checked from source here.
			return !strings.HasPrefix(l.ImportPath, "github.com/jwtgate/jwtgate")
		}
	}
	name := l.Name
	if l.Recv != "" {
		name = l.Recv + "." + l.Name
	}
	return name == "" || target.symbols[name]
}

// docComments are the comments go doc shows: the package's, and those of
// declarations, specs and fields.
func docComments(files []*ast.File) []*ast.CommentGroup {
	var out []*ast.CommentGroup
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			var g *ast.CommentGroup
			switch n := n.(type) {
			case *ast.File:
				g = n.Doc
			case *ast.GenDecl:
				g = n.Doc
			case *ast.FuncDecl:
				g = n.Doc
			case *ast.TypeSpec:
				g = n.Doc
			case *ast.ValueSpec:
				g = n.Doc
			case *ast.Field:
				g = n.Doc
			case *ast.BlockStmt:
				return false // comments inside bodies are no documentation
			}
			if g != nil {
				out = append(out, g)
			}
			return true
		})
	}
	return out
}

// readPackages reads every package of every module of the repository
// (test files aside), keyed by import path.
func readPackages(t *testing.T, root string) map[string]*repoPackage {
	modules := map[string]string{} // directory → module path
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(data), "\n") {
				if mod, ok := strings.CutPrefix(line, "module "); ok {
					modules[filepath.Dir(path)] = strings.TrimSpace(mod)
				}
			}
		}
		return nil
	}))
	importPath := func(dir string) string {
		for d := dir; ; d = filepath.Dir(d) {
			if mod, ok := modules[d]; ok {
				rel, _ := filepath.Rel(d, dir)
				if rel == "." {
					return mod
				}
				return mod + "/" + filepath.ToSlash(rel)
			}
			if d == root || d == filepath.Dir(d) {
				return ""
			}
		}
	}
	pkgs := map[string]*repoPackage{}
	fset := token.NewFileSet()
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		var files []*ast.File
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(path, e.Name()), nil, parser.ParseComments)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		if len(files) == 0 {
			return nil
		}
		ip := importPath(path)
		dp, err := doc.NewFromFiles(fset, files, ip, doc.AllDecls|doc.PreserveAST)
		if err != nil {
			return err
		}
		pkgs[ip] = &repoPackage{importPath: ip, doc: dp, files: files, symbols: symbols(files)}
		return nil
	}))
	return pkgs
}

// symbols are a package's top-level names and its methods as Type.Method.
func symbols(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) == 0 {
					out[d.Name.Name] = true
					continue
				}
				typ := d.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				if ix, ok := typ.(*ast.IndexExpr); ok {
					typ = ix.X
				}
				if ix, ok := typ.(*ast.IndexListExpr); ok {
					typ = ix.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					out[id.Name+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						out[s.Name.Name] = true
						if it, ok := s.Type.(*ast.InterfaceType); ok {
							for _, m := range it.Methods.List {
								for _, n := range m.Names {
									out[s.Name.Name+"."+n.Name] = true
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							out[n.Name] = true
						}
					}
				}
			}
		}
	}
	return out
}
