package deliver

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

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

	// The first message not wholly written within n bytes: where a rewrite must start.
	for n, want := range map[int]int{0: 0, 3: 0, 4: 4, 5: 4, 8: 8, 13: 8, 14: 14} {
		assert.Equal(t, want, b.start(n), "n=%d", n)
	}
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
	require.NoError(t, tr.Send(batchOf(FramingNewline, "first")))
	assert.Equal(t, []string{"first"}, receive(t, lines, 1))
	(<-conns).Close() // the SIEM restarts
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, tr.Send(batchOf(FramingNewline, "second", "third")))
	assert.Equal(t, []string{"second", "third"}, receive(t, lines, 2))
	assert.Len(t, conns, 1, "a second connection replaced the closed one")
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
	assert.Equal(t, 30*time.Second, FlushBudget(s), "Connect_Timeout × 2 addresses + 2 × Write_Timeout")
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
