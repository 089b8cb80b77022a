package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The load test's bounds: requests per endpoint, concurrent workers, and the
// deadline of one endpoint's run.
const (
	loadRequests = 20000
	loadWarmup   = 1000
	loadWorkers  = 8
	loadDeadline = 60 * time.Second
)

// TestLoad builds each example app, starts it on loopback, and measures
// GET /healthz and GET /api/me (with a valid token) over real HTTP in the same
// run. It is a measurement, not part of the test suite: it runs only with
// JWTGATE_LOAD=1, and writes a markdown table to JWTGATE_LOAD_OUT if set.
func TestLoad(t *testing.T) {
	if os.Getenv("JWTGATE_LOAD") != "1" {
		t.Skip("load test: run with JWTGATE_LOAD=1 [JWTGATE_LOAD_OUT=/tmp/load.md] go test -run TestLoad -v . (in bench/)")
	}
	dir := t.TempDir()
	var rows []string
	for _, name := range []string{"nethttp", "echo", "gin", "fiber"} {
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(dir, name)
			build := exec.Command("go", "build", "-o", bin, "./examples/"+name)
			build.Dir = ".."
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build %s: %v\n%s", name, err, out)
			}
			base := start(t, bin)
			token := login(t, base)
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				MaxIdleConns: loadWorkers, MaxIdleConnsPerHost: loadWorkers, IdleConnTimeout: time.Minute,
			}}
			defer client.CloseIdleConnections()
			// Warm both paths up (connections, the token cache), then measure.
			hammer(t, client, base+"/healthz", "", loadWarmup)
			hammer(t, client, base+"/api/me", token, loadWarmup)
			health := hammer(t, client, base+"/healthz", "", loadRequests)
			me := hammer(t, client, base+"/api/me", token, loadRequests)
			t.Logf("%s: /healthz %.0f req/s, /api/me %.0f req/s, me/healthz %.2f", name, health, me, me/health)
			rows = append(rows, fmt.Sprintf("| %s | %.0f | %.0f | %.2f |", name, health, me, me/health))
		})
	}
	table := fmt.Sprintf("| app | GET /healthz req/s | GET /api/me req/s | me/healthz |\n| --- | ---: | ---: | ---: |\n%s\n\n%d requests per endpoint after %d warm-up requests, %d keep-alive workers, loopback.\n",
		strings.Join(rows, "\n"), loadRequests, loadWarmup, loadWorkers)
	t.Log("\n" + table)
	if out := os.Getenv("JWTGATE_LOAD_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// start runs an example app on a loopback port, returns its base URL, and
// stops it with SIGTERM when the test ends.
func start(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "JWT_SECRET=load-test-secret-0123456789abcdef0123", "REDIS_URL=")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() { // keep reading so the app never blocks on stdout
			if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok && !sent {
				found <- strings.TrimSpace(after)
				sent = true
			}
		}
	}()
	select {
	case base := <-found:
		u, err := url.Parse(base)
		if err != nil || u.Hostname() != "127.0.0.1" {
			t.Fatalf("the app listens on %q, not on loopback", base)
		}
		return strings.TrimSuffix(base, "/")
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not say where it listens within 30 s")
	}
	return ""
}

func login(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/login", "application/json", bytes.NewBufferString(`{"username":"alice","password":"alice-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		t.Fatalf("login: status %d, err %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// hammer sends n GET requests to target from loadWorkers workers, each expected
// to answer 200, and returns requests per second. It stops at loadDeadline.
func hammer(t *testing.T, client *http.Client, target, token string, n int) float64 {
	t.Helper()
	var next, done, failed atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(loadDeadline)
	began := time.Now()
	var wg sync.WaitGroup
	for range loadWorkers {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, target, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			for next.Add(1) <= int64(n) && time.Now().Before(deadline) {
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if failed.Load() > 0 {
		t.Fatalf("%s: %d requests failed, first: %v", target, failed.Load(), firstErr.Load())
	}
	if done.Load() < int64(n) {
		t.Fatalf("%s: only %d of %d requests within %v", target, done.Load(), n, loadDeadline)
	}
	return float64(done.Load()) / elapsed.Seconds()
}
