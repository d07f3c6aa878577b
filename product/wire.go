package product

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
)

// Wire fills w with the event as the wire carries it: the keys its type sends that have a value, in
// the table's order, with their labels ("New owner" for a file event's cs4), limits and kinds (the
// address keys, numbers), and the type's Name for a record without one. Numbers are written in
// decimal into nums, which Wire returns: reuse w and nums, and once warm nothing is allocated.
func (e *Event) Wire(w *cef.Event, nums []byte) []byte {
	w.Time, w.ClassID, w.Name, w.DefaultName, w.Severity = e.Time, e.ClassID, e.Name, e.Type.Name, e.Severity
	if cap(w.Ext) < int(NumKeys) {
		w.Ext = make([]cef.Field, 0, NumKeys)
	}
	ext, n := w.Ext[:NumKeys], 0
	nums = nums[:0]
	for sent := e.sent(); sent != 0; sent &= sent - 1 { // the keys sent, in order
		if k := Key(bits.TrailingZeros64(uint64(sent))); e.Values[k].Kind != record.KindNone {
			nums = e.fill(&ext[n], k, nums)
			n++
		}
	}
	w.Ext = ext[:n]
	return nums
}

// keyFields are the keys' fields without a value or label: name, limit, and the address keys' kind.
var keyFields = func() (f [NumKeys]cef.Field) {
	for k := range Key(NumKeys) {
		f[k] = cef.Field{Key: k.Name(), Max: k.Max()}
		if k.IsAddress() {
			f[k].Kind = cef.Address
		}
	}
	return f
}()

// fill makes f the field of key k, which has a value; a number's text is appended to nums, or
// nothing when it is longer than the key's limit.
func (e *Event) fill(f *cef.Field, k Key, nums []byte) []byte {
	v := &e.Values[k]
	*f = keyFields[k]
	f.Value, f.Label = v.Bytes, e.Label(k)
	if v.Kind != record.KindString {
		start := len(nums)
		if nums = appendNumber(nums, v); len(nums)-start > f.Max {
			// A float's text runs to 300 digits, past act's or outcome's limit; a cut number is
			// another number: it is left out, as an empty value.
			nums = nums[:start]
		}
		f.Value, f.Kind = nums[start:len(nums):len(nums)], cef.Number
	}
	return nums
}

// AppendWireValue appends the value of key k as the message carries it when nothing is shortened
// (escaped, cut to its limit), or nothing when the event does not send it: two events that append
// the same bytes send the same value.
func (e *Event) AppendWireValue(dst []byte, k Key) []byte {
	if e.Values[k].Kind == record.KindNone || !e.Sends(k) {
		return dst
	}
	var f cef.Field
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
		return strconv.AppendInt(dst, v.Int, 10)
	case record.KindUint:
		return strconv.AppendUint(dst, v.Uint, 10)
	case record.KindBool:
		return strconv.AppendBool(dst, v.Int != 0)
	case record.KindFloat:
		f := v.Float
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
