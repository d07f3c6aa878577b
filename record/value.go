package record

import (
	"bytes"
	"math"
)

// Kind tells which member of a Value holds it.
type Kind uint8

const (
	KindNone Kind = iota
	KindString
	KindInt
	KindUint
	KindFloat
	KindBool
)

// Value is one record value. Bytes refers to memory owned by the caller (the chunk being flushed):
// nothing is copied between decoding and encoding. A number is held in one word, read by Int, Uint or
// Float as its Kind says, so that a Value is 40 bytes: the decoder writes one per key and the mapping
// copies it.
type Value struct {
	Kind  Kind
	Bytes []byte
	num   uint64 // KindInt and KindBool (0 or 1) as int64, KindUint, KindFloat as its IEEE 754 bits
}

// String, Int, Uint, Float and Bool build values; the reader, the mapping and tests use them.
func String(b []byte) Value { return Value{Kind: KindString, Bytes: b} }
func Int(i int64) Value     { return Value{Kind: KindInt, num: uint64(i)} }
func Uint(u uint64) Value   { return Value{Kind: KindUint, num: u} }
func Float(f float64) Value { return Value{Kind: KindFloat, num: math.Float64bits(f)} }

func Bool(b bool) Value {
	v := Value{Kind: KindBool}
	if b {
		v.num = 1
	}
	return v
}

// Int is a KindInt value, or a KindBool one as 0 or 1; Uint a KindUint value; Float a KindFloat one.
func (v *Value) Int() int64     { return int64(v.num) }
func (v *Value) Uint() uint64   { return v.num }
func (v *Value) Float() float64 { return math.Float64frombits(v.num) }

// set writes every member of v, which need not be zero; num is the number's word, as Value holds it.
func (v *Value) set(k Kind, b []byte, num uint64) {
	v.Kind, v.Bytes, v.num = k, b, num
}

// IsZero reports a value that is absent.
func (v Value) IsZero() bool { return v.Kind == KindNone }

// AsInt reads a value as a whole number: an integer, an integral float or a decimal string.
func (v Value) AsInt() (int64, bool) {
	switch v.Kind {
	case KindInt:
		return v.Int(), true
	case KindUint:
		return int64(v.num), v.num <= math.MaxInt64
	case KindFloat:
		f := v.Float()
		return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<53
	case KindString:
		return parseInt(bytes.TrimSpace(v.Bytes))
	}
	return 0, false
}

// parseInt reads a decimal integer without the allocation strconv would make for a []byte.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg || len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 { // 19 digits always fit in a uint64
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		return int64(-n), n <= 1<<63 // -(1<<63) is math.MinInt64
	}
	return int64(n), n <= math.MaxInt64
}
