package cef

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// The escaping rules of docs/cef-and-syslog.md. Values are cut to their limit on a character boundary before
// escaping, so an escape sequence is never cut; invalid UTF-8 becomes U+FFFD, and control characters
// and the characters that hide text a space (CEF has no escape for them).

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

// keptStart is what is written of a value or Name of at most max characters. Blanks at either end
// are trimmed, since parsers do not keep them reliably; so are blanks left at the end by a cut. cut,
// when not 0, is the number of bytes AppendFit keeps of the trimmed value (a negative cut: none).
func keptStart(v []byte, max, cut int) []byte {
	switch {
	case cut < 0:
		return nil
	case cut == 0:
		return trimCut(v, max)
	}
	return bytes.TrimRightFunc(bytes.TrimFunc(v, isBlank)[:cut], isBlank)
}

// appendHeaderField appends a CEF header field of at most max characters.
func appendHeaderField(dst, v []byte, max int) []byte {
	return appendEscaped(dst, cutChars(v, max), headerEscaping)
}

func appendEscaped(dst, v []byte, esc *escaping) []byte {
	done := 0 // v[:done] is written; the characters written as they are go in runs
	for i := 0; i < len(v); {
		repl, size := esc[v[i]&0x7f], 1 // a byte outside ASCII is decoded instead
		if v[i] >= utf8.RuneSelf {
			repl, size = escapeRune(v, i)
		}
		if repl != "" {
			dst = append(append(dst, v[done:i]...), repl...)
			done = i + size
		}
		i += size
	}
	return append(dst, v[done:]...)
}

// escapeRune tells how the character outside ASCII at v[i] is written, and its size in v: repl
// replaces it, or is "" when it is written as it is. (An ASCII character c is written as esc[c],
// or as it is when that is "".)
func escapeRune(v []byte, i int) (repl string, size int) {
	r, size := utf8.DecodeRune(v[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return string(utf8.RuneError), 1
	case spaced(r):
		return " ", size
	}
	return "", size
}

// spaced reports the characters outside ASCII that are written as a space: the C1 control
// characters, and those that break lines or hide text: the line and paragraph separators (Java's
// regular expressions end lines there) and the format characters (bidi controls that reorder what
// an operator reads, zero-width characters, BOM).
func spaced(r rune) bool {
	if r < 0x10000 {
		return spacedBMP[r>>6]&(1<<(r&63)) != 0
	}
	return unicode.Is(unicode.Cf, r)
}

// spacedBMP holds spaced for the characters below U+10000, one bit each: it is asked for every
// character outside ASCII.
var spacedBMP = func() (t [0x10000 / 64]uint64) {
	set := func(r rune) { t[r/64] |= 1 << (r % 64) }
	for r := rune(0x80); r < 0xa0; r++ {
		set(r)
	}
	set('\u2028')
	set('\u2029')
	for _, rg := range unicode.Cf.R16 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			set(r)
		}
	}
	return t
}()

// A prefix is a start of a value: its length n in bytes, its characters, and its width once
// escaped.
type prefix struct{ n, chars, width int }

// grow extends p, a start of v, to the longest start of v that holds at most maxChars characters
// and takes at most maxWidth bytes once escaped.
func (p prefix) grow(v []byte, maxChars, maxWidth int, esc *escaping) prefix {
	for p.n < len(v) && p.chars < maxChars {
		repl, size := esc[v[p.n]&0x7f], 1 // as in appendEscaped
		if v[p.n] >= utf8.RuneSelf {
			repl, size = escapeRune(v, p.n)
		}
		w := len(repl)
		if repl == "" {
			w = size
		}
		if p.width+w > maxWidth {
			break
		}
		p = prefix{p.n + size, p.chars + 1, p.width + w}
	}
	return p
}

// trimCut trims blanks at both ends and keeps at most max characters, trimming again where the cut
// ends.
func trimCut(v []byte, max int) []byte {
	if len(v) > 0 && len(v) <= max && printableASCII(v[0]) && printableASCII(v[len(v)-1]) {
		return v // the usual value: nothing to trim, nothing to cut
	}
	return bytes.TrimRightFunc(cutChars(bytes.TrimFunc(v, isBlank), max), isBlank)
}

func printableASCII(c byte) bool { return c > ' ' && c < 0x7f }

// isBlank: whitespace, control characters and the characters written as a space.
func isBlank(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || spaced(r) }

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

// appendClassID keeps the Device Event Class ID to [A-Za-z0-9_.:-], which every parser takes: each
// other character (an invalid byte too) becomes one '_'. It writes at most max characters.
func appendClassID(dst, v []byte, max int) []byte {
	for n := 0; len(v) > 0 && n < max; n++ {
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
