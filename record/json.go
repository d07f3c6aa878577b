package record

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
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

// appendJSONAsMsgpack transcodes one JSON object (the whole of src, blanks around it allowed) to
// msgpack appended to dst. Strings are unescaped, integers that fit stay integers (int64, or uint64
// above it), other numbers become float64. Maps, arrays and strings are written with 32-bit lengths,
// patched once known, so the text is read once. ok is false when src is not one well-formed JSON
// object; dst is then returned cut back to its original length.
func appendJSONAsMsgpack(dst, src []byte) ([]byte, bool) {
	start := len(dst)
	r := jsonReader{s: src}
	r.blank()
	if r.i >= len(r.s) || r.s[r.i] != '{' {
		return dst[:start], false
	}
	dst, ok := r.value(dst, 0)
	r.blank()
	if !ok || r.i != len(r.s) {
		return dst[:start], false
	}
	return dst, true
}

type jsonReader struct {
	s []byte
	i int
}

func (r *jsonReader) blank() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) value(dst []byte, depth int) ([]byte, bool) {
	if depth > maxJSONDepth {
		return dst, false
	}
	r.blank()
	if r.i >= len(r.s) {
		return dst, false
	}
	switch c := r.s[r.i]; {
	case c == '{':
		r.i++
		at := len(dst)
		dst = append(dst, 0xdf, 0, 0, 0, 0)
		n := 0
		r.blank()
		if r.i < len(r.s) && r.s[r.i] == '}' {
			r.i++
			return dst, true
		}
		for {
			r.blank()
			if r.i >= len(r.s) || r.s[r.i] != '"' {
				return dst, false
			}
			var ok bool
			if dst, ok = r.str(dst); !ok {
				return dst, false
			}
			r.blank()
			if r.i >= len(r.s) || r.s[r.i] != ':' {
				return dst, false
			}
			r.i++
			if dst, ok = r.value(dst, depth+1); !ok {
				return dst, false
			}
			n++
			done, ok := r.next('}')
			if !ok {
				return dst, false
			}
			if done {
				binary.BigEndian.PutUint32(dst[at+1:], uint32(n))
				return dst, true
			}
		}
	case c == '[':
		r.i++
		at := len(dst)
		dst = append(dst, 0xdd, 0, 0, 0, 0)
		n := 0
		r.blank()
		if r.i < len(r.s) && r.s[r.i] == ']' {
			r.i++
			return dst, true
		}
		for {
			var ok bool
			if dst, ok = r.value(dst, depth+1); !ok {
				return dst, false
			}
			n++
			done, ok := r.next(']')
			if !ok {
				return dst, false
			}
			if done {
				binary.BigEndian.PutUint32(dst[at+1:], uint32(n))
				return dst, true
			}
		}
	case c == '"':
		return r.str(dst)
	case c == 't':
		return r.word(dst, "true", 0xc3)
	case c == 'f':
		return r.word(dst, "false", 0xc2)
	case c == 'n':
		return r.word(dst, "null", 0xc0)
	case c == '-' || c >= '0' && c <= '9':
		return r.number(dst)
	}
	return dst, false
}

// next reads what follows an item of a container: its closing byte (done) or a comma.
func (r *jsonReader) next(closer byte) (done, ok bool) {
	r.blank()
	if r.i >= len(r.s) {
		return false, false
	}
	switch r.s[r.i] {
	case closer:
		r.i++
		return true, true
	case ',':
		r.i++
		return false, true
	}
	return false, false
}

func (r *jsonReader) word(dst []byte, w string, code byte) ([]byte, bool) {
	if len(r.s)-r.i < len(w) || string(r.s[r.i:r.i+len(w)]) != w {
		return dst, false
	}
	r.i += len(w)
	return append(dst, code), true
}

// number reads a JSON number: an integer stays one when it fits 64 bits.
func (r *jsonReader) number(dst []byte) ([]byte, bool) {
	start := r.i
	if r.s[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		n := 0
		for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return dst, false
	}
	integral := true
	if r.i < len(r.s) && r.s[r.i] == '.' {
		r.i++
		integral = false
		if digits() == 0 {
			return dst, false
		}
	}
	if r.i < len(r.s) && (r.s[r.i] == 'e' || r.s[r.i] == 'E') {
		r.i++
		integral = false
		if r.i < len(r.s) && (r.s[r.i] == '+' || r.s[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return dst, false
		}
	}
	text := r.s[start:r.i]
	// The string does not outlive the calls: strconv keeps no reference to it.
	s := unsafe.String(&text[0], len(text))
	if integral {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			dst = append(dst, 0xd3)
			return binary.BigEndian.AppendUint64(dst, uint64(i)), true
		}
		if text[0] != '-' {
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				dst = append(dst, 0xcf)
				return binary.BigEndian.AppendUint64(dst, u), true
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return dst, false
	}
	dst = append(dst, 0xcb)
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(f)), true
}

// str reads a JSON string at r.i (its opening quote) and writes it unescaped as a msgpack str32, or
// a fixstr when it is short.
// Control characters inside the quotes are taken as they are (the encoder replaces them later).
func (r *jsonReader) str(dst []byte) ([]byte, bool) {
	r.i++ // the opening quote
	at := len(dst)
	dst = append(dst, 0xdb, 0, 0, 0, 0)
	for {
		// copy the run up to the next quote or backslash at once
		j := quoteOrBackslash(r.s, r.i)
		dst = append(dst, r.s[r.i:j]...)
		r.i = j
		if r.i >= len(r.s) {
			return dst, false
		}
		if r.s[r.i] == '"' {
			r.i++
			return shortString(dst, at), true
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
			if utf16.IsSurrogate(c) {
				// a pair makes one character; a lone half is U+FFFD
				if c2, ok2 := r.lowSurrogate(); ok2 {
					c = utf16.DecodeRune(c, c2)
				} else {
					c = utf8.RuneError
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

// shortString ends the string written at dst[at:] as a str32: one of up to 31 bytes, the usual key
// and many a value, is moved back into a fixstr, whose header the reader tells without the table of
// codes (Iter.pair).
func shortString(dst []byte, at int) []byte {
	n := len(dst) - at - 5
	if n < 32 {
		dst[at] = 0xa0 | byte(n)
		return dst[:at+1+copy(dst[at+1:], dst[at+5:])]
	}
	binary.BigEndian.PutUint32(dst[at+1:], uint32(n))
	return dst
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
