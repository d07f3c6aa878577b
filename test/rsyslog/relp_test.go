package rsyslog

import (
	"testing"
)

// TestEveryEventReachesRsyslogOverRELP sends the 30 fixture events over RELP to rsyslog's imrelp,
// plain and over TLS, and checks rsyslog's output as for the other transports.
//
// imrelp's TLS: with librelp's default library (gnutls) the client must present a certificate
// (tls.authMode name or certvalid; without tls.authMode every client is refused); with
// tls.tlslib "openssl" and no tls.authMode the client needs none.
func TestEveryEventReachesRsyslogOverRELP(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lib   string
		props func(r *rsyslogd) string
		to    func(r *rsyslogd) *listener
	}{
		{"relp", "", func(*rsyslogd) string { return "Protocol=relp" }, func(r *rsyslogd) *listener { return r.RELP }},
		{"relp small window", "", func(*rsyslogd) string { return "Protocol=relp RELP_Window=2" }, func(r *rsyslogd) *listener { return r.RELP }},
		{"relp+tls openssl", "openssl", func(r *rsyslogd) string { return "Protocol=relp+tls TLS_CA_File=" + r.CA.CertPEM },
			func(r *rsyslogd) *listener { return r.RELPTLS }},
		{"relp+tls mutual gnutls", "", mutualProps, func(r *rsyslogd) *listener { return r.MutualRELPTLS }},
		{"relp+tls mutual openssl", "openssl", mutualProps, func(r *rsyslogd) *listener { return r.MutualRELPTLS }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRsyslog(t, rsyslogOptions{MaxMessageSize: maxSize.MaxMessageSize, RELPTLSLib: tc.lib})
			chunk, n := fixtureChunk(t)
			l := tc.to(r)
			send(t, l.Addr, tc.props(r), chunk)
			lines, _ := checkEvents(t, l, n, 0)
			checkGolden(t, l, lines)
		})
	}
}

func mutualProps(r *rsyslogd) string {
	return "Protocol=relp+tls TLS_CA_File=" + r.CA.CertPEM + " TLS_Cert_File=" + r.Client.CertFile + " TLS_Key_File=" + r.Client.KeyFile
}

// TestRELPRelayInFrontOfATCPSIEM is the README's recipe: the plugin sends over RELP to an rsyslog
// relay that forwards each message as it came (%rawmsg%) over TCP, octet-counted, with a
// disk-assisted queue that retries for ever, to a SIEM that speaks only TCP (here rsyslog's own imtcp
// listener). The SIEM gets the plugin's lines byte for byte.
func TestRELPRelayInFrontOfATCPSIEM(t *testing.T) {
	r := startRsyslog(t, maxSize)
	chunk, n := fixtureChunk(t)
	send(t, r.Relay.Addr, "Protocol=relp", chunk)
	lines, _ := checkEvents(t, r.TCP, n, 0)
	checkGolden(t, r.TCP, lines)
}
