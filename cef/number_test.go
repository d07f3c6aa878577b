package cef_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
)

// AppendDecimal writes every number of digits, and the edges between them.
func TestAppendDecimal(t *testing.T) {
	for u, want := range map[uint64]string{
		0: "0", 7: "7", 9: "9", 10: "10", 42: "42", 99: "99", 100: "100", 101: "101", 999: "999",
		1000: "1000", 2001: "2001", 65535: "65535", 1846367: "1846367", 9999999: "9999999",
		10000000: "10000000", 1771409248000: "1771409248000", 999999999999999999: "999999999999999999",
		1000000000000000000: "1000000000000000000", 9999999999999999999: "9999999999999999999",
		10000000000000000000: "10000000000000000000", math.MaxUint64: "18446744073709551615",
	} {
		if got := string(cef.AppendDecimal([]byte("x"), u)); got != "x"+want {
			t.Errorf("AppendDecimal(%d) = %q, want %q", u, got, "x"+want)
		}
	}
}

// AppendDecimal splits a number below 1e8 in the lanes of a word: every value of each lane (the
// four digits of each half, all below 200,000), with the other half at its edges, is written as
// strconv writes it, and nothing before dst's end is touched.
func TestAppendDecimalLanes(t *testing.T) {
	check := func(u uint64) {
		if got, want := cef.AppendDecimal([]byte("x"), u), strconv.AppendUint([]byte("x"), u, 10); string(got) != string(want) {
			t.Fatalf("AppendDecimal(%d) = %q, want %q", u, got, want)
		}
	}
	for u := range uint64(200_000) {
		check(u)
	}
	for half := range uint64(10_000) {
		for _, other := range []uint64{0, 1, 9, 10, 99, 100, 999, 1000, 9999} {
			check(half*10_000 + other)
			check(other*10_000 + half)
			check(half*1e8 + other*1e4 + half) // a long number: its last eight digits in full
		}
	}
}
