// Package loopback runs the tests' peers (SIEMs, receivers, RELP servers) on the loopback address.
package loopback

import (
	"net"
	"testing"
)

// Listen listens on a free loopback TCP port until the test ends.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Serve hands every connection ln accepts to handle, each in a goroutine of its own, until ln is
// closed.
func Serve(ln net.Listener, handle func(net.Conn)) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
}

// Start listens on a free loopback port until the test ends, serves every connection with handle,
// and returns the address.
func Start(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln := Listen(t)
	Serve(ln, handle)
	return ln.Addr().String()
}
