package swar

import (
	"encoding/binary"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Equal's lowest mark is the first equal byte, for every byte value at every position, with every
// other byte just above, just below or equal to it.
func TestEqualLowestMarkIsTheFirstEqualByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			for _, other := range []byte{byte(c + 1), byte(c - 1), byte(c ^ 0x80), byte(c)} {
				var w [8]byte
				for i := range w {
					w[i] = other
				}
				w[pos] = byte(c)
				first := pos
				if other == byte(c) {
					first = 0
				}
				m := Equal(binary.LittleEndian.Uint64(w[:]), Repeat(byte(c)))
				assert.Equal(t, first, bits.TrailingZeros64(m)/8, "c=%#x pos=%d other=%#x", c, pos, other)
			}
		}
		var none [8]byte
		for i := range none {
			none[i] = byte(c + 1 + i%3)
		}
		assert.Zero(t, Equal(binary.LittleEndian.Uint64(none[:]), Repeat(byte(c))), "c=%#x, no equal byte", c)
	}
}
