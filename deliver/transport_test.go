package deliver

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func batchOf(framing Framing, msgs ...string) *Batch {
	b := &Batch{Framing: framing}
	for _, m := range msgs {
		start := len(b.Buf)
		b.Buf = append(b.Buf, m...)
		b.End(start)
	}
	return b
}

func TestBatchFramingAndMessages(t *testing.T) {
	b := batchOf(FramingNewline, "one", "two", "three")
	assert.Equal(t, "one\ntwo\nthree\n", string(b.Buf))
	assert.Equal(t, 3, b.Len())
	assert.Equal(t, "two\n", string(b.Message(1)))

	u := batchOf(FramingNone, "a", "bc")
	assert.Equal(t, "abc", string(u.Buf))
	assert.Equal(t, "bc", string(u.Message(1)))

	b.Reset()
	assert.Equal(t, 0, b.Len())
	assert.Empty(t, b.Buf)
}

// tcpReceiver accepts connections one after another and sends every line it reads to lines.
func tcpReceiver(t *testing.T) (net.Listener, chan string, chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	lines := make(chan string, 1000)
	conns := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() {
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
		}
	}()
	return ln, lines, conns
}

func receive(t *testing.T, lines chan string, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		select {
		case l := <-lines:
			got = append(got, l)
		case <-time.After(5 * time.Second):
			t.Fatalf("received %d of %d lines: %q", len(got), n, got)
		}
	}
	return got
}

func opts(addr string) Options {
	return Options{Addresses: []string{addr}, ConnectTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, HoldDown: time.Minute}
}

func TestTCPDeliversNewlineFramedOverOneConnection(t *testing.T) {
	ln, lines, conns := tcpReceiver(t)
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	require.NoError(t, tr.Send(batchOf(FramingNewline, "a=1", "b=2")))
	require.NoError(t, tr.Send(batchOf(FramingNewline, "c=3")))
	assert.Equal(t, []string{"a=1", "b=2", "c=3"}, receive(t, lines, 3))
	assert.Len(t, conns, 1, "one persistent connection")
}

func TestTCPReconnectsWhenTheSIEMClosedTheConnection(t *testing.T) {
	ln, lines, conns := tcpReceiver(t)
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	first := batchOf(FramingNewline, "first")
	require.NoError(t, tr.Send(first))
	require.NoError(t, tr.Confirm(time.Time{}), "the flush ends")
	assert.Equal(t, []string{"first"}, receive(t, lines, 1))
	assert.False(t, first.PeerClosed, "a first connection replaced none")
	(<-conns).Close() // the SIEM restarts
	time.Sleep(50 * time.Millisecond)
	next := batchOf(FramingNewline, "second", "third")
	require.NoError(t, tr.Send(next))
	assert.Equal(t, []string{"second", "third"}, receive(t, lines, 2))
	assert.Len(t, conns, 1, "a second connection replaced the closed one")
	assert.True(t, next.PeerClosed, "the Send tells that it replaced a connection the SIEM closed")
	next.Reset()
	assert.False(t, next.PeerClosed)
}

func TestTCPConnectFailureIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	err = NewStream(opts(addr)).Send(batchOf(FramingNewline, "x"))
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "connect", de.Op)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "%v", err)
	assert.Contains(t, err.Error(), addr)
}

func TestTCPWriteToAReceiverThatNeverReadsTimesOut(t *testing.T) {
	o := opts(silentPeer(t))
	o.WriteTimeout = 200 * time.Millisecond
	tr := NewStream(o)
	defer tr.Close()
	big := batchOf(FramingNewline, strings.Repeat("x", 64<<20))
	err := tr.Send(big)
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "write", de.Op)
}

func TestUDPSendsOneDatagramPerMessage(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	u := NewUDP(opts(pc.LocalAddr().String()))
	defer u.Close()
	require.NoError(t, u.Send(batchOf(FramingNone, "one", "two words")))
	buf := make([]byte, 65535)
	var got []string
	for range 2 {
		require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		require.NoError(t, err)
		got = append(got, string(buf[:n]))
	}
	assert.Equal(t, []string{"one", "two words"}, got)
	assert.Equal(t, FramingNone, u.Framing())
}

func TestUDPRefusedPortFailsTheSend(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	pc.Close()
	u := NewUDP(opts(addr))
	defer u.Close()
	// The ICMP port-unreachable of one datagram is reported on the next send.
	err = u.Send(batchOf(FramingNone, "a", "b", "c", "d"))
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "%v", err)
}

// udpAt listens for datagrams on ip at port ("0": any), and returns the port and a read of the next one.
func udpAt(t *testing.T, ip, port string) (string, func() string) {
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, port))
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	_, port, _ = net.SplitHostPort(pc.LocalAddr().String())
	return port, func() string {
		buf := make([]byte, 100)
		require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		require.NoError(t, err)
		return string(buf[:n])
	}
}

// namedUDP is a UDP transport to siem.test:port whose name has the address *ip, on a clock that the
// test moves.
func namedUDP(port string, ip *string, now *time.Time) *UDP {
	u := NewUDP(opts(net.JoinHostPort("siem.test", port)))
	u.now = func() time.Time { return *now }
	u.lookup = func(host string, _ time.Time) ([]string, error) { return []string{*ip}, nil }
	return u
}

// Only a host name is looked up again: an IP address, an IPv6 one with its zone too, is kept.
func TestUDPLooksUpHostNamesOnly(t *testing.T) {
	for addr, named := range map[string]bool{"siem.test:514": true, "10.0.0.1:514": false, "[::1]:514": false, "[fe80::1%eth0]:514": false} {
		assert.Equal(t, named, NewUDP(opts(addr)).named(), addr)
	}
}

// A SIEM named by a host name that moves is found at its new address: after a refused send at
// once, and within udpRecheck when the old address takes the datagrams and drops them.
func TestUDPFollowsASIEMWhoseNameMoved(t *testing.T) {
	now := time.Now()
	port, readNew := udpAt(t, "127.0.0.1", "0")
	ip := "127.0.0.2" // nothing listens there: refused
	u := namedUDP(port, &ip, &now)
	defer u.Close()
	require.ErrorIs(t, u.Send(batchOf(FramingNone, "lost")), syscall.ECONNREFUSED)
	ip = "127.0.0.1"
	require.NoError(t, u.Send(batchOf(FramingNone, "after the refusal")))
	assert.Equal(t, "after the refusal", readNew())

	_, readOld := udpAt(t, "127.0.0.3", port)
	ip = "127.0.0.3"
	now = now.Add(udpRecheck)
	require.NoError(t, u.Send(batchOf(FramingNone, "at the old address")))
	assert.Equal(t, "at the old address", readOld())
	ip = "127.0.0.1" // the name moves back; the old address still takes datagrams
	now = now.Add(udpRecheck - time.Second)
	require.NoError(t, u.Send(batchOf(FramingNone, "before the recheck")))
	assert.Equal(t, "before the recheck", readOld(), "looked up at most every udpRecheck")
	now = now.Add(time.Second)
	require.NoError(t, u.Send(batchOf(FramingNone, "after the recheck")))
	assert.Equal(t, "after the recheck", readNew())
}

// silentPeer accepts one connection and never reads from it nor answers.
func silentPeer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(10 * time.Second)
		}
	}()
	return ln.Addr().String()
}

func TestFlushBudgetIsTheREADMEBound(t *testing.T) {
	s := &Settings{
		Addresses:      []HostPort{{Host: "siem-a", Port: 514}, {Host: "siem-b", Port: 514}},
		ConnectTimeout: 5 * time.Second,
		WriteTimeout:   10 * time.Second,
	}
	assert.Equal(t, 30*time.Second, FlushBudget(s, 0), "Connect_Timeout × 2 addresses + 2 × Write_Timeout")
	assert.Equal(t, 40*time.Second, FlushBudget(s, 1), "and one Write_Timeout for each MiB written begun")
	assert.Equal(t, 40*time.Second, FlushBudget(s, 1<<20))
	assert.Equal(t, 50*time.Second, FlushBudget(s, 1<<20+1))
}

func TestTCPWriteEndsAtTheFlushDeadline(t *testing.T) {
	o := opts(silentPeer(t))
	o.WriteTimeout = time.Minute
	tr := NewStream(o)
	defer tr.Close()
	big := batchOf(FramingNewline, strings.Repeat("x", 64<<20))
	big.Deadline = time.Now().Add(200 * time.Millisecond)
	err := tr.Send(big)
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "write", de.Op)
	require.ErrorIs(t, err, ErrFlushDeadline, "not Write_Timeout")
}

func TestConnectAfterTheFlushDeadlineHoldsNoAddressDown(t *testing.T) {
	ln, _, conns := tcpReceiver(t)
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	late := batchOf(FramingNewline, "x")
	late.Deadline = time.Now().Add(-time.Millisecond)
	err := tr.Send(late)
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "connect", de.Op)
	require.ErrorIs(t, err, ErrFlushDeadline)
	assert.Empty(t, conns, "no address tried")
	assert.True(t, tr.ends.retryAt[0].IsZero(), "the address is not to blame")
}

func TestUDPWriteAfterTheFlushDeadlineFails(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	u := NewUDP(opts(pc.LocalAddr().String()))
	defer u.Close()
	require.NoError(t, u.Send(batchOf(FramingNone, "in time")))
	late := batchOf(FramingNone, "late")
	late.Deadline = time.Now().Add(-time.Millisecond)
	err = u.Send(late)
	require.ErrorIs(t, err, ErrFlushDeadline)
}

// numbered is n messages of width bytes, each its number.
func numbered(prefix string, n, width int) []string {
	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("%s%0*d", prefix, width-len(prefix), i)
	}
	return msgs
}

// resetAfter accepts one connection, reads lines of it from the start, then resets it (a SIEM
// killed with data unread) and returns the connection as it goes.
func resetAfter(t *testing.T, lines int) (string, chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	reset := make(chan struct{})
	go func() {
		defer close(reset)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r := bufio.NewReader(c)
		for range lines {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
		time.Sleep(300 * time.Millisecond) // the sender fills both buffers and waits
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}()
	return ln.Addr().String(), reset
}

// README "Protocols": tcp is at least once, "except what a SIEM that dies had read into its buffers
// but not processed". Bytes still in this host's send queue when the SIEM resets the connection are
// not that: the flush must fail (and its chunk be sent again), not go on from what the kernel took.
func TestTCPSendFailsWhenTheSIEMResetsWithBytesOfTheBatchQueued(t *testing.T) {
	addr, reset := resetAfter(t, 1000)
	o := opts(addr)
	o.WriteTimeout = 5 * time.Second
	tr := NewStream(o)
	defer tr.Close()
	err := tr.Send(batchOf(FramingNewline, numbered("", 200000, 40)...)) // 8 MB: more than the buffers hold
	if err == nil {
		err = tr.Confirm(time.Time{})
	}
	<-reset
	var de *Error
	require.ErrorAs(t, err, &de, "the SIEM was reset with most of the batch unread")
	assert.Equal(t, "write", de.Op)
}

// The same between the batches of one flush: a batch the kernel took is not delivered until the
// SIEM's host acknowledged it, so a connection found reset before the next batch fails the flush
// instead of being replaced quietly (README "Protocols", "A SIEM that restarted").
func TestTCPSendFailsWhenTheConnectionBrokeAfterAnEarlierBatchOfTheFlush(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // never read
		}
	}()
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	require.NoError(t, tr.Send(batchOf(FramingNewline, numbered("A", 1000, 40)...)), "taken by the kernel")
	c := <-accepted
	c.(*net.TCPConn).SetLinger(0)
	c.Close() // the SIEM is killed
	time.Sleep(50 * time.Millisecond)
	err = tr.Send(batchOf(FramingNewline, "B"))
	var de *Error
	require.ErrorAs(t, err, &de, "batch A was lost with the connection")
	assert.ErrorIs(t, err, errUnconfirmedClose)
}

// README "Delivery and what a flush returns": OK means every event was written. Confirm waits for
// the SIEM's host to acknowledge the bytes; a receiver that takes nothing fails it within
// Write_Timeout.
func TestTCPConfirmFailsWhenTheSIEMAcknowledgesNothing(t *testing.T) {
	o := opts(silentPeer(t))
	o.WriteTimeout = 200 * time.Millisecond
	tr := NewStream(o)
	defer tr.Close()
	require.NoError(t, tr.Send(batchOf(FramingNewline, strings.Repeat("x", 1<<20))), "taken by the kernel")
	err := tr.Confirm(time.Time{})
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "acknowledgement", de.Op)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Empty(t, tr.Connected(), "the connection is dropped")
}

func TestTCPConfirmReturnsOnceTheSIEMHasEveryByte(t *testing.T) {
	ln, lines, _ := tcpReceiver(t)
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	require.NoError(t, tr.Send(batchOf(FramingNewline, numbered("", 1000, 40)...)))
	require.NoError(t, tr.Confirm(time.Time{}))
	assert.False(t, tr.unconfirmed)
	assert.Len(t, receive(t, lines, 1000), 1000)
}

// README "Protocols": "A write that times out is not retried: that SIEM has stopped reading". One
// that keeps reading, slower than a batch per Write_Timeout, has not, over tcp or tls.
func TestSlowButSteadyReaderIsNoTimeout(t *testing.T) {
	_, serverTLS := testCA(t)
	for _, withTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", withTLS), func(t *testing.T) {
			ln := loopback.Listen(t)
			o := opts(ln.Addr().String())
			if withTLS {
				ln = tls.NewListener(ln, serverTLS)
				o.TLS = &tls.Config{RootCAs: serverTLS.RootCAs, ServerName: "siem.test"}
			}
			loopback.Serve(ln, func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					time.Sleep(20 * time.Millisecond) // 3.2 MB/s: a 2 MiB batch takes 650 ms
				}
			})
			o.WriteTimeout = 250 * time.Millisecond
			tr := NewStream(o)
			defer tr.Close()
			msgs := numbered("", 2048, 1024) // 2 MiB
			for i := range 4 {               // 8 MiB: more than the socket buffers hold
				require.NoError(t, tr.Send(batchOf(FramingNewline, msgs...)), "batch %d: the reader never stopped", i)
			}
		})
	}
}

// RFC 6587 octet counting: each message is preceded by its length in bytes and a space; Payload
// is the message without it.
func TestBatchOctetCounting(t *testing.T) {
	b := batchOf(FramingOctet, "abc", "", "0123456789", "é")
	assert.Equal(t, "3 abc0 10 01234567892 é", string(b.Buf))
	assert.Equal(t, 4, b.Len())
	assert.Equal(t, "10 0123456789", string(b.Message(2)))
	assert.Equal(t, "0123456789", string(b.Payload(2)))
	assert.Equal(t, "é", string(b.Payload(3)))
}

// A SIEM that closed its side (a FIN) while this flush's bytes were on the connection fails the
// next send, whatever its host acknowledged: one that drains and discards after its FIN (a
// lingering close) acknowledges bytes it never processes, and only sending the chunk again is sure
// (README: at least once, duplicates rather than loss).
func TestTCPSendFailsWhenTheSIEMClosedDuringTheFlush(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.(*net.TCPConn).CloseWrite() // shutting down: a FIN at once, then what arrives is discarded
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		io.Copy(io.Discard, c)
	}()
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	require.NoError(t, tr.Send(batchOf(FramingNewline, numbered("A", 1000, 40)...)), "acknowledged, and discarded")
	time.Sleep(50 * time.Millisecond)
	assert.ErrorIs(t, tr.Send(batchOf(FramingNewline, "B")), errUnconfirmedClose)
}

// A clean close is no loss only once everything was acknowledged: a SIEM that stopped reading
// with bytes of the flush still in this host's queue, then closed, fails the next send.
func TestTCPSendFailsWhenTheSIEMClosedCleanlyBeforeAcknowledgingEverything(t *testing.T) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // never read: a receive window of a few KiB
		}
	}()
	tr := NewStream(opts(ln.Addr().String()))
	defer tr.Close()
	require.NoError(t, tr.Send(batchOf(FramingNewline, numbered("A", 1000, 40)...)), "taken by the kernel")
	c := <-accepted
	defer c.Close()
	require.NoError(t, c.(*net.TCPConn).CloseWrite()) // a FIN, the rest of batch A unacknowledged
	time.Sleep(50 * time.Millisecond)
	err = tr.Send(batchOf(FramingNewline, "B"))
	assert.ErrorIs(t, err, errUnconfirmedClose)
}
