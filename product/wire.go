package product

import (
	"math"
	"strconv"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/record"
)

// Wire fills w with the event as the wire carries it: each key in the table's order, with its value
// when the event's type sends it and it has one (the others hold none, and are left out), its label
// ("New owner" for a file event's cs4), limit and kind (the address keys, numbers), the type's Name
// for a record without one, and the text values' length (TextLen). A whole number that is not
// negative is handed over as a cef.Whole number, which the encoder writes; other numbers are written
// into nums, which Wire returns: reuse w and nums, and once warm nothing is allocated. The keys'
// names, labels and limits are copied into w.Ext when it does not hold a field for each key; after
// that Wire writes only what changes with the event, so nothing else is to change w.Ext's fields
// between calls.
func (e *Event) Wire(w *cef.Event, nums []byte) []byte {
	w.Time, w.ClassID, w.Name, w.DefaultName, w.Severity = e.Time, e.ClassID, e.Name, e.Type.Name, e.Severity
	if len(w.Ext) != int(NumKeys) {
		w.Ext = append(w.Ext[:0], keyFields[:]...)
	}
	ext := w.Ext[:NumKeys]
	if owner := ext[KeyCs4].Label == newOwnerLabel; owner != e.Cs4IsOwner {
		ext[KeyCs4] = e.cs4Field() // its label follows the event
	}
	nums = nums[:0]
	text := 0 // the text values' length, as w.TextLen
	sent := e.sent()
	for k := range NumKeys {
		switch v := &e.Values[k]; {
		case !sent.has(k) || v.Kind == record.KindNone:
			ext[k].Value, ext[k].Kind = nil, keyKinds[k] // not a Whole number, which has no Value
		case v.Kind == record.KindString: // the usual value, as fill writes it, without the call
			ext[k].Value, ext[k].Kind = v.Bytes, keyKinds[k]
			text += len(v.Bytes)
		case v.Kind == record.KindUint: // a PID, port or ID: the encoder writes its digits
			ext[k].Num, ext[k].Kind = v.Uint, cef.Whole
		case v.Kind == record.KindInt && v.Int >= 0:
			ext[k].Num, ext[k].Kind = uint64(v.Int), cef.Whole
		default:
			nums = e.fill(&ext[k], k, nums) // a Number
		}
	}
	w.TextLen = text
	return nums
}

// keyFields are the keys' fields without a value: name, label, limit, and the address keys' kind;
// ownerField is cs4's when it carries a file event's new owner.
var keyFields, ownerField = func() (f [NumKeys]cef.Field, owner cef.Field) {
	for k := range NumKeys {
		kind := cef.Text
		if k.IsAddress() {
			kind = cef.Address
		}
		f[k] = cef.NewField(k.Name(), k.Label(), k.Max(), kind)
	}
	return f, cef.NewField(KeyCs4.Name(), newOwnerLabel, KeyCs4.Max(), cef.Text)
}()

// cs4Field is the field of cs4 for this event: labelled "New owner" when it carries a file event's
// new owner.
func (e *Event) cs4Field() cef.Field {
	if e.Cs4IsOwner {
		return ownerField
	}
	return keyFields[KeyCs4]
}

// fill writes the value of key k, and its kind, into f, a field of k (keyFields[k], or cs4Field for
// cs4): a number's text is appended to nums, or nothing when it is longer than the key's limit.
func (e *Event) fill(f *cef.Field, k Key, nums []byte) []byte {
	v := &e.Values[k]
	switch v.Kind {
	case record.KindNone:
		f.Value = nil
	case record.KindString:
		f.Value, f.Kind = v.Bytes, keyKinds[k]
	default:
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

// keyKinds holds the kind of each key's text values, Address or Text, as keyFields has it.
var keyKinds = func() (kinds [NumKeys]cef.Kind) {
	for k := range kinds {
		kinds[k] = keyFields[k].Kind
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
	f := keyFields[k]
	if k == KeyCs4 {
		f = e.cs4Field()
	}
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
