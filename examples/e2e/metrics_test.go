package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwtgatetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetricsAndLogs runs a script against each app (DPOP=allowed): logins,
// calls, a forged token, no token, a refresh token spent twice, DPoP calls,
// request IDs good and bad; then it scrapes GET /metrics, without a token,
// and finds the counts of what it did, with their labels, alike in every
// app; then, the app stopped, it reads standard error: one JSON line per
// request with its method, path, status, duration and request ID (the one
// sent when it is valid, which the answer echoes, else a new one), jwtgate's
// refusal records carrying the ID of their request, and not one token, proof
// or cookie in any line.
func TestMetricsAndLogs(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	counts := map[string]map[string]float64{}
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, a.name, "DPOP=allowed")
			c := p.client()
			var secrets []string // what no log line may hold
			var requests []sent
			call := func(method, path, body string, status int, header ...string) (http.Header, map[string]any) {
				t.Helper()
				got, h, m := c.with(method, path, body, header...)
				require.Equal(t, status, got, "%s %s: %v", method, path, m)
				requests = append(requests, sent{method, path, got, h.Get("X-Request-ID")})
				return h, m
			}

			h, pair := call("POST", "/login", aliceLogin, 200, "X-Request-ID", "e2e-login.1")
			assert.Equal(t, "e2e-login.1", h.Get("X-Request-ID"), "a valid X-Request-ID is echoed")
			access, refresh := pair["access_token"].(string), pair["refresh_token"].(string)
			forged := tamperSignature(access)
			secrets = append(secrets, access, refresh, forged)
			call("GET", "/api/me", "", 200, "Authorization", "Bearer "+access)
			call("GET", "/api/me", "", 200, "Cookie", "access_token="+access)
			call("GET", "/api/me", "", 401, "Authorization", "Bearer "+forged, "X-Request-ID", "e2e-forged")
			call("GET", "/api/me", "", 401)
			_, pair = call("POST", "/refresh", `{"refresh_token":"`+refresh+`"}`, 200)
			secrets = append(secrets, pair["access_token"].(string), pair["refresh_token"].(string))
			call("POST", "/refresh", `{"refresh_token":"`+refresh+`"}`, 401, "X-Request-ID", "e2e-reuse")
			for _, bad := range []string{strings.Repeat("a", 65), "has space", "new\u00e9line", "a/b"} {
				h, _ = call("GET", "/healthz", "", 200, "X-Request-ID", bad)
				assert.Len(t, h.Get("X-Request-ID"), 26, "%q is replaced by a new ID", bad)
			}

			k := jwtgatetest.NewDPoPKey("ES256")
			proof := k.Proof("POST", p.base+"/login", time.Now(), "", jwtgatetest.ProofOptions{})
			_, pair = call("POST", "/login", aliceLogin, 200, "DPoP", proof)
			bound := pair["access_token"].(string)
			meProof := k.Proof("GET", p.base+"/api/me", time.Now(), bound, jwtgatetest.ProofOptions{})
			secrets = append(secrets, proof, bound, pair["refresh_token"].(string), meProof)
			call("GET", "/api/me", "", 200, "Authorization", "DPoP "+bound, "DPoP", meProof)
			call("GET", "/api/me", "", 401, "Authorization", "DPoP "+bound, "DPoP", meProof) // replayed

			samples := scrape(t, p.base)
			requests = append(requests, sent{"GET", "/metrics", 200, ""})
			for _, want := range []struct {
				name   string
				labels []string
				value  float64
			}{
				{"jwtgate_auth_requests_total", []string{`jwtgate_auth_outcome="accepted"`}, 3},
				{"jwtgate_auth_requests_total", []string{`jwtgate_auth_outcome="refused"`, `jwtgate_auth_reason="bad_signature"`}, 1},
				{"jwtgate_auth_requests_total", []string{`jwtgate_auth_outcome="refused"`, `jwtgate_auth_reason="missing_token"`}, 1},
				{"jwtgate_auth_requests_total", []string{`jwtgate_auth_outcome="refused"`}, 3},
				{"jwtgate_issuing_refresh_reuses_total", nil, 1},
				{"jwtgate_issuing_duration_seconds_count", []string{`jwtgate_issuing_operation="login"`}, 2},
				{"jwtgate_issuing_duration_seconds_count", []string{`jwtgate_issuing_operation="refresh"`}, 2},
				{"jwtgate_store_duration_seconds_count", []string{`jwtgate_store_operation="remember_proof"`}, 3},
			} {
				assert.Equal(t, want.value, sum(samples, want.name, want.labels...), "%s%v", want.name, want.labels)
			}
			mu.Lock()
			counts[a.name] = samples
			mu.Unlock()

			require.NoError(t, p.stop())
			assert.Equal(t, 1, checkLogs(t, p.stderr.String(), secrets, requests),
				"the spent refresh token sent back is logged once:\n%s", p.stderr.String())
		})
	}
	t.Cleanup(func() {
		// The same script, the same counts: every counter, and every
		// histogram's count, of every app is the net/http app's.
		ref := counts[apps[0].name]
		for _, a := range apps[1:] {
			got := counts[a.name]
			if got == nil || ref == nil {
				return // a subtest failed before it scraped
			}
			assert.Equal(t, countsOnly(ref), countsOnly(got), "%s vs %s: counters", a.name, apps[0].name)
		}
	})
}

// sent is a request a test sent, as its log line should tell it.
type sent struct {
	method, path string
	status       int
	id           string // the X-Request-ID answered; "": not known
}

// checkLogs reads an app's standard error: every line a JSON object; one
// request line per request, in order, with its method, path, status,
// duration and request ID (id, when not empty); jwtgate's refusal records
// with the ID of a request refused; none holding a secret. It returns the
// number of the issuer's records of a spent refresh token sent back.
func checkLogs(t *testing.T, stderr string, secrets []string, requests []sent) (reuses int) {
	t.Helper()
	var lines []map[string]any
	ids := map[string]int{} // request ID → status
	for line := range strings.Lines(stderr) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "a JSON line: %s", line)
		for _, s := range secrets {
			for _, part := range strings.Split(s, ".") {
				require.NotContains(t, line, part, "a token, or part of one, is logged")
			}
		}
		assert.NotContains(t, line, "Bearer ")
		if m["msg"] == "request" {
			lines = append(lines, m)
			id, _ := m["request_id"].(string)
			require.NotEmpty(t, id, "a request line has its ID: %s", line)
			ids[id] = int(m["status"].(float64))
		}
	}
	require.Len(t, lines, len(requests), "one line per request:\n%s", stderr)
	for i, r := range requests {
		l := lines[i]
		assert.Equal(t, r.method, l["method"], "line %d", i)
		assert.Equal(t, r.path, l["path"], "line %d", i)
		assert.Equal(t, float64(r.status), l["status"], "line %d", i)
		assert.IsType(t, float64(0), l["duration_ms"], "line %d", i)
		if r.id != "" {
			assert.Equal(t, r.id, l["request_id"], "line %d: the ID the answer carried", i)
		}
	}

	refusals := 0
	for line := range strings.Lines(stderr) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["reason"] == "refresh_reused" {
			// The issuer's own record, through the app's logger.
			reuses++
			assert.Equal(t, "WARN", m["level"], line)
			assert.NotEmpty(t, m["sid"], line)
			continue
		}
		if m["msg"] != "jwtgate: request refused" {
			continue
		}
		refusals++
		id, _ := m["request_id"].(string)
		status, ok := ids[id]
		assert.True(t, ok, "a refusal record carries the ID of a request: %s", line)
		assert.Equal(t, float64(status), m["status"], "its request was answered as refused: %s", line)
		if id == "e2e-forged" {
			assert.Equal(t, "bad_signature", m["reason"], line)
		}
	}
	assert.Positive(t, refusals, "jwtgate's refusals are logged:\n%s", stderr)
	return reuses
}

// scrape returns the samples GET /metrics serves, sent without a token, by
// series (its name and labels as served).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := httpClient.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "GET /metrics needs no token")
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain", "Prometheus's text format")
	samples := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "a sample: %q", line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "a sample: %q", line)
		samples[line[:i]] = v
	}
	require.NoError(t, sc.Err())
	return samples
}

// sum adds the samples of the series of name that have every one of labels
// (`name="value"` each).
func sum(samples map[string]float64, name string, labels ...string) float64 {
	var total float64
	for series, v := range samples {
		n, rest, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		have := strings.Split(strings.TrimSuffix(rest, "}"), ",")
		if !slices.ContainsFunc(labels, func(l string) bool { return !slices.Contains(have, l) }) {
			total += v
		}
	}
	return total
}

// countsOnly is samples without durations: jwtgate's counters and its
// histograms' counts, which the same script makes the same.
func countsOnly(samples map[string]float64) map[string]float64 {
	out := maps.Clone(samples)
	maps.DeleteFunc(out, func(series string, _ float64) bool {
		name, _, _ := strings.Cut(series, "{")
		return !strings.HasPrefix(name, "jwtgate_") || !(strings.HasSuffix(name, "_total") || strings.HasSuffix(name, "_count"))
	})
	return out
}

// TestLogLevel: with LOG_LEVEL=warn each app logs neither its request lines
// nor jwtgate's refusal records (both Info), and still logs a spent refresh
// token sent back (Warn); LOG_LEVEL=debug keeps both. TestMetricsAndLogs
// checks the default, Info.
func TestLogLevel(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			for _, level := range []string{"warn", "debug"} {
				p := start(t, a.name, "LOG_LEVEL="+level)
				c := p.client()
				status, _, pair := c.with("POST", "/login", aliceLogin)
				require.Equal(t, 200, status, "%v", pair)
				access, refresh := pair["access_token"].(string), pair["refresh_token"].(string)
				status, _, _ = c.with("GET", "/api/me", "", "Authorization", "Bearer "+tamperSignature(access))
				require.Equal(t, 401, status)
				for _, want := range []int{200, 401} { // the refresh token twice: the second is a reuse
					status, _, _ = c.with("POST", "/refresh", `{"refresh_token":"`+refresh+`"}`)
					require.Equal(t, want, status)
				}
				require.NoError(t, p.stop())
				var requests, refusals, reuses int
				for line := range strings.Lines(p.stderr.String()) {
					var m map[string]any
					require.NoError(t, json.Unmarshal([]byte(line), &m), "a JSON line: %s", line)
					switch {
					case m["msg"] == "request":
						requests++
					case m["msg"] == "jwtgate: request refused":
						refusals++
					case m["reason"] == "refresh_reused":
						reuses++
					}
				}
				assert.Equal(t, 1, reuses, "%s: the Warn record:\n%s", level, p.stderr.String())
				if level == "warn" {
					assert.Zero(t, requests+refusals, "no Info record at warn:\n%s", p.stderr.String())
				} else {
					assert.Equal(t, 4, requests, "a line per request at debug:\n%s", p.stderr.String())
					assert.Positive(t, refusals, "the refusal records at debug")
				}
			}
		})
	}
}
