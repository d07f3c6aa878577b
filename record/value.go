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
// nothing is copied between decoding and encoding.
type Value struct {
	Kind  Kind
	Bytes []byte
	Int   int64 // KindInt; KindBool as 0 or 1
	Uint  uint64
	Float float64
}

// String, Int, Uint, Float and Bool build values; the reader, the mapping and tests use them.
func String(b []byte) Value { return Value{Kind: KindString, Bytes: b} }
func Int(i int64) Value     { return Value{Kind: KindInt, Int: i} }
func Uint(u uint64) Value   { return Value{Kind: KindUint, Uint: u} }
func Float(f float64) Value { return Value{Kind: KindFloat, Float: f} }

func Bool(b bool) Value {
	v := Value{Kind: KindBool}
	if b {
		v.Int = 1
	}
	return v
}

// set writes every member of v, which need not be zero: a value of any kind but KindFloat.
func (v *Value) set(k Kind, b []byte, i int64, u uint64) {
	v.Kind, v.Bytes, v.Int, v.Uint, v.Float = k, b, i, u, 0
}

// IsZero reports a value that is absent.
func (v Value) IsZero() bool { return v.Kind == KindNone }

// AsInt reads a value as a whole number: an integer, an integral float or a decimal string.
func (v Value) AsInt() (int64, bool) {
	switch v.Kind {
	case KindInt:
		return v.Int, true
	case KindUint:
		return int64(v.Uint), v.Uint <= math.MaxInt64
	case KindFloat:
		return int64(v.Float), v.Float == math.Trunc(v.Float) && math.Abs(v.Float) < 1<<53
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
	if len(b) == 0 || len(b) > 18 { // 18 digits always fit in an int64
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
