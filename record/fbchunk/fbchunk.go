// Package fbchunk writes the chunk format Fluent Bit hands an output plugin, for the tests, the
// benchmarks and `siem-cef chunk`; the plugin only reads it (package record).
package fbchunk

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/vmihailenco/msgpack/v5"
)

// AppendEvent appends one event in the current format, [[EventTime, {}], body].
func AppendEvent(dst []byte, t time.Time, body any) ([]byte, error) {
	dst = append(dst, 0x92, 0x92)
	dst = AppendEventTime(dst, t)
	dst = append(dst, 0x80) // empty metadata map
	return appendBody(dst, body)
}

// AppendLegacyEvent appends one event in the format before Fluent Bit 2.1, [EventTime, body].
func AppendLegacyEvent(dst []byte, t time.Time, body any) ([]byte, error) {
	dst = append(dst, 0x92)
	dst = AppendEventTime(dst, t)
	return appendBody(dst, body)
}

// AppendEventTime appends msgpack extension 0: big-endian uint32 seconds and nanoseconds.
func AppendEventTime(dst []byte, t time.Time) []byte {
	dst = append(dst, 0xd7, 0x00)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.Unix()))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

func appendBody(dst []byte, body any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(body); err != nil {
		return dst, err
	}
	return append(dst, buf.Bytes()...), nil
}

// FromJSONLines makes a chunk of one event per JSON line in the current format; event i gets the
// time start + i*step. Each line is an object, written as Fluent Bit's JSON parser packs it: its keys
// in their order, a repeated key kept (the first spelling of a field wins), integers kept integers.
func FromJSONLines(r io.Reader, start time.Time, step time.Duration) ([]byte, int, error) {
	chunk, lineAt, err := JSONLines(r, start, step, AppendEvent)
	return chunk, len(lineAt), err
}

// JSONLines is FromJSONLines with the event format chosen: AppendEvent or AppendLegacyEvent. lineAt
// is the line of the event at each offset in the chunk, one per event, for messages that name an
// event by its offset.
func JSONLines(r io.Reader, start time.Time, step time.Duration,
	appendEvent func(dst []byte, t time.Time, body any) ([]byte, error)) (chunk []byte, lineAt map[int]int, err error) {
	lineAt = map[int]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var body msgpack.RawMessage
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if body, err = packJSON(body[:0], text); err != nil {
			return nil, lineAt, fmt.Errorf("line %d: %w", line, err)
		}
		at := len(chunk)
		if chunk, err = appendEvent(chunk, start.Add(time.Duration(len(lineAt))*step), body); err != nil {
			return nil, lineAt, fmt.Errorf("line %d: %w", line, err)
		}
		lineAt[at] = line
	}
	return chunk, lineAt, sc.Err()
}

// packJSON writes the JSON value text as msgpack into dst: an object as the plugin's own JSON reader
// transcodes it (its keys in order, repeats kept); any other value, which no Fluent Bit parser
// hands over but which a test may, through encoding/json.
func packJSON(dst, text []byte) (msgpack.RawMessage, error) {
	if packed, ok := record.AppendJSONAsMsgpack(dst, text); ok {
		return packed, nil
	}
	v, err := ParseJSON(text)
	if err != nil {
		return nil, err
	}
	return appendBody(dst, v)
}

// ParseJSON decodes one JSON value with integers kept as int64 where they fit.
func ParseJSON(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = numbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = numbers(e)
		}
	}
	return v
}
