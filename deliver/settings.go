package deliver

import (
	"crypto/tls"
	"net"
	"strconv"
	"time"
)

// Settings are the delivery part of an integration's configuration: where its messages go and how.
// config reads them from the properties; New, FlushBudget and TestConnections take them whole.
type Settings struct {
	// Addresses are the SIEM's addresses in failover order; the first is the primary.
	Addresses      []HostPort
	Protocol       Protocol
	ConnectTimeout time.Duration
	WriteTimeout   time.Duration
	// Framing of tcp and tls streams; the others frame their own way.
	Framing Framing
	// TLS is set for the protocols that run over TLS.
	TLS *TLSSettings
	// FailoverHoldDown is how long a failed address is passed over before it is tried again.
	FailoverHoldDown time.Duration
	// RELPWindow is how many RELP messages may await their acknowledgement.
	RELPWindow int
}

// HostPort is one SIEM address.
type HostPort struct {
	Host string // IP literal (no brackets) or FQDN
	Port int
}

// String is host:port, an IPv6 host in brackets.
func (h HostPort) String() string { return net.JoinHostPort(h.Host, strconv.Itoa(h.Port)) }

// Protocol is the transport to the SIEM; its values are the Protocol property's.
type Protocol string

// The transports a SIEM integration offers: the product's two (docs/events.md), TLS, and RELP for acknowledged delivery.
const (
	ProtocolTCP     Protocol = "tcp"
	ProtocolUDP     Protocol = "udp"
	ProtocolTLS     Protocol = "tls"
	ProtocolRELP    Protocol = "relp"
	ProtocolRELPTLS Protocol = "relp+tls"
)

// Stream tells the protocols that keep a connection.
func (p Protocol) Stream() bool { return p != ProtocolUDP }

// UsesTLS tells the protocols that run over TLS.
func (p Protocol) UsesTLS() bool { return p == ProtocolTLS || p == ProtocolRELPTLS }

// DeliversOnConfirm tells the protocols whose Send only hands the messages to this host's kernel:
// they are delivered once Transport.Confirm returns nil (tcp, tls). The others' Send delivers them.
func (p Protocol) DeliversOnConfirm() bool { return p == ProtocolTCP || p == ProtocolTLS }

// UsesRELP tells the protocols that speak RELP.
func (p Protocol) UsesRELP() bool { return p == ProtocolRELP || p == ProtocolRELPTLS }

// DefaultPort is the usual port of each protocol: syslog (RFC 5426), syslog over TLS (RFC 5425),
// and the port rsyslog's documentation gives RELP.
func (p Protocol) DefaultPort() int {
	switch p {
	case ProtocolTLS:
		return 6514
	case ProtocolRELP, ProtocolRELPTLS:
		return 2514
	}
	return 514
}

// TLSSettings are the TLS properties as given, and the configuration built from them.
type TLSSettings struct {
	CAFile, CertFile, KeyFile, ServerName string
	Verify                                bool
	Config                                *tls.Config
}

// Endpoints are every address, in failover order.
func (s *Settings) Endpoints() []string {
	out := make([]string, len(s.Addresses))
	for i, a := range s.Addresses {
		out[i] = a.String()
	}
	return out
}

// options are the settings every transport takes.
func (s *Settings) options() Options {
	opt := Options{
		Addresses:      s.Endpoints(),
		ConnectTimeout: s.ConnectTimeout,
		WriteTimeout:   s.WriteTimeout,
		HoldDown:       s.FailoverHoldDown,
		Framing:        s.Framing,
	}
	if s.TLS != nil {
		opt.TLS = s.TLS.Config
	}
	return opt
}

// New makes the transport of an integration.
func New(s *Settings) Transport {
	opt := s.options()
	switch {
	case s.Protocol == ProtocolUDP:
		return NewUDP(opt)
	case s.Protocol.UsesRELP():
		return NewRELP(opt, s.RELPWindow)
	}
	return NewStream(opt)
}

// OnConnectFailure has t tell f of each address of the SIEM it could not connect to, as it happens
// (f runs in the Send that dialled). A dial the flush deadline cut short is not told: it says
// nothing about the address. UDP makes no connection, so it has nothing to tell.
func OnConnectFailure(t Transport, f func(address string)) {
	switch t := t.(type) {
	case *Stream:
		t.ends.connectFailed = f
	case *RELP:
		t.ends.connectFailed = f
	}
}

// FlushBudget is how long a flush that has written written bytes may take (README, Bounded time):
// Connect_Timeout for each address, two Write_Timeouts (for the writes and either a rewrite on a new
// connection or the last acknowledgements), and one more for each MiB written begun, so that a SIEM
// that takes at least 1 MiB per Write_Timeout is never cut short by the size of a flush. It counts
// the bytes on the wire, not the chunk's: small records make lines 3 to 6 times their msgpack size.
// A flush sets Batch.Deadline to its start plus the budget of what it will have written with the
// batch. What it writes, about one message of at most Max_Message_Size an event, bounds it.
func FlushBudget(s *Settings, written int) time.Duration {
	mib := time.Duration((written + 1<<20 - 1) >> 20)
	return time.Duration(len(s.Addresses))*s.ConnectTimeout + (2+mib)*s.WriteTimeout
}
