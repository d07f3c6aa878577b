package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"syscall"
	"time"
)

// endpoints dials a SIEM's addresses in failover order. An address that fails is passed over for
// the hold-down, then tried again first; names are resolved again on every dial.
type endpoints struct {
	addrs    []string
	tls      []*tls.Config // per address, nil for plain TCP
	timeout  time.Duration
	holdDown time.Duration
	retryAt  []time.Time // zero: may be dialled now
	current  int         // the address of the last successful dial
	now      func() time.Time
	// connectFailed, when set, is told of each address a dial failed for (OnConnectFailure).
	connectFailed func(address string)
}

func newEndpoints(opt Options) *endpoints {
	e := &endpoints{addrs: opt.Addresses, timeout: opt.ConnectTimeout, holdDown: opt.HoldDown,
		retryAt: make([]time.Time, len(opt.Addresses)), tls: make([]*tls.Config, len(opt.Addresses)), now: time.Now}
	for i, addr := range opt.Addresses {
		if opt.TLS == nil {
			continue
		}
		cfg := opt.TLS.Clone()
		if cfg.ServerName == "" { // each address is checked against its own host name
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		e.tls[i] = cfg
	}
	return e
}

// network names the transport in messages.
func (e *endpoints) network() string {
	if e.tls[0] != nil {
		return "tls"
	}
	return "tcp"
}

// betterDue reports whether an address before the current one has served its hold-down: the
// connection should go back to it.
func (e *endpoints) betterDue() bool {
	now := e.now()
	for i := 0; i < e.current; i++ {
		if !now.Before(e.retryAt[i]) {
			return true
		}
	}
	return false
}

// dial connects to the first address that answers: those not held down first, in order, then the
// held-down ones, so that a SIEM that came back early is found. Each address is tried once, until
// the flush deadline (zero: none), but those tried holds true, which it sets for each one it dials:
// a caller that dials again within a flush passes each address once.
func (e *endpoints) dial(deadline time.Time, tried []bool) (net.Conn, error) {
	now := e.now()
	order := make([]int, 0, len(e.addrs))
	for i := range e.addrs {
		if tried == nil || !tried[i] {
			order = append(order, i)
		}
	}
	// By when each may be dialled: those not held down now, in order, then the held-down ones by the
	// end of their hold-down, so that one that failed again a moment ago (a port that accepts and
	// serves nothing, which a dial takes for an answer) goes after those that failed earlier.
	due := func(i int) time.Time {
		if e.retryAt[i].After(now) {
			return e.retryAt[i]
		}
		return now
	}
	slices.SortStableFunc(order, func(a, b int) int { return due(a).Compare(due(b)) })
	var errs []error
	for _, i := range order {
		if expired(deadline) {
			break
		}
		if tried != nil {
			tried[i] = true
		}
		conn, err := e.dialOne(i, deadline)
		if err == nil {
			e.current, e.retryAt[i] = i, time.Time{}
			return conn, nil
		}
		e.hold(i, deadline)
		if len(e.addrs) > 1 {
			err = fmt.Errorf("%s: %w", e.addrs[i], err)
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, ErrFlushDeadline // up before any address was tried
	}
	return nil, errors.Join(errs...)
}

// failed holds down the address of the last dial, whose connection broke before it served a flush
// (its port answers, but a proxy before a SIEM that is down, or an imrelp that opens no session,
// serves nothing): the next dial tries the others first.
func (e *endpoints) failed(deadline time.Time) { e.hold(e.current, deadline) }

// hold passes address i over for the hold-down and counts its failure, unless the flush deadline
// cut it short, which says nothing about the address.
func (e *endpoints) hold(i int, deadline time.Time) {
	if expired(deadline) {
		return
	}
	e.retryAt[i] = e.now().Add(e.holdDown)
	if e.connectFailed != nil {
		e.connectFailed(e.addrs[i])
	}
}

func (e *endpoints) dialOne(i int, deadline time.Time) (net.Conn, error) {
	d := &net.Dialer{Timeout: e.timeout, Deadline: deadline}
	if e.tls[i] == nil {
		return d.Dial("tcp", e.addrs[i])
	}
	d.Control = limitUnsent
	// A server that asks for a client certificate may refuse it only after the handshake (TLS 1.3, and
	// rsyslog's gtls driver with TLS 1.2 too): note whether it asked, to wait for its verdict.
	cfg := e.tls[i].Clone()
	certs, get, asked := cfg.Certificates, cfg.GetClientCertificate, false
	var sent *tls.Certificate
	cfg.Certificates = nil
	cfg.GetClientCertificate = func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked, sent = true, &tls.Certificate{} // none: the server decides whether to go on
		if get != nil {
			if c, err := get(info); err == nil && c != nil {
				sent = c
			}
		} else if len(certs) > 0 {
			sent = &certs[0]
		}
		return sent, nil
	}
	ctx, cancel := context.WithDeadline(context.Background(), until(e.timeout, deadline))
	defer cancel()
	conn, err := (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", e.addrs[i])
	if handshakeTimedOut(err) {
		err = fmt.Errorf("no TLS handshake within %s (is this port plain-text syslog?): %w", e.timeout, err)
	}
	if err != nil && asked {
		return nil, fmt.Errorf("%w%s", err, ownCertificate(sent))
	}
	if err != nil || !asked {
		return conn, err
	}
	if err := awaitVerdict(conn.(*tls.Conn), until(min(e.timeout, verdictWait), deadline)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the server refused this client after the TLS handshake: %w%s", err, ownCertificate(sent))
	}
	return conn, nil
}

// handshakeTimedOut tells a TLS handshake that the deadline ended from a TCP connection that could
// not be made in time (a *net.OpError, whose time-out is also a context.DeadlineExceeded).
func handshakeTimedOut(err error) bool {
	var op *net.OpError
	return errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &op)
}

// ownCertificate says what a server that asked for a client certificate was given, when that
// explains a refusal: none, or one outside its validity.
func ownCertificate(c *tls.Certificate) string {
	if c == nil || len(c.Certificate) == 0 {
		return " (the server asked for a client certificate: none is configured, see TLS_Cert_File)"
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	now := time.Now()
	switch {
	case err != nil:
		return ""
	case now.After(leaf.NotAfter):
		return fmt.Sprintf(" (this client's certificate TLS_Cert_File expired at %s)", leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return fmt.Sprintf(" (this client's certificate TLS_Cert_File is not valid before %s)", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return ""
}

// verdictWait is how long a connection waits, after a handshake in which the server asked for a
// client certificate, for the server to refuse it.
const verdictWait = 300 * time.Millisecond

// awaitVerdict reads until the server refuses the client (an alert, or the connection closed) or
// the wait ends quietly at end, which is the answer of a server that accepted it: a SIEM sends
// nothing first.
func awaitVerdict(conn *tls.Conn, end time.Time) error {
	if err := conn.SetReadDeadline(end); err != nil {
		return err
	}
	var one [1]byte
	_, err := conn.Read(one[:])
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return conn.SetReadDeadline(time.Time{})
	}
	if err == nil {
		return errors.New("the server sent data before the client did")
	}
	return err
}

// tcpNotsentLowat is Linux's TCP_NOTSENT_LOWAT (linux/tcp.h).
const tcpNotsentLowat = 0x19

// limitUnsent caps the bytes of a TLS socket's send queue not yet sent at a write piece, before it
// connects. A write then waits for the SIEM to open its window, not for a third of a send buffer
// that Linux grows to 4 MiB to drain, so that Write_Timeout measures how long the SIEM takes
// nothing (writeTCP asks the kernel instead: a TLS write cannot go on after a time-out).
func limitUnsent(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotsentLowat, writePiece)
	})
	return errors.Join(err, serr)
}
