package product

import (
	"math"
	"testing"
)

// appendDecimal writes every number of digits, and the edges between them.
func TestAppendDecimal(t *testing.T) {
	for u, want := range map[uint64]string{
		0: "0", 7: "7", 9: "9", 10: "10", 42: "42", 99: "99", 100: "100", 101: "101", 999: "999",
		1000: "1000", 2001: "2001", 65535: "65535", 1846367: "1846367", 9999999: "9999999",
		10000000: "10000000", 1771409248000: "1771409248000", 999999999999999999: "999999999999999999",
		1000000000000000000: "1000000000000000000", 9999999999999999999: "9999999999999999999",
		10000000000000000000: "10000000000000000000", math.MaxUint64: "18446744073709551615",
	} {
		if got := string(appendDecimal([]byte("x"), u)); got != "x"+want {
			t.Errorf("appendDecimal(%d) = %q, want %q", u, got, "x"+want)
		}
	}
}
