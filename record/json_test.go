package record

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// transcodedValue is the msgpack that AppendJSONAsMsgpack writes for the value of "v" in
// {"v":text}; ok is false when the object is refused.
func transcodedValue(t *testing.T, text string) (b []byte, ok bool) {
	t.Helper()
	m, ok := AppendJSONAsMsgpack(nil, []byte(`{"v":`+text+`}`))
	if !ok {
		return nil, false
	}
	v := NodeOf(m).Get("v")
	if v.Kind() == NodeAbsent {
		t.Fatalf("%s: transcoded, but no value under v: % x", text, m)
	}
	return v.Bytes(), true
}

// Numbers are written in msgpack's shortest form: integers as the smallest signed type that holds
// them (a fixint from -32 to 127), uint64 only above the largest int64, float64 for the rest, as
// the msgpack spec encodes each.
func TestJSONNumbersInTheirShortestForm(t *testing.T) {
	for text, want := range map[string][]byte{
		"0":                     {0x00},
		"-0":                    {0x00},
		"007":                   {0x07}, // leading zeros are taken, as strconv takes them
		"127":                   {0x7f},
		"128":                   {0xd1, 0x00, 0x80},
		"-32":                   {0xe0},
		"-33":                   {0xd0, 0xdf},
		"-128":                  {0xd0, 0x80},
		"-129":                  {0xd1, 0xff, 0x7f},
		"32767":                 {0xd1, 0x7f, 0xff},
		"32768":                 {0xd2, 0x00, 0x00, 0x80, 0x00},
		"1846367":               {0xd2, 0x00, 0x1c, 0x2c, 0x5f},
		"-2147483648":           {0xd2, 0x80, 0x00, 0x00, 0x00},
		"2147483648":            {0xd3, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00},
		"1773308451100200300":   {0xd3, 0x18, 0x9c, 0x0e, 0xa4, 0x11, 0x06, 0x8d, 0x6c},
		"9223372036854775807":   {0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"-9223372036854775808":  {0xd3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		"9223372036854775808":   {0xcf, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		"9999999999999999999":   {0xcf, 0x8a, 0xc7, 0x23, 0x04, 0x89, 0xe7, 0xff, 0xff},
		"18446744073709551615":  {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"000000000000000000042": {0x2a},
		// past 64 bits: a float64
		"18446744073709551616":  {0xcb, 0x43, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		"-9223372036854775809":  {0xcb, 0xc3, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		"-10000000000000000000": {0xcb, 0xc3, 0xe1, 0x58, 0xe4, 0x60, 0x91, 0x3d, 0x00},
		"1.5e3":                 {0xcb, 0x40, 0x97, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00},
		"1E2":                   {0xcb, 0x40, 0x59, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		"-0.0":                  {0xcb, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		"1e400":                 {0xcb, 0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	} {
		got, ok := transcodedValue(t, text)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%s: % x (ok %v), want % x", text, got, ok, want)
		}
	}
	for _, text := range []string{"-", "1.", "1e", "1e+", ".5", "+1", "--1", "1.e5", "0x10", "1-2", "01a"} {
		if got, ok := transcodedValue(t, text); ok {
			t.Errorf("%s: taken as % x", text, got)
		}
	}
}

// A string gets the shortest header for its length, escaped or not: fixstr up to 31 bytes, str8 up
// to 255, str16 up to 65535, str32 beyond; and what follows it is read after it.
func TestJSONStringHeaders(t *testing.T) {
	for n, header := range map[int][]byte{
		0:     {0xa0},
		31:    {0xbf},
		32:    {0xd9, 0x20},
		255:   {0xd9, 0xff},
		256:   {0xda, 0x01, 0x00},
		65535: {0xda, 0xff, 0xff},
		65536: {0xdb, 0x00, 0x01, 0x00, 0x00},
	} {
		x := strings.Repeat("x", n)
		texts := map[string]string{x: x} // the JSON text of a string, and the string
		if n > 0 {
			texts[`\n`+x[1:]] = "\n" + x[1:]
		}
		for text, plain := range texts {
			m, ok := AppendJSONAsMsgpack(nil, []byte(`{"`+text+`":"`+text+`","after":1}`))
			want := append(append([]byte{0xdf, 0, 0, 0, 2}, header...), plain...)
			want = append(append(want, header...), plain...)
			want = append(want, 0xa5, 'a', 'f', 't', 'e', 'r', 0x01)
			if !ok || !bytes.Equal(m, want) {
				t.Errorf("%.8q… of %d bytes: %d bytes (ok %v) starting % x, want % x…", text, n, len(m), ok, m[:min(len(m), 12)], want[:12])
			}
		}
	}
}

// jsonNumber is the grammar of a number the reader takes: JSON's, with leading zeros.
var jsonNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// FuzzJSONNumber: a number is taken when it has the grammar, and then read as strconv reads it: an
// integer of 64 bits stays one (int64, else uint64 when not negative), anything else is a float64.
func FuzzJSONNumber(f *testing.F) {
	for _, seed := range []string{"0", "-1", "1846367", "9223372036854775808", "-9223372036854775809",
		"18446744073709551616", "1.5e-3", "007", "1e400", "12345678901234567890123", "-", "1."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Trim(text, "0123456789+-.eE") != "" {
			t.Skip() // not made of what a number is made of: another value, or what ends one
		}
		b, ok := transcodedValue(t, text)
		if ok != jsonNumber.MatchString(text) {
			t.Fatalf("%q taken: %v", text, ok)
		}
		if !ok {
			return
		}
		got := NodeOf(b).Value()
		integral := !strings.ContainsAny(text, ".eE")
		if i, err := strconv.ParseInt(text, 10, 64); integral && err == nil {
			if got.Kind != KindInt || got.Int() != i {
				t.Fatalf("%q: %+v, want the int64 %d", text, got, i)
			}
			return
		}
		if u, err := strconv.ParseUint(text, 10, 64); integral && err == nil {
			if got.Kind != KindUint || got.Uint() != u {
				t.Fatalf("%q: %+v, want the uint64 %d", text, got, u)
			}
			return
		}
		want, _ := strconv.ParseFloat(text, 64)
		if got.Kind != KindFloat || math.Float64bits(got.Float()) != math.Float64bits(want) {
			t.Fatalf("%q: %+v, want the float64 %v", text, got, want)
		}
	})
}

// Nesting is refused only beyond maxJSONDepth: the top object is at depth 0, and a value, an empty
// container as much as a scalar, is taken at depth maxJSONDepth and refused one deeper.
func TestJSONDepthBound(t *testing.T) {
	inObjects := func(depth int, inner string) string { // inner at depth
		return strings.Repeat(`{"a":`, depth) + inner + strings.Repeat(`}`, depth)
	}
	inArrays := func(depth int, inner string) string { // inner at depth, under the top object
		return `{"a":` + strings.Repeat(`[`, depth-1) + inner + strings.Repeat(`]`, depth-1) + `}`
	}
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{inObjects(maxJSONDepth, `1`), true},
		{inObjects(maxJSONDepth, `"s"`), true},
		{inObjects(maxJSONDepth-1, `{}`), true},
		{inObjects(maxJSONDepth, `{}`), true},
		{inObjects(maxJSONDepth+1, `1`), false},
		{inObjects(maxJSONDepth+1, `"s"`), false},
		{inObjects(maxJSONDepth+1, `{}`), false},
		{inArrays(maxJSONDepth, `1`), true},
		{inArrays(maxJSONDepth, `[]`), true},
		{inArrays(maxJSONDepth+1, `[]`), false},
		{inArrays(maxJSONDepth+1, `"s"`), false},
	} {
		if _, ok := AppendJSONAsMsgpack(nil, []byte(c.text)); ok != c.ok {
			t.Errorf("%.12s…%.12s (%d bytes): taken %v, want %v", c.text, c.text[len(c.text)-12:], len(c.text), ok, c.ok)
		}
	}
}

// A high surrogate escape followed by a low one is one character; every other surrogate escape is
// U+FFFD on its own, as encoding/json reads it (RFC 8259 leaves them undefined), and what follows it
// is read after it.
func TestJSONSurrogates(t *testing.T) {
	for text, want := range map[string]string{
		`\ud83d\ude00`:             "\U0001F600",
		`\uD83D\uDE00`:             "\U0001F600",
		`\udbff\udfff`:             "\U0010FFFF",
		`\ud7ff\ue000`:             "\uD7FF\uE000",
		`\ud800`:                   "\uFFFD",
		`\ud800x`:                  "\uFFFDx",
		`\ud800\u0041`:             "\uFFFDA",
		`\ud800\n`:                 "\uFFFD\n",
		`\ud800\ud800`:             "\uFFFD\uFFFD",
		`\ud800\ud800\udc00`:       "\uFFFD\U00010000",
		`\udc00`:                   "\uFFFD",
		`\udc00\udc00`:             "\uFFFD\uFFFD",
		`\udfff\udc00\udc00`:       "\uFFFD\uFFFD\uFFFD",
		`\udc00\ud800\udc00`:       "\uFFFD\U00010000",
		`\udc00\ud83d\ude00\udfff`: "\uFFFD\U0001F600\uFFFD",
	} {
		got, ok := transcodedValue(t, `"`+text+`"`)
		if want := append([]byte{0xa0 | byte(len(want))}, want...); !ok || !bytes.Equal(got, want) {
			t.Errorf("%s: %+q (ok %v), want %+q", text, got, ok, want)
		}
	}
}
