package record

import (
	"encoding/binary"
	"math"
)

// Node is one msgpack value left undecoded: a slice of the chunk, or of the decoder's buffer for an
// event decoded from JSON text. Reading a nested value walks these bytes; nothing is copied. The zero
// Node is an absent value. A Node is valid as long as the event it came from.
type Node struct{ b []byte }

// NodeOf wraps the msgpack bytes of one value; tests and tools build nodes with it.
func NodeOf(b []byte) Node { return Node{b} }

// NodeKind is the msgpack type of a Node.
type NodeKind uint8

// The kinds of nodes.
const (
	NodeAbsent NodeKind = iota
	NodeNil
	NodeBool
	NodeInt
	NodeUint
	NodeFloat
	NodeString // msgpack str or bin
	NodeArray
	NodeMap
	NodeExt
	nodeInvalid
)

// head reads the header of the value at the start of b: its kind, the length of the header, the
// length of the payload after it (string bytes, number bytes, extension bytes), and how many values
// follow it as its children (array elements, or keys and values of a map).
func head(b []byte) (k NodeKind, hdr, payload, children int) {
	if len(b) == 0 {
		return nodeInvalid, 0, 0, 0
	}
	c := b[0]
	be := func(n int) int { // the big-endian length after the type byte
		if len(b) < 1+n {
			return -1
		}
		switch n {
		case 1:
			return int(b[1])
		case 2:
			return int(binary.BigEndian.Uint16(b[1:]))
		}
		return int(binary.BigEndian.Uint32(b[1:]))
	}
	switch {
	case c <= 0x7f || c >= 0xe0:
		return NodeInt, 1, 0, 0
	case c <= 0x8f:
		return NodeMap, 1, 0, 2 * int(c&0x0f)
	case c <= 0x9f:
		return NodeArray, 1, 0, int(c & 0x0f)
	case c <= 0xbf:
		return NodeString, 1, int(c & 0x1f), 0
	}
	switch c {
	case 0xc0:
		return NodeNil, 1, 0, 0
	case 0xc2, 0xc3:
		return NodeBool, 1, 0, 0
	case 0xc4, 0xd9:
		return NodeString, 2, be(1), 0
	case 0xc5, 0xda:
		return NodeString, 3, be(2), 0
	case 0xc6, 0xdb:
		return NodeString, 5, be(4), 0
	case 0xc7:
		return NodeExt, 3, be(1), 0
	case 0xc8:
		return NodeExt, 4, be(2), 0
	case 0xc9:
		return NodeExt, 6, be(4), 0
	case 0xca:
		return NodeFloat, 1, 4, 0
	case 0xcb:
		return NodeFloat, 1, 8, 0
	case 0xcc, 0xd0:
		return NodeInt, 1, 1, 0
	case 0xcd, 0xd1:
		return NodeInt, 1, 2, 0
	case 0xce, 0xd2:
		return NodeInt, 1, 4, 0
	case 0xd3:
		return NodeInt, 1, 8, 0
	case 0xcf:
		return NodeUint, 1, 8, 0
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return NodeExt, 2, 1 << (c - 0xd4), 0
	case 0xdc:
		return NodeArray, 3, 0, be(2)
	case 0xdd:
		return NodeArray, 5, 0, be(4)
	case 0xde:
		return NodeMap, 3, 0, 2 * be(2)
	case 0xdf:
		n := be(4)
		if n > math.MaxInt32 {
			return nodeInvalid, 0, 0, 0
		}
		return NodeMap, 5, 0, 2 * n
	}
	return nodeInvalid, 0, 0, 0
}

// size is the length in bytes of the value at the start of b, children included, or -1 when b does
// not hold a whole value. It does not recurse: children are counted, so no nesting exhausts the stack.
func size(b []byte) int {
	n, pending := 0, 1
	for pending > 0 {
		k, hdr, payload, children := head(b[n:])
		if k == nodeInvalid || hdr > len(b)-n || payload < 0 || children < 0 || payload > len(b)-n-hdr {
			return -1
		}
		n += hdr + payload
		pending += children - 1
		if pending > len(b)-n { // every value takes at least a byte
			return -1
		}
	}
	return n
}

// Kind is the node's msgpack type.
func (n Node) Kind() NodeKind {
	if len(n.b) == 0 {
		return NodeAbsent
	}
	k, _, _, _ := head(n.b)
	if k == nodeInvalid {
		return NodeAbsent
	}
	return k
}

// Exists reports a node that is present and not nil.
func (n Node) Exists() bool { k := n.Kind(); return k != NodeAbsent && k != NodeNil }

// Bytes is the msgpack encoding of the node.
func (n Node) Bytes() []byte { return n.b }

// Str is a string or binary value; ok is false for any other kind.
func (n Node) Str() (s []byte, ok bool) {
	k, hdr, payload, _ := head(n.b)
	if k != NodeString || payload < 0 || hdr+payload > len(n.b) {
		return nil, false
	}
	return n.b[hdr : hdr+payload : hdr+payload], true
}

// Value is the node as a record value: strings point into the node's bytes; maps, arrays,
// extensions and nil are the zero Value (use AppendJSON for maps and arrays).
func (n Node) Value() Value {
	k, hdr, payload, _ := head(n.b)
	if k == nodeInvalid || payload < 0 || hdr+payload > len(n.b) {
		return Value{}
	}
	p := n.b[hdr : hdr+payload]
	switch k {
	case NodeString:
		return String(p[:len(p):len(p)])
	case NodeBool:
		return Bool(n.b[0] == 0xc3)
	case NodeFloat:
		if payload == 4 {
			return Float(float64(math.Float32frombits(binary.BigEndian.Uint32(p))))
		}
		return Float(math.Float64frombits(binary.BigEndian.Uint64(p)))
	case NodeUint:
		return Uint(binary.BigEndian.Uint64(p))
	case NodeInt:
		c := n.b[0]
		switch {
		case c <= 0x7f:
			return Int(int64(c))
		case c >= 0xe0:
			return Int(int64(int8(c)))
		case c == 0xcc:
			return Int(int64(p[0]))
		case c == 0xcd:
			return Int(int64(binary.BigEndian.Uint16(p)))
		case c == 0xce:
			return Int(int64(binary.BigEndian.Uint32(p)))
		case c == 0xd0:
			return Int(int64(int8(p[0])))
		case c == 0xd1:
			return Int(int64(int16(binary.BigEndian.Uint16(p))))
		case c == 0xd2:
			return Int(int64(int32(binary.BigEndian.Uint32(p))))
		case c == 0xd3:
			return Int(int64(binary.BigEndian.Uint64(p)))
		}
	}
	return Value{}
}

// Len is the number of elements of an array or of pairs of a map; 0 for other kinds.
func (n Node) Len() int {
	k, _, _, children := head(n.b)
	switch k {
	case NodeArray:
		return children
	case NodeMap:
		return children / 2
	}
	return 0
}

// Get is the value of a map's key (the first, if the key is repeated); absent when n is not a map or
// has no such key.
func (n Node) Get(key string) Node {
	it := n.Pairs()
	for {
		k, v, ok := it.Next()
		if !ok {
			return Node{}
		}
		if string(k) == key {
			return v
		}
	}
}

// Index is the i-th element of an array; absent when n is not an array or is shorter.
func (n Node) Index(i int) Node {
	it := n.Elems()
	for j := 0; ; j++ {
		v, ok := it.NextElem()
		if !ok {
			return Node{}
		}
		if j == i {
			return v
		}
	}
}

// Iter walks the children of a map or an array.
type Iter struct {
	rest []byte
	left int
}

// Elems iterates over an array's elements.
func (n Node) Elems() Iter {
	k, hdr, _, children := head(n.b)
	if k != NodeArray || hdr > len(n.b) {
		return Iter{}
	}
	return Iter{rest: n.b[hdr:], left: children}
}

// Pairs iterates over a map's keys and values.
func (n Node) Pairs() Iter {
	k, hdr, _, children := head(n.b)
	if k != NodeMap || hdr > len(n.b) {
		return Iter{}
	}
	return Iter{rest: n.b[hdr:], left: children}
}

// next returns the next child; false at the end or on damage.
func (it *Iter) next() (Node, bool) {
	if it.left <= 0 {
		return Node{}, false
	}
	s := size(it.rest)
	if s < 0 {
		it.left = -1 // broken
		return Node{}, false
	}
	v := Node{it.rest[:s:s]}
	it.rest = it.rest[s:]
	it.left--
	return v, true
}

// broken reports an iteration that stopped at a child that is not whole.
func (it *Iter) broken() bool { return it.left < 0 }

// NextElem returns an array's next element.
func (it *Iter) NextElem() (Node, bool) { return it.next() }

// Next returns a map's next key and value. Keys that are not strings are stepped over.
func (it *Iter) Next() (key []byte, val Node, ok bool) {
	for {
		k, ok := it.next()
		if !ok {
			return nil, Node{}, false
		}
		v, ok := it.next()
		if !ok {
			return nil, Node{}, false
		}
		if s, isStr := k.Str(); isStr {
			return s, v, true
		}
	}
}
