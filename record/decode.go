// Package record reads the events of a Fluent Bit chunk: msgpack, decoded in place.
//
// A chunk may be damaged on disk or written by an attacker, so nothing it declares is trusted: every
// length is checked against the bytes left before anything is read, skipped or allocated for it (by
// head and size in node.go, and by the fast paths that tell a type byte themselves: sizeFrom,
// Iter.take and pair, Node.Str and Kind, the decoder's usualFields and usualValue, and
// Walk's scalarEnd, stepOver, Key, Value, Str, EnterMap, EnterArray and EnterElemMap), and what one
// record can make the decoder hold is bounded by the limits below, whatever the record holds.
package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Field is one key of a record's body. Key and string values point into the chunk. Raw is the
// value's own msgpack bytes, through which nested maps and arrays stay reachable by path.
type Field struct {
	Key []byte
	// Value is a scalar's value; the zero Value for a map or an array (render Raw when a key
	// carries one), nil and extensions.
	Value Value
	Raw   Node
	// Slot is the index of Key in the decoder's Keys, NoSlot when it is none of them (or the
	// decoder has none); Event.Slot reads it.
	Slot int
}

// Event is one decoded Fluent Bit event.
type Event struct {
	Time time.Time
	// Fields is the record's body as Fluent Bit holds it.
	Fields []Field
	// Embedded is the event carried inside one of Fields, named by EmbeddedKey: a JSON object in a
	// string (a container log line in `log`, Tracee's `event`) or a map under the Merge_Log_Key.
	// EmbeddedKey is nil when the body itself is the event.
	Embedded    []Field
	EmbeddedKey []byte
	// EmbedTooLarge reports a JSON text (or a map) where an event may be carried that was left as it
	// is because it is longer than maxEmbeddedJSON or has more than maxFields keys.
	EmbedTooLarge bool
	Offset        int // byte offset of the event in the chunk
	keys          *Keys
	// fieldSlots and embeddedSlots are the slots in keys of the keys of Fields and of Embedded.
	fieldSlots, embeddedSlots slotSet
}

// Slot is the index of f's key (a field of e) in keys, NoSlot when keys has it not: the Slot the
// decoder gave it when it read with these keys, else looked up. An Event built by hand has no keys:
// its fields are looked up, so that a Field's zero Slot (a name's index) is never read as one.
func (e *Event) Slot(keys *Keys, f *Field) int {
	if e.Slotted(keys) {
		return f.Slot
	}
	return keys.Index(f.Key)
}

// Slotted reports whether every field's Slot is its key's index in keys, as the decoder gave it, so
// that a loop over the fields may read Slot itself after asking once.
func (e *Event) Slotted(keys *Keys) bool { return keys != nil && e.keys == keys }

// RecordHas reports whether the record as Fluent Bit holds it (Fields) has the key of slot in keys;
// BodyHasAny whether the event's own fields (Body) have a key of a slot from first to last.
func (e *Event) RecordHas(keys *Keys, slot int) bool {
	return e.has(keys, slot, slot, e.Fields, &e.fieldSlots)
}

func (e *Event) BodyHasAny(keys *Keys, first, last int) bool {
	if e.EmbeddedKey != nil {
		return e.has(keys, first, last, e.Embedded, &e.embeddedSlots)
	}
	return e.has(keys, first, last, e.Fields, &e.fieldSlots)
}

// has tells slots from the set the decoder filled when it read with keys, else by looking the fields
// up. NoSlot is never had.
func (e *Event) has(keys *Keys, first, last int, fields []Field, set *slotSet) bool {
	first = max(first, 0)
	if keys != nil && e.keys == keys {
		return set.hasAny(first, last)
	}
	for i := range fields {
		if slot := keys.Index(fields[i].Key); slot >= first && slot <= last {
			return true
		}
	}
	return false
}

// Body is the event's own fields: the embedded event when there is one, else the record's body.
func (e *Event) Body() []Field {
	if e.EmbeddedKey != nil {
		return e.Embedded
	}
	return e.Fields
}

// RecordNode is a top-level key of the record as Fluent Bit holds it (Fields), undecoded.
func (e *Event) RecordNode(key string) Node { return lookup(e.Fields, key) }

// lookup finds the last of a key repeated in fields, as Fluent Bit's record accessor does: the
// kubernetes filter appends its block after the keys Merge_Log merged, which may hold a block of
// the same name (Tracee's).
func lookup(fields []Field, key string) Node {
	for i := len(fields) - 1; i >= 0; i-- {
		if string(fields[i].Key) == key {
			return fields[i].Raw
		}
	}
	return Node{}
}

// FindPath follows a record accessor: first in the record as Fluent Bit holds it, then in the
// embedded event. It returns the absent Node when neither has the path.
func (e *Event) FindPath(p Path) Node {
	if len(p) == 0 {
		return Node{}
	}
	if n := p.from(lookup(e.Fields, p[0].Key)); n.Kind() != NodeAbsent {
		return n
	}
	if e.EmbeddedKey != nil {
		return p.from(lookup(e.Embedded, p[0].Key))
	}
	return Node{}
}

// ChunkError is damage in the chunk: nothing from Offset on can be read.
type ChunkError struct {
	Offset int
	Err    error
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("malformed chunk at byte %d: %v", e.Offset, e.Err)
}

func (e *ChunkError) Unwrap() error { return e.Err }

// RecordError is an event that is valid msgpack but not a Fluent Bit log event (its body is not a
// map, say). The decoder has stepped over it; the next event can be read.
type RecordError struct {
	Offset int
	Reason string
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("event at byte %d skipped: %s", e.Offset, e.Reason)
}

var errNotWhole = errors.New("the event is not whole msgpack: a length runs past the end of the chunk, or a byte is no msgpack type")

// What one record can make the decoder hold.
const (
	// maxFields bounds the keys read from a record's body or an embedded event: a key takes 3 bytes
	// of a chunk and about 100 in the table of fields. Real records have tens.
	maxFields = 1024
	// maxEmbeddedJSON bounds the JSON text decoded as an embedded event; a longer text is left a plain
	// log line. Its msgpack form takes up to 2.5 times the text (`[]`, two bytes, is five).
	maxEmbeddedJSON = 1 << 20
	// maxKeptBuffer: a buffer that one large record grew past it is let go with the chunk, so an
	// instance does not keep the size of the largest record it ever read.
	maxKeptBuffer = 1 << 20
)

// The seconds of group markers (readTime): Fluent Bit's time_t, and EventTime's uint32.
const (
	groupStart          = -1
	groupEnd            = -2
	eventTimeGroupStart = 0xFFFFFFFF
	eventTimeGroupEnd   = 0xFFFFFFFE
)

// Decoder reads the events of a chunk one at a time. It is reused across chunks: Reset, then Next
// until it returns false; from then on it holds nothing of the chunk.
type Decoder struct {
	// mergeLogKey is the key under which Fluent Bit's kubernetes filter puts a decoded log line
	// (its Merge_Log_Key); the event may be there. "" when the integration names none.
	mergeLogKey string
	keys        *Keys
	// embedSlots are the slots of the Merge_Log_Key, log and event in keys (NoSlot for none, and for
	// no Merge_Log_Key). When keys has log and event, embed tells a record without them, and without
	// the Merge_Log_Key when keys has it too, without a walk over the fields.
	embedSlots   [3]int
	embedBySlots bool
	embedMask    slotSet // embedSlots as a set, to be met by a record's in one test
	// bodyMemo and embeddedMemo remember the slots of the last record's keys, and of the last
	// embedded event's.
	bodyMemo, embeddedMemo keyMemo
	buf                    []byte // the chunk
	pos                    int    // where the next event starts
	markers                int
	json                   []byte      // an embedded JSON event, as msgpack; valid until the next event
	skipped                RecordError // what Next returns for an event it stepped over, reused
}

// NewDecoder makes a decoder; it allocates nothing per event once warm.
func NewDecoder() *Decoder { return &Decoder{} }

// WithMergeLogKey sets the key under which Fluent Bit's kubernetes filter puts a decoded log line
// (its Merge_Log_Key), "" for none, and returns the decoder.
func (d *Decoder) WithMergeLogKey(key string) *Decoder {
	d.mergeLogKey = key
	d.findEmbedSlots()
	return d
}

// WithKeys sets the keys whose index each field gets as its Slot, and returns the decoder.
func (d *Decoder) WithKeys(keys *Keys) *Decoder {
	d.keys = keys
	d.findEmbedSlots()
	return d
}

// findEmbedSlots finds embedSlots for the keys and the Merge_Log_Key the decoder has now.
func (d *Decoder) findEmbedSlots() {
	d.embedSlots = [3]int{d.keys.Index([]byte(d.mergeLogKey)), d.keys.Index([]byte("log")), d.keys.Index([]byte("event"))}
	if d.mergeLogKey == "" {
		d.embedSlots[0] = NoSlot
	}
	d.embedBySlots = d.embedSlots[1] != NoSlot && d.embedSlots[2] != NoSlot
	d.embedMask.reset(d.keys)
	for _, slot := range d.embedSlots {
		d.embedMask.add(slot)
	}
}

// Reset points the decoder at a chunk. The chunk is not copied: events refer to it.
func (d *Decoder) Reset(chunk []byte) {
	d.buf, d.pos, d.markers = chunk, 0, 0
	d.shed()
}

// Markers is the number of group markers skipped since Reset.
func (d *Decoder) Markers() int { return d.markers }

// Release lets go of the chunk and of the buffers a large record grew, and empties ev, so that
// nothing of a flush outlives it. Next does it when it returns false; call it when a chunk is left
// before that.
func (d *Decoder) Release(ev *Event) {
	d.buf, d.pos = nil, 0
	d.shed()
	clear(ev.Fields[:cap(ev.Fields)])
	clear(ev.Embedded[:cap(ev.Embedded)])
	*ev = Event{Fields: ev.Fields[:0], Embedded: ev.Embedded[:0]}
}

func (d *Decoder) shed() {
	if cap(d.json) > maxKeptBuffer {
		d.json = nil
	}
}

// Next decodes the next event into ev. It returns false at the end of the chunk, and false with a
// *ChunkError when the rest of the chunk cannot be read. A *RecordError with true means this event
// was stepped over and decoding goes on; it is the decoder's own, valid until the next call, so that
// a chunk of such events allocates nothing. Group markers are skipped and counted (Markers).
func (d *Decoder) Next(ev *Event) (bool, error) {
	for d.pos < len(d.buf) {
		start := d.pos
		rest := d.buf[start:]
		// Only an array can be an event; anything else at the top level is damage, as is an array
		// that is not whole.
		if !isArray(rest[0]) {
			d.Release(ev)
			return false, &ChunkError{Offset: start, Err: fmt.Errorf("msgpack type 0x%02x where an event (an array) starts", rest[0])}
		}
		n, marker, reason := d.event(ev, rest)
		if n < 0 {
			d.Release(ev)
			return false, &ChunkError{Offset: start, Err: errNotWhole}
		}
		d.pos += n
		switch {
		case reason != "":
			d.skipped = RecordError{Offset: start, Reason: reason}
			return true, &d.skipped
		case marker:
			d.markers++
			continue
		}
		ev.Offset = start
		return true, nil
	}
	d.Release(ev)
	return false, nil
}

// event decodes the event at the start of b, the rest of the chunk, and measures it: n is its
// length, or -1 when it is not whole. The walk that reads the body's fields measures an event, so
// it is walked once; one stepped over (reason) or a marker is measured by size.
func (d *Decoder) event(ev *Event, b []byte) (n int, marker bool, reason string) {
	ev.Fields, ev.Embedded, ev.EmbeddedKey, ev.EmbedTooLarge = ev.Fields[:0], ev.Embedded[:0], nil, false
	ev.keys = d.keys
	ev.fieldSlots.reset(d.keys)
	ev.embeddedSlots.reset(d.keys)
	d.json = d.json[:0]
	body, marker, reason := readHeader(ev, b)
	if marker || reason != "" {
		return size(b), marker, reason
	}
	var bodySize int
	if ev.Fields, bodySize = d.fields(ev.Fields, &ev.fieldSlots, &d.bodyMemo, body); bodySize < 0 {
		return -1, false, ""
	}
	d.embed(ev)
	return len(b) - len(body.b) + bodySize, false, ""
}

// readHeader checks the event at the start of b as Fluent Bit's flb_event_decoder_decode_object
// does: [[timestamp, metadata], body] or the legacy [timestamp, body], metadata and body maps. It
// reads the time into ev and returns the body, which runs to the end of b; reason says why an event
// that is none is stepped over. The event may not be whole: then size(b) tells it, whatever reason.
func readHeader(ev *Event, b []byte) (body Node, marker bool, reason string) {
	if body, ok := usualHeader(ev, b); ok {
		return body, false, ""
	}
	const notWhole = "not whole"
	root := Node{b}
	if n := root.Len(); n != 2 {
		return body, false, fmt.Sprintf("event is an array of %d, want 2", n)
	}
	it := root.Elems()
	it.exact = false // root runs to the end of the chunk; its last child, the body, is measured by fields
	stamp, ok := it.NextElem()
	if !ok {
		return body, false, notWhole
	}
	body = Node{it.rest}
	if stamp.Kind() == NodeArray { // the legacy shape has no metadata
		if n := stamp.Len(); n != 2 {
			return body, false, fmt.Sprintf("event header is an array of %d, want 2 (timestamp, metadata)", n)
		}
		h := stamp.Elems()
		if stamp, ok = h.NextElem(); !ok {
			return body, false, notWhole
		}
		if meta, _ := h.NextElem(); meta.Kind() != NodeMap {
			return body, false, "its metadata is not a map"
		}
	}
	switch stamp.Kind() {
	case NodeInt, NodeUint, NodeFloat, NodeExt:
	default:
		return body, false, fmt.Sprintf("timestamp has msgpack type 0x%02x, want EventTime, integer or float", stamp.b[0])
	}
	switch {
	case body.Kind() != NodeMap:
		return body, false, "its body is not a map"
	case body.Len() > maxFields:
		return body, false, fmt.Sprintf("its body has %d keys, more than %d", body.Len(), maxFields)
	}
	ev.Time, marker, reason = readTime(stamp)
	return body, marker, reason
}

// usualHeader reads the header Fluent Bit writes for nearly every event, [[EventTime, {}], {...}],
// by its fixed bytes; ok is false for any other (a group marker among them), which readHeader reads
// the long way.
func usualHeader(ev *Event, b []byte) (body Node, ok bool) {
	const size = 13 // 0x92 0x92, EventTime as fixext 8 of type 0, 0x80
	if len(b) <= size || b[0] != 0x92 || b[1] != 0x92 || b[2] != 0xd7 || b[3] != 0 || b[12] != 0x80 {
		return Node{}, false
	}
	t, marker := eventTime(binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]))
	if body = (Node{b[size:]}); marker || body.Kind() != NodeMap || body.Len() > maxFields {
		return Node{}, false
	}
	ev.Time = t
	return body, true
}

// eventTime is the time an EventTime's seconds and nanoseconds tell, or marker for a group
// marker's (seconds 0xFFFFFFFF or 0xFFFFFFFE, no nanoseconds).
func eventTime(s, ns uint32) (t time.Time, marker bool) {
	if ns == 0 && (s == eventTimeGroupStart || s == eventTimeGroupEnd) {
		return t, true
	}
	return time.Unix(int64(s), int64(ns)), false
}

// readTime reads a timestamp: EventTime (extension 0 of 8 bytes: uint32 seconds and nanoseconds,
// big-endian), an integer or a float. Group markers are told as Fluent Bit 5.1's decoder tells them
// (flb_log_event_decoder_decode_timestamp, then flb_log_event_decoder_get_record_type): the time,
// as C's time_t, is -1 (start) or -2 (end); EventTime says so only with seconds 0xFFFFFFFF or
// 0xFFFFFFFE and no nanoseconds, a non-negative integer when it wraps there (2^64-1, 2^64-2), a float
// when cut toward zero there; a negative integer never does. A time Fluent Bit would refuse or skip
// (a negative integer, NaN, nanoseconds of 10^9 or more, other negative seconds) is still an event
// here, with the time it says: the pipeline sends a time no syslog header can carry with the flush's.
func readTime(n Node) (t time.Time, marker bool, reason string) {
	var sec, nsec int64
	switch v := n.Value(); n.Kind() {
	case NodeExt:
		_, hdr, payload, _ := head(n.b)
		if typ := int8(n.b[hdr-1]); typ != 0 || payload != 8 {
			return t, false, fmt.Sprintf("timestamp is extension %d of %d bytes, want EventTime (0, 8 bytes)", typ, payload)
		}
		t, marker = eventTime(binary.BigEndian.Uint32(n.b[hdr:]), binary.BigEndian.Uint32(n.b[hdr+4:]))
		return t, marker, ""
	case NodeInt:
		if v.Int() < 0 {
			return time.Unix(v.Int(), 0), false, ""
		}
		sec = v.Int()
	case NodeUint:
		sec = int64(v.Uint()) // wraps as the assignment to time_t does
	case NodeFloat:
		// C's conversion: toward zero; NaN and values out of range give what x86-64 gives, the
		// smallest int64 (never a marker on any machine).
		sec = math.MinInt64
		if f := v.Float(); f > -(1<<63) && f < 1<<63 {
			sec = int64(f)
			nsec = int64((f - float64(sec)) * 1e9)
		}
	}
	if sec == groupStart || sec == groupEnd {
		return t, true, ""
	}
	return time.Unix(sec, nsec), false, ""
}

func isArray(c byte) bool { return c&0xf0 == 0x90 || c == 0xdc || c == 0xdd }

// fields reads the keys of a map (its caller checked their number) and returns the map's size in
// bytes, -1 when it is not whole. Each key and value is read by its header once: a scalar is decoded
// from it, a map or an array only measured (it is rendered if a key carries it). A key that is not
// a string is stepped over with its value: no mapping can name it.
func (d *Decoder) fields(dst []Field, slots *slotSet, memo *keyMemo, m Node) ([]Field, int) {
	it := m.Pairs()
	it.exact = false // the body runs to the end of the chunk: every child is measured, and so m
	memo.use(d.keys)
	for {
		if startsUsual(it.rest) {
			// room for the pairs declared that the bytes can hold (two bytes at least each), so that
			// a field is written in place with no check of the capacity; the callers checked the
			// count against maxFields, which bounds it whatever the bytes after the record
			n, room := len(dst), min(it.left, len(it.rest))/2
			dst = slices.Grow(dst, room)
			read, rest := usualFields(dst[n:n+room], n, it.rest, slots, memo)
			dst, it.rest, it.left = dst[:n+read], rest, it.left-2*read
		}
		b := it.rest
		key, isStr, v, k, hdr, payload, ok := it.pair()
		if !ok {
			if it.broken() {
				return dst, -1
			}
			return dst, len(m.b) - len(it.rest)
		}
		if !isStr {
			continue
		}
		var slot int
		if b[0]&0xe0 == 0xa0 { // a fixstr key
			slot = memo.index(len(dst), b, len(key)+1)
		} else {
			slot = d.keys.Index(key)
		}
		dst = append(dst, Field{Key: key, Raw: v, Slot: slot})
		slots.add(slot)
		dst[len(dst)-1].Value.scalar(v.b, k, hdr, payload)
	}
}

// startsUsual reports whether b, the bytes left of a map, starts with a pair that usualFields reads.
func startsUsual(b []byte) bool {
	if len(b) < 8 || b[0]&0xe0 != 0xa0 {
		return false
	}
	at := int(b[0]&0x1f) + 1
	return at < len(b) && usualClass[b[at]] != notUsual
}

// What usualFields does with a value, told by its type byte (usualClass): notUsual is the general
// way's (a float, an extension, bin, str16 and str32, the byte that is no type).
const (
	notUsual    = iota
	usualString // fixstr, str8: read by usualFields itself
	usualFixint
	usualSigned   // int8 to int64
	usualUnsigned // uint8 to uint32, KindInt as the table of codes reads them
	usualUint64   // KindUint
	usualNil
	usualBool
	usualFixContainer // a fixmap or a fixarray, measured; the zero Value, as a nil's
	usualCounted      // a map or an array with a 16- or 32-bit count, measured
)

// usualClass is what usualFields does with a value of each type byte.
var usualClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c <= 0x7f || c >= 0xe0:
			t[c] = usualFixint
		case c&0xe0 == 0xa0:
			t[c] = usualString
		case c <= 0x9f:
			t[c] = usualFixContainer
		case c >= 0xd0 && c <= 0xd3:
			t[c] = usualSigned
		case c >= 0xcc && c <= 0xce:
			t[c] = usualUnsigned
		case c >= 0xdc && c <= 0xdf:
			t[c] = usualCounted
		}
	}
	t[0xd9], t[0xcf], t[0xc0], t[0xc2], t[0xc3] = usualString, usualUint64, usualNil, usualBool, usualBool
	return t
}()

// usualFields reads the pairs at the start of b that are usual, up to the first that is not: a fixstr
// key and a value that is no float, extension, bin or long string, nearly every pair of a record, told
// by their type bytes and written in place as a Field, the first into room[0] (place n of the map). It
// returns how many it read and the bytes after them. A pair that the bytes left do not follow by 8
// bytes from its start (and a number by 9 from its type byte) is left to the general way, so that the
// key's first word and a number's are read without a check each.
func usualFields(room []Field, n int, b []byte, slots *slotSet, memo *keyMemo) (int, []byte) {
	i := 0
loop:
	for ; i < len(room) && len(b) >= 8; i++ {
		first := binary.LittleEndian.Uint64(b) // the key's type byte and its first bytes
		at := int(first&0x1f) + 1              // the value's type byte
		if first&0xe0 != 0xa0 || at >= len(b) {
			break // not a fixstr
		}
		f := &room[i] // every member of f written, none zeroed first
		// the strings, the most usual values, are read without a call
		var end int
		switch c := b[at]; {
		case c&0xe0 == 0xa0:
			if end = at + 1 + int(c&0x1f); end > len(b) {
				break loop
			}
			f.Value.set(KindString, b[at+1:end:end], 0)
		case c == 0xd9:
			if at+1 >= len(b) {
				break loop
			}
			if end = at + 2 + int(b[at+1]); end > len(b) {
				break loop
			}
			f.Value.set(KindString, b[at+2:end:end], 0)
		default:
			if end = usualValue(&f.Value, b, at); end < 0 {
				break loop
			}
		}
		slot, ok := memo.remembered(n+i, first, b, at)
		if !ok {
			slot = memo.learn(n+i, b, at)
		}
		f.Key, f.Raw, f.Slot = b[1:at:at], Node{b[at:end:end]}, slot
		slots.add(slot)
		b = b[end:len(b):len(b)]
	}
	return i, b
}

// usualValue writes every member of v from the value at b[at], which b holds, and returns where
// the value ends; -1 when it is not usual (usualClass) or not whole, or a number b does not follow
// by 9 bytes from its type byte, and for a string, which usualFields reads itself. A container is
// measured.
func usualValue(v *Value, b []byte, at int) (end int) {
	switch c := b[at]; usualClass[c] {
	case usualFixint:
		v.set(KindInt, nil, uint64(int64(int8(c))))
		return at + 1
	case usualSigned, usualUnsigned, usualUint64:
		if at+9 > len(b) {
			return -1
		}
		w, shift := binary.BigEndian.Uint64(b[at+1:]), 8*(9-uint(stepSize[c])) // its bytes, then those after
		switch usualClass[c] {
		case usualSigned:
			v.set(KindInt, nil, uint64(int64(w)>>shift))
		case usualUnsigned:
			v.set(KindInt, nil, w>>shift)
		default:
			v.set(KindUint, nil, w)
		}
		return at + int(stepSize[c])
	case usualNil:
		v.set(KindNone, nil, 0)
		return at + 1
	case usualBool:
		v.set(KindBool, nil, uint64(c&1))
		return at + 1
	case usualFixContainer, usualCounted:
		if n := size(b[at:]); n >= 0 {
			v.set(KindNone, nil, 0)
			return at + n
		}
	}
	return -1
}

// embed finds an event carried inside the record: a map under the Merge_Log_Key, or a JSON object
// in a string under the Merge_Log_Key, `log` (a container log line read by tail with the CRI or
// docker parser) or `event` (Tracee's forward output), the first of each key, in that order. A
// string that is not a JSON object is left alone: the record stays a plain log line.
func (d *Decoder) embed(ev *Event) {
	if d.embedBySlots && !ev.fieldSlots.meets(&d.embedMask) {
		if d.mergeLogKey != "" && d.embedSlots[0] == NoSlot { // a Merge_Log_Key that keys lack, the only place left
			for i := range ev.Fields {
				if string(ev.Fields[i].Key) == d.mergeLogKey {
					d.embedFrom(ev, &ev.Fields[i])
					return
				}
			}
		}
		return
	}
	// the Merge_Log_Key, log, event: found in one pass over the keys, backwards so that the first wins;
	// a Merge_Log_Key of log or event is found as such only, so that no field is parsed twice
	at := [...]int{-1, -1, -1}
	for i := len(ev.Fields) - 1; i >= 0; i-- {
		switch key := ev.Fields[i].Key; {
		case d.mergeLogKey != "" && string(key) == d.mergeLogKey:
			at[0] = i
		case string(key) == "log":
			at[1] = i
		case string(key) == "event":
			at[2] = i
		}
	}
	for _, i := range at {
		if i >= 0 && d.embedFrom(ev, &ev.Fields[i]) {
			return
		}
	}
}

func (d *Decoder) embedFrom(ev *Event, f *Field) bool {
	node := f.Raw
	switch node.Kind() {
	case NodeMap:
		// Only the Merge_Log_Key holds the event as a map; under log or event a map is a field of
		// the record, which is the event (ECS's event.original, log.level).
		if d.mergeLogKey == "" || string(f.Key) != d.mergeLogKey {
			return false
		}
	case NodeString:
		s, _ := node.Str()
		if !looksLikeJSONObject(s) {
			return false
		}
		if len(s) > maxEmbeddedJSON {
			ev.EmbedTooLarge = true
			return false
		}
		var ok bool
		if d.json, ok = AppendJSONAsMsgpack(d.json[:0], s); !ok {
			return false
		}
		node = Node{d.json}
	default:
		return false
	}
	if node.Len() > maxFields {
		ev.EmbedTooLarge = true
		return false
	}
	ev.Embedded, _ = d.fields(ev.Embedded[:0], &ev.embeddedSlots, &d.embeddedMemo, node) // whole: a field, or JSON made into msgpack
	ev.EmbeddedKey = f.Key
	return true
}
