// Package record reads the events of a Fluent Bit chunk: msgpack, decoded in place.
package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Field is one key of a record's body. Key and string values point into the chunk. Raw is the
// value's own msgpack bytes, through which nested maps and arrays stay reachable by path.
type Field struct {
	Key   []byte
	Value cef.Value
	Raw   Node
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
	Offset      int // byte offset of the event in the chunk
}

// Lookup returns the value of a top-level key.
func (e *Event) Lookup(key string) (cef.Value, bool) {
	for i := range e.Fields {
		if string(e.Fields[i].Key) == key {
			return e.Fields[i].Value, true
		}
	}
	return cef.Value{}, false
}

// Body is the event's own fields: the embedded event when there is one, else the record's body.
func (e *Event) Body() []Field {
	if e.EmbeddedKey != nil {
		return e.Embedded
	}
	return e.Fields
}

// Get is a top-level key of the event's own fields (Body), undecoded.
func (e *Event) Get(key string) Node { return lookup(e.Body(), key) }

// Outer is a top-level key of the record as Fluent Bit holds it (Fields), undecoded.
func (e *Event) Outer(key string) Node { return lookup(e.Fields, key) }

func lookup(fields []Field, key string) Node {
	for i := range fields {
		if string(fields[i].Key) == key {
			return fields[i].Raw
		}
	}
	return Node{}
}

// Find follows a record accessor: first in the record as Fluent Bit holds it, then in the embedded
// event. It returns the absent Node when neither has the path.
func (e *Event) Find(p Path) Node {
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

// Group markers of OpenTelemetry inputs carry these seconds; they are not events.
const (
	groupStart = 0xFFFFFFFF
	groupEnd   = 0xFFFFFFFE
)

// maxDepth bounds the nesting rendered as JSON, so hostile input cannot exhaust the stack; what lies
// deeper is written as the string cutMark.
const (
	maxDepth = 64
	cutMark  = `"…"`
)

// Decoder reads the events of a chunk one at a time. It is reused across chunks: Reset, then Next
// until it returns false.
type Decoder struct {
	// MergeLogKey is the key under which Fluent Bit's kubernetes filter puts a decoded log line
	// (its Merge_Log_Key); the event may be there. "" when the integration names none.
	MergeLogKey string

	buf     []byte
	r       bytes.Reader
	d       *msgpack.Decoder
	scratch []byte  // nested values rendered as JSON; valid until the next event
	json    []byte  // an embedded JSON event, as msgpack; valid until the next event
	stamp   [8]byte // an EventTime's bytes; a local array would escape to the heap through ReadFull
}

// NewDecoder makes a decoder; it allocates nothing per event once warm.
func NewDecoder() *Decoder {
	d := &Decoder{}
	d.d = msgpack.NewDecoder(&d.r)
	return d
}

// WithMergeLogKey sets MergeLogKey and returns the decoder.
func (d *Decoder) WithMergeLogKey(key string) *Decoder {
	d.MergeLogKey = key
	return d
}

// Reset points the decoder at a chunk. The chunk is not copied: events refer to it.
func (d *Decoder) Reset(chunk []byte) {
	d.buf = chunk
	d.r.Reset(chunk)
	// bytes.Reader is an io.ByteScanner, so the msgpack decoder reads it directly, unbuffered, and
	// the reader's position is the decoder's.
	d.d.Reset(&d.r)
}

func (d *Decoder) pos() int { return len(d.buf) - d.r.Len() }

// Next decodes the next event into ev. It returns false at the end of the chunk, and false with a
// *ChunkError when the rest of the chunk cannot be read. A *RecordError with true means this event
// was stepped over and decoding goes on. Group markers are skipped.
func (d *Decoder) Next(ev *Event) (bool, error) {
	for {
		if d.r.Len() == 0 {
			return false, nil
		}
		start := d.pos()
		marker, err := d.event(ev)
		if err != nil {
			var rerr *RecordError
			if errors.As(err, &rerr) {
				return true, rerr
			}
			// An array that is not an event as Fluent Bit writes one: if it is still well-formed
			// msgpack, only this event is lost and the ones after it can be read. Anything else at
			// the top level is damage.
			if isArray(d.buf[start]) {
				if _, serr := d.r.Seek(int64(start), io.SeekStart); serr == nil && d.skip(1) == nil {
					return true, &RecordError{Offset: start, Reason: err.Error()}
				}
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return false, &ChunkError{Offset: d.pos(), Err: fmt.Errorf("event starting at byte %d: %w", start, err)}
		}
		if !marker {
			ev.Offset = start
			return true, nil
		}
	}
}

// skip steps over n values without recursion: a container adds its elements to the count, so no
// nesting, however deep, can exhaust the stack.
func (d *Decoder) skip(n int) error {
	for ; n > 0; n-- {
		if n > d.r.Len() {
			return fmt.Errorf("%d values announced, %d bytes left", n, d.r.Len())
		}
		c, err := d.d.PeekCode()
		if err != nil {
			return err
		}
		switch {
		case isMap(c):
			var m int
			m, err = d.d.DecodeMapLen()
			n += 2 * m
		case isArray(c):
			var a int
			a, err = d.d.DecodeArrayLen()
			n += a
		case isString(c):
			_, err = d.bytes()
		default: // scalars and extensions
			err = d.d.Skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// event reads [[time, metadata], body] or the legacy [time, body].
func (d *Decoder) event(ev *Event) (marker bool, err error) {
	start := d.pos()
	n, err := d.d.DecodeArrayLen()
	if err != nil {
		return false, err
	}
	if n != 2 {
		return false, fmt.Errorf("event is an array of %d, want 2", n)
	}
	c, err := d.d.PeekCode()
	if err != nil {
		return false, err
	}
	if isArray(c) {
		h, err := d.d.DecodeArrayLen()
		if err != nil {
			return false, err
		}
		if h < 1 {
			return false, errors.New("event header is an empty array")
		}
		if ev.Time, marker, err = d.timestamp(); err != nil {
			return false, err
		}
		if err := d.skip(h - 1); err != nil { // metadata: not used
			return false, err
		}
	} else if ev.Time, marker, err = d.timestamp(); err != nil {
		return false, err
	}
	ev.Fields = ev.Fields[:0]
	ev.Embedded, ev.EmbeddedKey = ev.Embedded[:0], nil
	d.scratch = d.scratch[:0]
	if marker {
		return true, d.skip(1)
	}
	if c, err = d.d.PeekCode(); err != nil {
		return false, err
	}
	if !isMap(c) {
		if err := d.skip(1); err != nil {
			return false, err
		}
		return false, &RecordError{Offset: start, Reason: "its body is not a map"}
	}
	if ev.Fields, err = d.body(ev.Fields); err != nil {
		return false, err
	}
	d.embed(ev)
	return false, nil
}

// embedKeys are where an event may be carried inside the record, after the Merge_Log_Key: `log`
// (a container log line read by tail with the CRI or docker parser) and `event` (Tracee's forward
// output).
var embedKeys = [...]string{"log", "event"}

// embed finds an event carried inside the record: a map under the Merge_Log_Key, or a JSON object
// in a string under the Merge_Log_Key, `log` or `event`, in that order. A string that is not a JSON
// object is left alone: the record stays a plain log line.
func (d *Decoder) embed(ev *Event) {
	ev.Embedded, ev.EmbeddedKey = ev.Embedded[:0], nil
	d.json = d.json[:0]
	if d.MergeLogKey != "" && d.embedFrom(ev, d.MergeLogKey) {
		return
	}
	for _, k := range embedKeys {
		if d.embedFrom(ev, k) {
			return
		}
	}
}

func (d *Decoder) embedFrom(ev *Event, key string) bool {
	var f *Field
	for i := range ev.Fields {
		if string(ev.Fields[i].Key) == key {
			f = &ev.Fields[i]
			break
		}
	}
	if f == nil {
		return false
	}
	node := f.Raw
	switch node.Kind() {
	case NodeMap:
	case NodeString:
		s, _ := node.Str()
		if !looksLikeJSONObject(s) {
			return false
		}
		var ok bool
		if d.json, ok = appendJSONAsMsgpack(d.json[:0], s); !ok {
			return false
		}
		node = Node{d.json}
	default:
		return false
	}
	it := node.Pairs()
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		val := v.Value()
		if kind := v.Kind(); kind == NodeMap || kind == NodeArray {
			start := len(d.scratch)
			d.scratch = v.AppendJSON(d.scratch)
			val = cef.String(d.scratch[start:len(d.scratch):len(d.scratch)])
		}
		ev.Embedded = append(ev.Embedded, Field{Key: k, Value: val, Raw: v})
	}
	ev.EmbeddedKey = f.Key
	return true
}

// timestamp reads EventTime (ext 0: uint32 seconds, uint32 nanoseconds), an integer or a float.
func (d *Decoder) timestamp() (t time.Time, marker bool, err error) {
	c, err := d.d.PeekCode()
	if err != nil {
		return t, false, err
	}
	switch {
	case c == msgpcode.FixExt8 || c == msgpcode.Ext8:
		id, n, err := d.d.DecodeExtHeader()
		if err != nil {
			return t, false, err
		}
		if id != 0 || n != 8 {
			return t, false, fmt.Errorf("timestamp is extension %d of %d bytes, want EventTime (0, 8 bytes)", id, n)
		}
		b := d.stamp[:]
		if err := d.d.ReadFull(b); err != nil {
			return t, false, err
		}
		sec := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		nsec := uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
		if sec == groupStart || sec == groupEnd {
			return t, true, nil
		}
		return time.Unix(int64(sec), int64(nsec)), false, nil
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.d.DecodeFloat64()
		if err != nil {
			return t, false, err
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)), false, nil
	case msgpcode.IsFixedNum(c) || c >= msgpcode.Uint8 && c <= msgpcode.Int64:
		i, err := d.d.DecodeInt64()
		if err != nil {
			return t, false, err
		}
		if i == -1 || i == -2 || i == groupStart || i == groupEnd {
			return t, true, nil
		}
		return time.Unix(i, 0), false, nil
	}
	return t, false, fmt.Errorf("timestamp has msgpack type 0x%02x, want EventTime, integer or float", c)
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

func isString(c byte) bool {
	return msgpcode.IsFixedString(c) || c == msgpcode.Str8 || c == msgpcode.Str16 || c == msgpcode.Str32 ||
		c == msgpcode.Bin8 || c == msgpcode.Bin16 || c == msgpcode.Bin32
}

// body reads the top-level keys of a record. A key that is not a string is stepped over with its
// value: no mapping can name it.
func (d *Decoder) body(fields []Field) ([]Field, error) {
	n, err := d.d.DecodeMapLen()
	if err != nil {
		return fields, err
	}
	for i := 0; i < n; i++ {
		c, err := d.d.PeekCode()
		if err != nil {
			return fields, err
		}
		if !isString(c) {
			if err := d.skip(2); err != nil {
				return fields, err
			}
			continue
		}
		key, err := d.bytes()
		if err != nil {
			return fields, err
		}
		// Filled in place: a Field is large, and this runs for every key of every record.
		fields = append(fields, Field{})
		f := &fields[len(fields)-1]
		f.Key = key
		start := d.pos()
		if f.Value, err = d.value(); err != nil {
			return fields, err
		}
		f.Raw = Node{d.buf[start:d.pos():d.pos()]}
	}
	return fields, nil
}

// bytes returns a string or binary value as a slice of the chunk itself.
func (d *Decoder) bytes() ([]byte, error) {
	n, err := d.d.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	start := d.pos()
	if n < 0 || n > len(d.buf)-start {
		return nil, fmt.Errorf("string of %d bytes runs past the end of the chunk", n)
	}
	if _, err := d.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return nil, err
	}
	return d.buf[start : start+n : start+n], nil
}

func (d *Decoder) value() (cef.Value, error) {
	c, err := d.d.PeekCode()
	if err != nil {
		return cef.Value{}, err
	}
	switch {
	case isString(c):
		b, err := d.bytes()
		return cef.String(b), err
	case c == msgpcode.Nil:
		return cef.Value{}, d.skip(1)
	case c == msgpcode.True || c == msgpcode.False:
		b, err := d.d.DecodeBool()
		v := cef.Value{Kind: cef.KindBool}
		if b {
			v.Int = 1
		}
		return v, err
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.d.DecodeFloat64()
		return cef.Value{Kind: cef.KindFloat, Float: f}, err
	case c == msgpcode.Uint64:
		u, err := d.d.DecodeUint64()
		return cef.Value{Kind: cef.KindUint, Uint: u}, err
	case msgpcode.IsFixedNum(c) || c >= msgpcode.Uint8 && c <= msgpcode.Int64:
		i, err := d.d.DecodeInt64()
		return cef.Int(i), err
	case isMap(c) || isArray(c):
		// Stepped over first, so the rendering walks bytes known to be well-formed.
		at := d.pos()
		if err := d.skip(1); err != nil {
			return cef.Value{}, err
		}
		start := len(d.scratch)
		d.scratch = Node{d.buf[at:d.pos()]}.AppendJSON(d.scratch)
		return cef.String(d.scratch[start:len(d.scratch):len(d.scratch)]), nil
	}
	// Extensions (a nested timestamp, say) have no text form a SIEM would read.
	return cef.Value{}, d.skip(1)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		s = s[size:]
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r) // an invalid byte comes out as U+FFFD
		}
	}
	return append(dst, '"')
}
