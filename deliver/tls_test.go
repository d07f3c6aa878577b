package deliver

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsServer is a TLS SIEM that counts its connections and the lines it reads.
func tlsServer(t *testing.T, cfg *tls.Config) (addr string, conns, lines *atomic.Int64) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	conns, lines = new(atomic.Int64), new(atomic.Int64)
	loopback.Serve(ln, func(c net.Conn) {
		conns.Add(1)
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			lines.Add(1)
		}
	})
	return ln.Addr().String(), conns, lines
}

func testCA(t *testing.T) (*testpki.CA, *tls.Config) {
	ca, err := testpki.NewCA(t.TempDir(), "test")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"siem.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "siem.test", MinVersion: tls.VersionTLS12}
	return ca, &tls.Config{Certificates: []tls.Certificate{server.TLS}, RootCAs: client.RootCAs, ServerName: client.ServerName}
}

func TestTLSServerThatRefusesTheClientAfterTheHandshakeIsAFailure(t *testing.T) {
	ca, cfg := testCA(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		addr, _, lines := tlsServer(t, &tls.Config{Certificates: cfg.Certificates, ClientAuth: tls.RequireAndVerifyClientCert,
			ClientCAs: ca.Pool(), MaxVersion: version})
		o := opts(addr)
		o.TLS = &tls.Config{RootCAs: cfg.RootCAs, ServerName: "siem.test"} // no client certificate
		err := NewStream(o).Send(batchOf(FramingNewline, "lost?"))
		require.Error(t, err, "TLS version %x", version)
		assert.Contains(t, err.Error(), "connect "+addr+" (tls): ")
		assert.Zero(t, lines.Load())
		_, err = newEndpoints(o).dialOne(0, time.Time{}) // what the Test connection does
		require.Error(t, err, "TLS version %x", version)
		if version == tls.VersionTLS13 { // TLS 1.2 fails in the handshake itself
			assert.Contains(t, err.Error(), "the server refused this client after the TLS handshake: remote error: tls: certificate required")
		}
	}
}

// hostileServer is a TLS SIEM whose certificate, issued by a CA the client trusts, has a subject
// and names its author chose to move the terminal and forge a log line.
func hostileServer(t *testing.T, names []string) (addr string, ca *testpki.CA) {
	ca, err := testpki.NewCA(t.TempDir(), "test")
	require.NoError(t, err)
	subject := pkix.Name{CommonName: "siem\n[2026/01/01 00:00:00] [ info] forged\x1b[2J", Organization: []string{"\u202eevil"}}
	cert, err := ca.IssueNamed("server", subject, names, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	addr, _, _ = tlsServer(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	return addr, ca
}

func probeConfig(addr string, ca *testpki.CA) *Settings {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return &Settings{Protocol: ProtocolTLS, Addresses: []HostPort{{Host: host, Port: p}},
		ConnectTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		TLS: &TLSSettings{Config: &tls.Config{RootCAs: ca.Pool(), ServerName: "siem.test", MinVersion: tls.VersionTLS12}}}
}

func assertNoRawControl(t *testing.T, line string) {
	t.Helper()
	assert.NotContains(t, line, "\n")
	assert.NotContains(t, line, "\x1b")
	assert.NotContains(t, line, "\u202e")
}

func TestProbeQuotesTheCertificateSubject(t *testing.T) {
	addr, ca := hostileServer(t, []string{"siem.test"})
	probes := TestConnections(probeConfig(addr, ca), 2*time.Second)
	require.Len(t, probes, 1)
	require.NoError(t, probes[0].Err)
	line := probes[0].String()
	assertNoRawControl(t, line)
	assert.Contains(t, line, `; certificate "`)
	assert.Contains(t, line, `\n[2026/01/01 00:00:00] [ info] forged\x1b[2J`)
}

// Go's x509.HostnameError lists a certificate's DNS names raw, and a DNS name may hold any ASCII.
func TestErrorsQuoteWhatTheCertificateNames(t *testing.T) {
	addr, ca := hostileServer(t, []string{"other.test", "x\n[2026/01/01 00:00:00] [ info] forged\x1b[2J"})
	cfg := probeConfig(addr, ca)
	probes := TestConnections(cfg, 2*time.Second)
	require.Len(t, probes, 1)
	require.Error(t, probes[0].Err)
	assertNoRawControl(t, probes[0].String())
	assert.Contains(t, probes[0].String(), `x\n[2026/01/01 00:00:00] [ info] forged\x1b[2J`)

	err := New(cfg).Send(batchOf(FramingOctet, "x"))
	require.Error(t, err)
	assertNoRawControl(t, err.Error())
	assert.Contains(t, err.Error(), `x509: certificate is valid for other.test, x\n[2026/01/01 00:00:00] [ info] forged\x1b[2J`)
}

// README "Bounded time": a flush returns by its deadline. Dropping the TLS connection of a SIEM that
// stopped reading must not wait to send it a close_notify: crypto/tls gives that write 5 s of its
// own, into a send queue that is full.
func TestTLSDropOfASIEMThatStoppedReadingEndsByTheFlushDeadline(t *testing.T) {
	_, serverTLS := testCA(t)
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		if tls.Server(c, serverTLS).Handshake() == nil {
			time.Sleep(10 * time.Second) // reads nothing more
		}
	})
	o := opts(addr)
	o.WriteTimeout = 100 * time.Millisecond
	o.TLS = &tls.Config{RootCAs: serverTLS.RootCAs, ServerName: "siem.test"}
	tr := NewStream(o)
	defer tr.Close()
	b := batchOf(FramingNewline, numbered("", 200000, 40)...) // 8 MB: more than the buffers hold
	b.Deadline = time.Now().Add(500 * time.Millisecond)
	require.Error(t, tr.Send(b))
	assert.Less(t, time.Since(b.Deadline), 2*time.Second, "the flush ended 5 s past its deadline: a close_notify was written into the full queue")
}

// README "Protocols": a connection that breaks while it holds bytes of the flush fails the flush,
// over tls as over tcp (TestTCPSendFailsWhenTheSIEMResetsWithBytesOfTheBatchQueued).
func TestTLSSendFailsWhenTheSIEMResetsWithBytesOfTheBatchQueued(t *testing.T) {
	_, serverTLS := testCA(t)
	reset := make(chan struct{})
	addr := loopback.Start(t, func(c net.Conn) {
		defer close(reset)
		r := bufio.NewReader(tls.Server(c, serverTLS))
		for range 1000 {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
		time.Sleep(300 * time.Millisecond) // the sender fills both buffers and waits
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
	o := opts(addr)
	o.WriteTimeout = 5 * time.Second
	o.TLS = &tls.Config{RootCAs: serverTLS.RootCAs, ServerName: "siem.test"}
	tr := NewStream(o)
	defer tr.Close()
	err := tr.Send(batchOf(FramingNewline, numbered("", 200000, 40)...)) // 8 MB
	if err == nil {
		err = tr.Confirm(time.Time{})
	}
	<-reset
	var de *Error
	require.ErrorAs(t, err, &de, "the SIEM was reset with most of the batch unread")
}

// Only a handshake that the deadline ended is blamed on a plain-text port: a TCP connection that
// timed out (a host down, a firewall dropping the SYN) is an i/o time-out of the dial.
func TestAHandshakeTimeOutIsToldFromAConnectTimeOut(t *testing.T) {
	d := net.Dialer{Timeout: time.Nanosecond}
	_, connectErr := d.Dial("tcp", "127.0.0.1:1")
	require.Error(t, connectErr)
	require.ErrorIs(t, connectErr, context.DeadlineExceeded, "a dial past its deadline")
	assert.False(t, handshakeTimedOut(connectErr), "%v", connectErr)
	assert.True(t, handshakeTimedOut(context.DeadlineExceeded))
	assert.False(t, handshakeTimedOut(errors.New("EOF")))
}
