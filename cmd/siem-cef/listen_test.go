package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Written by hand: the product's example line (docs/events.md) behind an RFC 3164 header, and
// variations of it.
const (
	goodLine = `<163>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|PM-002|Process management|7|dpid=1846367 spid=1845879 flexString2=0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f flexString2Label=Container ID cs6=alpine cs6Label=Container name outcome=Success`
	// An administration event with escapes, a padded day and a pipe in the header.
	goodEscaped = `<166>Feb  8 09:01:02 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|ADM-001|Administration \| users|3|suser=admin outcome=Success msg=a\=b c\\d\nnext`
	// The value of cs6 has an unescaped '=': a forged key.
	badEquals = `<163>Feb 18 10:07:28 kcs-node CEF:0|Kaspersky|Kaspersky Container Security|2.0|PM-002|Process management|7|dpid=1846367 cs6=alp=ine cs6Label=Container name outcome=Success`
	// The reasons the strict decoder gives.
	reasonEquals = `cef: value of cs6 has an unescaped '='`
	reasonCRLF   = `cef: raw CR or LF in the message`
)

// runningListen is `siem-cef listen` running in a goroutine.
type runningListen struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	tcp, udp, tls  string // the bound addresses, from stderr
}

var listeningRE = regexp.MustCompile(`(?m)^listening (tcp|udp|tls) (\S+)$`)

// startListen runs listen with args and waits for it to print the addresses it listens on.
func startListen(t *testing.T, args ...string) *runningListen {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &runningListen{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		l.done <- run(ctx, append([]string{"listen"}, args...), strings.NewReader(""), l.stdout, l.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			t.Error("listen did not stop after its context was cancelled")
		}
	})

	want := 0
	for _, a := range args {
		if a == "--tcp" || a == "--udp" || a == "--tls" {
			want++
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		m := listeningRE.FindAllStringSubmatch(l.stderr.String(), -1)
		if len(m) == want {
			for _, g := range m {
				switch g[1] {
				case "tcp":
					l.tcp = g[2]
				case "tls":
					l.tls = g[2]
				default:
					l.udp = g[2]
				}
			}
			return l
		}
		select {
		case code := <-l.done:
			l.done <- code
			t.Fatalf("listen exited with %d before listening; stderr:\n%s", code, l.stderr)
		case <-deadline:
			t.Fatalf("listen did not print its addresses; stderr:\n%s", l.stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// wait returns listen's exit status.
func (l *runningListen) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-l.done:
		l.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		t.Fatalf("listen did not exit; stdout:\n%s\nstderr:\n%s", l.stdout, l.stderr)
		return -1
	}
}

func (l *runningListen) lines() []string {
	return strings.Split(strings.TrimSuffix(l.stdout.String(), "\n"), "\n")
}

func sendTCP(t *testing.T, addr string, data string) net.Addr {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte(data))
	require.NoError(t, err)
	return c.LocalAddr()
}

func sendUDP(t *testing.T, addr string, datagrams ...string) net.Addr {
	t.Helper()
	c, err := net.Dial("udp", addr)
	require.NoError(t, err)
	defer c.Close()
	for _, d := range datagrams {
		_, err = c.Write([]byte(d))
		require.NoError(t, err)
	}
	return c.LocalAddr()
}

func invalidLine(reason, raw string) string {
	return "INVALID (" + reason + "): " + strconv.Quote(raw)
}

func TestListenTCPPlain(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", "4")
	require.NotEmpty(t, l.tcp)
	assert.Empty(t, l.udp)
	sendTCP(t, l.tcp, goodLine+"\n"+badEquals+"\n"+goodLine+"\r\n"+goodEscaped+"\n")

	assert.Equal(t, exitFail, l.wait(t), "an invalid message makes the status 1")
	assert.Equal(t, []string{
		goodLine,
		invalidLine(reasonEquals, badEquals),
		invalidLine(reasonCRLF, goodLine+"\r"),
		goodEscaped,
	}, l.lines())
	assert.Contains(t, l.stderr.String(), "received 4 messages, 2 invalid\n")
}

func TestListenTCPValidOnlyExitsZero(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", "2")
	sendTCP(t, l.tcp, goodLine+"\n")
	sendTCP(t, l.tcp, goodEscaped+"\n")
	assert.Equal(t, exitOK, l.wait(t))
	lines := l.lines()
	want := []string{goodLine, goodEscaped}
	slices.Sort(lines)
	slices.Sort(want)
	assert.Equal(t, want, lines)
}

func TestListenTCPUnterminatedMessage(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", "2")
	sendTCP(t, l.tcp, goodLine+"\n"+goodLine) // the connection closes before the last LF
	assert.Equal(t, exitFail, l.wait(t))
	assert.Equal(t, []string{
		goodLine,
		invalidLine("tcp: the connection closed before the end of the message", goodLine),
	}, l.lines())
}

func TestListenTCPEmptyLineIsInvalid(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", "2")
	sendTCP(t, l.tcp, "\n"+goodLine+"\n")
	assert.Equal(t, exitFail, l.wait(t))
	assert.Equal(t, []string{invalidLine("syslog: no <PRI>", ""), goodLine}, l.lines())
}

// Many connections at once, each message written in pieces: every output line is one whole message.
func TestListenTCPConcurrentConnections(t *testing.T) {
	const conns, perConn = 8, 50
	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", strconv.Itoa(conns*perConn))
	var want []string
	var wg sync.WaitGroup
	for i := range conns {
		var msgs []string
		for j := range perConn {
			msgs = append(msgs, strings.Replace(goodLine, "dpid=1846367", fmt.Sprintf("dpid=%d", i*1000+j), 1))
		}
		want = append(want, msgs...)
		wg.Go(func() {
			c, err := net.Dial("tcp", l.tcp)
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			for _, m := range msgs {
				data := []byte(m + "\n")
				for len(data) > 0 { // in pieces of 37 bytes, so messages cross reads
					n := min(37, len(data))
					if _, err := c.Write(data[:n]); !assert.NoError(t, err) {
						return
					}
					data = data[n:]
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, exitOK, l.wait(t))
	got := l.lines()
	slices.Sort(got)
	slices.Sort(want)
	assert.Equal(t, want, got)
}

// jsonOut mirrors the --json output, to check it field by field.
type jsonOut struct {
	Transport string `json:"transport"`
	Peer      string `json:"peer"`
	Valid     bool   `json:"valid"`
	Error     string `json:"error"`
	Syslog    *struct {
		Priority int    `json:"priority"`
		Stamp    string `json:"stamp"`
		Hostname string `json:"hostname"`
	} `json:"syslog"`
	CEF *struct {
		Vendor    string      `json:"vendor"`
		Product   string      `json:"product"`
		Version   string      `json:"version"`
		ClassID   string      `json:"class_id"`
		Name      string      `json:"name"`
		Severity  int         `json:"severity"`
		Extension [][2]string `json:"extension"`
	} `json:"cef"`
	Raw string `json:"raw"`
}

func decodeJSONLines(t *testing.T, out string) []jsonOut {
	t.Helper()
	var res []jsonOut
	for line := range strings.Lines(out) {
		var j jsonOut
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&j), line)
		res = append(res, j)
	}
	return res
}

func TestListenUDPJSON(t *testing.T) {
	l := startListen(t, "--udp", "127.0.0.1:0", "--json", "--count", "3")
	require.NotEmpty(t, l.udp)
	peer := sendUDP(t, l.udp, goodLine, badEquals, goodLine+"\n")
	assert.Equal(t, exitFail, l.wait(t))

	out := l.stdout.String()
	assert.Equal(t, 3, strings.Count(out, "\n"))
	assert.True(t, strings.HasPrefix(out, `{"transport":"udp","peer":"`+peer.String()+`","valid":`), out)
	assert.Contains(t, out, `"raw":"<163>Feb 18`, "no HTML escaping of < and >")

	got := decodeJSONLines(t, out)
	require.Len(t, got, 3)
	byRaw := map[string]jsonOut{}
	for _, j := range got {
		assert.Equal(t, "udp", j.Transport)
		assert.Equal(t, peer.String(), j.Peer)
		byRaw[j.Raw] = j
	}

	good, ok := byRaw[goodLine]
	require.True(t, ok, out)
	assert.True(t, good.Valid)
	assert.Empty(t, good.Error)
	require.NotNil(t, good.Syslog)
	assert.Equal(t, 163, good.Syslog.Priority)
	assert.Equal(t, "Feb 18 10:07:28", good.Syslog.Stamp)
	assert.Equal(t, "kcs-node", good.Syslog.Hostname)
	require.NotNil(t, good.CEF)
	assert.Equal(t, "Kaspersky", good.CEF.Vendor)
	assert.Equal(t, "Kaspersky Container Security", good.CEF.Product)
	assert.Equal(t, "2.0", good.CEF.Version)
	assert.Equal(t, "PM-002", good.CEF.ClassID)
	assert.Equal(t, "Process management", good.CEF.Name)
	assert.Equal(t, 7, good.CEF.Severity)
	assert.Equal(t, [][2]string{
		{"dpid", "1846367"},
		{"spid", "1845879"},
		{"flexString2", "0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f"},
		{"flexString2Label", "Container ID"},
		{"cs6", "alpine"},
		{"cs6Label", "Container name"},
		{"outcome", "Success"},
	}, good.CEF.Extension)

	bad, ok := byRaw[badEquals]
	require.True(t, ok, out)
	assert.False(t, bad.Valid)
	assert.Equal(t, reasonEquals, bad.Error)
	assert.Nil(t, bad.Syslog)
	assert.Nil(t, bad.CEF)

	// On UDP the datagram is the message: a trailing LF is a raw LF in it.
	lf, ok := byRaw[goodLine+"\n"]
	require.True(t, ok, out)
	assert.False(t, lf.Valid)
	assert.Equal(t, reasonCRLF, lf.Error)
}

func TestListenTCPJSONUnescapes(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--json", "--count", "1")
	peer := sendTCP(t, l.tcp, goodEscaped+"\n")
	assert.Equal(t, exitOK, l.wait(t))
	got := decodeJSONLines(t, l.stdout.String())
	require.Len(t, got, 1)
	j := got[0]
	assert.Equal(t, "tcp", j.Transport)
	assert.Equal(t, peer.String(), j.Peer)
	assert.True(t, j.Valid)
	assert.Equal(t, goodEscaped, j.Raw)
	require.NotNil(t, j.Syslog)
	assert.Equal(t, 166, j.Syslog.Priority)
	assert.Equal(t, "Feb  8 09:01:02", j.Syslog.Stamp)
	require.NotNil(t, j.CEF)
	assert.Equal(t, "Administration | users", j.CEF.Name)
	assert.Equal(t, 3, j.CEF.Severity)
	assert.Equal(t, [][2]string{{"suser", "admin"}, {"outcome", "Success"}, {"msg", "a=b c\\d\nnext"}}, j.CEF.Extension)
}

func TestListenTCPAndUDP(t *testing.T) {
	out := filepath.Join(t.TempDir(), "received.txt")
	l := startListen(t, "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--count", "2", "--out", out)
	require.NotEmpty(t, l.tcp)
	require.NotEmpty(t, l.udp)
	sendTCP(t, l.tcp, goodLine+"\n")
	sendUDP(t, l.udp, badEquals)
	assert.Equal(t, exitFail, l.wait(t))
	assert.Empty(t, l.stdout.String(), "--out takes the output")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	slices.Sort(got)
	want := []string{goodLine, invalidLine(reasonEquals, badEquals)}
	slices.Sort(want)
	assert.Equal(t, want, got)
}

func TestListenTimeoutWithoutCount(t *testing.T) {
	l := startListen(t, "--udp", "127.0.0.1:0", "--timeout", "200ms")
	start := time.Now()
	assert.Equal(t, exitOK, l.wait(t))
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	assert.Empty(t, l.stdout.String())
	assert.Contains(t, l.stderr.String(), "received 0 messages, 0 invalid\n")
}

func TestListenTimeoutWithInvalidMessage(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--timeout", "500ms")
	sendTCP(t, l.tcp, badEquals+"\n")
	assert.Equal(t, exitFail, l.wait(t))
	assert.Equal(t, []string{invalidLine(reasonEquals, badEquals)}, l.lines())
}

func TestListenTimeoutBeforeCount(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", "3", "--timeout", "1s")
	sendTCP(t, l.tcp, goodLine+"\n")
	assert.Equal(t, exitFail, l.wait(t))
	assert.Equal(t, []string{goodLine}, l.lines())
	assert.Contains(t, l.stderr.String(), "siem-cef listen: timeout: received 1 of 3 messages\n")
}

func TestListenStopsWhenCancelled(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0")
	// A connection left open must not keep it from stopping.
	c, err := net.Dial("tcp", l.tcp)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte(goodLine + "\n" + "<163>Feb 18 10:07:28 kcs-node CEF:0|half a mess"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return l.stdout.String() == goodLine+"\n" }, 5*time.Second, 5*time.Millisecond)
	l.cancel()
	assert.Equal(t, exitOK, l.wait(t), l.stderr.String())
	assert.Equal(t, goodLine+"\n", l.stdout.String(), "the unfinished message is dropped when stopping")

	// After it stops, nothing listens any more.
	_, err = net.DialTimeout("tcp", l.tcp, time.Second)
	assert.Error(t, err)
}

func TestListenCancelledWithInvalid(t *testing.T) {
	l := startListen(t, "--udp", "127.0.0.1:0")
	sendUDP(t, l.udp, badEquals)
	require.Eventually(t, func() bool { return l.stdout.String() != "" }, 5*time.Second, 5*time.Millisecond)
	l.cancel()
	assert.Equal(t, exitFail, l.wait(t))
}

func TestListenBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	code, stdout, stderr := runCmd(t, "", "listen", "--tcp", ln.Addr().String())
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "address already in use")
}

func TestReadFramed(t *testing.T) {
	type msg struct {
		raw     string
		framing string
	}
	read := func(input string, max int) ([]msg, error) {
		var got []msg
		err := readFramed(strings.NewReader(input), max, func(raw []byte, framing error) bool {
			m := msg{raw: string(raw)}
			if framing != nil {
				m.framing = framing.Error()
			}
			got = append(got, m)
			return true
		})
		return got, err
	}

	got, err := read("a\r\n\nb\n", 10)
	require.NoError(t, err)
	assert.Equal(t, []msg{{"a\r", ""}, {"", ""}, {"b", ""}}, got)

	got, err = read("0123456789abc\nok\n", 10)
	require.NoError(t, err)
	assert.Equal(t, []msg{{"0123456789", "tcp: message longer than 10 bytes (cut here)"}, {"ok", ""}}, got)

	// Longer than the reader's buffer, but within max.
	long := strings.Repeat("x", 200<<10)
	got, err = read(long+"\n"+long, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, []msg{{long, ""}, {long, "tcp: the connection closed before the end of the message"}}, got)

	// emit returning false stops reading.
	n := 0
	require.NoError(t, readFramed(bytes.NewReader([]byte("a\nb\nc\n")), 10, func([]byte, error) bool { n++; return n < 2 }))
	assert.Equal(t, 2, n)
}

func TestReadFramedOctetCounting(t *testing.T) {
	var got []string
	err := readFramed(strings.NewReader("5 hello11 hello world<13>lf\n3 abc13 0123456789abc"), 11,
		func(raw []byte, framing error) bool {
			m := string(raw)
			if framing != nil {
				m += " [" + framing.Error() + "]"
			}
			got = append(got, m)
			return true
		})
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "hello world", "<13>lf", "abc", "0123456789a [tcp: message longer than 11 bytes (cut here)]"}, got)
}

// What the end of the stream cuts short is passed on, and so are digits too many to be a length.
func TestReadFramedOctetCountingCutShort(t *testing.T) {
	read := func(input string) []string {
		var got []string
		require.NoError(t, readFramed(strings.NewReader(input), 1<<20, func(raw []byte, framing error) bool {
			got = append(got, fmt.Sprintf("%s [%v]", raw, framing))
			return true
		}))
		return got
	}
	assert.Equal(t, []string{"hel [tcp: the connection closed before the end of the message]"}, read("5 hel"))
	assert.Equal(t, []string{"123 [tcp: the connection closed before the end of the message]"}, read("123"))

	digits := strings.Repeat("1", 5000) // more than the reader's buffer of 4096 bytes
	assert.Equal(t, []string{
		digits[:4096] + ` [tcp: octet count "` + digits[:128] + `"…(4096 bytes) is not a length]`,
		digits[4096:] + " [tcp: the connection closed before the end of the message]",
	}, read(digits))
}

// tlsServer makes a CA and a server certificate for 127.0.0.1, and returns the CA and the flags of
// --tls that use the certificate.
func tlsServer(t *testing.T) (*testpki.CA, []string) {
	t.Helper()
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "test")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	return ca, []string{"--tls", "127.0.0.1:0", "--tls-cert", server.CertFile, "--tls-key", server.KeyFile}
}

func TestListenTLSBothFramings(t *testing.T) {
	ca, tlsFlags := tlsServer(t)
	l := startListen(t, append(tlsFlags, "--count", "2")...)
	c, err := tls.Dial("tcp", l.tls, &tls.Config{RootCAs: ca.Pool()})
	require.NoError(t, err)
	_, err = fmt.Fprintf(c, "%d %s%s\n", len(goodLine), goodLine, goodEscaped)
	require.NoError(t, err)
	c.Close()
	assert.Equal(t, exitOK, l.wait(t))
	assert.Equal(t, []string{goodLine, goodEscaped}, l.lines())
}

// stalledReader gives data, then blocks like a peer that stopped sending, until release is closed.
type stalledReader struct {
	data    []byte
	stalled chan<- struct{}
	release <-chan struct{}
}

func (r *stalledReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.stalled <- struct{}{}
		<-r.release
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// The issue's attack: connections that send an octet count of 1000000 and then nothing. Memory
// follows the bytes that came, and a connection that received a long message gives its buffer back.
func TestReadFramedMemoryFollowsTheData(t *testing.T) {
	const conns = 200
	long := strings.Repeat("x", 100<<10)
	data := []byte(strconv.Itoa(len(long)) + " " + long + "1000000 ")
	stalled, release := make(chan struct{}), make(chan struct{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var got []int
	for range conns {
		wg.Go(func() {
			r := &stalledReader{data: data, stalled: stalled, release: release}
			assert.NoError(t, readFramed(r, maxTCPMessage, func(raw []byte, framing error) bool {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, len(raw))
				assert.NoError(t, framing)
				return true
			}))
		})
	}
	for range conns {
		<-stalled
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	close(release)
	wg.Wait()

	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	assert.Less(t, grown, int64(4<<20), "heap grew by %d bytes for %d stalled connections", grown, conns)
	assert.Equal(t, slices.Repeat([]int{len(long)}, conns), got, "the long message, then nothing: the count was a lie")
}

// assertClosedByListener checks that the listener closes c (or resets it) without waiting for it.
func assertClosedByListener(t *testing.T, c net.Conn, what string) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := c.Read(make([]byte, 1))
	assert.Zero(t, n, what)
	var ne net.Error
	if assert.Error(t, err, what) {
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "%s: still open after 10 s", what)
	}
}

func TestListenClosesIdleConnections(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--idle-timeout", "100ms")
	counted, err := net.Dial("tcp", l.tcp)
	require.NoError(t, err)
	defer counted.Close()
	_, err = counted.Write([]byte("1000000 "))
	require.NoError(t, err)
	half, err := net.Dial("tcp", l.tcp)
	require.NoError(t, err)
	defer half.Close()
	_, err = half.Write([]byte(goodLine[:40]))
	require.NoError(t, err)

	assertClosedByListener(t, counted, "an octet count and nothing after it")
	assertClosedByListener(t, half, "half a message")
	assert.Equal(t, 2, strings.Count(l.stderr.String(), ": closed, nothing received for 100ms (--idle-timeout)\n"), l.stderr.String())
	want := invalidLine("tcp: the connection went idle before the end of the message", goodLine[:40]) + "\n"
	require.Eventually(t, func() bool { return l.stdout.String() == want }, 10*time.Second, 5*time.Millisecond, l.stdout.String())
	l.cancel()
	assert.Equal(t, exitFail, l.wait(t))
}

// A TLS client that starts a handshake and stalls is dropped after --handshake-timeout, however long
// --idle-timeout is.
func TestListenTLSHandshakeDeadline(t *testing.T) {
	_, tlsFlags := tlsServer(t)
	l := startListen(t, append(tlsFlags, "--handshake-timeout", "100ms", "--idle-timeout", "1h")...)
	c, err := net.Dial("tcp", l.tls)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte{0x16, 0x03, 0x01, 0x40, 0x00}) // a handshake record of 16 KiB that never comes
	require.NoError(t, err)
	assertClosedByListener(t, c, "a stalled handshake")
	stalled := regexp.MustCompile(`(?m)^siem-cef listen: tls 127\.0\.0\.1:\d+: closed, TLS handshake not done within 100ms \(--handshake-timeout\)$`)
	require.Eventually(t, func() bool { return stalled.MatchString(l.stderr.String()) }, 10*time.Second, 5*time.Millisecond, l.stderr.String())

	// A handshake that fails is reported with the error quoted.
	plain, err := net.Dial("tcp", l.tls)
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.Write([]byte(goodLine + "\n"))
	require.NoError(t, err)
	assertClosedByListener(t, plain, "plain text on TLS")
	failed := regexp.MustCompile(`(?m)^siem-cef listen: tls 127\.0\.0\.1:\d+: TLS handshake: "tls: [^"]+"$`)
	require.Eventually(t, func() bool { return failed.MatchString(l.stderr.String()) }, 10*time.Second, 5*time.Millisecond, l.stderr.String())
}

// Senders cannot flood stderr: ten lines about failed connections per 10 s, then a count.
func TestListenConnectionLinesThrottled(t *testing.T) {
	_, tlsFlags := tlsServer(t)
	l := startListen(t, tlsFlags...)
	for i := range 15 {
		c, err := net.Dial("tcp", l.tls)
		require.NoError(t, err)
		_, err = c.Write([]byte(goodLine + "\n"))
		require.NoError(t, err)
		assertClosedByListener(t, c, fmt.Sprintf("plain text on TLS, connection %d", i+1))
		c.Close()
	}
	l.cancel()
	assert.Equal(t, exitOK, l.wait(t))
	stderr := l.stderr.String()
	assert.Equal(t, 10, strings.Count(stderr, ": TLS handshake: "), stderr)
	assert.Contains(t, stderr, "\nsiem-cef listen: 5 more lines about connections held back\n")
}

// admitted dials until the listener takes a connection, shown by line reaching the output (a
// refused connection is closed unread), and returns that connection open.
func admitted(t *testing.T, l *runningListen, line string) net.Conn {
	t.Helper()
	for range 100 {
		c, err := net.Dial("tcp", l.tcp)
		require.NoError(t, err)
		_, err = c.Write([]byte(line + "\n"))
		require.NoError(t, err)
		closed := make(chan struct{})
		go func() {
			c.Read(make([]byte, 1)) // returns when either side closes
			close(closed)
		}()
		for waited := 0; waited < 2000; waited++ {
			if strings.Contains(l.stdout.String(), line+"\n") {
				return c
			}
			select {
			case <-closed:
				waited = 2000
			case <-time.After(5 * time.Millisecond):
			}
		}
		c.Close()
	}
	t.Fatalf("no connection taken for %q; stderr:\n%s", line, l.stderr)
	return nil
}

func TestListenConnectionLimit(t *testing.T) {
	l := startListen(t, "--tcp", "127.0.0.1:0", "--max-conns", "2")
	withDpid := func(n int) string { return strings.Replace(goodLine, "dpid=1846367", fmt.Sprintf("dpid=%d", n), 1) }
	first := admitted(t, l, withDpid(1))
	defer first.Close()
	second := admitted(t, l, withDpid(2))
	defer second.Close()

	for i := range 4 {
		c, err := net.Dial("tcp", l.tcp)
		require.NoError(t, err)
		assertClosedByListener(t, c, fmt.Sprintf("connection %d over the limit", i+1))
		c.Close()
	}
	refusals := regexp.MustCompile(`(?m)^siem-cef listen: tcp 127\.0\.0\.1:\d+: refused, 2 connections open \(--max-conns\)$`)
	assert.Len(t, refusals.FindAllString(l.stderr.String(), -1), 1, "one line for a burst of refusals:\n%s", l.stderr)

	// A connection that ends frees its place.
	first.Close()
	third := admitted(t, l, withDpid(3))
	defer third.Close()
	_, err := second.Write([]byte(withDpid(4) + "\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(l.stdout.String(), withDpid(4)+"\n") }, 10*time.Second, 5*time.Millisecond)

	l.cancel()
	assert.Equal(t, exitOK, l.wait(t))
	assert.Regexp(t, `(?m)^siem-cef listen: refused [4-9]\d* connections over --max-conns 2$`, l.stderr.String())
}

// showsRaw reports whether a character could act on whoever reads the output if written raw.
func showsRaw(r rune) bool {
	return r != '\n' && unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r)
}

// Valid messages may hold C1 controls, separators and format characters; the output never shows them
// raw, nor the controls of invalid messages.
func TestListenEscapesWhatATerminalActsOn(t *testing.T) {
	sneaky := strings.Replace(goodLine, "outcome=Success", "outcome=Success msg=a\u009b2J\u2028b\u2029\u202egnp.exe\ufeff\u200b\u0085c", 1)
	escHost := strings.Replace(goodLine, "kcs-node", "kcs\x1b[2J-node", 1)
	delStamp := "<163>1 2026-02-18T10:07:28\x7f\x1b]0;x\aZ kcs-node siem_cef - PM-002 - " + goodLine[len("<163>Feb 18 10:07:28 kcs-node "):]

	l := startListen(t, "--tcp", "127.0.0.1:0", "--count", "3")
	sendTCP(t, l.tcp, sneaky+"\n"+escHost+"\n"+delStamp+"\n")
	assert.Equal(t, exitFail, l.wait(t))
	out := l.stdout.String()
	assert.False(t, strings.ContainsFunc(out, showsRaw), "%q", out)
	assert.Equal(t, []string{
		`"` + strings.Replace(goodLine, "outcome=Success", `outcome=Success msg=a\u009b2J\u2028b\u2029\u202egnp.exe\ufeff\u200b\u0085c`, 1) + `"`,
		invalidLine(`syslog: host name "kcs\x1b[2J-node" is not 1-255 printable ASCII characters without spaces`, escHost),
		invalidLine(`syslog: RFC 5424 time stamp "2026-02-18T10:07:28\x7f\x1b]0;x\aZ" is not an RFC 3339 time`, delStamp),
	}, l.lines())

	l = startListen(t, "--tcp", "127.0.0.1:0", "--count", "3", "--json")
	sendTCP(t, l.tcp, sneaky+"\n"+escHost+"\n"+delStamp+"\n")
	assert.Equal(t, exitFail, l.wait(t))
	out = l.stdout.String()
	assert.False(t, strings.ContainsFunc(out, showsRaw), "%q", out)
	assert.Contains(t, out, `msg=a\u009b2J\u2028b\u2029\u202egnp.exe\ufeff\u200b\u0085c"`)
	got := decodeJSONLines(t, out)
	require.Len(t, got, 3)
	assert.Equal(t, sneaky, got[0].Raw)
	assert.True(t, got[0].Valid)
	require.NotNil(t, got[0].CEF)
	assert.Contains(t, got[0].CEF.Extension, [2]string{"msg", "a\u009b2J\u2028b\u2029\u202egnp.exe\ufeff\u200b\u0085c"})
	assert.Equal(t, escHost, got[1].Raw)
	assert.Equal(t, delStamp, got[2].Raw)
}

// A line of max+1 bytes is cut at max and said to be too long; one of max bytes is whole.
func TestReadFramedLineOneByteOverMax(t *testing.T) {
	var got []string
	require.NoError(t, readFramed(strings.NewReader("0123456789a\n0123456789\n"), 10, func(raw []byte, framing error) bool {
		m := string(raw)
		if framing != nil {
			m += " [" + framing.Error() + "]"
		}
		got = append(got, m)
		return true
	}))
	assert.Equal(t, []string{"0123456789 [tcp: message longer than 10 bytes (cut here)]", "0123456789"}, got)
}

// U+2029 alone in a valid message is enough for the text output to quote it (a line end to some
// parsers).
func TestParagraphSeparatorAloneIsQuoted(t *testing.T) {
	raw := strings.Replace(goodLine, "outcome=Success", "outcome=Success msg=a\u2029b", 1)
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	assert.True(t, writeMessage(w, received{raw: raw}, false))
	require.NoError(t, w.Flush())
	assert.NotContains(t, out.String(), "\u2029")
	assert.Contains(t, out.String(), `msg=a\u2029b`)
}

// A character outside the BMP that the JSON output escapes is written as its UTF-16 surrogate
// pair, high first, which a JSON reader reads back as the character (U+E0001 LANGUAGE TAG, a
// format character: \udb40\udc01).
func TestEscapeJSONWritesSurrogatePairsHighFirst(t *testing.T) {
	got := escapeJSON([]byte(`{"m":"a` + "\U000E0001" + `b"}`))
	assert.Equal(t, `{"m":"a\udb40\udc01b"}`, string(got))
	var m map[string]string
	require.NoError(t, json.Unmarshal(got, &m))
	assert.Equal(t, "a\U000E0001b", m["m"])
}
