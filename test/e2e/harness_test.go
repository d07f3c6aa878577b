// Package e2e runs the plugin as Fluent Bit does: the c-shared library loaded by the host program of
// test/host, fed chunk files, delivering to receivers on loopback.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/require"
)

var (
	soPath   string
	hostPath string
)

// TestMain builds the plugin and the host once for every test.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "siem-cef-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	soPath = filepath.Join(dir, "out_siem_cef.so")
	hostPath = filepath.Join(dir, "flb-host")
	for _, cmd := range [][]string{
		{"go", "build", "-buildmode=c-shared", "-o", soPath, "../../plugin"},
		{"gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", hostPath, "../host/host.c", "-ldl"},
	} {
		c := exec.Command(cmd[0], cmd[1:]...)
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building for the end-to-end tests: %v: %v\n", cmd, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hostRun is what the host printed: stdout has one result line per script command, stderr the log.
type hostRun struct {
	results []string
	log     string
}

// runHost runs a host script and fails the test if the host itself failed.
func runHost(t *testing.T, script string, args ...string) hostRun {
	t.Helper()
	cmd := exec.Command(hostPath, append(args, soPath, "-")...)
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "host failed\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", script, stdout.String(), stderr.String())
	return hostRun{results: strings.Split(strings.TrimSpace(stdout.String()), "\n"), log: stderr.String()}
}

// fixtureStart is the time of the first event of a fixture chunk; each next event is a second later.
var fixtureStart = time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)

// chunkFile writes the events of a JSON-lines file as a Fluent Bit chunk and returns its path.
func chunkFile(t *testing.T, jsonl string) (string, int) {
	t.Helper()
	f, err := os.Open(jsonl)
	require.NoError(t, err)
	defer f.Close()
	chunk, n, err := record.FromJSONLines(f, fixtureStart, time.Second)
	require.NoError(t, err)
	return writeChunk(t, chunk), n
}

func writeChunk(t testing.TB, chunk []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chunk.msgpack")
	require.NoError(t, os.WriteFile(p, chunk, 0o644))
	return p
}

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	r := &receiver{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.opened++
			r.mu.Unlock()
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					r.add(sc.Text())
				}
				r.mu.Lock()
				r.closed++
				r.mu.Unlock()
			}()
		}
	}()
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
