package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Written by hand: the seed example behind an RFC 3164 header, and variations of it.
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

func TestListenTLSBothFramings(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "test")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	l := startListen(t, "--tls", "127.0.0.1:0", "--tls-cert", server.CertFile, "--tls-key", server.KeyFile, "--count", "2")
	c, err := tls.Dial("tcp", l.tls, &tls.Config{RootCAs: ca.Pool()})
	require.NoError(t, err)
	_, err = fmt.Fprintf(c, "%d %s%s\n", len(goodLine), goodLine, goodEscaped)
	require.NoError(t, err)
	c.Close()
	assert.Equal(t, exitOK, l.wait(t))
	assert.Equal(t, []string{goodLine, goodEscaped}, l.lines())
}
