package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// The targets of issue 24, per framework, in a table of their own beside
// the per-algorithm one (whose targets stay). With bare =
// BenchmarkBare/fw=<fw>, raw = BenchmarkRaw/alg=HS256, off and on =
// BenchmarkAdapter/fw=<fw>/alg=HS256/token=valid/cache=<off|on>, and
// BenchmarkDPoP/fw=<fw>/cache=on/scheme=<Bearer|DPoP> and
// BenchmarkDPoP/verify=ES256 (golang-jwt's ES256 Verify of the proof):
//
//   - uncached ×raw = (off − bare) ns / raw ns ≤ 0.30;
//   - uncached allocs = off − bare allocs ≤ 6;
//   - hit overhead = (on − bare) ns / raw ns ≤ 0.03: what a cache hit adds
//     to the bare framework, as a share of golang-jwt verifying the token;
//   - hit allocs = on − bare allocs ≤ 2 (net/http-based: nethttp, echo,
//     echo5, gin), ≤ 1 (fiber, fiber3);
//   - beside the hit, with floor = BenchmarkFloor/fw=<fw> (a middleware that
//     reads the Authorization field and carries one value per request where
//     the adapter carries the token), no target: floor ×raw = (floor − bare)
//     ns / raw ns, what any such middleware adds to the framework, and hit
//     beyond floor ×raw = (on − floor) ns / raw ns, what jwtgate adds to it;
//   - DPoP ×(Bearer + ES256) = DPoP ns / (Bearer ns + verify=ES256 ns) ≤ 1.05,
//     cache on: a DPoP request costs no more than a cached Bearer request and
//     one raw ES256 verification, 5 % allowed;
//   - DPoP allocs = DPoP − bare allocs ≤ 30.
const (
	i24Uncached    = 0.30
	i24Allocs      = 6
	i24Hit         = 0.03
	i24HitAllocs   = 2
	i24HitAllocsFb = 1
	i24DPoP        = 1.05
	i24DPoPAllocs  = 30
)

// i24Row is one framework's figures against issue 24's targets.
type i24Row struct {
	fw                                                 string
	uncached, allocs, hit, hitAllocs, dpop, dpopAllocs figure
	floor, beyondFloor                                 float64 // ×raw, no target; NaN without BenchmarkFloor
	dpopNS, bearerNS, verifyNS                         float64
}

// hitAllocsLimit is the allocations a framework needs to carry a value per
// request: Fiber's Locals and user context take none of the request's own,
// net/http's context does (r.WithContext) and the token's copy.
func hitAllocsLimit(fw string) float64 {
	if strings.HasPrefix(fw, "fiber") {
		return i24HitAllocsFb
	}
	return i24HitAllocs
}

// i24Rows computes a row for every framework with an HS256 adapter
// benchmark or a DPoP one.
func i24Rows(stats map[string]stat) []i24Row {
	var fws []string
	for name := range stats {
		var rest string
		if r, ok := strings.CutPrefix(name, "BenchmarkAdapter/fw="); ok && strings.Contains(r, "/alg=HS256/") {
			rest = r
		} else if r, ok := strings.CutPrefix(name, "BenchmarkDPoP/fw="); ok {
			rest = r
		} else {
			continue
		}
		fw, _, _ := strings.Cut(rest, "/")
		if fw != "" && !contains(fws, fw) {
			fws = append(fws, fw)
		}
	}
	order(fws, "nethttp", "echo", "echo5", "gin", "fiber", "fiber3")
	get := func(name string) stat {
		if s, ok := stats[name]; ok {
			return s
		}
		return stat{ns: math.NaN(), allocs: math.NaN()}
	}
	var out []i24Row
	for _, fw := range fws {
		bare, raw := get("BenchmarkBare/fw="+fw), get("BenchmarkRaw/alg=HS256")
		off := get("BenchmarkAdapter/fw=" + fw + "/alg=HS256/token=valid/cache=off")
		on := get("BenchmarkAdapter/fw=" + fw + "/alg=HS256/token=valid/cache=on")
		dpop := get("BenchmarkDPoP/fw=" + fw + "/cache=on/scheme=DPoP")
		brr := get("BenchmarkDPoP/fw=" + fw + "/cache=on/scheme=Bearer")
		verify := get("BenchmarkDPoP/verify=ES256")
		floor := get("BenchmarkFloor/fw=" + fw)
		out = append(out, i24Row{
			fw:          fw,
			uncached:    figure{div(off.ns-bare.ns, raw.ns), i24Uncached},
			allocs:      figure{off.allocs - bare.allocs, i24Allocs},
			hit:         figure{div(on.ns-bare.ns, raw.ns), i24Hit},
			hitAllocs:   figure{on.allocs - bare.allocs, hitAllocsLimit(fw)},
			floor:       div(floor.ns-bare.ns, raw.ns),
			beyondFloor: div(on.ns-floor.ns, raw.ns),
			dpop:        figure{div(dpop.ns, brr.ns+verify.ns), i24DPoP},
			dpopAllocs:  figure{dpop.allocs - bare.allocs, i24DPoPAllocs},
			dpopNS:      dpop.ns, bearerNS: brr.ns, verifyNS: verify.ns,
		})
	}
	return out
}

// misses returns how many of r's targets were checked and a line for each
// one not met.
func (r i24Row) misses() (checked int, missed []string) {
	for _, c := range []struct {
		what string
		f    figure
		v    string
	}{
		{"uncached ×raw", r.uncached, fmt.Sprintf("%.3f > %.2f", r.uncached.v, r.uncached.limit)},
		{"uncached allocs beyond bare", r.allocs, fmt.Sprintf("%s > %s", num(r.allocs.v), num(r.allocs.limit))},
		{"hit overhead ×raw", r.hit, fmt.Sprintf("%.4f > %.2f", r.hit.v, r.hit.limit)},
		{"hit allocs beyond bare", r.hitAllocs, fmt.Sprintf("%s > %s", num(r.hitAllocs.v), num(r.hitAllocs.limit))},
		{"DPoP ×(Bearer + ES256)", r.dpop, fmt.Sprintf("%.3f > %.2f", r.dpop.v, r.dpop.limit)},
		{"DPoP allocs beyond bare", r.dpopAllocs, fmt.Sprintf("%s > %s", num(r.dpopAllocs.v), num(r.dpopAllocs.limit))},
	} {
		if !c.f.checked() {
			continue
		}
		checked++
		if !c.f.met() {
			missed = append(missed, fmt.Sprintf("%s %s %s", r.fw, c.what, c.v))
		}
	}
	return checked, missed
}

// count prints an allocation figure with its mark.
func count(f figure) string {
	if math.IsNaN(f.v) {
		return "n/a"
	}
	return num(f.v) + " " + f.mark()
}

// cells are r's table cells, as printed.
func (r i24Row) cells() []string {
	met := "—"
	if checked, missed := r.misses(); checked > 0 {
		met = fmt.Sprintf("%d/%d", checked-len(missed), checked)
	}
	return []string{r.fw, ratio(r.uncached, 2), count(r.allocs), ratio(r.hit, 4), count(r.hitAllocs) + " (≤ " + num(r.hitAllocs.limit) + ")",
		plain(r.floor), plain(r.beyondFloor), ratio(r.dpop, 3), count(r.dpopAllocs), met}
}

// plain prints a figure without a target to four places, n/a for NaN.
func plain(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", v)
}

// reportI24 prints issue 24's table and its summary; nothing when no
// framework has the benchmarks it reads.
func reportI24(w io.Writer, stats map[string]stat) {
	rs := i24Rows(stats)
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Issue 24's targets, per framework (HS256; DPoP with an ES256 proof, cache on):")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(cells ...string) { fmt.Fprintf(tw, "| %s\t|\n", strings.Join(cells, "\t| ")) }
	line("fw", "uncached ×raw", "uncached allocs −bare", "hit overhead ×raw", "hit allocs −bare", "floor ×raw", "hit beyond floor ×raw",
		"DPoP ×(Bearer+ES256)", "DPoP allocs −bare", "targets met")
	line("---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:")
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
	fmt.Fprintln(w, "Issue 24's targets: uncached (adapter − bare) ≤ 0.30 ×raw HS256 and ≤ 6 allocations beyond bare; "+
		"a cache hit's overhead (adapter − bare) ≤ 0.03 ×raw HS256 and ≤ 2 allocations beyond bare (≤ 1 for Fiber); "+
		"DPoP ≤ 1.05 × (cached Bearer + raw ES256 verify) and ≤ 30 allocations beyond bare. ✓ met, ✗ not met. "+
		"No target: floor ×raw is (BenchmarkFloor − bare), a middleware that reads Authorization and carries one value per request "+
		"as the adapter does, the part of a hit's overhead no middleware avoids; hit beyond floor is (hit − floor), jwtgate's own.")
	fmt.Fprintln(w)
	switch {
	case checked == 0:
		fmt.Fprintln(w, "No issue 24 target could be checked.")
	case len(missed) == 0:
		fmt.Fprintf(w, "All issue 24 targets met (%d checked).\n", checked)
	default:
		fmt.Fprintf(w, "Issue 24 targets not met (%d of %d): %s.\n", len(missed), checked, strings.Join(missed, "; "))
	}
}
