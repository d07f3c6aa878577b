package cef

import (
	"math"
	"strings"
	"testing"
)

// BenchmarkEscape: escaping and measuring 4,000 characters of plain ASCII, of characters escaped or
// outside ASCII, and of another script; and the short values of the usual event.
func BenchmarkEscape(b *testing.B) {
	for _, c := range []struct{ name, v string }{
		{"ascii", strings.Repeat("a", 4000)},
		{"escaped", strings.Repeat("é=|€", 1000)},
		{"cyrillic", strings.Repeat("ключ ", 800)},
		{"short", "/usr/bin/curl"},
	} {
		v := []byte(c.v)
		dst := appendEscaped(nil, v, valueEscaping)
		b.Run(c.name+"/append", func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				dst = appendEscaped(dst[:0], v, valueEscaping)
			}
		})
		b.Run(c.name+"/measure", func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				prefix{}.grow(v, math.MaxInt, math.MaxInt, valueEscaping)
			}
		})
	}
}
