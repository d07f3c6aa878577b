package deliver

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/loopback"
)

// udpSink is a loopback receiver that drains every datagram.
func udpSink(b *testing.B) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	if err := pc.(*net.UDPConn).SetReadBuffer(64 << 20); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

// udpBatch is 1,000 messages of a process event's usual size.
func udpBatch() *Batch {
	b := &Batch{}
	msg := strings.Repeat("x", 700)
	for range 1000 {
		start := len(b.Buf)
		b.Buf = append(b.Buf, msg...)
		b.End(start)
	}
	return b
}

func reportDatagrams(b *testing.B, batch *Batch) {
	b.ReportMetric(float64(b.N*batch.Len())/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch.Len()), "ns/event")
}

// BenchmarkUDPSend: the transport as the plugin uses it, one sendmmsg per batch.
func BenchmarkUDPSend(b *testing.B) {
	u := NewUDP(Options{Addresses: []string{udpSink(b)}, ConnectTimeout: time.Second, WriteTimeout: time.Second})
	defer u.Close()
	batch := udpBatch()
	b.SetBytes(int64(len(batch.Buf)))
	for range b.N {
		if err := u.Send(batch); err != nil {
			b.Fatal(err)
		}
	}
	reportDatagrams(b, batch)
}

// BenchmarkBaselineUDPWritePerDatagram: the same datagrams, one write each.
func BenchmarkBaselineUDPWritePerDatagram(b *testing.B) {
	conn, err := net.Dial("udp", udpSink(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	batch := udpBatch()
	b.SetBytes(int64(len(batch.Buf)))
	for range b.N {
		for i := 0; i < batch.Len(); i++ {
			if _, err := conn.Write(batch.Message(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportDatagrams(b, batch)
}

// tcpSink is a loopback receiver that reads a MiB at a time, as the host path's receiver does (a
// receiver that reads little at a time makes the writer wait for it).
func tcpSink(b *testing.B) string {
	return loopback.Start(b, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 1<<20)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
}

// threadCPU is the CPU time, user and system, of the calling OS thread (Linux).
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStreamSend: what a flush costs past the pipeline on TCP, per 700-byte message: framing
// it into the batch and writing the batch to a loopback receiver, for batches of several sizes (the
// plugin writes 256 KiB ones), and, as a flush of a 2 MiB chunk does, waiting for the receiver's
// acknowledgement after each 2 MiB. sender-cpu-ns/event is the sending thread's own CPU time (its
// writes, and the receiving side's protocol work the kernel does on its CPU); ns/event counts as
// well the time it waits for the receiver.
func BenchmarkStreamSend(b *testing.B) {
	for _, size := range []int{64 << 10, 256 << 10, 1 << 20, 2 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := NewStream(Options{Addresses: []string{tcpSink(b)}, ConnectTimeout: time.Second, WriteTimeout: 10 * time.Second})
			defer s.Close()
			msg := []byte(strings.Repeat("x", 699))
			perBatch := size / 700
			batch := &Batch{Framing: FramingNewline}
			written := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := threadCPU(b)
			b.ResetTimer()
			for range b.N {
				batch.Reset()
				for range perBatch {
					start := len(batch.Buf)
					batch.Buf = append(batch.Buf, msg...)
					batch.End(start)
				}
				if err := s.Send(batch); err != nil {
					b.Fatal(err)
				}
				if written += len(batch.Buf); written >= 2<<20 {
					if err := s.Confirm(time.Time{}); err != nil {
						b.Fatal(err)
					}
					written = 0
				}
			}
			b.StopTimer()
			events := float64(b.N * perBatch)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
			b.ReportMetric(float64(threadCPU(b)-cpu)/events, "sender-cpu-ns/event")
		})
	}
}
