package record_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AppendEvent writes the current shape of docs/fluent-bit-host.md, [[EventTime, {}], body]; the bytes are
// written out by hand.
func TestAppendEventBytes(t *testing.T) {
	ts := time.Unix(0x01020304, 0x05060708)
	got, err := fbchunk.AppendEvent([]byte{0xAA}, ts, map[string]any{"k": "v"})
	require.NoError(t, err)
	assert.Equal(t, []byte{0xAA, 0x92, 0x92, 0xd7, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x80,
		0x81, 0xa1, 'k', 0xa1, 'v'}, got)

	got, err = fbchunk.AppendLegacyEvent(nil, ts, map[string]any{"k": "v"})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x92, 0xd7, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x81, 0xa1, 'k', 0xa1, 'v'}, got)

	assert.Equal(t, []byte{0xd7, 0x00, 0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00},
		fbchunk.AppendEventTime(nil, time.Unix(0xFFFFFFFE, 0)))

	// keys are written sorted, so chunks are reproducible
	got, err = fbchunk.AppendEvent(nil, ts, map[string]any{"b": 1, "a": 2})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x82, 0xa1, 'a', 0x02, 0xa1, 'b', 0x01}, got[13:])
}

// What AppendEvent and AppendLegacyEvent write, the decoder reads back.
func TestAppendThenDecode(t *testing.T) {
	ts := time.Date(2026, 2, 18, 10, 7, 28, 987654321, time.UTC)
	body := map[string]any{"s": "x", "i": int64(-5), "f": 1.5, "t": true, "n": nil, "m": map[string]any{"a": "b"}}
	chunk, err := fbchunk.AppendEvent(nil, ts, body)
	require.NoError(t, err)
	chunk, err = fbchunk.AppendLegacyEvent(chunk, ts.Add(time.Second), body)
	require.NoError(t, err)
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Empty(t, recErrs)
	require.Len(t, evs, 2)
	want := []kv{{"f", fl(1.5)}, {"i", i(-5)}, {"m", s(`{"a":"b"}`)}, {"n", none()}, {"s", s("x")}, {"t", b(true)}}
	assert.True(t, evs[0].Time.Equal(ts))
	sameFields(t, want, evs[0].Fields)
	assert.True(t, evs[1].Time.Equal(ts.Add(time.Second)))
	sameFields(t, want, evs[1].Fields)
}

// ParseJSON keeps integers as int64 and other numbers as float64.
func TestParseJSON(t *testing.T) {
	v, err := fbchunk.ParseJSON([]byte(`{"a":1,"b":1.5,"c":-3,"d":9223372036854775807,"e":9223372036854775808,` +
		`"f":{"g":2,"h":[3,4.5,"x"]},"s":"str","t":true,"n":null,"z":0,"neg":-0.5}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"a":   int64(1),
		"b":   1.5,
		"c":   int64(-3),
		"d":   int64(9223372036854775807),
		"e":   float64(9223372036854775808),
		"f":   map[string]any{"g": int64(2), "h": []any{int64(3), 4.5, "x"}},
		"s":   "str",
		"t":   true,
		"n":   nil,
		"z":   int64(0),
		"neg": -0.5,
	}, v)

	v, err = fbchunk.ParseJSON([]byte(`42`))
	require.NoError(t, err)
	assert.Equal(t, int64(42), v)
	v, err = fbchunk.ParseJSON([]byte(`[1, 2.25]`))
	require.NoError(t, err)
	assert.Equal(t, []any{int64(1), 2.25}, v)

	for _, bad := range []string{`{`, `{"a":}`, ``, `nope`} {
		_, err := fbchunk.ParseJSON([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// FromJSONLines makes one event per non-empty line, event i at start + i*step, numbers kept as the
// record has them (integers decode as integers, floats as floats).
func TestFromJSONLines(t *testing.T) {
	start := time.Date(2026, 2, 18, 10, 7, 28, 0, time.UTC)
	in := "{\"a\":1,\"b\":1.5,\"c\":\"x\"}\n\n   \n{\"a\":-2,\"big\":18446744073709551615}\r\n{\"nested\":{\"k\":[1,2.5]}}\n"
	chunk, n, err := fbchunk.FromJSONLines(strings.NewReader(in), start, 2*time.Second)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Empty(t, recErrs)
	require.Len(t, evs, 3)
	for k, ev := range evs {
		assert.True(t, ev.Time.Equal(start.Add(time.Duration(k)*2*time.Second)), "event %d at %v", k, ev.Time)
	}
	sameFields(t, []kv{{"a", i(1)}, {"b", fl(1.5)}, {"c", s("x")}}, evs[0].Fields)
	sameFields(t, []kv{{"a", i(-2)}, {"big", u(18446744073709551615)}}, evs[1].Fields) // past int64: uint64, as the JSON-in-a-string reader reads it
	sameFields(t, []kv{{"nested", s(`{"k":[1,2.5]}`)}}, evs[2].Fields)

	// a long line (more than bufio's default 64 KB)
	long := `{"msg":"` + strings.Repeat("x", 1<<20) + `"}`
	chunk, n, err = fbchunk.FromJSONLines(strings.NewReader(long+"\n"), start, time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	ev := decodeOne(t, chunk)
	sameValue(t, record.String([]byte(strings.Repeat("x", 1<<20))), ev.Fields[0].Value, "msg")

	// a bad line is reported with its number
	_, _, err = fbchunk.FromJSONLines(strings.NewReader("{\"a\":1}\n\n{bad\n"), start, time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3")

	chunk, n, err = fbchunk.FromJSONLines(strings.NewReader(""), start, time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Empty(t, chunk)
}
