package layout

import (
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goBlock is a fenced Go block of a Markdown file.
var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestReadmePrograms builds every complete program the README shows (a Go
// block holding "package main"), each in a throwaway module that requires
// this checkout's modules, as a user who copies it would: a snippet that
// does not build, or is not gofmt'ed, fails here rather than in a user's
// editor.
func TestReadmePrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds throwaway modules with the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	var programs []string
	for _, m := range goBlock.FindAllStringSubmatch(string(readme), -1) {
		if strings.Contains(m[1], "\npackage main\n") || strings.HasPrefix(m[1], "package main\n") {
			programs = append(programs, m[1])
		}
	}
	require.GreaterOrEqual(t, len(programs), 6, "the README's complete programs: net/http, Echo v4 and v5, Gin, Fiber v2 and v3")
	// The repository's modules a program may import, each replaced by its
	// directory in this checkout.
	modules := []string{"", "echo", "echov5", "gin", "fiber", "fiberv3", "core/redisstore", "otel"}
	for i, src := range programs {
		name := strings.TrimPrefix(strings.SplitN(src, "\n", 2)[0], "// ")
		if strings.HasPrefix(name, "package") {
			name = "program " + string(rune('1'+i))
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			formatted, err := format.Source([]byte(src))
			require.NoError(t, err)
			assert.Equal(t, string(formatted), src, "the program is gofmt'ed as shown")
			dir := t.TempDir()
			var mod strings.Builder
			mod.WriteString("module example.com/readme\n\ngo 1.26\n")
			for _, m := range modules {
				path := strings.TrimSuffix("github.com/jwtgate/jwtgate/"+m, "/")
				if m == "" || strings.Contains(src, `"`+path+`"`) {
					mod.WriteString("require " + path + " v0.0.0-00010101000000-000000000000\n")
					mod.WriteString("replace " + path + " => " + filepath.Join(root, m) + "\n")
				}
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod.String()), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
			gocmd(t, dir, "mod", "tidy")
			gocmd(t, dir, "vet", "./...")
			gocmd(t, dir, "build", "./...")
		})
	}
}
