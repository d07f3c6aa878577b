package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// jsonPair is one member of an object, in the order of the text: a repeated key is kept each time.
type jsonPair struct {
	key   string
	value any
}

// stdlibTree is text as encoding/json reads it (objects as []jsonPair, numbers as the transcoder
// documents them), with the depth of its deepest value: the top object's members are at 1. text
// must be valid JSON.
func stdlibTree(text []byte) (tree any, depth int, err error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var read func(d int) (any, error)
	read = func(d int) (any, error) {
		depth = max(depth, d)
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case json.Delim:
			var v any
			if tok == '[' {
				items := []any{}
				for dec.More() {
					item, err := read(d + 1)
					if err != nil {
						return nil, err
					}
					items = append(items, item)
				}
				v = items
			} else {
				pairs := []jsonPair{}
				for dec.More() {
					key, err := dec.Token()
					if err != nil {
						return nil, err
					}
					value, err := read(d + 1)
					if err != nil {
						return nil, err
					}
					pairs = append(pairs, jsonPair{key.(string), value})
				}
				v = pairs
			}
			_, err := dec.Token() // the closing delimiter
			return v, err
		case json.Number:
			return documentedNumber(tok), nil
		}
		return tok, nil // a string, a bool or nil
	}
	tree, err = read(0)
	return tree, depth, err
}

// documentedNumber is a number as AppendJSONAsMsgpack's comment says it is written: an integer
// that fits stays one (int64, or uint64 above it), any other number is a float64 (±Inf beyond).
func documentedNumber(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// msgpackTree is msgpack as github.com/vmihailenco/msgpack/v5 reads it, in the shapes of stdlibTree.
func msgpackTree(m []byte) (any, error) {
	r := bytes.NewReader(m)
	dec := msgpack.NewDecoder(r)
	dec.UseLooseInterfaceDecoding(true) // every integer an int64 or a uint64, every float a float64
	dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) {
		n, err := d.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		pairs := []jsonPair{}
		for range n {
			key, err := d.DecodeString()
			if err != nil {
				return nil, err
			}
			value, err := d.DecodeInterfaceLoose()
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, jsonPair{key, value})
		}
		return pairs, nil
	})
	v, err := dec.DecodeInterfaceLoose()
	if err == nil && r.Len() != 0 {
		err = fmt.Errorf("%d bytes after the value", r.Len())
	}
	return v, err
}

// canonical writes a tree as text that tells every type and value apart (-0.0 from 0, an int64
// from a uint64 or a float64). An invalid byte in a string is written as U+FFFD, as encoding/json
// reads it: the transcoder keeps such bytes on purpose (see str).
func canonical(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		fmt.Fprintf(b, "int64(%d)", v)
	case uint64:
		fmt.Fprintf(b, "uint64(%d)", v)
	case float64:
		fmt.Fprintf(b, "float64(%s)", strconv.FormatFloat(v, 'g', -1, 64))
	case string:
		b.WriteString(strconv.QuoteToASCII(string([]rune(v)))) // []rune makes each invalid byte U+FFFD
	case []any:
		b.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			canonical(b, item)
		}
		b.WriteByte(']')
	case []jsonPair:
		b.WriteByte('{')
		for i, p := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			canonical(b, p.key)
			b.WriteByte(':')
			canonical(b, p.value)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%T(%v)", v, v)
	}
}

func canonicalText(v any) string {
	var b strings.Builder
	canonical(&b, v)
	return b.String()
}

// strictJSON is text with what the transcoder takes on purpose and JSON forbids written as JSON
// has it: a control character inside a string escaped (str takes it as it is), and the leading
// zeros of an integer part dropped (number reads them as strconv does). A text the transcoder
// takes is then valid JSON of the same value.
func strictJSON(text []byte) []byte {
	numberByte := func(c byte) bool { return c >= '0' && c <= '9' || strings.IndexByte(".eE+-", c) >= 0 }
	out := make([]byte, 0, len(text))
	inString := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString && c == '\\' && i+1 < len(text):
			out = append(out, c)
			i++
			c = text[i]
		case inString && c < ' ':
			out = fmt.Appendf(out, `\u%04x`, c)
			continue
		case c == '"':
			inString = !inString
		case !inString && c >= '0' && c <= '9' &&
			(i == 0 || !numberByte(text[i-1]) || text[i-1] == '-' && (i == 1 || text[i-2]|0x20 != 'e')):
			// the first digit of an integer part (not of a fraction or an exponent)
			for c == '0' && i+1 < len(text) && text[i+1] >= '0' && text[i+1] <= '9' {
				i++
				c = text[i]
			}
		}
		out = append(out, c)
	}
	return out
}

// checkAgainstStdlib: text is transcoded only when encoding/json takes it (as strictJSON writes
// it) as an object within maxJSONDepth, always then, and the transcoded msgpack holds what
// encoding/json reads, member by member in the order of the text. The transcoding does not depend
// on the room behind dst (str copies word by word when there is room for it).
func checkAgainstStdlib(t *testing.T, text []byte) {
	t.Helper()
	m, ok := AppendJSONAsMsgpack(nil, text)
	roomy, roomyOK := AppendJSONAsMsgpack(append(make([]byte, 0, 3*len(text)+64), "pre"...), text)
	if roomyOK != ok || string(roomy[:3]) != "pre" || !bytes.Equal(roomy[3:], m) {
		t.Errorf("%.300q: with room behind dst % x (%v), without % x (%v)", text, roomy, roomyOK, m, ok)
	}
	if !ok {
		if json.Valid(text) && bytes.TrimLeft(text, " \t\r\n")[0] == '{' {
			if _, depth, err := stdlibTree(text); err != nil || depth <= maxJSONDepth {
				t.Errorf("%.300q: refused, but encoding/json takes it (%v)", text, err)
			}
		}
		return
	}
	strict := strictJSON(text)
	if !json.Valid(strict) {
		t.Errorf("%.300q: taken, but encoding/json refuses it (as %.300q)", text, strict)
		return
	}
	want, depth, err := stdlibTree(strict)
	if err != nil || depth > maxJSONDepth {
		t.Errorf("%.300q: taken, and encoding/json reads it at depth %d: %v", text, depth, err)
		return
	}
	got, err := msgpackTree(m)
	if err != nil {
		t.Errorf("%.300q: the msgpack % x does not decode: %v", text, m, err)
		return
	}
	if g, w := canonicalText(got), canonicalText(want); g != w {
		t.Errorf("%.300q:\n got %.600s\nwant %.600s", text, g, w)
	}
}

// nested is inner as the value of "a" under depth objects, the top one included: inner is at depth.
func nested(depth int, inner string) string {
	return strings.Repeat(`{"a":`, depth) + inner + strings.Repeat(`}`, depth)
}

// stdlibCases are texts and whether they are transcoded, written from RFC 8259 and the
// transcoder's documented leniency; checkAgainstStdlib says what they are transcoded to.
var stdlibCases = []struct {
	text  string
	taken bool
}{
	// every escape, in keys and values, in short strings (copied word by word) and long ones
	{`{"a":"\"\\\/\b\f\n\r\t"}`, true},
	{`{"\"\\\/\b\f\n\r\t":"x"}`, true},
	{`{"a":"` + strings.Repeat("x", 40) + `\"\\\/\b\f\n\r\t` + strings.Repeat("y", 40) + `"}`, true},
	{`{"a":"` + strings.Repeat("x", 31) + `\n"}`, true},
	{`{"a":"\u0000\u001f\u0020\u007f\u0080\u07ff\u0800\uFFFF\ufffe\u00E9\u00e9"}`, true},
	{`{"a":"\x"}`, false},
	{`{"a":"\'"}`, false},
	{`{"a":"\U0041"}`, false},
	{`{"a":"\u12"}`, false},
	{`{"a":"\u12g4"}`, false},
	{`{"a":"\u`, false},
	{`{"a":"\`, false},
	{`{"a":"abc`, false},
	{`{"a":"abc}`, false},
	// surrogates: a high one followed by a low one is one character; every other one is U+FFFD
	{`{"a":"\ud83d\ude00","\uD83D\uDE00":1}`, true},
	{`{"a":"\udbff\udfff\ud800\udc00"}`, true},
	{`{"a":"\ud7ff\ue000"}`, true},
	{`{"a":"\ud800"}`, true},
	{`{"a":"x\ud800"}`, true},
	{`{"a":"\ud800x"}`, true},
	{`{"a":"\ud800\u0041"}`, true},
	{`{"a":"\ud800\n"}`, true},
	{`{"a":"\ud800\\udc00"}`, true},
	{`{"a":"\ud800\ud800"}`, true},
	{`{"a":"\ud800\ud800\udc00"}`, true},
	{`{"a":"\udc00"}`, true},
	{`{"a":"\udc00\udc00"}`, true},
	{`{"\udc00\udfff":"\udfff\udc00\udc00"}`, true},
	{`{"a":"\udc00\ud800\udc00"}`, true},
	{`{"a":"\udfff\ud83d\ude00\udc00"}`, true},
	{`{"a":"` + strings.Repeat("x", 30) + `\udc00\udc00` + strings.Repeat("y", 30) + `"}`, true},
	{`{"a":"\ud800\u"}`, false},
	{`{"a":"\ud800\uzzzz"}`, false},
	{`{"a":"\ud800\u12"}`, false},
	{`{"a":"\ud800`, false},
	// bytes that are not UTF-8, and control characters, are kept as they are (on purpose)
	{"{\"a\":\"\xff\xfe\"}", true},
	{"{\"\xed\xa0\x80\":\"\xc0\x80\xc3\"}", true},
	{"{\"a\":\"tab\there\x00\x1f\"}", true},
	{"{\"a\x01\":\"\n\"}", true},
	// numbers at the int64, uint64 and float64 edges
	{`{"a":[0,-0,0.0,-0.0,0e0,-0e-0,1E+2,1e-2,1.5,-1.5e3,127,128,-32,-33,-128,-129]}`, true},
	{`{"a":[9223372036854775807,-9223372036854775808,9223372036854775808,-9223372036854775809]}`, true},
	{`{"a":[18446744073709551615,18446744073709551616,-18446744073709551615,123456789012345678901234567890]}`, true},
	{`{"a":[9007199254740993,9007199254740993.0,1.7976931348623157e308,1.7976931348623159e308,1e309,-1e309]}`, true},
	{`{"a":[5e-324,4.9e-324,2e-324,1e-400,-1e-400,0.1,1e-7,100000000000000000000000e-23]}`, true},
	{`{"a":1e999999999999999999999}`, true},
	{`{"a":[007,-01,00.5,0e007,-007e-007,00000000000000000000042]}`, true}, // leading zeros: on purpose
	{`{"a":-}`, false},
	{`{"a":1.}`, false},
	{`{"a":.5}`, false},
	{`{"a":+1}`, false},
	{`{"a":1e}`, false},
	{`{"a":1e+}`, false},
	{`{"a":1e+-1}`, false},
	{`{"a":1.e5}`, false},
	{`{"a":--1}`, false},
	{`{"a":0x10}`, false},
	{`{"a":1-2}`, false},
	{`{"a":NaN}`, false},
	{`{"a":Infinity}`, false},
	{`{"a":-Infinity}`, false},
	// literals, containers, duplicate keys
	{`{"t":true,"f":false,"n":null}`, true},
	{`{"a":tru}`, false},
	{`{"a":True}`, false},
	{`{"a":nul}`, false},
	{`{"a":nulll}`, false},
	{`{}`, true},
	{`{"":""}`, true},
	{`{"a":{},"b":[],"c":[{},[],[[]],{"d":[]}]}`, true},
	{`{"a":{"b":{"c":[1,{"d":[2,[3,{"e":null}]]}]}},"f":[[1,2],[3,[4,[5]]]]}`, true},
	{`{"a":1,"a":2}`, true},
	{`{"a":1,"b":2,"a":{"a":[1,{"a":3,"a":4}]},"b":[]}`, true},
	// blanks everywhere JSON allows them, and nowhere else
	{" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n} \t\r\n] \t\r\n, \"b\"\n:\n\"c\"\n} \t\r\n", true},
	{"{\f}", false},
	{"{\"a\":1\v}", false},
	{"\xef\xbb\xbf{}", false},
	{"{}\x00", false},
	{"{\x00}", false},
	{"{\"a\":\x001}", false},
	{"{\"a\" \u00a0: 1}", false},
	// not one object
	{``, false},
	{` `, false},
	{`[]`, false},
	{`"s"`, false},
	{`1`, false},
	{`null`, false},
	{`{`, false},
	{`}`, false},
	{`{}}`, false},
	{`{} x`, false},
	{`{}{}`, false},
	{`{"a":1,}`, false},
	{`{"a":[1,]}`, false},
	{`{"a":[1 2]}`, false},
	{`{"a" 1}`, false},
	{`{"a":1 "b":2}`, false},
	{`{a:1}`, false},
	{`{'a':1}`, false},
	{`{"a":[}`, false},
	{`{"a":]}`, false},
	{`{,}`, false},
	// nesting up to maxJSONDepth, and beyond (refused on purpose, though encoding/json takes it)
	{nested(maxJSONDepth, `1`), true},
	{nested(maxJSONDepth, `{}`), true},
	{nested(maxJSONDepth, `[]`), true},
	{nested(maxJSONDepth-1, `[[]]`), true},
	{nested(maxJSONDepth, `[1]`), false},
	{nested(maxJSONDepth+1, `1`), false},
	{nested(maxJSONDepth+1, `{}`), false},
	{`{"a":` + strings.Repeat(`[`, maxJSONDepth-2) + `{"b":1}` + strings.Repeat(`]`, maxJSONDepth-2) + `}`, true},
	{`{"a":` + strings.Repeat(`[`, maxJSONDepth-1) + `{"b":1}` + strings.Repeat(`]`, maxJSONDepth-1) + `}`, false},
}

// TestJSONAgainstStdlib: each text is taken or refused as written, and checkAgainstStdlib holds.
func TestJSONAgainstStdlib(t *testing.T) {
	for _, c := range stdlibCases {
		if _, ok := AppendJSONAsMsgpack(nil, []byte(c.text)); ok != c.taken {
			t.Errorf("%.300q: taken %v, want %v", c.text, ok, c.taken)
		}
		checkAgainstStdlib(t, []byte(c.text))
	}
}

// FuzzJSONAgainstStdlib: checkAgainstStdlib holds for any text.
func FuzzJSONAgainstStdlib(f *testing.F) {
	for _, c := range stdlibCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkAgainstStdlib(t, []byte(text))
	})
}
