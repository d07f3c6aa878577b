package record_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/require"
)

// Chunks are built here by hand with the bytes of the msgpack format and the Fluent Bit event layout of
// docs/fluent-bit-host.md ("Flush"): [[timestamp, {metadata}], {body}] or the legacy
// [timestamp, {body}]; EventTime is ext type 0 of 8 bytes, uint32 seconds + uint32 nanoseconds,
// big-endian; group markers have seconds 0xFFFFFFFF (start) and 0xFFFFFFFE (end).

// cat concatenates byte pieces.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// eventTime is fixext8 (0xd7), type 0, seconds and nanoseconds.
func eventTime(sec, nsec uint32) []byte {
	b := []byte{0xd7, 0x00}
	b = binary.BigEndian.AppendUint32(b, sec)
	return binary.BigEndian.AppendUint32(b, nsec)
}

// fixstr for up to 31 bytes, str8 up to 255, str16 beyond.
func mstr(s string) []byte {
	switch n := len(s); {
	case n < 32:
		return append([]byte{0xa0 | byte(n)}, s...)
	case n < 256:
		return append([]byte{0xd9, byte(n)}, s...)
	default:
		return append([]byte{0xda, byte(n >> 8), byte(n)}, s...)
	}
}

func mbin(s string) []byte { return append([]byte{0xc4, byte(len(s))}, s...) }

// fixmap for up to 15 entries, map16 beyond.
func fixmap(n int) []byte {
	if n > 15 {
		return []byte{0xde, byte(n >> 8), byte(n)}
	}
	return []byte{0x80 | byte(n)}
}

func fixarray(n int) []byte { return []byte{0x90 | byte(n)} }

func f64(f float64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(f))
}

func f32(f float32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0xca}, math.Float32bits(f))
}

// current is one event in the current shape with an empty metadata map.
func current(sec, nsec uint32, body ...[]byte) []byte {
	return cat(fixarray(2), fixarray(2), eventTime(sec, nsec), fixmap(0), cat(body...))
}

// flatBody is {"msg": msg}.
func flatBody(msg string) []byte { return cat(fixmap(1), mstr("msg"), mstr(msg)) }

// decodeAll reads a chunk to its end and returns the events (copied), the record errors and the final
// error. It fails the test if Next is called more times than the chunk has bytes (no progress).
func decodeAll(t testing.TB, chunk []byte) (evs []record.Event, recErrs []*record.RecordError, final error) {
	t.Helper()
	d := record.NewDecoder()
	d.Reset(chunk)
	for calls := 0; ; calls++ {
		require.LessOrEqual(t, calls, len(chunk)+1, "Next keeps returning true: no progress")
		var ev record.Event
		ok, err := d.Next(&ev)
		if !ok {
			return evs, recErrs, err
		}
		if err != nil {
			re, isRec := err.(*record.RecordError)
			require.True(t, isRec, "true with an error that is not a *RecordError: %T %v", err, err)
			recErrs = append(recErrs, re)
			continue
		}
		evs = append(evs, copyEvent(ev))
	}
}

// copyEvent copies an event out of the chunk and the decoder's buffer.
func copyEvent(ev record.Event) record.Event {
	out := ev
	out.Fields = make([]record.Field, len(ev.Fields))
	for i, f := range ev.Fields {
		out.Fields[i] = record.Field{Key: append([]byte(nil), f.Key...), Value: f.Value,
			Raw: record.NodeOf(append([]byte(nil), f.Raw.Bytes()...)), Slot: f.Slot}
		if f.Value.Bytes != nil {
			out.Fields[i].Value.Bytes = append([]byte{}, f.Value.Bytes...)
		}
	}
	return out
}
