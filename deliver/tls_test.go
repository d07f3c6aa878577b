package deliver

import (
	"bufio"
	"crypto/tls"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsServer is a TLS SIEM that counts its connections and the lines it reads.
func tlsServer(t *testing.T, cfg *tls.Config) (addr string, conns, lines *atomic.Int64) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	conns, lines = new(atomic.Int64), new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					lines.Add(1)
				}
			}()
		}
	}()
	return ln.Addr().String(), conns, lines
}

func testCA(t *testing.T) (*testpki.CA, *tls.Config) {
	ca, err := testpki.NewCA(t.TempDir(), "test")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"siem.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "siem.test", MinVersion: tls.VersionTLS12}
	return ca, &tls.Config{Certificates: []tls.Certificate{server.TLS}, RootCAs: client.RootCAs, ServerName: client.ServerName}
}

func TestTLSServerThatRefusesTheClientAfterTheHandshakeIsAFailure(t *testing.T) {
	ca, cfg := testCA(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		addr, _, lines := tlsServer(t, &tls.Config{Certificates: cfg.Certificates, ClientAuth: tls.RequireAndVerifyClientCert,
			ClientCAs: ca.Pool(), MaxVersion: version})
		o := opts(addr)
		o.TLS = &tls.Config{RootCAs: cfg.RootCAs, ServerName: "siem.test"} // no client certificate
		err := NewStream(o).Send(batchOf(FramingNewline, "lost?"))
		require.Error(t, err, "TLS version %x", version)
		assert.Contains(t, err.Error(), "connect "+addr+" (tls): ")
		assert.Zero(t, lines.Load())
		_, err = newEndpoints(o).dialOne(0, time.Time{}) // what the Test connection does
		require.Error(t, err, "TLS version %x", version)
		if version == tls.VersionTLS13 { // TLS 1.2 fails in the handshake itself
			assert.Contains(t, err.Error(), "the server refused this client after the TLS handshake: remote error: tls: certificate required")
		}
	}
}
