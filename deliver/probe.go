package deliver

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/kcs-siem/siem-cef/internal/logtext"
)

// Probe is the result of a test connection to one address, the product's "Test connection".
type Probe struct {
	Network  string
	Address  string
	Testable bool          // false for UDP: nothing answers a datagram
	Took     time.Duration // time to connect (and for TLS to shake hands), or to fail
	Err      error         // nil when the SIEM accepted the connection
	// The TLS server's certificate, when there is one.
	PeerSubject string
	PeerExpiry  time.Time
}

// String is the one line a person reads, in the log or on the terminal.
func (p Probe) String() string {
	switch {
	case !p.Testable:
		return fmt.Sprintf("%s %s: not testable (nothing answers a datagram); events will be sent without confirmation", p.Network, p.Address)
	case p.Err != nil:
		return fmt.Sprintf("%s %s: unreachable after %s: %s", p.Network, p.Address, p.Took.Round(time.Microsecond), printable(p.Err.Error()))
	}
	s := fmt.Sprintf("%s %s: reachable, connected in %s", p.Network, p.Address, p.Took.Round(time.Microsecond))
	if p.PeerSubject != "" {
		// The subject is the certificate's author's text.
		s += fmt.Sprintf("; certificate %s, expires %s", logtext.Quote(p.PeerSubject), p.PeerExpiry.UTC().Format(time.RFC3339))
	}
	return s
}

// TestConnections connects to every address of an integration (with the TLS handshake where it
// applies, and for RELP opening and closing a session, as rsyslog's omrelp does) and closes the
// connections again.
func TestConnections(s *Settings, timeout time.Duration) []Probe {
	opt := s.options()
	opt.ConnectTimeout = timeout
	probes := make([]Probe, len(opt.Addresses))
	for i, addr := range opt.Addresses {
		p := Probe{Network: string(s.Protocol), Address: addr, Testable: s.Protocol.Stream()}
		if p.Testable {
			one := opt
			one.Addresses = []string{addr}
			start := time.Now()
			conn, done, err := connectOnce(s.Protocol, one, s.RELPWindow)
			p.Took, p.Err = time.Since(start), err
			if err == nil {
				if tc, ok := conn.(*tls.Conn); ok {
					if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
						p.PeerSubject, p.PeerExpiry = certs[0].Subject.String(), certs[0].NotAfter
					}
				}
				done()
			}
		}
		probes[i] = p
	}
	return probes
}

// connectOnce makes the connection a transport would make, and returns how to close it.
func connectOnce(protocol Protocol, opt Options, window int) (net.Conn, func(), error) {
	if protocol.UsesRELP() {
		r := NewRELP(opt, window)
		if err := r.open(); err != nil {
			return nil, nil, err.(*Error).Err
		}
		return r.conn, r.close, nil
	}
	conn, err := newEndpoints(opt).dialOne(0, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	return conn, func() { conn.Close() }, nil
}
