// Command ratio reads the output of jwtgate's comparison benchmarks and
// prints, as Markdown, how the adapters measure against the project's
// performance targets:
//
//	go test -run '^$' -bench='Bare|Floor|Raw|Adapter|DPoP' -benchmem -count=6 ./bench | tee bench.txt; go run ./bench/ratio bench.txt
//
// With no argument, or "-", it reads standard input. Lines that are not
// benchmark results (goos, pkg, cpu, PASS, ok…) are ignored, the GOMAXPROCS
// suffix ("-2") is dropped from names, and every figure is the median of the
// repeated samples (-count) of a benchmark. For each framework × algorithm
// found, with bare = BenchmarkBare/fw=<fw> and raw = BenchmarkRaw/alg=<alg>:
//
//   - uncached ×raw = (Adapter valid, cache=off − bare) ns / raw ns;
//     target ≤ 1.10 for HS256.
//   - allocs = (Adapter valid, cache=off − bare) allocs, beside raw allocs;
//     target ≤ raw + 5 for HS256.
//   - cached ×raw = (Adapter valid, cache=on − bare) ns / raw ns, also as 1/x;
//     target ≤ 1/10 for HS256, ≤ 1/50 for RS256 and ES256.
//   - invalid ×valid = Adapter invalid / Adapter valid ns, both cache=off;
//     target ≤ 1.00 (refusing is no dearer than accepting).
//   - hit allocs = (Adapter valid, cache=on − bare) allocs; no target here
//     (issue 24's table has one).
//
// Then a table per framework of issue 24's targets (see issue24.go): HS256
// uncached ≤ 0.30 ×raw and ≤ 6 allocations beyond bare; a cache hit's
// overhead (on − bare) ≤ 0.03 ×raw and ≤ 2 allocations beyond bare (≤ 1 for
// Fiber), beside it how much of that overhead is the framework's floor
// (BenchmarkFloor, no target); DPoP (BenchmarkDPoP, cache on) ≤ 1.05 × (Bearer + verify=ES256)
// and ≤ 30 allocations beyond bare.
//
// Rows go by framework, each framework's majors side by side (echo, echo5;
// fiber, fiber3), then by algorithm.
//
// A figure whose benchmarks are missing reads "n/a". The exit status is 0
// whenever the input held benchmark results, targets met or not; 1 when it
// held none or could not be read; 2 for more than one argument.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name, in := "stdin", stdin
	switch {
	case len(args) > 1:
		fmt.Fprintln(stderr, "usage: ratio [bench.txt | -]")
		return 2
	case len(args) == 1 && args[0] != "-":
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(stderr, "ratio:", err)
			return 1
		}
		defer f.Close()
		name, in = args[0], f
	}
	stats, err := parse(in)
	if err != nil {
		fmt.Fprintf(stderr, "ratio: reading %s: %v\n", name, err)
		return 1
	}
	if len(stats) == 0 {
		fmt.Fprintf(stderr, "ratio: no benchmark results in %s\n", name)
		return 1
	}
	report(stdout, name, stats)
	return 0
}

// stat is one benchmark: the medians of its samples.
type stat struct {
	ns, allocs float64 // allocs is NaN without -benchmem
	n          int     // samples
}

// parse reads `go test -bench` output and returns each benchmark's medians
// by name, GOMAXPROCS suffix dropped.
func parse(r io.Reader) (map[string]stat, error) {
	ns, allocs := map[string][]float64{}, map[string][]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil { // iterations
			continue
		}
		name := trimProcs(f[0])
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "ns/op":
				ns[name] = append(ns[name], v)
			case "allocs/op":
				allocs[name] = append(allocs[name], v)
			}
		}
	}
	out := map[string]stat{}
	for name, s := range ns {
		out[name] = stat{ns: median(s), allocs: median(allocs[name]), n: len(s)}
	}
	return out, sc.Err()
}

// trimProcs drops the "-<GOMAXPROCS>" suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return name
	}
	return name[:i]
}

// median is NaN for no samples.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// figure is one measured figure and its target; v is NaN when a benchmark it
// needs is missing, limit is NaN when no target applies.
type figure struct{ v, limit float64 }

func (f figure) checked() bool { return !math.IsNaN(f.v) && !math.IsNaN(f.limit) }
func (f figure) met() bool     { return f.v <= f.limit }

// mark is ✓ or ✗ for a checked figure, — when no target applies.
func (f figure) mark() string {
	switch {
	case !f.checked():
		return "—"
	case f.met():
		return "✓"
	}
	return "✗"
}

// row is one framework × algorithm.
type row struct {
	fw, alg                         string
	minN, maxN                      int // samples of the benchmarks used
	uncached, allocs, cached, inval figure
	rawAllocs, hitAllocs            float64
}

// targets are the limits by algorithm; allocs is over raw's allocations and
// invalid applies to every algorithm.
var (
	uncachedTarget = map[string]float64{"HS256": 1.10}
	allocsTarget   = map[string]float64{"HS256": 5}
	cachedTarget   = map[string]float64{"HS256": 1.0 / 10, "RS256": 1.0 / 50, "ES256": 1.0 / 50}
	invalidTarget  = 1.00
)

// limit is m[alg], NaN when m has none.
func limit(m map[string]float64, alg string) float64 {
	if v, ok := m[alg]; ok {
		return v
	}
	return math.NaN()
}

// div is a/b, NaN when b is not positive.
func div(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return a / b
}

// rows computes every framework × algorithm that has an Adapter benchmark,
// and lists the benchmarks it needed and did not find.
func rows(stats map[string]stat) ([]row, []string) {
	pairs := map[[2]string]bool{}
	var fws, algs []string
	for name := range stats {
		rest, ok := strings.CutPrefix(name, "BenchmarkAdapter/")
		if !ok {
			continue
		}
		kv := map[string]string{}
		for _, part := range strings.Split(rest, "/") {
			k, v, _ := strings.Cut(part, "=")
			kv[k] = v
		}
		fw, alg := kv["fw"], kv["alg"]
		if fw == "" || alg == "" || pairs[[2]string{fw, alg}] {
			continue
		}
		pairs[[2]string{fw, alg}] = true
		if !contains(fws, fw) {
			fws = append(fws, fw)
		}
		if !contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	order(fws, "nethttp", "echo", "echo5", "gin", "fiber", "fiber3")
	order(algs, "HS256", "RS256", "ES256", "EdDSA")

	var out []row
	missing := map[string]bool{}
	for _, fw := range fws {
		for _, alg := range algs {
			if !pairs[[2]string{fw, alg}] {
				continue
			}
			r := row{fw: fw, alg: alg}
			get := func(name string) stat {
				s, ok := stats[name]
				if !ok {
					missing[name] = true
					return stat{ns: math.NaN(), allocs: math.NaN()}
				}
				if r.minN == 0 || s.n < r.minN {
					r.minN = s.n
				}
				r.maxN = max(r.maxN, s.n)
				return s
			}
			adapter := func(token, cache string) stat {
				return get("BenchmarkAdapter/fw=" + fw + "/alg=" + alg + "/token=" + token + "/cache=" + cache)
			}
			bare, raw := get("BenchmarkBare/fw="+fw), get("BenchmarkRaw/alg="+alg)
			off, on, bad := adapter("valid", "off"), adapter("valid", "on"), adapter("invalid", "off")

			r.uncached = figure{div(off.ns-bare.ns, raw.ns), limit(uncachedTarget, alg)}
			r.allocs = figure{off.allocs - bare.allocs, raw.allocs + limit(allocsTarget, alg)}
			r.rawAllocs = raw.allocs
			r.cached = figure{div(on.ns-bare.ns, raw.ns), limit(cachedTarget, alg)}
			r.inval = figure{div(bad.ns, off.ns), invalidTarget}
			r.hitAllocs = on.allocs - bare.allocs
			out = append(out, r)
		}
	}
	var miss []string
	for name := range missing {
		miss = append(miss, name)
	}
	sort.Strings(miss)
	return out, miss
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// order sorts s in the order of known, unknown names last and alphabetically.
func order(s []string, known ...string) {
	rank := func(x string) int {
		for i, k := range known {
			if k == x {
				return i
			}
		}
		return len(known)
	}
	sort.Slice(s, func(i, j int) bool {
		if ri, rj := rank(s[i]), rank(s[j]); ri != rj {
			return ri < rj
		}
		return s[i] < s[j]
	})
}

// misses returns how many of r's targets were checked and a line for each
// one not met.
func (r row) misses() (checked int, missed []string) {
	for _, c := range []struct {
		what string
		f    figure
		lim  string
	}{
		{"uncached ×raw", r.uncached, fmt.Sprintf("%.3f > %.2f", r.uncached.v, r.uncached.limit)},
		{"uncached allocs", r.allocs, fmt.Sprintf("%s > %s + %s", num(r.allocs.v), num(r.rawAllocs), num(r.allocs.limit-r.rawAllocs))},
		{"cached ×raw", r.cached, fmt.Sprintf("%.3f > 1/%.0f", r.cached.v, 1/r.cached.limit)},
		{"invalid ×valid", r.inval, fmt.Sprintf("%.3f > %.2f", r.inval.v, r.inval.limit)},
	} {
		if !c.f.checked() {
			continue
		}
		checked++
		if !c.f.met() {
			missed = append(missed, fmt.Sprintf("%s/%s %s %s", r.fw, r.alg, c.what, c.lim))
		}
	}
	return checked, missed
}

// num prints a count: "16", "16.5", "n/a".
func num(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ratio prints v with prec decimals and its mark, "n/a" when v is NaN.
func ratio(f figure, prec int) string {
	if math.IsNaN(f.v) {
		return "n/a"
	}
	return strconv.FormatFloat(f.v, 'f', prec, 64) + " " + f.mark()
}

// cells are r's table cells, as printed.
func (r row) cells() []string {
	samples := strconv.Itoa(r.minN)
	if r.maxN != r.minN {
		samples += "–" + strconv.Itoa(r.maxN)
	}
	allocs := "n/a"
	if !math.IsNaN(r.allocs.v) {
		allocs = num(r.allocs.v) + " / " + num(r.rawAllocs) + " " + r.allocs.mark()
	}
	cached := "n/a"
	switch {
	case math.IsNaN(r.cached.v):
	case r.cached.v <= 0:
		cached = fmt.Sprintf("%.3f (1/∞) %s", r.cached.v, r.cached.mark())
	default:
		cached = fmt.Sprintf("%.3f (1/%.1f) %s", r.cached.v, 1/r.cached.v, r.cached.mark())
	}
	met := "—"
	if checked, missed := r.misses(); checked > 0 {
		met = fmt.Sprintf("%d/%d", checked-len(missed), checked)
	}
	return []string{r.fw, r.alg, samples, ratio(r.uncached, 2), allocs, cached, ratio(r.inval, 2), num(r.hitAllocs), met}
}

// plural is "1 sample", "6 samples".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// report prints the Markdown report.
func report(w io.Writer, name string, stats map[string]stat) {
	minN, maxN := 0, 0
	for _, s := range stats {
		if minN == 0 || s.n < minN {
			minN = s.n
		}
		maxN = max(maxN, s.n)
	}
	samples := plural(minN, "sample")
	if maxN != minN {
		samples = fmt.Sprintf("%d to %s", minN, plural(maxN, "sample"))
	}
	fmt.Fprintf(w, "Performance targets from %s: %s, each figure the median of %s (column n).\n\n", name, plural(len(stats), "benchmark"), samples)

	rs, missing := rows(stats)
	if len(rs) == 0 {
		fmt.Fprintln(w, "No BenchmarkAdapter/fw=…/alg=… results: nothing to compare.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(cells ...string) { fmt.Fprintf(tw, "| %s\t|\n", strings.Join(cells, "\t| ")) }
	line("fw", "alg", "n", "uncached ×raw", "allocs (adapter−bare / raw)", "cached ×raw (1/x)", "invalid ×valid", "hit allocs", "targets met")
	line("---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:")
	var checked int
	var missed []string
	for _, r := range rs {
		line(r.cells()...)
		c, m := r.misses()
		checked += c
		missed = append(missed, m...)
	}
	tw.Flush()

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Targets: uncached ≤ 1.10 ×raw and allocs ≤ raw + 5 (HS256); cached ≤ 1/10 ×raw (HS256), ≤ 1/50 (RS256, ES256); invalid ≤ 1.00 ×valid (all). ✓ met, ✗ not met, — no target.")
	fmt.Fprintln(w)
	switch {
	case checked == 0:
		fmt.Fprintln(w, "No target could be checked.")
	case len(missed) == 0:
		fmt.Fprintf(w, "All targets met (%d checked).\n", checked)
	default:
		fmt.Fprintf(w, "Targets not met (%d of %d): %s.\n", len(missed), checked, strings.Join(missed, "; "))
	}
	reportI24(w, stats)
	if len(missing) > 0 {
		fmt.Fprintf(w, "\nMissing benchmarks (n/a): %s.\n", strings.Join(missing, ", "))
	}
}
