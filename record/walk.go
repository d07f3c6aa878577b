package record

// Walk reads the children of a map or an array in order, each byte about once. A child that is a
// container is either entered (EnterMap, EnterArray), its children read by the same Walk until
// Leave takes it back to the parent after the child, or stepped over, measured once. Iter hands
// out every child measured, so that a value read at depth d through Iters is measured d+1 times:
// once by the Iter of each container above it that steps over it.
//
// A map's walk reads a key (Key), then its value (Value, or an Enter), or leaves it: the next Key
// steps over it. An array's walk does the same with Elem. A Walk hands out only measured Nodes
// (Value) and strings (Str); it does not recurse, and steps over values by counting their children
// (sizeFrom).
type Walk struct {
	// b runs to the end of the node the walk started from; the walk reads it from pos.
	b   []byte
	pos int
	// left counts the children after the value at which the walk is; -1 once broken.
	left int
	// skip is how many values to step over before the next key or element, but for the one at
	// which the walk is (at): those left unread of a child the walk entered.
	skip int
	at   bool // at a value, unread, after Key or Elem
	// exact: b ends where the container walked ends, so that its last child, a container, runs
	// to the end of b unmeasured (as Iter's last child does).
	exact bool
}

// WalkPairs walks a map's keys and values; it reads nothing of any other kind.
func (n Node) WalkPairs() Walk { return n.walk(NodeMap) }

// WalkElems walks an array's elements; it reads nothing of any other kind.
func (n Node) WalkElems() Walk { return n.walk(NodeArray) }

func (n Node) walk(want NodeKind) Walk {
	it := n.iter(want)
	return Walk{b: it.rest, left: it.left, exact: it.exact}
}

// Broken reports a walk that stopped at a value that is not whole.
func (w *Walk) Broken() bool { return w.left < 0 }

// stepOver steps over the values left unread; false when they are not whole.
func (w *Walk) stepOver() bool {
	skip := w.skip
	if w.at {
		skip++
	}
	// the scalars first, as sizeFrom steps over them but without its call: what an entered map
	// leaves unread is usually scalars alone (the rest of each Tracee argument)
	b, end := w.b, w.pos
	for ; skip > 0 && uint(end) < uint(len(b)) && stepSize[b[end]] != 0; skip-- {
		end += int(stepSize[b[end]])
	}
	if end > len(b) { // the last scalar is not whole
		end = -1
	} else if skip > 0 {
		end = sizeFrom(b, end, skip)
	}
	w.skip, w.at = 0, false
	if end < 0 {
		w.left = -1
		return false
	}
	w.pos = end
	return true
}

// scalarEnd is where the scalar at b[at] ends when the table of codes tells its header (headFixed)
// or it is a str8, the usual long string; -1 for any other value, and for one that b does not
// hold whole. at is inside b.
func scalarEnd(b []byte, at int) int {
	t := b[at]
	c := &codes[t]
	n := at + int(c.hdr) + int(c.payload)
	if t == 0xd9 && at+1 < len(b) {
		n = at + 2 + int(b[at+1])
	} else if c.width != 0 || c.children != 0 {
		return -1
	}
	if n > len(b) {
		return -1
	}
	return n
}

// Key reads a map's next key and leaves the walk at its value; ok is false at the end of the map
// or on damage. Keys that are not strings are stepped over with their values.
func (w *Walk) Key() (key []byte, ok bool) {
	if b, p := w.b, w.pos; w.skip == 0 && w.left >= 2 && p < len(b) {
		if w.at { // the usual value left unread, a scalar, stepped over here
			p = scalarEnd(b, p)
		}
		if uint(p) < uint(len(b)) && b[p]&0xe0 == 0xa0 { // a fixstr, the usual key, told without the table
			if end := p + int(b[p]&0x1f) + 1; end <= len(b) {
				w.pos, w.left, w.at = end, w.left-2, true
				return b[p+1 : end : end], true
			}
		}
	}
	return w.key()
}

// key is Key for any value left unread and any key.
func (w *Walk) key() (key []byte, ok bool) {
	for w.left >= 2 {
		if (w.at || w.skip > 0) && !w.stepOver() {
			return nil, false
		}
		b, p := w.b, w.pos
		k, hdr, payload, _ := head(b[p:])
		if payload < 0 || payload > len(b)-p-hdr {
			w.left = -1
			return nil, false
		}
		w.left -= 2
		if k == NodeString {
			end := p + hdr + payload
			w.pos, w.at = end, true
			return b[p+hdr : end : end], true
		}
		w.skip = 2 // the key, with its children, and its value
	}
	return nil, false
}

// Elem moves an array's walk to its next element; false at the end of the array or on damage.
func (w *Walk) Elem() bool {
	if w.left <= 0 || (w.at || w.skip > 0) && !w.stepOver() {
		return false
	}
	w.left--
	w.at = true
	return true
}

// Value reads the value at which the walk is (after Key or Elem), measured; the absent Node when
// the walk is at none, or on damage.
func (w *Walk) Value() Node {
	b, p := w.b, w.pos
	if w.at && p < len(b) && b[p]&0xe0 == 0xa0 { // a fixstr, the usual value, told without the table
		if end := p + int(b[p]&0x1f) + 1; end <= len(b) {
			w.pos, w.at = end, false
			return Node{b[p:end:end]}
		}
	}
	if !w.at || p >= len(b) {
		if w.at {
			w.left, w.at = -1, false
		}
		return Node{}
	}
	end := scalarEnd(b, p)
	if end < 0 { // a container, a long string, or damage
		_, hdr, payload, children, fixed := headFixed(b[p:])
		if !fixed {
			_, hdr, payload, children = headCounted(b[p:])
		}
		if payload == 0 && children > 0 && w.left == 0 && w.exact {
			end = len(b) // the last child of a container measured whole
		} else if n := span(b[p:], hdr, payload, children); n >= 0 {
			end = p + n
		} else {
			w.left, w.at = -1, false
			return Node{}
		}
	}
	w.pos, w.at = end, false
	return Node{b[p:end:end]}
}

// Str reads the value at which the walk is (after Key or Elem) as a string, as Value().Str() does.
func (w *Walk) Str() (s []byte, ok bool) {
	if b, p := w.b, w.pos; w.at && p < len(b) && b[p]&0xe0 == 0xa0 { // a fixstr, told without the table
		if end := p + int(b[p]&0x1f) + 1; end <= len(b) {
			w.pos, w.at = end, false
			return b[p+1 : end : end], true
		}
	}
	return w.Value().Str()
}

// EnterMap makes w read the value at which it is (after Key or Elem) when that is a map: w reads
// the map's keys and values until Leave(outer) takes it back to the container it was reading,
// after the map. ok is false, and w unchanged, for any other value.
func (w *Walk) EnterMap() (outer Outer, ok bool) {
	if w.at && w.pos < len(w.b) && w.b[w.pos]&0xf0 == 0x80 { // a fixmap, told without the table
		return w.entered(1, 2*int(w.b[w.pos]&0x0f)), true
	}
	return w.enter(NodeMap)
}

// EnterArray makes w read the value at which it is when that is an array, as EnterMap does.
func (w *Walk) EnterArray() (outer Outer, ok bool) {
	if w.at && w.pos < len(w.b) && w.b[w.pos]&0xf0 == 0x90 { // a fixarray, told without the table
		return w.entered(1, int(w.b[w.pos]&0x0f)), true
	}
	return w.enter(NodeArray)
}

// EnterElemMap moves an array's walk to its next element that is a map, stepping over any other,
// and enters it, as Elem then EnterMap do but in one call, for an array of maps read a map at a
// time (Tracee's arguments); false at the end of the array or on damage.
func (w *Walk) EnterElemMap() (outer Outer, ok bool) {
	for w.left > 0 && (!w.at && w.skip == 0 || w.stepOver()) {
		w.left--
		w.at = true
		if w.pos < len(w.b) && w.b[w.pos]&0xf0 == 0x80 { // a fixmap, told without the table
			return w.entered(1, 2*int(w.b[w.pos]&0x0f)), true
		}
		if outer, ok = w.enter(NodeMap); ok {
			return outer, true
		}
	}
	return Outer{}, false
}

// Outer is what a Walk that entered a value keeps of the container it was reading, to Leave.
type Outer struct {
	left  int
	exact bool
}

func (w *Walk) enter(want NodeKind) (outer Outer, ok bool) {
	if !w.at || w.pos >= len(w.b) {
		return Outer{}, false
	}
	rest := w.b[w.pos:]
	k, hdr, payload, children, fixed := headFixed(rest)
	if !fixed {
		k, hdr, payload, children = headCounted(rest)
	}
	if k != want || payload != 0 { // payload is -1 for a header that is not whole
		return Outer{}, false
	}
	return w.entered(hdr, children), true
}

// entered moves w into the container at which it is, whose header is hdr bytes long.
func (w *Walk) entered(hdr, children int) Outer {
	outer := Outer{left: w.left, exact: w.exact}
	w.pos += hdr
	w.left, w.at, w.exact = children, false, w.exact && w.left == 0
	return outer
}

// Leave takes w back to the container it was reading when it entered the value it reads, after
// that value: what w left unread of it is stepped over when w reads on. The values left are
// counted, at every depth, in the order of their bytes.
func (w *Walk) Leave(outer Outer) {
	if w.left < 0 || w.left > len(w.b)-w.pos { // every value takes a byte at least
		w.left, w.skip, w.at = -1, 0, false
		return
	}
	w.skip += w.left
	if w.at {
		w.skip++
	}
	w.left, w.at, w.exact = outer.left, false, outer.exact
}
