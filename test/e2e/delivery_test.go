package e2e

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/relptest"
	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// siem is a SIEM on a fixed loopback port that can go down and come back: cleanly (it stops
// accepting, reads what its peers have sent, then closes) or killed (connections reset, unread data
// lost). It reads newline-framed and octet-counted messages, over TCP or TLS.
type siem struct {
	t    *testing.T
	addr string
	tls  *tls.Config
	relp bool // speak RELP: acknowledge every message

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	lines []string
	// onLine, when set, is called (without the lock) after each message with the count so far.
	onLine func(n int)
}

func newSIEM(t *testing.T, tlsConfig *tls.Config) *siem {
	s := &siem{t: t, tls: tlsConfig, conns: map[net.Conn]bool{}}
	s.start("127.0.0.1:0")
	t.Cleanup(func() { s.stop(true) })
	return s
}

func (s *siem) start(addr string) {
	var ln net.Listener
	var err error
	for range 50 { // the port of a SIEM that just stopped may take a moment to be free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(s.t, err)
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.mu.Lock()
	s.ln, s.addr = ln, ln.Addr().String()
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			go s.read(c)
		}
	}()
}

func (s *siem) read(c net.Conn) {
	r := bufio.NewReaderSize(c, 1<<20)
	for {
		var msg string
		var err error
		if s.relp {
			msg, err = readRELP(r, c)
		} else {
			msg, err = readMessage(r)
		}
		if err != nil {
			return
		}
		s.mu.Lock()
		s.lines = append(s.lines, msg)
		n, on := len(s.lines), s.onLine
		s.mu.Unlock()
		if on != nil {
			on(n)
		}
	}
}

// readMessage reads one message framed either way (RFC 6587), as rsyslog's imtcp does: a digit
// first means octet counting.
func readMessage(r *bufio.Reader) (string, error) {
	first, err := r.Peek(1)
	if err != nil {
		return "", err
	}
	if first[0] >= '1' && first[0] <= '9' {
		lenText, err := r.ReadString(' ')
		if err != nil {
			return "", err
		}
		n, err := strconv.Atoi(strings.TrimSpace(lenText))
		if err != nil {
			return "", err
		}
		buf := make([]byte, n)
		_, err = io.ReadFull(r, buf)
		return string(buf), err
	}
	line, err := r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// readRELP answers RELP frames until a syslog message comes, which it acknowledges and returns.
func readRELP(r *bufio.Reader, w io.Writer) (string, error) {
	for {
		txnr, cmd, data, err := relptest.ReadFrame(r)
		if err != nil {
			return "", err
		}
		if err := relptest.Reply(w, txnr, cmd, true); err != nil {
			return "", err
		}
		if cmd == "syslog" {
			return string(data), nil
		}
	}
}

// stop takes the SIEM down. Clean: it stops accepting, reads what was already sent, then closes.
// Killed: every connection is reset at once and what it had not read is lost.
func (s *siem) stop(killed bool) {
	s.mu.Lock()
	ln, conns := s.ln, s.conns
	s.ln, s.conns = nil, map[net.Conn]bool{}
	s.mu.Unlock()
	if ln == nil {
		return
	}
	ln.Close()
	for c := range conns {
		if killed {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			} else if tc, ok := c.(*tls.Conn); ok {
				tc.NetConn().(*net.TCPConn).SetLinger(0)
			}
			c.Close()
			continue
		}
		time.Sleep(100 * time.Millisecond) // its reader drains what is in flight
		c.Close()
	}
}

func (s *siem) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// seqChunks writes n chunks of per events each; event k carries "seq k" in its message.
func seqChunks(t *testing.T, n, per int) []string {
	dir := t.TempDir()
	var paths []string
	for c := range n {
		var chunk []byte
		for i := range per {
			var err error
			chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, map[string]any{
				"event_id": "ADM-001", "user": "alice", "status": "Success", "message": fmt.Sprintf("seq %d", c*per+i),
			})
			require.NoError(t, err)
		}
		p := filepath.Join(dir, fmt.Sprintf("chunk%03d", c))
		require.NoError(t, os.WriteFile(p, chunk, 0o644))
		paths = append(paths, p)
	}
	return paths
}

var seqPattern = regexp.MustCompile(`msg=seq (\d+)$`)

// countSeq counts how often each sequence number arrived.
func countSeq(t *testing.T, lines []string) map[int]int {
	seen := map[int]int{}
	for _, l := range lines {
		m := seqPattern.FindStringSubmatch(l)
		require.NotNil(t, m, "a message without its sequence number: %q", l)
		n, _ := strconv.Atoi(m[1])
		seen[n]++
	}
	return seen
}

// restartRun sends 100,000 events in 100 paced chunks, Fluent Bit's retry included, while the SIEM
// goes down once, in the middle of a chunk about half way, and comes back a second later.
func restartRun(t *testing.T, s *siem, props string, killed bool) (received, missing, duplicates int) {
	const chunks, per = 100, 1000
	paths := seqChunks(t, chunks, per)
	var once sync.Once
	s.onLine = func(n int) {
		if n >= chunks*per/2+per/2 {
			once.Do(func() {
				go func() {
					addr := s.addr
					s.stop(killed)
					time.Sleep(time.Second)
					s.start(addr)
				}()
			})
		}
	}
	var script strings.Builder
	fmt.Fprintf(&script, "register\ninstance a Address=%s Startup_Check=off %s\n", s.addr, props)
	for _, p := range paths {
		fmt.Fprintf(&script, "flushretry a %s 100 200\nsleep 20\n", p)
	}
	script.WriteString("exit a\n")
	run := runHost(t, script.String())
	for _, r := range run.results[2 : 2+chunks] {
		assert.Regexp(t, `^flushretry a rc=1 tries=\d+ ms=\d+$`, r, "every chunk delivered in the end")
	}
	time.Sleep(500 * time.Millisecond)
	seen := countSeq(t, s.messages())
	for k := range chunks * per {
		switch n := seen[k]; {
		case n == 0:
			missing++
		case n > 1:
			duplicates += n - 1
		}
	}
	return len(s.messages()), missing, duplicates
}

func TestSIEMCleanRestartLosesNothingOverTCPAndTLS(t *testing.T) {
	pki := newPKI(t)
	for _, tc := range []struct {
		name  string
		tls   *tls.Config
		props string
	}{
		{"tcp", nil, ""},
		{"tls", pki.serverTLS(pki.good), "Protocol=tls TLS_CA_File=" + pki.ca.CertPEM + " TLS_Server_Name=siem.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			received, missing, dups := restartRun(t, newSIEM(t, tc.tls), tc.props, false)
			t.Logf("%s, clean restart: %d of 100000 arrived at least once, %d missing, %d duplicates (%d messages received)",
				tc.name, 100000-missing, missing, dups, received)
			assert.Zero(t, missing, "every event at least once")
		})
	}
}

func TestSIEMKilledOverRELPLosesNothingAndOverTCPTheLossIsMeasured(t *testing.T) {
	t.Run("relp", func(t *testing.T) {
		s := newSIEM(t, nil)
		s.relp = true
		received, missing, dups := restartRun(t, s, "Protocol=relp", true)
		t.Logf("relp, SIEM killed: %d of 100000 arrived at least once, %d missing, %d duplicates (%d messages received)",
			100000-missing, missing, dups, received)
		assert.Zero(t, missing, "every event at least once over RELP")
	})
	t.Run("tcp", func(t *testing.T) {
		received, missing, dups := restartRun(t, newSIEM(t, nil), "", true)
		t.Logf("tcp, SIEM killed: %d of 100000 arrived, %d lost, %d duplicates (%d messages received); plain TCP cannot know what a dead peer had not read",
			100000-missing, missing, dups, received)
	})
}

func TestReceiverThatNeverReadsMeansRetryWithinWriteTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepted, never read
		}
	}()
	paths := seqChunks(t, 1, 60000) // more than the socket buffers hold
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Startup_Check=off Write_Timeout=1s Connect_Timeout=1s\nflushretry a %s 1 0\nexit a\n", ln.Addr(), paths[0]))
	m := regexp.MustCompile(`^flushretry a rc=2 tries=1 ms=(\d+)$`).FindStringSubmatch(run.results[2])
	require.NotNil(t, m, run.results[2])
	ms, _ := strconv.Atoi(m[1])
	// Bounded by Write_Timeout: a write that times out is not tried again on a new connection.
	assert.Less(t, ms, 2500, "the flush returned in bounded time")
	assert.Regexp(t, `\[error\] \[siem_cef:siem_cef.0\] delivery failed, returning FLB_RETRY \(Fluent Bit retries the chunk unless its Retry_Limit is used up\): write 127.0.0.1:\d+ \(tcp\): .*i/o timeout`, run.log)
}

func TestFailuresMeanRetryAndOneClearLine(t *testing.T) {
	pki := newPKI(t)
	chunk, _ := chunkFile(t, fixtures+"seed-example.json")
	tlsSIEM := func(cert *testpki.Pair) string { return newSIEM(t, pki.serverTLS(cert)).addr }
	other, err := testpki.NewCA(t.TempDir(), "other")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, props, cause string
	}{
		{"connection refused", "Address=" + closedPort(t), `connect 127\.0\.0\.1:\d+ \(tcp\): dial tcp 127\.0\.0\.1:\d+: connect: connection refused`},
		{"a name that does not resolve", "Address=siem.does-not-exist.invalid:514", `connect siem\.does-not-exist\.invalid:514 \(tcp\): dial tcp: lookup siem\.does-not-exist\.invalid.*no such host`},
		{"a TLS server with an unknown CA", "Protocol=tls TLS_Server_Name=siem.test TLS_CA_File=" + other.CertPEM + " Address=" + tlsSIEM(pki.good),
			`connect 127\.0\.0\.1:\d+ \(tls\): tls: failed to verify certificate: x509: certificate signed by unknown authority`},
		{"an expired certificate", "Protocol=tls TLS_Server_Name=siem.test TLS_CA_File=" + pki.ca.CertPEM + " Address=" + tlsSIEM(pki.expired),
			`connect 127\.0\.0\.1:\d+ \(tls\): tls: failed to verify certificate: x509: certificate has expired or is not yet valid`},
		{"a wrong server name", "Protocol=tls TLS_Server_Name=siem.test TLS_CA_File=" + pki.ca.CertPEM + " Address=" + tlsSIEM(pki.otherName),
			`connect 127\.0\.0\.1:\d+ \(tls\): tls: failed to verify certificate: x509: certificate is valid for elsewhere\.test, not siem\.test`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runHost(t, fmt.Sprintf("register\ninstance a %s Startup_Check=off Connect_Timeout=2s\nflush a %s\nexit a\n", tc.props, chunk))
			assert.Equal(t, "flush a rc=2", run.results[2])
			lines := regexp.MustCompile(`(?m)^\[error\] .*$`).FindAllString(run.log, -1)
			require.Len(t, lines, 1, "one clear line:\n%s", run.log)
			assert.Regexp(t, `^\[error\] \[siem_cef:siem_cef\.0\] delivery failed, returning FLB_RETRY \(Fluent Bit retries the chunk unless its Retry_Limit is used up\): `+tc.cause, lines[0])
		})
	}
}

func TestTLSDeliversWithOctetCountingAndMutualTLS(t *testing.T) {
	pki := newPKI(t)
	chunk, n := chunkFile(t, fixtures+"events.jsonl")
	golden := readLines(t, "testdata/events.cef")
	server := pki.serverTLS(pki.good)
	server.ClientAuth, server.ClientCAs = tls.RequireAndVerifyClientCert, pki.ca.Pool()
	s := newSIEM(t, server)
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Protocol=tls Hostname=kcs-node TLS_Server_Name=siem.test TLS_CA_File=%s TLS_Cert_File=%s TLS_Key_File=%s\nflush a %s\nexit a\n",
		s.addr, pki.ca.CertPEM, pki.client.CertFile, pki.client.KeyFile, chunk))
	assert.Equal(t, "flush a rc=1", run.results[2])
	assert.Contains(t, run.log, "Framing=octet-counting Max_Message_Size=8096 TLS_Verify=on TLS_Server_Name=siem.test")
	assert.Regexp(t, `startup check: tls 127\.0\.0\.1:\d+: reachable, connected in \S+; certificate "CN=siem\.test", expires `, run.log)
	require.Eventually(t, func() bool { return len(s.messages()) >= n }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, golden, s.messages())
}

func TestFailoverToTheSecondSIEMAndBack(t *testing.T) {
	first, second := newSIEM(t, nil), newSIEM(t, nil)
	firstAddr := first.addr
	paths := seqChunks(t, 3, 10)
	// The first SIEM goes down once it has the first chunk and the flush has ended (a close within
	// a connection's first flush fails it: firstFlushGrace), and comes back once the second SIEM
	// has the second: the third chunk goes to the first again, after the hold-down.
	var down, up sync.Once
	first.onLine = func(n int) {
		if n == 10 {
			down.Do(func() { time.AfterFunc(300*time.Millisecond, func() { first.stop(false) }) })
		}
	}
	second.onLine = func(n int) {
		if n == 10 {
			up.Do(func() { go first.start(firstAddr) })
		}
	}
	run := runHost(t, fmt.Sprintf(`register
instance a Address=%s,%s Failover_Hold_Down=1s Startup_Check=off
flush a %s
sleep 500
flush a %s
sleep 1500
flush a %s
exit a
`, first.addr, second.addr, paths[0], paths[1], paths[2]))
	assert.Equal(t, []string{"flush a rc=1", "flush a rc=1", "flush a rc=1"}, run.results[2:5])
	require.Eventually(t, func() bool { return len(first.messages()) == 20 && len(second.messages()) == 10 }, 5*time.Second, 10*time.Millisecond)
	want := func(from int) map[int]int {
		m := map[int]int{}
		for k := from; k < from+10; k++ {
			m[k] = 1
		}
		return m
	}
	firstGot := countSeq(t, first.messages())
	assert.Equal(t, want(10), countSeq(t, second.messages()), "the second SIEM gets the second chunk")
	for k, n := range want(0) {
		assert.Equal(t, n, firstGot[k], "the first SIEM gets the first chunk: %d", k)
	}
	for k, n := range want(20) {
		assert.Equal(t, n, firstGot[k], "and the third, after the hold-down: %d", k)
	}
	assert.Contains(t, run.log, "[warn] [siem_cef:siem_cef.0] now connected to "+second.addr+" instead of "+firstAddr)
	assert.Contains(t, run.log, "[warn] [siem_cef:siem_cef.0] now connected to "+firstAddr+" instead of "+second.addr)
}

// pki holds the certificates of the TLS tests.
type pki struct {
	ca                               *testpki.CA
	good, expired, otherName, client *testpki.Pair
}

func newPKI(t *testing.T) *pki {
	ca, err := testpki.NewCA(t.TempDir(), "test")
	require.NoError(t, err)
	now := time.Now()
	p := &pki{ca: ca}
	for _, c := range []struct {
		dst      **testpki.Pair
		file     string
		name     string
		from, to time.Time
		client   bool
	}{
		{&p.good, "good", "siem.test", now.Add(-time.Hour), now.Add(time.Hour), false},
		{&p.expired, "expired", "siem.test", now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), false},
		{&p.otherName, "other", "elsewhere.test", now.Add(-time.Hour), now.Add(time.Hour), false},
		{&p.client, "client", "kcs-node", now.Add(-time.Hour), now.Add(time.Hour), true},
	} {
		*c.dst, err = ca.Issue(c.file, []string{c.name}, c.from, c.to, c.client)
		require.NoError(t, err)
	}
	return p
}

func (p *pki) serverTLS(cert *testpki.Pair) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}
}

// README "Protocols": tcp is at least once, "except what a SIEM that dies had read into its buffers
// but not processed". A SIEM that reads the first 1000 messages of a chunk, stalls (a GC pause, a
// disk) and is killed had not the rest, much of it in the plugin's own send queue: the flush must
// answer FLB_RETRY, not FLB_OK, and the retry delivers the chunk.
func TestKilledSIEMMidChunkMeansRetryNotOK(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var mu sync.Mutex
	var lines []string
	keep := func(l string) {
		mu.Lock()
		lines = append(lines, l)
		mu.Unlock()
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r := bufio.NewReader(c)
		for range 1000 {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			keep(strings.TrimSuffix(l, "\n"))
		}
		time.Sleep(300 * time.Millisecond)
		c.(*net.TCPConn).SetLinger(0)
		c.Close() // killed: what it had not read is lost
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					keep(sc.Text())
				}
			}()
		}
	}()
	paths := seqChunks(t, 1, 60000)
	run := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Startup_Check=off Write_Timeout=5s\nflush a %s\nflush a %s\nexit a\n", ln.Addr(), paths[0], paths[0]))
	assert.Equal(t, "flush a rc=2", run.results[2], "the SIEM was killed with most of the chunk not taken")
	assert.Equal(t, "flush a rc=1", run.results[3], "Fluent Bit's retry")
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	seen := countSeq(t, lines)
	mu.Unlock()
	for k := range 60000 {
		require.NotZero(t, seen[k], "event %d never arrived", k)
	}
}
