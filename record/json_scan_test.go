package record

import (
	"bytes"
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
