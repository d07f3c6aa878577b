package record

import (
	"encoding/binary"
	"math"
)

// Node is one msgpack value left undecoded: a slice of the chunk, or of the decoder's buffer for an
// event decoded from JSON text. Reading a nested value walks these bytes; nothing is copied. The zero
// Node is an absent value. A Node is valid as long as the event it came from. Its bytes are its value
// and no more, measured whole (or inside a parent measured whole) when the decoder took it, so that
// the last child of a map or an array runs to its end (Iter.take).
type Node struct{ b []byte }

// NodeOf is the msgpack value at the start of b, measured: its bytes and no more, or the absent Node
// when b does not hold a whole value (a Node is trusted to be whole: Iter.take). Tests and tools
// build nodes with it.
func NodeOf(b []byte) Node {
	n := size(b)
	if n < 0 {
		return Node{}
	}
	return Node{b[:n:n]}
}

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

// code is what a msgpack type byte tells of the header it starts.
type code struct {
	kind NodeKind
	hdr  uint8 // the header's length, type byte included
	// width is the length of the big-endian count after the type byte: 1, 2 or 4; 0 when the type
	// byte tells payload and children itself; noType for the byte that is none.
	width             uint8
	payload, children uint8 // a map's keys and values both count as children
}

const noType = 0xff

// codes is indexed by type byte, so that a header is read without a branch per type.
var codes = func() (t [256]code) {
	set := func(from, to int, c code) {
		for b := from; b <= to; b++ {
			t[b] = c
		}
	}
	set(0x00, 0x7f, code{kind: NodeInt, hdr: 1})
	set(0xe0, 0xff, code{kind: NodeInt, hdr: 1})
	for b := 0x80; b <= 0x8f; b++ {
		t[b] = code{kind: NodeMap, hdr: 1, children: uint8(2 * (b & 0x0f))}
		t[b+0x10] = code{kind: NodeArray, hdr: 1, children: uint8(b & 0x0f)}
	}
	for b := 0xa0; b <= 0xbf; b++ {
		t[b] = code{kind: NodeString, hdr: 1, payload: uint8(b & 0x1f)}
	}
	t[0xc0] = code{kind: NodeNil, hdr: 1}
	t[0xc1] = code{kind: nodeInvalid, width: noType}
	t[0xc2] = code{kind: NodeBool, hdr: 1}
	t[0xc3] = code{kind: NodeBool, hdr: 1}
	for i, w := range [...]uint8{1, 2, 4} {
		t[0xc4+i] = code{kind: NodeString, hdr: 1 + w, width: w} // bin
		t[0xd9+i] = code{kind: NodeString, hdr: 1 + w, width: w} // str
		t[0xc7+i] = code{kind: NodeExt, hdr: 2 + w, width: w}    // its type byte is in the header
		t[0xcc+i] = code{kind: NodeInt, hdr: 1, payload: w}      // uint8–32
		t[0xd0+i] = code{kind: NodeInt, hdr: 1, payload: w}      // int8–32
	}
	t[0xca] = code{kind: NodeFloat, hdr: 1, payload: 4}
	t[0xcb] = code{kind: NodeFloat, hdr: 1, payload: 8}
	t[0xcf] = code{kind: NodeUint, hdr: 1, payload: 8}
	t[0xd3] = code{kind: NodeInt, hdr: 1, payload: 8}
	for b := 0xd4; b <= 0xd8; b++ {
		t[b] = code{kind: NodeExt, hdr: 2, payload: 1 << (b - 0xd4)}
	}
	t[0xdc] = code{kind: NodeArray, hdr: 3, width: 2}
	t[0xdd] = code{kind: NodeArray, hdr: 5, width: 4}
	t[0xde] = code{kind: NodeMap, hdr: 3, width: 2}
	t[0xdf] = code{kind: NodeMap, hdr: 5, width: 4}
	return t
}()

// head reads the header of the value at the start of b: its kind, the length of the header, the
// length of the payload after it (string bytes, number bytes, extension bytes), and how many values
// follow it as its children (array elements, or keys and values of a map). A header that b does not
// hold whole, or a byte that is no type, is nodeInvalid with payload -1, so that a check of the
// payload against the bytes left refuses it too. Every header is read by it, but for the type bytes
// that fast paths tell themselves (the package comment lists them), which check the bytes left as it
// does.
func head(b []byte) (k NodeKind, hdr, payload, children int) {
	if k, hdr, payload, children, ok := headFixed(b); ok {
		return k, hdr, payload, children
	}
	return headCounted(b)
}

// headFixed reads a header that the type byte tells whole (most of them): ok is false for the
// others. It is small enough to be inlined in the loops that read every value.
func headFixed(b []byte) (k NodeKind, hdr, payload, children int, ok bool) {
	if len(b) > 0 {
		if c := &codes[b[0]]; c.width == 0 && int(c.hdr) <= len(b) {
			return c.kind, int(c.hdr), int(c.payload), int(c.children), true
		}
	}
	return 0, 0, 0, 0, false
}

// headCounted reads a header with a count after its type byte, and refuses what head could not read.
func headCounted(b []byte) (k NodeKind, hdr, payload, children int) {
	if len(b) == 0 {
		return nodeInvalid, 0, -1, 0
	}
	c := &codes[b[0]]
	hdr = int(c.hdr)
	if hdr > len(b) {
		return nodeInvalid, 0, -1, 0
	}
	var n int
	switch c.width {
	case 1:
		n = int(b[1])
	case 2:
		n = int(binary.BigEndian.Uint16(b[1:]))
	case 4:
		n = int(binary.BigEndian.Uint32(b[1:]))
		if n < 0 || c.kind == NodeMap && n > math.MaxInt32 { // on 32-bit machines, and past 2×n
			return nodeInvalid, 0, -1, 0
		}
	default: // no type
		return nodeInvalid, 0, -1, 0
	}
	switch c.kind {
	case NodeMap:
		return NodeMap, hdr, 0, 2 * n
	case NodeArray:
		return NodeArray, hdr, 0, n
	}
	return c.kind, hdr, n, 0
}

// span is the length of the value at the start of b whose header head read, children included, or
// -1 when b does not hold it whole: a scalar is measured by its header alone.
func span(b []byte, hdr, payload, children int) int {
	if payload < 0 || payload > len(b)-hdr {
		return -1
	}
	if children == 0 {
		return hdr + payload
	}
	return sizeFrom(b, hdr, children)
}

// size is the length in bytes of the value at the start of b, children included, or -1 when b does
// not hold a whole value: sizeFrom's count of one value, so that a container's header is told by
// its tables too.
func size(b []byte) int { return sizeFrom(b, 0, 1) }

// stepSize is the length of a scalar whose type byte tells its header whole (a width of 0 in
// codes), header and payload: what sizeFrom steps over for it without a look at codes; 0 for the
// other type bytes, containers among them.
var stepSize = func() (size [256]uint8) {
	for t, c := range codes {
		if c.width == 0 && c.children == 0 && c.kind != NodeMap && c.kind != NodeArray {
			size[t] = c.hdr + c.payload
		}
	}
	return size
}()

// sizeFrom measures a container whose header is hdr bytes long. It does not recurse: children are
// counted, so no nesting exhausts the stack. Every value takes at least a byte: the values pending
// are never more than the bytes left.
func sizeFrom(b []byte, hdr, children int) int {
	n, pending := hdr, children
	if pending > len(b)-n {
		return -1
	}
	for pending > 0 {
		if uint(n) >= uint(len(b)) {
			return -1
		}
		t := b[n]
		if s := stepSize[t]; s != 0 { // a scalar, the usual value
			n += int(s)
			pending--
			continue
		}
		var h, p, c int
		switch {
		case t >= 0x80 && t <= 0x9f: // a fixmap or a fixarray
			h, c = 1, int(codes[t].children)
		case t == 0xd9 && n+1 < len(b): // a str8, the usual long string
			h, p = 2, int(b[n+1])
		case t == 0xdd || t == 0xdf: // an array32 or a map32: how the JSON transcoder writes each
			if h, c = 5, containerCount32(b, n); c < 0 {
				return -1
			}
		default:
			if _, h, p, c = headCounted(b[n:]); p < 0 || p > len(b)-n-h || c < 0 {
				return -1
			}
		}
		n += h + p
		if pending += c - 1; pending > len(b)-n {
			return -1
		}
	}
	if n > len(b) { // the last value is not whole
		return -1
	}
	return n
}

// containerCount32 is the children of the array32 or map32 at b[n] (a map's pairs count twice), or -1
// when its header is cut or it counts more children than there are bytes left.
func containerCount32(b []byte, n int) int {
	if n+5 > len(b) {
		return -1
	}
	// a map counts its pairs twice: 0xdf has bit 1 set, 0xdd not
	count := uint64(binary.BigEndian.Uint32(b[n+1:])) << (b[n] >> 1 & 1)
	// each child takes a byte at least; and so int(count) fits on 32-bit machines too
	if count > uint64(len(b)-n) {
		return -1
	}
	return int(count)
}

// Kind is the node's msgpack type, as its type byte tells it.
func (n Node) Kind() NodeKind {
	if len(n.b) == 0 {
		return NodeAbsent
	}
	if k := codes[n.b[0]].kind; k != nodeInvalid {
		return k
	}
	return NodeAbsent
}

// Bytes is the msgpack encoding of the node.
func (n Node) Bytes() []byte { return n.b }

// Str is a string or binary value; ok is false for any other kind.
func (n Node) Str() (s []byte, ok bool) {
	b := n.b
	if len(b) == 0 { // absent
		return nil, false
	}
	// a fixstr or a str8, the usual strings, told without the table
	if t := b[0]; t&0xe0 == 0xa0 {
		if end := 1 + int(t&0x1f); end <= len(b) {
			return b[1:end:end], true
		}
	} else if t == 0xd9 && len(b) > 1 {
		if end := 2 + int(b[1]); end <= len(b) {
			return b[2:end:end], true
		}
	}
	return n.str()
}

// str is Str for any header.
func (n Node) str() (s []byte, ok bool) {
	k, hdr, payload, _ := head(n.b)
	if k != NodeString || payload > len(n.b)-hdr {
		return nil, false
	}
	return n.b[hdr : hdr+payload : hdr+payload], true
}

// Value is the node as a record value: strings point into the node's bytes; maps, arrays,
// extensions and nil are the zero Value (use AppendJSON for maps and arrays).
func (n Node) Value() Value {
	k, hdr, payload, _, fixed := headFixed(n.b)
	if !fixed {
		k, hdr, payload, _ = headCounted(n.b)
	}
	var v Value
	if payload >= 0 && payload <= len(n.b)-hdr {
		v.scalar(n.b, k, hdr, payload)
	}
	return v
}

// scalar sets v, which is zero, to the value at the start of b, decoded from the header head read of
// it (kind k, hdr, payload), which b holds whole: strings point into b; other kinds leave v zero. It
// fills v in place: a Value returned whole would be copied through the stack.
func (v *Value) scalar(b []byte, k NodeKind, hdr, payload int) {
	if k < NodeBool || k > NodeString { // nil, a map, an array, an extension: no value
		return
	}
	p := b[hdr : hdr+payload : hdr+payload]
	switch k {
	case NodeString:
		v.Kind, v.Bytes = KindString, p
	case NodeBool:
		v.Kind = KindBool
		if b[0] == 0xc3 {
			v.num = 1
		}
	case NodeFloat:
		v.Kind = KindFloat
		if payload == 4 {
			v.num = math.Float64bits(float64(math.Float32frombits(binary.BigEndian.Uint32(p))))
		} else {
			v.num = binary.BigEndian.Uint64(p) // a double's bits as they are
		}
	case NodeUint:
		v.Kind, v.num = KindUint, binary.BigEndian.Uint64(p)
	case NodeInt:
		v.Kind = KindInt
		switch c := b[0]; c {
		case 0xcc:
			v.num = uint64(p[0])
		case 0xcd:
			v.num = uint64(binary.BigEndian.Uint16(p))
		case 0xce:
			v.num = uint64(binary.BigEndian.Uint32(p))
		case 0xd0:
			v.num = uint64(int8(p[0]))
		case 0xd1:
			v.num = uint64(int16(binary.BigEndian.Uint16(p)))
		case 0xd2:
			v.num = uint64(int32(binary.BigEndian.Uint32(p)))
		case 0xd3:
			v.num = binary.BigEndian.Uint64(p)
		default: // a fixint: positive up to 0x7f, negative from 0xe0
			v.num = uint64(int8(c))
		}
	}
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

// Iter walks the children of a map or an array: a cursor over their bytes that reads each child's
// header once, and measures only the children that are containers, but for the last one when
// exact.
type Iter struct {
	rest []byte
	left int
	// exact: rest ends where the node ends (a Node's bytes are its value alone), so the last child
	// runs to the end of rest. It is false only for the record's body, which runs to the end of the
	// chunk, and is measured by its walk.
	exact bool
}

// Elems iterates over an array's elements.
func (n Node) Elems() Iter { return n.iter(NodeArray) }

// Pairs iterates over a map's keys and values.
func (n Node) Pairs() Iter { return n.iter(NodeMap) }

func (n Node) iter(want NodeKind) Iter {
	k, hdr, _, children, fixed := headFixed(n.b)
	if !fixed {
		k, hdr, _, children = headCounted(n.b)
	}
	switch {
	case k == want:
		return Iter{rest: n.b[hdr:], left: children, exact: true}
	case n.Kind() == want: // its header is not whole
		return Iter{left: -1}
	}
	return Iter{}
}

// take reads the next child: the node, and its kind and header as head read them. ok is false at
// the end or on damage.
func (it *Iter) take() (v Node, k NodeKind, hdr, payload int, ok bool) {
	if it.left <= 0 {
		return Node{}, 0, 0, 0, false
	}
	if b := it.rest; len(b) > 0 { // a scalar whose type byte tells its header, the usual child
		if c := &codes[b[0]]; c.width == 0 && c.children == 0 {
			if s := int(c.hdr) + int(c.payload); s <= len(b) {
				it.rest, it.left = b[s:], it.left-1
				return Node{b[:s:s]}, c.kind, int(c.hdr), int(c.payload), true
			}
		}
	}
	k, hdr, payload, children, fixed := headFixed(it.rest)
	if !fixed {
		k, hdr, payload, children = headCounted(it.rest)
	}
	s := hdr + payload
	switch {
	case payload == 0 && children > 0 && it.left == 1 && it.exact:
		// the last child of a node measured whole: a container that needs no measuring
		s = len(it.rest)
	case children != 0 || payload < 0 || payload > len(it.rest)-hdr: // not a whole scalar
		if s = span(it.rest, hdr, payload, children); s < 0 {
			it.left = -1 // broken
			return Node{}, 0, 0, 0, false
		}
	}
	v = Node{it.rest[:s:s]}
	it.rest = it.rest[s:]
	it.left--
	return v, k, hdr, payload, true
}

// broken reports an iteration that stopped at a child that is not whole.
func (it *Iter) broken() bool { return it.left < 0 }

// NextElem returns an array's next element.
func (it *Iter) NextElem() (Node, bool) {
	v, _, _, _, ok := it.take()
	return v, ok
}

// Next returns a map's next key and value. Keys that are not strings are stepped over.
func (it *Iter) Next() (key []byte, val Node, ok bool) {
	for {
		key, isStr, v, _, _, _, ok := it.pair()
		if !ok || isStr {
			return key, v, ok
		}
	}
}

// pair reads a map's next key and value: the key's bytes when it is a string (isStr), and the
// value's kind and header as head read them.
func (it *Iter) pair() (key []byte, isStr bool, v Node, k NodeKind, hdr, payload int, ok bool) {
	if b := it.rest; it.left > 0 && len(b) > 0 && b[0]&0xe0 == 0xa0 && int(b[0]&0x1f) < len(b) {
		n := int(b[0]&0x1f) + 1 // a fixstr, the usual key, told without the table
		key, isStr = b[1:n:n], true
		it.rest, it.left = b[n:], it.left-1
	} else {
		kn, kk, khdr, _, ok := it.take()
		if !ok {
			return nil, false, Node{}, 0, 0, 0, false
		}
		if kk == NodeString {
			key, isStr = kn.b[khdr:len(kn.b):len(kn.b)], true
		}
	}
	if v, k, hdr, payload, ok = it.take(); !ok {
		return nil, false, Node{}, 0, 0, 0, false
	}
	return key, isStr, v, k, hdr, payload, true
}
