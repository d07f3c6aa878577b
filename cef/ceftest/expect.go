// Package ceftest holds the tests' oracle for CEF values, written from the README's documented
// replacements rather than from the encoder, so the two can disagree when one is wrong.
package ceftest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Decoded is what a strict decoder must give back for a value sent with a key limited to max
// characters: blanks at the ends trimmed, the first max characters kept (an invalid byte counts as
// one) and the end trimmed again, invalid UTF-8 as U+FFFD, and as spaces the control characters
// other than CR and LF (which travel escaped) and the characters that break lines or hide text
// (U+2028, U+2029, format characters). Blanks are whitespace and those spaces. "" means the key is
// left out.
func Decoded(v string, max int) string {
	var chars []string // one entry per character; an invalid byte is one
	for i := 0; i < len(v); {
		_, size := utf8.DecodeRuneInString(v[i:])
		chars = append(chars, v[i:i+size])
		i += size
	}
	chars = trimBlank(chars)
	if len(chars) > max {
		chars = trimBlank(chars[:max])
	}
	var b strings.Builder
	for _, s := range chars {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\r':
			b.WriteRune(r)
		case unicode.IsControl(r) || hidesText(r):
			b.WriteByte(' ')
		default:
			b.WriteString(s)
		}
	}
	return b.String()
}

func blank(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return false
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || hidesText(r)
}

// hidesText: the line and paragraph separators, and the format characters (category Cf: bidi
// controls, zero-width characters, BOM).
func hidesText(r rune) bool {
	return r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r)
}

func trimBlank(chars []string) []string {
	for len(chars) > 0 && blank(chars[0]) {
		chars = chars[1:]
	}
	for len(chars) > 0 && blank(chars[len(chars)-1]) {
		chars = chars[:len(chars)-1]
	}
	return chars
}
