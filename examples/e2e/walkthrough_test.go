package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaultBase is the URL the apps print with ADDR unset, which the READMEs
// show.
const defaultBase = "http://127.0.0.1:8080"

// walkthroughMarker starts the line before the walk-through's copy in a
// README.
const walkthroughMarker = "<!-- walk-through:"

// TestWalkthrough runs the walk-through each app prints at start
// (JWT_SECRET set) with sh, line after line in one shell, against the app,
// with the jwtgate CLI built from this checkout on PATH, and checks every
// answer; and it checks that README.md and examples/README.md show the same
// lines. So the walk-through cannot drift from the code, nor the READMEs from
// the walk-through.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	cli := binary(t, "cmd/jwtgate")
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, a.name)
			// The walk-through mints a token of its own (jwtgate mint, iat
			// now): the app counts one of the second it started in, not
			// from a login of its own, as issued before it (its store's
			// loss rule). A person typing the commands is slower than
			// that; the test waits for the second to turn (at most one).
			for up := time.Now().Unix(); time.Now().Unix() == up; {
				time.Sleep(10 * time.Millisecond)
			}
			walk := walkthrough(t, p.banner)
			for _, doc := range []string{"../../README.md", "../README.md"} {
				assert.Equal(t, strings.ReplaceAll(walk, p.base, defaultBase), readmeWalkthrough(t, doc, walkthroughMarker), "%s shows the walk-through the apps print", doc)
			}

			// What each command answers, in order; an assignment prints nothing.
			const (
				meAlice = `{"scope":"read","sub":"alice"}`
				revoked = `{"error":"invalid_token","error_description":"The access token has been revoked"}`
			)
			runWalkthrough(t, walk, cli, []struct{ command, output string }{
				{"PAIR=$(curl -s -X POST " + p.base + "/login ", ""},
				{"ACCESS_TOKEN=", ""},
				{"REFRESH_TOKEN=", ""},
				{"curl -s -w '\\n' " + p.base + "/api/me ", meAlice},
				{"curl -s -w '\\n' " + p.base + "/api/admin ", `{"error":"insufficient_scope","error_description":"The access token lacks a required scope"}`},
				{"PAIR=$(curl -s -X POST " + p.base + "/refresh ", ""},
				{"ACCESS_TOKEN=", ""},
				{"curl -s -w '\\n' " + p.base + "/api/me ", meAlice},
				{"curl -si -X POST " + p.base + "/logout ", "HTTP/1.1 204 No Content"},
				{"curl -s -w '\\n' " + p.base + "/api/me ", revoked},
				{"ACCESS_TOKEN=$(jwtgate mint -key-env JWT_SECRET ", ""},
				{"curl -s -w '\\n' " + p.base + "/api/me ", `{"scope":"read","sub":"carol"}`},
			})
			assert.NotContains(t, p.banner, secret, "the banner shows no secret")
		})
	}
}

// dpopWalkthroughMarker starts the line before the DPoP walk-through's copy
// in examples/README.md.
const dpopWalkthroughMarker = "<!-- dpop walk-through:"

// TestDPoPWalkthrough runs the DPoP walk-through each app prints with
// DPOP=allowed as TestWalkthrough runs the other one, the jwtgate CLI making
// the client's key and its proofs, and checks that examples/README.md shows
// the same lines.
func TestDPoPWalkthrough(t *testing.T) {
	t.Parallel()
	cli := binary(t, "cmd/jwtgate")
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, a.name, "DPOP=allowed")
			walk := walkthrough(t, p.banner)
			assert.Equal(t, strings.ReplaceAll(walk, p.base, defaultBase), readmeWalkthrough(t, "../README.md", dpopWalkthroughMarker),
				"examples/README.md shows the DPoP walk-through the apps print")
			runWalkthrough(t, walk, cli, []struct{ command, output string }{
				{"jwtgate dpop-key -out client.jwk", "jwtgate dpop-key: thumbprint (jkt): "},
				{"ACCESS_TOKEN=$(curl -s -X POST " + p.base + "/login ", ""},
				{"curl -s -w '\\n' " + p.base + "/api/me -H \"Authorization: DPoP ", `{"scope":"read","sub":"alice"}`},
				{"curl -s -w '\\n' " + p.base + "/api/me -H \"Authorization: Bearer ", `{"error":"invalid_token","error_description":"The access token is bound to a key: present it with DPoP"}`},
			})
		})
	}
}

// runWalkthrough runs walk with sh, in one shell in an empty directory,
// with cli's directory first on PATH and JWT_SECRET exported, and checks
// that its commands are want's, in order, each answering as want says: the
// first line of its output, or nothing when want's is empty; an output
// ending with a space is a prefix. A command goes on over lines that end
// with a backslash.
func runWalkthrough(t *testing.T, walk, cli string, want []struct{ command, output string }) {
	t.Helper()
	// One marker before each command, so that each one's output can be told
	// apart; -e stops at a command that fails (curl cannot connect), -u at a
	// variable used before it is set.
	var script strings.Builder
	script.WriteString("set -eu\n")
	var commands []string
	continued := false
	for line := range strings.Lines(walk) {
		switch {
		case continued:
			commands[len(commands)-1] += " " + strings.TrimSpace(line)
		case !strings.HasPrefix(line, "#"):
			fmt.Fprintf(&script, "echo '@@@ %d'\n", len(commands))
			commands = append(commands, strings.TrimSpace(line))
		}
		continued = strings.HasSuffix(strings.TrimRight(line, "\n"), "\\")
		script.WriteString(line)
	}
	sh := exec.Command("sh", "-c", script.String())
	sh.Dir = t.TempDir()
	sh.Env = append(os.Environ(), "PATH="+filepath.Dir(cli)+string(os.PathListSeparator)+os.Getenv("PATH"), "JWT_SECRET="+secret)
	out, err := sh.CombinedOutput()
	require.NoError(t, err, "the walk-through runs as printed:\n%s", out)
	outputs := regexp.MustCompile(`(?m)^@@@ \d+\n`).Split(string(out), -1)[1:]
	require.Len(t, outputs, len(commands), "%s", out)
	require.Len(t, commands, len(want), "the commands of the walk-through:\n%s", walk)
	for i, w := range want {
		assert.True(t, strings.HasPrefix(commands[i], w.command), "command %d is %q, expected %q…", i, commands[i], w.command)
		got := strings.TrimSpace(outputs[i])
		first, _, _ := strings.Cut(got, "\n")
		switch {
		case w.output == "":
			assert.Empty(t, got, "command %d (%s) prints nothing", i, commands[i])
		case strings.HasSuffix(w.output, " "):
			assert.True(t, strings.HasPrefix(first, w.output), "command %d (%s) prints %q…, not %q", i, commands[i], w.output, first)
		default:
			assert.Equal(t, w.output, strings.TrimSpace(first), "command %d (%s)", i, commands[i])
		}
	}
}

// walkthrough returns the commands of a banner: from its first comment line
// to the blank line that ends it.
func walkthrough(t *testing.T, banner string) string {
	t.Helper()
	i := strings.Index(banner, "\n#")
	require.Positive(t, i, "a walk-through in the banner:\n%s", banner)
	walk, _, _ := strings.Cut(banner[i+1:], "\n\n")
	return walk + "\n"
}

// readmeWalkthrough returns the fenced block after the line starting with
// marker in the Markdown file at path.
func readmeWalkthrough(t *testing.T, path, marker string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var block strings.Builder
	state := 0 // 0: before the marker, 1: before the fence, 2: in the block
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == 0 && strings.HasPrefix(line, marker):
			state = 1
		case state == 1 && strings.HasPrefix(line, "```"):
			state = 2
		case state == 2 && line == "```":
			return block.String()
		case state == 2:
			block.WriteString(line + "\n")
		}
	}
	require.NoError(t, sc.Err())
	t.Fatalf("%s has no fenced block after a line starting %q", path, marker)
	return ""
}
