package deliver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A SIEM that closes its side while a flush is written fails the flush, even when its host
// acknowledged every byte: a server that drains and discards what arrives after its own close
// acknowledges bytes it never processes (README, "A SIEM that restarted"). Nearly every flush is one
// batch, so Confirm looks for the close, not only the next Send.
func TestAFlushToASIEMThatClosedDuringItFails(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", withTLS), func(t *testing.T) {
			_, serverTLS := testCA(t)
			ln := loopback.Listen(t)
			o := opts(ln.Addr().String())
			if withTLS {
				o.TLS = &tls.Config{RootCAs: serverTLS.RootCAs, ServerName: "siem.test"}
			}
			loopback.Serve(ln, func(c net.Conn) {
				defer c.Close()
				if withTLS {
					tc := tls.Server(c, serverTLS)
					if tc.Handshake() != nil {
						return
					}
					tc.CloseWrite() // close_notify; TCP stays open
				} else {
					c.(*net.TCPConn).CloseWrite() // FIN
				}
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, c) // drains and discards
			})
			tr := NewStream(o)
			defer tr.Close()
			err := tr.Send(batchOf(FramingNewline, numbered("A", 1000, 40)...)) // one batch: the whole flush
			if err == nil {
				time.Sleep(50 * time.Millisecond) // the close is in before Confirm
				err = tr.Confirm(time.Now().Add(time.Second))
			}
			assert.ErrorIs(t, err, errUnconfirmedClose)
		})
	}
}

// A peer that says something, then closes (a load balancer's "503 too many connections"), is seen
// closed by its FIN, which the bytes before it do not hide.
func TestAFlushToAPeerThatSpokeThenClosedFails(t *testing.T) {
	addr := loopback.Start(t, func(c net.Conn) {
		defer c.Close()
		c.Write([]byte("503 too many connections\n"))
		c.(*net.TCPConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		io.Copy(io.Discard, c)
	})
	tr := NewStream(opts(addr))
	defer tr.Close()
	err := tr.Send(batchOf(FramingNewline, numbered("A", 1000, 40)...))
	if err == nil {
		time.Sleep(50 * time.Millisecond)
		err = tr.Confirm(time.Now().Add(time.Second))
	}
	assert.ErrorIs(t, err, errUnconfirmedClose)
}

// An error's text in a log line is bounded, its start and end kept: a peer's certificate can list
// 99 names of 250 characters before the name the plugin wanted.
func TestAnErrorsTextIsBounded(t *testing.T) {
	names := strings.Repeat(strings.Repeat("n", 250)+", ", 99)
	err := &Error{Op: "connect", Addr: "siem:6514", Net: "tls", Err: fmt.Errorf("x509: certificate is valid for %s not siem.example.com", names)}
	text := err.Error()
	assert.Less(t, len(text), 1200)
	assert.True(t, strings.HasPrefix(text, "connect siem:6514 (tls): x509: certificate is valid for nnn"), text)
	assert.True(t, strings.HasSuffix(text, " not siem.example.com"), text)
	assert.Contains(t, text, "bytes)…")
	short := &Error{Op: "connect", Addr: "siem:514", Net: "tcp", Err: errors.New("connection refused")}
	assert.Equal(t, "connect siem:514 (tcp): connection refused", short.Error())
}

// Each address's reason stays in the error of a failover list: the reasons are joined by a line
// feed, so the text is quoted, and quoting must not cut it to a record value's 128 characters.
func TestAFailoverErrorKeepsEveryAddressesReason(t *testing.T) {
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
	}
	tr := NewStream(Options{Addresses: addrs, ConnectTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, HoldDown: time.Minute})
	defer tr.Close()
	b := batchOf(FramingNewline, "x")
	b.Deadline = time.Now().Add(5 * time.Second)
	err := tr.Send(b)
	require.Error(t, err)
	assert.Equal(t, 2, strings.Count(err.Error(), "connection refused"), err.Error())
	assert.NotContains(t, err.Error(), "\n")
}
