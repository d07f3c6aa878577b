package record

import (
	"bytes"
	"fmt"
	"testing"
)

// FuzzWalk: a Walk reads what Iters read. choices tells, child after child, whether to leave the
// child, read it (Value or Next; as a string, Str, when the choice's high bit is set), enter it, or
// stop reading its container; both walks read the same way, the Iters descending into a child by a
// new Iter over it. On the bytes of a whole value (a Node) both give the same keys and values, and
// neither breaks. On any bytes taken as a map's or an array's children (as the decoder's walk of a
// record's body takes them, measuring each), when the Iters read them without breaking the Walk
// reads the same; whatever it reads, the Walk hands out only measured Nodes and never panics.
// EnterElemMap enters the maps among an array's elements that Iters find, and reads the same keys
// in them.
func FuzzWalk(f *testing.F) {
	event := []byte("\x83\xa7process\x84\xa3pid\xcd\x01\x02\xa3pod\x82\xa4name\xa1x\xa9container\x81\xa2id\xa3abc" +
		"\xa4args\x92\x01\xa2zz\xa6labels\x80\xa6parent\x81\xa3pid\x05\xa4args\x92\x81\xa1k\xc0\x91\x91\x91\x01")
	strs := []byte("\x83\xa1a\xa3web\xa1b\xd9\x03xyz\xa1c\x91\xa1d")
	maps := []byte("\x03\x82\xa1a\x01\xa1z\xc0\xa1s\xde\x00\x01\xa1b\x02") // 3 elements, 2 maps among them
	for _, data := range [][]byte{event, event[:40], strs, maps, {0x92, 0x01}, {0xde, 0, 1, 0x01, 0x02}, {0x81, 0xc4, 1, 'k', 0x90}} {
		f.Add(data, []byte{2, 2, 1, 0, 3, 2})
		f.Add(data, []byte{0x82, 0x82, 0x81, 0x80, 0x81, 0x82, 0x81})
		f.Add(data, []byte{})
	}
	f.Fuzz(func(t *testing.T, data, choices []byte) {
		n := NodeOf(data)
		for _, want := range []NodeKind{NodeMap, NodeArray} {
			ref := reader{choices: choices}
			ref.iter(n.iter(want), want == NodeMap, 0)
			got := reader{choices: choices, t: t, whole: data}
			w := n.walk(want)
			got.walk(&w, want == NodeMap, 0)
			if !bytes.Equal(ref.out, got.out) {
				t.Fatalf("%x as %v: Iters read\n%q\nWalk read\n%q", data, want, ref.out, got.out)
			}
		}
		w := n.walk(NodeArray)
		if ref, got := iterElemMaps(n.iter(NodeArray)), walkElemMaps(&w); !bytes.Equal(ref, got) {
			t.Fatalf("%x: Iters read the maps\n%q\nEnterElemMap\n%q", data, ref, got)
		}
		if len(data) == 0 {
			return
		}
		children := int(data[0]) // a count taken from the bytes: any, small or large
		w = Walk{b: data[1:], left: children}
		ref, got := iterElemMaps(Iter{rest: data[1:], left: children}), walkElemMaps(&w)
		if !bytes.Contains(ref, []byte("broken")) && !bytes.Equal(ref, got) {
			t.Fatalf("%x, %d elements: Iters read the maps\n%q\nEnterElemMap\n%q", data, children, ref, got)
		}
		for _, isMap := range []bool{true, false} {
			left := children
			if isMap {
				left *= 2
			}
			ref := reader{choices: choices}
			ref.iter(Iter{rest: data[1:], left: left}, isMap, 0)
			got := reader{choices: choices, t: t, whole: data}
			w := Walk{b: data[1:], left: left}
			got.walk(&w, isMap, 0)
			if !bytes.Contains(ref.out, []byte("broken")) && !bytes.Equal(ref.out, got.out) {
				t.Fatalf("%x, %d children: Iters read\n%q\nWalk read\n%q", data, children, ref.out, got.out)
			}
		}
	})
}

// Bytes that are not whole, taken as a map's children (as a walk of a record's body takes them), end
// the walk, broken, whether the value that is not whole is read, entered or stepped over: a string
// that claims more bytes than there are, and a map that claims more children.
func TestWalkRefusesDamage(t *testing.T) {
	for _, damaged := range [][]byte{{0xd9, 0x40, 'x'}, {0x8f, 0xa1, 'k', 0x01}} {
		for _, how := range []string{"read", "enter", "leave"} {
			data := append([]byte{0xa1, 'a'}, damaged...)
			data = append(data, 0xa1, 'b', 0x02)
			w := Walk{b: data, left: 4}
			k, ok := w.Key()
			if !ok || string(k) != "a" {
				t.Fatalf("%x: first key %q, %v", data, k, ok)
			}
			switch how {
			case "read":
				if v := w.Value(); v.Kind() != NodeAbsent {
					t.Errorf("%x: read %x", data, v.b)
				}
			case "enter":
				if outer, ok := w.EnterMap(); ok {
					for _, ok := w.Key(); ok; _, ok = w.Key() {
					}
					w.Leave(outer)
				}
			}
			if k, ok := w.Key(); ok || !w.Broken() {
				t.Errorf("%x, %s: read on to %q, broken %v", data, how, k, w.Broken())
			}
		}
	}
}

// A number cut short at the end of the bytes, left unread in an entered map, breaks the walk where
// it is stepped over, as a string or a map that is not whole does.
func TestWalkRefusesACutNumberLeft(t *testing.T) {
	w := Walk{b: []byte{0x81, 0xa1, 'k', 0xcd, 0x01}, left: 2} // [{"k": uint16 of one byte}, ...]
	if !w.Elem() {
		t.Fatal("no first element")
	}
	outer, ok := w.EnterMap()
	if !ok {
		t.Fatal("the first element not entered")
	}
	if k, ok := w.Key(); !ok || string(k) != "k" {
		t.Fatalf("key %q, %v", k, ok)
	}
	w.Leave(outer)
	if w.Elem() || !w.Broken() {
		t.Errorf("read on to a second element at byte %d, broken %v", w.pos, w.Broken())
	}
}

// iterElemMaps records the keys of each map among an array's elements, read by Iters.
func iterElemMaps(it Iter) []byte {
	var out []byte
	for v, ok := it.NextElem(); ok; v, ok = it.NextElem() {
		if v.Kind() == NodeMap {
			out = append(out, "map"...)
			pairs := v.iter(NodeMap)
			for k, _, ok := pairs.Next(); ok; k, _, ok = pairs.Next() {
				out = fmt.Appendf(out, " %q", k)
			}
			out = append(out, '\n')
		}
	}
	if it.broken() {
		out = append(out, "broken"...)
	}
	return out
}

// walkElemMaps records the same by EnterElemMap.
func walkElemMaps(w *Walk) []byte {
	var out []byte
	for outer, ok := w.EnterElemMap(); ok; outer, ok = w.EnterElemMap() {
		out = append(out, "map"...)
		for k, ok := w.Key(); ok; k, ok = w.Key() {
			out = fmt.Appendf(out, " %q", k)
		}
		out = append(out, '\n')
		w.Leave(outer)
	}
	if w.Broken() {
		out = append(out, "broken"...)
	}
	return out
}

// reader records a walk: keys, values, containers entered, breaks.
type reader struct {
	choices []byte
	next    int
	out     []byte
	t       *testing.T
	whole   []byte // the bytes walked, in which every value handed out lies
}

const (
	leave = iota
	read
	enter
	stop
	maxReaderDepth = 8
)

// choice is what to do with the next child (c), and whether to read it as a string.
func (r *reader) choice() (c byte, asString bool) {
	if r.next >= len(r.choices) {
		return enter, false
	}
	r.next++
	return r.choices[r.next-1] % 4, r.choices[r.next-1]&0x80 != 0
}

func (r *reader) log(format string, a ...any) { r.out = fmt.Appendf(r.out, format+"\n", a...) }

func (r *reader) iter(it Iter, isMap bool, depth int) {
	for {
		var key []byte
		var v Node
		var ok bool
		if isMap {
			key, v, ok = it.Next()
		} else {
			v, ok = it.NextElem()
		}
		if !ok {
			break
		}
		r.log("key %q", key)
		switch c, asString := r.choice(); {
		case c == stop:
			r.log("stop")
			return
		case c == enter && depth < maxReaderDepth && (v.Kind() == NodeMap || v.Kind() == NodeArray):
			r.log("enter")
			r.iter(v.iter(v.Kind()), v.Kind() == NodeMap, depth+1)
			r.log("end")
		case asString && (c == read || c == enter):
			s, ok := v.Str()
			r.log("string %q %v", s, ok)
		case c == read || c == enter:
			r.log("value %x", v.b)
		}
	}
	if it.broken() {
		r.log("broken")
	}
}

func (r *reader) walk(w *Walk, isMap bool, depth int) {
	for {
		var key []byte
		if isMap {
			k, ok := w.Key()
			if !ok {
				break
			}
			key = k
		} else if !w.Elem() {
			break
		}
		r.log("key %q", key)
		c, asString := r.choice()
		if c == stop {
			r.log("stop")
			return
		}
		if c == enter && depth < maxReaderDepth {
			outer, ok := w.EnterMap()
			isMap := ok
			if !ok {
				outer, ok = w.EnterArray()
			}
			if ok {
				r.log("enter")
				r.walk(w, isMap, depth+1)
				r.log("end")
				w.Leave(outer)
				continue
			}
		}
		if asString && (c == read || c == enter) {
			s, ok := w.Str()
			r.inWhole(s)
			r.log("string %q %v", s, ok)
		} else if c == read || c == enter {
			v := w.Value()
			r.measured(v)
			r.log("value %x", v.b)
		}
	}
	if w.Broken() {
		r.log("broken")
	}
}

// measured checks that a Node handed out is its value and no more, inside the bytes walked.
func (r *reader) measured(v Node) {
	if len(v.b) == 0 {
		return
	}
	if m := NodeOf(v.b); len(m.b) != len(v.b) || cap(v.b) != len(v.b) {
		r.t.Fatalf("the Walk handed out %x, not one value", v.b)
	}
	r.inWhole(v.b)
}

// inWhole checks that bytes handed out lie inside the bytes walked, with no room to append after.
func (r *reader) inWhole(b []byte) {
	if len(b) > 0 && (!inside(b, r.whole) || cap(b) != len(b)) {
		r.t.Fatalf("the Walk handed out %x, outside the bytes walked or with room after", b)
	}
}

// inside reports whether b is a slice of whole.
func inside(b, whole []byte) bool {
	for i := 0; i+len(b) <= len(whole); i++ {
		if &whole[i] == &b[0] {
			return true
		}
	}
	return false
}
