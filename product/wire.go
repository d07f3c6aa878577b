package product

import (
	"math"
	"strconv"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
)

// Wire fills w with the event as the wire carries it: the Name of the event's type for a record
// without one, the text values' length (TextLen), and in w.Ext a field for each key, in the table's
// order, that the event's type sends and the event has a value for, with its label ("New owner" for
// a file event's cs4), limit and kind (the address keys, numbers). A whole number that is not
// negative is handed over as a cef.Whole number, which the encoder writes; other numbers are written
// into nums, which Wire returns: reuse w and nums, and once warm nothing is allocated.
func (e *Event) Wire(w *cef.Event, nums []byte) []byte {
	w.Time, w.ClassID, w.Name, w.DefaultName, w.Severity = e.Time, e.ClassID, e.Name, e.Type.Name, e.Severity
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
			f.Num, f.Kind = v.Uint, cef.Whole
		case v.Kind == record.KindInt && v.Int >= 0:
			f.Num, f.Kind = uint64(v.Int), cef.Whole
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
// is appended to nums, or nothing when it is longer than the key's limit.
func (e *Event) fill(f *cef.Field, k Key, nums []byte) []byte {
	v := &e.Values[k]
	switch v.Kind {
	case record.KindNone:
		f.Value = nil
	case record.KindString:
		f.Value, f.Kind = v.Bytes, keyKinds[k]
	default:
		start := len(nums)
		if nums = appendNumber(nums, v); len(nums)-start > k.Max() {
			// A float's text runs to 300 digits, past act's or outcome's limit; a cut number is
			// another number: it is left out, as an empty value.
			nums = nums[:start]
		}
		f.Value, f.Kind = nums[start:len(nums):len(nums)], cef.Number
	}
	return nums
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
		if v.Int >= 0 {
			return cef.AppendDecimal(dst, uint64(v.Int))
		}
		return strconv.AppendInt(dst, v.Int, 10)
	case record.KindUint:
		return cef.AppendDecimal(dst, v.Uint)
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
