// Package redistest starts a real redis-server for tests: on a unix socket in
// a temporary directory, or the one REDIS_URL names; and a real three-master
// Redis Cluster on loopback (StartCluster); a master, two replicas and three
// Redis Sentinels on loopback (StartSentinel).
//
// Without a redis-server binary (and without REDIS_URL) the tests that need
// one are skipped with a message saying how to install it, unless
// JWTGATE_REQUIRE_REDIS=1, which the project's test command sets: then they
// fail.
//
// The fault helpers (Pause, Resume, Sleep, Flush, Stop, Restart) act on a
// server this package started; on a REDIS_URL server, which other tests may
// share, they skip the test instead.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	proc    *process
	managed bool
}

// Start returns a running server, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return &Server{t: t, url: u}
	}
	needBinaries(t, "redis-server")
	dir := tempDir(t)
	s := &Server{t: t, dir: dir, sock: filepath.Join(dir, "redis.sock"), managed: true}
	s.url = "unix://" + s.sock
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's address in REDIS_URL form (unix:///…/redis.sock).
func (s *Server) URL() string { return s.url }

// Client returns a client of the server, closed when the test ends. It has
// ContextTimeoutEnabled set, as redisstore.New requires.
func (s *Server) Client() *redis.Client {
	opts, err := redis.ParseURL(s.url)
	if err != nil {
		s.t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
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

// Managed reports whether this package runs the server (and so can stop it).
func (s *Server) Managed() bool { return s.managed }

// needManaged skips the test when the server is not this package's: a fault
// injected into a REDIS_URL server would hit whoever else uses it.
func (s *Server) needManaged(op string) {
	s.t.Helper()
	if !s.managed {
		s.t.Skipf("redistest: %s needs a redis-server this package starts, not the one REDIS_URL names", op)
	}
}

// Stop stops a server this package started (a fault test's "Redis is down").
// It is a no-op for a REDIS_URL server.
func (s *Server) Stop() {
	if !s.managed || s.proc == nil {
		return
	}
	s.proc.kill()
	s.proc = nil
	_ = os.Remove(s.sock)
}

// Restart stops the server and starts it again on the same socket, empty: a
// Redis restarted without persistence.
func (s *Server) Restart() {
	s.t.Helper()
	s.needManaged("Restart")
	s.Stop()
	s.start()
}

// Pause freezes the server (SIGSTOP): connections are accepted by the kernel
// and requests are sent, but nothing answers until Resume. It is what a hung
// host or a long stop-the-world pause looks like to a client.
func (s *Server) Pause() {
	s.t.Helper()
	s.needManaged("Pause")
	s.signal(syscall.SIGSTOP)
}

// Resume undoes Pause (SIGCONT).
func (s *Server) Resume() {
	s.t.Helper()
	s.needManaged("Resume")
	s.signal(syscall.SIGCONT)
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatal("redistest: the server is stopped")
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// Flush deletes every key (FLUSHALL): a Redis that lost its data.
func (s *Server) Flush() {
	s.t.Helper()
	s.needManaged("Flush")
	c := s.adminClient()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.FlushAll(ctx).Err(); err != nil {
		s.t.Fatal(err)
	}
}

// Sleep makes the server answer nothing for d (DEBUG SLEEP, sent on a
// connection of its own): a slow Redis, busy with one long command. It
// returns once the server is asleep; done is closed when it answers again.
func (s *Server) Sleep(d time.Duration) (done <-chan struct{}) {
	s.t.Helper()
	s.needManaged("Sleep")
	sleeper := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, ReadTimeout: d + 5*time.Second, MaxRetries: -1})
	ch := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		defer sleeper.Close()
		errc <- sleeper.Do(context.Background(), "DEBUG", "SLEEP", strconv.FormatFloat(d.Seconds(), 'f', 3, 64)).Err()
	}()
	// The server is asleep when a PING from another connection is not
	// answered at once: only then may the test rely on it being slow.
	probe := s.adminClient()
	defer probe.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-errc:
			if err != nil {
				s.t.Fatalf("redistest: DEBUG SLEEP: %v", err)
			}
			return ch // it slept and woke before a probe saw it
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := probe.Ping(ctx).Err()
		cancel()
		if err != nil {
			return ch
		}
		if time.Now().After(deadline) {
			s.t.Fatal("redistest: the server did not fall asleep")
		}
		time.Sleep(5 * time.Millisecond) // polling for the sleep to begin
	}
}

// adminClient is a client for the helpers' own commands, apart from the
// test's connections.
func (s *Server) adminClient() *redis.Client {
	return redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, ContextTimeoutEnabled: true, MaxRetries: -1})
}

func (s *Server) start() {
	s.t.Helper()
	p, err := startProcess(s.dir, "unix", s.sock,
		"--port", "0", "--unixsocket", s.sock, "--unixsocketperm", "700",
		"--enable-debug-command", "local")
	if err != nil {
		s.t.Fatal(err)
	}
	s.proc = p
}

// Cluster is a Redis Cluster of three masters, with no replicas or one each
// (StartReplicatedCluster), on loopback ports chosen free, for one test.
type Cluster struct {
	t        testing.TB
	dir      string
	nodes    []*clusterNode
	slots    []slotRange
	replicas int         // per master
	replica  map[int]int // master's index → its replica's index, in nodes
}

type clusterNode struct {
	addr string
	proc *process
}

// StartCluster returns a running cluster whose slots are all served, stopped
// when the test ends. A node that is down makes the cluster refuse only the
// slots it serves (cluster-require-full-coverage no).
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	return startCluster(t, 0)
}

// StartReplicatedCluster is StartCluster with one replica per master (six
// nodes): ReplicaOf names it. Addrs lists the six nodes; MasterOf, Kill,
// Pause and Resume use their indexes there.
func StartReplicatedCluster(t testing.TB) *Cluster {
	t.Helper()
	return startCluster(t, 1)
}

func startCluster(t testing.TB, replicas int) *Cluster {
	t.Helper()
	needBinaries(t, "redis-server", "redis-cli")
	c := &Cluster{t: t, dir: tempDir(t), replicas: replicas, replica: map[int]int{}}
	t.Cleanup(c.stop)
	for i := range 3 * (1 + replicas) {
		c.nodes = append(c.nodes, c.startNode(i))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.nodes {
		args = append(args, n.addr)
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK()
	// The nodes learn which are replicas by gossip: until then a node's
	// CLUSTER SHARDS may call them masters of nothing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.loadSlots()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // polling the cluster's convergence
	}
	c.waitReplicas()
	return c
}

// waitReplicas waits until every replica is in sync with its master.
func (c *Cluster) waitReplicas() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range c.replica {
		rc := redis.NewClient(&redis.Options{Addr: c.nodes[r].addr, MaxRetries: -1})
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := rc.Info(ctx, "replication").Result()
			cancel()
			if err == nil && strings.Contains(info, "master_link_status:up") {
				break
			}
			if time.Now().After(deadline) {
				_ = rc.Close()
				c.t.Fatalf("redistest: replica %s not in sync: %v", c.nodes[r].addr, err)
			}
			time.Sleep(50 * time.Millisecond) // polling the replica's first sync
		}
		_ = rc.Close()
	}
}

// startNode starts node i on two free ports (clients, cluster bus). A port
// found free may be taken before redis-server binds it: then it tries again.
func (c *Cluster) startNode(i int) *clusterNode {
	c.t.Helper()
	var lastErr error
	for range 5 {
		ports, err := freePorts(2)
		if err != nil {
			c.t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
		p, err := startProcess(c.dir, "tcp", addr,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(ports[0]),
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(ports[1]),
			"--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i),
			"--cluster-node-timeout", "2000", "--cluster-require-full-coverage", "no")
		if err == nil {
			return &clusterNode{addr: addr, proc: p}
		}
		lastErr = err
	}
	c.t.Fatal(lastErr)
	return nil
}

func (c *Cluster) waitOK() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range c.nodes {
		rc := redis.NewClient(&redis.Options{Addr: n.addr})
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := rc.ClusterInfo(ctx).Result()
			cancel()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(c.nodes))) {
				break
			}
			if time.Now().After(deadline) {
				_ = rc.Close()
				c.t.Fatalf("redistest: cluster not ok on %s: %v\n%s", n.addr, err, info)
			}
			time.Sleep(50 * time.Millisecond) // polling the cluster's convergence
		}
		_ = rc.Close()
	}
}

// Addrs are the nodes' addresses (host:port), in a fixed order: Kill(i)
// and Pause(i) name a node by its index here. Without replicas, every node
// is a master.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.addr
	}
	return out
}

// Client returns a cluster client, closed when the test ends. It has
// ContextTimeoutEnabled set, as redisstore.New requires.
func (c *Cluster) Client() *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
	c.t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// MasterOf returns the index (in Addrs) of the master serving key's slot,
// as the cluster was created (slots do not move in these tests). It asks no
// node, so it works while one is down.
func (c *Cluster) MasterOf(key string) int {
	c.t.Helper()
	slot := Slot(key)
	for _, r := range c.slots {
		if r.start <= slot && slot <= r.end {
			return r.master
		}
	}
	c.t.Fatalf("redistest: no master serves %q (slot %d)", key, slot)
	return -1
}

// Slot is the cluster slot of key: CRC16 (XMODEM) of its hash tag, the part
// between the first { and the next } when not empty, or else of the key, mod
// 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

// loadSlots records which master serves which slots, and each master's
// replica.
func (c *Cluster) loadSlots() error {
	c.slots, c.replica = nil, map[int]int{}
	rc := redis.NewClient(&redis.Options{Addr: c.nodes[0].addr})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shards, err := rc.ClusterShards(ctx).Result()
	if err != nil {
		return err
	}
	index := func(n redis.Node) int {
		for i, cn := range c.nodes {
			if cn.addr == net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10)) {
				return i
			}
		}
		return -1
	}
	for _, sh := range shards {
		master, replica := -1, -1
		for _, n := range sh.Nodes {
			switch i := index(n); {
			case i < 0:
			case n.Role == "master":
				master = i
				for _, r := range sh.Slots {
					c.slots = append(c.slots, slotRange{int(r.Start), int(r.End), i})
				}
			default:
				replica = i
			}
		}
		if master >= 0 && replica >= 0 {
			c.replica[master] = replica
		}
	}
	if len(c.replica) != 3*c.replicas {
		return fmt.Errorf("redistest: CLUSTER SHARDS named %d master-replica pairs: %+v", len(c.replica), shards)
	}
	if len(c.slots) == 0 {
		return fmt.Errorf("redistest: CLUSTER SHARDS named none of the masters: %+v", shards)
	}
	return nil
}

type slotRange struct{ start, end, master int }

// Masters returns the indexes (in Addrs) of the masters, in order.
func (c *Cluster) Masters() []int {
	var out []int
	for _, r := range c.slots {
		if !slices.Contains(out, r.master) {
			out = append(out, r.master)
		}
	}
	slices.Sort(out)
	return out
}

// ReplicaOf returns the index (in Addrs) of master i's replica, in a
// cluster of StartReplicatedCluster.
func (c *Cluster) ReplicaOf(i int) int {
	c.t.Helper()
	r, ok := c.replica[i]
	if !ok {
		c.t.Fatalf("redistest: node %d is no master with a replica", i)
	}
	return r
}

// Kill stops master i for good (SIGKILL): its slots are served by no one.
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	if n := c.nodes[i]; n.proc != nil {
		n.proc.kill()
		n.proc = nil
	}
}

// Pause freezes master i (SIGSTOP) until Resume(i).
func (c *Cluster) Pause(i int) { c.t.Helper(); c.signal(i, syscall.SIGSTOP) }

// Resume undoes Pause(i) (SIGCONT).
func (c *Cluster) Resume(i int) { c.t.Helper(); c.signal(i, syscall.SIGCONT) }

func (c *Cluster) signal(i int, sig syscall.Signal) {
	c.t.Helper()
	n := c.nodes[i]
	if n.proc == nil {
		c.t.Fatalf("redistest: master %d is stopped", i)
	}
	if err := n.proc.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

func (c *Cluster) stop() {
	for _, n := range c.nodes {
		if n.proc != nil {
			n.proc.kill()
			n.proc = nil
		}
	}
}

// process is a redis-server this package runs.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	once   sync.Once
}

func (p *process) kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
}

// startProcess runs redis-server in dir with args after the settings every
// test server shares (no persistence, in the foreground), and returns once it
// answers PING on network/addr. It fails if the server exits first, e.g.
// because its port was taken.
func startProcess(dir, network, addr string, args ...string) (*process, error) {
	return runProcess("redis-server", network, addr, append([]string{
		"--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
	}, args...)...)
}

// runProcess runs bin (redis-server, redis-sentinel) with args, and returns
// once it answers PING on network/addr, or fails if it exits first.
func runProcess(bin, network, addr string, args ...string) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	c := redis.NewClient(&redis.Options{Network: network, Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server on %s exited: %v", addr, cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("redis-server did not answer on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's start-up, not timing a test
	}
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func needBinaries(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			pkg := name // Debian's package
			if name == "redis-cli" {
				pkg = "redis-tools"
			}
			msg := name + " not found: install it (Debian: apt-get install " + pkg + ")"
			if name == "redis-server" {
				msg += " or set REDIS_URL"
			}
			if os.Getenv("JWTGATE_REQUIRE_REDIS") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// tempDir is a directory removed when the test ends. Unix socket paths are
// limited to ~104 bytes: t.TempDir() can be longer.
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
