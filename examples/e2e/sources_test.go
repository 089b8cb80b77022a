package e2e

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedDecls are the declarations every token-issuing app has word for word,
// in this order: the settings, the demo users, the store and the endpoints,
// the metrics and the logs (the request ID, the log handler that adds it,
// the request's line), the shutdown grace, the walk-throughs and the banner.
// What is left is each framework's wiring: its routes, its server, how it
// gives a request its ID and logs it, main and run.
var sharedDecls = []string{
	"settings", "loadSettings", "users", "checkCredentials", "openStore", "newEndpoints",
	"newMetrics", "newLogger", "requestIDKey", "logHandler", "Handle", "WithAttrs", "WithGroup", "requestID", "logRequest",
	"grace", "walkthrough", "dpopWalkthrough", "banner",
}

// netHTTPDecls are what the apps served by net/http's server share besides:
// the server, and the middleware that gives each request its ID and logs
// it.
var netHTTPDecls = []string{"serve", "logRequests", "statusRecorder", "WriteHeader", "Unwrap"}

// TestAppsDifferOnlyInWiring: the shared declarations read the same in
// every app's main.go and come in the same order, so that the apps differ
// only in framework wiring; the apps served by net/http share their server
// and request logging too; and their pages are the same file.
func TestAppsDifferOnlyInWiring(t *testing.T) {
	t.Parallel()
	ref := apps[0]
	refDecls, refOrder := declarations(t, ref.name)
	require.True(t, ref.netHTTP, "the reference app is served by net/http")
	for _, name := range append(slices.Clone(sharedDecls), netHTTPDecls...) {
		require.Contains(t, refDecls, name, "%s declares it", ref.name)
	}
	refPage, err := os.ReadFile(filepath.Join("..", ref.name, "index.html"))
	require.NoError(t, err)
	for _, a := range apps {
		decls, order := declarations(t, a.name)
		assert.Equal(t, sharedOrder(refOrder), sharedOrder(order), "%s: the shared sections, in order", a.name)
		for _, name := range sharedDecls {
			assert.Equal(t, refDecls[name], decls[name], "%s vs %s: %s", a.name, ref.name, name)
		}
		if a.netHTTP {
			for _, name := range netHTTPDecls {
				assert.Equal(t, refDecls[name], decls[name], "%s vs %s: %s", a.name, ref.name, name)
			}
		}
		page, err := os.ReadFile(filepath.Join("..", a.name, "index.html"))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(refPage, page), "%s/index.html is %s/index.html", a.name, ref.name)
	}
	// The JWKS resource server has the same metrics and logs.
	jwksDecls, _ := declarations(t, "jwks")
	for _, name := range jwksShared {
		assert.Equal(t, refDecls[name], jwksDecls[name], "jwks vs %s: %s", ref.name, name)
	}
}

// jwksShared are the declarations the JWKS resource server shares with the
// net/http app: the metrics and the logs, and how it gives a request its ID
// and logs it.
var jwksShared = []string{
	"newMetrics", "newLogger", "requestIDKey", "logHandler", "Handle", "WithAttrs", "WithGroup", "requestID", "logRequest",
	"grace", "logRequests", "statusRecorder", "WriteHeader", "Unwrap",
}

// declarations returns the source of each top-level declaration of
// examples/<name>/main.go, doc comment included, by name, and the names in
// the order they come.
func declarations(t *testing.T, name string) (map[string]string, []string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", name, "main.go"), nil, parser.ParseComments)
	require.NoError(t, err)
	src := map[string]string{}
	var order []string
	add := func(name string, doc *ast.CommentGroup, node ast.Node) {
		var b bytes.Buffer
		if doc != nil {
			b.WriteString(doc.Text())
		}
		require.NoError(t, printer.Fprint(&b, fset, node))
		src[name] += b.String()
		order = append(order, name)
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			add(d.Name.Name, d.Doc, d)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				doc := d.Doc
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Name.Name, doc, s)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						add(n.Name, doc, s)
					}
				}
			}
		}
	}
	return src, order
}

func sharedOrder(order []string) []string {
	return slices.DeleteFunc(slices.Clone(order), func(n string) bool { return !slices.Contains(sharedDecls, n) })
}
