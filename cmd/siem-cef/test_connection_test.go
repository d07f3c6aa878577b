package main

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openPort is a loopback TCP port that accepts connections until the test ends.
func openPort(t *testing.T) string {
	t.Helper()
	return loopback.Start(t, func(c net.Conn) { c.Close() })
}

// closedPort is a loopback TCP port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// udpLine is what test-connection prints for a UDP SIEM.
func udpLine(name, addr string) string {
	return name + ": " + deliver.Probe{Network: "udp", Address: addr}.String() + "\n"
}

func TestTestConnectionFile(t *testing.T) {
	open, closed := openPort(t), closedPort(t)
	conf := func(outputs ...string) string {
		path := writeFile(t, t.TempDir(), "fluent-bit.conf", strings.Join(outputs, "\n"))
		return path
	}
	out := func(name, address, protocol string) string {
		s := "[OUTPUT]\n    Name siem_cef\n    Integration " + name + "\n    Address " + address + "\n"
		if protocol != "" {
			s += "    Protocol " + protocol + "\n"
		}
		return s
	}

	// Open TCP and UDP: status 0.
	code, stdout, stderr := runCmd(t, "", "test-connection", conf(out("up", open, ""), out("dgram", "127.0.0.1:5514", "udp")))
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)
	lines := strings.SplitAfter(stdout, "\n")
	require.Len(t, lines, 3, stdout)
	assert.True(t, strings.HasPrefix(lines[0], "up: tcp "+open+": reachable, connected in "), lines[0])
	assert.Equal(t, udpLine("dgram", "127.0.0.1:5514"), lines[1])

	// A closed TCP port: status 1, and the others are still tested.
	code, stdout, stderr = runCmd(t, "", "test-connection", "--timeout", "2s", conf(out("up", open, ""), out("down", closed, "tcp")))
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stderr)
	lines = strings.SplitAfter(stdout, "\n")
	require.Len(t, lines, 3, stdout)
	assert.True(t, strings.HasPrefix(lines[0], "up: tcp "+open+": reachable"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "down: tcp "+closed+": unreachable after "), lines[1])
	assert.Contains(t, lines[1], "connection refused")

	// An invalid output is reported as check-config reports it, and fails.
	path := conf(out("up", open, ""), "[OUTPUT]\n    Name siem_cef\n    Address "+open+"\n    Protocol sctp\n")
	code, stdout, _ = runCmd(t, "", "test-connection", path)
	assert.Equal(t, exitFail, code)
	_, want := loadProps(map[string]string{"Address": open, "Protocol": "sctp"}, "siem_cef.1")
	require.Error(t, want)
	assert.Contains(t, stdout, "\nsiem_cef.1: invalid\n    section: "+path+":6\n    "+want.Error()+"\n")

	// No siem_cef output.
	code, _, stderr = runCmd(t, "", "test-connection", conf("[OUTPUT]\n    Name stdout\n"))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "no output with Name siem_cef")
}

func TestTestConnectionAddress(t *testing.T) {
	open, closed := openPort(t), closedPort(t)

	code, stdout, stderr := runCmd(t, "", "test-connection", "--address", open)
	assert.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "siem_cef.0: tcp "+open+": reachable, connected in "), stdout)
	assert.Equal(t, 1, strings.Count(stdout, "\n"))

	code, stdout, _ = runCmd(t, "", "test-connection", "--address", closed, "--protocol", "tcp", "--timeout", "1s")
	assert.Equal(t, exitFail, code)
	assert.True(t, strings.HasPrefix(stdout, "siem_cef.0: tcp "+closed+": unreachable after "), stdout)

	code, stdout, stderr = runCmd(t, "", "test-connection", "--address", closed, "--protocol", "UDP")
	assert.Equal(t, exitOK, code, "UDP is not testable and does not fail")
	assert.Empty(t, stderr)
	assert.Equal(t, udpLine("siem_cef.0", closed), stdout)

	// The default port of an address without one is the plugin's.
	code, stdout, _ = runCmd(t, "", "test-connection", "--address", "127.0.0.1", "--protocol", "udp")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, udpLine("siem_cef.0", "127.0.0.1:514"), stdout)
}

// --tls-ca-file lets --address test a TLS SIEM whose certificate a private CA signed.
func TestTestConnectionAddressWithAPrivateCA(t *testing.T) {
	ca, err := testpki.NewCA(t.TempDir(), "test")
	require.NoError(t, err)
	server, err := ca.Issue("server", []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	pair, err := tls.LoadX509KeyPair(server.CertFile, server.KeyFile)
	require.NoError(t, err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	addr := ln.Addr().String()

	code, stdout, stderr := runCmd(t, "", "test-connection", "--address", addr, "--protocol", "tls", "--tls-ca-file", ca.CertPEM)
	assert.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "siem_cef.0: tls "+addr+": reachable"), stdout)

	code, stdout, _ = runCmd(t, "", "test-connection", "--address", addr, "--protocol", "tls")
	assert.Equal(t, exitFail, code, "the system's roots do not know the CA")
	assert.Contains(t, stdout, "unknown authority")
}

func TestTestConnectionUsage(t *testing.T) {
	_, badProtocol := loadProps(map[string]string{"Address": "127.0.0.1", "Protocol": "sctp"}, "x")
	require.Error(t, badProtocol)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"test-connection"}, "give one configuration file, or --address ADDR"},
		{[]string{"test-connection", "a.conf", "b.conf"}, "give one configuration file, or --address ADDR"},
		{[]string{"test-connection", "--address", "127.0.0.1", "a.conf"}, "give a configuration FILE or --address, not both"},
		{[]string{"test-connection", "--protocol", "udp", "a.conf"}, "--protocol and --tls-ca-file go with --address"},
		{[]string{"test-connection", "--tls-ca-file", "ca.pem", "a.conf"}, "--protocol and --tls-ca-file go with --address"},
		{[]string{"test-connection", "--address", "127.0.0.1", "--protocol", "tls", "--tls-ca-file", "/nonexistent/ca.pem"}, "property TLS_CA_File"},
		{[]string{"test-connection", "--timeout", "-1s", "a.conf"}, "--timeout must not be negative"},
		{[]string{"test-connection", "--address", "127.0.0.1", "--protocol", "sctp"}, badProtocol.Error()},
		{[]string{"test-connection", "/nonexistent/fluent-bit.conf"}, "no such file or directory"},
	} {
		code, stdout, stderr := runCmd(t, "", tc.args...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Empty(t, stdout, tc.args)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
}
