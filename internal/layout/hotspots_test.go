package layout

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bounds of a function of the core that a reader takes in at once.
const (
	maxLines      = 60
	maxComplexity = 15
	// keptWhole starts the paragraph of a doc comment that says why a
	// function past the bounds is kept in one piece.
	keptWhole = "Kept whole:"
)

// TestCoreHotSpots: no function of the core (package jwtgate, where every
// security decision is made) is longer than maxLines lines or has a
// cyclomatic complexity above maxComplexity unless its doc comment says why
// it is kept in one piece, in a paragraph starting "Kept whole:". The
// complexity is gocyclo's: one, plus one per if, for, case, && and ||.
func TestCoreHotSpots(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	dir := filepath.Join(root, "core")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	fset := token.NewFileSet()
	var unexplained []string
	funcs := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			funcs++
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			cx := complexity(fn)
			if lines <= maxLines && cx <= maxComplexity {
				continue
			}
			if fn.Doc != nil && strings.Contains(fn.Doc.Text(), keptWhole) {
				continue
			}
			unexplained = append(unexplained, fmt.Sprintf("%s %s: %d lines, complexity %d", e.Name(), name(fn), lines, cx))
		}
	}
	require.Greater(t, funcs, 100, "the core's functions")
	sort.Strings(unexplained)
	assert.Empty(t, unexplained, "functions past the bounds whose doc comment does not say why (%q)", keptWhole)
}

func name(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// complexity is gocyclo's cyclomatic complexity of fn, closures included.
func complexity(fn *ast.FuncDecl) int {
	c := 1
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if n.List != nil {
				c++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}
