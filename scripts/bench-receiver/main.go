// Command bench-receiver is the loopback receiver of scripts/bench-fluent-bit.sh. It counts the
// newline-framed messages that arrive over TCP and does nothing else, so it takes little of the
// machine and never holds the measured Fluent Bit back: `siem-cef listen`, which decodes every
// message, is slower than the plugin on a 2-core machine, and the plugin's chunks then pile up in
// Fluent Bit's memory. It prints the port it listens on (127.0.0.1, a free port), then, after
// -count messages or at SIGTERM or SIGINT, how many messages arrived.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	want := flag.Int64("count", 0, "stop after N messages (0: only at SIGTERM or SIGINT)")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-receiver:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)

	var got atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 1<<20)
				for {
					n, err := conn.Read(buf)
					if got.Add(int64(bytes.Count(buf[:n], []byte{'\n'}))) >= *want && *want > 0 {
						once.Do(func() { close(all) })
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-all:
	case <-stop:
	}
	fmt.Println(got.Load())
}
