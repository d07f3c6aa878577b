package config

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// swap replaces dst by src the way a Kubernetes Secret volume is updated: a rename, atomic.
func swap(t *testing.T, src, dst string) {
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	tmp := dst + ".tmp"
	require.NoError(t, os.WriteFile(tmp, b, 0o600))
	require.NoError(t, os.Rename(tmp, dst))
}

// tlsServer serves TLS connections on a loopback port with handle, and returns its address.
func tlsServer(t *testing.T, cfg *tls.Config, handle func(*tls.Conn)) string {
	ln := tls.NewListener(loopback.Listen(t), cfg)
	loopback.Serve(ln, func(c net.Conn) { defer c.Close(); handle(c.(*tls.Conn)) })
	return ln.Addr().String()
}

// rotationServer reads whatever a client sends.
func rotationServer(t *testing.T, cfg *tls.Config) string {
	return tlsServer(t, cfg, func(c *tls.Conn) { io.Copy(io.Discard, c) })
}

func load(t *testing.T, props map[string]string) *Config {
	c, err := Load(GetterFunc(func(k string) string { return props[k] }), "rot")
	require.NoError(t, err)
	return c
}

// cert-manager renews the client certificate in place before the old one expires; the next
// connection (after a SIEM restart, an idle time-out) presents the renewed one.
func TestClientCertificateRotatedOnDiskIsUsedByTheNextConnection(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "ca")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"siem.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	old, err := ca.Issue("old", []string{"client"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Minute), true) // expired since
	require.NoError(t, err)
	renewed, err := ca.Issue("new", []string{"client"}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), true)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	swap(t, old.CertFile, certFile)
	swap(t, old.KeyFile, keyFile)
	addr := rotationServer(t, &tls.Config{Certificates: []tls.Certificate{server.TLS},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()})

	c := load(t, map[string]string{"Address": addr, "Protocol": "tls", "TLS_Server_Name": "siem.test",
		"TLS_CA_File": ca.CertPEM, "TLS_Cert_File": certFile, "TLS_Key_File": keyFile})
	swap(t, renewed.CertFile, certFile) // the Secret is updated: certificate and key together
	swap(t, renewed.KeyFile, keyFile)

	p := deliver.TestConnections(&c.Settings, 5*time.Second)[0]
	require.NoError(t, p.Err, "the files on disk hold a valid certificate, but the plugin presents the one it read at start")
}

// A server like rsyslog's imtcp with the gtls driver (authMode x509/certvalid or x509/name): it
// completes the handshake, then checks the client's certificate and closes without an alert.
func closingServer(t *testing.T, cfg *tls.Config) string {
	cfg.ClientAuth = tls.RequireAnyClientCert
	return tlsServer(t, cfg, func(c *tls.Conn) {
		if c.Handshake() != nil {
			return
		}
		if certs := c.ConnectionState().PeerCertificates; len(certs) > 0 && time.Now().Before(certs[0].NotAfter) {
			io.Copy(io.Discard, c)
		}
	})
}

// The plugin's own client certificate has expired (or is not yet valid): a server that refuses it
// closes without an alert, and "EOF" alone would hide the cause; the failure names the certificate.
func TestExpiredClientCertificateIsNamedAsTheCause(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "ca")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"siem.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	client, err := ca.Issue("client", []string{"client"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour), true)
	require.NoError(t, err)
	addr := closingServer(t, &tls.Config{Certificates: []tls.Certificate{server.TLS}})

	c, err := Load(GetterFunc(func(k string) string {
		return map[string]string{"Address": addr, "Protocol": "tls", "TLS_Server_Name": "siem.test",
			"TLS_CA_File": ca.CertPEM, "TLS_Cert_File": client.CertFile, "TLS_Key_File": client.KeyFile}[k]
	}), "x")
	if err != nil { // refused at start: fine if it says why
		assert.Contains(t, err.Error(), "expired")
		return
	}
	p := deliver.TestConnections(&c.Settings, 5*time.Second)[0]
	require.Error(t, p.Err)
	t.Logf("startup check line: %s", p)
	assert.Contains(t, p.Err.Error(), "expired", "nothing says that the plugin's own certificate has expired")
}

// Protocol tls pointed at a plain-text syslog port (514, rsyslog imtcp without a stream driver,
// `siem-cef listen --tcp`): the receiver reads the ClientHello as a message and waits for more.
// Every connection ends after Connect_Timeout: the error names the handshake and the likely cause.
func TestPlainPortNamesTheHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(io.Discard, c) }()
		}
	}()
	c, err := Load(GetterFunc(func(k string) string {
		return map[string]string{"Address": ln.Addr().String(), "Protocol": "tls", "TLS_Verify": "off"}[k]
	}), "x")
	require.NoError(t, err)
	p := deliver.TestConnections(&c.Settings, 500*time.Millisecond)[0]
	require.Error(t, p.Err)
	t.Logf("startup check line: %s", p)
	assert.Contains(t, p.Err.Error(), "handshake", "the TCP connection was made: it is the TLS handshake that got no answer")
}

// A passphrase-protected key (openssl genrsa -aes256, or openssl pkey -aes256: "ENCRYPTED PRIVATE
// KEY") cannot be used: the plugin has no passphrase property. The refusal names TLS_Key_File and
// says the key is encrypted.
func TestEncryptedKeyIsRefusedAsSuch(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "ca")
	require.NoError(t, err)
	client, err := ca.Issue("client", []string{"client"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), true)
	require.NoError(t, err)
	raw, err := os.ReadFile(client.KeyFile)
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	//lint:ignore SA1019 the legacy format operators still have
	enc, err := x509.EncryptPEMBlock(rand.Reader, block.Type, block.Bytes, []byte("secret"), x509.PEMCipherAES256) //nolint:staticcheck
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "enc.key")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(enc), 0o600))

	_, err = Load(GetterFunc(func(k string) string {
		return map[string]string{"Address": "siem.test", "Protocol": "tls", "TLS_CA_File": ca.CertPEM,
			"TLS_Cert_File": client.CertFile, "TLS_Key_File": keyFile}[k]
	}), "x")
	require.Error(t, err)
	t.Log(err)
	assert.Contains(t, err.Error(), "TLS_Key_File")
	assert.Contains(t, err.Error(), "encrypted")
}
