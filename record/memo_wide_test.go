package record

import (
	"fmt"
	"testing"
)

// A record of 100 keys in the order of the last one: usualFields reads every usual pair, past the
// places the memo holds too, rather than leaving them to the general way, which looks each key up
// again (a wide record would cost several times as much per key).
func TestUsualFieldsReadsPastPlace64(t *testing.T) {
	const n = 100
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("k%0*d", 13+i%2, i)
	}
	keys := NewKeys(names...)
	body := []byte{0xde, 0, n}
	for _, k := range names {
		body = append(body, 0xa0|byte(len(k)))
		body = append(body, k...)
		body = append(body, 0xa3, 'v', 'a', 'l')
	}
	var memo keyMemo
	memo.use(keys)
	var slots slotSet
	slots.reset(keys)
	room := make([]Field, n)
	for round := range 3 { // cold, then warm twice
		read, _ := usualFields(room, 0, body[3:], &slots, &memo)
		if round > 0 && read != n {
			t.Errorf("round %d: usualFields read %d of %d usual pairs of a record it has seen", round, read, n)
		}
	}
}
