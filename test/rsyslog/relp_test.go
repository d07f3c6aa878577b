package rsyslog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// relay that queues each message on disk and forwards it as it came (%rawmsg%) over TCP,
// octet-counted, retrying for ever, to a SIEM that speaks only TCP (here rsyslog's own imtcp
// listener). The SIEM gets the plugin's lines byte for byte.
func TestRELPRelayInFrontOfATCPSIEM(t *testing.T) {
	r := startRsyslog(t, maxSize)
	chunk, n := fixtureChunk(t)
	send(t, r.Relay.Addr, "Protocol=relp", chunk)
	lines, _ := checkEvents(t, r.TCP, n, 0)
	checkGolden(t, r.TCP, lines)
}

// The recipe's relay acknowledges what it has written to disk: killed while its SIEM is down, right
// after the flush the plugin reported delivered, it still holds every event, for its restart to
// forward. (With the disk-assisted queue the recipe had, imrelp acknowledged what was in memory, and
// a killed relay lost all of it.)
func TestRELPRelayKeepsWhatItAcknowledgedThroughACrash(t *testing.T) {
	r := startRsyslog(t, maxSize)
	chunk, n := fixtureChunk(t)
	send(t, r.DeadRelay.Addr, "Protocol=relp", chunk)
	r.crash()
	files, err := filepath.Glob(filepath.Join(r.Dir, r.DeadRelay.Name+".0*"))
	require.NoError(t, err)
	var queued strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		queued.Write(b)
	}
	// rsyslog's queue files hold each message's properties, the raw message among them
	assert.Equal(t, n, strings.Count(queued.String(), "+pszRawMsg:"), "the relay's queue files %v", files)
	assert.Equal(t, n, strings.Count(queued.String(), " CEF:0|Kaspersky|"))
}
