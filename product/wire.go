package product

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
)

// Writer writes events' messages with an encoder, each at most size bytes, as the encoder's
// AppendFit writes the events Wire fills: a message that fits as it is goes straight from the
// event's values into the line (cef's AppendWith), and only one that must be shortened through Wire
// and AppendShortened. Once warm it allocates nothing. It is not safe for concurrent use.
type Writer struct {
	enc   *cef.Encoder
	wire  cef.Event // the event at hand's header, and its fields when it is shortened
	pairs pairs
}

// pairs writes the extension of the event at hand straight from its values, for AppendWith.
type pairs struct {
	ev   *Event
	nums []byte // the text of its numbers that are not Whole, as Wire's nums
	size int    // the message's
	all  bool   // AppendPairs wrote every pair: it did not give up
}

// NewWriter writes messages with enc, each at most size bytes (Max_Message_Size).
func NewWriter(enc *cef.Encoder, size int) *Writer {
	return &Writer{enc: enc, pairs: pairs{size: size}}
}

// Append appends event e's message to dst; it reports whether it was shortened to fit, and ok false,
// with nothing appended, when it cannot fit at all.
func (w *Writer) Append(dst []byte, e *Event) (line []byte, shortened, ok bool) {
	e.wireHeader(&w.wire)
	w.pairs.ev = e
	if line, ok = w.enc.AppendWith(dst, &w.wire, &w.pairs, w.pairs.size); ok {
		return line, false, true
	}
	w.pairs.nums = e.Wire(&w.wire, w.pairs.nums)
	if w.pairs.all {
		// Written whole, the message is over the size: AppendFit's first try is made.
		return w.enc.AppendShortened(dst, &w.wire, w.pairs.size)
	}
	return w.enc.AppendFit(dst, &w.wire, w.pairs.size)
}

// Release drops every reference to the events written and their values, keeping the buffers.
func (w *Writer) Release() {
	ext := w.wire.Ext[:cap(w.wire.Ext)]
	clear(ext)
	w.wire = cef.Event{Ext: ext[:0]}
	w.pairs.ev = nil
}

// AppendPairs writes the pairs of the event at hand as the encoder writes the fields Wire hands over,
// through the same writers: each sent key with a value, in the table's order. It gives up, before
// the pair, at a text value longer than its key's limit, which is cut, and once the text values
// take more than the message's size, as AppendFit does not try such a message whole: what it writes
// costs a few times the size at most, and the usual event alone is written here.
func (p *pairs) AppendPairs(dst []byte) ([]byte, bool) {
	e := p.ev
	keys := e.wireKeys()
	p.nums, p.all = p.nums[:0], false
	text := 0
	for sent := e.sent(); sent != 0; sent &= sent - 1 { // each sent key, in order
		k := Key(bits.TrailingZeros64(uint64(sent)))
		switch v := &e.Values[k]; {
		case v.Kind == record.KindNone: // no value: left out, as Wire leaves it out
		case v.Kind == record.KindString:
			if text += len(v.Bytes); text > p.size || len(v.Bytes) > k.Max() {
				return dst, false
			}
			dst = keys[k].AppendText(dst, v.Bytes)
		case v.Kind == record.KindUint:
			dst = keys[k].AppendWhole(dst, v.Uint())
		case v.Kind == record.KindInt && v.Int() >= 0:
			dst = keys[k].AppendWhole(dst, uint64(v.Int()))
		default:
			var digits []byte
			p.nums, digits = e.appendNumberText(p.nums, k)
			dst = keys[k].AppendNumber(dst, digits)
		}
	}
	p.all = true
	return dst, true
}

// Wire fills w with the event as the wire carries it: the Name of the event's type for a record
// without one, the text values' length (TextLen), and in w.Ext a field for each key, in the table's
// order, that the event's type sends and the event has a value for, with its label ("New owner" for
// a file event's cs4), limit and kind (the address keys, numbers). A whole number that is not
// negative is handed over as a cef.Whole number, which the encoder writes; other numbers are written
// into nums, which Wire returns: reuse w and nums, and once warm nothing is allocated.
func (e *Event) Wire(w *cef.Event, nums []byte) []byte {
	e.wireHeader(w)
	if cap(w.Ext) < int(NumKeys) {
		w.Ext = make([]cef.Field, NumKeys)
	}
	ext := w.Ext[:NumKeys]
	keys := e.wireKeys()
	n := 0
	nums = nums[:0]
	text := 0 // the text values' length, as w.TextLen
	sent := e.sent()
	for k := range NumKeys {
		v := &e.Values[k]
		if !sent.has(k) || v.Kind == record.KindNone {
			continue
		}
		f := &ext[n]
		switch {
		case v.Kind == record.KindString: // the usual value, as fill writes it, without the call
			f.Value, f.Kind = v.Bytes, keyKinds[k]
			text += len(v.Bytes)
		case v.Kind == record.KindUint: // a PID, port or ID: the encoder writes its digits
			f.Num, f.Kind = v.Uint(), cef.Whole
		case v.Kind == record.KindInt && v.Int() >= 0:
			f.Num, f.Kind = uint64(v.Int()), cef.Whole
		default:
			if nums = e.fill(f, k, nums); len(f.Value) == 0 {
				continue // a number with no text, left out
			}
		}
		f.Key = keys[k]
		n++
	}
	w.Ext, w.TextLen = ext[:n], text
	return nums
}

// wireHeader fills w's header fields: all of w but Ext and TextLen.
func (e *Event) wireHeader(w *cef.Event) {
	w.Time, w.ClassID, w.Name, w.DefaultName, w.Severity = e.Time, e.ClassID, e.Name, e.Type.Name, e.Severity
}

// wireKeys are the keys as the encoder writes them: name, label and limit; ownerKeys are the same
// but for cs4, labelled "New owner" as when it carries a file event's new owner.
var wireKeys, ownerKeys = func() (keys, owner [NumKeys]*cef.Key) {
	for k := range NumKeys {
		keys[k] = cef.NewKey(k.Name(), k.Label(), k.Max())
	}
	owner = keys
	owner[KeyCs4] = cef.NewKey(KeyCs4.Name(), newOwnerLabel, KeyCs4.Max())
	return keys, owner
}()

// wireKeys are the keys as the encoder writes them for this event.
func (e *Event) wireKeys() *[NumKeys]*cef.Key {
	if e.Cs4IsOwner {
		return &ownerKeys
	}
	return &wireKeys
}

// fill writes the value of key k, and its kind, into f, whose Key is k's (wireKeys): a number's text
// is appended to nums (appendNumberText).
func (e *Event) fill(f *cef.Field, k Key, nums []byte) []byte {
	v := &e.Values[k]
	switch v.Kind {
	case record.KindNone:
		f.Value = nil
	case record.KindString:
		f.Value, f.Kind = v.Bytes, keyKinds[k]
	default:
		nums, f.Value = e.appendNumberText(nums, k)
		f.Kind = cef.Number
	}
	return nums
}

// appendNumberText appends the text of key k's number to nums, and returns it as text too; nothing
// when it is longer than the key's limit: a float's text runs to 300 digits, past act's or outcome's
// limit, and a cut number is another number, so it is left out, as an empty value.
func (e *Event) appendNumberText(nums []byte, k Key) (_, text []byte) {
	start := len(nums)
	if nums = appendNumber(nums, &e.Values[k]); len(nums)-start > k.Max() {
		nums = nums[:start]
	}
	return nums, nums[start:len(nums):len(nums)]
}

// keyKinds holds the kind of each key's text values: Address for the address keys, else Text.
var keyKinds = func() (kinds [NumKeys]cef.Kind) {
	for k := range NumKeys {
		if k.IsAddress() {
			kinds[k] = cef.Address
		}
	}
	return kinds
}()

// AppendWireValue appends the value of key k as the message carries it when nothing is shortened
// (escaped, cut to its limit), or nothing when the event does not send it: two events that append
// the same bytes send the same value.
func (e *Event) AppendWireValue(dst []byte, k Key) []byte {
	if e.Values[k].Kind == record.KindNone || !e.Sends(k) {
		return dst
	}
	f := cef.Field{Key: e.wireKeys()[k]}
	if withNumber := e.fill(&f, k, dst); f.Kind == cef.Number {
		return withNumber // the number's text is what is sent
	}
	return cef.AppendValue(dst, &f)
}

// appendNumber writes a number as docs/events.md says: integers in decimal, a float with no fraction
// as an integer and any other in the shortest decimal form, booleans true or false; nothing for a
// float that is not a number or infinite (the key is then left out).
func appendNumber(dst []byte, v *record.Value) []byte {
	switch v.Kind {
	case record.KindInt:
		if v.Int() >= 0 {
			return cef.AppendDecimal(dst, uint64(v.Int()))
		}
		return strconv.AppendInt(dst, v.Int(), 10)
	case record.KindUint:
		return cef.AppendDecimal(dst, v.Uint())
	case record.KindBool:
		return strconv.AppendBool(dst, v.Int() != 0)
	case record.KindFloat:
		f := v.Float()
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return dst
		case f == math.Trunc(f) && math.Abs(f) < 1<<53:
			return strconv.AppendInt(dst, int64(f), 10)
		}
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return dst
}
