package main

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/heap"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// countLog counts the lines it is given and keeps none, so that it does not grow the heap.
type countLog struct{ lines int }

func (l *countLog) Enabled(int) bool { return true }
func (l *countLog) Log(int, string)  { l.lines++ }

// lyingValues are msgpack values of every type with a length, each announcing 4 GiB (or 65535) that
// is not there.
var lyingValues = [][]byte{
	{0xd9, 0xff}, {0xda, 0xff, 0xff}, {0xdb, 0xff, 0xff, 0xff, 0xff}, // str 8, 16, 32
	{0xc4, 0xff}, {0xc5, 0xff, 0xff}, {0xc6, 0xff, 0xff, 0xff, 0xff}, // bin 8, 16, 32
	{0xc7, 0xff, 0x00}, {0xc8, 0xff, 0xff, 0x00}, {0xc9, 0xff, 0xff, 0xff, 0xff, 0x00}, // ext 8, 16, 32
	{0xdc, 0xff, 0xff}, {0xdd, 0xff, 0xff, 0xff, 0xff}, // array 16, 32
	{0xde, 0xff, 0xff}, {0xdf, 0xff, 0xff, 0xff, 0xff}, // map 16, 32
	{0x9f}, {0x8f}, {0xbf}, // fixarray, fixmap, fixstr with their largest counts
}

// damagedChunks: each lying value at each place of an event (the event, its header, its time, its
// metadata, its body, a key, a value, a nested value), after a good event; and every truncation of
// a chunk of real events.
func damagedChunks(t *testing.T) [][]byte {
	good, err := fbchunk.AppendEvent(nil, fixtureStart, map[string]any{"event_id": "PM-001", "message": "good"})
	require.NoError(t, err)
	stamp := fbchunk.AppendEventTime(nil, fixtureStart)
	places := [][]byte{
		nil,
		{0x92},
		{0x92, 0x92},
		append([]byte{0x92, 0x92}, stamp...),
		append(append([]byte{0x92, 0x92}, stamp...), 0x80),
		append(append([]byte{0x92, 0x92}, stamp...), 0x80, 0x81),
		append(append([]byte{0x92, 0x92}, stamp...), 0x80, 0x81, 0xa3, 'm', 's', 'g'),
		append(append([]byte{0x92, 0x92}, stamp...), 0x80, 0x81, 0xa3, 'm', 's', 'g', 0x91),
	}
	var chunks [][]byte
	for _, lie := range lyingValues {
		for _, prefix := range places {
			chunk := append(append(append([]byte(nil), good...), prefix...), lie...)
			chunks = append(chunks, append(chunk, 0x00))
		}
	}
	real, _ := fixtureChunk(t)
	for cut := range len(real) {
		chunks = append(chunks, real[:cut])
	}
	return chunks
}

// Damaged chunks, flushed 10,000 times, leave the heap as it was: nothing announced by a lying
// length is allocated, and nothing of a failed flush is kept.
func TestDamagedChunksLeaveTheHeapAsItWas(t *testing.T) {
	const flushes = 10000
	in := newInstance(testConfig(t, "127.0.0.1:514", "tcp"), &countLog{}, noMetrics{})
	withTransport(in, discardTransport{})
	defer in.Close()
	chunks := damagedChunks(t)
	for _, c := range chunks { // warm: the lane's buffers at their working size
		in.Flush(c)
	}
	before := heap.Live()
	for i := range flushes {
		in.Flush(chunks[i%len(chunks)])
		if i%100 == 0 {
			// A leak of megabytes per flush would take the machine down before the end.
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			require.Less(t, ms.HeapAlloc, before+256<<20, "after %d flushes", i)
		}
	}
	after := heap.Live()
	t.Logf("%d damaged chunks, %d flushes: heap %d KiB before, %d KiB after", len(chunks), flushes, before>>10, after>>10)
	assert.Less(t, int64(after)-int64(before), int64(1<<20))
}

// bigRecords make records of 20 MiB of each kind a workload can write, each an event of its own.
func bigRecords(t *testing.T) map[string]func() []byte {
	const size = 20 << 20
	event := func(body []byte) []byte {
		ev := append([]byte{0x92, 0x92}, fbchunk.AppendEventTime(nil, fixtureStart)...)
		return append(append(ev, 0x80), body...)
	}
	// {"event_id": "PM-001", key: value}, the value given as msgpack
	withValue := func(key string, value []byte) []byte {
		b, err := msgpack.Marshal(map[string]any{"event_id": "PM-001"})
		require.NoError(t, err)
		b[0]++ // one more key
		b = append(b, 0xa0|byte(len(key)))
		b = append(b, key...)
		return event(append(b, value...))
	}
	return map[string]func() []byte{
		"nested array, wide": func() []byte {
			wide := binary.BigEndian.AppendUint32([]byte{0xdd}, size/2)
			for range size / 2 {
				wide = append(wide, 0xa1, 'x')
			}
			return withValue("args", wide)
		},
		"nested array, deep": func() []byte {
			deep := bytes.Repeat([]byte{0x91}, size)
			deep[len(deep)-1] = 0xc0
			return withValue("args", deep)
		},
		"JSON text in log": func() []byte {
			var js strings.Builder
			js.WriteString(`{"event_id":"PM-001","args":[`)
			for js.Len() < size {
				js.WriteString(`"argument",[1,{"k":null}],`)
			}
			js.WriteString(`0]}`)
			log, err := msgpack.Marshal(map[string]any{"log": js.String()})
			require.NoError(t, err)
			return event(log)
		},
		"ext value": func() []byte {
			ext := binary.BigEndian.AppendUint32([]byte{0xc9}, size)
			return withValue("data", append(append(ext, 0x05), make([]byte, size)...))
		},
		"string": func() []byte {
			str := binary.BigEndian.AppendUint32([]byte{0xdb}, size)
			return withValue("command", append(str, strings.Repeat("s", size)...))
		},
	}
}

// After a record of 20 MiB, whatever its kind, the instance keeps less than 2 MiB more than before.
func TestARecordOf20MiBIsNotKept(t *testing.T) {
	for name, build := range bigRecords(t) {
		t.Run(name, func(t *testing.T) {
			in := newInstance(testConfig(t, "127.0.0.1:514", "tcp"), &countLog{}, noMetrics{})
			withTransport(in, discardTransport{})
			defer in.Close()
			chunk, _ := fixtureChunk(t)
			require.Equal(t, flbOK, in.Flush(chunk))
			before := heap.Live()

			big := build()
			start := time.Now()
			code := in.Flush(big)
			took := time.Since(start)
			big = nil
			after := heap.Live()
			t.Logf("%s: flush %d in %v; heap %d KiB before, %d KiB after", name, code, took, before>>10, after>>10)
			assert.Less(t, int64(after)-int64(before), int64(2<<20))
			runtime.KeepAlive(in)
		})
	}
}
