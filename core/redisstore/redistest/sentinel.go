package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the sentinels of StartSentinel monitor.
const SentinelMaster = "jwtgate"

// Sentinel is a master, two replicas and three Redis Sentinels on loopback
// ports chosen free, for one test: the deployment a FailoverClient serves.
// The sentinels call a master down after 1 s without an answer (quorum 2),
// so a failover takes a few seconds.
type Sentinel struct {
	t         testing.TB
	dir       string
	servers   []*clusterNode // [0] is the first master
	sentinels []*clusterNode
}

// StartSentinel returns a running master with two replicas in sync and
// three sentinels that know them all and each other, stopped when the test
// ends.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	needBinaries(t, "redis-server", "redis-sentinel")
	s := &Sentinel{t: t, dir: tempDir(t)}
	t.Cleanup(s.stop)
	s.servers = append(s.servers, s.startServer(""))
	for range 2 {
		s.servers = append(s.servers, s.startServer(s.servers[0].addr))
	}
	for i := range 3 {
		s.sentinels = append(s.sentinels, s.startSentinel(i))
	}
	s.waitReady()
	return s
}

// startServer starts a redis-server on a free port, a replica of master
// unless master is "".
func (s *Sentinel) startServer(master string) *clusterNode {
	s.t.Helper()
	var lastErr error
	for range 5 {
		ports, err := freePorts(1)
		if err != nil {
			s.t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
		args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(ports[0]),
			"--repl-diskless-sync-delay", "0", "--dbfilename", "dump-" + strconv.Itoa(ports[0]) + ".rdb"}
		if master != "" {
			host, port, _ := net.SplitHostPort(master)
			args = append(args, "--replicaof", host, port)
		}
		p, err := startProcess(s.dir, "tcp", addr, args...)
		if err == nil {
			return &clusterNode{addr: addr, proc: p}
		}
		lastErr = err
	}
	s.t.Fatal(lastErr)
	return nil
}

// startSentinel starts sentinel i, monitoring the first master. A sentinel
// rewrites its configuration file, which is therefore its own.
func (s *Sentinel) startSentinel(i int) *clusterNode {
	s.t.Helper()
	host, port, _ := net.SplitHostPort(s.servers[0].addr)
	var lastErr error
	for range 5 {
		ports, err := freePorts(1)
		if err != nil {
			s.t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
		conf := filepath.Join(s.dir, fmt.Sprintf("sentinel-%d.conf", i))
		m := SentinelMaster
		text := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsentinel monitor %s %s %s 2\n", ports[0], s.dir, m, host, port) +
			fmt.Sprintf("sentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 10000\nsentinel parallel-syncs %s 2\n", m, m, m)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			s.t.Fatal(err)
		}
		p, err := runProcess("redis-sentinel", "tcp", addr, conf, "--daemonize", "no", "--loglevel", "warning")
		if err == nil {
			return &clusterNode{addr: addr, proc: p}
		}
		lastErr = err
	}
	s.t.Fatal(lastErr)
	return nil
}

// waitReady waits until both replicas are in sync with the master and every
// sentinel knows the two replicas and the two other sentinels: only then can
// a failover happen.
func (s *Sentinel) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	ready := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, n := range s.servers[1:] {
			c := redis.NewClient(&redis.Options{Addr: n.addr, MaxRetries: -1})
			info, err := c.Info(ctx, "replication").Result()
			_ = c.Close()
			if err != nil || !strings.Contains(info, "master_link_status:up") {
				return fmt.Errorf("replica %s not in sync: %v", n.addr, err)
			}
		}
		for _, n := range s.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: n.addr, MaxRetries: -1})
			replicas, err := c.Replicas(ctx, SentinelMaster).Result()
			if err == nil && len(replicas) != 2 {
				err = fmt.Errorf("%d replicas known", len(replicas))
			}
			var sentinels []map[string]string
			if err == nil {
				sentinels, err = c.Sentinels(ctx, SentinelMaster).Result()
			}
			if err == nil && len(sentinels) != 2 {
				err = fmt.Errorf("%d other sentinels known", len(sentinels))
			}
			_ = c.Close()
			if err != nil {
				return fmt.Errorf("sentinel %s: %v", n.addr, err)
			}
		}
		return nil
	}
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: the sentinel set-up is not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling the set-up's convergence
	}
}

// SentinelAddrs are the sentinels' addresses (host:port).
func (s *Sentinel) SentinelAddrs() []string {
	out := make([]string, len(s.sentinels))
	for i, n := range s.sentinels {
		out[i] = n.addr
	}
	return out
}

// Addrs are the data servers' addresses, the first master first.
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.servers))
	for i, n := range s.servers {
		out[i] = n.addr
	}
	return out
}

// Client returns a failover client (a *redis.Client that asks the sentinels
// for the master), closed when the test ends. It has ContextTimeoutEnabled
// set, as redisstore.New requires.
func (s *Sentinel) Client() *redis.Client {
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: SentinelMaster, SentinelAddrs: s.SentinelAddrs(), ContextTimeoutEnabled: true,
	})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Master returns the index (in Addrs) of the master: the server a sentinel
// names as the master and that answers as one (role:master), waiting up to
// 10 s for the two to agree (during a failover they do not).
func (s *Sentinel) Master() int {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := s.named(); m >= 0 && s.role(m) == "master" {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatal("redistest: no sentinel names a server that answers as the master")
		}
		time.Sleep(50 * time.Millisecond) // polling a failover in progress
	}
}

// named returns the index of the server the first sentinel that answers
// names as the master, or -1.
func (s *Sentinel) named() int {
	for _, n := range s.sentinels {
		if n.proc == nil {
			continue
		}
		c := redis.NewSentinelClient(&redis.Options{Addr: n.addr, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		addr, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		cancel()
		_ = c.Close()
		if err != nil || len(addr) != 2 {
			continue
		}
		for i, srv := range s.servers {
			if srv.addr == net.JoinHostPort(addr[0], addr[1]) {
				return i
			}
		}
	}
	return -1
}

// role is server i's role as it says (INFO replication), or "" if it does
// not answer.
func (s *Sentinel) role(i int) string {
	if s.servers[i].proc == nil {
		return ""
	}
	c := redis.NewClient(&redis.Options{Addr: s.servers[i].addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(info, "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "role:"); ok {
			return r
		}
	}
	return ""
}

// Kill stops server i for good (SIGKILL).
func (s *Sentinel) Kill(i int) {
	s.t.Helper()
	if n := s.servers[i]; n.proc != nil {
		n.proc.kill()
		n.proc = nil
	}
}

// Pause freezes server i (SIGSTOP) until Resume(i).
func (s *Sentinel) Pause(i int) { s.t.Helper(); s.signal(i, syscall.SIGSTOP) }

// Resume undoes Pause(i) (SIGCONT).
func (s *Sentinel) Resume(i int) { s.t.Helper(); s.signal(i, syscall.SIGCONT) }

func (s *Sentinel) signal(i int, sig syscall.Signal) {
	s.t.Helper()
	n := s.servers[i]
	if n.proc == nil {
		s.t.Fatalf("redistest: server %d is stopped", i)
	}
	if err := n.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// WaitFailover waits until the sentinels name a master other than old that
// answers as one, and returns its index.
func (s *Sentinel) WaitFailover(old int, within time.Duration) int {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if m := s.named(); m >= 0 && m != old && s.role(m) == "master" {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: no failover from server %d within %s", old, within)
		}
		time.Sleep(50 * time.Millisecond) // polling the sentinels' failover
	}
}

func (s *Sentinel) stop() {
	for _, n := range append(append([]*clusterNode{}, s.sentinels...), s.servers...) {
		if n.proc != nil {
			// A paused process would not die of SIGKILL before SIGCONT on
			// every kernel: wake it first.
			_ = n.proc.cmd.Process.Signal(syscall.SIGCONT)
			n.proc.kill()
			n.proc = nil
		}
	}
}
