package main

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/internal/fixture"
	"github.com/kcs-siem/siem-cef/internal/loopback"
	"github.com/kcs-siem/siem-cef/pipeline"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/require"
)

const benchEvents = 1000

func benchChunk(b *testing.B) []byte {
	b.Helper()
	var chunk []byte
	var err error
	for i := range benchEvents {
		chunk, err = fbchunk.AppendEvent(chunk, fixtureStart.Add(time.Duration(i)*time.Millisecond), fixture.ProcessEvent(i))
		require.NoError(b, err)
	}
	return chunk
}

// reportPerEvent turns per-chunk figures into per-event ones, with the allocations counted over the
// timed loop.
func reportPerEvent(b *testing.B, events int, mallocsBefore uint64, bytes int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	total := float64(b.N) * float64(events)
	ns := float64(b.Elapsed().Nanoseconds()) / total
	b.ReportMetric(ns, "ns/event")
	b.ReportMetric(1e9/ns, "events/s")
	b.ReportMetric(float64(ms.Mallocs-mallocsBefore)/total, "allocs/event")
	if bytes > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
	}
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// BenchmarkPipeline (a): decode, map, filter and encode a chunk of 1,000 process events.
func BenchmarkPipeline(b *testing.B) {
	chunk := benchChunk(b)
	p := pipeline.New(testConfig(b, "127.0.0.1:514", "tcp"))
	out := 0
	emit := func(msg []byte) error { out += len(msg); return nil }
	warn := func(msg string) { b.Fatal(msg) }
	_, err := p.Run(chunk, emit, warn) // warm
	require.NoError(b, err)
	out = 0
	m := mallocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Run(chunk, emit, warn); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPerEvent(b, benchEvents, m, len(chunk))
}

// BenchmarkBaselineFluentBitGoDecoder (a, baseline): what most Go plugins do, fluent-bit-go's own
// decoder reading the same chunk into maps, before any mapping or encoding.
func BenchmarkBaselineFluentBitGoDecoder(b *testing.B) {
	chunk := benchChunk(b)
	m := mallocs()
	b.ResetTimer()
	for range b.N {
		dec := output.NewDecoder(unsafe.Pointer(&chunk[0]), len(chunk))
		n := 0
		for {
			ret, _, rec := output.GetRecord(dec)
			if ret != 0 {
				break
			}
			n += len(rec)
		}
		if n == 0 {
			b.Fatal("no record decoded")
		}
	}
	b.StopTimer()
	reportPerEvent(b, benchEvents, m, len(chunk))
}

// discardReceiver accepts TCP connections and reads everything they send.
func discardReceiver(b *testing.B) string {
	return loopback.Start(b, func(c net.Conn) { io.Copy(io.Discard, c); c.Close() })
}

// BenchmarkFlushTCP (b): the whole flush, as FLBPluginFlushCtx calls it, into a loopback receiver.
func BenchmarkFlushTCP(b *testing.B) {
	chunk := benchChunk(b)
	in := newInstance(testConfig(b, discardReceiver(b), "tcp"), &fakeLog{}, noMetrics{})
	defer in.Close()
	require.Equal(b, flbOK, in.Flush(chunk))
	m := mallocs()
	b.ResetTimer()
	for range b.N {
		if in.Flush(chunk) != flbOK {
			b.Fatal("flush failed")
		}
	}
	b.StopTimer()
	reportPerEvent(b, benchEvents, m, len(chunk))
}

// BenchmarkBaselineWriteTCP (b, baseline): the same messages, encoded beforehand, written in the
// same batches through the same kind of connection.
func BenchmarkBaselineWriteTCP(b *testing.B) {
	chunk := benchChunk(b)
	p := pipeline.New(testConfig(b, "127.0.0.1:514", "tcp"))
	var batches []*deliver.Batch
	cur := &deliver.Batch{Framing: deliver.FramingNewline}
	_, err := p.Run(chunk, func(msg []byte) error {
		start := len(cur.Buf)
		cur.Buf = append(cur.Buf, msg...)
		cur.End(start)
		if len(cur.Buf) >= batchBytes {
			batches = append(batches, cur)
			cur = &deliver.Batch{Framing: deliver.FramingNewline}
		}
		return nil
	}, func(string) {})
	require.NoError(b, err)
	batches = append(batches, cur)
	tcp := deliver.NewStream(deliver.Options{Addresses: []string{discardReceiver(b)}, ConnectTimeout: time.Second, WriteTimeout: 10 * time.Second})
	defer tcp.Close()
	m := mallocs()
	b.ResetTimer()
	for range b.N {
		for _, batch := range batches {
			if err := tcp.Send(batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	reportPerEvent(b, benchEvents, m, len(chunk))
}
