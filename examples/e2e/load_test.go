package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/redisstore/redistest"
)

// BenchmarkScaleOut is the load figure of the Redis store (make
// bench-redis; BENCHMARKS.md): three instances of the net/http app, on one
// Redis (unix socket) and on a master with two replicas and three sentinels
// (loopback TCP), each driven by wrk over real HTTP for loadSeconds (one wrk
// per instance, one thread, 16 connections) on GET /api/me with one valid
// token, while another client logs in and out on the instances in turn and
// times each logout's refusal by the two other instances (with the memory
// store, the same logins and logouts, each on one instance). Every store is run
// in one go, so that the ratios compare one machine's state: the memory
// store (each instance its own), Redis without and with the local cache,
// Sentinel with REDIS_REPLICAS=1 without and with it; and /healthz, which
// reads no token. It needs wrk (Debian's package; make bench-redis installs
// it) and ignores b.N: run it with -benchtime=1x.
func BenchmarkScaleOut(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Fatal("wrk not found: apt-get install wrk (make bench-redis installs it)")
	}
	seconds := 5
	if v, err := strconv.Atoi(os.Getenv("LOAD_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	bin := filepath.Join(b.TempDir(), "nethttp")
	build := exec.Command("go", "build", "-o", bin, "./examples/nethttp")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	srv := redistest.Start(b)
	set := redistest.StartSentinel(b)
	addrs := set.SentinelAddrs()
	sentinelURL := fmt.Sprintf("redis://%s?master_name=%s&addr=%s&addr=%s", addrs[0], redistest.SentinelMaster, addrs[1], addrs[2])
	runs := []struct {
		name, path string
		env        []string
	}{
		{"healthz", "/healthz", nil},
		{"memory", "/api/me", nil},
		{"redis", "/api/me", []string{"REDIS_URL=" + srv.URL()}},
		{"redis-cached", "/api/me", []string{"REDIS_URL=" + srv.URL(), "REDIS_LOCAL_CACHE=on"}},
		{"sentinel", "/api/me", []string{"REDIS_URL=" + sentinelURL, "REDIS_REPLICAS=1"}},
		{"sentinel-cached", "/api/me", []string{"REDIS_URL=" + sentinelURL, "REDIS_REPLICAS=1", "REDIS_LOCAL_CACHE=on"}},
	}
	type result struct {
		name           string
		rps            float64
		p50, p99       time.Duration // the instances' median p50, and their largest p99
		logouts        int
		refused        []time.Duration // logout answered to refusal on another instance
		non2xx, errors int
	}
	var results []result
	for _, run := range runs {
		var bases []string
		for range 3 {
			bases = append(bases, startLoadApp(b, bin, run.env))
		}
		// A store counts tokens of its first second as issued before it
		// (memory: each instance's own): log in from the next one.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		token, err := loadLogin(bases[0])
		if err != nil {
			b.Fatal(err)
		}
		for _, base := range bases { // every instance has checked the token once
			if status, err := loadGet(base+run.path, token); err != nil || status != 200 {
				b.Fatal(status, err)
			}
		}
		res := result{name: run.name}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var outs []string
		for _, base := range bases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := exec.Command("wrk", "-t1", "-c16", fmt.Sprintf("-d%ds", seconds), "--latency",
					"-H", "Authorization: Bearer "+token, base+run.path).CombinedOutput()
				if err != nil {
					b.Errorf("wrk: %v\n%s", err, out)
				}
				mu.Lock()
				outs = append(outs, string(out))
				mu.Unlock()
			}()
		}
		logouts := make(chan struct{})
		shared := run.name != "memory" // memory instances share nothing: each logout is checked where it was made
		if run.name != "healthz" {
			go func() {
				defer close(logouts)
				deadline := time.Now().Add(time.Duration(seconds)*time.Second - 500*time.Millisecond)
				for i := 0; time.Now().Before(deadline); i++ {
					x := bases[i%3]
					access, err := loadLogin(x)
					if err != nil {
						b.Error(err)
						return
					}
					for _, base := range bases {
						if base != x && !shared {
							continue
						}
						if status, err := loadGet(base+"/api/me", access); err != nil || status != 200 {
							b.Error(status, err)
							return
						}
					}
					req, _ := http.NewRequest(http.MethodPost, x+"/logout", nil)
					req.Header.Set("Authorization", "Bearer "+access)
					resp, err := http.DefaultClient.Do(req)
					if err != nil || resp.StatusCode != 204 {
						b.Errorf("logout: %v %v", err, resp)
						return
					}
					_ = resp.Body.Close()
					answered := time.Now()
					for _, base := range bases {
						if base == x || !shared {
							continue
						}
						for status, err := loadGet(base+"/api/me", access); status != 401; status, err = loadGet(base+"/api/me", access) {
							if err != nil || time.Since(answered) > 5*time.Second {
								b.Errorf("the logout is not refused 5 s later: %d %v", status, err)
								return
							}
						}
						mu.Lock()
						res.refused = append(res.refused, time.Since(answered))
						mu.Unlock()
					}
					res.logouts++
					time.Sleep(20 * time.Millisecond)
				}
			}()
		} else {
			close(logouts)
		}
		wg.Wait()
		<-logouts
		var p50s, p99s []time.Duration
		for _, out := range outs {
			rps, p50, p99, non2xx, errs := parseWrk(b, out)
			res.rps += rps
			p50s, p99s = append(p50s, p50), append(p99s, p99)
			res.non2xx += non2xx
			res.errors += errs
		}
		slices.Sort(p50s)
		res.p50, res.p99 = p50s[len(p50s)/2], slices.Max(p99s)
		results = append(results, res)
	}

	base := results[1] // memory
	health := results[0]
	fmt.Printf("\n%d s per run, 3 instances, wrk -t1 -c16 each, %s\n", seconds, time.Now().UTC().Format(time.DateOnly))
	fmt.Printf("%-16s %10s %9s %9s %8s %8s %9s %9s %8s  %s\n", "store", "req/s", "p50", "p99", "÷memory", "÷healthz", "p50×mem", "p99×mem", "non-2xx", "logout → refused elsewhere (p50/p99/max, n)")
	for _, r := range results {
		refused := "-"
		if len(r.refused) > 0 {
			slices.Sort(r.refused)
			refused = fmt.Sprintf("%s / %s / %s, %d logouts", r.refused[len(r.refused)/2].Round(10*time.Microsecond),
				r.refused[len(r.refused)*99/100].Round(10*time.Microsecond), r.refused[len(r.refused)-1].Round(10*time.Microsecond), r.logouts)
		}
		fmt.Printf("%-16s %10.0f %9s %9s %8.2f %8.2f %9.2f %9.2f %8d  %s\n", r.name, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
			r.rps/base.rps, r.rps/health.rps, float64(r.p50)/float64(base.p50), float64(r.p99)/float64(base.p99), r.non2xx+r.errors, refused)
		b.ReportMetric(r.rps, r.name+"-req/s")
	}
}

// startLoadApp runs bin with env, as BenchmarkScaleOut's instances: its
// logs (a line per request) are dropped. It returns the app's base URL.
func startLoadApp(b *testing.B, bin string, env []string) string {
	b.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"ADDR=127.0.0.1:0", "JWT_SECRET=" + secret}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "jwtgate example listening on ")
	if !ok {
		b.Fatalf("no banner: %q", line)
	}
	return base
}

// loadLogin logs alice in on base and returns her access token.
func loadLogin(base string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(aliceLogin))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var pair map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&pair); err != nil || resp.StatusCode != 200 {
		return "", fmt.Errorf("login: %d %v %v", resp.StatusCode, pair, err)
	}
	return pair["access_token"].(string), nil
}

// loadGet sends GET url with token, and returns the status.
func loadGet(url, token string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads wrk's report: requests per second, the p50 and p99
// latencies, the non-2xx answers and the socket errors.
func parseWrk(b *testing.B, out string) (rps float64, p50, p99 time.Duration, non2xx, errs int) {
	b.Helper()
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		b.Fatalf("no Requests/sec in wrk's report:\n%s", out)
	}
	rps, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range wrkLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[l[3]]
		d := time.Duration(v * float64(unit))
		if l[1] == "50" {
			p50 = d
		} else {
			p99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkErrors.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			errs += n
		}
	}
	return rps, p50, p99, non2xx, errs
}
