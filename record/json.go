package record

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/kcs-siem/siem-cef/internal/swar"
)

// maxJSONDepth bounds the nesting of an event carried as JSON text; a deeper text is not decoded
// (it stays a plain log line). The recursion is bounded by it.
const maxJSONDepth = 256

// looksLikeJSONObject reports text whose first non-blank byte opens a JSON object.
func looksLikeJSONObject(s []byte) bool {
	for _, c := range s {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// AppendJSONAsMsgpack transcodes one JSON object (the whole of src, blanks around it allowed) to
// msgpack appended to dst. Strings are unescaped, integers that fit stay integers (int64, or uint64
// above it), other numbers become float64; each is written in msgpack's shortest form. Maps and
// arrays are written with 32-bit counts, patched once known, so the text is read once. ok is false
// when src is not one well-formed JSON object; dst is then returned cut back to its original length.
func AppendJSONAsMsgpack(dst, src []byte) ([]byte, bool) {
	start := len(dst)
	r := jsonReader{s: src}
	if r.nonBlank() != '{' {
		return dst[:start], false
	}
	dst, ok := r.object(dst, 0)
	if !ok || r.nonBlank() != 0 || r.i != len(r.s) {
		return dst[:start], false
	}
	return dst, true
}

type jsonReader struct {
	s []byte
	i int
}

// nonBlank steps over blanks and returns the byte at r.i, or 0 at the end: no JSON token starts
// with 0, so a caller that wants a token refuses the end with the same test.
func (r *jsonReader) nonBlank() byte {
	if r.i < len(r.s) && r.s[r.i] > ' ' { // no blank: the usual case in a sensor's compact JSON
		return r.s[r.i]
	}
	for ; r.i < len(r.s); r.i++ {
		switch c := r.s[r.i]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// value reads the value that starts with c, the byte at r.i.
func (r *jsonReader) value(dst []byte, c byte, depth int) ([]byte, bool) {
	switch c {
	case '"':
		return r.str(dst)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return r.number(dst)
	case '{':
		return r.object(dst, depth)
	case '[':
		return r.array(dst, depth)
	case 't':
		return r.word(dst, "true", 0xc3)
	case 'f':
		return r.word(dst, "false", 0xc2)
	case 'n':
		return r.word(dst, "null", 0xc0)
	}
	return dst, false
}

// object reads the object whose opening brace is at r.i, at nesting depth; its members are one
// deeper, refused beyond maxJSONDepth.
func (r *jsonReader) object(dst []byte, depth int) ([]byte, bool) {
	r.i++
	at := len(dst)
	dst = append(dst, 0xdf, 0, 0, 0, 0)
	c := r.nonBlank()
	if c == '}' {
		r.i++
		return dst, true
	}
	if depth >= maxJSONDepth {
		return dst, false
	}
	for n := uint32(1); ; n++ {
		var ok bool
		if c != '"' {
			return dst, false
		}
		if dst, ok = r.str(dst); !ok || r.nonBlank() != ':' {
			return dst, false
		}
		r.i++
		if c = r.nonBlank(); c == '"' { // the usual value, read without value's dispatch
			dst, ok = r.str(dst)
		} else {
			dst, ok = r.value(dst, c, depth+1)
		}
		if !ok {
			return dst, false
		}
		switch r.nonBlank() {
		case ',':
			r.i++
			c = r.nonBlank()
		case '}':
			r.i++
			binary.BigEndian.PutUint32(dst[at+1:], n)
			return dst, true
		default:
			return dst, false
		}
	}
}

// array reads the array whose opening bracket is at r.i, at nesting depth; as object.
func (r *jsonReader) array(dst []byte, depth int) ([]byte, bool) {
	r.i++
	at := len(dst)
	dst = append(dst, 0xdd, 0, 0, 0, 0)
	c := r.nonBlank()
	if c == ']' {
		r.i++
		return dst, true
	}
	if depth >= maxJSONDepth {
		return dst, false
	}
	for n := uint32(1); ; n++ {
		var ok bool
		if dst, ok = r.value(dst, c, depth+1); !ok {
			return dst, false
		}
		switch r.nonBlank() {
		case ',':
			r.i++
			c = r.nonBlank()
		case ']':
			r.i++
			binary.BigEndian.PutUint32(dst[at+1:], n)
			return dst, true
		default:
			return dst, false
		}
	}
}

func (r *jsonReader) word(dst []byte, w string, code byte) ([]byte, bool) {
	if len(r.s)-r.i < len(w) || string(r.s[r.i:r.i+len(w)]) != w {
		return dst, false
	}
	r.i += len(w)
	return append(dst, code), true
}

// digits steps over a run of decimal digits and returns its length.
func (r *jsonReader) digits() int {
	from := r.i
	for r.i < len(r.s) && r.s[r.i]-'0' <= 9 {
		r.i++
	}
	return r.i - from
}

// number reads a JSON number: an integer stays one when it fits 64 bits. An integer of up to 19
// digits, which cannot overflow a uint64, is read here; others go to strconv. Leading zeros, which
// JSON forbids, are read as strconv reads them (007 is 7): refusing them would turn the whole
// event back into a plain log line for a number whose value is plain.
func (r *jsonReader) number(dst []byte) ([]byte, bool) {
	s, start := r.s, r.i
	neg := s[start] == '-'
	i := start
	if neg {
		i++
	}
	var u uint64
	from := i
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			break
		}
		u = u*10 + uint64(d) // wraps past 19 digits, and is then not used
	}
	r.i = i
	n := i - from
	if n == 0 {
		return dst, false
	}
	if n <= 19 && (i == len(s) || s[i] != '.' && s[i]|0x20 != 'e') {
		switch {
		case !neg && u <= math.MaxInt64:
			return appendInt(dst, int64(u)), true
		case neg && u <= 1<<63:
			return appendInt(dst, int64(-u)), true // -(1<<63) wraps to itself, the smallest int64
		case !neg:
			dst = append(dst, 0xcf)
			return binary.BigEndian.AppendUint64(dst, u), true
		}
	}
	return r.numberText(dst, start)
}

// numberText reads the rest of a number that started at start (its integer digits read) and
// converts its text with strconv: a fraction, an exponent, or more digits than number reads.
func (r *jsonReader) numberText(dst []byte, start int) ([]byte, bool) {
	integral := true
	if r.i < len(r.s) && r.s[r.i] == '.' {
		r.i++
		integral = false
		if r.digits() == 0 {
			return dst, false
		}
	}
	if r.i < len(r.s) && r.s[r.i]|0x20 == 'e' {
		r.i++
		integral = false
		if r.i < len(r.s) && (r.s[r.i] == '+' || r.s[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return dst, false
		}
	}
	text := r.s[start:r.i]
	// The string does not outlive the calls: strconv keeps no reference to it.
	s := unsafe.String(&text[0], len(text))
	if integral {
		// strconv is asked only what it can answer: its errors copy the text, and a hostile line
		// may hold many long numbers.
		neg := text[0] == '-'
		digits := strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
		switch {
		case !neg && fitsDigits(digits, "18446744073709551615"):
			u, _ := strconv.ParseUint(s, 10, 64)
			if u <= math.MaxInt64 {
				return appendInt(dst, int64(u)), true
			}
			dst = append(dst, 0xcf)
			return binary.BigEndian.AppendUint64(dst, u), true
		case neg && fitsDigits(digits, "9223372036854775808"):
			i, _ := strconv.ParseInt(s, 10, 64)
			return appendInt(dst, i), true
		case len(digits) > 309: // past float64's largest, 1.8e308: infinite, as ParseFloat reads it
			inf := math.Inf(1)
			if neg {
				inf = math.Inf(-1)
			}
			dst = append(dst, 0xcb)
			return binary.BigEndian.AppendUint64(dst, math.Float64bits(inf)), true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return dst, false
	}
	dst = append(dst, 0xcb)
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(f)), true
}

// fitsDigits reports a number's digits, without sign or leading zeros, at most max's.
func fitsDigits(digits, max string) bool {
	return len(digits) < len(max) || len(digits) == len(max) && digits <= max
}

// appendInt writes an integer in msgpack's shortest signed form: every one is read as NodeInt.
func appendInt(dst []byte, v int64) []byte {
	switch {
	case v >= -32 && v <= math.MaxInt8: // a fixint
		return append(dst, byte(v))
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, 0xd0, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(v))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
}

// str reads a JSON string at r.i (its opening quote) and writes it unescaped as a msgpack string.
// One of under 32 bytes, the usual key and many a value, is copied word by word as its closing
// quote is looked for, behind a fixstr header: no call to copy it. Control characters inside the
// quotes, which JSON forbids, are taken as they are (the encoder replaces them later), and so are
// bytes that are not UTF-8, as in a string the record holds itself: the encoder writes each as
// U+FFFD, as encoding/json reads it.
func (r *jsonReader) str(dst []byte) ([]byte, bool) {
	from := r.i + 1 // after the opening quote
	if len(r.s)-from < 32 || cap(dst)-len(dst) < 33 {
		return r.longStr(dst, from, from)
	}
	// slices of a constant length: their words are read and written without a check each
	src, out := r.s[from:from+32:from+32], dst[len(dst):len(dst)+33:len(dst)+33]
	for k := 0; k < 32; k += 8 {
		w := binary.LittleEndian.Uint64(src[k : k+8 : k+8])
		binary.LittleEndian.PutUint64(out[1+k:9+k:9+k], w)
		if m := swar.Equal(w, quotes) | swar.Equal(w, slashes); m != 0 {
			n := k + bits.TrailingZeros64(m)/8
			if src[n] != '"' {
				return r.escaped(dst, from, from+n)
			}
			out[0] = 0xa0 | byte(n)
			r.i = from + n + 1
			return dst[:len(dst)+1+n], true
		}
	}
	return r.longStr(dst, from, from+32)
}

// longStr reads a string that starts at from, with no quote or backslash before clean: one
// without an escape is measured by its closing quote and copied at once.
func (r *jsonReader) longStr(dst []byte, from, clean int) ([]byte, bool) {
	j := quoteOrBackslash(r.s, clean)
	if j < len(r.s) && r.s[j] == '"' {
		r.i = j + 1
		return append(appendStrHeader(dst, j-from), r.s[from:j]...), true
	}
	return r.escaped(dst, from, j)
}

// escaped reads a string with escapes from from, after its opening quote, whose first quote or
// backslash is at j (its caller found it): it is written after a str32 header, whose length is known
// at its end (endString).
func (r *jsonReader) escaped(dst []byte, from, j int) ([]byte, bool) {
	r.i = from
	at := len(dst)
	dst = append(dst, 0xdb, 0, 0, 0, 0)
	for ; ; j = quoteOrBackslash(r.s, r.i) {
		// copy the run up to the next quote or backslash at once
		dst = append(dst, r.s[r.i:j]...)
		r.i = j
		if r.i >= len(r.s) {
			return dst, false
		}
		if r.s[r.i] == '"' {
			r.i++
			return endString(dst, at), true
		}
		// an escape
		if r.i+1 >= len(r.s) {
			return dst, false
		}
		e := r.s[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			c, ok := r.hex4()
			if !ok {
				return dst, false
			}
			// A high surrogate and a low one after it make one character; any other surrogate,
			// a low one even after a low one, is U+FFFD on its own (utf8.AppendRune writes it), as
			// encoding/json reads it.
			if c >= 0xd800 && c < 0xdc00 {
				if c2, ok2 := r.lowSurrogate(); ok2 {
					c = utf16.DecodeRune(c, c2)
				}
			}
			dst = utf8.AppendRune(dst, c)
		default:
			return dst, false
		}
	}
}

func (r *jsonReader) hex4() (rune, bool) {
	if len(r.s)-r.i < 4 {
		return 0, false
	}
	var c rune
	for _, h := range r.s[r.i : r.i+4] {
		c <<= 4
		switch {
		case h >= '0' && h <= '9':
			c |= rune(h - '0')
		case h >= 'a' && h <= 'f':
			c |= rune(h - 'a' + 10)
		case h >= 'A' && h <= 'F':
			c |= rune(h - 'A' + 10)
		default:
			return 0, false
		}
	}
	r.i += 4
	return c, true
}

// lowSurrogate reads a following \uDC00–\uDFFF escape, if there is one.
func (r *jsonReader) lowSurrogate() (rune, bool) {
	if len(r.s)-r.i < 6 || r.s[r.i] != '\\' || r.s[r.i+1] != 'u' {
		return 0, false
	}
	save := r.i
	r.i += 2
	c, ok := r.hex4()
	if !ok || c < 0xdc00 || c > 0xdfff {
		r.i = save
		return 0, false
	}
	return c, true
}

// appendStrHeader writes the shortest header of a msgpack string of n bytes: a fixstr, the usual
// key and many a value, the reader tells without the table of codes (Iter.pair, sizeFrom).
func appendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
}

// endString ends the string written at dst[at:] after a str32 header: the header is rewritten as
// the shortest and the string moved back behind it.
func endString(dst []byte, at int) []byte {
	n := len(dst) - at - 5
	h := len(appendStrHeader(dst[at:at], n)) // written over the str32 header, which is longer or as long
	if h == 5 {
		return dst
	}
	return dst[:at+h+copy(dst[at+h:], dst[at+5:])]
}

// Bytes repeated in every byte of a word, for quoteOrBackslash.
const quotes, slashes = '"' * swar.Ones, '\\' * swar.Ones

// quoteOrBackslash is the index of the first '"' or '\\' in s from i, len(s) when there is none. It
// looks at a word of 8 bytes at a time: the text of a string is read once.
func quoteOrBackslash(s []byte, i int) int {
	for ; len(s)-i >= 8; i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		// the lowest mark is the first quote or backslash
		if m := swar.Equal(w, quotes) | swar.Equal(w, slashes); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && s[i] != '"' && s[i] != '\\'; i++ {
	}
	return i
}
