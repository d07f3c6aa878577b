// Package e2e runs the plugin as Fluent Bit does: the c-shared library loaded by the host program of
// test/host, fed chunk files, delivering to receivers on loopback.
package e2e

import (
	"bufio"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/test/hosttest"
	"github.com/stretchr/testify/require"
)

// bins are the plugin and the host, built once for every test.
var bins *hosttest.Binaries

func TestMain(m *testing.M) { hosttest.Main(m, "../..", &bins) }

// hostRun is what the host printed: stdout has one result line per script command, stderr the log.
type hostRun struct {
	results []string
	log     string
}

func runHost(t *testing.T, script string, args ...string) hostRun {
	t.Helper()
	results, log := bins.Run(t, script, args...)
	return hostRun{results: results, log: log}
}

var fixtureStart = hosttest.FixtureStart

// chunkFile writes the events of a JSON-lines file as a Fluent Bit chunk and returns its path.
func chunkFile(t *testing.T, jsonl string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(jsonl)
	require.NoError(t, err)
	return hosttest.ChunkFile(t, b)
}

var writeChunk = hosttest.WriteChunk

// receiver is a SIEM on loopback: it keeps every message it gets and counts connections.
type receiver struct {
	Addr string

	mu     sync.Mutex
	lines  []string
	opened int
	closed int
}

func (r *receiver) add(line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

// Lines waits up to five seconds for n messages and returns what arrived.
func (r *receiver) Lines(n int) []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		got := append([]string(nil), r.lines...)
		r.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			// a moment more, so that an extra message would show
			time.Sleep(50 * time.Millisecond)
			r.mu.Lock()
			defer r.mu.Unlock()
			return append([]string(nil), r.lines...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Conns returns how many connections were opened and how many the plugin has closed.
func (r *receiver) Conns() (opened, closed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opened, r.closed
}

func tcpReceiver(t *testing.T) *receiver {
	t.Helper()
	ln := loopback.Listen(t)
	r := &receiver{Addr: ln.Addr().String()}
	loopback.Serve(ln, func(c net.Conn) {
		r.mu.Lock()
		r.opened++
		r.mu.Unlock()
		defer c.Close()
		sc := bufio.NewScanner(c)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.add(sc.Text())
		}
		r.mu.Lock()
		r.closed++
		r.mu.Unlock()
	})
	return r
}

func udpReceiver(t *testing.T) *receiver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, pc.(*net.UDPConn).SetReadBuffer(8<<20))
	t.Cleanup(func() { pc.Close() })
	r := &receiver{Addr: pc.LocalAddr().String()}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			r.add(string(buf[:n]))
		}
	}()
	return r
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}
