package cef

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/internal/swar"
)

// The escaping rules of docs/cef-and-syslog.md. Values are cut to their limit on a character boundary before
// escaping, so an escape sequence is never cut; invalid UTF-8 becomes U+FFFD, and control characters
// and the characters that hide text a space (CEF has no escape for them).

// escaping says how each byte is written. Runs of bytes written as they are go a word at a time: each
// word is tested for a byte that is not (stops), and one at a time at the ends (stop); copyRun copies
// the words as it tests them, plainEnd only finds the run's end.
type escaping struct {
	repl [utf8.RuneSelf]string // how each ASCII byte is written: "" for itself
	// stop holds the bytes a scan stops at: those repl replaces, and the bytes outside ASCII, whose
	// character must be checked (invalid, a C1 control, one that hides text).
	stop [256]bool
	// printable are the two printable bytes repl escapes, in every byte of a word.
	printable [2]uint64
}

// newEscaping escapes the bytes of escapes, two of them printable, and writes every other ASCII
// control as a space.
func newEscaping(escapes map[byte]string) *escaping {
	var e escaping
	for c := range e.repl {
		if c < 0x20 || c == 0x7f {
			e.repl[c] = " "
		}
	}
	printable := e.printable[:0]
	for c, esc := range escapes {
		if len(esc) > 2 {
			panic("cef: appendEscaped writes escapes of two bytes at most")
		}
		e.repl[c] = esc
		if c >= 0x20 && c < 0x7f {
			printable = append(printable, swar.Repeat(c))
		}
	}
	if len(printable) != len(e.printable) {
		panic("cef: stops knows two printable bytes to escape")
	}
	for c := range e.stop {
		e.stop[c] = c >= utf8.RuneSelf || e.repl[c] != ""
	}
	return &e
}

var (
	// In values: backslash, '=' (else a parser finds a forged key), CR and LF.
	valueEscaping = newEscaping(map[byte]string{'\\': `\\`, '=': `\=`, '\n': `\n`, '\r': `\r`})
	// In header fields only backslash and '|'; CR and LF become spaces like other controls.
	headerEscaping = newEscaping(map[byte]string{'\\': `\\`, '|': `\|`})
)

// plainEnd is the index of the first byte of v after i that is not written as it is, or len(v);
// v[i] is written as it is.
func (e *escaping) plainEnd(v []byte, i int) int {
	plain := i // v[plain:i] are written as they are
	if i++; i == len(v) || e.stop[v[i]] {
		return i // a lone byte between two that are not, as in text of many escapes or of many scripts
	}
	for ; i+8 <= len(v); i += 8 {
		if m := e.stops(binary.LittleEndian.Uint64(v[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < len(v) && len(v)-8 >= plain {
		// The last word: the bytes it shares with those scanned are plain, hence not marked.
		if m := e.stops(binary.LittleEndian.Uint64(v[len(v)-8:])); m != 0 {
			return len(v) - 8 + bits.TrailingZeros64(m)/8
		}
		return len(v)
	}
	for i < len(v) && !e.stop[v[i]] {
		i++
	}
	return i
}

// copyPlain copies v into room, which is as long, as far as its bytes are written as they are, and
// returns how far: len(v) when every byte is, else the index of the first that is not (0 for a value
// shorter than a word), with the bytes before it copied. It reads and writes whole words only, the
// last one overlapping those before it, and checks each word as it copies it (the word is in a
// register already, which spares a second pass and memmove's call); a value shorter than a word is
// copied as two halves or bytes that overlap, and checked as one word of them, some twice, with plain
// bytes ('a') filling the rest.
func (e *escaping) copyPlain(room, v []byte) int {
	n := len(v)
	room = room[:n]
	switch {
	case n >= 8:
		for i := 0; i < n-8; i += 8 {
			x := binary.LittleEndian.Uint64(v[i:])
			if m := e.stops(x); m != 0 {
				binary.LittleEndian.PutUint64(room[i:], x) // the bytes before its first stop
				return i + bits.TrailingZeros64(m)/8
			}
			binary.LittleEndian.PutUint64(room[i:], x)
		}
		x := binary.LittleEndian.Uint64(v[n-8:])
		binary.LittleEndian.PutUint64(room[n-8:], x)
		if m := e.stops(x); m != 0 { // the bytes it shares with the words before are plain
			return n - 8 + bits.TrailingZeros64(m)/8
		}
	case n >= 4:
		lo, hi := binary.LittleEndian.Uint32(v), binary.LittleEndian.Uint32(v[n-4:])
		binary.LittleEndian.PutUint32(room, lo)
		binary.LittleEndian.PutUint32(room[n-4:], hi)
		if e.stops(uint64(lo)|uint64(hi)<<32) != 0 {
			return 0
		}
	case n > 0:
		room[0], room[n/2], room[n-1] = v[0], v[n/2], v[n-1]
		if e.stops(uint64(v[0])|uint64(v[n/2])<<8|uint64(v[n-1])<<16|swar.Repeat('a')<<24) != 0 {
			return 0
		}
	}
	return n
}

// stops marks, with its high bit, each byte of the eight of x (v's bytes in order from the lowest) in
// stop: a control character, DEL or above, or one of the two printable bytes escaped. A byte below
// 0x20 borrows in x-0x20, which sets its high bit; one from DEL to 0xfe carries into it in x+1 (x-0x20
// plus 0x21: the range in two additions), 0xff has it in x-0x20; x^lo+0x7f keeps it clear only
// for a byte equal to lo. A byte outside ASCII may borrow or carry into the bytes above it, never
// below; a byte written as it is does neither, so nothing marks a byte below the first stop: the
// lowest mark is exact.
func (e *escaping) stops(x uint64) uint64 {
	const ones = swar.Ones
	outside := (x - 0x20*ones) | (x + ones)
	escaped := ^((x ^ e.printable[0] + 0x7f*ones) & (x ^ e.printable[1] + 0x7f*ones))
	return (outside | escaped) & swar.Highs
}

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
	return bytes.TrimRightFunc(TrimBlanks(v)[:cut], isBlank)
}

// appendHeaderField appends a CEF header field of at most max characters.
func appendHeaderField(dst, v []byte, max int) []byte {
	return appendEscaped(dst, cutChars(v, max), headerEscaping)
}

// appendEscaped appends v escaped. It writes straight into dst's spare room, which is made once for
// v and spareRoom bytes, and again only when escapes have taken it: the runs written as they are are
// copied a word at a time (copyRun), and an ASCII escape is written over what the run's last word
// put after it, without a call to copy either. From the first character outside ASCII, the rest
// goes a character at a time (appendAny). It may write over up to spareRoom bytes of dst's capacity
// past what it returns, so v must not lie in that capacity (every caller's v is the record's, or a
// buffer of its own).
func appendEscaped(dst, v []byte, esc *escaping) []byte {
	n := len(dst)
	for i := 0; ; {
		if cap(dst)-n < len(v)-i+spareRoom {
			dst = grow(dst[:n], len(v)-i+spareRoom)
		}
		// v[i:] goes to out[i:], out moving a byte on after each escape of two.
		out := dst[n-i : cap(dst)]
		for {
			if i = esc.copyRun(out, v, i); i == len(v) || v[i] >= utf8.RuneSelf || len(out) < len(v)+spareRoom {
				break
			}
			r := esc.repl[v[i]] // a byte or two
			out[i], out[i+1] = r[0], r[len(r)-1]
			out, i = out[len(r)-1:], i+1
		}
		n = cap(dst) - len(out) + i
		if i == len(v) {
			return dst[:n]
		}
		if v[i] >= utf8.RuneSelf {
			return esc.appendAny(dst[:n], v[i:])
		}
	}
}

// spareRoom is what appendEscaped keeps past the rest of v: copyRun's word, and an escape's second
// byte.
const spareRoom = 8 + 1

// copyRun copies the run of v from i written as it is to out, at the same index, up to the first
// byte that is not (see stop), and returns that byte's index, or len(v): plainEnd's scan, storing
// each word as it tests it. out is a word longer than v. Each word is stored whole and tested in a
// register, the bytes stored after the run's end being written over after; the last word of v is
// stored over the copy of the bytes before it.
func (e *escaping) copyRun(out, v []byte, i int) int {
	v = v[:len(v):len(v)] // lengths and capacities known, for the compiler to drop bounds checks
	out = out[:len(v)+8]
	if i+8 > len(v) {
		for ; i < len(v) && !e.stop[v[i]]; i++ {
			out[i] = v[i]
		}
		return i
	}
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i : i+8 : i+8])
		m := e.stops(x)
		binary.LittleEndian.PutUint64(out[i:i+8:i+8], x)
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < len(v) { // the bytes the last word shares with the run are plain, hence not marked
		last := len(v) - 8
		x := binary.LittleEndian.Uint64(v[last : last+8 : last+8])
		binary.LittleEndian.PutUint64(out[last:last+8:last+8], x)
		if m := e.stops(x); m != 0 {
			return last + bits.TrailingZeros64(m)/8
		}
	}
	return len(v)
}

// appendAny appends any v escaped, a character at a time but for the runs written as they are.
func (e *escaping) appendAny(dst, v []byte) []byte {
	done := 0 // v[:done] is written; the characters written as they are go in runs
	for i := 0; i < len(v); {
		if !e.stop[v[i]] {
			if i = e.plainEnd(v, i); i == len(v) {
				break
			}
		}
		repl, size := e.repl[v[i]&0x7f], 1 // a byte outside ASCII is decoded instead
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
// replaces it, or is "" when it is written as it is. (An ASCII character c is written as repl[c],
// or as it is when that is "".)
func escapeRune(v []byte, i int) (repl string, size int) {
	var r rune
	// Characters of two and three bytes, most of those outside ASCII, are decoded here.
	switch c := v[i]; {
	case c >= 0xc2 && c < 0xe0 && i+1 < len(v) && v[i+1]&0xc0 == 0x80:
		r, size = rune(c&0x1f)<<6|rune(v[i+1]&0x3f), 2
	case c >= 0xe1 && c < 0xf0 && c != 0xed && i+2 < len(v) && v[i+1]&0xc0 == 0x80 && v[i+2]&0xc0 == 0x80:
		// E0 and ED, whose second byte has a narrower range, are left to utf8.DecodeRune.
		r, size = rune(c&0x0f)<<12|rune(v[i+1]&0x3f)<<6|rune(v[i+2]&0x3f), 3
	default:
		if r, size = utf8.DecodeRune(v[i:]); r == utf8.RuneError && size == 1 {
			return string(utf8.RuneError), 1
		}
	}
	if spaced(r) {
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
		// A run written as it is: a character and a byte each. It is looked for only as far as the
		// limits go, so measuring a long value costs what the limits allow.
		if room := min(len(v)-p.n, maxChars-p.chars, maxWidth-p.width); room > 0 && !esc.stop[v[p.n]] {
			run := esc.plainEnd(v[:p.n+room], p.n) - p.n
			p = prefix{p.n + run, p.chars + run, p.width + run}
			continue
		}
		repl, size := esc.repl[v[p.n]&0x7f], 1 // as in appendAny
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
	if whole(v, max) {
		return v
	}
	return bytes.TrimRightFunc(cutChars(TrimBlanks(v), max), isBlank)
}

// whole: trimCut keeps all of v, the usual value, with nothing to trim (its ends are printable
// ASCII) nor to cut (a value of at most max bytes has at most max characters).
func whole(v []byte, max int) bool {
	return len(v) > 0 && len(v) <= max && printableASCII(v[0]) && printableASCII(v[len(v)-1])
}

func printableASCII(c byte) bool { return c > ' ' && c < 0x7f }

// isBlank: whitespace, control characters and the characters written as a space.
func isBlank(r rune) bool {
	if r < 0x10000 {
		return blankBMP[r>>6]&(1<<(r&63)) != 0
	}
	return spaced(r) // no whitespace or control character lies beyond the BMP
}

// blankBMP holds isBlank for the characters below U+10000, one bit each: a value may start or end
// with a megabyte of blanks, each asked for.
var blankBMP = func() [0x10000 / 64]uint64 {
	t := spacedBMP // the C1 controls among them
	set := func(r rune) { t[r/64] |= 1 << (r % 64) }
	for r := rune(0); r <= ' '; r++ { // the C0 controls and the space
		set(r)
	}
	set(0x7f)
	for _, rg := range unicode.White_Space.R16 { // White_Space has no character past the BMP
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			set(r)
		}
	}
	return t
}()

// TrimBlanks is v as the message carries it, before a cut: without the blanks (whitespace, control
// characters, the characters written as a space) at either end, which parsers do not keep reliably.
func TrimBlanks(v []byte) []byte {
	if len(v) == 0 || printableASCII(v[0]) && printableASCII(v[len(v)-1]) {
		return v // none, or the usual value: nothing to trim, told without a look at each character
	}
	// Runs of spaces and ASCII controls are stepped over a word at a time: a record's value may
	// start or end with a megabyte of them, and more than one stage trims it.
	i, j := 0, len(v)
	for j-i >= 8 && lowWord(binary.LittleEndian.Uint64(v[i:])) {
		i += 8
	}
	for j-i >= 8 && lowWord(binary.LittleEndian.Uint64(v[j-8:])) {
		j -= 8
	}
	for i < j {
		r, size := rune(v[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(v[i:j])
		}
		if !isBlank(r) {
			break
		}
		i += size
	}
	for j > i {
		r, size := rune(v[j-1]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeLastRune(v[i:j])
		}
		if !isBlank(r) {
			break
		}
		j -= size
	}
	return v[i:j]
}

// lowWord reports a word whose eight bytes are each at most ' ': a space or an ASCII control, all
// blanks. (A byte from 0x21 sets its high bit once 0x5f is added; one from 0x80 has it set already,
// and a carry it makes can only reach the bytes above it.)
func lowWord(w uint64) bool { return (w|(w+0x5f*swar.Ones))&swar.Highs == 0 }

// cutChars keeps the first max characters of v; an invalid byte counts as one (it becomes U+FFFD).
func cutChars(v []byte, max int) []byte {
	if len(v) <= max {
		return v
	}
	i := asciiLen(v[:max])
	for n := i; n < max && i < len(v); n++ {
		if v[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(v[i:])
		i += size
	}
	return v[:i]
}

// asciiLen is the length of the start of v in ASCII: as many characters as bytes.
func asciiLen(v []byte) int {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		if m := binary.LittleEndian.Uint64(v[i:]) & swar.Highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(v) && v[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// appendClassID keeps the Device Event Class ID to [A-Za-z0-9_.:-], which every parser takes: each
// other character (an invalid byte too) becomes one '_'. It writes at most max characters.
func appendClassID(dst, v []byte, max int) []byte {
	if len(v) <= max && classIDKeepsAll(v) {
		return append(dst, v...) // the usual Class ID, in one copy
	}
	for n := 0; len(v) > 0 && n < max; n++ {
		c := v[0]
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRune(v)
			dst = append(dst, '_')
			v = v[size:]
			continue
		}
		if classIDKeeps[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_')
		}
		v = v[1:]
	}
	return dst
}

// classIDKeepsAll: the Class ID keeps every byte of v.
func classIDKeepsAll(v []byte) bool {
	for _, c := range v {
		if !classIDKeeps[c] {
			return false
		}
	}
	return true
}

// classIDKeeps tells the bytes the Class ID keeps: [A-Za-z0-9_.:-].
var classIDKeeps = func() (keeps [256]bool) {
	for c := range keeps {
		keeps[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.:-", byte(c)) >= 0
	}
	return keeps
}()
