package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIssue24 checks each of issue 24's targets at and just past its limit,
// and that a framework without DPoP benchmarks leaves those n/a.
func TestIssue24(t *testing.T) {
	// bench is one framework's input: bare 100 ns and 3 allocs, raw HS256
	// 1000 ns, verify=ES256 10000 ns, Bearer 200 ns.
	bench := func(fw string, off, offAllocs, on, onAllocs, dpop, dpopAllocs float64) map[string]stat {
		a := "BenchmarkAdapter/fw=" + fw + "/alg=HS256/token=valid/cache="
		d := "BenchmarkDPoP/fw=" + fw + "/cache=on/scheme="
		return map[string]stat{
			"BenchmarkBare/fw=" + fw:     {ns: 100, allocs: 3, n: 1},
			"BenchmarkRaw/alg=HS256":     {ns: 1000, allocs: 50, n: 1},
			a + "off":                    {ns: off, allocs: offAllocs, n: 1},
			a + "on":                     {ns: on, allocs: onAllocs, n: 1},
			d + "Bearer":                 {ns: 200, allocs: 5, n: 1},
			d + "DPoP":                   {ns: dpop, allocs: dpopAllocs, n: 1},
			"BenchmarkDPoP/verify=ES256": {ns: 10000, allocs: 20, n: 1},
			"BenchmarkFloor/fw=" + fw:    {ns: 110, allocs: 5, n: 1},
		}
	}
	for _, tc := range []struct {
		name  string
		stats map[string]stat
		want  string // marks: uncached, allocs, hit, hit allocs, DPoP, DPoP allocs
	}{
		{"net/http at every limit", bench("gin", 400, 9, 130, 5, 10710, 33), "✓✓✓✓✓✓"},
		{"net/http past every limit", bench("gin", 401, 10, 131, 6, 10711, 34), "✗✗✗✗✗✗"},
		{"fiber at its hit allocs", bench("fiber", 400, 9, 130, 4, 10710, 33), "✓✓✓✓✓✓"},
		{"fiber past its hit allocs", bench("fiber3", 400, 9, 130, 5, 10710, 33), "✓✓✓✗✓✓"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := i24Rows(tc.stats)
			require.Len(t, rs, 1)
			r := rs[0]
			assert.Equal(t, tc.want, r.uncached.mark()+r.allocs.mark()+r.hit.mark()+r.hitAllocs.mark()+r.dpop.mark()+r.dpopAllocs.mark())
			// The floor has no target: (floor − bare) and (hit − floor) ×raw.
			assert.InDelta(t, 10/1000.0, r.floor, 1e-9)
			assert.InDelta(t, (tc.stats["BenchmarkAdapter/fw="+r.fw+"/alg=HS256/token=valid/cache=on"].ns-110)/1000, r.beyondFloor, 1e-9)
			checked, missed := r.misses()
			assert.Equal(t, 6, checked)
			assert.Len(t, missed, strings.Count(tc.want, "✗"))
		})
	}

	// Adapter benchmarks only: the DPoP figures are n/a, the rest checked.
	stats, err := parse(strings.NewReader(fixture))
	require.NoError(t, err)
	rs := i24Rows(stats)
	require.Len(t, rs, 2)
	assert.Equal(t, "nethttp", rs[0].fw)
	assert.InDelta(t, (21000-1000)/20000.0, rs[0].uncached.v, 1e-9)
	assert.InDelta(t, (2500-1000)/20000.0, rs[0].hit.v, 1e-9)
	assert.True(t, math.IsNaN(rs[0].dpop.v))
	assert.Equal(t, []string{"nethttp", "1.00 ✗", "60 ✗", "0.0750 ✗", "1 ✓ (≤ 2)", "n/a", "n/a", "n/a", "n/a", "1/4"}, rs[0].cells())
	assert.Equal(t, []string{"fiber", "1.16 ✗", "20 ✗", "0.0500 ✗", "0 ✓ (≤ 1)", "n/a", "n/a", "n/a", "n/a", "1/4"}, rs[1].cells())
	rs = i24Rows(bench("gin", 400, 9, 130, 5, 10710, 33))
	assert.Equal(t, []string{"gin", "0.30 ✓", "6 ✓", "0.0300 ✓", "2 ✓ (≤ 2)", "0.0100", "0.0200", "1.050 ✓", "30 ✓", "6/6"}, rs[0].cells())

	var out bytes.Buffer
	report(&out, "bench.txt", stats)
	assert.Contains(t, out.String(), "| fw      | uncached ×raw | uncached allocs −bare |")
	assert.Contains(t, out.String(), "Issue 24 targets not met (6 of 8): nethttp uncached ×raw 1.000 > 0.30; nethttp uncached allocs beyond bare 60 > 6;")
}
