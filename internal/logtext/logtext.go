// Package logtext quotes text that came from a record, a peer or a certificate before it reaches a
// log line: an event's author must not be able to write a line of their own into Fluent Bit's log,
// move the operator's terminal with escape sequences, or hide text behind bidi controls.
package logtext

import (
	"strconv"
	"unicode/utf8"
)

// MaxChars is how many characters of a value a log line shows.
const MaxChars = 128

// Quote returns v as a Go double-quoted string literal, cut to MaxChars characters: control
// characters, invalid UTF-8, line and paragraph separators and format characters (bidi controls,
// zero-width characters, BOM) are written as escapes. A cut value ends with …(N bytes) outside the
// quotes, N the whole length.
func Quote[T ~string | ~[]byte](v T) string {
	s := string(cut(v))
	q := strconv.Quote(s)
	if len(s) < len(v) {
		q += "…(" + strconv.Itoa(len(v)) + " bytes)"
	}
	return q
}

// cut keeps the first MaxChars characters of v without copying more than that.
func cut[T ~string | ~[]byte](v T) T {
	i := 0
	for n := 0; n < MaxChars && i < len(v); n++ {
		if v[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, len(v))]))
		i += size
	}
	return v[:i]
}
