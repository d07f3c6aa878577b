package record_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kv is one expected body field.
type kv struct {
	key string
	val record.Value
}

func s(v string) record.Value      { return record.String([]byte(v)) }
func i(v int64) record.Value       { return record.Int(v) }
func u(v uint64) record.Value      { return record.Uint(v) }
func fl(v float64) record.Value    { return record.Float(v) }
func b(v bool) record.Value        { return record.Bool(v) }
func none() record.Value           { return record.Value{} }
func at(sec, nsec int64) time.Time { return time.Unix(sec, nsec) }

// sameValue compares the member a value's kind uses.
func sameValue(t *testing.T, want, got record.Value, key string) {
	t.Helper()
	if !assert.Equal(t, want.Kind, got.Kind, "kind of %s", key) {
		return
	}
	switch want.Kind {
	case record.KindString:
		assert.Equal(t, string(want.Bytes), string(got.Bytes), "value of %s", key)
	case record.KindInt, record.KindBool:
		assert.Equal(t, want.Int(), got.Int(), "value of %s", key)
	case record.KindUint:
		assert.Equal(t, want.Uint(), got.Uint(), "value of %s", key)
	case record.KindFloat:
		assert.Equal(t, want.Float(), got.Float(), "value of %s", key)
	}
}

// sameFields compares the fields' keys and values; a nested map or array, which the decoder leaves
// unrendered (its Value is zero), is compared as the JSON its node renders.
func sameFields(t *testing.T, want []kv, got []record.Field) {
	t.Helper()
	if !assert.Len(t, got, len(want)) {
		for _, f := range got {
			t.Logf("got field %q = %+v", f.Key, f.Value)
		}
		return
	}
	for n, w := range want {
		assert.Equal(t, w.key, string(got[n].Key))
		assert.Equal(t, record.NoSlot, got[n].Slot, "a decoder without keys gives no slot")
		sameValue(t, w.val, fieldValue(t, got[n]), w.key)
	}
}

// fieldValue is a field's value, a nested one rendered from its node.
func fieldValue(t *testing.T, f record.Field) record.Value {
	t.Helper()
	if k := f.Raw.Kind(); k == record.NodeMap || k == record.NodeArray {
		assert.True(t, f.Value.IsZero(), "%s: a nested value is rendered only when a key carries it", f.Key)
		return record.String(f.Raw.AppendJSON(nil))
	}
	return f.Value
}

// decodeOne decodes a chunk that must hold exactly one event and no error.
func decodeOne(t *testing.T, chunk []byte) record.Event {
	t.Helper()
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Empty(t, recErrs)
	require.Len(t, evs, 1)
	return evs[0]
}

const sec0 = 1771409248 // 2026-02-18 10:07:28 UTC

func TestCurrentShapeByHand(t *testing.T) {
	// [[EventTime(sec0, 123456789), {}], {"msg": "hi", "n": 7}]
	chunk := []byte{0x92, 0x92, 0xd7, 0x00, 0x69, 0x95, 0x8f, 0x60, 0x07, 0x5b, 0xcd, 0x15, 0x80,
		0x82, 0xa3, 'm', 's', 'g', 0xa2, 'h', 'i', 0xa1, 'n', 0x07}
	ev := decodeOne(t, chunk)
	assert.True(t, ev.Time.Equal(time.Date(2026, 2, 18, 10, 7, 28, 123456789, time.UTC)), "time %v", ev.Time.UTC())
	assert.Equal(t, 0, ev.Offset)
	sameFields(t, []kv{{"msg", s("hi")}, {"n", i(7)}}, ev.Fields)
}

func TestLegacyShape(t *testing.T) {
	// [EventTime, {"msg": "hi"}]
	chunk := cat(fixarray(2), eventTime(sec0, 5), flatBody("hi"))
	ev := decodeOne(t, chunk)
	assert.True(t, ev.Time.Equal(at(sec0, 5)))
	sameFields(t, []kv{{"msg", s("hi")}}, ev.Fields)

	// legacy with an integer timestamp, next to a current event
	chunk = cat(fixarray(2), []byte{0xce, 0x69, 0x95, 0x8f, 0x60}, flatBody("a"), current(sec0+1, 0, flatBody("b")))
	evs, _, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.True(t, evs[0].Time.Equal(at(sec0, 0)))
	assert.True(t, evs[1].Time.Equal(at(sec0+1, 0)))
	assert.Equal(t, 0, evs[0].Offset)
	assert.Equal(t, 1+5+len(flatBody("a")), evs[1].Offset)
}

// docs/fluent-bit-host.md: a decoder must take EventTime, an integer or a float timestamp.
func TestTimestampForms(t *testing.T) {
	cases := []struct {
		name string
		ts   []byte
		want time.Time
	}{
		{"EventTime", eventTime(sec0, 0), at(sec0, 0)},
		{"EventTime with nanoseconds", eventTime(sec0, 999999999), at(sec0, 999999999)},
		{"EventTime after 2038 (uint32 seconds)", eventTime(0x80000001, 1), at(0x80000001, 1)},
		{"EventTime as ext8", cat([]byte{0xc7, 0x08, 0x00}, eventTime(sec0, 42)[2:]), at(sec0, 42)},
		{"positive fixint", []byte{0x05}, at(5, 0)},
		{"uint16", []byte{0xcd, 0x01, 0x00}, at(256, 0)},
		{"uint32", []byte{0xce, 0x69, 0x95, 0x8f, 0x60}, at(sec0, 0)},
		{"uint64", []byte{0xcf, 0, 0, 0, 0, 0x69, 0x95, 0x8f, 0x60}, at(sec0, 0)},
		{"int64", []byte{0xd3, 0, 0, 0, 0, 0x69, 0x95, 0x8f, 0x60}, at(sec0, 0)},
		{"float64 with a fraction", f64(float64(sec0) + 0.25), at(sec0, 250000000)},
		{"float64 whole", f64(float64(sec0)), at(sec0, 0)},
		{"float32", f32(1024.5), at(1024, 500000000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur := cat(fixarray(2), fixarray(2), c.ts, fixmap(0), flatBody("x"))
			ev := decodeOne(t, cur)
			assert.True(t, ev.Time.Equal(c.want), "got %v want %v", ev.Time.UTC(), c.want.UTC())
			sameFields(t, []kv{{"msg", s("x")}}, ev.Fields)

			legacy := cat(fixarray(2), c.ts, flatBody("x"))
			ev = decodeOne(t, legacy)
			assert.True(t, ev.Time.Equal(c.want), "legacy: got %v want %v", ev.Time.UTC(), c.want.UTC())
		})
	}
}

func TestMetadataNonEmpty(t *testing.T) {
	meta := cat(fixmap(3), mstr("k"), mstr("v"), mstr("n"), []byte{0x01},
		mstr("nested"), fixmap(1), mstr("a"), fixarray(2), []byte{0x01, 0x02})
	chunk := cat(fixarray(2), fixarray(2), eventTime(sec0, 0), meta, flatBody("body"),
		current(sec0+1, 0, flatBody("next")))
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Empty(t, recErrs)
	require.Len(t, evs, 2)
	sameFields(t, []kv{{"msg", s("body")}}, evs[0].Fields)
	sameFields(t, []kv{{"msg", s("next")}}, evs[1].Fields)
}

// Group markers (seconds 0xFFFFFFFF start, 0xFFFFFFFE end) are skipped.
func TestGroupMarkersSkipped(t *testing.T) {
	groupMeta := cat(fixmap(1), mstr("resource"), fixmap(1), mstr("service.name"), mstr("x"))
	start := cat(fixarray(2), fixarray(2), eventTime(0xFFFFFFFF, 0), groupMeta, cat(fixmap(1), mstr("scope"), mstr("s")))
	end := cat(fixarray(2), fixarray(2), eventTime(0xFFFFFFFE, 0), fixmap(0), fixmap(0))
	ev1 := current(sec0, 1, flatBody("one"))
	ev2 := current(sec0, 2, flatBody("two"))

	chunk := cat(start, ev1, ev2, end, start, ev1, end)
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Empty(t, recErrs)
	require.Len(t, evs, 3)
	sameFields(t, []kv{{"msg", s("one")}}, evs[0].Fields)
	sameFields(t, []kv{{"msg", s("two")}}, evs[1].Fields)
	sameFields(t, []kv{{"msg", s("one")}}, evs[2].Fields)
	assert.Equal(t, len(start), evs[0].Offset)
	assert.Equal(t, len(start)+len(ev1), evs[1].Offset)
	assert.Equal(t, 2*len(start)+len(ev1)+len(ev2)+len(end), evs[2].Offset)

	// a chunk of markers alone has no event
	evs, recErrs, err = decodeAll(t, cat(start, end, start, end))
	require.NoError(t, err)
	assert.Empty(t, recErrs)
	assert.Empty(t, evs)

	// a marker's seconds with nanoseconds is no marker (TestGroupMarkersAsFluentBit has every case)
	evs, recErrs, err = decodeAll(t, cat(fixarray(2), fixarray(2), eventTime(0xFFFFFFFF, 7), fixmap(0), fixmap(0), ev1))
	require.NoError(t, err)
	assert.Empty(t, recErrs)
	require.Len(t, evs, 2)
	assert.True(t, evs[0].Time.Equal(at(0xFFFFFFFF, 7)))
	sameFields(t, []kv{{"msg", s("one")}}, evs[1].Fields)
}

// Every msgpack kind a body value can have.
func TestBodyValueKinds(t *testing.T) {
	body := cat(fixmap(17),
		mstr("str"), mstr("abc"),
		mstr("empty"), mstr(""),
		mstr("str8"), mstr(strings.Repeat("x", 40)),
		mstr("bin"), mbin("xyz"),
		mstr("fixint"), []byte{0x05},
		mstr("uint8"), []byte{0xcc, 0xff},
		mstr("int16"), []byte{0xd1, 0x80, 0x00},
		mstr("negfixint"), []byte{0xe0},
		mstr("int64min"), []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0},
		mstr("uint64max"), []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		mstr("uint64big"), []byte{0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0x01},
		mstr("float32"), f32(1.5),
		mstr("float64"), f64(0.1),
		mstr("true"), []byte{0xc3},
		mstr("false"), []byte{0xc2},
		mstr("nil"), []byte{0xc0},
		mstr("utf8"), mstr("ключ 日本"),
	)
	ev := decodeOne(t, current(sec0, 0, body))
	sameFields(t, []kv{
		{"str", s("abc")},
		{"empty", s("")},
		{"str8", s(strings.Repeat("x", 40))},
		{"bin", s("xyz")},
		{"fixint", i(5)},
		{"uint8", i(255)},
		{"int16", i(-32768)},
		{"negfixint", i(-32)},
		{"int64min", i(math.MinInt64)},
		{"uint64max", u(math.MaxUint64)},
		{"uint64big", u(1<<63 + 1)},
		{"float32", fl(1.5)},
		{"float64", fl(0.1)},
		{"true", b(true)},
		{"false", b(false)},
		{"nil", none()},
		{"utf8", s("ключ 日本")},
	}, ev.Fields)
	assert.Equal(t, record.NodeNil, ev.RecordNode("nil").Kind())
	sameValue(t, i(255), ev.RecordNode("uint8").Value(), "uint8")
	assert.Equal(t, record.NodeAbsent, ev.RecordNode("missing").Kind())
}

// Nested maps and arrays become compact JSON with strings JSON-escaped.
func TestNestedValuesAsJSON(t *testing.T) {
	cases := []struct {
		name string
		val  []byte
		want string // exact where JSON leaves no choice
		// the same value as Go decodes it, for the cases where escapes may be spelt two ways
		equiv any
	}{
		{"map", cat(fixmap(2), mstr("a"), []byte{0x01}, mstr("b"), fixarray(3), []byte{0xc3, 0xc0}, mstr(`x"y`)),
			`{"a":1,"b":[true,null,"x\"y"]}`, nil},
		{"array of numbers", cat(fixarray(5), []byte{0x01, 0xfe}, f64(1.5), f32(2.5), []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
			`[1,-2,1.5,2.5,18446744073709551615]`, nil},
		{"backslash", cat(fixarray(1), mstr(`a\b`)), `["a\\b"]`, nil},
		{"empty map", fixmap(0), `{}`, nil},
		{"empty array", fixarray(0), `[]`, nil},
		{"bin in an array", cat(fixarray(1), mbin("raw")), `["raw"]`, nil},
		{"false and negative", cat(fixarray(2), []byte{0xc2, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), `[false,-1]`, nil},
		{"nested deeper", cat(fixmap(1), mstr("k"), fixmap(1), mstr("l"), fixarray(1), fixmap(1), mstr("m"), mstr("n")),
			`{"k":{"l":[{"m":"n"}]}}`, nil},
		{"control characters", cat(fixarray(1), mstr("a\nb\tc\x00d\x1f")), "", []any{"a\nb\tc\x00d\x1f"}},
		{"non-ASCII", cat(fixmap(1), mstr("ключ"), mstr("日本 🙂")), "", map[string]any{"ключ": "日本 🙂"}},
		{"quotes in keys", cat(fixmap(1), mstr(`"k"`), mstr(`\`)), "", map[string]any{`"k"`: `\`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := decodeOne(t, current(sec0, 0, fixmap(2), mstr("v"), c.val, mstr("after"), mstr("ok")))
			require.Len(t, ev.Fields, 2)
			got := fieldValue(t, ev.Fields[0])
			require.Equal(t, record.KindString, got.Kind)
			text := got.Bytes
			assert.True(t, json.Valid(text), "not JSON: %q", text)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, text))
			assert.Equal(t, compact.String(), string(text), "not compact")
			if c.want != "" {
				assert.Equal(t, c.want, string(text))
			}
			if c.equiv != nil {
				var back any
				require.NoError(t, json.Unmarshal(text, &back))
				assert.Equal(t, c.equiv, back)
			}
			sameValue(t, s("ok"), ev.Fields[1].Value, "after")
		})
	}
}

// A key that is not a string cannot be named by any mapping: it is stepped over with its value.
func TestNonStringKeysSkipped(t *testing.T) {
	body := cat(fixmap(6),
		[]byte{0x01}, mstr("int key"),
		mstr("a"), mstr("A"),
		[]byte{0xc0}, mstr("nil key"),
		fixarray(2), []byte{0x01, 0x02}, fixmap(1), mstr("x"), mstr("y"), // array key, map value
		fixmap(1), mstr("k"), mstr("v"), []byte{0x05}, // map key
		mstr("b"), []byte{0x02},
	)
	ev := decodeOne(t, current(sec0, 0, body))
	sameFields(t, []kv{{"a", s("A")}, {"b", i(2)}}, ev.Fields)
}

// A body that is not a map: *RecordError, and decoding goes on with the next event.
func TestBodyNotAMap(t *testing.T) {
	bodies := map[string][]byte{
		"array":        cat(fixarray(2), mstr("a"), mstr("b")),
		"string":       mstr("just text"),
		"nil":          {0xc0},
		"int":          {0x07},
		"float":        f64(1.5),
		"nested array": cat(fixarray(1), fixarray(1), fixmap(1), mstr("a"), mstr("b")),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			bad := cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0), body)
			good := current(sec0, 1, flatBody("good"))
			chunk := cat(good, bad, good)
			d := record.NewDecoder()
			d.Reset(chunk)
			var ev record.Event

			ok, err := d.Next(&ev)
			require.True(t, ok)
			require.NoError(t, err)

			ok, err = d.Next(&ev)
			require.True(t, ok, "a bad body must not end the chunk")
			var re *record.RecordError
			require.True(t, errors.As(err, &re), "want *RecordError, got %T %v", err, err)
			assert.Equal(t, len(good), re.Offset)
			assert.NotEmpty(t, re.Error())

			ok, err = d.Next(&ev)
			require.True(t, ok)
			require.NoError(t, err)
			sameFields(t, []kv{{"msg", s("good")}}, ev.Fields)
			assert.Equal(t, len(good)+len(bad), ev.Offset)

			ok, err = d.Next(&ev)
			assert.False(t, ok)
			assert.NoError(t, err)

			// the error is the decoder's own: stepping over such events allocates nothing
			allocs := testing.AllocsPerRun(100, func() {
				d.Reset(chunk)
				for ok, _ := d.Next(&ev); ok; ok, _ = d.Next(&ev) {
				}
			})
			assert.Zero(t, allocs)
		})
	}
	// legacy shape too
	chunk := cat(fixarray(2), eventTime(sec0, 0), mstr("text"), current(sec0, 1, flatBody("good")))
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Len(t, recErrs, 1)
	require.Len(t, evs, 1)
	sameFields(t, []kv{{"msg", s("good")}}, evs[0].Fields)
}

// threeEvents is a chunk of three events of different shapes: current with metadata and nested
// values, legacy, current with every scalar kind.
func threeEvents() (chunk []byte, ends [3]int) {
	e1 := cat(fixarray(2), fixarray(2), eventTime(sec0, 1), cat(fixmap(1), mstr("m"), mstr("meta")),
		fixmap(3), mstr("msg"), mstr("first event"), mstr("n"), fixmap(1), mstr("a"), fixarray(2), []byte{0x01, 0xc3},
		mstr("bin"), mbin("bytes"))
	e2 := cat(fixarray(2), eventTime(sec0, 2), fixmap(2), mstr("msg"), mstr(strings.Repeat("s", 40)), mstr("i"), []byte{0xd1, 0x01, 0x00})
	e3 := cat(fixarray(2), fixarray(2), f64(float64(sec0)+0.5), fixmap(0),
		fixmap(5), mstr("f"), f64(2.25), mstr("u"), []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		mstr("t"), []byte{0xc3}, mstr("z"), []byte{0xc0}, mstr("neg"), []byte{0xe0})
	chunk = cat(e1, e2, e3)
	ends = [3]int{len(e1), len(e1) + len(e2), len(chunk)}
	return chunk, ends
}

// A chunk cut at every byte offset: the events wholly before the cut come out, then false with a
// *ChunkError whose Offset lies in the chunk (or false and no error when the cut falls between
// events).
func TestTruncatedAtEveryOffset(t *testing.T) {
	chunk, ends := threeEvents()
	full, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	require.Empty(t, recErrs)
	require.Len(t, full, 3)
	sameFields(t, []kv{{"msg", s("first event")}, {"n", s(`{"a":[1,true]}`)}, {"bin", s("bytes")}}, full[0].Fields)
	sameFields(t, []kv{{"msg", s(strings.Repeat("s", 40))}, {"i", i(256)}}, full[1].Fields)
	sameFields(t, []kv{{"f", fl(2.25)}, {"u", u(math.MaxUint64)}, {"t", b(true)}, {"z", none()}, {"neg", i(-32)}}, full[2].Fields)
	assert.True(t, full[2].Time.Equal(at(sec0, 500000000)))

	for cut := 0; cut < len(chunk); cut++ {
		part := append([]byte(nil), chunk[:cut]...) // no capacity past the cut
		evs, recErrs, err := decodeAll(t, part)
		whole := 0
		for _, e := range ends {
			if e <= cut {
				whole++
			}
		}
		require.Len(t, evs, whole, "cut at %d", cut)
		assert.Empty(t, recErrs, "cut at %d", cut)
		for n := range evs {
			assert.Equal(t, full[n], evs[n], "cut at %d, event %d", cut, n)
		}
		boundary := cut == 0 || cut == ends[0] || cut == ends[1]
		if boundary {
			assert.NoError(t, err, "cut at %d falls between events", cut)
			continue
		}
		var ce *record.ChunkError
		if assert.True(t, errors.As(err, &ce), "cut at %d: want *ChunkError, got %T %v", cut, err, err) {
			assert.GreaterOrEqual(t, ce.Offset, 0, "cut at %d", cut)
			assert.LessOrEqual(t, ce.Offset, cut, "cut at %d", cut)
			start := 0
			if whole > 0 {
				start = ends[whole-1]
			}
			assert.GreaterOrEqual(t, ce.Offset, start, "cut at %d: the damage is in the cut event", cut)
			assert.NotEmpty(t, ce.Error())
			assert.NotNil(t, errors.Unwrap(ce))
		}
	}
}

func TestGarbage(t *testing.T) {
	cases := map[string][]byte{
		"never-used code":           {0xc1},
		"text":                      []byte("hello world, not msgpack"),
		"a lone fixint":             {0x01},
		"a map at the top":          cat(fixmap(1), mstr("a"), mstr("b")),
		"0xff bytes":                bytes.Repeat([]byte{0xff}, 64),
		"zero bytes":                make([]byte, 64),
		"good event then garbage":   cat(current(sec0, 0, flatBody("ok")), []byte{0xc1, 0xc1}),
		"map32 claiming 4G entries": cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0), []byte{0xdf, 0xff, 0xff, 0xff, 0xff}, mstr("a"), mstr("b")),
		"array32 claiming 4G items": cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0), fixmap(1), mstr("a"), []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}),
	}
	for name, chunk := range cases {
		t.Run(name, func(t *testing.T) {
			evs, _, err := decodeAll(t, chunk)
			var ce *record.ChunkError
			require.True(t, errors.As(err, &ce), "want *ChunkError, got %T %v", err, err)
			assert.GreaterOrEqual(t, ce.Offset, 0)
			assert.LessOrEqual(t, ce.Offset, len(chunk))
			if name == "good event then garbage" {
				require.Len(t, evs, 1)
				sameFields(t, []kv{{"msg", s("ok")}}, evs[0].Fields)
				assert.GreaterOrEqual(t, ce.Offset, len(chunk)-2)
			}
		})
	}
}

// A well-formed array at the top level that is not an event as Fluent Bit writes one costs only
// itself: it is stepped over with a *RecordError and the next event is read.
func TestWrongShapeArraysAreSkipped(t *testing.T) {
	cases := map[string][]byte{
		"array of three":       cat(fixarray(3), eventTime(sec0, 0), fixmap(0), fixmap(0)),
		"array of one":         cat(fixarray(1), eventTime(sec0, 0)),
		"empty header array":   cat(fixarray(2), fixarray(0), fixmap(0)),
		"string timestamp":     cat(fixarray(2), fixarray(2), mstr("2026-02-18"), fixmap(0), fixmap(0)),
		"ext of another type":  cat(fixarray(2), fixarray(2), []byte{0xd7, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}, fixmap(0), fixmap(0)),
		"EventTime of 4 bytes": cat(fixarray(2), fixarray(2), []byte{0xd6, 0x00, 0, 0, 0, 1}, fixmap(0), fixmap(0)),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			evs, recErrs, err := decodeAll(t, cat(bad, current(sec0, 0, flatBody("after"))))
			require.NoError(t, err)
			require.Len(t, recErrs, 1)
			assert.Equal(t, 0, recErrs[0].Offset)
			require.Len(t, evs, 1)
			sameFields(t, []kv{{"msg", s("after")}}, evs[0].Fields)
		})
	}
}

// Random bytes, and random damage to a good chunk: no panic, no endless loop, errors are the
// documented types.
func TestRandomDamage(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	good, _ := threeEvents()
	for n := 0; n < 3000; n++ {
		var chunk []byte
		if n%2 == 0 {
			chunk = make([]byte, r.IntN(64))
			for k := range chunk {
				chunk[k] = byte(r.UintN(256))
			}
		} else {
			chunk = append([]byte(nil), good...)
			for k := r.IntN(4) + 1; k > 0; k-- {
				chunk[r.IntN(len(chunk))] = byte(r.UintN(256))
			}
		}
		_, _, err := decodeAll(t, chunk)
		if err != nil {
			var ce *record.ChunkError
			require.True(t, errors.As(err, &ce), "chunk %x: %T %v", chunk, err, err)
			require.GreaterOrEqual(t, ce.Offset, 0)
			require.LessOrEqual(t, ce.Offset, len(chunk))
		}
	}
}

// A string or binary length that points past the end of the chunk.
func TestLengthPastTheEnd(t *testing.T) {
	head := cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0))
	cases := map[string][]byte{
		"fixstr value":       cat(head, fixmap(1), mstr("msg"), []byte{0xbf, 'a', 'b'}),
		"str8 value":         cat(head, fixmap(1), mstr("msg"), []byte{0xd9, 0xff, 'a'}),
		"str32 value of 4GB": cat(head, fixmap(1), mstr("msg"), []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}),
		"bin32 value":        cat(head, fixmap(1), mstr("msg"), []byte{0xc6, 0x7f, 0xff, 0xff, 0xff, 'a'}),
		"str32 key":          cat(head, fixmap(1), []byte{0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'}),
		"str32 in an array":  cat(head, fixmap(1), mstr("msg"), fixarray(1), []byte{0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'}),
		"str32 in metadata":  cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(1), mstr("k"), []byte{0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'}),
		"str32 skipped key":  cat(head, fixmap(1), []byte{0x01}, []byte{0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'}),
		"ext32 value":        cat(head, fixmap(1), mstr("msg"), []byte{0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01, 'a'}),
	}
	for name, chunk := range cases {
		t.Run(name, func(t *testing.T) {
			evs, _, err := decodeAll(t, chunk)
			assert.Empty(t, evs)
			var ce *record.ChunkError
			require.True(t, errors.As(err, &ce), "want *ChunkError, got %T %v", err, err)
			assert.LessOrEqual(t, ce.Offset, len(chunk))
		})
	}
}

func nested(levels int, inner []byte) []byte {
	return cat(bytes.Repeat([]byte{0x91}, levels), inner)
}

// Arrays nested 10,000 deep wherever they can stand: a cut value, an error or a skipped part, never
// a stack overflow or a hang.
func TestDeepNesting(t *testing.T) {
	const levels = 10000
	deep := nested(levels, []byte{0x01})
	good := current(sec0, 1, flatBody("good"))

	// as a body value: cut at 64 levels, the record kept (README: nesting deeper than 64 levels is
	// written as "…")
	chunk := cat(current(sec0, 0, fixmap(1), mstr("a"), deep), good)
	evs, recErrs, err := decodeAll(t, chunk)
	require.NoError(t, err)
	assert.Empty(t, recErrs)
	require.Len(t, evs, 2)
	a := evs[0].RecordNode("a").AppendJSON(nil)
	assert.Equal(t, strings.Repeat("[", 65)+`"…"`+strings.Repeat("]", 65), string(a))
	sameFields(t, []kv{{"msg", s("good")}}, evs[1].Fields)

	// deep maps as a body value
	deepMap := cat(bytes.Repeat(cat(fixmap(1), mstr("k")), levels), []byte{0x01})
	evs, recErrs, err = decodeAll(t, cat(current(sec0, 0, fixmap(1), mstr("a"), deepMap), good))
	require.NoError(t, err)
	assert.Empty(t, recErrs)
	require.Len(t, evs, 2)
	a = evs[0].RecordNode("a").AppendJSON(nil)
	assert.Equal(t, strings.Repeat(`{"k":`, 65)+`"…"`+strings.Repeat("}", 65), string(a))

	// elsewhere: no crash, no hang
	others := map[string][]byte{
		"body":            cat(fixarray(2), fixarray(2), eventTime(sec0, 0), fixmap(0), deep),
		"metadata":        cat(fixarray(2), fixarray(2), eventTime(sec0, 0), deep, flatBody("x")),
		"non-string key":  current(sec0, 0, fixmap(1), deep, []byte{0x01}),
		"group marker":    cat(fixarray(2), fixarray(2), eventTime(0xFFFFFFFF, 0), deep, deep),
		"legacy body":     cat(fixarray(2), eventTime(sec0, 0), deep),
		"unclosed arrays": bytes.Repeat([]byte{0x91}, levels),
	}
	for name, bad := range others {
		t.Run(name, func(t *testing.T) {
			decodeAll(t, cat(bad, good))
		})
	}
}

// Moderate nesting (Kubernetes labels, annotations) decodes.
func TestModerateNesting(t *testing.T) {
	ev := decodeOne(t, current(sec0, 0, fixmap(1), mstr("a"), nested(20, []byte{0x01})))
	sameFields(t, []kv{{"a", s(strings.Repeat("[", 20) + "1" + strings.Repeat("]", 20))}}, ev.Fields)
}

// A record nested too deep is valid msgpack: it may be refused, but it must not cost the events after
// it in the chunk (the plugin drops the rest of a chunk on a *ChunkError; docs/events.md §1: nothing is lost).
func TestTooDeepRecordDoesNotEndTheChunk(t *testing.T) {
	good := current(sec0, 1, flatBody("good"))
	for _, levels := range []int{100, 10000} {
		chunk := cat(current(sec0, 0, fixmap(2), mstr("a"), nested(levels, []byte{0x01}), mstr("b"), mstr("c")), good)
		evs, recErrs, err := decodeAll(t, chunk)
		assert.NoError(t, err, "%d levels", levels)
		assert.Empty(t, recErrs, "%d levels: the deep record is kept", levels)
		require.Len(t, evs, 2, "%d levels", levels)
		// 64 levels of arrays are written, the rest is cut
		want := strings.Repeat("[", 65) + `"…"` + strings.Repeat("]", 65)
		sameFields(t, []kv{{"a", s(want)}, {"b", s("c")}}, evs[0].Fields)
		sameFields(t, []kv{{"msg", s("good")}}, evs[1].Fields)
	}
}

// String values and keys point into the chunk: nothing is copied.
func TestZeroCopy(t *testing.T) {
	chunk := current(sec0, 0, fixmap(2), mstr("msg"), mstr("hello"), mstr("bin"), mbin("bytes"))
	d := record.NewDecoder()
	d.Reset(chunk)
	var ev record.Event
	ok, err := d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	require.Len(t, ev.Fields, 2)

	lo := uintptr(unsafe.Pointer(unsafe.SliceData(chunk)))
	hi := lo + uintptr(len(chunk))
	inside := func(b []byte) bool {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		return p >= lo && p+uintptr(len(b)) <= hi
	}
	for _, f := range ev.Fields {
		assert.True(t, inside(f.Key), "key %q is a copy", f.Key)
		assert.True(t, inside(f.Value.Bytes), "value of %q is a copy", f.Key)
	}

	// and so a change to the chunk shows in the decoded value
	at := bytes.Index(chunk, []byte("hello"))
	chunk[at] = 'J'
	assert.Equal(t, "Jello", string(ev.Fields[0].Value.Bytes))
	at = bytes.Index(chunk, []byte("bytes"))
	chunk[at] = 'B'
	assert.Equal(t, "Bytes", string(ev.Fields[1].Value.Bytes))

	// a value cannot be grown into the rest of the chunk
	assert.Equal(t, len(ev.Fields[0].Value.Bytes), cap(ev.Fields[0].Value.Bytes))
}

// flatChunk is n flat records of the shape the plugin gets most.
func flatChunk(tb testing.TB, n int) []byte {
	var chunk []byte
	var err error
	for k := 0; k < n; k++ {
		chunk, err = fbchunk.AppendEvent(chunk, time.Unix(sec0+int64(k), 123), map[string]any{
			"event_id":     "PM-002",
			"severity":     7,
			"pid":          1846367 + k,
			"ppid":         -1,
			"container_id": "0ce05246346b6687cb754cf716c57f20f226e159397e8e5985e55b448cb92e3f",
			"container":    "alpine",
			"status":       "Success",
			"ratio":        0.25,
			"ok":           true,
			"none":         nil,
			"raw":          []byte("bytes"),
			"big":          uint64(math.MaxUint64),
			"message":      "process started: /bin/sh -c id",
		})
		require.NoError(tb, err)
	}
	return chunk
}

// Decoding a warm chunk of flat records allocates nothing.
func TestDecodeAllocatesNothing(t *testing.T) {
	const n = 100
	chunk := flatChunk(t, n)
	d := record.NewDecoder()
	var ev record.Event
	count := 0
	run := func() {
		count = 0
		d.Reset(chunk)
		for {
			ok, err := d.Next(&ev)
			if !ok || err != nil {
				break
			}
			if len(ev.Fields) == 13 {
				count++
			}
		}
	}
	run()
	require.Equal(t, n, count)
	allocs := testing.AllocsPerRun(100, run)
	assert.Equal(t, n, count)
	assert.Equal(t, 0.0, allocs/n, "%v allocations per chunk of %d events", allocs, n)
}

// The decoder is reused across chunks; an error in one chunk leaves nothing behind for the next.
func TestDecoderReuse(t *testing.T) {
	d := record.NewDecoder()
	var ev record.Event
	d.Reset([]byte{0xc1, 0xc1})
	ok, err := d.Next(&ev)
	require.False(t, ok)
	require.Error(t, err)

	d.Reset(current(sec0, 0, fixmap(2), mstr("a"), mstr("1"), mstr("b"), mstr("2")))
	ok, err = d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	sameFields(t, []kv{{"a", s("1")}, {"b", s("2")}}, ev.Fields)

	d.Reset(current(sec0, 0, flatBody("only")))
	ok, err = d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	sameFields(t, []kv{{"msg", s("only")}}, ev.Fields)
	ok, err = d.Next(&ev)
	assert.False(t, ok)
	assert.NoError(t, err)

	d.Reset(nil)
	ok, err = d.Next(&ev)
	assert.False(t, ok)
	assert.NoError(t, err)
}

func BenchmarkDecode(b *testing.B) {
	const n = 1000
	chunk := flatChunk(b, n)
	benchDecode(b, chunk, n)
}

// A key that is a container would be escaped again at every level of its nesting, doubling each time:
// it is written as the cut mark; a scalar key is written as its JSON text.
func TestNestedKeysThatAreNotStrings(t *testing.T) {
	inner := cat(fixmap(3), fixmap(1), mstr("x"), fixmap(1), mstr("y"), []byte{0x01}, []byte{0x02}, []byte{0x05}, mstr("n"), []byte{0xc3}, mstr("t"))
	evs, _, err := decodeAll(t, current(sec0, 0, fixmap(1), mstr("a"), inner))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	sameFields(t, []kv{{"a", s(`{"…":2,"5":"n","true":"t"}`)}}, evs[0].Fields)
}

// Sensor records carry nested maps and arrays (measured, not rendered) and JSON text in `log`.
func BenchmarkDecodeNested(b *testing.B) {
	const n = 1000
	var chunk []byte
	var err error
	for k := 0; k < n; k++ {
		chunk, err = fbchunk.AppendEvent(chunk, time.Unix(sec0+int64(k), 0), map[string]any{
			"log": `{"rule":"Terminal shell","priority":"Notice","output_fields":{"proc.pid":1846367,"proc.cmdline":"bash -c \"id\"","k8s.ns.name":null,"f":0.5},"tags":["a","b"]}`,
			"kubernetes": map[string]any{"host": "worker-2", "pod_name": "falco-7xk2p", "namespace_name": "falco",
				"labels": map[string]any{"app": "falco", "pod-template-hash": "7d9c6b8f5"}, "annotations": map[string]any{"a": "b"}},
			"process": map[string]any{"pid": 1846367 + k, "args": []any{"-c", "id", 1, true, nil, 0.5}},
		})
		require.NoError(b, err)
	}
	benchDecode(b, chunk, n)
}

// benchDecode decodes the chunk's n events over and over.
func benchDecode(b *testing.B, chunk []byte, n int) {
	d := record.NewDecoder()
	var ev record.Event
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(chunk)
		count := 0
		for {
			ok, err := d.Next(&ev)
			if !ok || err != nil {
				break
			}
			count++
		}
		if count != n {
			b.Fatalf("decoded %d events, want %d", count, n)
		}
	}
}
