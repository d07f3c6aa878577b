package record

import (
	"bytes"
	"strings"
	"testing"
)

// quoteOrBackslash finds what a byte-by-byte scan finds: a quote or a backslash at every offset of
// texts from 0 to 40 bytes, behind every byte that differs from them by one bit or by one (which a
// word-at-a-time test could take for them), from every start.
func TestQuoteOrBackslashAsAByteScan(t *testing.T) {
	fillers := []byte{'a', 0x00, 0x01, 0x21, 0x23, 0x5b, 0x5d, 0xa2, 0xdc, 0xff, 0x80, 0x7f}
	for n := 0; n <= 40; n++ {
		for _, fill := range fillers {
			for at := -1; at < n; at++ {
				for _, mark := range []byte{'"', '\\'} {
					s := bytes.Repeat([]byte{fill}, n)
					if at >= 0 {
						s[at] = mark
					}
					for i := 0; i <= n; i++ {
						want := i
						for want < n && s[want] != '"' && s[want] != '\\' {
							want++
						}
						if got := quoteOrBackslash(s, i); got != want {
							t.Fatalf("%q from %d: %d, want %d", s, i, got, want)
						}
					}
				}
			}
		}
	}
}

// A string reads the same whether it is copied word by word (room behind dst, 32 bytes of text
// ahead) or not: every length up to 40 bytes, with an escape at every offset or none, behind every
// filler of the scan's test, with room or none in dst and with or without text after it.
func TestJSONStringWithOrWithoutRoom(t *testing.T) {
	fillers := []byte{'a', 0x00, 0x01, 0x21, 0x23, 0x5b, 0x5d, 0xa2, 0xdc, 0xff, 0x80, 0x7f}
	for n := 0; n <= 40; n++ {
		for _, fill := range fillers {
			for at := -1; at < n; at++ {
				text := bytes.Repeat([]byte{fill}, n) // the text between the quotes
				plain := bytes.Clone(text)
				if at >= 0 {
					text = append(append(append([]byte{}, text[:at]...), `\n`...), text[at+1:]...)
					plain[at] = '\n'
				}
				want := []byte{0xa0 | byte(n)}
				if n >= 32 {
					want = []byte{0xd9, byte(n)}
				}
				want = append(append([]byte{7}, want...), plain...)
				for _, after := range []string{"", ",", strings.Repeat(" ", 40)} {
					src := append(append(append([]byte{'"'}, text...), '"'), after...)
					for _, room := range []int{0, 32, 33, 64} {
						dst := append(make([]byte, 0, 1+room), 7)
						r := jsonReader{s: src}
						got, ok := r.str(dst)
						if !ok || !bytes.Equal(got, want) || r.i != len(src)-len(after) {
							t.Fatalf("%q with room %d: % x (ok %v, at %d), want % x", src, room, got, ok, r.i, want)
						}
					}
				}
			}
		}
	}
}
