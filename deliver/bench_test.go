package deliver

import (
	"net"
	"strings"
	"testing"
	"time"
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
