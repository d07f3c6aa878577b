package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/deliver"
)

func parseProtocol(v string) (deliver.Protocol, error) {
	switch p := deliver.Protocol(strings.ToLower(v)); p {
	case deliver.ProtocolTCP, deliver.ProtocolUDP, deliver.ProtocolTLS, deliver.ProtocolRELP, deliver.ProtocolRELPTLS:
		return p, nil
	}
	return "", &PropertyError{"Protocol", v, "tcp, udp, tls, relp or relp+tls"}
}

// framingNames are the values of Framing, indexed by the framing (RFC 6587's names).
var framingNames = [...]string{deliver.FramingNewline: "newline", deliver.FramingOctet: "octet-counting"}

func parseFraming(v string) (deliver.Framing, error) {
	return parseName[deliver.Framing]("Framing", v, framingNames[:], "newline or octet-counting (RFC 6587)")
}

// The message sizes.
const (
	maxUDPSize     = 65507   // the largest UDP payload over IPv4
	maxStreamSize  = 1 << 20 // a bound for streams, far above what any SIEM takes
	minMessageSize = 480     // RFC 5426: every receiver takes 480 bytes
)

// syslogFormatNames are the values of Syslog_Format, indexed by the format.
var syslogFormatNames = [...]string{cef.RFC3164: "rfc3164", cef.RFC5424: "rfc5424", cef.NoSyslog: "none"}

func parseSyslogFormat(v string) (cef.SyslogFormat, error) {
	return parseName[cef.SyslogFormat]("Syslog_Format", v, syslogFormatNames[:], "rfc3164, rfc5424 or none (the CEF message alone)")
}

// parseName is the value of an enumerated property: the index of the name v is in names, case
// ignored. An empty name (a value no property takes, like FramingNone) matches nothing.
func parseName[T ~uint8](property, v string, names []string, hint string) (T, error) {
	for i, name := range names {
		if name != "" && strings.EqualFold(v, name) {
			return T(i), nil
		}
	}
	return 0, &PropertyError{property, v, hint}
}

func parseOnOff(property, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, &PropertyError{property, v, "on or off"}
}

func parseIntRange(property, v string, lo, hi int, what string) (int, error) {
	n, err := strconv.Atoi(v)
	if !isDigits(v) || err != nil || n < lo || n > hi {
		return 0, &PropertyError{property, v, fmt.Sprintf("%s from %d to %d", what, lo, hi)}
	}
	return n, nil
}

// tlsProperties are the TLS properties, read together once the protocol is known.
var tlsProperties = []string{"TLS_CA_File", "TLS_Cert_File", "TLS_Key_File", "TLS_Server_Name", "TLS_Verify"}

// finish applies what depends on more than one property: default ports and framing, the TLS
// configuration, and properties that the protocol does not use.
func (c *Config) finish(g Getter) []error {
	var errs []error
	for i := range c.Addresses {
		if c.Addresses[i].Port == 0 {
			c.Addresses[i].Port = c.Protocol.DefaultPort()
		}
	}
	if c.Framing == deliver.FramingNone {
		c.Framing = deliver.FramingNewline
		if c.Protocol == deliver.ProtocolTLS {
			c.Framing = deliver.FramingOctet // RFC 5425
		}
	}
	set := func(name string) bool { return g.Get(name) != "" }
	notFor := func(name, use string) {
		if set(name) {
			errs = append(errs, &PropertyError{name, g.Get(name), fmt.Sprintf("it only with %s (Protocol is %s)", use, c.Protocol)})
		}
	}
	if c.Protocol != deliver.ProtocolTCP && c.Protocol != deliver.ProtocolTLS {
		notFor("Framing", "Protocol tcp or tls")
	}
	if c.Protocol == deliver.ProtocolUDP && c.MaxMessageSize > maxUDPSize {
		errs = append(errs, &PropertyError{"Max_Message_Size", g.Get("Max_Message_Size"),
			fmt.Sprintf("at most %d bytes with Protocol udp, the largest datagram", maxUDPSize)})
	}
	if c.Protocol == deliver.ProtocolUDP && len(c.Addresses) > 1 {
		errs = append(errs, &PropertyError{"Address", g.Get("Address"),
			"one address with Protocol udp: failover needs a protocol that can tell a SIEM is down (tcp, tls, relp)"})
	}
	if len(c.Addresses) < 2 && set("Failover_Hold_Down") {
		errs = append(errs, &PropertyError{"Failover_Hold_Down", g.Get("Failover_Hold_Down"),
			"it only with more than one address in Address (a failover order; tcp, tls, relp): with one there is nothing to fail over to, so remove it"})
	}
	if !c.Protocol.UsesRELP() {
		notFor("RELP_Window", "Protocol relp or relp+tls")
	}
	if !c.Protocol.UsesTLS() {
		for _, name := range tlsProperties {
			notFor(name, "Protocol tls or relp+tls")
		}
		return errs
	}
	cfg, err := loadTLS(g)
	if err != nil {
		return append(errs, err)
	}
	c.TLS = cfg
	return errs
}

// loadTLS reads the TLS properties: TLS 1.2 or newer, the server verified unless TLS_Verify off,
// against TLS_CA_File or the system's roots, with a client certificate for mutual TLS.
func loadTLS(g Getter) (*deliver.TLSSettings, error) {
	t := &deliver.TLSSettings{Verify: true, ServerName: g.Get("TLS_Server_Name"), CAFile: g.Get("TLS_CA_File"),
		CertFile: g.Get("TLS_Cert_File"), KeyFile: g.Get("TLS_Key_File")}
	if !hostWord(t.ServerName) {
		return nil, &PropertyError{"TLS_Server_Name", t.ServerName, fmt.Sprintf("the host name the SIEM's certificate names, "+
			"at most %d printable ASCII characters without spaces", maxHostname)}
	}
	if v := g.Get("TLS_Verify"); v != "" {
		var err error
		if t.Verify, err = parseOnOff("TLS_Verify", v); err != nil {
			return nil, err
		}
	}
	// Without TLS_Server_Name each address is checked against its own host name.
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: !t.Verify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, &PropertyError{"TLS_CA_File", t.CAFile, "a readable PEM file of CA certificates (" + err.Error() + ")"}
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, &PropertyError{"TLS_CA_File", t.CAFile, "a PEM file with at least one CA certificate (none found in it)"}
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			if key, _ := os.ReadFile(t.KeyFile); bytes.Contains(key, []byte("ENCRYPTED")) {
				return nil, &PropertyError{"TLS_Key_File", t.KeyFile, "a key without a passphrase: this one is encrypted " +
					"(decrypt it with openssl pkey -in KEY -out PLAIN)"}
			}
			return nil, &PropertyError{"TLS_Cert_File", t.CertFile, "a PEM certificate whose key is TLS_Key_File (" + err.Error() + ")"}
		}
		cfg.Certificates = []tls.Certificate{pair}
		// cert-manager renews the files in place: each connection presents what they hold then, or
		// the pair read at start when they cannot be read (half swapped).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if p, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err == nil {
				return &p, nil
			}
			return &pair, nil
		}
	case t.CertFile != "":
		return nil, &PropertyError{"TLS_Key_File", "", "TLS_Key_File too: a client certificate needs its key"}
	case t.KeyFile != "":
		return nil, &PropertyError{"TLS_Cert_File", "", "TLS_Cert_File too: a client key needs its certificate"}
	}
	t.Config = cfg
	return t, nil
}

func parseHoldDown(v string) (time.Duration, error) {
	return parseDuration("Failover_Hold_Down", v, time.Second, time.Hour, false, "a Go duration (30s, 5m) or whole seconds, from 1s to 1h")
}
