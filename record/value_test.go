package record

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// AsInt reads a whole number from every kind that can hold one; a decimal string as strconv reads
// it (a sign, then digits), surrounded by blanks or not, over the whole int64 range.
func TestAsInt(t *testing.T) {
	for _, c := range []struct {
		name string
		v    Value
		want int64
		ok   bool
	}{
		{"int", Int(-7), -7, true},
		{"uint", Uint(math.MaxInt64), math.MaxInt64, true},
		{"uint over int64", Uint(math.MaxInt64 + 1), 0, false},
		{"integral float", Float(42), 42, true},
		{"fraction", Float(4.5), 0, false},
		{"float past 2^53", Float(1 << 60), 0, false},
		{"string", String([]byte(" 123\t")), 123, true},
		{"plus", String([]byte("+5")), 5, true},
		{"minus zero", String([]byte("-0")), 0, true},
		{"leading zeros", String([]byte("007")), 7, true},
		{"19 digits, the largest", String([]byte("9223372036854775807")), math.MaxInt64, true},
		{"19 digits, the smallest", String([]byte("-9223372036854775808")), math.MinInt64, true},
		{"one past the largest", String([]byte("9223372036854775808")), 0, false},
		{"one past the smallest", String([]byte("-9223372036854775809")), 0, false},
		{"19 nines", String([]byte("9999999999999999999")), 0, false},
		{"20 digits", String([]byte("10000000000000000000")), 0, false},
		{"20 digits of leading zeros", String([]byte("00000000000000000001")), 0, false},
		{"sign alone", String([]byte("-")), 0, false},
		{"two signs", String([]byte("+-1")), 0, false},
		{"hex", String([]byte("0x10")), 0, false},
		{"empty", String(nil), 0, false},
		{"none", Value{}, 0, false},
	} {
		got, ok := c.v.AsInt()
		assert.Equal(t, c.ok, ok, c.name)
		if c.ok {
			assert.Equal(t, c.want, got, c.name)
		}
	}
}

// A decimal string AsInt takes is the number strconv.ParseInt reads, and one it refuses is one
// strconv refuses or one of over 19 digits.
func FuzzAsIntString(f *testing.F) {
	for _, s := range []string{"0", "-9223372036854775808", "9223372036854775807", "+12", " 5 ", "1e3", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := String([]byte(s)).AsInt()
		trimmed := strings.TrimSpace(s)
		want, err := strconv.ParseInt(trimmed, 10, 64)
		digits := len(strings.TrimLeft(trimmed, "+-"))
		switch {
		case ok && (err != nil || got != want):
			t.Fatalf("%q: AsInt gave %d, strconv %d, %v", s, got, want, err)
		case !ok && err == nil && digits <= 19:
			t.Fatalf("%q: AsInt refused what strconv reads as %d", s, want)
		}
	})
}
