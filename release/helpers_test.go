package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// repoRoot returns the repository's root: this package's parent.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// env returns the environment with the variables in set replaced (name=value
// each), and those in drop removed.
func env(set []string, drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(drop, name) || slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, name+"=") }) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, set...)
}

// run runs name with args in dir under environ, and returns its combined
// output; it fails the test if the command fails.
func run(t *testing.T, dir string, environ []string, name string, args ...string) string {
	t.Helper()
	out, err := try(dir, environ, name, args...)
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
	return out
}

// try runs name with args in dir under environ, and returns its combined
// output and error.
func try(dir string, environ []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// goEnv returns the go command's value of the variable name.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(run(t, ".", os.Environ(), "go", "env", name))
}
