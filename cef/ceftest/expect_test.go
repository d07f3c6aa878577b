package ceftest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecoded(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"  \t padded \x00 ", 10, "padded"},
		{"a\x01b\x7fc\u0085d", 10, "a b c d"},
		{"cr\rlf\n", 10, "cr\rlf"},
		{"bad\xffbyte", 10, "bad\ufffdbyte"},
		{"abc def", 4, "abc"},
		{"€€€€", 2, "€€"},
		{"\xff\xff\xff", 2, "\ufffd\ufffd"},
		{"\u00a0 \x00", 5, ""},
		{"a\u2028b\u2029c\u202ed\u200be\ufefff", 20, "a b c d e f"},
		{"\u200d\u2028 x \u202e\ufeff", 20, "x"},
		{"ab\u200bcd", 3, "ab"},
	} {
		assert.Equal(t, tc.want, Decoded(tc.in, tc.max), "%q", tc.in)
	}
}
