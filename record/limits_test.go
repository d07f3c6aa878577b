package record_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// array16 is the header of an array of n elements.
func array16(n int) []byte { return []byte{0xdc, byte(n >> 8), byte(n)} }

// mstr32 is a str32 of s.
func mstr32(s string) []byte {
	n := len(s)
	return append([]byte{0xdb, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, s...)
}

// rendered is the JSON a nested value's node renders (what a key that carries it sends).
func rendered(t *testing.T, val []byte) string {
	t.Helper()
	ev := decodeOne(t, current(sec0, 0, fixmap(1), mstr("v"), val))
	require.Len(t, ev.Fields, 1)
	text := string(fieldValue(t, ev.Fields[0]).Bytes)
	assert.LessOrEqual(t, len(text), record.MaxRenderedJSON)
	assert.True(t, json.Valid([]byte(text)), "a cut rendering is still JSON: %.200q…", text)
	return text
}

// A nested value is rendered up to what a key can carry (4,000 characters of at most 4 bytes): the
// rest is written as the cut mark "…" and the open levels are closed.
func TestNestedValueRenderedUpToTheCap(t *testing.T) {
	const n = 3000 // 3000 × 11 bytes of text: twice the cap
	elems := array16(n)
	want := "["
	for k := 0; k < n; k++ {
		elems = append(elems, mstr("abcdefgh")...)
		if k > 0 {
			want += ","
		}
		want += `"abcdefgh"`
	}
	text := rendered(t, elems)
	assert.Greater(t, len(text), 16000, "a key's 4,000 characters of 4 bytes fit")
	// cut on a character boundary, in a string or between elements (`,"…"`)
	require.True(t, strings.HasSuffix(text, `…"]`), "ends %q", text[len(text)-20:])
	kept := strings.TrimSuffix(text, `…"]`)
	assert.Equal(t, want[:len(kept)], kept, "what is written is the start of the whole text")

	// a long string inside: cut on a character boundary, closed as a string
	long := strings.Repeat("é", 20000)
	text = rendered(t, cat(fixarray(2), []byte{0x01}, mstr32(long)))
	require.True(t, strings.HasPrefix(text, `[1,"éé`))
	require.True(t, strings.HasSuffix(text, `é…"]`), "ends %q", text[len(text)-20:])

	// a long key: cut, then given the cut mark as its value
	text = rendered(t, cat(fixmap(1), mstr32(strings.Repeat("k", 20000)), []byte{0x01}))
	require.True(t, strings.HasPrefix(text, `{"kkk`))
	require.True(t, strings.HasSuffix(text, `k…":"…"}`), "ends %q", text[len(text)-20:])

	// cut in a map's value
	m := fixmap(15)
	for k := 0; k < 15; k++ {
		m = append(m, mstr(fmt.Sprintf("k%02d", k))...)
		m = append(m, mstr32(strings.Repeat("v", 1500))...)
	}
	text = rendered(t, m)
	require.True(t, strings.HasPrefix(text, `{"k00":"vvv`))
	require.True(t, strings.HasSuffix(text, `v…"}`), "ends %q", text[len(text)-20:])

	// cut 60 levels deep: every level closed
	deep := cat(nested(60, nil), elems)
	text = rendered(t, deep)
	require.True(t, strings.HasPrefix(text, strings.Repeat("[", 61)+`"abcdefgh",`))
	require.True(t, strings.HasSuffix(text, `…"`+strings.Repeat("]", 61)), "ends %q", text[len(text)-80:])
}

// The decoder renders no nested value: a key that carries one renders it (at most 16 KiB each, and
// the mapping one per field of docs/events.md §6), so an event of many large nested values costs
// no text, and the last of them renders as whole as the first.
func TestNestedValuesAreNotRenderedWhileDecoding(t *testing.T) {
	const fields = 100 // 100 × 16 KiB: more than a message can carry
	var big []byte
	big = append(big, array16(3000)...)
	for k := 0; k < 3000; k++ {
		big = append(big, mstr("abcdefgh")...)
	}
	body := []byte{0xde, 0, fields}
	for k := 0; k < fields; k++ {
		body = append(body, mstr(fmt.Sprintf("n%03d", k))...)
		body = append(body, big...)
	}
	ev := decodeOne(t, current(sec0, 0, body))
	require.Len(t, ev.Fields, fields)
	for _, f := range ev.Fields {
		require.True(t, f.Value.IsZero(), "%s rendered while decoding", f.Key)
	}
	first, last := ev.Fields[0].Raw.AppendJSON(nil), ev.Fields[fields-1].Raw.AppendJSON(nil)
	assert.Greater(t, len(first), 16000)
	assert.Equal(t, string(first), string(last))
}

// JSON text in `log` is decoded up to 1 MiB; a longer one is left a plain log line, and said so.
func TestEmbeddedJSONUpToTheCap(t *testing.T) {
	text := func(n int) string { // a JSON object of exactly n bytes
		return `{"rule":"` + strings.Repeat("x", n-len(`{"rule":""}`)) + `"}`
	}
	_, ev := decodeWith(t, "", map[string]any{"log": text(record.MaxEmbeddedJSON)})
	assert.Equal(t, "log", string(ev.EmbeddedKey))
	assert.False(t, ev.EmbedTooLarge)
	assert.Equal(t, []string{"rule"}, keys(ev.Body()))

	_, ev = decodeWith(t, "", map[string]any{"log": text(record.MaxEmbeddedJSON + 1)})
	assert.Nil(t, ev.EmbeddedKey)
	assert.True(t, ev.EmbedTooLarge)
	assert.Equal(t, []string{"log"}, keys(ev.Body()))

	// a long log, then a good event: the event is taken, the long log still counted
	_, ev = decodeWith(t, "", map[string]any{"log": text(record.MaxEmbeddedJSON + 1), "event": `{"e":1}`})
	assert.Equal(t, "event", string(ev.EmbeddedKey))
	assert.True(t, ev.EmbedTooLarge)

	// a long text that is no JSON object is a plain line, not too large
	_, ev = decodeWith(t, "", map[string]any{"log": strings.Repeat("x", record.MaxEmbeddedJSON+1)})
	assert.Nil(t, ev.EmbeddedKey)
	assert.False(t, ev.EmbedTooLarge)

	// the next event starts clean
	d, ev := decodeWith(t, "", map[string]any{"log": text(record.MaxEmbeddedJSON + 1)})
	chunk, err := fbchunk.AppendEvent(nil, time.Unix(sec0, 0), map[string]any{"log": `{"a":1}`})
	require.NoError(t, err)
	d.Reset(chunk)
	ok, err := d.Next(ev)
	require.True(t, ok)
	require.NoError(t, err)
	assert.False(t, ev.EmbedTooLarge)
}

// A record reads at most 1024 keys: a body with more is stepped over with a *RecordError; an
// embedded event with more is left as it is, counted as too large.
func TestKeysPerRecord(t *testing.T) {
	body := func(n int) []byte {
		b := []byte{0xde, byte(n >> 8), byte(n)}
		for k := 0; k < n; k++ {
			b = append(b, mstr(fmt.Sprintf("k%d", k))...)
			b = append(b, 0x01)
		}
		return b
	}
	ev := decodeOne(t, current(sec0, 0, body(record.MaxFields)))
	assert.Len(t, ev.Fields, record.MaxFields)

	evs, recErrs, err := decodeAll(t, cat(current(sec0, 0, body(record.MaxFields+1)), current(sec0, 1, flatBody("after"))))
	require.NoError(t, err)
	require.Len(t, recErrs, 1)
	assert.Contains(t, recErrs[0].Reason, "1025 keys")
	require.Len(t, evs, 1)
	sameFields(t, []kv{{"msg", s("after")}}, evs[0].Fields)

	obj := func(n int) string {
		parts := make([]string, n)
		for k := range parts {
			parts[k] = fmt.Sprintf(`"k%d":1`, k)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	_, e := decodeWith(t, "", map[string]any{"log": obj(record.MaxFields)})
	assert.Equal(t, "log", string(e.EmbeddedKey))
	assert.Len(t, e.Body(), record.MaxFields)
	_, e = decodeWith(t, "", map[string]any{"log": obj(record.MaxFields + 1)})
	assert.Nil(t, e.EmbeddedKey)
	assert.True(t, e.EmbedTooLarge)
}

// Group markers are recognised as Fluent Bit 5.1's flb_log_event_decoder recognises them
// (src/flb_log_event_decoder.c: flb_log_event_decoder_decode_timestamp, get_record_type; msgpack-c
// takes any non-negative integer as POSITIVE_INTEGER, a negative one as NEGATIVE_INTEGER): the
// timestamp, as C's time_t, is -1 (group start) or -2 (group end). EventTime says so only with
// seconds 0xFFFFFFFF or 0xFFFFFFFE and no nanoseconds; a non-negative integer when it wraps to -1 or
// -2; a float when cut toward zero to -1 or -2; a negative integer never. Markers are skipped and
// counted. What Fluent Bit would refuse or skip for its time is an event here, with the time it says.
func TestGroupMarkersAsFluentBit(t *testing.T) {
	const marker = "marker"
	ff := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	cases := []struct {
		name string
		ts   []byte
		want any // the event's time, or marker
	}{
		{"EventTime 0xFFFFFFFF", eventTime(0xFFFFFFFF, 0), marker},
		{"EventTime 0xFFFFFFFE", eventTime(0xFFFFFFFE, 0), marker},
		{"EventTime 0xFFFFFFFF with nanoseconds", eventTime(0xFFFFFFFF, 7), at(0xFFFFFFFF, 7)},
		{"EventTime 0xFFFFFFFE with nanoseconds", eventTime(0xFFFFFFFE, 1), at(0xFFFFFFFE, 1)},
		{"EventTime 0xFFFFFFFD", eventTime(0xFFFFFFFD, 0), at(0xFFFFFFFD, 0)},
		{"EventTime with 10^9 nanoseconds", eventTime(sec0, 1e9), at(sec0, 1e9)},
		{"EventTime as ext16", cat([]byte{0xc8, 0x00, 0x08, 0x00}, eventTime(sec0, 3)[2:]), at(sec0, 3)},
		{"EventTime as ext32, marker", cat([]byte{0xc9, 0, 0, 0, 0x08, 0x00}, eventTime(0xFFFFFFFF, 0)[2:]), marker},
		{"uint32 4294967295", []byte{0xce, 0xff, 0xff, 0xff, 0xff}, at(4294967295, 0)},
		{"uint32 4294967294", []byte{0xce, 0xff, 0xff, 0xff, 0xfe}, at(4294967294, 0)},
		{"uint64 2^64-1 (time_t -1)", cat([]byte{0xcf}, ff, []byte{0xff}), marker},
		{"uint64 2^64-2 (time_t -2)", cat([]byte{0xcf}, ff, []byte{0xfe}), marker},
		{"uint64 2^64-3 (time_t -3)", cat([]byte{0xcf}, ff, []byte{0xfd}), at(-3, 0)},
		{"int64 positive", []byte{0xd3, 0, 0, 0, 0, 0x69, 0x95, 0x8f, 0x60}, at(sec0, 0)},
		{"integer -1", []byte{0xff}, at(-1, 0)},
		{"integer -2", []byte{0xd0, 0xfe}, at(-2, 0)},
		{"int64 -1", cat([]byte{0xd3}, ff, []byte{0xff}), at(-1, 0)},
		{"float -1", f64(-1), marker},
		{"float -1.5", f64(-1.5), marker},
		{"float -2.25", f64(-2.25), marker},
		{"float32 -2.5", f32(-2.5), marker},
		{"float -3", f64(-3), at(-3, 0)},
		{"float -0.5", f64(-0.5), at(0, -500000000)},
		{"float 4294967295", f64(4294967295), at(4294967295, 0)},
		{"float NaN", []byte{0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}, at(math.MinInt64, 0)},
		{"float -1e19", f64(-1e19), at(math.MinInt64, 0)},
	}
	good := current(sec0, 1, flatBody("good"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for shape, rec := range map[string][]byte{
				"current": cat(fixarray(2), fixarray(2), c.ts, fixmap(0), flatBody("x")),
				"legacy":  cat(fixarray(2), c.ts, flatBody("x")),
			} {
				d := record.NewDecoder()
				d.Reset(cat(rec, good))
				var ev record.Event
				ok, err := d.Next(&ev)
				require.True(t, ok, shape)
				require.NoError(t, err, shape)
				if want, isTime := c.want.(time.Time); isTime {
					assert.True(t, ev.Time.Equal(want), "%s: time %v, want %v", shape, ev.Time.UTC(), want.UTC())
					sameFields(t, []kv{{"msg", s("x")}}, ev.Fields)
					assert.Zero(t, d.Markers(), shape)
					ok, err = d.Next(&ev) // the good event
					require.True(t, ok, shape)
					require.NoError(t, err, shape)
				} else {
					assert.Equal(t, 1, d.Markers(), shape)
				}
				sameFields(t, []kv{{"msg", s("good")}}, ev.Fields)
				ok, _ = d.Next(&ev)
				assert.False(t, ok)
			}
		})
	}
}

// A marker is a record as Fluent Bit checks any: its body and metadata maps. One that is not is not
// a marker but a record stepped over; and Reset starts the count again.
func TestMalformedMarkersAreRecordErrors(t *testing.T) {
	start := eventTime(0xFFFFFFFF, 0)
	good := current(sec0, 1, flatBody("good"))
	for name, rec := range map[string][]byte{
		"body not a map":     cat(fixarray(2), fixarray(2), start, fixmap(0), mstr("x")),
		"metadata not a map": cat(fixarray(2), fixarray(2), start, mstr("m"), fixmap(0)),
		"header of three":    cat(fixarray(2), fixarray(3), start, fixmap(0), fixmap(0), fixmap(0)),
	} {
		t.Run(name, func(t *testing.T) {
			d := record.NewDecoder()
			d.Reset(cat(current(0xFFFFFFFF, 0, fixmap(0)), rec, good))
			var ev record.Event
			ok, err := d.Next(&ev)
			require.True(t, ok)
			var re *record.RecordError
			require.True(t, errors.As(err, &re), "want a *RecordError, got %v", err)
			assert.Equal(t, 1, d.Markers())
			ok, err = d.Next(&ev)
			require.True(t, ok)
			require.NoError(t, err)
			d.Reset(good)
			assert.Equal(t, 0, d.Markers())
		})
	}
}
