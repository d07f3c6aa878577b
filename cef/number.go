package cef

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// AppendDecimal writes u in decimal straight into dst, eight digits at a time in a word: PIDs, ports
// and IDs, about ten numbers an event, without strconv's buffer and copy nor a division per digit.
func AppendDecimal(dst []byte, u uint64) []byte {
	if u >= 1e8 {
		return appendDigits(AppendDecimal(dst, u/1e8), eightDigits(u%1e8), 8)
	}
	d := eightDigits(u)
	zeros := leadingZeros(d)
	return appendDigits(dst, d>>(8*zeros), 8-zeros)
}

// leadingZeros counts the leading zeros of a number whose digits eightDigits holds in d: d's low
// zero bytes, seven at most (0 keeps one digit: the bit set in the last byte).
func leadingZeros(d uint64) int { return bits.TrailingZeros64(d|1<<56) / 8 }

// eightDigits holds the eight decimal digits of u < 1e8, as numbers, a byte each, the first digit
// in the low byte: the halves of four digits, then of two, then the digits, are split in the
// word's lanes at once; each division is by a multiplication that is exact for the lane's range.
func eightDigits(u uint64) uint64 {
	hi := u / 1e4
	x := hi | (u-hi*1e4)<<32                  // two lanes of 32 bits, each below 10,000
	q := x * 5243 >> 19 & 0x0000007f_0000007f // each lane / 100: exact below 43,699
	x = q | (x-q*100)<<16                     // four lanes of 16 bits, each below 100
	q = x * 103 >> 10 & 0x000f_000f_000f_000f // each lane / 10: exact below 179
	return q | (x-q*10)<<8                    // eight lanes of 8 bits
}

// appendDigits appends the n low bytes of d, digits as eightDigits holds them, as text: the word is
// stored whole, past the end of dst and within its capacity, which is grown for it.
func appendDigits(dst []byte, d uint64, n int) []byte {
	dst = slices.Grow(dst, 8)
	putDigits(dst[len(dst):len(dst)+8], d)
	return dst[:len(dst)+n]
}

// putDigits stores the word of digits d as text in room's first eight bytes.
func putDigits(room []byte, d uint64) { binary.LittleEndian.PutUint64(room, d+0x30303030_30303030) }

// appendWhole writes a Whole field's number, or nothing when it has more digits than its key's Max
// (a cut number is another number).
func appendWhole(dst []byte, f *Field) []byte {
	if out := AppendDecimal(dst, f.Num); len(out)-len(dst) <= f.Key.max {
		return out
	}
	return dst
}
