package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/fixture"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/require"
)

// chunkBytes is the size of the chunks Fluent Bit usually hands an output (its chunks are cut near
// 2 MB).
const chunkBytes = 2 << 20

// processChunk is a chunk of about chunkBytes of KCS process events with every runtime key.
func processChunk(b *testing.B) (path string, events int) {
	var chunk []byte
	for len(chunk) < chunkBytes {
		var err error
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart, fixture.ProcessEvent(events))
		require.NoError(b, err)
		events++
	}
	return writeChunk(b, chunk), events
}

// newline ends each message of the TCP stream.
var newline = []byte{'\n'}

// countingReceiver counts the messages (lines or datagrams) a loopback SIEM receives. It counts the
// lines of what it reads with bytes.Count: counted a byte at a time, with an atomic add per line, the
// receiver was slower than the plugin and held the host path back (~420,000 events/s instead of ~525,000).
func countingReceiver(b *testing.B, network string) (string, *atomic.Int64) {
	var n atomic.Int64
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(b, err)
		require.NoError(b, pc.(*net.UDPConn).SetReadBuffer(32<<20))
		b.Cleanup(func() { pc.Close() })
		go func() {
			buf := make([]byte, 65535)
			for {
				if _, _, err := pc.ReadFrom(buf); err != nil {
					return
				}
				n.Add(1)
			}
		}()
		return pc.LocalAddr().String(), &n
	}
	addr := loopback.Start(b, func(c net.Conn) {
		buf := make([]byte, 1<<20)
		for {
			k, err := c.Read(buf)
			n.Add(int64(bytes.Count(buf[:k], newline)))
			if err != nil {
				if err != io.EOF {
					c.Close()
				}
				return
			}
		}
	})
	return addr, &n
}

// BenchmarkHostPath (c): a million events through the host and the .so, in chunks of Fluent Bit's
// usual size, to a loopback receiver; events/s of the whole process and its peak RSS. Each op is one
// whole run: use -benchtime 1x. host-cpu-ns/event is the host process's CPU time, user and system
// (the plugin, its writes, and the loopback's protocol work the kernel does on the writer's CPU):
// events/s counts as well the time the flushing thread waits for a CPU that the receiver or other
// work holds.
func BenchmarkHostPath(b *testing.B) {
	for _, network := range []string{"tcp", "udp"} {
		for _, total := range []int{100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/%d", network, total), func(b *testing.B) {
				chunk, perChunk := processChunk(b)
				flushes := (total + perChunk - 1) / perChunk
				addr, received := countingReceiver(b, network)
				script := fmt.Sprintf("register\ninstance a Address=%s Protocol=%s Startup_Check=off\nflushmt a %s 1 %d\nexit a\n",
					addr, network, chunk, flushes)
				var rss int64
				var cpu time.Duration
				b.ResetTimer()
				for range b.N {
					cmd := exec.Command(bins.Host, bins.SO, "-")
					cmd.Stdin = strings.NewReader(script)
					out, err := cmd.CombinedOutput()
					require.NoError(b, err, string(out))
					require.Contains(b, string(out), fmt.Sprintf("flushmt a ok=%d retry=0", flushes))
					rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
					cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				}
				b.StopTimer()
				events := float64(flushes * perChunk * b.N)
				b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
				b.ReportMetric(float64(cpu.Nanoseconds())/events, "host-cpu-ns/event")
				b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
				time.Sleep(200 * time.Millisecond) // let the receiver drain
				b.ReportMetric(float64(received.Load())/events*100, "%received")
			})
		}
	}
}
