package layout

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	// inlineLink is a Markdown link or image, [text](target "title"),
	// once code spans are blanked out.
	inlineLink = regexp.MustCompile(`\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)
	// refLink is a link reference definition, [label]: target.
	refLink = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+(\S+)`)
	// heading is an ATX heading.
	heading = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	// htmlAnchor is an anchor set by HTML, <a id="…"> or <a name="…">.
	htmlAnchor = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	// scheme starts an absolute URL (https:, mailto:).
	scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	// codeSpan is inline code, whose text is no link.
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	// headingLink is a link inside a heading, which renders as its text.
	headingLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// TestMarkdownLinks: every relative link of README.md and of the pages under
// docs/ names a file or directory of the repository, and a link with a
// fragment into a Markdown file names a heading of it (as GitHub makes its
// anchor) or an HTML anchor. A page moved or a heading renamed fails here
// rather than leave a reader at a dead link.
func TestMarkdownLinks(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	pages := []string{filepath.Join(root, "README.md")}
	require.NoError(t, filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			pages = append(pages, path)
		}
		return nil
	}))
	require.Greater(t, len(pages), 15, "README.md and the pages under docs/")

	anchorsOf := map[string]map[string]bool{}
	anchors := func(path string) map[string]bool {
		if a, ok := anchorsOf[path]; ok {
			return a
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		a := markdownAnchors(string(data))
		anchorsOf[path] = a
		return a
	}
	var broken []string
	links := 0
	for _, page := range pages {
		data, err := os.ReadFile(page)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, page)
		for _, l := range markdownLinks(string(data)) {
			if scheme.MatchString(l.target) {
				continue
			}
			links++
			file, fragment, _ := strings.Cut(l.target, "#")
			target := page
			if file != "" {
				target = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
			}
			where := fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), l.line, l.target)
			if r, err := filepath.Rel(root, target); err != nil || strings.HasPrefix(r, "..") {
				broken = append(broken, where+" (outside the repository)")
				continue
			}
			info, err := os.Stat(target)
			if err != nil {
				broken = append(broken, where+" (no such file)")
				continue
			}
			if fragment != "" && !info.IsDir() && strings.HasSuffix(target, ".md") && !anchors(target)[fragment] {
				broken = append(broken, where+" (no such heading)")
			}
		}
	}
	require.Greater(t, links, 100, "the relative links of README.md and docs/")
	sort.Strings(broken)
	assert.Empty(t, broken, "relative links that lead nowhere")
}

type mdLink struct {
	line   int
	target string
}

// markdownLinks are the link targets of a Markdown text, outside fenced code
// blocks and code spans.
func markdownLinks(text string) []mdLink {
	var out []mdLink
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		if f, toggled := toggleFence(line, fence); toggled {
			fence = f
			continue
		}
		if fence != "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "code")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, mdLink{i + 1, m[1]})
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			out = append(out, mdLink{i + 1, strings.Trim(m[1], "<>")})
		}
	}
	return out
}

// toggleFence reports whether line opens or closes a fenced code block, and
// the fence then open ("" when none).
func toggleFence(line, fence string) (string, bool) {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 {
		return fence, false
	}
	for _, mark := range []string{"```", "~~~"} {
		if !strings.HasPrefix(trimmed, mark) {
			continue
		}
		run := trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, mark[:1]))]
		switch {
		case fence == "":
			return run, true
		case strings.HasPrefix(run, fence) && strings.TrimSpace(trimmed[len(run):]) == "":
			return "", true
		}
	}
	return fence, false
}

// markdownAnchors are the anchors of a Markdown text: its headings' as
// GitHub makes them (the text lowercased, punctuation dropped, spaces made
// hyphens, "-1", "-2" after a repeated one) and those of HTML anchors.
func markdownAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		if f, toggled := toggleFence(line, fence); toggled {
			fence = f
			continue
		}
		if fence != "" {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := githubSlug(m[2])
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

// githubSlug is the anchor GitHub gives a heading of this text.
func githubSlug(text string) string {
	text = headingLink.ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
