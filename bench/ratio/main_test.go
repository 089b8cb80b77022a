package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is `go test -bench` output with repeated samples, non-benchmark
// lines, and gaps: nethttp/RS256 has no invalid token, EdDSA no raw benchmark
// and fiber/EdDSA only its uncached valid token.
//
// Medians: bare nethttp 1000 ns, 0 allocs; bare fiber 900 ns (even count),
// 0 allocs; raw HS256 20000 ns, 50 allocs; raw RS256 100000 ns, 60 allocs;
// nethttp/HS256 valid: 21000 ns and 60 allocs uncached, 2500 ns cached.
const fixture = `goos: linux
goarch: amd64
pkg: github.com/jwtgate/jwtgate/benchmarks
cpu: AMD EPYC 7B13
BenchmarkBare/fw=nethttp-2         	 1000000	      1100 ns/op	       0 B/op	       0 allocs/op
BenchmarkBare/fw=nethttp-2         	 1000000	       900 ns/op	       0 B/op	       0 allocs/op
BenchmarkBare/fw=nethttp-2         	 1000000	      1000 ns/op	       0 B/op	       0 allocs/op
BenchmarkBare/fw=fiber-2           	 1000000	       800 ns/op	       0 B/op	       0 allocs/op
BenchmarkBare/fw=fiber-2           	 1000000	      1000 ns/op	       0 B/op	       0 allocs/op
BenchmarkRaw/alg=HS256-2           	   48138	     21000 ns/op	    3000 B/op	      50 allocs/op
BenchmarkRaw/alg=HS256-2           	   48138	     19000 ns/op	    3000 B/op	      50 allocs/op
BenchmarkRaw/alg=HS256-2           	   48138	     20000 ns/op	    3000 B/op	      50 allocs/op
BenchmarkRaw/alg=RS256-2           	    9000	    100000 ns/op	    5000 B/op	      60 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=on-2     	  653188	      2000 ns/op	     320 B/op	       1 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=on-2     	  653188	      3000 ns/op	     320 B/op	       1 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=on-2     	  653188	      2500 ns/op	     320 B/op	       1 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=off-2    	  124197	     20000 ns/op	    2115 B/op	      60 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=off-2    	  124197	     23000 ns/op	    2115 B/op	      60 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=off-2    	  124197	     21000 ns/op	    2115 B/op	      60 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=invalid/cache=on-2   	  218004	      5284 ns/op	     747 B/op	      11 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=invalid/cache=off-2  	  327956	     10000 ns/op	     747 B/op	      11 allocs/op
BenchmarkAdapter/fw=nethttp/alg=RS256/token=valid/cache=on-2     	  300000	      4000 ns/op	     320 B/op	       1 allocs/op
BenchmarkAdapter/fw=nethttp/alg=RS256/token=valid/cache=off-2    	   10000	    110000 ns/op	    6000 B/op	      70 allocs/op
BenchmarkAdapter/fw=fiber/alg=HS256/token=valid/cache=on-2       	  700000	      1900 ns/op	       0 B/op	       0 allocs/op
BenchmarkAdapter/fw=fiber/alg=HS256/token=valid/cache=off-2      	  100000	     24100 ns/op	    2000 B/op	      20 allocs/op
BenchmarkAdapter/fw=fiber/alg=HS256/token=invalid/cache=off-2    	  100000	     30000 ns/op	     800 B/op	      12 allocs/op
BenchmarkAdapter/fw=fiber/alg=EdDSA/token=valid/cache=off-2
    bench_test.go:99: a log line
BenchmarkAdapter/fw=fiber/alg=EdDSA/token=valid/cache=off-2      	   50000	     40000 ns/op	    2000 B/op	      20 allocs/op
--- BENCH: BenchmarkSomething-2
PASS
ok  	github.com/jwtgate/jwtgate/benchmarks	42.0s
`

func TestTrimProcs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"BenchmarkBare/fw=nethttp-2", "BenchmarkBare/fw=nethttp"},
		{"BenchmarkRaw/alg=HS256-16", "BenchmarkRaw/alg=HS256"},
		{"BenchmarkRaw/alg=HS256", "BenchmarkRaw/alg=HS256"}, // GOMAXPROCS=1: no suffix
		{"BenchmarkX/name=a-b", "BenchmarkX/name=a-b"},
		{"BenchmarkX-", "BenchmarkX-"},
		{"BenchmarkX/n=1-2-8", "BenchmarkX/n=1-2"},
	} {
		assert.Equal(t, tc.want, trimProcs(tc.in), tc.in)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{7}, 7},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5, 5, 100, 5, 1}, 5},
	} {
		assert.Equal(t, tc.want, median(tc.in), "%v", tc.in)
	}
	assert.True(t, math.IsNaN(median(nil)))
}

func TestParse(t *testing.T) {
	stats, err := parse(strings.NewReader(fixture))
	require.NoError(t, err)
	assert.Len(t, stats, 14, "benchmark result lines only, repeats merged, suffix dropped")
	for _, tc := range []struct {
		name       string
		ns, allocs float64
		n          int
	}{
		{"BenchmarkBare/fw=nethttp", 1000, 0, 3},
		{"BenchmarkBare/fw=fiber", 900, 0, 2},
		{"BenchmarkRaw/alg=HS256", 20000, 50, 3},
		{"BenchmarkRaw/alg=RS256", 100000, 60, 1},
		{"BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=on", 2500, 1, 3},
		{"BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=off", 21000, 60, 3},
		{"BenchmarkAdapter/fw=fiber/alg=EdDSA/token=valid/cache=off", 40000, 20, 1},
	} {
		s, ok := stats[tc.name]
		if assert.True(t, ok, tc.name) {
			assert.Equal(t, stat{ns: tc.ns, allocs: tc.allocs, n: tc.n}, s, tc.name)
		}
	}
	for name := range stats {
		assert.NotRegexp(t, `-\d+$`, name)
	}
	assert.NotContains(t, stats, "BenchmarkSomething")

	// Without -benchmem there are no allocations.
	stats, err = parse(strings.NewReader("BenchmarkRaw/alg=HS256-2  100  5000 ns/op\n"))
	require.NoError(t, err)
	assert.Equal(t, 5000.0, stats["BenchmarkRaw/alg=HS256"].ns)
	assert.True(t, math.IsNaN(stats["BenchmarkRaw/alg=HS256"].allocs))
}

func TestRows(t *testing.T) {
	stats, err := parse(strings.NewReader(fixture))
	require.NoError(t, err)
	rs, missing := rows(stats)
	nan := math.NaN()
	want := []struct {
		fw, alg                              string
		uncached, allocs, cached, inval      float64
		hitAllocs                            float64
		uncachedOK, allocsOK, cachedOK, inOK string // ✓, ✗ or — (no target or n/a)
		cells                                []string
	}{
		{
			"nethttp", "HS256", (21000 - 1000) / 20000.0, 60, (2500 - 1000) / 20000.0, 10000 / 21000.0, 1,
			"✓", "✗", "✓", "✓",
			[]string{"nethttp", "HS256", "1–3", "1.00 ✓", "60 / 50 ✗", "0.075 (1/13.3) ✓", "0.48 ✓", "1", "3/4"},
		},
		{
			"nethttp", "RS256", (110000 - 1000) / 100000.0, 70, (4000 - 1000) / 100000.0, nan, 1,
			"—", "—", "✗", "—",
			[]string{"nethttp", "RS256", "1–3", "1.09 —", "70 / 60 —", "0.030 (1/33.3) ✗", "n/a", "1", "0/1"},
		},
		{
			"fiber", "HS256", (24100 - 900) / 20000.0, 20, (1900 - 900) / 20000.0, 30000 / 24100.0, 0,
			"✗", "✓", "✓", "✗",
			[]string{"fiber", "HS256", "1–3", "1.16 ✗", "20 / 50 ✓", "0.050 (1/20.0) ✓", "1.24 ✗", "0", "2/4"},
		},
		{
			"fiber", "EdDSA", nan, 20, nan, nan, nan,
			"—", "—", "—", "—",
			[]string{"fiber", "EdDSA", "1–2", "n/a", "20 / n/a —", "n/a", "n/a", "n/a", "—"},
		},
	}
	require.Len(t, rs, len(want))
	for i, w := range want {
		r := rs[i]
		t.Run(w.fw+"/"+w.alg, func(t *testing.T) {
			require.Equal(t, w.fw, r.fw)
			require.Equal(t, w.alg, r.alg)
			for _, f := range []struct {
				name string
				got  figure
				want float64
				mark string
			}{
				{"uncached", r.uncached, w.uncached, w.uncachedOK},
				{"allocs", r.allocs, w.allocs, w.allocsOK},
				{"cached", r.cached, w.cached, w.cachedOK},
				{"invalid", r.inval, w.inval, w.inOK},
			} {
				if math.IsNaN(f.want) {
					assert.True(t, math.IsNaN(f.got.v), "%s: %v, want n/a", f.name, f.got.v)
				} else {
					assert.InDelta(t, f.want, f.got.v, 1e-9, f.name)
				}
				assert.Equal(t, f.mark, f.got.mark(), f.name)
			}
			if math.IsNaN(w.hitAllocs) {
				assert.True(t, math.IsNaN(r.hitAllocs))
			} else {
				assert.Equal(t, w.hitAllocs, r.hitAllocs)
			}
			assert.Equal(t, w.cells, r.cells())
		})
	}
	assert.Equal(t, []string{
		"BenchmarkAdapter/fw=fiber/alg=EdDSA/token=invalid/cache=off",
		"BenchmarkAdapter/fw=fiber/alg=EdDSA/token=valid/cache=on",
		"BenchmarkAdapter/fw=nethttp/alg=RS256/token=invalid/cache=off",
		"BenchmarkRaw/alg=EdDSA",
	}, missing)
}

// TestOrder: rows go by framework in a fixed order, a framework's majors side
// by side, unknown frameworks last and alphabetically; then by algorithm.
func TestOrder(t *testing.T) {
	stats := map[string]stat{}
	for _, fw := range []string{"zeta", "fiber3", "gin", "echo5", "fiber", "alpha", "echo", "nethttp"} {
		for _, alg := range []string{"EdDSA", "HS256"} {
			stats["BenchmarkAdapter/fw="+fw+"/alg="+alg+"/token=valid/cache=off"] = stat{ns: 1, allocs: 0, n: 1}
		}
	}
	rs, _ := rows(stats)
	var got []string
	for _, r := range rs {
		got = append(got, r.fw+"/"+r.alg)
	}
	assert.Equal(t, []string{
		"nethttp/HS256", "nethttp/EdDSA", "echo/HS256", "echo/EdDSA", "echo5/HS256", "echo5/EdDSA",
		"gin/HS256", "gin/EdDSA", "fiber/HS256", "fiber/EdDSA", "fiber3/HS256", "fiber3/EdDSA",
		"alpha/HS256", "alpha/EdDSA", "zeta/HS256", "zeta/EdDSA",
	}, got)
}

// TestTargets checks each target's limit per algorithm, at and just past it.
func TestTargets(t *testing.T) {
	// bench builds the input of one fw × alg: bare 0 ns and 0 allocs, raw
	// 1000 ns and 50 allocs, the adapter's figures as given.
	bench := func(alg string, off, offAllocs, on, invalid float64) map[string]stat {
		a := "BenchmarkAdapter/fw=gin/alg=" + alg
		return map[string]stat{
			"BenchmarkBare/fw=gin":         {ns: 0, allocs: 0, n: 1},
			"BenchmarkRaw/alg=" + alg:      {ns: 1000, allocs: 50, n: 1},
			a + "/token=valid/cache=off":   {ns: off, allocs: offAllocs, n: 1},
			a + "/token=valid/cache=on":    {ns: on, allocs: 0, n: 1},
			a + "/token=invalid/cache=off": {ns: invalid, allocs: 0, n: 1},
		}
	}
	for _, tc := range []struct {
		name  string
		stats map[string]stat
		want  string // marks: uncached, allocs, cached, invalid
	}{
		{"HS256 at every limit", bench("HS256", 1100, 55, 100, 1100), "✓✓✓✓"},
		{"HS256 past every limit", bench("HS256", 1101, 56, 101, 1102), "✗✗✗✗"},
		{"RS256 at the limits", bench("RS256", 5000, 90, 20, 5000), "——✓✓"},
		{"RS256 past the limits", bench("RS256", 5000, 90, 21, 5001), "——✗✗"},
		{"ES256 cached 1/50", bench("ES256", 5000, 90, 20, 4000), "——✓✓"},
		{"ES256 cached past 1/50", bench("ES256", 5000, 90, 30, 4000), "——✗✓"},
		{"EdDSA invalid only", bench("EdDSA", 5000, 90, 900, 6000), "———✗"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, missing := rows(tc.stats)
			require.Len(t, rs, 1)
			assert.Empty(t, missing)
			r := rs[0]
			assert.Equal(t, tc.want, r.uncached.mark()+r.allocs.mark()+r.cached.mark()+r.inval.mark())
			checked, missed := r.misses()
			assert.Equal(t, strings.Count(tc.want, "✓")+strings.Count(tc.want, "✗"), checked)
			assert.Len(t, missed, strings.Count(tc.want, "✗"))
		})
	}
}

func TestRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bench.txt")
	require.NoError(t, os.WriteFile(file, []byte(fixture), 0o600))
	for _, tc := range []struct {
		name     string
		args     []string
		stdin    string
		code     int
		contains []string // in stdout, or stderr when code != 0
	}{
		{"file, targets missed", []string{file}, "", 0, []string{
			"Performance targets from " + file + ": 14 benchmarks, each figure the median of 1 to 3 samples (column n).",
			"| fw      | alg   | n   | uncached ×raw |",
			"| nethttp | HS256 | 1–3 | 1.00 ✓        | 60 / 50 ✗ ",
			"Targets not met (4 of 9): nethttp/HS256 uncached allocs 60 > 50 + 5; nethttp/RS256 cached ×raw 0.030 > 1/50; " +
				"fiber/HS256 uncached ×raw 1.160 > 1.10; fiber/HS256 invalid ×valid 1.245 > 1.00.",
			"Missing benchmarks (n/a): BenchmarkAdapter/fw=fiber/alg=EdDSA/token=invalid/cache=off,",
		}},
		{"stdin", nil, fixture, 0, []string{"Performance targets from stdin: 14 benchmarks"}},
		{"dash is stdin", []string{"-"}, fixture, 0, []string{"Performance targets from stdin"}},
		{"HS256 only, all met", nil, `
BenchmarkBare/fw=nethttp-2 1000000 1047 ns/op 0 B/op 0 allocs/op
BenchmarkRaw/alg=HS256-2 48138 23616 ns/op 3000 B/op 56 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=on-2 653188 1696 ns/op 320 B/op 1 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=valid/cache=off-2 124197 12277 ns/op 2115 B/op 16 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=invalid/cache=on-2 218004 5284 ns/op 747 B/op 11 allocs/op
BenchmarkAdapter/fw=nethttp/alg=HS256/token=invalid/cache=off-2 327956 5101 ns/op 747 B/op 11 allocs/op
`, 0, []string{
			"each figure the median of 1 sample (column n)",
			"| nethttp | HS256 | 1   | 0.48 ✓        | 16 / 56 ✓                   | 0.027 (1/36.4) ✓  | 0.42 ✓         | 1          | 4/4         |",
			"All targets met (4 checked).",
		}},
		{"adapter alone", nil, "BenchmarkAdapter/fw=echo/alg=HS256/token=valid/cache=off-2 10 100 ns/op\n", 0, []string{
			"Performance targets from stdin: 1 benchmark, each figure the median of 1 sample (column n).",
			"| echo | HS256 | 1   | n/a           | n/a                         | n/a               | n/a            | n/a        | —           |",
			"No target could be checked.",
			"Missing benchmarks (n/a): BenchmarkAdapter/fw=echo/alg=HS256/token=invalid/cache=off, ",
		}},
		{"no adapter", nil, "BenchmarkRaw/alg=HS256-2 10 100 ns/op\n", 0, []string{"nothing to compare"}},
		{"no benchmarks", nil, "goos: linux\nPASS\nok  \tx\t0.1s\n", 1, []string{"ratio: no benchmark results in stdin"}},
		{"empty", nil, "", 1, []string{"no benchmark results"}},
		{"no such file", []string{filepath.Join(t.TempDir(), "none.txt")}, "", 1, []string{"no such file"}},
		{"two arguments", []string{"a", "b"}, "", 2, []string{"usage: ratio"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
			require.Equal(t, tc.code, code, "stderr: %s", stderr.String())
			out := stdout.String()
			if tc.code != 0 {
				out = stderr.String()
				assert.Empty(t, stdout.String())
			} else {
				assert.Empty(t, stderr.String())
			}
			for _, s := range tc.contains {
				assert.Contains(t, out, s)
			}
		})
	}
}
