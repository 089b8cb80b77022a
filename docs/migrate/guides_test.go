package migrate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// update rewrites the guides' after-program blocks from the programs, for
// after a program changed: go test -run TestGuides -update
var update = flag.Bool("update", false, "rewrite the guides' after-program blocks from the programs")

// guides is where the migration guides are, beside this module.
const guides = "../migrating"

// afterBlock is a block a guide marks as an after program: the marker, a
// line of its own naming the program's file in this module, then a go
// fence whose content is that file.
var afterBlock = regexp.MustCompile("(?s)<!-- after-program: ([^ ]+) -->\n```go\n(.*?\n)```\n")

// marker finds markers, whatever follows them, so that a marker whose block
// is missing or malformed is reported rather than skipped.
var marker = regexp.MustCompile(`<!-- after-program: ([^ ]+) -->`)

func TestGuides(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(guides, "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no guide in %s: %v", guides, err)
	}
	shown := map[string][]string{} // program file → the guides that show it
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := afterBlock.FindAllSubmatchIndex(text, -1)
		if n := len(marker.FindAllIndex(text, -1)); n != len(blocks) {
			t.Errorf("%s: %d after-program markers, %d of them followed by a go block", doc, n, len(blocks))
			continue
		}
		var out bytes.Buffer // the guide with every block rewritten, for -update
		last := 0
		for _, b := range blocks {
			name, got := string(text[b[2]:b[3]]), text[b[4]:b[5]]
			shown[name] = append(shown[name], filepath.Base(doc))
			want, err := os.ReadFile(filepath.FromSlash(name))
			if err != nil {
				t.Errorf("%s shows %s, which cannot be read: %v", doc, name, err)
				continue
			}
			out.Write(text[last:b[4]])
			out.Write(want)
			last = b[5]
			if !bytes.Equal(got, want) && !*update {
				t.Errorf("%s: the block shown as %s differs from the file; run go test -run TestGuides -update in docs/migrate", doc, name)
			}
		}
		out.Write(text[last:])
		if *update && !bytes.Equal(out.Bytes(), text) {
			if err := os.WriteFile(doc, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", doc)
		}
	}

	// Every program is shown, and once: a program no guide shows is not
	// checked against anything.
	programs, err := filepath.Glob("*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(programs)
	for _, p := range programs {
		if n := len(shown[filepath.ToSlash(p)]); n != 1 {
			t.Errorf("%s is shown %d times in the guides (%v); once is the rule", p, n, shown[filepath.ToSlash(p)])
		}
	}
}
