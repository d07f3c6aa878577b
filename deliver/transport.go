package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Transport delivers batches to one SIEM address. A transport is used by one flush at a time.
type Transport interface {
	// Send delivers every message of the batch or returns an *Error saying why not. On a stream,
	// delivered means handed to this host's kernel: Confirm says whether the SIEM's host took it.
	Send(b *Batch) error
	// Confirm returns nil once everything the Sends since the last Confirm delivered has been
	// acknowledged by the SIEM's side, and an *Error when it was not by the deadline (zero: none):
	// a flush calls it before it reports its chunk delivered.
	Confirm(deadline time.Time) error
	// Framing is the framing the batch must be built with.
	Framing() Framing
	// Connected is the address of the connection in use, or "" (none yet, or UDP, which makes none).
	Connected() string
	Close() error
}

// Error is a delivery failure: Fluent Bit should retry the chunk.
type Error struct {
	Op   string // "connect", "write" or "acknowledgement"
	Addr string
	Net  string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s (%s): %s", e.Op, e.Addr, e.Net, printable(e.Err.Error()))
}

func (e *Error) Unwrap() error { return e.Err }

// maxErrorText bounds an error's text in a log line: its start and its end are kept (an
// x509.HostnameError lists up to 99 names of the peer's certificate, then the name it wanted).
const maxErrorText = 1024

// printable returns text as it is when every character of it prints, else quoted: an error of the
// network stack may carry what a peer chose (an x509.HostnameError lists the certificate's names
// raw), and nothing a peer chose reaches a log line raw. A text longer than maxErrorText keeps its
// start and its end.
func printable(text string) string {
	if len(text) > maxErrorText {
		head, tail := runeStart(text, maxErrorText*3/4), runeStart(text, len(text)-maxErrorText/4)
		text = text[:head] + "…(" + strconv.Itoa(len(text)) + " bytes)…" + text[tail:]
	}
	for _, r := range text {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return strconv.Quote(text) // bounded above: logtext.Quote would cut it to a record value's length
		}
	}
	return text
}

// runeStart is i, or the start of the character i is inside of.
func runeStart(s string, i int) int {
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// ErrFlushDeadline is in the error of an operation that failed once the flush's time was up.
var ErrFlushDeadline = errors.New("the flush's time is up (Connect_Timeout × addresses + (2 + the MiB written) × Write_Timeout)")

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
	// unconfirmed: bytes went onto conn since its last Confirm. If conn breaks, what the SIEM's
	// host had not acknowledged of them is lost, and only sending the chunk again recovers it.
	unconfirmed bool
	// served: a Confirm succeeded on conn. One that breaks before fails its address over.
	served bool
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

// Send writes the batch. A connection that breaks before taking any byte since its last Confirm is
// replaced once within the same call, because the usual cause is a SIEM that restarted since the
// last flush. One that breaks after may have lost bytes of this flush in this host's send queue, so
// the send fails and the chunk is sent again. A write that times out is not retried: the SIEM has
// stopped reading. A call takes at most two write timeouts without progress and a connect timeout
// per address, and ends by the batch's Deadline.
func (t *Stream) Send(b *Batch) error {
	t.deadline = b.Deadline
	for attempt := 0; ; attempt++ {
		closed, err := t.connect()
		if err != nil {
			return err
		}
		b.PeerClosed = b.PeerClosed || closed
		n, err := write(t.conn, b.Buf, t.opt.WriteTimeout, b.Deadline)
		t.unconfirmed = t.unconfirmed || n > 0
		if err == nil {
			return nil
		}
		lost := t.unconfirmed
		t.drop()
		// A SIEM that stopped reading is not helped by a new connection; one that went away is,
		// unless it took bytes with it.
		if attempt == 1 || lost || errors.Is(err, os.ErrDeadlineExceeded) {
			return t.err("write", err)
		}
	}
}

// write writes p by deadline (zero: none), and fails when the SIEM takes nothing for timeout: one
// that reads slowly but steadily is not taken for one that stopped, however large p. It returns how
// many bytes the kernel took.
func write(conn net.Conn, p []byte, timeout time.Duration, deadline time.Time) (int, error) {
	if tc, ok := conn.(*net.TCPConn); ok {
		return writeTCP(tc, p, timeout, deadline)
	}
	return writePieces(conn, p, timeout, deadline)
}

// writeTCP writes p in one call, which goes on past a time-out as long as the SIEM's host
// acknowledged bytes within it. (Linux wakes a blocked writer only once a third of the send buffer,
// which it grows to 4 MiB, is free: what the kernel took in a while says little of a slow reader.)
func writeTCP(conn *net.TCPConn, p []byte, timeout time.Duration, deadline time.Time) (int, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		before, err := unacknowledged(rc)
		if err == nil {
			err = conn.SetWriteDeadline(until(timeout, deadline))
		}
		if err != nil {
			return n, err
		}
		k, err := conn.Write(p[n:])
		n += k
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || expired(deadline) {
			return n, err
		}
		if after, qerr := unacknowledged(rc); qerr != nil || after >= before+k {
			return n, err // nothing acknowledged in timeout
		}
	}
}

// writePiece is the most one TLS write takes, each with its own Write_Timeout: a TLS connection
// cannot go on after a write that timed out (its record stream is cut).
const writePiece = 64 << 10

// writePieces writes p in pieces, each taken within timeout, all by deadline.
func writePieces(conn net.Conn, p []byte, timeout time.Duration, deadline time.Time) (int, error) {
	n := 0
	for n < len(p) {
		if err := conn.SetWriteDeadline(until(timeout, deadline)); err != nil {
			return n, err
		}
		k, err := conn.Write(p[n:min(n+writePiece, len(p))])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Confirm waits until the SIEM's host has acknowledged every byte written since the last Confirm
// (TCP's acknowledgements: this host's send queue is empty), so that a flush reported delivered left
// nothing in a queue that a reset would empty. A SIEM that acknowledges nothing more for
// Write_Timeout has stopped reading.
func (t *Stream) Confirm(deadline time.Time) error {
	if t.conn == nil || !t.unconfirmed {
		return nil
	}
	t.deadline = deadline
	if err := awaitAcknowledged(t.conn, t.opt.WriteTimeout, deadline); err != nil {
		t.drop()
		return t.err("acknowledgement", err)
	}
	// Acknowledged is not taken: a SIEM that closed its side while this flush was written drains
	// and discards what came after (README, "A SIEM that restarted"). On a connection's first
	// flush, a moment more is given to that close: a proxy before a SIEM that is down accepts, lets
	// its host acknowledge, and closes as soon as it finds no back end.
	grace := time.Duration(0)
	if !t.served {
		grace = firstFlushGrace
	}
	if closedWithin(t.conn, grace, deadline) {
		t.drop()
		return t.err("acknowledgement", errUnconfirmedClose)
	}
	t.unconfirmed, t.served = false, true
	return nil
}

// firstFlushGrace is how long the first flush of a connection waits, its bytes acknowledged, for
// the peer to close it. A variable, so that a test on a loaded machine can wait longer.
var firstFlushGrace = 100 * time.Millisecond

// closedWithin reports whether the peer closes conn within grace (none: now), and before the deadline.
func closedWithin(conn net.Conn, grace time.Duration, deadline time.Time) bool {
	end := time.Now().Add(grace)
	if !deadline.IsZero() && deadline.Before(end) {
		end = deadline
	}
	for {
		if peerClosed(conn, false) {
			return true
		}
		if !time.Now().Before(end) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (t *Stream) err(op string, err error) *Error {
	addr := strings.Join(t.ends.addrs, ",")
	if op != "connect" {
		addr = t.ends.addrs[t.ends.current]
	}
	return &Error{Op: op, Addr: addr, Net: t.ends.network(), Err: blame(err, t.deadline)}
}

// errUnconfirmedClose is why a flush fails on a connection the SIEM closed while the flush wrote
// into it: what it had not acknowledged is lost, and what it had may have been thrown away.
var errUnconfirmedClose = errors.New("the SIEM closed the connection while this flush wrote into it (a restart does; at every flush, a SIEM that cannot read the Framing or Protocol)")

// connect dials when there is no connection, when the peer has closed the one there is (writing into
// it would succeed locally and lose the data), or when a preferred address has served its hold-down
// and the connection holds nothing unconfirmed. closed reports a connection the peer had closed.
func (t *Stream) connect() (closed bool, err error) {
	if t.conn != nil && peerClosed(t.conn, false) {
		lost := t.unconfirmed
		t.drop()
		if lost {
			return true, t.err("write", errUnconfirmedClose)
		}
		closed = true
	}
	if t.conn != nil && !t.unconfirmed && t.ends.betterDue() {
		t.hangUp()
	}
	if t.conn != nil {
		return closed, nil
	}
	conn, err := t.ends.dial(t.deadline, nil)
	if err != nil {
		return closed, t.err("connect", err)
	}
	t.conn, t.served = conn, false
	return closed, nil
}

// peerClosed peeks at the socket without waiting: EOF or a reset means the SIEM has gone (since the
// last flush, or during this one). A syslog receiver has nothing to say on a plain stream, so bytes
// it did send leave the connection alive, unless the peer only ever answers (silent: RELP, whose
// server sends a serverclose before it goes), or sent its FIN after them (a load balancer's "503"
// then its close), which the connection's TCP state tells. On TLS, bytes are records: a session
// ticket (harmless), an alert or close_notify; a short read tells which. (A read with an expired
// deadline would not do: Go returns the time-out without asking the kernel.)
func peerClosed(conn net.Conn, silent bool) bool {
	tc, isTLS := conn.(*tls.Conn)
	sc, ok := socket(conn).(syscall.Conn)
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
	switch {
	case closed || err != nil:
		return true
	case isTLS && pending && awaitVerdict(tc, time.Now().Add(time.Millisecond)) != nil,
		silent && pending:
		return true
	}
	return finReceived(rc) // a peer that said something (a session ticket), then closed
}

// drop closes a connection that failed, or may have (abort).
func (t *Stream) drop() {
	if t.conn != nil && !t.served {
		t.ends.failed(t.deadline)
	}
	if t.conn != nil {
		abort(t.conn)
		t.conn, t.unconfirmed = nil, false
	}
}

// hangUp closes the connection, with a TLS close_notify when the SIEM's host has acknowledged
// everything written into it (so the queue has room for it).
func (t *Stream) hangUp() {
	if t.conn != nil && !t.unconfirmed {
		t.conn.Close()
		t.conn = nil
	}
	t.drop()
}

// abort closes conn without a TLS close_notify: crypto/tls writes it under a 5 s deadline of its
// own, past the flush's, into the full send queue of a SIEM that stopped reading; a connection
// that failed owes the SIEM none.
func abort(conn net.Conn) { socket(conn).Close() }

// socket is the TCP connection under conn: conn itself, or the one a TLS connection runs over.
func socket(conn net.Conn) net.Conn {
	if tc, ok := conn.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return conn
}

// Close closes the connection.
func (t *Stream) Close() error {
	t.served = true // closing is no failure of the address
	t.hangUp()
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
	// A SIEM named by a host name is looked up again after a failed send, and every udpRecheck:
	// no connection breaks to tell that it moved, and one that silently drops loses everything.
	host, port string // host: the SIEM's name, "" when its address is an IP address
	checkedAt  time.Time
	now        func() time.Time
	lookup     func(host string, deadline time.Time) ([]string, error)
}

// udpRecheck is how often the name of a UDP SIEM is looked up again.
const udpRecheck = 30 * time.Second

// batchWriter is what ipv4.PacketConn and ipv6.PacketConn share.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// NewUDP makes a UDP transport; the socket is opened on the first Send.
func NewUDP(opt Options) *UDP {
	u := &UDP{opt: opt, now: time.Now, lookup: lookupHost}
	if host, port, err := net.SplitHostPort(opt.Addresses[0]); err == nil {
		if _, notIP := netip.ParseAddr(host); notIP != nil { // unlike net.ParseIP, takes an IPv6 zone
			u.host, u.port = host, port
		}
	}
	return u
}

// lookupHost resolves host with the system's resolver, within the deadline.
func lookupHost(host string, deadline time.Time) ([]string, error) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	return net.DefaultResolver.LookupHost(ctx, host)
}

func (u *UDP) Framing() Framing { return FramingNone }

// Connected is "": UDP makes no connection.
func (u *UDP) Connected() string { return "" }

// Confirm has nothing to wait for: nothing acknowledges a datagram.
func (u *UDP) Confirm(time.Time) error { return nil }

// Send writes one datagram per message. UDP has no acknowledgement: a SIEM that is down is noticed
// only by the ICMP error its host sends back, which fails the send where it is noticed (so that
// chunk is retried); datagrams sent before the error came back are lost.
func (u *UDP) Send(b *Batch) error {
	if u.conn == nil || u.named() && u.now().Sub(u.checkedAt) >= udpRecheck {
		if err := u.follow(b.Deadline); err != nil {
			return &Error{Op: "connect", Addr: u.opt.Addresses[0], Net: "udp", Err: blame(err, b.Deadline)}
		}
	}
	if err := u.send(b); err != nil {
		u.checkedAt = time.Time{} // the name is looked up again at the next Send: the SIEM may have moved
		return &Error{Op: "write", Addr: u.opt.Addresses[0], Net: "udp", Err: err}
	}
	return nil
}

// follow makes the socket, to the first address of the SIEM's name, looked up again. A socket open
// to an address the name still has is kept, and so is an open socket when the look-up fails.
func (u *UDP) follow(deadline time.Time) error {
	addr := u.opt.Addresses[0]
	if u.named() {
		u.checkedAt = u.now()
		ips, err := u.lookup(u.host, until(u.opt.ConnectTimeout, deadline))
		if err == nil && len(ips) == 0 {
			err = fmt.Errorf("%s has no address", u.host)
		}
		switch {
		case err != nil && u.conn != nil:
			return nil
		case err != nil:
			return err
		case u.conn != nil && u.sendsToOneOf(ips):
			return nil
		}
		addr = net.JoinHostPort(ips[0], u.port)
	}
	u.Close()
	d := net.Dialer{Timeout: u.opt.ConnectTimeout, Deadline: deadline}
	conn, err := d.Dial("udp", addr)
	if err != nil {
		return err
	}
	u.conn = conn.(*net.UDPConn)
	if u.conn.RemoteAddr().(*net.UDPAddr).IP.To4() != nil {
		u.writer = ipv4.NewPacketConn(u.conn)
	} else {
		u.writer = ipv6.NewPacketConn(u.conn)
	}
	return nil
}

// named reports whether the SIEM's address is a host name rather than an IP address.
func (u *UDP) named() bool { return u.host != "" }

// sendsToOneOf reports whether the socket sends to one of the addresses ips.
func (u *UDP) sendsToOneOf(ips []string) bool {
	current := u.conn.RemoteAddr().(*net.UDPAddr).IP
	return slices.ContainsFunc(ips, func(ip string) bool { return current.Equal(net.ParseIP(ip)) })
}

// send writes the batch's datagrams on the socket.
func (u *UDP) send(b *Batch) error {
	if err := u.conn.SetWriteDeadline(until(u.opt.WriteTimeout, b.Deadline)); err != nil {
		return err
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
			// The socket stays open unless the SIEM's name moved: a refused port keeps being
			// reported on it, where a new socket reports nothing until its own first ICMP error.
			return blame(err, b.Deadline)
		}
		done += n
	}
	// An ICMP error for a datagram of this batch is pending on the socket rather than returned:
	// collect it now, so the flush that lost the datagrams is the one retried.
	return u.pendingError()
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
