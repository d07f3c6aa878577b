package record_test

import (
	"math"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// The integer edges of AppendJSONAsMsgpack's number reading (record/json.go numberText): the
// largest and smallest int64 stay int64 (reached by numberText only behind leading zeros), a
// 309-digit integer is the finite float it is, a longer one infinite, with its sign.
func TestJSONIntegerEdges(t *testing.T) {
	read := func(number string) any {
		b, ok := record.AppendJSONAsMsgpack(nil, []byte(`{"n":`+number+`}`))
		require.True(t, ok, number)
		var m map[string]any
		require.NoError(t, msgpack.Unmarshal(b, &m))
		return m["n"]
	}
	assert.Equal(t, int64(math.MaxInt64), read("9223372036854775807"), "MaxInt64 is an int64")
	assert.Equal(t, uint64(math.MaxInt64)+1, read("9223372036854775808"))
	assert.Equal(t, int64(math.MinInt64), read("-9223372036854775808"), "MinInt64 is an int64")
	assert.Equal(t, float64(-9223372036854775809), read("-9223372036854775809"))
	// numberText sees a number of 19 digits or fewer only behind leading zeros, which the reader takes.
	assert.Equal(t, int64(math.MaxInt64), read("00009223372036854775807"), "MaxInt64 is an int64")
	assert.Equal(t, int64(math.MinInt64), read("-00009223372036854775808"), "MinInt64 is an int64")
	e308 := "1" + strings.Repeat("0", 308) // 309 digits, finite: 1e308
	assert.Equal(t, 1e308, read(e308))
	assert.Equal(t, -1e308, read("-"+e308))
	assert.Equal(t, math.Inf(1), read(strings.Repeat("9", 309)))
	assert.Equal(t, math.Inf(1), read(strings.Repeat("9", 400)))
	assert.Equal(t, math.Inf(-1), read("-"+strings.Repeat("9", 400)))
}
