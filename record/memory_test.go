package record_test

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/internal/heap"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a decoder holds does not grow with what chunks declare: a chunk damaged on disk is flushed
// again at every retry, so anything each try keeps adds up until the process is killed.

const mib = 1 << 20

// grew is how far the live heap lies above base, 0 when below.
func grew(base uint64) uint64 {
	if h := heap.Live(); h > base {
		return h - base
	}
	return 0
}

// lyingChunks are chunks whose msgpack lengths say more than the chunk holds, for every type with a
// length (each width) and every place of an event a value can stand in; a good event and some bytes
// follow each lie, so that there is something left to read.
func lyingChunks() map[string][]byte {
	ff := func(n int) []byte { return bytes.Repeat([]byte{0xff}, n) }
	lies := map[string][]byte{
		"fixstr": {0xbf}, "str8": cat([]byte{0xd9}, ff(1)), "str16": cat([]byte{0xda}, ff(2)), "str32": cat([]byte{0xdb}, ff(4)),
		"bin8": cat([]byte{0xc4}, ff(1)), "bin16": cat([]byte{0xc5}, ff(2)), "bin32": cat([]byte{0xc6}, ff(4)),
		"fixext16": {0xd8, 0x00}, "ext8": {0xc7, 0xff, 0x00}, "ext16": {0xc8, 0xff, 0xff, 0x00}, "ext32": cat([]byte{0xc9}, ff(4), []byte{0x00}),
		"fixarray": {0x9f}, "array16": cat([]byte{0xdc}, ff(2)), "array32": cat([]byte{0xdd}, ff(4)),
		"fixmap": {0x8f}, "map16": cat([]byte{0xde}, ff(2)), "map32": cat([]byte{0xdf}, ff(4)),
		"uint64": {0xcf, 0x01}, "float64": {0xcb, 0x01},
	}
	head := cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0))
	places := map[string]func([]byte) []byte{
		"top":          func(l []byte) []byte { return l },
		"event":        func(l []byte) []byte { return cat(fixarray(2), l) },
		"header":       func(l []byte) []byte { return cat(fixarray(2), fixarray(2), l) },
		"metadata":     func(l []byte) []byte { return cat(fixarray(2), fixarray(2), eventTime(sec0, 0), l) },
		"body":         func(l []byte) []byte { return cat(head, l) },
		"key":          func(l []byte) []byte { return cat(head, fixmap(1), l) },
		"value":        func(l []byte) []byte { return cat(head, fixmap(1), mstr("a"), l) },
		"nested value": func(l []byte) []byte { return cat(head, fixmap(1), mstr("a"), fixarray(2), mstr("x"), l) },
		"legacy":       func(l []byte) []byte { return cat(fixarray(2), l) },
	}
	good := current(sec0, 1, flatBody("good"))
	chunks := map[string][]byte{
		"issue 11: 92 c9 ff ff ff ff 00": {0x92, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x00},
	}
	for lname, lie := range lies {
		for pname, place := range places {
			chunks[lname+" in "+pname] = cat(place(lie), good, []byte("xyz"))
		}
	}
	return chunks
}

// fixtureChunk is the chunk Fluent Bit would hand over for the sample events.
func fixtureChunk(t testing.TB) []byte {
	f, err := os.Open("../test/fixtures/events.jsonl")
	require.NoError(t, err)
	defer f.Close()
	chunk, n, err := fbchunk.FromJSONLines(f, time.Unix(sec0, 0), time.Second)
	require.NoError(t, err)
	require.Greater(t, n, 10)
	return chunk
}

// decodeToEnd reads a chunk as the pipeline does.
func decodeToEnd(d *record.Decoder, ev *record.Event, chunk []byte) {
	d.Reset(chunk)
	for {
		if ok, _ := d.Next(ev); !ok {
			return
		}
	}
}

// A corpus of damaged chunks (every lying length, and a real chunk cut at every byte) decoded 10,000
// times by one decoder: the heap does not grow.
func TestDamagedChunksHoldNoMemory(t *testing.T) {
	lying := lyingChunks()
	real := fixtureChunk(t)
	cuts := make([][]byte, len(real))
	for n := range cuts {
		cuts[n] = real[:n:n]
	}
	d := record.NewDecoder()
	var ev record.Event
	round := func(r int) {
		for _, chunk := range lying {
			decodeToEnd(d, &ev, chunk)
		}
		decodeToEnd(d, &ev, cuts[r%len(cuts)])
	}
	round(0)
	base := heap.Live()
	const rounds = 10000
	for r := 1; r <= rounds; r++ {
		round(r)
		if r%1000 == 0 || r <= 20 { // a leak shows at once; stop before it takes the machine
			require.Less(t, grew(base), uint64(mib), "heap growth after %d rounds of %d damaged chunks", r, len(lying)+1)
		}
	}
	runtime.KeepAlive(d)
}

// One 20 MiB record of each kind: what the decoder keeps after the chunk is what it kept before.
func TestLargeRecordsRetainNothing(t *testing.T) {
	const big = 20 * mib
	kinds := map[string]struct {
		body  func() any
		check func(t *testing.T, ev *record.Event)
	}{
		"nested array": {
			func() any { return map[string]any{"a": strings.Split(strings.Repeat("abcdefgh ", big/9), " ")} },
			func(t *testing.T, ev *record.Event) {
				require.Len(t, ev.Fields, 1)
				assert.True(t, ev.Fields[0].Value.IsZero(), "not rendered while decoding")
				assert.LessOrEqual(t, len(ev.RecordNode("a").AppendJSON(nil)), record.MaxRenderedJSON)
			},
		},
		"JSON text in log": {
			func() any { return map[string]any{"log": `{"a":[` + strings.Repeat(`1,`, big/2) + `1]}`} },
			func(t *testing.T, ev *record.Event) {
				assert.True(t, ev.EmbedTooLarge)
				assert.Nil(t, ev.EmbeddedKey)
			},
		},
		"extension value": {
			func() any { return map[string]any{"x": extValue(big)} },
			func(t *testing.T, ev *record.Event) {
				assert.True(t, ev.RecordNode("x").Value().IsZero())
			},
		},
		"string": {
			func() any { return map[string]any{"s": strings.Repeat("s", big)} },
			func(t *testing.T, ev *record.Event) {
				assert.Len(t, ev.RecordNode("s").Value().Bytes, big)
			},
		},
	}
	for name, k := range kinds {
		t.Run(name, func(t *testing.T) {
			d := record.NewDecoder()
			var ev record.Event
			decodeToEnd(d, &ev, current(sec0, 0, flatBody("warm")))
			base := heap.Live()

			chunk, err := fbchunk.AppendEvent(nil, time.Unix(sec0, 0), k.body())
			require.NoError(t, err)
			chunk = append(chunk, current(sec0, 1, flatBody("after"))...)
			d.Reset(chunk)
			ok, err := d.Next(&ev)
			require.True(t, ok)
			require.NoError(t, err)
			k.check(t, &ev)
			for ok {
				ok, _ = d.Next(&ev)
			}
			chunk = nil

			assert.Less(t, grew(base), uint64(2*mib), "retained after a %d MiB record", big/mib)
			runtime.KeepAlive(d)
			runtime.KeepAlive(&ev)
		})
	}
}

// extValue is a msgpack extension (type 1) of n bytes.
type extValue int

func (e extValue) MarshalMsgpack() ([]byte, error) {
	b := []byte{0xc9, byte(e >> 24), byte(e >> 16), byte(e >> 8), byte(e), 0x01}
	return append(b, make([]byte, e)...), nil
}

// A chunk left before its end (the SIEM failed mid-flush): Release lets go of it and of what its
// records grew.
func TestReleaseAfterAnAbandonedChunk(t *testing.T) {
	d := record.NewDecoder()
	var ev record.Event
	decodeToEnd(d, &ev, current(sec0, 0, flatBody("warm")))
	base := heap.Live()

	chunk, err := fbchunk.AppendEvent(nil, time.Unix(sec0, 0), map[string]any{
		"log": `{"a":"` + strings.Repeat("x", record.MaxEmbeddedJSON-16) + `"}`,
		"n":   strings.Split(strings.Repeat("abcdefgh ", 4*mib/9), " "),
	})
	require.NoError(t, err)
	chunk = append(chunk, current(sec0, 1, flatBody("never read"))...)
	d.Reset(chunk)
	ok, err := d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	require.Equal(t, "log", string(ev.EmbeddedKey))
	d.Release(&ev)
	chunk = nil

	assert.Less(t, grew(base), uint64(2*mib))
	assert.Empty(t, ev.Fields)
	ok, err = d.Next(&ev)
	assert.False(t, ok)
	assert.NoError(t, err)
	runtime.KeepAlive(d)
}
