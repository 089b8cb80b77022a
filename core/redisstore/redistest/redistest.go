// Package redistest starts a real redis-server for tests: on a unix socket in
// the test's temporary directory, or the one REDIS_URL names.
//
// Without a redis-server binary (and without REDIS_URL) the tests that need
// one are skipped with a message saying how to install it, unless
// JWTGATE_REQUIRE_REDIS=1, which the project's test command sets: then they
// fail.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server for one test.
type Server struct {
	t       testing.TB
	url     string
	sock    string
	dir     string
	cmd     *exec.Cmd
	managed bool
}

// Start returns a running server, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return &Server{t: t, url: u}
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		msg := "redis-server not found: install it (Debian: apt-get install redis-server) or set REDIS_URL"
		if os.Getenv("JWTGATE_REQUIRE_REDIS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Unix socket paths are limited to ~104 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &Server{t: t, dir: dir, sock: filepath.Join(dir, "redis.sock"), managed: true}
	s.url = "unix://" + s.sock
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's address in REDIS_URL form (unix:///…/redis.sock).
func (s *Server) URL() string { return s.url }

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	opts, err := redis.ParseURL(s.url)
	if err != nil {
		s.t.Fatal(err)
	}
	c := redis.NewClient(opts)
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a fresh key prefix, so that tests sharing a server share
// nothing else.
func Prefix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "test:" + hex.EncodeToString(b) + ":"
}

// Stop stops a server this package started (a fault test's "Redis is down").
// It is a no-op for a REDIS_URL server.
func (s *Server) Stop() {
	if !s.managed || s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
	_ = os.Remove(s.sock)
}

// Restart starts a stopped server again on the same socket, empty.
func (s *Server) Restart() {
	s.t.Helper()
	if !s.managed {
		s.t.Fatal("redistest: Restart needs a server this package started, not REDIS_URL")
	}
	s.Stop()
	s.start()
}

// Managed reports whether this package runs the server (and so can stop it).
func (s *Server) Managed() bool { return s.managed }

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command("redis-server",
		"--port", "0", "--unixsocket", s.sock, "--unixsocketperm", "700",
		"--dir", s.dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not answer on %s: %v", s.sock, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's start-up, not timing a test
	}
}
