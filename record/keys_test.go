package record_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/record/fbchunk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every name is found at its index, and nothing else is: keys one byte off a name, its prefixes, a
// name with a byte more, and names of every length from 0 to 40 (past the 16 bytes held in two
// words, a long name differs from another only in its middle).
func TestKeysFindTheirNames(t *testing.T) {
	names := []string{"", "a", "ab", "abc", "src", "dst", "cs1", "cs2", "event_id", "event_ie", "container_id",
		"deviceCustomString1", "deviceCustomString2", "deviceCustomNumber1",
		strings.Repeat("m", 20) + "x" + strings.Repeat("m", 20), strings.Repeat("m", 20) + "y" + strings.Repeat("m", 20)}
	for n := 4; n <= 40; n++ {
		names = append(names, strings.Repeat("k", n))
	}
	k := record.NewKeys(names...)
	for i, n := range names {
		assert.Equal(t, i, k.Index([]byte(n)), "%q", n)
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for _, n := range names {
		for at := range len(n) {
			other := []byte(n)
			other[at] ^= 0x20
			if !known[string(other)] {
				assert.Equal(t, record.NoSlot, k.Index(other), "%q", other)
			}
			if !known[n[:at]] {
				assert.Equal(t, record.NoSlot, k.Index([]byte(n[:at])), "%q", n[:at])
			}
		}
		if !known[n+"s"] {
			assert.Equal(t, record.NoSlot, k.Index([]byte(n+"s")), "%q", n+"s")
		}
	}
	assert.Equal(t, record.NoSlot, (*record.Keys)(nil).Index([]byte("a")), "no keys")
	assert.Equal(t, record.NoSlot, record.NewKeys().Index([]byte("a")), "an empty list")
}

// The longest list still gets a slot for each name; a longer one is refused.
func TestKeysLongList(t *testing.T) {
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("key.%d", i*7919)
	}
	k := record.NewKeys(names...)
	for i, n := range names {
		require.Equal(t, i, k.Index([]byte(n)), "%q", n)
	}
	assert.Equal(t, record.NoSlot, k.Index([]byte("key.1")))
	assert.Panics(t, func() { record.NewKeys(append(names, "one more")...) })
}

func TestKeysRefuseARepeatedName(t *testing.T) {
	assert.Panics(t, func() { record.NewKeys("a", "b", "a") })
}

// A decoder given keys gives each field of the body and of an embedded event its key's index; the
// event tells a field's slot in those keys, and looks it up in any other.
func TestDecoderGivesSlots(t *testing.T) {
	keys := record.NewKeys("rule", "log", "pid")
	other := record.NewKeys("pid", "x")
	chunk, err := fbchunk.AppendEvent(nil, at(sec0, 0), map[string]any{"log": `{"rule":"R","pid":1,"y":2}`, "z": 1})
	require.NoError(t, err)
	ev := firstEvent(t, record.NewDecoder().WithKeys(keys), chunk)
	slots := func(fields []record.Field, in *record.Keys) map[string]int {
		m := map[string]int{}
		for i := range fields {
			m[string(fields[i].Key)] = ev.Slot(in, &fields[i])
		}
		return m
	}
	assert.Equal(t, map[string]int{"log": 1, "z": record.NoSlot}, slots(ev.Fields, keys))
	assert.Equal(t, map[string]int{"rule": 0, "pid": 2, "y": record.NoSlot}, slots(ev.Body(), keys))
	assert.Equal(t, map[string]int{"rule": record.NoSlot, "pid": 0, "y": record.NoSlot}, slots(ev.Body(), other))
	for _, f := range ev.Body() {
		assert.Equal(t, slots(ev.Body(), keys)[string(f.Key)], f.Slot, "%s", f.Key)
	}
}

// A key longer than the longest name is none of them, even one that starts with a name: it is
// refused by its length, before it is hashed (a key of a megabyte costs no more than a short one).
func TestKeysRefuseAKeyLongerThanTheLongestName(t *testing.T) {
	long := strings.Repeat("n", 20)
	k := record.NewKeys("pid", "container_id", long)
	assert.Equal(t, record.NoSlot, k.Index([]byte("container_id"+strings.Repeat("x", 1<<20))))
	assert.Equal(t, record.NoSlot, k.Index([]byte(long+"n")))
	assert.Equal(t, 2, k.Index([]byte(long)), "the longest name itself")
}

// An Event built by hand has no keys: a Field built by hand, whose Slot is 0, is looked up, not
// taken for the first name.
func TestSlotOfAFieldBuiltByHand(t *testing.T) {
	var ev record.Event
	f := record.Field{Key: []byte("x")}
	assert.Equal(t, record.NoSlot, ev.Slot(nil, &f), "no keys")
	assert.Equal(t, 1, ev.Slot(record.NewKeys("a", "x"), &f))
	assert.Equal(t, record.NoSlot, ev.Slot(record.NewKeys("a"), &f))
}

// A key that has a name's length and all but one of its bytes, at any position, with any bit of
// that byte flipped, is none of the names: the compare is of every byte, not only of what the hash
// mixes.
func TestKeysRefuseNearMisses(t *testing.T) {
	names := []string{"pid", "eventID", "event_id", "container_id", "deviceCustomString1",
		strings.Repeat("n", 17), strings.Repeat("n", 33)}
	k := record.NewKeys(names...)
	for _, n := range names {
		for at := range len(n) {
			for bit := range 8 {
				other := []byte(n)
				other[at] ^= 1 << bit
				assert.Equal(t, record.NoSlot, k.Index(other), "%q", other)
			}
		}
	}
}

// The look-up of the keys of a KCS-native record, about half of them in the list.
func BenchmarkKeysIndex(b *testing.B) {
	names := []string{"eventID", "eventName", "severity", "category", "source", "srcIP", "reason",
		"artifact", "user", "pid", "ppid", "containerID", "status", "image", "operation", "srcPort",
		"deviceCustomString1", "deviceCustomString2", "msg", "process"}
	k := record.NewKeys(names...)
	keys := [][]byte{}
	for _, n := range names {
		keys = append(keys, []byte(n), []byte(n+"_x"))
	}
	b.ResetTimer()
	for range b.N {
		for _, key := range keys {
			if k.Index(key) == -2 {
				b.Fatal()
			}
		}
	}
}

// RecordHas and BodyHasAny tell the keys of the record and of its embedded event from the slots the
// decoder noted; an event read with other keys, or built by hand, is looked up, with the same answers.
func TestRecordHasAndBodyHasAny(t *testing.T) {
	keys := record.NewKeys("rule", "log", "event", "pid", "absent")
	other := record.NewKeys("pid", "rule", "z")
	chunk, err := fbchunk.AppendEvent(nil, at(sec0, 0), map[string]any{"log": `{"rule":"R","pid":1,"y":2}`, "z": 1})
	require.NoError(t, err)
	ev := firstEvent(t, record.NewDecoder().WithKeys(keys), chunk)
	require.Equal(t, "log", string(ev.EmbeddedKey), "log is embedded with log and event among the keys")
	byHand := record.Event{Fields: ev.Fields, Embedded: ev.Embedded, EmbeddedKey: ev.EmbeddedKey}
	for _, e := range []*record.Event{&ev, &byHand} {
		for slot, want := range []bool{false, true, false, false, false} {
			assert.Equal(t, want, e.RecordHas(keys, slot), "record, slot %d", slot)
		}
		for slot, want := range []bool{true, false, false, true, false} {
			assert.Equal(t, want, e.BodyHasAny(keys, slot, slot), "body, slot %d", slot)
		}
		assert.Equal(t, []bool{false, false, true}, []bool{e.RecordHas(other, 0), e.RecordHas(other, 1), e.RecordHas(other, 2)})
		assert.Equal(t, []bool{true, true, false}, []bool{e.BodyHasAny(other, 0, 0), e.BodyHasAny(other, 1, 1), e.BodyHasAny(other, 2, 2)})
		assert.False(t, e.RecordHas(keys, record.NoSlot))
	}
}

// The decoder finds an embedded event whether or not its keys name log, event and the
// Merge_Log_Key: with all of them, by their slots; without, by a walk over the fields.
func TestEmbedWithAndWithoutTheKeys(t *testing.T) {
	chunk, err := fbchunk.AppendEvent(nil, at(sec0, 0), map[string]any{
		"a": 1, "mrg": map[string]any{"rule": "M"}, "log": `{"rule":"L"}`, "event": `{"rule":"E"}`})
	require.NoError(t, err)
	for _, tc := range []struct {
		keys     *record.Keys
		merge    string
		embedded string
	}{
		{nil, "", "log"},
		{record.NewKeys("rule"), "", "log"},
		{record.NewKeys("rule", "log", "event"), "", "log"},
		{record.NewKeys("rule", "log", "event"), "mrg", "mrg"},
		{record.NewKeys("rule", "log", "event", "mrg"), "mrg", "mrg"},
		{record.NewKeys("log", "event", "mrg"), "nothere", "log"},
	} {
		ev := firstEvent(t, record.NewDecoder().WithKeys(tc.keys).WithMergeLogKey(tc.merge), chunk)
		assert.Equal(t, tc.embedded, string(ev.EmbeddedKey), "Merge_Log_Key %q", tc.merge)
	}
	// a record with the Merge_Log_Key alone: the bit test for it must find it
	chunk, err = fbchunk.AppendEvent(nil, at(sec0, 0), map[string]any{"a": 1, "mrg": map[string]any{"rule": "M"}})
	require.NoError(t, err)
	for _, keys := range []*record.Keys{nil, record.NewKeys("rule", "log", "event", "mrg")} {
		ev := firstEvent(t, record.NewDecoder().WithKeys(keys).WithMergeLogKey("mrg"), chunk)
		assert.Equal(t, "mrg", string(ev.EmbeddedKey))
	}
	// an event with none of them is its own body
	chunk, err = fbchunk.AppendEvent(nil, at(sec0, 0), map[string]any{"a": 1, "rule": "R"})
	require.NoError(t, err)
	ev := firstEvent(t, record.NewDecoder().WithKeys(record.NewKeys("rule", "log", "event")), chunk)
	assert.Nil(t, ev.EmbeddedKey)
	assert.True(t, ev.BodyHasAny(record.NewKeys("rule"), 0, 0))
}

// BodyHasAny answers from the decoder's bit set as the walk over the fields does, for every range of
// slots of a list of 150 names (three words of the set), wherever the record's keys fall.
func TestBodyHasAnyOverWords(t *testing.T) {
	names := make([]string, 150)
	for i := range names {
		names[i] = fmt.Sprintf("k%d", i)
	}
	keys := record.NewKeys(names...)
	body := map[string]any{"k0": 1, "k63": 1, "k64": 1, "k100": 1, "k127": 1, "k128": 1, "k149": 1, "other": 1}
	chunk, err := fbchunk.AppendEvent(nil, at(sec0, 0), body)
	require.NoError(t, err)
	ev := firstEvent(t, record.NewDecoder().WithKeys(keys), chunk)
	byHand := record.Event{Fields: ev.Fields}
	for first := -1; first < 152; first++ {
		for last := first; last < 152; last++ {
			want := false
			for s := max(first, 0); s <= last && s < len(names); s++ {
				_, in := body[names[s]]
				want = want || in
			}
			require.Equal(t, want, ev.BodyHasAny(keys, first, last), "slots %d to %d", first, last)
			require.Equal(t, want, byHand.BodyHasAny(keys, first, last), "by hand, slots %d to %d", first, last)
		}
	}
}

// The decoder remembers the slot of the key at each place of the last record: whatever the next
// record has there (the same key, another, one of the same words' length, a long one, a place past
// the memo's 64), and whatever keys it reads with next, each field's Slot is the look-up's.
func TestRememberedSlotsAreTheLookUps(t *testing.T) {
	names := []string{"a", "ab", "abc", "pid", "ppid", "event_id", "container_id", "deviceCustomString1"}
	keys := record.NewKeys(names...)
	other := record.NewKeys("ppid", "a", "zz")
	pool := append([]string{"b", "pi", "event_ie", "container_iD", "deviceCustomString2", ""}, names...)
	rnd := rand.New(rand.NewPCG(1, 2))
	d := record.NewDecoder()
	var ev record.Event
	for round := range 400 {
		k := keys
		if round%50 == 49 {
			k = other
		}
		d.WithKeys(k)
		n := 1 + rnd.IntN(80)
		var body []byte
		for i := range n {
			body = append(body, mstr(pool[rnd.IntN(len(pool))]+strings.Repeat("_", i/70))...)
			body = append(body, 0x01)
		}
		chunk := current(sec0, 0, append(fixmap(n), body...))
		if round%3 == 0 { // the same record again: every place remembered
			chunk = append(chunk, chunk...)
		}
		d.Reset(chunk)
		for {
			ok, err := d.Next(&ev)
			require.NoError(t, err)
			if !ok {
				break
			}
			for i := range ev.Fields {
				f := &ev.Fields[i]
				require.Equal(t, k.Index(f.Key), f.Slot, "round %d, place %d, key %q", round, i, f.Key)
			}
		}
	}
}

// A record cut anywhere, whose keys are as long as the memo holds (15 bytes), read with the memo empty
// and with the memo knowing its keys: every cut is damage at the record, found without reading past
// the chunk's end, and the whole record before it is read.
func TestLongestRememberedKeysCutAtEveryOffset(t *testing.T) {
	keys := record.NewKeys("a", "abcdefghijklmno")
	whole := current(sec0, 0, cat(fixmap(3), mstr("a"), mstr("bcdefghijklmno"),
		mstr("abcdefghijklmno"), mstr("v"), mstr("fifteen_bytes__"), []byte{0x01}))
	for cut := 1; cut < len(whole); cut++ {
		for _, before := range [][]byte{nil, whole} {
			chunk := cat(before, whole[:cut])
			d := record.NewDecoder().WithKeys(keys)
			d.Reset(chunk)
			var ev record.Event
			if before != nil {
				ok, err := d.Next(&ev)
				require.True(t, ok, "cut %d", cut)
				require.NoError(t, err, "cut %d", cut)
				require.Len(t, ev.Fields, 3, "cut %d", cut)
			}
			ok, err := d.Next(&ev)
			require.False(t, ok, "cut %d", cut)
			var damage *record.ChunkError
			require.ErrorAs(t, err, &damage, "cut %d", cut)
			assert.Equal(t, len(before), damage.Offset, "cut %d", cut)
		}
	}
}

// firstEvent is the first event d reads of chunk, which must be one.
func firstEvent(t *testing.T, d *record.Decoder, chunk []byte) record.Event {
	t.Helper()
	d.Reset(chunk)
	var ev record.Event
	ok, err := d.Next(&ev)
	require.True(t, ok)
	require.NoError(t, err)
	return ev
}

// assertFieldsAsAWalk: ev's fields are the two pairs of body, key, node and value as a walk over the
// map finds them (c is the type byte of the first value, for the messages); with keys, each field's
// Slot is the look-up's.
func assertFieldsAsAWalk(t *testing.T, ev *record.Event, body []byte, keys *record.Keys, c byte) {
	t.Helper()
	require.Len(t, ev.Fields, 2, "type byte 0x%02x", c)
	it := record.NodeOf(body).Pairs()
	for _, f := range ev.Fields {
		k, v, ok := it.Next()
		require.True(t, ok)
		assert.Equal(t, string(k), string(f.Key), "type byte 0x%02x", c)
		assert.Equal(t, v.Bytes(), f.Raw.Bytes(), "type byte 0x%02x", c)
		assert.Equal(t, v.Value(), f.Value, "type byte 0x%02x", c)
		if keys != nil {
			assert.Equal(t, keys.Index(k), ev.Slot(keys, &f), "type byte 0x%02x, key %q", c, k)
		}
	}
}

// The decoder's reading of the usual pairs by their type bytes gives what the table of codes gives:
// for every type byte of a value, the field's value and node are those a walk over the map finds.
func TestUsualPairsReadAsTheTableReadsThem(t *testing.T) {
	for c := range 256 {
		value := record.NodeOf([]byte{byte(c), 3, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'}).Bytes()
		if value == nil {
			continue // no whole value of this type in these bytes
		}
		for _, key := range []string{"k", strings.Repeat("k", 31), strings.Repeat("k", 32)} {
			body := cat(fixmap(2), mstr(key), value, mstr("z"), []byte{0x01})
			ev := firstEvent(t, record.NewDecoder(), current(sec0, 0, body))
			assertFieldsAsAWalk(t, &ev, body, nil, byte(c))
		}
	}
}

// The same, with the record followed by another event, so that the fast reading of the usual pairs,
// which leaves the last bytes of a chunk to the general way, reads every pair; the keys are of every
// length the memo's words hold differently (and one they do not), and each field's Slot is the
// look-up's, when read once and when read again from the memo.
func TestUsualPairsFollowedByMoreBytesReadAsTheTableReadsThem(t *testing.T) {
	var names []string
	for _, n := range []int{0, 1, 6, 7, 8, 9, 14, 15, 16, 31} {
		names = append(names, strings.Repeat("k", n))
	}
	keys := record.NewKeys(append(names[1:], "z")...) // "" is none of them
	// a map and an array with 16-bit counts, which these bytes make of no type byte
	values := [][]byte{{0xdc, 0, 1, 0x01}, {0xde, 0, 1, 0xa1, 'k', 0x01}}
	for c := range 256 {
		small := []byte{byte(c), 3, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'}
		large := append([]byte{byte(c)}, bytes.Repeat([]byte{0x81}, 200)...) // negative integers
		for _, b := range [][]byte{small, large} {
			if value := record.NodeOf(b).Bytes(); value != nil {
				values = append(values, value)
			}
		}
	}
	// One event for every read, so that a field is written over one of another kind: a fast path
	// must write every member of a Field and of its Value.
	var ev record.Event
	for _, value := range values {
		c := value[0]
		for _, key := range names {
			body := cat(fixmap(2), mstr(key), value, mstr("z"), []byte{0x01})
			event := current(sec0, 0, body)
			d := record.NewDecoder().WithKeys(keys)
			d.Reset(cat(event, event, event))
			for range 2 {
				ok, err := d.Next(&ev)
				require.True(t, ok)
				require.NoError(t, err)
				assertFieldsAsAWalk(t, &ev, body, keys, c)
			}
		}
	}
}
