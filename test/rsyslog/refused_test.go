package rsyslog

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestClientCertificateRefusedIsNotSuccess: a SIEM that wants a client certificate, and a plugin
// without one. rsyslog's imtcp (gtls driver, authMode x509/name) completes the TLS 1.2 handshake,
// then closes the session ("peer did not provide a certificate, not permitted to talk to it");
// imrelp (gnutls, tls.authMode name) completes the TLS 1.3 handshake and then closes. Whatever the
// plugin wrote is lost, so neither the Test connection nor the flush may report success.
func TestClientCertificateRefusedIsNotSuccess(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		to       func(r *rsyslogd) *listener
		log      string
	}{
		{"tls", func(r *rsyslogd) *listener { return r.MutualTLS }, "peer did not provide a certificate, not permitted to talk to it"},
		{"relp+tls", func(r *rsyslogd) *listener { return r.MutualRELPTLS }, "authentication error 'peer did not provide a certificate'"},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			r := startRsyslog(t, maxSize)
			chunk, _ := fixtureChunk(t)
			l := tc.to(r)
			props := fmt.Sprintf("Protocol=%s Connect_Timeout=1s Write_Timeout=2s TLS_CA_File=%s", tc.protocol, r.CA.CertPEM)
			t.Run("startup check", func(t *testing.T) {
				results, log := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Startup_Check=fail %s\n", l.Addr, props))
				assert.Equal(t, "init a rc=0", results[1], "the Test connection must fail: the SIEM refuses this client\n%s", log)
				assert.Contains(t, log, "[error] [siem_cef:siem_cef.0] startup check: "+tc.protocol+" "+l.Addr+": unreachable")
			})
			t.Run("flush", func(t *testing.T) {
				results, log := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Startup_Check=off %s\nflush a %s\nexit a\n", l.Addr, props, chunk))
				assert.Equal(t, "flush a rc=2", results[2], "nothing arrived, so the flush must be retried\n%s", log)
				assert.Contains(t, log, "[error] [siem_cef:siem_cef.0] delivery failed, returning FLB_RETRY (Fluent Bit retries the chunk unless its Retry_Limit is used up): connect "+l.Addr+" ("+tc.protocol+")")
			})
			assert.Empty(t, readLines(t, l.Raw))
			assert.Contains(t, r.internalLog(), tc.log)
		})
	}
}

// TestRELPTestConnectionIsARELPSession: the Test connection to a RELP server opens a RELP session
// and closes it with the close command, as rsyslog's omrelp does. A bare TCP connect and close makes
// imrelp log an error at every start of Fluent Bit ("server closed relp session, session broken"),
// and proves neither that the server speaks RELP nor that it accepts the client.
func TestRELPTestConnectionIsARELPSession(t *testing.T) {
	r := startRsyslog(t, maxSize)
	results, log := runHost(t, fmt.Sprintf("register\ninstance a Address=%s Protocol=relp Startup_Check=fail\nexit a\n", r.RELP.Addr))
	assert.Equal(t, "init a rc=1", results[1], log)
	waitLines(t, r.RELP.Raw, 0) // a moment for rsyslog to log what it thinks of the session
	assert.NotContains(t, r.internalLog(), "session broken")
}
