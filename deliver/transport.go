package deliver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/internal/logtext"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Transport delivers batches to one SIEM address. A transport is used by one flush at a time.
type Transport interface {
	// Send delivers every message of the batch or returns an *Error saying why not.
	Send(b *Batch) error
	// Framing is the framing the batch must be built with.
	Framing() Framing
	// Connected is the address of the connection in use, or "" (none yet, or UDP, which makes none).
	Connected() string
	Close() error
}

// Error is a delivery failure: Fluent Bit should retry the chunk.
type Error struct {
	Op   string // "connect" or "write"
	Addr string
	Net  string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s (%s): %s", e.Op, e.Addr, e.Net, printable(e.Err.Error()))
}

func (e *Error) Unwrap() error { return e.Err }

// printable returns text as it is when every character of it prints, else quoted: an error of the
// network stack may carry what a peer chose (an x509.HostnameError lists the certificate's names
// raw), and nothing a peer chose reaches a log line raw.
func printable(text string) string {
	for _, r := range text {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return logtext.Quote(text)
		}
	}
	return text
}

// ErrFlushDeadline is in the error of an operation that failed once the flush's time was up.
var ErrFlushDeadline = errors.New("the flush's time is up (Connect_Timeout × addresses + 2 × Write_Timeout)")

// until is when an operation must end: after its own time-out, or at the flush deadline (zero:
// none) if that comes first.
func until(timeout time.Duration, deadline time.Time) time.Time {
	end := time.Now().Add(timeout)
	if !deadline.IsZero() && deadline.Before(end) {
		return deadline
	}
	return end
}

// expired reports whether the flush deadline (zero: none) has passed.
func expired(deadline time.Time) bool { return !deadline.IsZero() && !time.Now().Before(deadline) }

// blame adds ErrFlushDeadline to the error of an operation that ended once the flush's time was
// up: the deadline is what cut it short.
func blame(err error, deadline time.Time) error {
	if expired(deadline) && !errors.Is(err, ErrFlushDeadline) {
		return fmt.Errorf("%w: %w", err, ErrFlushDeadline)
	}
	return err
}

// Options are the settings every transport takes.
type Options struct {
	Addresses      []string // host:port, in failover order
	ConnectTimeout time.Duration
	WriteTimeout   time.Duration
	TLS            *tls.Config   // nil: no TLS
	Framing        Framing       // of a stream: FramingNewline or FramingOctet
	HoldDown       time.Duration // how long a failed address is passed over
}

// Stream keeps one TCP or TLS connection to the SIEM, reconnects when it breaks, and fails over
// between the SIEM's addresses.
type Stream struct {
	opt      Options
	ends     *endpoints
	conn     net.Conn
	deadline time.Time // of the Send under way
}

// NewStream makes a TCP or TLS transport; it connects on the first Send.
func NewStream(opt Options) *Stream {
	if opt.Framing == FramingNone {
		opt.Framing = FramingNewline
	}
	return &Stream{opt: opt, ends: newEndpoints(opt)}
}

func (t *Stream) Framing() Framing { return t.opt.Framing }

// Connected is the address of the connection in use, or "".
func (t *Stream) Connected() string {
	if t.conn == nil {
		return ""
	}
	return t.ends.addrs[t.ends.current]
}

// Send writes the batch. A connection that breaks is replaced once within the same call, because
// the usual cause is a SIEM that restarted since the last flush; the rewrite starts at the first
// message the failed write did not finish, so no receiver sees half a message. A write that times out
// is not retried: the SIEM has stopped reading. A call takes at most two write timeouts and a
// connect timeout per address, and ends by the batch's Deadline.
func (t *Stream) Send(b *Batch) error {
	t.deadline = b.Deadline
	from := 0
	for attempt := 0; ; attempt++ {
		if err := t.connect(); err != nil {
			return err
		}
		if err := t.conn.SetWriteDeadline(until(t.opt.WriteTimeout, b.Deadline)); err != nil {
			t.drop()
			return t.err("write", err)
		}
		n, err := t.conn.Write(b.Buf[from:])
		if err == nil {
			return nil
		}
		t.drop()
		// A SIEM that stopped reading is not helped by a new connection; one that went away is.
		if attempt == 1 || errors.Is(err, os.ErrDeadlineExceeded) {
			return t.err("write", err)
		}
		from = b.start(from + n)
	}
}

func (t *Stream) err(op string, err error) *Error {
	addr := strings.Join(t.ends.addrs, ",")
	if op == "write" {
		addr = t.ends.addrs[t.ends.current]
	}
	return &Error{Op: op, Addr: addr, Net: t.ends.network(), Err: blame(err, t.deadline)}
}

// connect dials when there is no connection, when the peer has closed the one there is (writing into
// it would succeed locally and lose the data), or when a preferred address has served its hold-down.
func (t *Stream) connect() error {
	if t.conn != nil && (t.ends.betterDue() || t.peerClosed()) {
		t.drop()
	}
	if t.conn != nil {
		return nil
	}
	conn, err := t.ends.dial(t.deadline)
	if err != nil {
		return t.err("connect", err)
	}
	t.conn = conn
	return nil
}

// peerClosed peeks at the socket without waiting: EOF or a reset means the SIEM has gone since the
// last flush. A SIEM has nothing to say on a plain stream, so bytes it did send leave the connection
// alive. On TLS, bytes are records: a session ticket (harmless), an alert or close_notify; a short
// read tells which. (A read with an expired deadline would not do: Go returns the time-out without
// asking the kernel.)
func (t *Stream) peerClosed() bool {
	raw := t.conn
	tc, isTLS := t.conn.(*tls.Conn)
	if isTLS {
		raw = tc.NetConn()
	}
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed, pending := false, false
	err = rc.Read(func(fd uintptr) bool {
		var one [1]byte
		n, _, err := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = n == 0 && err == nil || err != nil && err != syscall.EAGAIN && err != syscall.EINTR
		pending = n > 0
		return true // never wait for readiness
	})
	if closed || err != nil {
		return true
	}
	if isTLS && pending {
		return awaitVerdict(tc, time.Now().Add(time.Millisecond)) != nil
	}
	return false
}

func (t *Stream) drop() {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// Close closes the connection.
func (t *Stream) Close() error {
	t.drop()
	return nil
}

// UDP sends each message as one datagram, a whole batch in one sendmmsg call: 1.1 to 1.3 times the
// datagrams per second of one write each, measured on loopback (README, Performance).
type UDP struct {
	opt    Options
	conn   *net.UDPConn
	writer batchWriter
	msgs   []ipv4.Message // reused: ipv4.Message and ipv6.Message are the same type
	bufs   [][]byte
}

// batchWriter is what ipv4.PacketConn and ipv6.PacketConn share.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// NewUDP makes a UDP transport; the socket is opened on the first Send.
func NewUDP(opt Options) *UDP { return &UDP{opt: opt} }

func (u *UDP) Framing() Framing { return FramingNone }

// Connected is "": UDP makes no connection.
func (u *UDP) Connected() string { return "" }

// Send writes one datagram per message. UDP has no acknowledgement: a SIEM that is down is noticed
// only by the ICMP error its host sends back, which fails the send where it is noticed (so that
// chunk is retried); datagrams sent before the error came back are lost.
func (u *UDP) Send(b *Batch) error {
	if u.conn == nil {
		d := net.Dialer{Timeout: u.opt.ConnectTimeout, Deadline: b.Deadline}
		conn, err := d.Dial("udp", u.opt.Addresses[0])
		if err != nil {
			return &Error{Op: "connect", Addr: u.opt.Addresses[0], Net: "udp", Err: blame(err, b.Deadline)}
		}
		u.conn = conn.(*net.UDPConn)
		if u.conn.RemoteAddr().(*net.UDPAddr).IP.To4() != nil {
			u.writer = ipv4.NewPacketConn(u.conn)
		} else {
			u.writer = ipv6.NewPacketConn(u.conn)
		}
	}
	if err := u.conn.SetWriteDeadline(until(u.opt.WriteTimeout, b.Deadline)); err != nil {
		return &Error{Op: "write", Addr: u.opt.Addresses[0], Net: "udp", Err: err}
	}
	u.msgs, u.bufs = u.msgs[:0], u.bufs[:0]
	for i := 0; i < b.Len(); i++ {
		u.bufs = append(u.bufs, b.Message(i))
	}
	for i := range u.bufs {
		u.msgs = append(u.msgs, ipv4.Message{Buffers: u.bufs[i : i+1]})
	}
	for done := 0; done < len(u.msgs); {
		n, err := u.writer.WriteBatch(u.msgs[done:], 0)
		if err != nil {
			// The socket stays open: a refused port keeps being reported on it, where a new socket
			// would report nothing until its own first ICMP error came back.
			return &Error{Op: "write", Addr: u.opt.Addresses[0], Net: "udp", Err: blame(err, b.Deadline)}
		}
		done += n
	}
	// An ICMP error for a datagram of this batch is pending on the socket rather than returned:
	// collect it now, so the flush that lost the datagrams is the one retried.
	if err := u.pendingError(); err != nil {
		return &Error{Op: "write", Addr: u.opt.Addresses[0], Net: "udp", Err: err}
	}
	return nil
}

func (u *UDP) pendingError() error {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		return err
	}
	var soErr int
	if err := rc.Control(func(fd uintptr) {
		soErr, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	}); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	if soErr != 0 {
		return syscall.Errno(soErr)
	}
	return nil
}

// Close closes the socket.
func (u *UDP) Close() error {
	if u.conn != nil {
		u.conn.Close()
		u.conn, u.writer = nil, nil
	}
	return nil
}

var (
	_ Transport = (*Stream)(nil)
	_ Transport = (*UDP)(nil)
)
