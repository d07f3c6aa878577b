// Package swar holds the word-at-a-time byte tests that the CEF escaper and the JSON reader scan
// text with: eight bytes of a little-endian word looked at in one step.
package swar

const (
	// Ones has 1 in each byte of a word; Ones*c repeats byte c in each.
	Ones = 0x0101010101010101
	// Highs is each byte's high bit.
	Highs = 0x8080808080808080
)

// Repeat is byte c in every byte of a word.
func Repeat(c byte) uint64 { return Ones * uint64(c) }

// Equal marks, with its high bit, each byte of w equal to the byte that rep repeats (Repeat). A
// borrow may also mark a byte above a marked one, never below: the lowest mark is exact, and none
// is set when no byte is equal.
func Equal(w, rep uint64) uint64 {
	x := w ^ rep
	return (x - Ones) &^ x & Highs
}
