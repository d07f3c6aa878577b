package pipeline

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
)

// Aggregation (Aggregate): the runtime events of one run that are the same in aggregationKeys, the
// class ID and the severity, and whose own times fall in the same Aggregate slot, are sent as one
// event, the first, with cnt, start and end. Nothing is kept between runs: a retried chunk
// aggregates the same way. Run reads the chunk twice: collect counts every key first, so that the
// first event of each goes out in its place with the counts of the whole chunk.

// aggregationKeys are the keys whose values, as the message carries them, make two runtime events
// the same: every key but the PIDs, the record's message and the keys aggregation writes, so that an
// aggregate keeps every fact of the events it stands for.
var aggregationKeys = func() (keys []product.Key) {
	for k := range product.NumKeys {
		switch k {
		case product.KeyDpid, product.KeySpid, product.KeyCn1, product.KeyMsg, product.KeyCnt, product.KeyStart, product.KeyEnd:
		default:
			keys = append(keys, k)
		}
	}
	return keys
}()

// maxAggregates bounds the different events one run aggregates: an event's author decides how many
// there are. The events of others are sent one by one, and counted (Stats.Unaggregated).
const maxAggregates = 4096

// maxKeyBytes bounds the copies of the keys of one run (a key is at most about 40 KiB: its values
// are cut to their keys' limits).
const maxKeyBytes = 1 << 20

// keptKeyBytes: a key copy buffer grown past it is let go after the run, like the buffers a large
// record grew.
const keptKeyBytes = 64 << 10

// aggregate is one group of the same events in a run.
type aggregate struct {
	hash       uint64
	keyStart   int // a.keys[keyStart:keyEnd] is the group's key
	keyEnd     int
	first      int // the byte offset in the chunk of its first event, which is sent
	count      int
	start, end int64 // the earliest and latest of its events' times, milliseconds since the epoch
}

// aggregator finds the group of an event in an open-addressing table that lives as long as the
// pipeline: once warm, it allocates nothing.
type aggregator struct {
	slot  int64 // Aggregate, in milliseconds
	seed  maphash.Seed
	table []int32 // index+1 into groups, 0 for an empty slot; twice maxAggregates, a power of two
	// groups are the run's groups in order of first appearance; keys holds their keys.
	groups []aggregate
	keys   []byte
	key    []byte // the key of the event at hand
}

func newAggregator(slot time.Duration) *aggregator {
	return &aggregator{slot: slot.Milliseconds(), seed: maphash.MakeSeed(), table: make([]int32, 2*maxAggregates)}
}

// reset empties the table for a run, and the key copies with it: no text of a chunk outlives its run.
func (a *aggregator) reset() {
	clear(a.table)
	a.groups = a.groups[:0]
	clear(a.keys)
	a.keys = a.keys[:0]
	if cap(a.keys) > keptKeyBytes {
		a.keys = nil
	}
	clear(a.key) // the last event's key: a copy of its values
	if cap(a.key) > keptKeyBytes {
		a.key = nil // a hostile event's values can make it hundreds of KiB
	}
}

// add counts an event in its group, making the group when there is room for it.
func (a *aggregator) add(ev *product.Event, offset int) {
	h := a.keyOf(ev)
	at, g := a.find(h)
	ms := ev.Time.UnixMilli()
	switch {
	case g != nil:
		g.count++
		g.start, g.end = min(g.start, ms), max(g.end, ms)
	case len(a.groups) < maxAggregates && len(a.keys)+len(a.key) <= maxKeyBytes:
		a.groups = append(a.groups, aggregate{hash: h, keyStart: len(a.keys), keyEnd: len(a.keys) + len(a.key),
			first: offset, count: 1, start: ms, end: ms})
		a.keys = append(a.keys, a.key...)
		a.table[at] = int32(len(a.groups))
	}
}

// full says which bound left an event out of the groups.
func (a *aggregator) full() string {
	if len(a.groups) >= maxAggregates {
		return fmt.Sprintf("more than %d different runtime events in this chunk; the others are sent one by one", maxAggregates)
	}
	return fmt.Sprintf("the different runtime events of this chunk hold more than %d bytes of values; the others are sent one by one", maxKeyBytes)
}

// group is the event's group, nil when the table had no room for it.
func (a *aggregator) group(ev *product.Event) *aggregate {
	_, g := a.find(a.keyOf(ev))
	return g
}

// find returns the event's group (a.key, hashed to h), or nil and the empty slot it would take.
// The table is at most half full, so an empty slot ends every search.
func (a *aggregator) find(h uint64) (at int, g *aggregate) {
	mask := len(a.table) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		n := a.table[i]
		if n == 0 {
			return i, nil
		}
		// The key itself decides: a hash collision never merges two different events.
		if g := &a.groups[n-1]; g.hash == h && bytes.Equal(a.keys[g.keyStart:g.keyEnd], a.key) {
			return i, g
		}
	}
}

// keyOf writes the event's key to a.key and hashes it: its time slot, severity, class ID, the
// record's own name, cs4's label, and the values of aggregationKeys as the message carries them,
// each after its length.
func (a *aggregator) keyOf(ev *product.Event) uint64 {
	k := binary.LittleEndian.AppendUint64(a.key[:0], uint64(floorDiv(ev.Time.UnixMilli(), a.slot)))
	k = append(k, byte(ev.Severity), boolByte(ev.Cs4IsOwner))
	at := len(k)
	k = cef.AppendClassID(append(k, 0, 0, 0, 0), ev.ClassID)
	binary.LittleEndian.PutUint32(k[at:], uint32(len(k)-at-4))
	k = binary.LittleEndian.AppendUint32(k, uint32(len(ev.Name)))
	k = append(k, ev.Name...)
	for _, key := range aggregationKeys {
		at := len(k)
		k = ev.AppendWireValue(append(k, 0, 0, 0, 0), key)
		binary.LittleEndian.PutUint32(k[at:], uint32(len(k)-at-4))
	}
	a.key = k
	return maphash.Bytes(a.seed, k)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
