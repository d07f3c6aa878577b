package cef

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// The escaping rules of cef-rules.md. Both appenders cut the value to max characters on a character
// boundary before escaping, so an escape sequence is never cut; both replace invalid UTF-8 with U+FFFD
// and control characters with a space (CEF has no escape for them).

// appendValue appends an extension value. Whitespace and control characters at either end are
// trimmed, since parsers do not keep them reliably; so is whitespace left at the end by the cut.
func appendValue(dst, v []byte, max int) []byte {
	v = trimCut(v, max)
	for len(v) > 0 {
		c := v[0]
		if c < utf8.RuneSelf {
			v = v[1:]
			switch {
			case c == '\\':
				dst = append(dst, '\\', '\\')
			case c == '=':
				dst = append(dst, '\\', '=')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, ' ')
			default:
				dst = append(dst, c)
			}
			continue
		}
		var size int
		dst, size = appendRune(dst, v)
		v = v[size:]
	}
	return dst
}

// trimCut trims whitespace and control characters at both ends and keeps at most max characters,
// trimming again where the cut ends.
func trimCut(v []byte, max int) []byte {
	return bytes.TrimRightFunc(cutChars(bytes.TrimFunc(v, isBlank), max), isBlank)
}

func isBlank(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// cutChars keeps the first max characters of v; an invalid byte counts as one (it becomes U+FFFD).
func cutChars(v []byte, max int) []byte {
	if len(v) <= max {
		return v
	}
	i := 0
	for n := 0; n < max && i < len(v); n++ {
		if v[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(v[i:])
		i += size
	}
	return v[:i]
}

// appendHeaderField appends a CEF header field: only '\' and '|' are escaped there; CR, LF and other
// control characters become spaces.
func appendHeaderField(dst, v []byte, max int) []byte {
	for n := 0; len(v) > 0 && n < max; n++ {
		c := v[0]
		if c < utf8.RuneSelf {
			v = v[1:]
			switch {
			case c == '\\':
				dst = append(dst, '\\', '\\')
			case c == '|':
				dst = append(dst, '\\', '|')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, ' ')
			default:
				dst = append(dst, c)
			}
			continue
		}
		var size int
		dst, size = appendRune(dst, v)
		v = v[size:]
	}
	return dst
}

// appendRune appends the non-ASCII character that starts v and returns its size in v: U+FFFD for an
// invalid byte, a space for a C1 control character.
func appendRune(dst, v []byte) ([]byte, int) {
	r, size := utf8.DecodeRune(v)
	switch {
	case r == utf8.RuneError && size == 1:
		return utf8.AppendRune(dst, utf8.RuneError), 1
	case r >= 0x80 && r < 0xa0:
		return append(dst, ' '), size
	}
	return append(dst, v[:size]...), size
}

// appendClassID keeps the Device Event Class ID to [A-Za-z0-9_.:-], which every parser takes: each
// other character (an invalid byte too) becomes one '_'.
func appendClassID(dst, v []byte) []byte {
	for n := 0; len(v) > 0 && n < 1023; n++ {
		c := v[0]
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRune(v)
			dst = append(dst, '_')
			v = v[size:]
			continue
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_')
		}
		v = v[1:]
	}
	return dst
}
