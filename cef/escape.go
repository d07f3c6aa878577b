package cef

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// The escaping rules of cef-rules.md. Values are cut to their limit on a character boundary before
// escaping, so an escape sequence is never cut; invalid UTF-8 becomes U+FFFD and control characters
// a space (CEF has no escape for them).

// escaping says how each ASCII byte is written: "" for itself.
type escaping [utf8.RuneSelf]string

func newEscaping(escapes map[byte]string) *escaping {
	var e escaping
	for c := range e {
		if c < 0x20 || c == 0x7f {
			e[c] = " "
		}
	}
	for c, esc := range escapes {
		e[c] = esc
	}
	return &e
}

var (
	// In values: backslash, '=' (else a parser finds a forged key), CR and LF.
	valueEscaping = newEscaping(map[byte]string{'\\': `\\`, '=': `\=`, '\n': `\n`, '\r': `\r`})
	// In header fields only backslash and '|'; CR and LF become spaces like other controls.
	headerEscaping = newEscaping(map[byte]string{'\\': `\\`, '|': `\|`})
)

// appendValue appends an extension value. Whitespace and control characters at either end are
// trimmed, since parsers do not keep them reliably; so is whitespace left at the end by the cut.
func appendValue(dst, v []byte, max int) []byte {
	return appendEscaped(dst, trimCut(v, max), valueEscaping)
}

// appendHeaderField appends a CEF header field of at most max characters.
func appendHeaderField(dst, v []byte, max int) []byte {
	return appendEscaped(dst, cutChars(v, max), headerEscaping)
}

func appendEscaped(dst, v []byte, esc *escaping) []byte {
	for len(v) > 0 {
		// The run of bytes written as they are goes in one copy.
		plain := 0
		for plain < len(v) && v[plain] < utf8.RuneSelf && esc[v[plain]] == "" {
			plain++
		}
		dst = append(dst, v[:plain]...)
		if v = v[plain:]; len(v) == 0 {
			break
		}
		if c := v[0]; c < utf8.RuneSelf {
			dst = append(dst, esc[c]...)
			v = v[1:]
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
	if len(v) > 0 && len(v) <= max && printableASCII(v[0]) && printableASCII(v[len(v)-1]) {
		return v // the usual value: nothing to trim, nothing to cut
	}
	return bytes.TrimRightFunc(cutChars(bytes.TrimFunc(v, isBlank), max), isBlank)
}

func printableASCII(c byte) bool { return c > ' ' && c < 0x7f }

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
