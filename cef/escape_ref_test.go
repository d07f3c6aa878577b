package cef

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// refEscaped is a value or header field escaped character by character, straight from the rules of
// docs/cef-and-syslog.md, for the fast paths of appendEscaped and prefix.grow to be held to. It
// returns the text and its characters.
func refEscaped(v []byte, header bool) (text string, chars int) {
	var b strings.Builder
	for i := 0; i < len(v); chars++ {
		r, size := utf8.DecodeRune(v[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\\':
			b.WriteString(`\\`)
		case header && r == '|':
			b.WriteString(`\|`)
		case !header && r == '=':
			b.WriteString(`\=`)
		case !header && r == '\n':
			b.WriteString(`\n`)
		case !header && r == '\r':
			b.WriteString(`\r`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), chars
}

// refCut is the longest start of v of at most maxChars characters (an invalid byte is one) that
// takes at most maxWidth bytes once escaped, as prefix.grow finds it.
func refCut(v []byte, maxChars, maxWidth int, header bool) prefix {
	var p prefix
	for p.n < len(v) && p.chars < maxChars {
		_, size := utf8.DecodeRune(v[p.n:])
		w, _ := refEscaped(v[p.n:p.n+size], header)
		if p.width+len(w) > maxWidth {
			break
		}
		p = prefix{p.n + size, p.chars + 1, p.width + len(w)}
	}
	return p
}

var escapings = []struct {
	header bool
	esc    *escaping
}{{false, valueEscaping}, {true, headerEscaping}}

// checkEscaped holds appendEscaped and prefix.grow, measuring the whole of v, to the reference.
func checkEscaped(t *testing.T, v []byte, header bool, esc *escaping) (want string, chars int) {
	t.Helper()
	want, chars = refEscaped(v, header)
	// with room to spare, and with the room appendEscaped makes for v alone, which escapes take
	for _, dst := range [][]byte{[]byte("x"), append(make([]byte, 0, 1+len(v)+spareRoom), 'x')} {
		if got := appendEscaped(dst, v, esc); string(got[1:]) != want {
			t.Fatalf("header %v: %q escaped as %q, want %q", header, v, got[1:], want)
		}
	}
	if got := (prefix{}).grow(v, math.MaxInt, math.MaxInt, esc); got != (prefix{len(v), chars, len(want)}) {
		t.Fatalf("header %v: %q measured %+v, want %d characters %d wide", header, v, got, chars, len(want))
	}
	// copyPlain takes what is written as it is, and all ASCII of that, and copies it whole; of any
	// other value it copies a start written as it is, up to a byte that is not, or nothing
	room := make([]byte, len(v))
	switch plain := esc.copyPlain(room, v); {
	case plain == len(v) && string(room) != want:
		t.Fatalf("header %v: %q taken as plain (copied as %q), escaped as %q", header, v, room, want)
	case plain < len(v) && want == string(v) && isASCII(v):
		t.Fatalf("header %v: %q refused as plain", header, v)
	case plain < len(v) && (plain > 0 && !esc.stop[v[plain]] || string(room[:plain]) != string(v[:plain]) ||
		!strings.HasPrefix(want, string(v[:plain])) || !isASCII(v[:plain])):
		t.Fatalf("header %v: %q copied plain up to %d (%q), escaped as %q", header, v, plain, room[:plain], want)
	}
	return want, chars
}

func isASCII(v []byte) bool {
	for _, c := range v {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkEscaping holds appendEscaped, prefix.grow (to some limits) and cutChars on v to the
// references.
func checkEscaping(t *testing.T, v []byte) {
	t.Helper()
	for _, c := range escapings {
		want, chars := checkEscaped(t, v, c.header, c.esc)
		for _, limit := range []struct{ chars, width int }{{1, math.MaxInt}, {chars / 2, math.MaxInt}, {chars - 1, math.MaxInt},
			{math.MaxInt, len(want) / 2}, {math.MaxInt, len(want) - 1}, {chars / 3, len(want) / 2}, {7, 9}} {
			want := refCut(v, limit.chars, limit.width, c.header)
			if got := (prefix{}).grow(v, limit.chars, limit.width, c.esc); got != want {
				t.Fatalf("header %v: %q to %d characters %d wide: %+v, want %+v", c.header, v, limit.chars, limit.width, got, want)
			}
			if limit.width == math.MaxInt && limit.chars >= 0 {
				if got := cutChars(v, limit.chars); !bytes.Equal(got, v[:want.n]) {
					t.Fatalf("%q cut to %d characters: %q, want %q", v, limit.chars, got, v[:want.n])
				}
			}
		}
	}
}

// Every byte at every place of a value of every length up to two words and one, among bytes written
// as they are: the scan that skips those must stop at each byte that is not, wherever it falls.
func TestEscapingEveryByteEverywhere(t *testing.T) {
	for _, filler := range []byte{'a', ' ', '~', '<'} {
		for c := range 256 {
			for n := 1; n <= 17; n++ {
				for at := range n {
					v := bytes.Repeat([]byte{filler}, n)
					v[at] = byte(c)
					checkEscaping(t, v)
				}
			}
		}
	}
}

// Every character of planes 0, 1 and 14 (the others have no control or format character; one in 97
// of them is tried), and every start of one cut short, across the boundary of the first word.
func TestEscapingEveryCharacter(t *testing.T) {
	v := []byte("abcdefg")
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if plane := r >> 16; plane != 0 && plane != 1 && plane != 14 && r%97 != 0 {
			continue
		}
		enc := utf8.AppendRune(v[:7], r)
		for _, c := range escapings {
			checkEscaped(t, append(enc, 'z'), c.header, c.esc)
			checkEscaped(t, enc[:len(enc)-1], c.header, c.esc)
		}
	}
}

// FuzzEscaping: any bytes are escaped, measured and cut as the references say.
func FuzzEscaping(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", "a=b\\c|d\ne\rf\tg", "\xff\xfe\x80é\u0085\u2028\u202e日🙂",
		"abcdefg\u2028abcdefg\xe2\x80", strings.Repeat("é=|€", 5), "\x7f\x00 \x1f\x20\x7e\x80\xc2\xbf"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) { checkEscaping(t, v) })
}

// appendEscaped makes room for v and a word, and again when escapes have taken it: values of many
// escapes, written after text already in dst whose room is just what the first try needs, a byte
// more or less; what dst held is kept, and a character outside ASCII after the escapes is written.
func TestAppendEscapedMakesRoomForItsEscapes(t *testing.T) {
	for _, unit := range []string{"=", `\`, "a=", "\r\n", "abcdefg=", "abcdefgh\\", "=é", "\x01"} {
		for n := 1; n <= 40; n++ {
			for _, tail := range []string{"", "z", "é", "abcdefghij"} {
				v := []byte(strings.Repeat(unit, n) + tail)
				for _, c := range escapings {
					want, _ := refEscaped(v, c.header)
					for _, spare := range []int{len(v) + 10, len(v) + 9, len(v) + 8} {
						dst := append(make([]byte, 0, 3+spare), "abc"...)
						if got := appendEscaped(dst, v, c.esc); string(got) != "abc"+want {
							t.Fatalf("header %v: %q after %d spare bytes: %q, want %q", c.header, v, spare, got, "abc"+want)
						}
					}
				}
			}
		}
	}
}

// trimRef is TrimBlanks character by character, with blanks as the unicode package tells them.
func trimRef(v []byte) []byte {
	return bytes.TrimFunc(v, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			r == '\u2028' || r == '\u2029' || r >= 0x80 && r < 0xa0
	})
}

// isBlank's table tells every character as the unicode package does.
func TestIsBlankAsTheUnicodeTables(t *testing.T) {
	for r := range rune(unicode.MaxRune + 1) {
		want := unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r >= 0x80 && r < 0xa0
		if isBlank(r) != want {
			t.Fatalf("isBlank(%U) = %v", r, !want)
		}
	}
}

// TrimBlanks steps over runs of spaces and ASCII controls a word at a time: it trims what the
// character-by-character trim does, whatever the run's length and what borders it (a DEL, a
// no-break space, a byte from 0xa1 whose sum carries, invalid UTF-8).
func TestTrimBlanksAsCharacterByCharacter(t *testing.T) {
	runs := []string{"", " ", "\t\n\r\x00\x1f ", strings.Repeat(" ", 7), strings.Repeat(" ", 8), strings.Repeat("\x01 ", 13),
		strings.Repeat(" ", 64) + "\x7f", "\u00a0" + strings.Repeat(" ", 16), strings.Repeat(" ", 16) + "\u3000\u3000"}
	cores := []string{"x", "a b", "\xa1\xff", "é", "\x7f", "\u3000x\u3000", " \x21 ", "\xff" + strings.Repeat(" ", 9) + "\xa1"}
	for _, lead := range runs {
		for _, core := range cores {
			for _, trail := range runs {
				v := []byte(lead + core + trail)
				assert.Equal(t, string(trimRef(v)), string(TrimBlanks(v)), "%q", v)
			}
		}
		v := []byte(lead + lead)
		assert.Equal(t, string(trimRef(v)), string(TrimBlanks(v)), "blanks alone: %q", v)
	}
}

func FuzzTrimBlanks(f *testing.F) {
	f.Add([]byte(strings.Repeat(" ", 20) + "x\xa1" + strings.Repeat("\x00", 9)))
	f.Fuzz(func(t *testing.T, v []byte) {
		if got, want := TrimBlanks(v), trimRef(v); !bytes.Equal(got, want) {
			t.Fatalf("TrimBlanks(%q) = %q, want %q", v, got, want)
		}
	})
}
