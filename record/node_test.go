package record_test

import (
	"math"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every msgpack type byte gives its kind and value (msgpack spec, "Formats").
func TestNodeKindsAndValues(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		kind record.NodeKind
		want record.Value
	}{
		{"positive fixint", []byte{0x7f}, record.NodeInt, i(127)},
		{"negative fixint", []byte{0xe0}, record.NodeInt, i(-32)},
		{"uint8", []byte{0xcc, 0xff}, record.NodeInt, i(255)},
		{"uint16", []byte{0xcd, 0xff, 0xff}, record.NodeInt, i(65535)},
		{"uint32", []byte{0xce, 0xff, 0xff, 0xff, 0xff}, record.NodeInt, i(math.MaxUint32)},
		{"uint64", []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, record.NodeUint, u(math.MaxUint64)},
		{"int8", []byte{0xd0, 0x80}, record.NodeInt, i(-128)},
		{"int16", []byte{0xd1, 0x80, 0x00}, record.NodeInt, i(-32768)},
		{"int32", []byte{0xd2, 0x80, 0, 0, 0}, record.NodeInt, i(math.MinInt32)},
		{"int64", []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, record.NodeInt, i(math.MinInt64)},
		{"float32", f32(1.5), record.NodeFloat, fl(1.5)},
		{"float64", f64(-2.25), record.NodeFloat, fl(-2.25)},
		{"nil", []byte{0xc0}, record.NodeNil, none()},
		{"false", []byte{0xc2}, record.NodeBool, b(false)},
		{"true", []byte{0xc3}, record.NodeBool, b(true)},
		{"fixstr", mstr("abc"), record.NodeString, s("abc")},
		{"str8", mstr(strings.Repeat("x", 40)), record.NodeString, s(strings.Repeat("x", 40))},
		{"str16", mstr(strings.Repeat("y", 300)), record.NodeString, s(strings.Repeat("y", 300))},
		{"str32", cat([]byte{0xdb, 0, 0, 0, 2}, []byte("hi")), record.NodeString, s("hi")},
		{"bin8", mbin("raw"), record.NodeString, s("raw")},
		{"bin16", cat([]byte{0xc5, 0, 1}, []byte("z")), record.NodeString, s("z")},
		{"bin32", cat([]byte{0xc6, 0, 0, 0, 1}, []byte("z")), record.NodeString, s("z")},
		{"fixarray", cat(fixarray(1), mstr("a")), record.NodeArray, none()},
		{"array16", cat([]byte{0xdc, 0, 1}, mstr("a")), record.NodeArray, none()},
		{"array32", cat([]byte{0xdd, 0, 0, 0, 1}, mstr("a")), record.NodeArray, none()},
		{"fixmap", cat(fixmap(1), mstr("k"), mstr("v")), record.NodeMap, none()},
		{"map16", cat([]byte{0xde, 0, 1}, mstr("k"), mstr("v")), record.NodeMap, none()},
		{"map32", cat([]byte{0xdf, 0, 0, 0, 1}, mstr("k"), mstr("v")), record.NodeMap, none()},
		{"fixext8", eventTime(1, 2), record.NodeExt, none()},
		{"ext8", []byte{0xc7, 1, 5, 0}, record.NodeExt, none()},
		{"never used", []byte{0xc1}, record.NodeAbsent, none()},
		{"empty", nil, record.NodeAbsent, none()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := record.NodeOf(tt.b)
			assert.Equal(t, tt.kind, n.Kind())
			sameValue(t, tt.want, n.Value(), tt.name)
		})
	}
}

func TestNodeMapsAndArrays(t *testing.T) {
	// {"a": [1, "x", {"b": true}], 7: "int key", "c": nil}
	m := record.NodeOf(cat(fixmap(3),
		mstr("a"), fixarray(3), []byte{0x01}, mstr("x"), fixmap(1), mstr("b"), []byte{0xc3},
		[]byte{0x07}, mstr("int key"),
		mstr("c"), []byte{0xc0}))
	assert.Equal(t, 3, m.Len())
	a := m.Get("a")
	assert.Equal(t, record.NodeArray, a.Kind())
	assert.Equal(t, 3, a.Len())
	sameValue(t, i(1), a.Index(0).Value(), "a[0]")
	got, ok := a.Index(1).Str()
	assert.True(t, ok)
	assert.Equal(t, "x", string(got))
	sameValue(t, b(true), a.Index(2).Get("b").Value(), "a[2].b")
	assert.Equal(t, record.NodeAbsent, a.Index(3).Kind(), "past the end")
	assert.Equal(t, record.NodeNil, m.Get("c").Kind())
	assert.Equal(t, record.NodeAbsent, m.Get("missing").Kind())
	assert.Equal(t, record.NodeAbsent, m.Get("a").Get("b").Kind(), "Get on an array")
	assert.Equal(t, record.NodeAbsent, m.Index(0).Kind(), "Index on a map")

	// a key that is not a string is stepped over
	var keys []string
	it := m.Pairs()
	for {
		k, _, ok := it.Next()
		if !ok {
			break
		}
		keys = append(keys, string(k))
	}
	assert.Equal(t, []string{"a", "c"}, keys)
	assert.Equal(t, `{"a":[1,"x",{"b":true}],"7":"int key","c":null}`, string(m.AppendJSON(nil)))
}

// NodeOf keeps the first value of its bytes, and nothing when they do not hold one whole: a node's
// last child is taken to run to its end (Iter.take), which is true only of a node measured whole.
func TestNodeOfMeasures(t *testing.T) {
	assert.Equal(t, mstr("a"), record.NodeOf(cat(mstr("a"), mstr("b"))).Bytes())
	cut := cat(fixarray(1), fixarray(2), []byte{0x01}) // [[1, and the rest missing
	assert.Equal(t, record.NodeAbsent, record.NodeOf(cut).Kind())
	assert.Equal(t, record.NodeAbsent, record.NodeOf(cut).Index(0).Kind())
}

// NodeOf measures a value of every header, alone and as the child of a container, up to its last
// byte and not past it: the lengths are counted by hand from the msgpack spec.
func TestNodeOfMeasuresEveryHeader(t *testing.T) {
	for name, tt := range map[string]struct {
		b    []byte
		size int
	}{
		"fixint":           {[]byte{0x05}, 1},
		"uint16":           {[]byte{0xcd, 0x01, 0x02}, 3},
		"int64":            {[]byte{0xd3, 0, 0, 0, 0, 0, 0, 0, 1}, 9},
		"float32":          {[]byte{0xca, 0, 0, 0, 0}, 5},
		"fixext 4":         {[]byte{0xd6, 0x01, 1, 2, 3, 4}, 6},
		"fixstr":           {mstr("abc"), 4},
		"str8":             {mstr(strings.Repeat("x", 40)), 42},
		"str16":            {[]byte{0xda, 0x00, 0x02, 'a', 'b'}, 5},
		"bin8":             {mbin("ab"), 4},
		"ext8":             {[]byte{0xc7, 0x02, 0x01, 'a', 'b'}, 5},
		"empty fixmap":     {[]byte{0x80}, 1},
		"empty fixarray":   {[]byte{0x90}, 1},
		"fixmap":           {cat(fixmap(2), mstr("a"), []byte{0x01}, mstr("b"), fixarray(1), mstr("c")), 9},
		"fixarray":         {cat(fixarray(3), []byte{0xc0}, fixmap(1), mstr("k"), mstr("v"), []byte{0x90}), 8},
		"array16":          {[]byte{0xdc, 0x00, 0x02, 0x01, 0xa1, 'z'}, 6},
		"map16":            {[]byte{0xde, 0x00, 0x01, 0xa1, 'k', 0x92, 0x01, 0x02}, 8},
		"array32":          {[]byte{0xdd, 0, 0, 0, 0x02, 0xa1, 'z', 0x91, 0x05}, 9},
		"map32":            {[]byte{0xdf, 0, 0, 0, 0x02, 0xa1, 'a', 0x01, 0xa1, 'b', 0xdd, 0, 0, 0, 0x01, 0xc3}, 16},
		"nested fixarrays": {[]byte{0x91, 0x91, 0x91, 0x80}, 4},
	} {
		t.Run(name, func(t *testing.T) {
			require.Len(t, tt.b, tt.size, "the case itself")
			assert.Equal(t, tt.b, record.NodeOf(cat(tt.b, []byte{0x07, 0x08})).Bytes(), "followed by other values")
			inArray := cat(fixarray(2), tt.b, []byte{0x07}, []byte{0x09})
			assert.Equal(t, inArray[:tt.size+2], record.NodeOf(inArray).Bytes(), "as a child")
			assert.Equal(t, record.NodeAbsent, record.NodeOf(tt.b[:tt.size-1]).Kind(), "cut short")
		})
	}
}

// A node cut short or announcing more than it holds reads as absent; nothing panics.
func TestNodeDamage(t *testing.T) {
	for name, bad := range map[string][]byte{
		"string past the end":   {0xa5, 'a'},
		"str32 past the end":    {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'},
		"map of 2^32-1 pairs":   {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k'},
		"array32 past the end":  {0xdd, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02},
		"map32 header cut":      {0xdf, 0x00, 0x00},
		"array missing element": {0x92, 0x01},
		"uint64 cut":            {0xcf, 0x01},
		"header cut":            {0xdc, 0x00},
	} {
		t.Run(name, func(t *testing.T) {
			n := record.NodeOf(bad)
			_ = n.Kind()
			_ = n.Value()
			_ = n.Len()
			assert.Equal(t, record.NodeAbsent, n.Get("k").Kind())
			assert.Equal(t, record.NodeAbsent, n.Index(1).Kind())
			_ = n.AppendJSON(nil)
			m := record.NodeOf(cat(fixmap(2), mstr("k"), bad, mstr("z"), mstr("v")))
			_ = m.Get("z")
			_ = m.AppendJSON(nil)
		})
	}
}

// A node renders a nested value as compact JSON: extensions, NaN and infinities as null, nesting
// deeper than 64 levels as "…".
func TestNodeJSON(t *testing.T) {
	nested := cat(fixmap(6),
		mstr("f"), f64(0.1), mstr("g"), f64(1e21), mstr("h"), f32(0.1),
		mstr("u"), []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		mstr("s"), mstr("q\"\\\n\x01é"),
		mstr("a"), fixarray(4), []byte{0xc0}, []byte{0xc2}, f64(math.Inf(1)), eventTime(1, 2))
	ev := decodeOne(t, current(sec0, 0, fixmap(1), mstr("n"), nested))
	require.Len(t, ev.Fields, 1)
	assert.Equal(t, `{"f":0.1,"g":1e+21,"h":0.10000000149011612,"u":18446744073709551615,"s":"q\"\\\u000a\u0001é","a":[null,false,null,null]}`,
		string(ev.Fields[0].Raw.AppendJSON(nil)))

	deep := nested
	for range 70 {
		deep = cat(fixarray(1), deep)
	}
	ev = decodeOne(t, current(sec0, 0, fixmap(1), mstr("n"), deep))
	assert.Equal(t, strings.Repeat("[", 65)+`"…"`+strings.Repeat("]", 65), string(ev.Fields[0].Raw.AppendJSON(nil)))
}

func TestParsePath(t *testing.T) {
	good := map[string]record.Path{
		"$log":                           {{Key: "log"}},
		"$kubernetes['labels']['app']":   {{Key: "kubernetes"}, {Key: "labels"}, {Key: "app"}},
		`$kubernetes["labels"]["a'b"]`:   {{Key: "kubernetes"}, {Key: "labels"}, {Key: "a'b"}},
		"$args[0]['value']":              {{Key: "args"}, {Index: 0, IsIndex: true}, {Key: "value"}},
		"$output_fields['k8s.pod.name']": {{Key: "output_fields"}, {Key: "k8s.pod.name"}},
		"$a[12][3]":                      {{Key: "a"}, {Index: 12, IsIndex: true}, {Index: 3, IsIndex: true}},
	}
	for text, want := range good {
		got, err := record.ParsePath(text)
		require.NoError(t, err, text)
		assert.Equal(t, want, got, text)
		again, err := record.ParsePath(got.String())
		require.NoError(t, err, got.String())
		assert.Equal(t, want, again, "String() reads back: %s", got.String())
	}
	for _, bad := range []string{"", "$", "log", "kubernetes.host", "$a b", "$a[", "$a[]", "$a['']", "$a['x'", "$a['x']b",
		"$a[-1]", "$a[+1]", "$a[x]", "$a.b['c']x", "$$a", "$a]", "$['a']"} {
		_, err := record.ParsePath(bad)
		assert.ErrorIs(t, err, record.ErrPath, bad)
	}
}
