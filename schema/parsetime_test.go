package schema

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The longest RFC 3339 time a sensor writes, nanoseconds and a numeric offset, is 35 bytes and is
// read; the bound on a time's length refuses only what is no time.
func TestParseTimeReadsTheLongestRFC3339Time(t *testing.T) {
	const text = "2026-02-18T10:07:28.123456789+03:00"
	got, ok := parseTime([]byte(text))
	assert.True(t, ok)
	want, _ := time.Parse(time.RFC3339Nano, text)
	assert.True(t, want.Equal(got))
	_, ok = parseTime([]byte("2026-02-18T10:07:28." + strings.Repeat("1", 1<<20) + "Z"))
	assert.False(t, ok, "a megabyte is no time")
}
