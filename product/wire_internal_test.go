package product

import (
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
)

// Writer's direct road gives up once the text values take more than the message's size, before it
// writes the pair that crosses it: AppendFit's bound on its first try, so that a record of long
// values is shortened without being written whole first. Numbers do not count. It gives up too,
// before it, at a value longer than its key's limit, which a long record holds.
func TestPairsGiveUpOnceTheTextIsOverTheSize(t *testing.T) {
	var ev Event
	ev.Reset() // an unknown type: every key is sent
	ev.Values[KeySource] = record.String([]byte(strings.Repeat("a", 10)))
	ev.Values[KeyDpid] = record.Int(12345)
	ev.Values[KeyMsg] = record.String([]byte(strings.Repeat("b", 10)))
	p := pairs{ev: &ev, size: 19}
	line, ok := p.AppendPairs(nil)
	assert.False(t, ok)
	assert.Equal(t, " source=aaaaaaaaaa dpid=12345", string(line))
	p.size = 20
	line, ok = p.AppendPairs(nil)
	assert.True(t, ok)
	assert.Equal(t, " source=aaaaaaaaaa dpid=12345 msg=bbbbbbbbbb", string(line))
	assert.True(t, p.all)
	ev.Values[KeyCs1] = record.String([]byte(strings.Repeat("c", 4001))) // past cs1's 4000
	p.size = 8096
	line, ok = p.AppendPairs(nil)
	assert.False(t, ok || p.all)
	assert.Equal(t, " source=aaaaaaaaaa dpid=12345", string(line))
}
